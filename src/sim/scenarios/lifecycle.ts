// The whole life of a scenario's TTM worlds, written once for every scenario: device init (the scenario
// builds its devices), work, suspend, resume, more work, teardown. The scenario spawns its work through
// `worker` and places one `freezePoint` in each worker's loop where it holds no lock; the `lifecycle` task
// does the rest:
// - suspend, once every worker is parked at its freeze point or finished (the freezer: user tasks stop
//   where they would return to userspace, so no ioctl or CPU fault is inside the kernel; the ttm
//   workqueue's delayed deletes and the GPU rings run on and race the suspend): for each device
//   ttm_resource_manager_evict_all of VRAM, then of TT (amdgpu_device_evict_resources evicts VRAM;
//   xe_bo_evict_all the driver's managers), then, where the scenario models swap, hibernation's
//   ttm_device_prepare_hibernation (every BO of the use_tt managers swapped out to shmem);
// - resume: the workers are thawed and validate their BOs back (swap-in, restores) as they go on;
// - teardown, once every worker finished (and put its BOs): drain_workqueue(bdev->wq) for the delayed
//   deletes (amdgpu_device_fini_hw), ttm_range_man_fini of VRAM then TT (amdgpu_ttm_fini's order), and
//   ttm_device_fini (SYSTEM manager, device list, pool; the last device of a world takes the global pools
//   down).
// A suspend step that fails (no room to evict to, no swap left) aborts the suspend of that device, as a
// failed prepare aborts the system suspend; the devices resume all the same. ttm_range_man_fini returns
// evict_all's error only when a BO is still alive at teardown; the lifecycle goes on with the unload and
// the end checks report the BO and the memory it holds. `check` makes the end-of-run
// checks of src/sim/end_checks.ts over every world.

import type { BufferObject } from '../../kernel/bo.ts';
import { ttmResourceManagerEvictAll } from '../../kernel/bo.ts';
import { TTM_PL_SYSTEM } from '../../kernel/constants.ts';
import { type TtmGlobal, ttmDeviceFini } from '../../kernel/device.ts';
import type { KGen } from '../../kernel/env.ts';
import { EBUSY, EFAULT, ENOMEM, ENOSPC, errnoName } from '../../kernel/errno.ts';
import { DmaFence } from '../../kernel/fence.ts';
import type { Iommu } from '../../kernel/iommu.ts';
import type { ResourceManager } from '../../kernel/resource.ts';
import type { SimDevice } from '../../kernel/simdrv.ts';
import {
  ttmDeviceDrainWorkqueue,
  ttmDevicePrepareHibernation,
  ttmRangeManFini,
} from '../../kernel/teardown.ts';
import { endOfLifeChecks, traceAgreesChecks, traceObjectsChecks, type WorldRecord } from '../end_checks.ts';
import type { Breach } from '../scenario.ts';
import type { Sim } from '../sim.ts';

/** In the configuration (and so the hash) of every scenario that lives the whole life described above. */
export const LIFECYCLE = 'init,work,suspend,resume,work,teardown';

/**
 * What ttm_resource_manager_evict_all and ttm_device_prepare_hibernation may return in a suspend (no
 * space to evict to, no page or swap for a swapout, an IOVA map failure, a BO that cannot be moved now);
 * never a signal (their contexts are uninterruptible) or a kernel-internal code.
 */
export const SUSPEND_ERRNOS: ReadonlySet<number> = new Set([-ENOMEM, -ENOSPC, -EFAULT, -EBUSY]);

export interface LifecycleOptions {
  /** Hibernate: after the evictions, swap every BO of the use_tt managers out (the scenario models swap). */
  readonly hibernate: boolean;
}

/** One world of the scenario and its devices (a world is one TtmGlobal: RAM, swap, pools). */
export interface LifeWorld {
  readonly global: TtmGlobal;
  readonly devices: readonly SimDevice[];
  /** Every BO the scenario made in this world (for the lock check at the end). */
  readonly bos: readonly BufferObject[];
}

/** What the lifecycle did, for the scenario's statistics (fixed key order). */
export interface LifecycleCounters {
  /** Workers spawned through the lifecycle. */
  workers: number;
  /** Workers that stopped at their freeze point (the others finished before the suspend). */
  frozen: number;
  /** BOs alive when the suspend began. */
  bosAtSuspend: number;
  /** Bytes in the driver managers (VRAM and TT) when the suspend began, and once it was done. */
  usageAtSuspend: number;
  usageAfterSuspend: number;
  suspends: number;
  evictAlls: number;
  /** ttm_device_prepare_hibernation calls. */
  hibernations: number;
  /** Suspend steps that failed (the suspend of that device was aborted). */
  suspendErrors: number;
  resumes: number;
  /** Workqueue drains, managers taken down (ttm_range_man_fini returned 0), devices finalised. */
  drains: number;
  managersFini: number;
  devicesFini: number;
  teardowns: number;
}

