// vram-pressure: several clients compete for a small VRAM. Each creates BOs, then submits frames: it
// reserves its BOs plus the shared ones with one ww ticket (backing off on -EDEADLK through the
// slowpath), validates them into VRAM with TT as fallback (evicting others), fences them with a GPU job
// and unreserves, then presents: the frame's fence, as a sync_file, is imported into a shared BO, where
// another client's later frame on the same ring may have put a newer fence already. One client pins a
// scanout buffer for a while. At the end every reference is put, busy BOs become zombies and the
// delayed-delete workers clean them up.

import type { Rng } from '../../engine/prng.ts';
import {
  type BufferObject,
  newBufferObject,
  ttmBoGet,
  ttmBoInitValidate,
  ttmBoPin,
  ttmBoPut,
  ttmBoReserve,
  ttmBoUnpin,
  ttmBoUnreserve,
  ttmBoValidate,
} from '../../kernel/bo.ts';
import { ttmBoMmapObj, ttmBoVmClose } from '../../kernel/bo_vm.ts';
import {
  memTypeName,
  PAGE_SIZE,
  TTM_PL_FLAG_FALLBACK,
  TTM_PL_TT,
  TTM_PL_VRAM,
} from '../../kernel/constants.ts';
import { TtmGlobal } from '../../kernel/device.ts';
import type { KGen } from '../../kernel/env.ts';
import { errnoName } from '../../kernel/errno.ts';
import type { DmaFence } from '../../kernel/fence.ts';
import { operationCtx, type Placement, place, placementOf } from '../../kernel/placement.ts';
import { DmaResvUsage, wwAcquireInit } from '../../kernel/resv.ts';
import { createSimDevice, type SimDevice } from '../../kernel/simdrv.ts';
import { runSync } from '../../kernel/sync.ts';
import { dataStats, PageData, stepCounter } from '../data_checks.ts';
import type { Scenario, Workload } from '../scenario.ts';
import type { Sim } from '../sim.ts';
import { LIFECYCLE, Lifecycle, lifecycleStats } from './lifecycle.ts';
import { type FaultTally, touchPage } from './race_common.ts';
import { reserveAll } from './reserve.ts';

export interface VramPressureConfig {
  readonly vramKiB: number;
  readonly ttKiB: number;
  readonly clients: number;
  readonly bosPerClient: number;
  readonly sharedBos: number;
  readonly frames: number;
  readonly minBoKiB: number;
  readonly maxBoKiB: number;
  /** The device's IOVA space in pages: tt pages are mapped through it when populated. */
  readonly iovaPages: number;
  /**
   * Times per frame client 0 reads its scanout and the first shared BO back through a CPU mapping (a
   * compositor's readback), page by page through the fault handler, checking every page's data.
   */
  readonly readbacks: number;
  /**
   * Each client's page table: a kernel BO of this many KiB (amdgpu_vm_pt_create: ttm_bo_type_kernel)
   * validated and fenced with every frame, so driver-owned BOs are evicted and moved like user BOs.
   */
  readonly pageTableKiB: number;
}

const DEFAULTS: VramPressureConfig = {
  vramKiB: 256,
  ttKiB: 512,
  clients: 3,
  bosPerClient: 3,
  sharedBos: 2,
  frames: 4,
  minBoKiB: 16,
  maxBoKiB: 96,
  iovaPages: 1024,
  readbacks: 1,
  pageTableKiB: 8,
};

/** Where user BOs go: VRAM, or TT when VRAM cannot be made free (amdgpu's VRAM|GTT domain). */
const VRAM_OR_TT: Placement = placementOf(place(TTM_PL_VRAM), place(TTM_PL_TT, TTM_PL_FLAG_FALLBACK));
const VRAM_ONLY: Placement = placementOf(place(TTM_PL_VRAM));

interface Counters {
  created: number;
  createFailures: number;
  submits: number;
  submitFailures: number;
  backoffs: number;
  pins: number;
  pinFailures: number;
  bytesMoved: number;
  /** Frame fences imported into a shared BO as sync_files after the frame. */
  imports: number;
}

