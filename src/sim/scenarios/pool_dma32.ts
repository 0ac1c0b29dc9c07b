// pool-dma32: two devices share one machine's page pools. device:0 addresses all of RAM; device:1 only
// its first `dma32Pages` (a DMA32 device: its pool allocates with GFP_DMA32 and pools in the global DMA32
// types). device:1 keeps a framebuffer in low memory for the whole run; device:0 populates write-combined
// BOs and puts them (their pages stay pooled, some of them above the DMA32 limit); device:1 populates
// write-combined BOs round after round. Every page a device:1 tt holds must be below the DMA32 limit. At
// the end every BO is put and nothing may be left (no BO, no frame once the pools are drained, no lock).

import type { Rng } from '../../engine/prng.ts';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitReserved,
  ttmBoPopulate,
  ttmBoPut,
  ttmBoUnreserve,
} from '../../kernel/bo.ts';
import { PAGE_SIZE, TTM_PL_SYSTEM } from '../../kernel/constants.ts';
import { TtmGlobal } from '../../kernel/device.ts';
import type { KGen } from '../../kernel/env.ts';
import { operationCtx, place, placementOf } from '../../kernel/placement.ts';
import {
  NUMA_NO_NODE,
  Pool,
  SHRINK_STOP,
  TTM_ALLOCATION_POOL_USE_DMA32,
  ttmPoolShrinkerScan,
} from '../../kernel/pool_type.ts';
import { Ram } from '../../kernel/ram.ts';
import { createSimDevice, type SimDevice } from '../../kernel/simdrv.ts';
import { ttmTtPfn } from '../../kernel/tt.ts';
import type { Breach, Scenario, Workload } from '../scenario.ts';
import type { Sim } from '../sim.ts';
import { LIFECYCLE, Lifecycle, type LifecycleCounters, lifecycleStats } from './lifecycle.ts';
import { Completion, checkErrno } from './swap_checks.ts';

export interface PoolDma32Config {
  readonly ramPages: number;
  /** Frames below this are DMA32-addressable. */
  readonly dma32Pages: number;
  /** device:1's framebuffer, kept for the whole run. */
  readonly framebufferPages: number;
  /** device:0: rounds of `bos` BOs of `boPages`, populated then put. */
  readonly rounds0: number;
  readonly bos0: number;
  /** device:1: rounds of `bos` BOs of `boPages`, populated, checked, then put. */
  readonly rounds1: number;
  readonly bos1: number;
  readonly minBoPages: number;
  readonly maxBoPages: number;
}

const DEFAULTS: PoolDma32Config = {
  ramPages: 128,
  dma32Pages: 64,
  framebufferPages: 16,
  rounds0: 2,
  bos0: 4,
  rounds1: 3,
  bos1: 2,
  minBoPages: 8,
  maxBoPages: 16,
};

const SYSTEM_ONLY = placementOf(place(TTM_PL_SYSTEM));

interface Counters {
  populated0: number;
  populated1: number;
  failed: number;
  directReclaims: number;
}

