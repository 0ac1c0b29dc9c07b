// vm-reset: one amdgpu process's memory through a GPU reset, driving the driver behaviour the other
// scenarios leave out:
// - the VM task creates its per-VM BOs under the VM's reservation, held by the caller, with
//   allow_res_evict (amdgpu_bo_create: ".allow_res_evict = bp->type != ttm_bo_type_kernel, .resv =
//   bp->resv"): an eviction walk for a new per-VM BO may evict its siblings without locking them
//   (ttm_lru_walk_ticketlock's "bo->base.resv == ctx->resv && ctx->allow_res_evict"); its frames validate
//   every per-VM BO with ctx.resv set, as amdgpu_cs_bo_validate does, and one GPU job reads and writes them;
// - a client has a scratch BO created with AMDGPU_GEM_CREATE_DISCARDABLE (amdgpu_evict_flags gives it no
//   placement: an eviction waits for it to be idle and drops its memory, ttm_bo_pipeline_gutting) and a
//   buffer it purges once while its GPU job still runs (madvise DONTNEED: ttm_bo_validate with an empty
//   placement guts a busy BO, its memory and tt going to a ghost behind the job's fence); it also
//   imports a foreign dma-buf (an sg BO in TT, used by its GPU jobs), which its exporter moves once
//   while a job still reads it: amdgpu_dma_buf_move_notify invalidates the import with ttm_bo_validate
//   and an empty placement, so the busy sg BO is gutted into a ghost that keeps the import's
//   reservation, and the next frame validates it back; an eviction gives it no placement either
//   (amdgpu_evict_flags: "Don't handle scatter gather BOs");
// - a display task flips a scanout into the CPU-visible window of VRAM, contiguous ([0, lpfn) with
//   TTM_PL_FLAG_CONTIGUOUS: a resource placed without it is not compatible and moves), from a page flip
//   that must not block: the scanout is trylocked (ttm_bo_reserve with no_wait) and validated with
//   no_wait_gpu, so a busy victim, a busy gutting or a busy manager move fence answers -EBUSY and the
//   flip is skipped;
// - a GPU reset takes the copy engine away for a while (amdgpu_ttm_set_buffer_funcs_status(adev,
//   false)): moves fall back to ttm_bo_move_memcpy once the BO is idle, and evictions from VRAM go to
//   SYSTEM ("Move to system memory");
// - a guest (KVM) maps the VM's first BO and reads it through asynchronous page faults: the first fault
//   of a page has FAULT_FLAG_RETRY_NOWAIT (get_user_pages with FOLL_NOWAIT), so a fault that meets a
//   pipelined move asks for a retry without sleeping (ttm_bo_vm_fault_idle), and the retry waits;
// - the whole life: init, work, suspend (evict_all of VRAM, which guts the discardable BO, then TT; the
//   pinned scanout stays), resume, more work, the last puts, teardown.
// Checks: every rule of the catalogue on every step, the data checks on every GPU read (a BO whose
// content the driver may drop is tracked afresh once its user knows it may have been dropped), the errno
// userspace may get from each call, and at the end nothing left (src/sim/end_checks.ts).