/** One frame: the job's fence, or null when the frame was not submitted. */
function* submitFrame(
  dev: SimDevice,
  bos: readonly BufferObject[],
  c: Counters,
  env: Sim['env'],
  data: PageData,
): KGen<DmaFence | null> {
  const ticket = wwAcquireInit(env);
  const locked = yield* reserveAll(bos, ticket, () => {
    c.backoffs += 1;
  });
  if (typeof locked === 'number') {
    c.submitFailures += 1;
    return null;
  }
  const ctx = operationCtx({ interruptible: true });
  let failed = false;
  for (const bo of locked) {
    const ret = yield* ttmBoValidate(bo, VRAM_OR_TT, ctx);
    if (ret !== 0) failed = true;
  }
  c.bytesMoved += ctx.bytesMoved;
  let job: DmaFence | null = null;
  if (failed) c.submitFailures += 1;
  else {
    job = dev.gfxRing.emit();
    // The job reads and writes every page of the frame's BOs once their fences signalled.
    data.gpuJob(locked, job, env.current());
    for (const bo of locked) {
      bo.resv.reserveFences(1);
      bo.resv.addFence(job, DmaResvUsage.WRITE);
    }
    c.submits += 1;
  }
  for (const bo of locked) ttmBoUnreserve(bo);
  return job;
}

/**
 * Present: the client's frame fence, exported as a sync_file, is imported into a shared BO for implicit
 * sync (DMA_BUF_IOCTL_IMPORT_SYNC_FILE: dma_resv_lock, dma_resv_reserve_fences, dma_resv_add_fence with
 * WRITE usage), as Vulkan WSI does after a present. Another client's later frame on the same ring may
 * have fenced that BO in between, so fences of one context arrive out of order.
 */
function* importSyncFile(bo: BufferObject, fence: DmaFence, c: Counters): KGen<void> {
  const ret = yield* ttmBoReserve(bo, false, false, null);
  if (ret !== 0) return;
  if (bo.resv.reserveFences(1) === 0) {
    bo.resv.addFence(fence, DmaResvUsage.WRITE);
    c.imports += 1;
  }
  ttmBoUnreserve(bo);
}

function* scanout(bo: BufferObject, pin: boolean, c: Counters): KGen<void> {
  const ret = yield* ttmBoReserve(bo, true, false, null);
  if (ret !== 0) return;
  if (pin) {
    const ctx = operationCtx({ interruptible: true });
    const v = yield* ttmBoValidate(bo, VRAM_ONLY, ctx);
    c.bytesMoved += ctx.bytesMoved;
    if (v === 0) {
      ttmBoPin(bo);
      c.pins += 1;
    } else {
      c.pinFailures += 1;
    }
  } else if (bo.pinCount > 0) {
    ttmBoUnpin(bo);
  }
  ttmBoUnreserve(bo);
}

function sizeBytes(rng: Rng, cfg: VramPressureConfig): number {
  const pagesMin = (cfg.minBoKiB * 1024) / PAGE_SIZE;
  const pagesMax = (cfg.maxBoKiB * 1024) / PAGE_SIZE;
  return rng.int(pagesMin, pagesMax) * PAGE_SIZE;
}