export function poolDma32(overrides: Partial<PoolDma32Config> = {}, name = 'pool-dma32'): Scenario {
  const cfg: PoolDma32Config = { ...DEFAULTS, ...overrides };
  return {
    name,
    summary: `${cfg.ramPages} pages of RAM, ${cfg.dma32Pages} of them DMA32; a DMA32 device and a 64-bit device populating write-combined BOs through the shared page pools`,
    config: { scenario: 'pool-dma32', ...cfg, lifecycle: LIFECYCLE },
    build(sim: Sim, rng: Rng): Workload {
      const global = new TtmGlobal(new Ram(cfg.ramPages, cfg.dma32Pages));
      sim.adopt(global);
      global.ttmPagesLimit = cfg.ramPages;
      global.ttmDma32PagesLimit = cfg.ramPages;
      const c: Counters = { populated0: 0, populated1: 0, failed: 0, directReclaims: 0 };
      const dev0 = wcDevice(sim, global, 'device:0');
      const dev1 = wcDevice(sim, global, 'device:1');
      // ttm_device_init(..., use_dma32 = true) for device:1.
      dev1.bdev.pool = new Pool({}, NUMA_NO_NODE, TTM_ALLOCATION_POOL_USE_DMA32, global, dev1.bdev);
      global.directReclaim = directReclaimOf(global, c);
      const sizes0 = Array.from({ length: cfg.rounds0 * cfg.bos0 }, () =>
        rng.int(cfg.minBoPages, cfg.maxBoPages),
      );
      const sizes1 = Array.from({ length: cfg.rounds1 * cfg.bos1 }, () =>
        rng.int(cfg.minBoPages, cfg.maxBoPages),
      );
      const run = new PoolDma32Run(cfg, sim, dev0, dev1, c);
      // Suspend while both GPUs hold a round of populated BOs, resume, teardown of both devices (the
      // second one's ttm_device_fini takes the shared global pools down).
      const lc = new Lifecycle(sim, [{ global, devices: [dev0, dev1], bos: run.all }], { hibernate: false });
      run.lc = lc;
      lc.worker('display1', () => run.display1());
      lc.worker('gpu0', () => run.gpu0(sizes0));
      lc.worker('gpu1', () => run.gpu1(sizes1));
      lc.start();

      // Methods, not arrow properties: under tsx, keepNames names every arrow stored in a property with
      // a defineProperty call (a runtime call per function per run).
      return {
        stats() {
          return statsOf(c, global, lc.c);
        },
        check() {
          return [...run.breaches, ...lc.check()];
        },
        describe() {
          return run.all.map(
            (bo) =>
              `${bo.id} ${bo.bdev.id} ${bo.size / PAGE_SIZE} pages: ${bo.destroyed ? 'destroyed' : 'alive'}`,
          );
        },
        worlds() {
          return [global];
        },
      };
    },
  };
}

/** A device of `global` whose tts are write-combined. */
function wcDevice(sim: Sim, global: TtmGlobal, id: string): SimDevice {
  return createSimDevice(sim.env, global, id, {
    vramBytes: 16 * PAGE_SIZE,
    ttBytes: 16 * PAGE_SIZE,
    ttCaching: 'write_combined',
  });
}

/**
 * Direct reclaim of `global`'s page allocator (the pool shrinker), counted into `c`. Returned, not
 * written as an arrow function in the assignment: see resvObserver in kernel/resv.ts.
 */
function directReclaimOf(global: TtmGlobal, c: Counters): (pages: number) => KGen<number> {
  return (pages) => poolShrink(global, c, pages);
}

/** Direct reclaim: the pool shrinker asked for `pages`; the pages it freed. */
// biome-ignore lint/correctness/useYield: the pool shrinker never sleeps; the hook's type is a KGen.
function* poolShrink(global: TtmGlobal, c: Counters, pages: number): KGen<number> {
  c.directReclaims += 1;
  const freed = ttmPoolShrinkerScan(global.poolMgr, pages, global.mutations);
  return freed === SHRINK_STOP ? 0 : freed;
}

/**
 * One run: its devices, counters, breaches and BOs, and the tasks' bodies. The bodies are generator
 * methods of this class rather than generator closures made in the build, which kept the whole run
 * alive through young-generation collections (see RaceRun in race.ts).
 */
class PoolDma32Run {
  lc!: Lifecycle;
  readonly breaches: Breach[] = [];
  readonly all: BufferObject[] = [];
  readonly workDone: Completion;
  /** gpu0 and gpu1 not finished yet. */
  working = 2;

  constructor(
    readonly cfg: PoolDma32Config,
    readonly sim: Sim,
    readonly dev0: SimDevice,
    readonly dev1: SimDevice,
    readonly c: Counters,
  ) {
    this.workDone = new Completion(sim.env, 'work-done');
  }

  finished(): void {
    this.working -= 1;
    if (this.working === 0) this.workDone.complete();
  }

