// move-race: pipelined moves, evictions, ghosts and gutting racing CPU faults and ptrace-style access on
// an amdgpu-style device whose DMA goes through an IOMMU. Client tasks keep validating their BOs into a
// small VRAM, evicting each other: VRAM→TT copies are pipelined behind the manager's move fence, TT→VRAM
// moves leave ghosts holding the old memory until the copy's fence signals. VRAM evicts to TT or, when
// TT has no room, to SYSTEM (amdgpu's GTT|CPU eviction domain), which needs a bounce through TT
// (-EMULTIHOP). A reader creates staging BOs in SYSTEM, mmaps them and touches every page, so the CPU
// fault handler populates them. A purger drops the backing store of a busy scratch BO (pipelined gutting:
// a ghost keeps the old memory) while a dumper reads the scratch BO through ttm_bo_access. At the end
// every BO is put. The run checks what userspace sees (only errors ttm_bo_validate and ttm_bo_access
// return, never VM_FAULT_OOM from a TTM fault) and that nothing is left: no BO, no byte of VRAM or TT,
// no IOMMU mapping, no fence reference, no frame, no lock.

import type { Rng } from '../../engine/prng.ts';
import {
  type BufferObject,
  newBufferObject,
  ttmBoGet,
  ttmBoInitValidate,
  ttmBoPut,
  ttmBoReserve,
  ttmBoUnreserve,
  ttmBoValidate,
} from '../../kernel/bo.ts';
import { ttmBoAccess, ttmBoMmapObj, ttmBoVmClose } from '../../kernel/bo_vm.ts';
import {
  type Caching,
  PAGE_SIZE,
  TTM_PL_FLAG_FALLBACK,
  TTM_PL_SYSTEM,
  TTM_PL_TT,
  TTM_PL_VRAM,
} from '../../kernel/constants.ts';
import { type DeviceFuncs, TtmGlobal } from '../../kernel/device.ts';
import type { KGen } from '../../kernel/env.ts';
import { EFAULT, EIO, ENODATA, ENOMEM, ERESTARTSYS, errnoName } from '../../kernel/errno.ts';
import { NO_PLACEMENT, operationCtx, type Placement, place, placementOf } from '../../kernel/placement.ts';
import { DmaResvUsage } from '../../kernel/resv.ts';
import { createSimDevice, type SimDevice } from '../../kernel/simdrv.ts';
import { ttmSgTtInit } from '../../kernel/tt.ts';
import { dataStats, PageData, stepCounter } from '../data_checks.ts';
import type { Breach, Scenario, Workload } from '../scenario.ts';
import type { Sim } from '../sim.ts';
import { LIFECYCLE, Lifecycle, lifecycleStats } from './lifecycle.ts';
import { type FaultTally, oneWorldWorkload, touchPage, VALIDATE_ERRNOS } from './race_common.ts';

export interface MoveRaceConfig {
  readonly vramPages: number;
  readonly ttPages: number;
  /** The device's IOVA space in pages. */
  readonly iovaPages: number;
  readonly clients: number;
  readonly bosPerClient: number;
  /** Rounds of validate-into-VRAM per client. */
  readonly frames: number;
  readonly minBoPages: number;
  readonly maxBoPages: number;
  readonly scratchPages: number;
  /** Staging BOs the reader creates in SYSTEM and faults in. */
  readonly stagingBos: number;
  readonly minStagingPages: number;
  readonly maxStagingPages: number;
  /** Caching of the staging BOs' tts (USWC upload buffers are write-combined). */
  readonly stagingCaching: Caching;
  /** ttm_bo_access calls of the dumper on the scratch BO. */
  readonly dumps: number;
}

const DEFAULTS: MoveRaceConfig = {
  vramPages: 24,
  ttPages: 16,
  iovaPages: 256,
  clients: 2,
  bosPerClient: 3,
  frames: 3,
  minBoPages: 4,
  maxBoPages: 10,
  scratchPages: 6,
  stagingBos: 3,
  minStagingPages: 3,
  maxStagingPages: 7,
  stagingCaching: 'write_combined',
  dumps: 3,
};

