// bulk-lru: per-VM BOs sharing one reservation keep their resources contiguous on the LRUs in a bulk
// move (amdgpu's vm->lru_bulk_move), while other paths reorder, evict and free them one by one:
// - the VM task submits frames: it locks the VM's reservation, validates every per-VM BO into VRAM (TT as
//   fallback), fences them with one GPU job, bumps the whole bulk move to the LRU tail and unlocks; BOs
//   added to the VM since the last frame join the bulk move then (amdgpu_vm_bo_base_init);
// - a user task touches single per-VM BOs (reserve, unreserve: that BO alone goes to its range's tail);
// - a rival client validates its own BOs into VRAM, evicting per-VM BOs to TT;
// - a display task creates a scanout BO in the VM and pins it before the VM renders its first frame
//   (so the VM adopts it pinned); each flip, after the VM's frame, unpins it and pins it again; at the
//   end it unpins it in a last submission to the VM;
// - at the end everything is unpinned and put.
// The per-step oracles check LRU placement (pinned resources on the unevictable list, the others on
// their manager's LRU); at the end nothing may be left: no BO, no byte of VRAM or TT, no frame, no lock.

import type { Rng } from '../../engine/prng.ts';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitReserved,
  ttmBoPin,
  ttmBoPut,
  ttmBoReserve,
  ttmBoSetBulkMove,
  ttmBoUnpin,
  ttmBoUnreserve,
  ttmBoValidate,
} from '../../kernel/bo.ts';
import {
  PAGE_SIZE,
  TTM_PL_FLAG_FALLBACK,
  TTM_PL_SYSTEM,
  TTM_PL_TT,
  TTM_PL_VRAM,
} from '../../kernel/constants.ts';
import { TtmGlobal } from '../../kernel/device.ts';
import type { KGen } from '../../kernel/env.ts';
import { operationCtx, type Placement, place, placementOf } from '../../kernel/placement.ts';
import { LruBulkMove, ttmLruBulkMoveTail } from '../../kernel/resource.ts';
import { type DmaResv, DmaResvUsage } from '../../kernel/resv.ts';
import { createSimDevice, type SimDevice } from '../../kernel/simdrv.ts';
import { dataStats, PageData, stepCounter } from '../data_checks.ts';
import type { Breach, Scenario, Workload } from '../scenario.ts';
import type { Sim } from '../sim.ts';
import { LIFECYCLE, Lifecycle, lifecycleStats } from './lifecycle.ts';
import { oneWorldWorkload } from './race_common.ts';
import { Completion, checkErrno } from './swap_checks.ts';

export interface BulkLruConfig {
  readonly vramPages: number;
  readonly ttPages: number;
  /** Per-VM BOs (sharing the VM's reservation, in its bulk move). */
  readonly vmBos: number;
  readonly minVmBoPages: number;
  readonly maxVmBoPages: number;
  /** Frames the VM task submits. */
  readonly frames: number;
  /** Single-BO touches of the user task. */
  readonly touches: number;
  /** The rival client's BOs and frames. */
  readonly rivalBos: number;
  readonly rivalBoPages: number;
  readonly rivalFrames: number;
  readonly scanoutPages: number;
  /** Page flips: the scanout is pinned for one, unpinned before the next. */
  readonly flips: number;
  /**
   * Hibernate at the suspend (ttm_device_prepare_hibernation after the evictions: the VM's BOs evicted
   * to TT are swapped out). Absent from the defaults, so the built-in scenario's configuration and hash
   * stay as they were; only a caller that sets it gets the hibernating variant.
   */
  readonly hibernate?: boolean;
}

const DEFAULTS: BulkLruConfig = {
  vramPages: 32,
  ttPages: 128,
  vmBos: 3,
  minVmBoPages: 3,
  maxVmBoPages: 5,
  frames: 3,
  touches: 4,
  rivalBos: 2,
  rivalBoPages: 8,
  rivalFrames: 2,
  scanoutPages: 4,
  flips: 2,
};

const VRAM_OR_TT: Placement = placementOf(place(TTM_PL_VRAM), place(TTM_PL_TT, TTM_PL_FLAG_FALLBACK));
const VRAM_ONLY: Placement = placementOf(place(TTM_PL_VRAM));
const SYSTEM_ONLY: Placement = placementOf(place(TTM_PL_SYSTEM));

