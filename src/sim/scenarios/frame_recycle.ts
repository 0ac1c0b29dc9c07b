// frame-recycle: page frames passing from one device to another through the page allocator, read before
// they are written. Two devices share one world's RAM (a small one, so frames come round again): `plain`
// allocates its tts from the page allocator (cached pages are never pooled: ttm_pool_free_page gives
// them straight back, data and all), and `coherent` has a pool that allocates coherent DMA memory
// (use_dma_alloc: dma_alloc_attrs returns zeroed memory). A writer on `plain` fills its BOs through the
// CPU and puts them; a reader on `coherent` creates BOs, maps them and reads every page before it writes
// it, so a frame the writer gave back must read zeros there (data.fresh-zero), then reads the last byte of
// the BO back with ttm_bo_access; a debugger peeks at single bytes of the reader's BOs the same way, as
// ptrace does (what ttm_bo_access returns is judged by bo.access.returns). Life: both workers halfway,
// suspend, resume, the rest, teardown of both devices.

import type { Rng } from '../../engine/prng.ts';
import { type BufferObject, newBufferObject, ttmBoInitValidate, ttmBoPut } from '../../kernel/bo.ts';
import { ttmBoAccess, ttmBoMmapObj, ttmBoVmClose } from '../../kernel/bo_vm.ts';
import { PAGE_SIZE, TTM_PL_SYSTEM } from '../../kernel/constants.ts';
import { TtmGlobal } from '../../kernel/device.ts';
import type { KGen } from '../../kernel/env.ts';
import { EINTR, EIO, ENODATA, ENOMEM, ERESTARTSYS, errnoName } from '../../kernel/errno.ts';
import { place, placementOf } from '../../kernel/placement.ts';
import { Ram } from '../../kernel/ram.ts';
import { createSimDevice, type SimDevice } from '../../kernel/simdrv.ts';
import { dataStats, PageData, stepCounter } from '../data_checks.ts';
import type { Breach, Scenario, Workload } from '../scenario.ts';
import type { Sim } from '../sim.ts';
import { LIFECYCLE, Lifecycle, lifecycleStats } from './lifecycle.ts';
import { type FaultTally, oneWorldWorkload, touchPage, VALIDATE_ERRNOS } from './race_common.ts';

export interface FrameRecycleConfig {
  /** RAM of the world, in pages. */
  readonly ramPages: number;
  /** BOs each of the writer and the reader creates, one after the other. */
  readonly rounds: number;
  readonly minBoPages: number;
  readonly maxBoPages: number;
  /** Single-byte accesses the debugger makes to each BO of the reader it finds. */
  readonly peeks: number;
}

const DEFAULTS: FrameRecycleConfig = { ramPages: 48, rounds: 4, minBoPages: 2, maxBoPages: 5, peeks: 2 };

const SYSTEM_ONLY = placementOf(place(TTM_PL_SYSTEM));

/** What ttm_bo_access may answer the debugger besides the length: a signal, no memory, no resource. */
const ACCESS_ERRNOS: ReadonlySet<number> = new Set([-ERESTARTSYS, -EINTR, -ENOMEM, -ENODATA]);

interface Counters extends FaultTally {
  created: number;
  createFailures: number;
  peeks: number;
  peekFailures: number;
  /** Pages of the reader's BOs on a frame one of the writer's BOs held before. */
  recycledFrames: number;
}

export function frameRecycle(overrides: Partial<FrameRecycleConfig> = {}, name = 'frame-recycle'): Scenario {
  const cfg: FrameRecycleConfig = { ...DEFAULTS, ...overrides };
  return {
    name,
    summary: `${cfg.ramPages} pages of RAM shared by a device that frees written pages to the system and a device whose pool allocates coherent DMA memory and reads its pages before writing them; ${cfg.rounds} BOs of ${cfg.minBoPages}-${cfg.maxBoPages} pages each, and single-byte ttm_bo_access peeks`,
    config: { scenario: 'frame-recycle', ...cfg, lifecycle: LIFECYCLE },
    build(sim: Sim, rng: Rng): Workload {
      const global = new TtmGlobal(new Ram(cfg.ramPages));
      sim.adopt(global);
      const plain = createSimDevice(sim.env, global, 'device:0', {
        vramBytes: 8 * PAGE_SIZE,
        ttBytes: 16 * PAGE_SIZE,
      });
      const coherent = createSimDevice(sim.env, global, 'device:1', {
        vramBytes: 8 * PAGE_SIZE,
        ttBytes: 16 * PAGE_SIZE,
        useDmaAlloc: true,
      });
      const run = new FrameRecycleRun(cfg);
      run.data = new PageData(run.breaches, stepCounter(sim));
      const lc = new Lifecycle(sim, [{ global, devices: [plain, coherent], bos: run.all }], {
        hibernate: false,
      });
      run.lc = lc;
      const sizes = (): number[] =>
        Array.from({ length: cfg.rounds }, () => rng.int(cfg.minBoPages, cfg.maxBoPages));
      const writerSizes = sizes();
      const readerSizes = sizes();
      const peekAt = Array.from({ length: cfg.peeks }, () => rng.int(0, cfg.minBoPages * PAGE_SIZE - 1));
      lc.worker('writer', () => run.user('task:writer', plain, writerSizes, true));
      lc.worker('reader', () => run.user('task:reader', coherent, readerSizes, false));
      lc.worker('debugger', () => run.debugger('task:debugger', peekAt));
      lc.start();
      return oneWorldWorkload(
        global,
        run.all,
        () => statsOf(run, global),
        () => [...run.breaches, ...lc.check()],
      );
    },
  };
}