/** User BOs: VRAM, or TT when VRAM cannot be made free. */
const VRAM_OR_TT: Placement = placementOf(place(TTM_PL_VRAM), place(TTM_PL_TT, TTM_PL_FLAG_FALLBACK));
const SYSTEM_ONLY: Placement = placementOf(place(TTM_PL_SYSTEM));
/** amdgpu_evict_flags for VRAM: the GTT | CPU domain; SYSTEM is taken when GTT has no room. */
const GTT_OR_CPU: Placement = placementOf(place(TTM_PL_TT), place(TTM_PL_SYSTEM));

/** What ttm_bo_access may return besides the length (-EIO for VRAM: no access_memory hook in the model). */
const ACCESS_ERRNOS: ReadonlySet<number> = new Set([-EIO, -ENODATA, -ERESTARTSYS, -ENOMEM, -EFAULT]);

interface Counters extends FaultTally {
  created: number;
  createFailures: number;
  validated: number;
  validateFailures: number;
  purges: number;
  dumpsOk: number;
  dumpsNoData: number;
}

export function moveRace(overrides: Partial<MoveRaceConfig> = {}, name = 'move-race'): Scenario {
  const cfg: MoveRaceConfig = { ...DEFAULTS, ...overrides };
  return {
    name,
    summary: `${cfg.clients} clients × ${cfg.bosPerClient} BOs in ${cfg.vramPages} pages of VRAM and ${cfg.ttPages} of TT (IOMMU): pipelined moves, multihop evictions, ghosts, gutting vs ttm_bo_access, faults populating staging BOs`,
    config: { scenario: 'move-race', ...cfg, lifecycle: LIFECYCLE },
    build(sim: Sim, rng: Rng): Workload {
      const global = new TtmGlobal();
      sim.adopt(global);
      const dev = createSimDevice(sim.env, global, 'device:0', {
        vramBytes: cfg.vramPages * PAGE_SIZE,
        ttBytes: cfg.ttPages * PAGE_SIZE,
        iommuPages: cfg.iovaPages,
      });
      const run = new MoveRaceRun(cfg, dev);
      run.data = new PageData(run.breaches, stepCounter(sim));
      dev.bdev.funcs = moveRaceFuncs(dev.bdev.funcs, run.staging, cfg.stagingCaching);
      // Suspend halfway through the frames, resume, teardown once every BO was put.
      const lc = new Lifecycle(sim, [{ global, devices: [dev], bos: run.all }], { hibernate: false });
      run.lc = lc;

      for (let client = 0; client < cfg.clients; client += 1) {
        const sizes = Array.from({ length: cfg.bosPerClient }, () => rng.int(cfg.minBoPages, cfg.maxBoPages));
        lc.worker(`client${client}`, () => run.client(`task:client${client}`, sizes));
      }

      // The reader: staging BOs in SYSTEM, populated by the CPU fault handler.
      const stagingSizes = Array.from({ length: cfg.stagingBos }, () =>
        rng.int(cfg.minStagingPages, cfg.maxStagingPages),
      );
      lc.worker('reader', () => run.reader(stagingSizes));

      // The scratch BO: its backing store dropped by the purger while the GPU uses it, read by the dumper.
      lc.worker('purger', () => run.purger());
      lc.worker('dumper', () => run.dumper());
      lc.start();

      return oneWorldWorkload(
        global,
        run.all,
        () => statsOf(run, sim, global),
        () => [...run.breaches, ...lc.check()],
      );
    },
  };
}

/**
 * The driver's funcs of `base`, amdgpu's way: USWC GTT BOs (staging BOs with `stagingCaching`), DMA
 * addresses through the IOMMU (ttm_sg_tt_init), VRAM evicted to GTT or CPU.
 */
function moveRaceFuncs(
  base: DeviceFuncs,
  staging: WeakSet<BufferObject>,
  stagingCaching: Caching,
): DeviceFuncs {
  return {
    ...base,
    ttmTtCreate(bo, pageFlags) {
      return ttmSgTtInit(bo, pageFlags, staging.has(bo) ? stagingCaching : 'write_combined');
    },
    evictFlags(bo) {
      return bo.resource?.memType === TTM_PL_VRAM ? GTT_OR_CPU : base.evictFlags(bo);
    },
  };
}