  /** A new SYSTEM BO of `dev` with a populated tt, unreserved; null when that failed. */
  *create(dev: SimDevice, who: string, pages: number): KGen<BufferObject | null> {
    const bo = newBufferObject(dev.bdev, pages * PAGE_SIZE);
    this.all.push(bo);
    const ctx = operationCtx({ interruptible: true });
    const ret = yield* ttmBoInitReserved(dev.bdev, bo, 'device', SYSTEM_ONLY, 1, ctx, null, null, null);
    checkErrno(ret, `creating ${bo.id}`, who, this.breaches);
    if (ret !== 0) return null;
    const p = yield* ttmBoPopulate(bo, ctx);
    checkErrno(p, `populating ${bo.id}`, who, this.breaches);
    ttmBoUnreserve(bo);
    if (p !== 0) {
      this.c.failed += 1;
      yield* ttmBoPut(bo);
      return null;
    }
    return bo;
  }

  /** device:1 maps every page for DMA: each must be a frame it can address. */
  checkDma32(bo: BufferObject, who: string): void {
    const tt = bo.ttm;
    if (tt === null) return;
    const limit = this.cfg.dma32Pages;
    for (let i = 0; i < tt.numPages; i += 1) {
      const pfn = ttmTtPfn(tt, i);
      if (pfn !== null && pfn >= limit) {
        this.breaches.push({
          id: 'correctness.dma32',
          actor: who,
          message: `${bo.id} page ${i} is frame ${pfn}, above the DMA32 limit (${limit}): ${bo.bdev.id} cannot address it`,
        });
        return;
      }
    }
  }

  /** device:1's framebuffer, kept until gpu0 and gpu1 are done. */
  *display1(): KGen<number> {
    const fb = yield* this.create(this.dev1, 'task:display1', this.cfg.framebufferPages);
    if (fb !== null) this.checkDma32(fb, 'task:display1');
    yield* this.lc.freezePoint();
    yield* this.workDone.wait();
    if (fb !== null) yield* ttmBoPut(fb);
    return 0;
  }

  /** device:0: rounds of BOs of `sizes0` pages, populated then put. */
  *gpu0(sizes0: readonly number[]): KGen<number> {
    const cfg = this.cfg;
    for (let round = 0; round < cfg.rounds0; round += 1) {
      const bos: BufferObject[] = [];
      for (let i = 0; i < cfg.bos0; i += 1) {
        const bo = yield* this.create(this.dev0, 'task:gpu0', sizes0[round * cfg.bos0 + i]!);
        if (bo === null) continue;
        this.c.populated0 += 1;
        bos.push(bo);
      }
      if (round === Math.floor(cfg.rounds0 / 2)) yield* this.lc.freezePoint();
      for (const bo of bos) {
        yield { kind: 'yield', label: 'gpu0.put' };
        yield* ttmBoPut(bo);
      }
    }
    this.finished();
    return 0;
  }

  /** device:1: rounds of BOs of `sizes1` pages, populated, checked, then put. */
  *gpu1(sizes1: readonly number[]): KGen<number> {
    const cfg = this.cfg;
    for (let round = 0; round < cfg.rounds1; round += 1) {
      const bos: BufferObject[] = [];
      for (let i = 0; i < cfg.bos1; i += 1) {
        const bo = yield* this.create(this.dev1, 'task:gpu1', sizes1[round * cfg.bos1 + i]!);
        if (bo === null) continue;
        this.c.populated1 += 1;
        this.checkDma32(bo, 'task:gpu1');
        bos.push(bo);
      }
      if (round === Math.floor(cfg.rounds1 / 2)) yield* this.lc.freezePoint();
      for (const bo of bos) {
        yield { kind: 'yield', label: 'gpu1.put' };
        yield* ttmBoPut(bo);
      }
    }
    this.finished();
    return 0;
  }
}

/**
 * The run's statistics: counters, pooled pages, BOs left. One object literal of fixed shape, not the
 * parts spread together: see statsOf in race.ts.
 */
function statsOf(c: Counters, global: TtmGlobal, life: LifecycleCounters): Record<string, number> {
  return {
    populated0: c.populated0,
    populated1: c.populated1,
    failed: c.failed,
    directReclaims: c.directReclaims,
    pooledPages: global.poolMgr.allocatedPages,
    boCount: global.boCount,
    ...lifecycleStats(life),
  };
}