/** The statistics keys a scenario adds for its lifecycle, in this order. */
export function lifecycleStats(c: LifecycleCounters): Record<string, number> {
  return {
    lifeWorkers: c.workers,
    lifeFrozen: c.frozen,
    lifeBosAtSuspend: c.bosAtSuspend,
    lifeUsageAtSuspend: c.usageAtSuspend,
    lifeUsageAfterSuspend: c.usageAfterSuspend,
    lifeSuspends: c.suspends,
    lifeEvictAlls: c.evictAlls,
    lifeHibernations: c.hibernations,
    lifeSuspendErrors: c.suspendErrors,
    lifeResumes: c.resumes,
    lifeDrains: c.drains,
    lifeManagersFini: c.managersFini,
    lifeDevicesFini: c.devicesFini,
    lifeTeardowns: c.teardowns,
  };
}

/** A worker's body run to its end, then its completion signalled (a module-level generator: see gc-lint). */
function* lifeWorker(lc: Lifecycle, slot: number, body: () => KGen<unknown>): KGen<unknown> {
  const ret = yield* body();
  lc.workerDone(slot);
  return ret;
}

/** The lifecycle task's body. */
function* lifeTask(lc: Lifecycle): KGen<number> {
  yield* lc.waitAll(lc.parked);
  yield* lc.suspend();
  lc.resume();
  yield* lc.waitAll(lc.done);
  if (lc.release !== null) yield* lc.release();
  yield* lc.teardown();
  return 0;
}

export class Lifecycle {
  readonly c: LifecycleCounters = {
    workers: 0,
    frozen: 0,
    bosAtSuspend: 0,
    usageAtSuspend: 0,
    usageAfterSuspend: 0,
    suspends: 0,
    evictAlls: 0,
    hibernations: 0,
    suspendErrors: 0,
    resumes: 0,
    drains: 0,
    managersFini: 0,
    devicesFini: 0,
    teardowns: 0,
  };
  readonly breaches: Breach[] = [];
  /** Per worker: signalled when it reaches its freeze point or finishes. */
  readonly parked: DmaFence[] = [];
  /** Per worker: signalled when it finishes. */
  readonly done: DmaFence[] = [];
  /**
   * The last references the scenario itself holds (BOs it created and no worker puts), put by the
   * lifecycle task once every worker finished, before the teardown; null when the workers put them all.
   */
  release: (() => KGen<void>) | null = null;
  /** Signalled at resume: frozen workers go on. */
  private readonly thawed = new DmaFence(0, 0, 'fence:lifecycle.thawed');
  private readonly records: WorldRecord[];
  /** Each worker's slot, by task id. */
  private readonly slots = new Map<string, number>();
  private tornDown = false;

  constructor(
    private readonly sim: Sim,
    private readonly worlds: readonly LifeWorld[],
    private readonly opts: LifecycleOptions,
  ) {
    // What teardown detaches (the managers) is kept here for the end checks.
    this.records = worlds.map((w) => {
      const iommus: Iommu[] = [];
      for (const d of w.devices) {
        const i = d.bdev.iommu;
        if (i !== null && !iommus.includes(i)) iommus.push(i);
      }
      return {
        global: w.global,
        devices: w.devices.map((d) => ({
          bdev: d.bdev,
          managers: [d.bdev.manager(TTM_PL_SYSTEM), d.tt, d.vram].filter(
            (m): m is ResourceManager => m !== null,
          ),
        })),
        iommus,
        bos: w.bos,
      };
    });
  }

  /**
   * Spawn a worker task the lifecycle waits for: before suspending (freeze) and before teardown. A worker
   * the run leaves out (shrinking omits it) counts as finished.
   */
  worker(name: string, body: () => KGen<unknown>): void {
    const slot = this.parked.length;
    this.parked.push(new DmaFence(0, slot, `fence:lifecycle.parked.${name}`));
    this.done.push(new DmaFence(0, slot, `fence:lifecycle.done.${name}`));
    this.slots.set(`task:${name}`, slot);
    this.c.workers += 1;
    const task = this.sim.spawn(name, () => lifeWorker(this, slot, body));
    if (!this.sim.allTasks().includes(task)) this.workerDone(slot);
  }

  /** Spawn the lifecycle task; call once the scenario spawned its first workers. */
  start(): void {
    this.sim.spawn('lifecycle', () => lifeTask(this));
  }