/**
 * One run: its device, counters, breaches and BOs, and the tasks' bodies. The bodies are generator
 * methods of this class rather than generator closures made in the build, which kept the whole run
 * alive through young-generation collections (see RaceRun in race.ts).
 */
class MoveRaceRun {
  lc!: Lifecycle;
  readonly c: Counters = {
    created: 0,
    createFailures: 0,
    validated: 0,
    validateFailures: 0,
    faults: 0,
    sigbus: 0,
    pagesMapped: 0,
    purges: 0,
    dumpsOk: 0,
    dumpsNoData: 0,
  };
  readonly breaches: Breach[] = [];
  /** What every page must hold, and the checks on every read (src/sim/data_checks.ts). */
  data!: PageData;
  readonly all: BufferObject[] = [];
  /** The reader's staging BOs (their tts take the staging caching). */
  readonly staging = new WeakSet<BufferObject>();
  /** The purger's scratch BO, once created (null when that failed). */
  scratch: BufferObject | null = null;
  /** Whether the purger is done creating and fencing the scratch BO. */
  scratchSettled = false;

  constructor(
    readonly cfg: MoveRaceConfig,
    readonly dev: SimDevice,
  ) {}

  /** A ttm_bo_validate (or creation) error must be one userspace may see. */
  checkErrno(ret: number, who: string, bo: BufferObject): void {
    if (ret === 0 || VALIDATE_ERRNOS.has(ret)) return;
    this.breaches.push({
      id: 'correctness.errno',
      actor: who,
      message: `ttm_bo_validate of ${bo.id} returned ${errnoName(ret)}, which it never returns to userspace`,
    });
  }

  /** A new BO, validated (interruptibly) into `placement` and unreserved; null when that failed. */
  *create(who: string, pages: number, placement: Placement, isStaging: boolean): KGen<BufferObject | null> {
    const bdev = this.dev.bdev;
    const bo = newBufferObject(bdev, pages * PAGE_SIZE);
    if (isStaging) this.staging.add(bo);
    this.all.push(bo);
    const ret = yield* ttmBoInitValidate(bdev, bo, 'device', placement, 1, true, null);
    this.checkErrno(ret, who, bo);
    if (ret !== 0) {
      this.c.createFailures += 1;
      return null;
    }
    this.c.created += 1;
    // The purger's scratch BO loses its data by design (its backing store is dropped).
    this.data.trackNew(bo, who === 'task:purger');
    return bo;
  }

  /** A client (`who`): create BOs of `sizes` pages, validate them into VRAM frame after frame, put them. */
  *client(who: string, sizes: readonly number[]): KGen<number> {
    const c = this.c;
    const bos: BufferObject[] = [];
    for (const pages of sizes) {
      const bo = yield* this.create(who, pages, VRAM_OR_TT, false);
      if (bo !== null) bos.push(bo);
    }
    for (let frame = 0; frame < this.cfg.frames; frame += 1) {
      if (frame === Math.ceil(this.cfg.frames / 2)) yield* this.lc.freezePoint();
      for (const bo of bos) {
        if ((yield* ttmBoReserve(bo, true, false, null)) !== 0) continue;
        const ret = yield* ttmBoValidate(bo, VRAM_OR_TT, operationCtx({ interruptible: true }));
        this.checkErrno(ret, who, bo);
        if (ret === 0) {
          c.validated += 1;
          // The frame's GPU job uses the BO: it reads and writes every page once its fences signalled.
          const job = this.dev.gfxRing.emit();
          this.data.gpuJob([bo], job, who);
          bo.resv.reserveFences(1);
          bo.resv.addFence(job, DmaResvUsage.WRITE);
        } else {
          c.validateFailures += 1;
        }
        ttmBoUnreserve(bo);
      }
    }
    for (const bo of bos) yield* ttmBoPut(bo);
    return 0;
  }

