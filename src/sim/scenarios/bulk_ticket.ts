// bulk-ticket: a ticketed eviction walk that sleeps inside a VM's bulk-move range while the VM changes
// that range. The VM's two per-VM BOs share its page directory's reservation and fill VRAM, kept
// together on the LRU by the VM's bulk move (amdgpu's vm->lru_bulk_move). Each VM frame locks the
// reservation (no ticket), validates both BOs into VRAM, works for a while (a long ioctl), then takes its
// second BO out of the bulk move and puts it back (amdgpu_vm_bo_del and amdgpu_vm_bo_base_init of a BO
// unbound and bound again), bumps the bulk move to the LRU tail and unlocks, 1 ms between frames. A rival
// client submits its own BO under a ww ticket (drm_exec style) every 2 ms, putting it back in TT between
// submissions: its ttm_bo_validate needs VRAM, its trylock walk finds the VM's BOs locked, so its
// ticketed walk sleeps on the VM's reservation with the LRU cursor's hitch parked after the range's
// first resource, right before the range's last, which the VM then takes out (ttm_lru_bulk_move_del:
// "pos->last = ttm_lru_prev_res(res)" must step over the hitch). The per-step oracle lru.bulk-range
// judges every range; the rival's walk is judged by bo.evict-alloc.ticketed.
// Life: frames halfway, suspend, resume, the rest, the puts (the per-VM BOs leave the bulk move first),
// teardown.