  /**
   * try_to_freeze: before the suspend, the calling worker parks here until the devices resumed (once;
   * later calls and calls after the resume return at once). The caller holds no lock.
   */
  *freezePoint(): KGen<void> {
    const slot = this.slots.get(this.sim.env.current());
    if (slot === undefined) throw new Error(`lifecycle: ${this.sim.env.current()} is not a worker`);
    const parked = this.parked[slot]!;
    if (this.thawed.signaled || parked.signaled) return;
    this.c.frozen += 1;
    parked.signal();
    yield { kind: 'fences', fences: [this.thawed], interruptible: false, timeoutMs: null };
  }

  workerDone(slot: number): void {
    this.parked[slot]!.signal();
    this.done[slot]!.signal();
  }

  /** Wait until every fence of `list` is signalled, including those of workers spawned meanwhile. */
  *waitAll(list: readonly DmaFence[]): KGen<void> {
    for (;;) {
      const pending = list.filter((f) => !f.signaled);
      if (pending.length === 0) return;
      yield { kind: 'fences', fences: pending, interruptible: false, timeoutMs: null };
    }
  }

  private suspendFailed(ret: number, dev: SimDevice, what: string): void {
    this.c.suspendErrors += 1;
    if (SUSPEND_ERRNOS.has(ret)) return;
    this.breaches.push({
      id: 'correctness.errno',
      actor: 'task:lifecycle',
      message: `suspend of ${dev.bdev.id}: ${what} returned ${errnoName(ret)}`,
    });
  }

  /** Evict every driver manager of every device, then (hibernation) swap out what is left in tts. */
  *suspend(): KGen<void> {
    const c = this.c;
    c.suspends += 1;
    for (const w of this.worlds) {
      c.bosAtSuspend += w.global.bos.size;
      for (const d of w.devices) c.usageAtSuspend += d.vram.usage + d.tt.usage;
    }
    for (const w of this.worlds) {
      for (const d of w.devices) {
        let ret = 0;
        for (const man of [d.vram, d.tt]) {
          c.evictAlls += 1;
          ret = yield* ttmResourceManagerEvictAll(d.bdev, man);
          if (ret !== 0) {
            this.suspendFailed(ret, d, `ttm_resource_manager_evict_all of ${man.id}`);
            break;
          }
        }
        if (ret !== 0 || !this.opts.hibernate) continue;
        c.hibernations += 1;
        ret = yield* ttmDevicePrepareHibernation(d.bdev);
        if (ret !== 0) this.suspendFailed(ret, d, 'ttm_device_prepare_hibernation');
      }
    }
    for (const w of this.worlds) for (const d of w.devices) c.usageAfterSuspend += d.vram.usage + d.tt.usage;
  }

  /** The devices are back: frozen workers go on. */
  resume(): void {
    this.c.resumes += 1;
    this.thawed.signal();
  }

  /** Every worker finished and put its BOs: drain the delayed deletes, take the managers and devices down. */
  *teardown(): KGen<void> {
    const c = this.c;
    for (const w of this.worlds) {
      for (const d of w.devices) {
        c.drains += 1;
        yield* ttmDeviceDrainWorkqueue(d.bdev);
      }
    }
    for (const w of this.worlds) {
      for (const d of w.devices) {
        for (const man of [d.vram, d.tt]) {
          const ret = yield* ttmRangeManFini(d.bdev, man.memType);
          if (ret === 0) c.managersFini += 1;
          else if (!SUSPEND_ERRNOS.has(ret)) {
            this.breaches.push({
              id: 'correctness.errno',
              actor: 'task:lifecycle',
              message: `ttm_range_man_fini of ${man.id} returned ${errnoName(ret)}, which ttm_resource_manager_evict_all never returns`,
            });
          }
          // Otherwise evict_all met a BO still alive and failed to move it (upstream returns its error and
          // the driver's unload goes on, as amdgpu_ttm_fini does): the end checks report what is left.
        }
        ttmDeviceFini(d.bdev);
        c.devicesFini += 1;
      }
    }
    c.teardowns += 1;
    this.tornDown = true;
  }

  /** The lifecycle's own breaches and the end-of-run checks of every world. */
  check(): Breach[] {
    const out = [...this.breaches];
    for (const r of this.records) out.push(...endOfLifeChecks(r, this.tornDown));
    const mirror = this.sim.mirror;
    for (const r of this.records) out.push(...traceAgreesChecks((id) => mirror.state(id), r.bos));
    out.push(...traceObjectsChecks(mirror, this.records, this.tornDown));
    return out;
  }
}