import type { Rng } from '../../engine/prng.ts';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitReserved,
  ttmBoPin,
  ttmBoPut,
  ttmBoReserve,
  ttmBoUnpin,
  ttmBoUnreserve,
  ttmBoValidate,
} from '../../kernel/bo.ts';
import { type CpuMapping, ttmBoMmapObj, ttmBoVmClose, ttmBoVmFault } from '../../kernel/bo_vm.ts';
import {
  PAGE_SIZE,
  TTM_PL_FLAG_CONTIGUOUS,
  TTM_PL_FLAG_FALLBACK,
  TTM_PL_SYSTEM,
  TTM_PL_TT,
  TTM_PL_VRAM,
} from '../../kernel/constants.ts';
import { TtmGlobal } from '../../kernel/device.ts';
import type { KGen } from '../../kernel/env.ts';
import { errnoName } from '../../kernel/errno.ts';
import type { DmaFence } from '../../kernel/fence.ts';
import {
  NO_PLACEMENT,
  type OperationCtx,
  operationCtx,
  type Placement,
  place,
  placementOf,
} from '../../kernel/placement.ts';
import { type DmaResv, DmaResvUsage } from '../../kernel/resv.ts';
import { createSimDevice, type SimDevice } from '../../kernel/simdrv.ts';
import { dataStats, PageData, stepCounter } from '../data_checks.ts';
import type { Breach, Scenario, Workload } from '../scenario.ts';
import type { Sim } from '../sim.ts';
import { LIFECYCLE, Lifecycle, lifecycleStats } from './lifecycle.ts';
import { oneWorldWorkload } from './race_common.ts';
import { Completion, checkErrno } from './swap_checks.ts';

export interface VmResetConfig {
  readonly vramPages: number;
  readonly ttPages: number;
  /** VRAM pages the CPU reaches through the BAR: the window scanouts are flipped into. */
  readonly visiblePages: number;
  /** Per-VM BOs created before the first frame, and their sizes. */
  readonly vmBos: number;
  readonly minVmBoPages: number;
  readonly maxVmBoPages: number;
  /** Pages of the per-VM BO the VM adds after its first frame. */
  readonly growPages: number;
  readonly frames: number;
  readonly scratchPages: number;
  readonly bufferPages: number;
  /** Pages of the imported dma-buf. */
  readonly importPages: number;
  readonly scanoutPages: number;
  readonly flips: number;
  /** Times the guest reads every page of the VM's first BO. */
  readonly guestRounds: number;
  /**
   * The suspend is a hibernation: after the evictions amdgpu's S4 path calls
   * ttm_device_prepare_hibernation, which swaps out what is left in tts.
   */
  readonly hibernate: boolean;
}

const DEFAULTS: VmResetConfig = {
  vramPages: 32,
  ttPages: 64,
  visiblePages: 12,
  vmBos: 3,
  minVmBoPages: 5,
  maxVmBoPages: 7,
  growPages: 4,
  frames: 4,
  scratchPages: 6,
  bufferPages: 5,
  importPages: 3,
  scanoutPages: 4,
  flips: 3,
  guestRounds: 2,
  hibernate: true,
};

/** Faults on one page before a read gives up (a liveness bound; never reached in a passing run). */
const MAX_FAULTS = 16;

const VRAM_OR_TT: Placement = placementOf(place(TTM_PL_VRAM), place(TTM_PL_TT, TTM_PL_FLAG_FALLBACK));
const VRAM_ONLY: Placement = placementOf(place(TTM_PL_VRAM));
const SYSTEM_ONLY: Placement = placementOf(place(TTM_PL_SYSTEM));
const TT_ONLY: Placement = placementOf(place(TTM_PL_TT));

interface Counters {
  vmSubmits: number;
  /** Per-VM BOs created while VRAM was full of the VM's own BOs. */
  vmCreates: number;
  clientSubmits: number;
  validateFailures: number;
  /** Buffers purged (validated with an empty placement) while their GPU job ran. */
  busyPurges: number;
  /** Imports invalidated by their exporter's move while a GPU job still read them. */
  busyInvalidations: number;
  /** Client frames that found the scratch BO without memory: an eviction dropped it. */
  scratchDropped: number;
  flips: number;
  /** Flips skipped: the scanout was locked, or its validation would have had to wait (-EBUSY). */
  flipsBusy: number;
  /** Validations that ran while the copy engine was off. */
  resetValidations: number;
  /** The guest's faults, those answered RETRY without sleeping (RETRY_NOWAIT), pages it read. */
  guestFaults: number;
  nowaitRetries: number;
  guestPages: number;
  sigbus: number;
}