import {
  type BufferObject,
  newBufferObject,
  ttmBoInitReserved,
  ttmBoPut,
  ttmBoReserve,
  ttmBoSetBulkMove,
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
import { type DmaResv, DmaResvUsage, dmaResvLock, wwAcquireInit } from '../../kernel/resv.ts';
import { createSimDevice, type SimDevice } from '../../kernel/simdrv.ts';
import { PageData, stepCounter } from '../data_checks.ts';
import type { Breach, Scenario, Workload } from '../scenario.ts';
import type { Sim } from '../sim.ts';
import { LIFECYCLE, Lifecycle } from './lifecycle.ts';
import { oneWorldWorkload } from './race_common.ts';
import { Completion, checkErrno } from './swap_checks.ts';

export interface BulkTicketConfig {
  /** VRAM pages: the two per-VM BOs fill it. */
  readonly vramPages: number;
  readonly ttPages: number;
  /** Pages of each per-VM BO and of the rival's BO. */
  readonly boPages: number;
  /** VM frames and rival submissions. */
  readonly frames: number;
  readonly rivalSubmits: number;
  /** Virtual milliseconds a VM frame holds the reservation after validating. */
  readonly holdMs: number;
  /** Virtual milliseconds between the VM's frames, and between the rival's submissions. */
  readonly vmGapMs: number;
  readonly rivalGapMs: number;
}

export const BULK_TICKET_DEFAULTS: BulkTicketConfig = {
  vramPages: 12,
  ttPages: 64,
  boPages: 6,
  frames: 4,
  rivalSubmits: 4,
  holdMs: 3,
  vmGapMs: 1,
  rivalGapMs: 2,
};

const SYSTEM_ONLY = placementOf(place(TTM_PL_SYSTEM));
const TT_ONLY = placementOf(place(TTM_PL_TT));
const VRAM_OR_TT = placementOf(place(TTM_PL_VRAM), place(TTM_PL_TT, TTM_PL_FLAG_FALLBACK));

export function bulkTicket(overrides: Partial<BulkTicketConfig> = {}, name = 'bulk-ticket'): Scenario {
  const cfg: BulkTicketConfig = { ...BULK_TICKET_DEFAULTS, ...overrides };
  return {
    name,
    summary: `a VM of 2 BOs in one bulk move filling ${cfg.vramPages} pages of VRAM (${cfg.frames} frames, each unbinding and rebinding one BO under the VM's lock), a rival validating under a ww ticket ${cfg.rivalSubmits} times`,
    config: { scenario: 'bulk-ticket', ...cfg, lifecycle: LIFECYCLE },
    sometimes: [
      { id: 'rivalInVram', description: "the rival's BO was validated into VRAM (a per-VM BO evicted)" },
    ],
    build(sim: Sim): Workload {
      const global = new TtmGlobal();
      sim.adopt(global);
      const dev = createSimDevice(sim.env, global, 'device:0', {
        vramBytes: cfg.vramPages * PAGE_SIZE,
        ttBytes: cfg.ttPages * PAGE_SIZE,
      });
      const run = new BulkTicketRun(cfg, sim, dev);
      run.data = new PageData(run.breaches, stepCounter(sim));
      const lc = new Lifecycle(sim, [{ global, devices: [dev], bos: run.all }], { hibernate: false });
      run.lc = lc;
      lc.worker('vm', () => run.vm());
      lc.worker('rival', () => run.rival());
      lc.release = () => run.release();
      lc.start();
      return oneWorldWorkload(
        global,
        run.all,
        () => ({ ...run.c }),
        () => [...run.breaches, ...lc.check()],
      );
    },
  };
}

interface Counters {
  frames: number;
  rebinds: number;
  rivalSubmits: number;
  rivalInVram: number;
  validateFailures: number;
}

/** One run's objects and the tasks' bodies (generator methods, not closures made in the build). */
class BulkTicketRun {
  readonly c: Counters = { frames: 0, rebinds: 0, rivalSubmits: 0, rivalInVram: 0, validateFailures: 0 };
  readonly breaches: Breach[] = [];
  data!: PageData;
  lc!: Lifecycle;
  readonly all: BufferObject[] = [];
  readonly bulk = new LruBulkMove();
  readonly vmBos: BufferObject[] = [];
  root: BufferObject | null = null;
  rivalBo: BufferObject | null = null;
  readonly vmReady: Completion;

  constructor(
    readonly cfg: BulkTicketConfig,
    readonly sim: Sim,
    readonly dev: SimDevice,
  ) {
    this.vmReady = new Completion(sim.env, 'vm-ready');
  }

  /** A new BO validated into `placement`, reserved on return (its own resv, or `resv`, held). */
  *create(who: string, pages: number, placement: Placement, resv: DmaResv | null): KGen<BufferObject | null> {
    const bdev = this.dev.bdev;
    const bo = newBufferObject(bdev, pages * PAGE_SIZE);
    this.all.push(bo);
    const ret = yield* ttmBoInitReserved(bdev, bo, 'device', placement, 1, operationCtx(), null, resv, null);
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

  /** The VM: its page directory, two per-VM BOs in its bulk move, then its frames. */
  *vm(): KGen<number> {
    const { cfg, c, bulk, vmBos } = this;
    const pd = yield* this.create('task:vm', 1, SYSTEM_ONLY, null);
    if (pd !== null) {
      this.root = pd;
      for (let i = 0; i < 2; i += 1) {
        const bo = yield* this.create('task:vm', cfg.boPages, VRAM_OR_TT, pd.resv);
        if (bo === null) continue;
        vmBos.push(bo);
        ttmBoSetBulkMove(bo, bulk);
      }
      ttmLruBulkMoveTail(bulk);
      ttmBoUnreserve(pd);
    }
    this.vmReady.complete();
    for (let frame = 0; frame < cfg.frames && pd !== null; frame += 1) {
      if (frame === Math.ceil(cfg.frames / 2)) yield* this.lc.freezePoint();
      yield { kind: 'sleep', ms: cfg.vmGapMs };
      if ((yield* ttmBoReserve(pd, true, false, null)) !== 0) continue;
      let ok = true;
      for (const bo of vmBos) if ((yield* this.validate('task:vm', bo, VRAM_OR_TT)) !== 0) ok = false;
      if (ok) {
        const job = this.dev.gfxRing.emit();
        this.data.gpuJob(vmBos, job, 'task:vm');
        if (pd.resv.reserveFences(1) === 0) pd.resv.addFence(job, DmaResvUsage.BOOKKEEP);
        c.frames += 1;
      }
      // The long part of the ioctl, the reservation held.
      yield { kind: 'sleep', ms: cfg.holdMs };
      // The last per-VM BO is unbound and bound again: it leaves the bulk move and rejoins at its tail.
      const last = vmBos[vmBos.length - 1];
      if (last !== undefined) {
        ttmBoSetBulkMove(last, null);
        ttmBoSetBulkMove(last, bulk);
        c.rebinds += 1;
      }
      ttmLruBulkMoveTail(bulk);
      pd.resv.unlock();
    }
    return 0;
  }

  /** The rival: its own BO, submitted under a ww ticket, back to TT between submissions. */
  *rival(): KGen<number> {
    const { cfg, c } = this;
    yield* this.vmReady.wait();
    const bo = yield* this.create('task:rival', cfg.boPages, TT_ONLY, null);
    if (bo === null) return 0;
    this.rivalBo = bo;
    ttmBoUnreserve(bo);
    for (let i = 0; i < cfg.rivalSubmits; i += 1) {
      if (i === Math.ceil(cfg.rivalSubmits / 2)) yield* this.lc.freezePoint();
      yield { kind: 'sleep', ms: cfg.rivalGapMs };
      const ticket = wwAcquireInit(this.sim.env);
      if ((yield* dmaResvLock(bo.resv, ticket, true)) !== 0) continue;
      if ((yield* this.validate('task:rival', bo, VRAM_OR_TT)) === 0) {
        if (bo.resource?.memType === TTM_PL_VRAM) c.rivalInVram += 1;
        const job = this.dev.gfxRing.emit();
        this.data.gpuJob([bo], job, 'task:rival');
        if (bo.resv.reserveFences(1) === 0) bo.resv.addFence(job, DmaResvUsage.WRITE);
        c.rivalSubmits += 1;
      }
      ttmBoUnreserve(bo);
      // Out of VRAM again before the next submission, so each one has to evict.
      if ((yield* ttmBoReserve(bo, true, false, null)) === 0) {
        yield* this.validate('task:rival', bo, TT_ONLY);
        ttmBoUnreserve(bo);
      }
    }
    return 0;
  }

  /** Every worker finished: the per-VM BOs leave the bulk move, then every BO is put. */
  *release(): KGen<void> {
    for (const bo of [...this.vmBos, this.rivalBo, this.root]) {
      if (bo === null) continue;
      yield { kind: 'yield', label: 'teardown.put' };
      if (bo.bulkMove !== null && (yield* ttmBoReserve(bo, false, false, null)) === 0) {
        ttmBoSetBulkMove(bo, null);
        ttmBoUnreserve(bo);
      }
      yield* ttmBoPut(bo);
    }
  }
}