export function vramPressure(overrides: Partial<VramPressureConfig> = {}, name = 'vram-pressure'): Scenario {
  const cfg: VramPressureConfig = { ...DEFAULTS, ...overrides };
  return {
    name,
    summary: `${cfg.clients} clients, ${cfg.bosPerClient} BOs each + ${cfg.sharedBos} shared, ${cfg.frames} frames, VRAM ${cfg.vramKiB} KiB, TT ${cfg.ttKiB} KiB: ww reservation, validate, evict, pin, put`,
    config: { scenario: 'vram-pressure', ...cfg, lifecycle: LIFECYCLE },
    sometimes: [
      { id: 'backoffs', description: 'a ww reservation backed off with -EDEADLK and took the slowpath' },
      { id: 'evictions', description: 'a validate evicted another BO' },
      { id: 'ghosts', description: 'a pipelined move handed the old resource to a ghost' },
      { id: 'pinFailures', description: 'pinning the scanout into VRAM failed' },
      { id: 'submitFailures', description: 'a submit could not place its BOs' },
    ],
    build(sim: Sim, rng: Rng): Workload {
      const global = new TtmGlobal();
      sim.adopt(global);
      const dev = createSimDevice(sim.env, global, 'device:0', {
        vramBytes: cfg.vramKiB * 1024,
        ttBytes: cfg.ttKiB * 1024,
        ttCaching: 'write_combined',
        iommuPages: cfg.iovaPages,
      });
      const run = new VramPressureRun(cfg, sim, global, dev);
      const all = run.all;
      // Suspend once the clients are halfway through their frames, resume, teardown after the last put.
      const lc = new Lifecycle(sim, [{ global, devices: [dev], bos: all }], { hibernate: false });
      run.lc = lc;
      const shared: BufferObject[] = [];
      for (let i = 0; i < cfg.sharedBos; i += 1) {
        const bo = newBufferObject(dev.bdev, sizeBytes(rng, cfg));
        const ret = runSync(sim.env, ttmBoInitValidate(dev.bdev, bo, 'device', VRAM_OR_TT, 1, false, null));
        if (ret !== 0) throw new Error(`vram-pressure: shared BO creation failed ${errnoName(ret)}`);
        run.data.trackNew(bo);
        shared.push(bo);
        all.push(bo);
      }
      for (let client = 0; client < cfg.clients; client += 1) {
        const sizes = Array.from({ length: cfg.bosPerClient }, () => sizeBytes(rng, cfg));
        const order = rng.int(0, 1) === 0;
        const mine = [...shared];
        for (const s of mine) ttmBoGet(s);
        lc.worker(`client${client}`, () => run.client(client, sizes, order, mine));
      }
      lc.start();
      for (const s of shared) runSync(sim.env, ttmBoPut(s));
      // Methods, not arrow properties: under tsx, keepNames names every arrow stored in a property with
      // a defineProperty call (a runtime call per function per run).
      return {
        stats() {
          return statsOf(run);
        },
        check() {
          return [...run.data.breaches, ...lc.check()];
        },
        describe() {
          return all.map(describeBo);
        },
        worlds() {
          return [global];
        },
      };
    },
  };
}

/**
 * One run: its device, counters and BOs, and the clients' bodies. The bodies are generator methods of
 * this class rather than generator closures made in the build, which kept the whole run alive through
 * young-generation collections (see RaceRun in race.ts).
 */
class VramPressureRun {
  readonly c: Counters = {
    created: 0,
    createFailures: 0,
    submits: 0,
    submitFailures: 0,
    backoffs: 0,
    pins: 0,
    pinFailures: 0,
    bytesMoved: 0,
    imports: 0,
  };
  readonly all: BufferObject[] = [];
  /** What every page must hold; GPU jobs read and write every page of their BOs (data_checks.ts). */
  readonly data: PageData;
  /** Client 0's CPU readbacks: faults taken, SIGBUS, pages mapped. */
  readonly reads: FaultTally = { faults: 0, sigbus: 0, pagesMapped: 0 };
  lc!: Lifecycle;

  constructor(
    readonly cfg: VramPressureConfig,
    readonly sim: Sim,
    readonly global: TtmGlobal,
    readonly dev: SimDevice,
  ) {
    this.data = new PageData([], stepCounter(sim));
  }

  /** Map `bo`, touch every page through the fault handler (checking its data), unmap it. */
  *readback(bo: BufferObject): KGen<void> {
    const vma = ttmBoMmapObj(bo);
    if (typeof vma === 'number') return;
    for (let page = 0; page < bo.numPages; page += 1) {
      if (!(yield* touchPage(vma, page, 'task:client0', this.reads, this.data.breaches, this.data))) break;
    }
    yield* ttmBoVmClose(vma);
  }