export function vmReset(overrides: Partial<VmResetConfig> = {}, name = 'vm-reset'): Scenario {
  const cfg: VmResetConfig = { ...DEFAULTS, ...overrides };
  return {
    name,
    summary: `a VM of ${cfg.vmBos}+1 BOs under one reservation created with allow_res_evict, a discardable BO gutted on eviction, a buffer purged while busy, a scanout flipped into ${cfg.visiblePages} pages of visible VRAM without waiting, a GPU reset that turns the copy engine off (memcpy moves)`,
    config: { scenario: 'vm-reset', ...cfg, lifecycle: LIFECYCLE },
    sometimes: [
      { id: 'busyPurges', description: 'a buffer was purged while its GPU job ran (gutting into a ghost)' },
      {
        id: 'busyInvalidations',
        description: "an import was invalidated by its exporter's move while a GPU job read it",
      },
      { id: 'scratchDropped', description: 'an eviction dropped the discardable BO' },
      { id: 'flipsBusy', description: 'a page flip was skipped rather than wait' },
      { id: 'resetValidations', description: 'a validation ran while the copy engine was off' },
      {
        id: 'nowaitRetries',
        description: 'a FAULT_FLAG_RETRY_NOWAIT fault asked for a retry without sleeping',
      },
    ],
    build(sim: Sim, rng: Rng): Workload {
      const global = new TtmGlobal();
      sim.adopt(global);
      const dev = createSimDevice(sim.env, global, 'device:0', {
        vramBytes: cfg.vramPages * PAGE_SIZE,
        ttBytes: cfg.ttPages * PAGE_SIZE,
      });
      const run = new VmResetRun(cfg, sim, dev);
      run.data = new PageData(run.breaches, stepCounter(sim));
      const lc = new Lifecycle(sim, [{ global, devices: [dev], bos: run.all }], { hibernate: cfg.hibernate });
      run.lc = lc;
      const vmSizes = Array.from({ length: cfg.vmBos }, () => rng.int(cfg.minVmBoPages, cfg.maxVmBoPages));
      // The buffer is purged after the client's submission of a frame drawn from the seed.
      const purgeAt = rng.int(0, cfg.frames - 1);
      // The exporter moves the import's buffer after the client's submission of a frame drawn too.
      const moveAt = rng.int(0, cfg.frames - 1);
      lc.worker('vm', () => run.vm(vmSizes));
      lc.worker('client', () => run.client(purgeAt, moveAt));
      lc.worker('display', () => run.display());
      lc.worker('reset', () => run.reset());
      lc.worker('guest', () => run.guest());
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

/** One run: its device, counters, breaches and BOs, and the tasks' bodies (methods: see RaceRun). */
class VmResetRun {
  readonly c: Counters = {
    vmSubmits: 0,
    vmCreates: 0,
    clientSubmits: 0,
    validateFailures: 0,
    busyPurges: 0,
    busyInvalidations: 0,
    scratchDropped: 0,
    flips: 0,
    flipsBusy: 0,
    resetValidations: 0,
    guestFaults: 0,
    nowaitRetries: 0,
    guestPages: 0,
    sigbus: 0,
  };
  readonly breaches: Breach[] = [];
  data!: PageData;
  lc!: Lifecycle;
  readonly all: BufferObject[] = [];
  readonly vmBos: BufferObject[] = [];
  root: BufferObject | null = null;
  scratch: BufferObject | null = null;
  buffer: BufferObject | null = null;
  imported: BufferObject | null = null;
  scanout: BufferObject | null = null;
  /** The VM made its BOs (or failed to). */
  readonly vmReady: Completion;
  /** The VM's first frame, and the client's second: the GPU reset starts after one, ends after the other. */
  readonly vmFrame0: Completion;
  readonly clientFrame1: Completion;
  /** The scanout's placement: contiguous, inside the CPU-visible window. */
  readonly scanoutPlacement: Placement;

  constructor(
    readonly cfg: VmResetConfig,
    readonly sim: Sim,
    readonly dev: SimDevice,
  ) {
    this.vmReady = new Completion(sim.env, 'vm-ready');
    this.vmFrame0 = new Completion(sim.env, 'vm-frame-0');
    this.clientFrame1 = new Completion(sim.env, 'client-frame-1');
    this.scanoutPlacement = placementOf(place(TTM_PL_VRAM, TTM_PL_FLAG_CONTIGUOUS, 0, cfg.visiblePages));
  }

  /** A new BO validated into `placement`, reserved on return (its own resv, or `resv`, held). */
  *create(
    who: string,
    pages: number,
    placement: Placement,
    resv: DmaResv | null,
    ctx: OperationCtx,
    kind: 'device' | 'discardable' | 'import' = 'device',
  ): KGen<BufferObject | null> {
    const bdev = this.dev.bdev;
    const bo = newBufferObject(bdev, pages * PAGE_SIZE);
    this.all.push(bo);
    if (kind === 'discardable') this.dev.mman.discardable.add(bo);
    // An import passes its exporter's sg table (amdgpu_dma_buf_create_obj: ttm_bo_type_sg).
    const type = kind === 'import' ? 'sg' : 'device';
    const sg = kind === 'import' ? { nents: pages } : null;
    const ret = yield* ttmBoInitReserved(bdev, bo, type, placement, 1, ctx, sg, resv, null);
    checkErrno(ret, `creating ${bo.id}`, who, this.breaches);
    if (ret !== 0) return null;
    // An import's pages hold what its exporter wrote, which this process does not know: not tracked.
    if (kind !== 'import') this.data.trackNew(bo);
    return bo;
  }

  *validate(who: string, bo: BufferObject, placement: Placement, ctx: OperationCtx): KGen<number> {
    if (!this.dev.mman.bufferFuncsEnabled) this.c.resetValidations += 1;
    const ret = yield* ttmBoValidate(bo, placement, ctx);
    checkErrno(ret, `validating ${bo.id}`, who, this.breaches);
    if (ret !== 0) this.c.validateFailures += 1;
    return ret;
  }

  /** A GPU job of `who` over `bos` (reserved, placed), its fence added to `resv` or each BO's resv. */
  submit(who: string, bos: readonly BufferObject[], resv: DmaResv | null): DmaFence {
    const job = this.dev.gfxRing.emit();
    this.data.gpuJob(bos, job, who);
    for (const r of resv === null ? bos.map((b) => b.resv) : [resv]) {
      if (r.reserveFences(1) === 0) r.addFence(job, DmaResvUsage.WRITE);
    }
    return job;
  }

  /** The VM: its page directory, per-VM BOs created under its reservation, then its frames. */
  *vm(vmSizes: readonly number[]): KGen<number> {
    const { cfg, c, vmBos } = this;
    const who = 'task:vm';
    const pd = yield* this.create(who, 1, SYSTEM_ONLY, null, operationCtx({ interruptible: true }));
    if (pd === null) {
      this.vmReady.complete();
      this.vmFrame0.complete();
      return 0;
    }
    this.root = pd;
    // amdgpu_bo_create of a per-VM BO: the VM's reservation is held, and evicting its own BOs is allowed.
    const createCtx = (): OperationCtx =>
      operationCtx({ interruptible: true, allowResEvict: true, resv: pd.resv });
    for (const pages of vmSizes) yield* this.addVmBo(pages, createCtx());
    ttmBoUnreserve(pd);
    this.vmReady.complete();
    for (let frame = 0; frame < cfg.frames; frame += 1) {
      if (frame === Math.ceil(cfg.frames / 2)) yield* this.lc.freezePoint();
      yield { kind: 'yield', label: 'vm.frame' };
      if ((yield* ttmBoReserve(pd, true, false, null)) === 0) {
        if (frame === 1) yield* this.addVmBo(cfg.growPages, createCtx());
        let ok = vmBos.length > 0;
        for (const bo of vmBos) {
          // amdgpu_cs_bo_validate: ".resv = bo->tbo.base.resv", without allow_res_evict.
          const ctx = operationCtx({ interruptible: true, resv: pd.resv });
          if ((yield* this.validate(who, bo, VRAM_OR_TT, ctx)) !== 0) ok = false;
        }
        if (ok) {
          this.submit(who, [...vmBos], pd.resv);
          c.vmSubmits += 1;
        }
        pd.resv.unlock();
      }
      if (frame === 0) this.vmFrame0.complete();
    }
    this.vmFrame0.complete();
    return 0;
  }

  /** A per-VM BO of `pages` created under the VM's (held) reservation. */
  *addVmBo(pages: number, ctx: OperationCtx): KGen<void> {
    const pd = this.root!;
    const full = this.dev.vram.usage + pages * PAGE_SIZE > this.cfg.vramPages * PAGE_SIZE;
    const bo = yield* this.create('task:vm', pages, VRAM_OR_TT, pd.resv, ctx);
    if (bo === null) return;
    if (full) this.c.vmCreates += 1;
    this.vmBos.push(bo);
  }

  /** The client: a discardable scratch BO and a buffer, a job over each per frame, one busy purge. */
  *client(purgeAt: number, moveAt: number): KGen<number> {
    const { cfg, c } = this;
    const who = 'task:client';
    const ctx = (): OperationCtx => operationCtx({ interruptible: true });
    const scratch = yield* this.create(who, cfg.scratchPages, VRAM_ONLY, null, ctx(), 'discardable');
    if (scratch !== null) ttmBoUnreserve(scratch);
    this.scratch = scratch;
    const buffer = yield* this.create(who, cfg.bufferPages, VRAM_OR_TT, null, ctx());
    if (buffer !== null) ttmBoUnreserve(buffer);
    this.buffer = buffer;
    const imported = yield* this.create(who, cfg.importPages, TT_ONLY, null, ctx(), 'import');
    if (imported !== null) ttmBoUnreserve(imported);
    this.imported = imported;
    for (let frame = 0; frame < cfg.frames; frame += 1) {
      if (frame === Math.ceil(cfg.frames / 2)) yield* this.lc.freezePoint();
      yield { kind: 'yield', label: 'client.frame' };
      if (scratch !== null && (yield* ttmBoReserve(scratch, true, false, null)) === 0) {
        if (scratch.resource === null) c.scratchDropped += 1;
        if ((yield* this.validate(who, scratch, VRAM_ONLY, ctx())) === 0) {
          // What a discardable BO holds is undefined after any eviction: userspace fills it again
          // every frame, so its pages are judged afresh from here (a job still queued on it ran on
          // memory no eviction could have dropped: an eviction waits for the BO to be idle first).
          this.data.track(scratch, 'unknown');
          this.submit(who, [scratch], null);
          c.clientSubmits += 1;
        }
        ttmBoUnreserve(scratch);
      }
      if (buffer !== null && (yield* ttmBoReserve(buffer, true, false, null)) === 0) {
        let job: DmaFence | null = null;
        if ((yield* this.validate(who, buffer, VRAM_OR_TT, ctx())) === 0) {
          job = this.submit(who, [buffer], null);
          c.clientSubmits += 1;
        }
        let purged = false;
        if (frame === purgeAt) {
          // madvise(DONTNEED) on a buffer still in use: the purge guts it behind its job's fence.
          if (job !== null && !job.signaled) c.busyPurges += 1;
          purged = (yield* this.validate(who, buffer, NO_PLACEMENT, ctx())) === 0;
        }
        ttmBoUnreserve(buffer);
        if (purged) {
          // Userspace knows the content is gone; its job still writes the memory the ghost now owns,
          // so the buffer is judged afresh once that job ran.
          if (job !== null && !job.signaled)
            yield { kind: 'fences', fences: [job], interruptible: false, timeoutMs: null };
          this.data.track(buffer, 'unknown');
        }
      }
      if (imported !== null) yield* this.useImport(imported, frame === moveAt);
      if (frame === 1) this.clientFrame1.complete();
    }
    this.clientFrame1.complete();
    return 0;
  }

  /**
   * One frame's use of the import: validated back into TT, read by a GPU job (its fence added; the data
   * is the exporter's), and, when `moved`, invalidated by the exporter's move right after
   * (amdgpu_dma_buf_move_notify: an empty placement given to ttm_bo_validate).
   */
  *useImport(bo: BufferObject, moved: boolean): KGen<void> {
    const who = 'task:client';
    if ((yield* ttmBoReserve(bo, true, false, null)) !== 0) return;
    const ctx = operationCtx({ interruptible: true });
    let job: DmaFence | null = null;
    if ((yield* this.validate(who, bo, TT_ONLY, ctx)) === 0 && bo.resv.reserveFences(1) === 0) {
      job = this.dev.gfxRing.emit();
      bo.resv.addFence(job, DmaResvUsage.READ);
      this.c.clientSubmits += 1;
    }
    // amdgpu_dma_buf_move_notify: "if (!bo->tbo.resource || bo->tbo.resource->mem_type ==
    // TTM_PL_SYSTEM) return;", otherwise ttm_bo_validate with "ctx = { false, false }".
    const res = bo.resource;
    if (moved && res !== null && res.memType !== TTM_PL_SYSTEM) {
      if (job !== null && !job.signaled) this.c.busyInvalidations += 1;
      yield* this.validate(who, bo, NO_PLACEMENT, operationCtx());
    }
    ttmBoUnreserve(bo);
  }

  /**
   * The display: the scanout rendered, then flipped: trylocked, unpinned, validated into the visible
   * window (contiguous) without waiting for the GPU, and pinned there.
   */
  *display(): KGen<number> {
    const { cfg, c } = this;
    const who = 'task:display';
    const bo = yield* this.create(
      who,
      cfg.scanoutPages,
      VRAM_OR_TT,
      null,
      operationCtx({ interruptible: true }),
    );
    if (bo === null) return 0;
    this.scanout = bo;
    let rendered = this.submit(who, [bo], null);
    ttmBoUnreserve(bo);
    for (let flip = 0; flip < cfg.flips; flip += 1) {
      if (flip === Math.ceil(cfg.flips / 2)) yield* this.lc.freezePoint();
      // The flip shows a finished frame: its rendering is waited for before the commit starts.
      if (!rendered.signaled)
        yield { kind: 'fences', fences: [rendered], interruptible: false, timeoutMs: null };
      yield { kind: 'yield', label: 'display.flip' };
      if ((yield* ttmBoReserve(bo, true, true, null)) !== 0) {
        c.flipsBusy += 1;
        continue;
      }
      if (bo.pinCount > 0) ttmBoUnpin(bo);
      const ctx = operationCtx({ interruptible: true, noWaitGpu: true });
      const ret = yield* this.validate(who, bo, this.scanoutPlacement, ctx);
      if (ret === 0) {
        ttmBoPin(bo);
        c.flips += 1;
        // The next frame is rendered into the pinned scanout.
        rendered = this.submit(who, [bo], null);
      } else c.flipsBusy += 1;
      ttmBoUnreserve(bo);
    }
    return 0;
  }

  /**
   * A GPU reset: the copy engine is off from the VM's first frame until the client's second
   * (amdgpu_ttm_set_buffer_funcs_status(adev, false), then true once the rings are back).
   */
  *reset(): KGen<number> {
    yield* this.vmFrame0.wait();
    this.dev.mman.bufferFuncsEnabled = false;
    yield* this.clientFrame1.wait();
    this.dev.mman.bufferFuncsEnabled = true;
    return 0;
  }

  /**
   * The guest: maps the VM's first BO and reads every page, round after round, through asynchronous
   * page faults (the first fault of a page with FAULT_FLAG_RETRY_NOWAIT), checking what it reads.
   */
  *guest(): KGen<number> {
    const who = 'task:guest';
    yield* this.vmReady.wait();
    const bo = this.vmBos[0];
    if (bo === undefined) return 0;
    const vma = ttmBoMmapObj(bo);
    if (typeof vma === 'number') {
      this.breaches.push({
        id: 'correctness.errno',
        actor: who,
        message: `a shared mapping of ${bo.id} returned ${errnoName(vma)}`,
      });
      return 0;
    }
    for (let round = 0; round < this.cfg.guestRounds; round += 1) {
      if (round === Math.ceil(this.cfg.guestRounds / 2)) yield* this.lc.freezePoint();
      yield { kind: 'yield', label: 'guest.round' };
      for (let page = 0; page < bo.numPages; page += 1) if (!(yield* this.guestRead(vma, page, who))) break;
    }
    yield* ttmBoVmClose(vma);
    return 0;
  }

  /** One read of `page`: fault until a PTE is there (false on SIGBUS or a stuck page), then check it. */
  *guestRead(vma: CpuMapping, page: number, who: string): KGen<boolean> {
    const c = this.c;
    for (let attempt = 0; attempt < MAX_FAULTS; attempt += 1) {
      const pte = vma.ptes.get(page);
      if (pte !== undefined) {
        c.guestPages += 1;
        this.data.verifyPte(vma.bo, pte, page, who);
        return true;
      }
      c.guestFaults += 1;
      // The asynchronous fault first (FOLL_NOWAIT), then the synchronous one KVM falls back to.
      const nowait = attempt === 0;
      const flags = { allowRetry: attempt <= 1, retryNowait: nowait, interruptible: true };
      const ret = yield* ttmBoVmFault(vma, page, flags);
      if (ret === 'RETRY' && nowait) c.nowaitRetries += 1;
      if (ret === 'SIGBUS') {
        c.sigbus += 1;
        return false;
      }
      if (ret === 'OOM') {
        this.breaches.push({
          id: 'correctness.fault-oom',
          actor: who,
          message: `fault on ${vma.bo.id} page ${page} returned VM_FAULT_OOM: the OOM killer runs for a TTM fault`,
        });
        return false;
      }
    }
    this.breaches.push({
      id: 'correctness.fault-stuck',
      actor: who,
      message: `${vma.bo.id} page ${page} still unmapped after ${MAX_FAULTS} faults`,
    });
    return false;
  }

  /** Every task finished: the scanout is unpinned, and every reference goes. */
  *release(): KGen<void> {
    const bo = this.scanout;
    if (bo !== null && (yield* ttmBoReserve(bo, false, false, null)) === 0) {
      while (bo.pinCount > 0) ttmBoUnpin(bo);
      ttmBoUnreserve(bo);
    }
    for (const b of [this.scanout, this.scratch, this.buffer, this.imported, ...this.vmBos, this.root]) {
      if (b === null) continue;
      yield { kind: 'yield', label: 'teardown.put' };
      yield* ttmBoPut(b);
    }
  }
}

/** The run's statistics (one object literal of fixed shape: see statsOf in race.ts). */
function statsOf(run: VmResetRun, global: TtmGlobal): Record<string, number> {
  const c = run.c;
  const m = run.sim.mirror;
  return {
    vmSubmits: c.vmSubmits,
    vmCreates: c.vmCreates,
    clientSubmits: c.clientSubmits,
    validateFailures: c.validateFailures,
    busyPurges: c.busyPurges,
    busyInvalidations: c.busyInvalidations,
    scratchDropped: c.scratchDropped,
    flips: c.flips,
    flipsBusy: c.flipsBusy,
    resetValidations: c.resetValidations,
    guestFaults: c.guestFaults,
    nowaitRetries: c.nowaitRetries,
    guestPages: c.guestPages,
    sigbus: c.sigbus,
    evictions: m.count('bo.evicted'),
    zombies: m.count('bo.zombie'),
    boCount: global.boCount,
    ...dataStats(run.data),
    ...lifecycleStats(run.lc.c),
  };
}