  /** The reader: a staging BO of each size in SYSTEM, mapped and touched page by page, then put. */
  *reader(stagingSizes: readonly number[]): KGen<number> {
    for (const [i, pages] of stagingSizes.entries()) {
      if (i === Math.ceil(stagingSizes.length / 2)) yield* this.lc.freezePoint();
      const bo = yield* this.create('task:reader', pages, SYSTEM_ONLY, true);
      if (bo === null) continue;
      const vma = ttmBoMmapObj(bo);
      if (typeof vma !== 'number') {
        for (let page = 0; page < pages; page += 1) {
          if (!(yield* touchPage(vma, page, 'task:reader', this.c, this.breaches, this.data))) break;
        }
        yield* ttmBoVmClose(vma);
      }
      yield* ttmBoPut(bo);
    }
    return 0;
  }

  /** The purger: create the scratch BO and fence it, then drop its backing store while the GPU uses it. */
  *purger(): KGen<number> {
    const scratch = yield* this.create('task:purger', this.cfg.scratchPages, VRAM_OR_TT, false);
    this.scratch = scratch;
    if (scratch !== null) {
      ttmBoGet(scratch); // the dumper's reference
      if ((yield* ttmBoReserve(scratch, true, false, null)) === 0) {
        const job = this.dev.gfxRing.emit();
        this.data.gpuJob([scratch], job, 'task:purger');
        scratch.resv.reserveFences(1);
        scratch.resv.addFence(job, DmaResvUsage.WRITE);
        ttmBoUnreserve(scratch);
      }
    }
    this.scratchSettled = true;
    if (scratch === null) return 0;
    // Purge when the dumper wakes up too.
    yield { kind: 'sleep', ms: 1 };
    if ((yield* ttmBoReserve(scratch, true, false, null)) === 0) {
      // madvise(DONTNEED)-style: an empty placement drops the backing store (pipelined gutting).
      const ret = yield* ttmBoValidate(scratch, NO_PLACEMENT, operationCtx({ interruptible: true }));
      this.checkErrno(ret, 'task:purger', scratch);
      if (ret === 0) this.c.purges += 1;
      ttmBoUnreserve(scratch);
    }
    yield* ttmBoPut(scratch);
    return 0;
  }

  /** The dumper: once the scratch BO is settled, read its first page through ttm_bo_access, then put it. */
  *dumper(): KGen<number> {
    while (!this.scratchSettled) yield { kind: 'sleep', ms: 1 };
    const bo = this.scratch;
    if (bo === null) return 0;
    for (let i = 0; i < this.cfg.dumps; i += 1) {
      if (i === Math.ceil(this.cfg.dumps / 2)) yield* this.lc.freezePoint();
      const buf: number[] = [];
      const ret = yield* ttmBoAccess(bo, 0, PAGE_SIZE, false, buf);
      if (ret === PAGE_SIZE) this.c.dumpsOk += 1;
      else if (ret === -ENODATA) this.c.dumpsNoData += 1;
      else if (!ACCESS_ERRNOS.has(ret)) {
        this.breaches.push({
          id: 'correctness.errno',
          actor: 'task:dumper',
          message: `ttm_bo_access of ${bo.id} returned ${errnoName(ret)}`,
        });
      }
      yield { kind: 'sleep', ms: 1 };
    }
    yield* ttmBoPut(bo);
    return 0;
  }
}

/**
 * The run's statistics: counters, what the statecharts saw, BOs left. One object literal of fixed shape,
 * not the parts spread together: see statsOf in race.ts.
 */
function statsOf(run: MoveRaceRun, sim: Sim, global: TtmGlobal): Record<string, number> {
  const c = run.c;
  const m = sim.mirror;
  return {
    created: c.created,
    createFailures: c.createFailures,
    validated: c.validated,
    validateFailures: c.validateFailures,
    faults: c.faults,
    sigbus: c.sigbus,
    pagesMapped: c.pagesMapped,
    purges: c.purges,
    dumpsOk: c.dumpsOk,
    dumpsNoData: c.dumpsNoData,
    evictions: m.count('bo.evicted'),
    moves: m.count('bo.moved'),
    ghosts: m.count('bo.ghost'),
    zombies: m.count('bo.zombie'),
    boCount: global.boCount,
    ...dataStats(run.data),
    ...lifecycleStats(run.lc.c),
  };
}