/** One run: counters, breaches, BOs, and the tasks' bodies (generator methods, as in upload-race). */
class FrameRecycleRun {
  readonly c: Counters = {
    created: 0,
    createFailures: 0,
    faults: 0,
    sigbus: 0,
    pagesMapped: 0,
    peeks: 0,
    peekFailures: 0,
    recycledFrames: 0,
  };
  /** Every frame a writer's BO held (frame numbers only: no object identity). */
  readonly writerFrames = new Set<number>();
  readonly breaches: Breach[] = [];
  data!: PageData;
  readonly all: BufferObject[] = [];
  /** The reader's BO being filled, for the debugger; null between BOs. */
  current: BufferObject | null = null;
  lc!: Lifecycle;

  constructor(readonly cfg: FrameRecycleConfig) {}

  /**
   * A user of `dev` (`who`): per size, a SYSTEM BO created, mapped, each page read (it must read zeros:
   * fresh memory) and written through its PTE, then unmapped and put. The writer's pages go back to the
   * system with the data in them; the reader's (`writer` false) are the ones the debugger peeks at.
   */
  *user(who: string, dev: SimDevice, sizes: readonly number[], writer: boolean): KGen<number> {
    const { c } = this;
    for (const [i, pages] of sizes.entries()) {
      const bo = newBufferObject(dev.bdev, pages * PAGE_SIZE);
      this.all.push(bo);
      const ret = yield* ttmBoInitValidate(dev.bdev, bo, 'device', SYSTEM_ONLY, 1, true, null);
      if (ret !== 0) {
        c.createFailures += 1;
        if (!VALIDATE_ERRNOS.has(ret)) {
          this.breaches.push({
            id: 'correctness.errno',
            actor: who,
            message: `creating ${bo.id} returned ${errnoName(ret)}`,
          });
        }
        continue;
      }
      c.created += 1;
      this.data.trackNew(bo);
      if (!writer) this.current = bo;
      const vma = ttmBoMmapObj(bo);
      if (typeof vma !== 'number') {
        for (let page = 0; page < pages; page += 1) {
          if (!(yield* touchPage(vma, page, who, c, this.breaches, this.data, true))) break;
        }
        yield* ttmBoVmClose(vma);
      }
      for (const p of bo.ttm?.pages ?? []) {
        if (typeof p !== 'number') continue;
        if (writer) this.writerFrames.add(p);
        else if (this.writerFrames.has(p)) c.recycledFrames += 1;
      }
      if (!writer) {
        // The reader's own look at what it wrote, one byte of its last page, as a devcoredump reads a BO.
        const buf: number[] = [];
        const r = yield* ttmBoAccess(bo, bo.size - 1, 1, false, buf);
        c.peeks += 1;
        if (r !== 1) this.judge(who, bo, r);
        yield { kind: 'yield', label: 'reader.done' };
        this.current = null;
      }
      if (i === Math.floor(sizes.length / 2)) yield* this.lc.freezePoint();
      yield* ttmBoPut(bo);
    }
    yield* this.lc.freezePoint();
    return 0;
  }

  /**
   * The debugger: at each of its offsets, one byte of the reader's current BO read with ttm_bo_access
   * (ptrace's access_process_vm path), then one byte past the BO's end, which must be -EIO.
   */
  *debugger(who: string, peekAt: readonly number[]): KGen<number> {
    const { c } = this;
    for (let round = 0; round < this.cfg.rounds; round += 1) {
      yield { kind: 'yield', label: 'debugger.wait' };
      const bo = this.current;
      if (bo === null || bo.destroyed) continue;
      for (const offset of peekAt) {
        const buf: number[] = [];
        const r = yield* ttmBoAccess(bo, offset, 1, false, buf);
        c.peeks += 1;
        if (r !== 1) this.judge(who, bo, r);
      }
      const beyond = yield* ttmBoAccess(bo, bo.size, 1, false, []);
      if (beyond !== -EIO) {
        this.breaches.push({
          id: 'correctness.errno',
          actor: who,
          message: `ttm_bo_access of the byte past ${bo.id}'s end returned ${errnoName(beyond)}, not -EIO`,
        });
      }
    }
    yield* this.lc.freezePoint();
    return 0;
  }

  /** A failed single-byte access: only a signal, no memory or a BO without a resource may explain it. */
  private judge(who: string, bo: BufferObject, r: number): void {
    this.c.peekFailures += 1;
    if (ACCESS_ERRNOS.has(r)) return;
    this.breaches.push({
      id: 'correctness.errno',
      actor: who,
      message: `a one-byte ttm_bo_access of ${bo.id} returned ${errnoName(r)}`,
    });
  }
}

/** The run's statistics, one object literal of fixed shape (see statsOf in race.ts). */
function statsOf(run: FrameRecycleRun, global: TtmGlobal): Record<string, number> {
  const c = run.c;
  return {
    created: c.created,
    createFailures: c.createFailures,
    faults: c.faults,
    sigbus: c.sigbus,
    pagesMapped: c.pagesMapped,
    peeks: c.peeks,
    peekFailures: c.peekFailures,
    recycledFrames: c.recycledFrames,
    pooledPages: global.poolMgr.allocatedPages,
    boCount: global.boCount,
    ...dataStats(run.data),
    ...lifecycleStats(run.lc.c),
  };
}