  /** A client: create its BOs, submit its frames (client 0 pins a scanout for a while), put them. */
  *client(
    client: number,
    sizes: readonly number[],
    order: boolean,
    mine: readonly BufferObject[],
  ): KGen<number> {
    const { cfg, c, dev } = this;
    const bos: BufferObject[] = [];
    // The client's page table, a kernel BO: in every frame's set, never mapped by userspace.
    const pt = newBufferObject(dev.bdev, cfg.pageTableKiB * 1024);
    this.all.push(pt);
    const ptRet = yield* ttmBoInitValidate(dev.bdev, pt, 'kernel', VRAM_OR_TT, 1, true, null);
    if (ptRet === 0) this.data.trackNew(pt);
    else c.createFailures += 1;
    for (const size of sizes) {
      const bo = newBufferObject(dev.bdev, size);
      this.all.push(bo);
      const ret = yield* ttmBoInitValidate(dev.bdev, bo, 'device', VRAM_OR_TT, 1, true, null);
      if (ret === 0) {
        this.data.trackNew(bo);
        bos.push(bo);
        c.created += 1;
      } else {
        c.createFailures += 1;
      }
    }
    const own = ptRet === 0 ? [pt, ...bos] : bos;
    const set = order ? [...own, ...mine] : [...mine, ...own];
    for (let frame = 0; frame < cfg.frames; frame += 1) {
      if (frame === Math.ceil(cfg.frames / 2)) yield* this.lc.freezePoint();
      if (client === 0 && frame === 1 && bos[0] !== undefined) yield* scanout(bos[0], true, c);
      const job = yield* submitFrame(dev, set, c, this.sim.env, this.data);
      // Present: the frame's fence goes into the first shared BO as an imported sync_file.
      if (job !== null && mine[0] !== undefined) yield* importSyncFile(mine[0], job, c);
      // The compositor reads the scanout (pinned from frame 1) and a shared BO back while the other
      // clients reserve, validate and evict: CPU faults race the tickets, pins and evictions.
      if (client === 0) {
        for (let r = 0; r < cfg.readbacks; r += 1) {
          if (bos[0] !== undefined) yield* this.readback(bos[0]);
          if (mine[0] !== undefined) yield* this.readback(mine[0]);
        }
      }
      if (client === 0 && frame === cfg.frames - 1 && bos[0] !== undefined) yield* scanout(bos[0], false, c);
    }
    for (const bo of bos) yield* ttmBoPut(bo);
    if (ptRet === 0) yield* ttmBoPut(pt);
    for (const s of mine) yield* ttmBoPut(s);
    return 0;
  }
}

/**
 * The run's statistics: counters, what the statecharts saw, BOs left. One object literal of fixed shape,
 * not the parts spread together: see statsOf in race.ts.
 */
function statsOf(run: VramPressureRun): Record<string, number> {
  const c = run.c;
  const m = run.sim.mirror;
  return {
    created: c.created,
    createFailures: c.createFailures,
    submits: c.submits,
    submitFailures: c.submitFailures,
    backoffs: c.backoffs,
    pins: c.pins,
    pinFailures: c.pinFailures,
    bytesMoved: c.bytesMoved,
    imports: c.imports,
    evictions: m.count('bo.evicted'),
    moves: m.count('bo.moved'),
    zombies: m.count('bo.zombie'),
    ghosts: m.count('bo.ghost'),
    destroyed: m.count('bo.destroy'),
    boCount: run.global.boCount,
    cpuFaults: run.reads.faults,
    sigbus: run.reads.sigbus,
    pagesMapped: run.reads.pagesMapped,
    ...dataStats(run.data),
    ...lifecycleStats(run.lc.c),
  };
}

function describeBo(bo: BufferObject): string {
  const where = bo.destroyed
    ? 'destroyed'
    : bo.resource === null
      ? 'no resource'
      : memTypeName(bo.resource.memType);
  return `${bo.id} ${bo.size / 1024} KiB: ${where}`;
}