interface Counters {
  submits: number;
  validateFailures: number;
  touches: number;
  rivalSubmits: number;
  pins: number;
  pinFailures: number;
  adoptedPinned: number;
}

export function bulkLru(overrides: Partial<BulkLruConfig> = {}, name = 'bulk-lru'): Scenario {
  const cfg: BulkLruConfig = { ...DEFAULTS, ...overrides };
  return {
    name,
    summary: `a VM of ${cfg.vmBos} BOs in one bulk move (${cfg.frames} frames, ${cfg.touches} single-BO touches), a rival evicting them from ${cfg.vramPages} pages of VRAM, a scanout pinned for ${cfg.flips} flips and adopted by the VM`,
    config: { scenario: 'bulk-lru', ...cfg, lifecycle: LIFECYCLE },
    sometimes: [
      { id: 'evictions', description: 'a per-VM BO was evicted from VRAM' },
      { id: 'adoptedPinned', description: 'the VM adopted the scanout while it was pinned' },
    ],
    build(sim: Sim, rng: Rng): Workload {
      const global = new TtmGlobal();
      sim.adopt(global);
      const dev = createSimDevice(sim.env, global, 'device:0', {
        vramBytes: cfg.vramPages * PAGE_SIZE,
        ttBytes: cfg.ttPages * PAGE_SIZE,
      });
      const run = new BulkLruRun(cfg, sim, dev);
      run.data = new PageData(run.breaches, stepCounter(sim));
      // Suspend halfway (the VM's BOs evicted out of their bulk move's range, the pinned scanout kept),
      // resume, and once every task finished the BOs are put and the device torn down.
      const lc = new Lifecycle(sim, [{ global, devices: [dev], bos: run.all }], {
        hibernate: cfg.hibernate ?? false,
      });
      run.lc = lc;
      const vmSizes = Array.from({ length: cfg.vmBos }, () => rng.int(cfg.minVmBoPages, cfg.maxVmBoPages));
      lc.worker('vm', () => run.vm(vmSizes));
      const touchOrder = Array.from({ length: cfg.touches }, () => rng.int(0, cfg.vmBos - 1));
      lc.worker('user', () => run.user(touchOrder));
      lc.worker('rival', () => run.rival());
      lc.worker('display', () => run.display());
      lc.release = () => run.release();
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

/**
 * One run: its device, counters, breaches, BOs, bulk move and completions, and the tasks' bodies. The
 * bodies are generator methods of this class rather than generator closures made in the build, which
 * kept the whole run alive through young-generation collections (see RaceRun in race.ts).
 */
class BulkLruRun {
  readonly c: Counters = {
    submits: 0,
    validateFailures: 0,
    touches: 0,
    rivalSubmits: 0,
    pins: 0,
    pinFailures: 0,
    adoptedPinned: 0,
  };
  readonly breaches: Breach[] = [];
  /** What every page must hold, and the checks on every read (src/sim/data_checks.ts). */
  data!: PageData;
  readonly all: BufferObject[] = [];
  readonly bulk = new LruBulkMove();
  readonly vmReady: Completion;
  readonly displayReady: Completion;
  readonly frameDone: Completion[];
  readonly workDone: Completion;
  /** The vm, user, rival and display tasks not finished yet. */
  working = 4;
  readonly vmBos: BufferObject[] = [];
  /** BOs created in the VM and not yet in its bulk move. */
  readonly toAdopt: BufferObject[] = [];
  readonly rivalBos: BufferObject[] = [];
  /** The VM's page-directory BO: its reservation is the one every per-VM BO shares. */
  root: BufferObject | null = null;
  scanout: BufferObject | null = null;
  lc!: Lifecycle;

  constructor(
    readonly cfg: BulkLruConfig,
    readonly sim: Sim,
    readonly dev: SimDevice,
  ) {
    this.vmReady = new Completion(sim.env, 'vm-ready');
    this.displayReady = new Completion(sim.env, 'display-ready');
    this.frameDone = Array.from({ length: cfg.frames }, (_, f) => new Completion(sim.env, `frame-${f}`));
    this.workDone = new Completion(sim.env, 'work-done');
  }

  finished(): void {
    this.working -= 1;
    if (this.working === 0) this.workDone.complete();
  }

  /** A new BO validated into `placement`, reserved on return (its own resv, or `resv`, held). */
  *create(who: string, pages: number, placement: Placement, resv: DmaResv | null): KGen<BufferObject | null> {
    const bdev = this.dev.bdev;
    const bo = newBufferObject(bdev, pages * PAGE_SIZE);
    this.all.push(bo);
    const ctx = operationCtx({ interruptible: true });
    const ret = yield* ttmBoInitReserved(bdev, bo, 'device', placement, 1, ctx, null, resv, null);
    checkErrno(ret, `creating ${bo.id}`, who, this.breaches);
    if (ret !== 0) return null;
    this.data.trackNew(bo);
    return bo;
  }

  *validate(who: string, bo: BufferObject, placement: Placement): KGen<number> {
    const ret = yield* ttmBoValidate(bo, placement, operationCtx({ interruptible: true }));
    checkErrno(ret, `validating ${bo.id}`, who, this.breaches);
    if (ret !== 0) this.c.validateFailures += 1;
    return ret;
  }

  /** The VM: its page directory and per-VM BOs of `vmSizes` pages, then its frames. */
  *vm(vmSizes: readonly number[]): KGen<number> {
    const { cfg, c, bulk, vmBos, toAdopt, frameDone } = this;
    const pd = yield* this.create('task:vm', 1, SYSTEM_ONLY, null);
    if (pd !== null) {
      this.root = pd;
      for (const pages of vmSizes) {
        const bo = yield* this.create('task:vm', pages, VRAM_OR_TT, pd.resv);
        if (bo === null) continue;
        vmBos.push(bo);
        toAdopt.push(bo);
      }
      for (const bo of toAdopt.splice(0)) ttmBoSetBulkMove(bo, bulk);
      ttmBoUnreserve(pd);
    }
    this.vmReady.complete();
    // The first frame is rendered once the display has its framebuffer.
    yield* this.displayReady.wait();
    for (let frame = 0; frame < cfg.frames && pd !== null; frame += 1) {
      if (frame === Math.ceil(cfg.frames / 2)) yield* this.lc.freezePoint();
      yield { kind: 'yield', label: 'vm.frame' };
      if ((yield* ttmBoReserve(pd, true, false, null)) !== 0) {
        frameDone[frame]!.complete();
        continue;
      }
      for (const bo of toAdopt.splice(0)) {
        if (bo.pinCount > 0) c.adoptedPinned += 1;
        ttmBoSetBulkMove(bo, bulk);
      }
      let ok = true;
      for (const bo of vmBos) if ((yield* this.validate('task:vm', bo, VRAM_OR_TT)) !== 0) ok = false;
      if (ok) {
        const job = this.dev.gfxRing.emit();
        // The VM's job reads and writes every page of its BOs once their fences signalled.
        this.data.gpuJob(vmBos, job, 'task:vm');
        if (pd.resv.reserveFences(1) === 0) pd.resv.addFence(job, DmaResvUsage.BOOKKEEP);
        c.submits += 1;
      }
      // amdgpu_vm_move_to_lru_tail: the whole VM at once, then the lock goes.
      ttmLruBulkMoveTail(bulk);
      pd.resv.unlock();
      frameDone[frame]!.complete();
    }
    for (const done of frameDone) done.complete();
    this.finished();
    return 0;
  }

  /** The user: touches the per-VM BOs of `touchOrder` one by one. */
  *user(touchOrder: readonly number[]): KGen<number> {
    yield* this.vmReady.wait();
    for (const [n, i] of touchOrder.entries()) {
      if (n === Math.ceil(touchOrder.length / 2)) yield* this.lc.freezePoint();
      yield { kind: 'yield', label: 'user.touch' };
      const bo = this.vmBos[i];
      if (bo === undefined) continue;
      // A CPU access: reserve the BO, then unreserve, which bumps it alone to its range's tail.
      if ((yield* ttmBoReserve(bo, true, false, null)) !== 0) continue;
      this.c.touches += 1;
      ttmBoUnreserve(bo);
    }
    this.finished();
    return 0;
  }

  *rival(): KGen<number> {
    const { cfg, rivalBos } = this;
    for (let i = 0; i < cfg.rivalBos; i += 1) {
      const bo = yield* this.create('task:rival', cfg.rivalBoPages, VRAM_OR_TT, null);
      if (bo === null) continue;
      rivalBos.push(bo);
      ttmBoUnreserve(bo);
    }
    for (let frame = 0; frame < cfg.rivalFrames; frame += 1) {
      if (frame === Math.ceil(cfg.rivalFrames / 2)) yield* this.lc.freezePoint();
      for (const bo of rivalBos) {
        if ((yield* ttmBoReserve(bo, true, false, null)) !== 0) continue;
        if ((yield* this.validate('task:rival', bo, VRAM_OR_TT)) === 0) {
          const job = this.dev.gfxRing.emit();
          this.data.gpuJob([bo], job, 'task:rival');
          if (bo.resv.reserveFences(1) === 0) bo.resv.addFence(job, DmaResvUsage.WRITE);
          this.c.rivalSubmits += 1;
        }
        ttmBoUnreserve(bo);
      }
    }
    this.finished();
    return 0;
  }

  /** Pin the (reserved) scanout into VRAM for a flip. */
  *pin(bo: BufferObject): KGen<void> {
    if ((yield* this.validate('task:display', bo, VRAM_ONLY)) === 0) {
      ttmBoPin(bo);
      this.c.pins += 1;
    } else {
      this.c.pinFailures += 1;
    }
  }

  *display(): KGen<number> {
    const cfg = this.cfg;
    yield* this.vmReady.wait();
    const pd = this.root;
    // The first modeset: the framebuffer is created in the VM and pinned at once; the VM adopts it
    // at its next frame.
    if (pd !== null && (yield* ttmBoReserve(pd, true, false, null)) === 0) {
      const bo = yield* this.create('task:display', cfg.scanoutPages, VRAM_OR_TT, pd.resv);
      if (bo !== null) {
        this.scanout = bo;
        this.toAdopt.push(bo);
        yield* this.pin(bo);
      }
      pd.resv.unlock();
    }
    this.displayReady.complete();
    const bo = this.scanout;
    for (let flip = 0; flip < cfg.flips && bo !== null; flip += 1) {
      // A flip to the frame the VM rendered: unpinned and pinned again to show it, under one lock. The
      // display may wait for a frame the frozen VM renders after the resume: it is frozen first.
      yield* this.lc.freezePoint();
      yield* this.frameDone[Math.min(flip, cfg.frames - 1)]!.wait();
      if ((yield* ttmBoReserve(bo, false, false, null)) !== 0) continue;
      if (bo.pinCount > 0) ttmBoUnpin(bo);
      yield* this.pin(bo);
      bo.resv.unlock();
    }
    // Switched off: unpinned for good. An unpinned resource joins the VM's bulk move where it is (its
    // range may be empty, the resource still on the unevictable list), so the display's last
    // submission in the VM bumps the bulk move before the lock goes, as every VM submission does.
    if (bo !== null && (yield* ttmBoReserve(bo, false, false, null)) === 0) {
      while (bo.pinCount > 0) ttmBoUnpin(bo);
      ttmLruBulkMoveTail(this.bulk);
      ttmBoUnreserve(bo);
    }
    this.finished();
    return 0;
  }

  /** Every task finished: the last references go (the lifecycle then tears the device down). */
  *release(): KGen<void> {
    for (const bo of [this.scanout, ...this.vmBos, ...this.rivalBos, this.root]) {
      if (bo === null) continue;
      yield { kind: 'yield', label: 'teardown.put' };
      if (bo.bulkMove !== null && (yield* ttmBoReserve(bo, false, false, null)) === 0) {
        // amdgpu_vm_bo_del: the BO leaves the VM's bulk move (resv held) before its last reference goes.
        ttmBoSetBulkMove(bo, null);
        ttmBoUnreserve(bo);
      }
      yield* ttmBoPut(bo);
    }
  }
}

/**
 * The run's statistics: counters, what the statecharts saw, BOs left. One object literal of fixed shape,
 * not the parts spread together: see statsOf in race.ts.
 */
function statsOf(run: BulkLruRun, global: TtmGlobal): Record<string, number> {
  const c = run.c;
  const m = run.sim.mirror;
  return {
    submits: c.submits,
    validateFailures: c.validateFailures,
    touches: c.touches,
    rivalSubmits: c.rivalSubmits,
    pins: c.pins,
    pinFailures: c.pinFailures,
    adoptedPinned: c.adoptedPinned,
    evictions: m.count('bo.evicted'),
    zombies: m.count('bo.zombie'),
    boCount: global.boCount,
    ...dataStats(run.data),
    ...lifecycleStats(run.lc.c),
  };
}
