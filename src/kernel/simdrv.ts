// A simulated TTM driver, shaped like amdgpu's use of TTM: VRAM is device memory (no tt), TT is the
// GART aperture (a tt bound into it), SYSTEM is plain pages. VRAM↔TT moves are GPU copies on a copy
// ring, pipelined behind a fence; SYSTEM↔TT is a bind/unbind; VRAM↔SYSTEM bounces through TT
// (-EMULTIHOP); eviction sends VRAM to TT (SYSTEM as fallback) and TT to SYSTEM. While a scenario
// turns the copy engine off (SimMman.bufferFuncsEnabled, amdgpu_ttm_set_buffer_funcs_status) moves to or
// from VRAM are CPU copies and VRAM evicts to SYSTEM; an imported (sg) BO and a BO marked discardable get
// no eviction placement.
// Designs (src/designs) change the driver only through SimDriverHooks, which the design registry
// installs on a world before its devices are created; this file knows no design.

import { type BufferObject, ttmBoEvictionValuable, ttmBoWaitCtx } from './bo.ts';
import { ttmBoMoveAccelCleanup, ttmBoMoveMemcpy, ttmBoMoveNull } from './bo_util.ts';
import {
  type Caching,
  TTM_PL_FLAG_FALLBACK,
  TTM_PL_FLAG_TEMPORARY,
  TTM_PL_SYSTEM,
  TTM_PL_TT,
  TTM_PL_VRAM,
  TTM_TT_FLAG_EXTERNAL,
  TTM_TT_FLAG_EXTERNAL_MAPPABLE,
} from './constants.ts';
import { copyPagesOnSignal } from './content.ts';
import {
  Device,
  type DeviceFuncs,
  type Hop,
  type TtmGlobal,
  ttmDeviceInit,
  ttmSetDriverManager,
} from './device.ts';
import type { KernelEnv, KGen } from './env.ts';
import { EBUSY, EINVAL, EMULTIHOP, ENOMEM, ERESTARTSYS, errnoName } from './errno.ts';
import { FenceTimeline } from './fence.ts';
import { Iommu } from './iommu.ts';
import { NO_PLACEMENT, type OperationCtx, type Placement, place, placementOf } from './placement.ts';
import { ttmPoolAlloc, ttmPoolFree } from './pool.ts';
import {
  RangeManager,
  type Resource,
  ttmResourceManagerInit,
  ttmResourceManagerSetUsed,
} from './resource.ts';
import { DmaResvUsage } from './resv.ts';
import { type Tt, ttmSgTtInit, ttmTtClearBackedUp, ttmTtInit, ttmTtRestore, ttmTtSetupBackup } from './tt.ts';

export interface SimDeviceConfig {
  readonly vramBytes: number;
  readonly ttBytes: number;
  /**
   * amdgpu (default): plain tts, counted by TTM and swapped out whole by ttm_global_swapout.
   * xe: tts are EXTERNAL | EXTERNAL_MAPPABLE with a backup file, counted by the driver, shrunk page by
   * page by the driver's shrinker (shrinker.ts) and restored on populate (xe_ttm_tt_populate).
   */
  readonly style?: 'amdgpu' | 'xe';
  /** Caching of the tts the driver creates (amdgpu: write-combined for USWC buffers). Default cached. */
  readonly ttCaching?: Caching;
  /** Give the device an IOMMU with an IOVA space of this many pages (DMA goes through it). */
  readonly iommuPages?: number;
  /** Put the device behind this IOMMU, shared with other devices (instead of iommuPages). */
  readonly iommu?: Iommu;
  /**
   * TTM_ALLOCATION_* flags (allocation.ts) the driver passes to ttm_device_init beside the DMA ones:
   * TTM_ALLOCATION_PROPAGATE_ENOSPC (ttm_bo_validate returns -ENOSPC, not -ENOMEM: for driver stacks that
   * tell out-of-graphics-memory from out-of-host-memory, written with xe's maintainers) and a
   * TTM_ALLOCATION_POOL_BENEFICIAL_ORDER (amdgpu passes get_order(SZ_2M) = 9). Default 0: neither, as
   * before the flags existed.
   */
  readonly allocFlags?: number;
  /**
   * The device's pool allocates coherent DMA memory (ttm_device_init's use_dma_alloc, as radeon and
   * amdgpu pass it on platforms where streaming DMA is not coherent): every block gets its DMA address
   * at allocation and keeps it while pooled, per-device pool types of every caching and order. Default
   * false (the generic page allocator). A design's hooks may turn it on too.
   */
  readonly useDmaAlloc?: boolean;
}

/**
 * What a design changes in the simulated driver. The design registry (src/designs/install.ts) sets them
 * on a world before the world's devices are created; a world without them runs today's driver.
 */
export interface SimDriverHooks {
  /** The driver's load-time probe: 0, or the errno it refuses to load with (DriverLoadRefused). */
  probe(): number;
  /** The device's pool allocates coherent DMA memory (TTM_ALLOCATION_POOL_USE_DMA_ALLOC). */
  readonly useDmaAlloc: boolean;
  /** DMA is bound at the move into TT by the design, not at populate: tts get no dma_address array. */
  readonly bindsDmaAtMove: boolean;
  /** Run before the driver's own move: 0, or the errno that fails the move. Null: nothing to do. */
  readonly move:
    | ((bo: BufferObject, newMem: Resource, ctx: OperationCtx, ttCaching: Caching) => KGen<number>)
    | null;
  /** A tt's pages are about to be freed (unpopulate): the design lets go of them. Null: nothing to do. */
  readonly unpopulate: ((tt: Tt) => void) | null;
}

/** Hooks by world: looked up, never iterated. */
const DRIVER_HOOKS = new WeakMap<TtmGlobal, SimDriverHooks>();

/** Install a design's driver hooks on `global` (before its devices are created). */
export function setSimDriverHooks(global: TtmGlobal, hooks: SimDriverHooks): void {
  DRIVER_HOOKS.set(global, hooks);
}

/** The driver hooks installed on `global`, or null (today's driver). */
export function simDriverHooksOf(global: TtmGlobal | null): SimDriverHooks | null {
  return global === null ? null : (DRIVER_HOOKS.get(global) ?? null);
}

const VRAM_EVICT: Placement = placementOf(place(TTM_PL_TT), place(TTM_PL_SYSTEM, TTM_PL_FLAG_FALLBACK));
const TT_EVICT: Placement = placementOf(place(TTM_PL_SYSTEM));
const SYSTEM_EVICT: Placement = placementOf(place(TTM_PL_SYSTEM));

function needsHop(from: number, to: number): boolean {
  return (from === TTM_PL_VRAM && to === TTM_PL_SYSTEM) || (from === TTM_PL_SYSTEM && to === TTM_PL_VRAM);
}

/** Driver state of the xe flavour: which BOs userspace marked purgeable (madvise DONTNEED). */
export interface XeState {
  readonly purgeable: Set<BufferObject>;
  /** tt → its BO (xe_ttm_tt keeps this back pointer). */
  readonly owner: WeakMap<Tt, BufferObject>;
}

/**
 * amdgpu_ttm_tt_create: with an IOMMU the tt gets a DMA address array (ttm_sg_tt_init), so the pool
 * maps every block through the IOMMU when it populates; without one a plain page array.
 */
function amdgpuTtCreate(
  bo: BufferObject,
  pageFlags: number,
  caching: Caching,
  hooks: SimDriverHooks | null,
): Tt {
  // A design that binds DMA at the move into TT maps the pages itself: no dma_address.
  const plain = bo.bdev.iommu === null || hooks?.bindsDmaAtMove === true;
  return plain ? ttmTtInit(bo, pageFlags, caching, 0) : ttmSgTtInit(bo, pageFlags, caching);
}

/** xe_ttm_tt_create: EXTERNAL | EXTERNAL_MAPPABLE (xe accounts and shrinks them itself), with a backup file. */
function xeTtCreate(xe: XeState, bo: BufferObject, pageFlags: number): Tt | null {
  const tt = ttmTtInit(bo, pageFlags | TTM_TT_FLAG_EXTERNAL | TTM_TT_FLAG_EXTERNAL_MAPPABLE, 'cached', 0);
  if (ttmTtSetupBackup(tt) !== 0) return null;
  xe.owner.set(tt, bo);
  return tt;
}

/** xe_ttm_tt_populate: a backed-up tt of a BO that is not purgeable is restored; otherwise fresh pages. */
function* xeTtPopulate(xe: XeState, bdev: Device, tt: Tt, ctx: OperationCtx): KGen<number> {
  const bo = xe.owner.get(tt);
  if (tt.isBackedUp() && (bo === undefined || !xe.purgeable.has(bo)))
    return yield* ttmTtRestore(bdev, tt, ctx);
  ttmTtClearBackedUp(tt);
  return yield* ttmPoolAlloc(bdev.pool, tt, ctx);
}

/**
 * The driver's move (amdgpu_bo_move, simplified): designs first, then a null move where no data moves,
 * -EMULTIHOP between VRAM and SYSTEM, the copy engine for every other move (VRAM↔TT, VRAM→VRAM).
 * A module-level generator on purpose: a generator method made per device (an object literal's `*move`)
 * gets its own hidden class on first call, and that class, allocated old, held the whole run's world
 * through every young-generation collection until the next full one.
 */
function* simMove(
  copyRing: () => FenceTimeline,
  ttCaching: Caching,
  hooks: SimDriverHooks | null,
  bufferFuncs: boolean,
  bo: BufferObject,
  evict: boolean,
  ctx: OperationCtx,
  newMem: Resource,
  hop: Hop | null,
): KGen<number> {
  const designMove = hooks?.move ?? null;
  if (designMove !== null) {
    const ret = yield* designMove(bo, newMem, ctx, ttCaching);
    if (ret !== 0) return ret;
  }
  const old = bo.resource;
  if (old === null || (old.memType === TTM_PL_SYSTEM && bo.ttm === null)) {
    ttmBoMoveNull(bo, newMem);
    return 0;
  }
  if (!bufferFuncs && (old.memType === TTM_PL_VRAM || newMem.memType === TTM_PL_VRAM)) {
    // Without the copy engine ("if (adev->mman.buffer_funcs_enabled) r = amdgpu_move_blit(...); else
    // r = -ENODEV;" then "r = ttm_bo_move_memcpy(bo, ctx, new_mem);"), VRAM↔SYSTEM needs no bounce and
    // the CPU copies once the BO is idle: ttm_bo_move_memcpy copies at once and its cleanup WARNs on a
    // busy BO, so the driver waits first (ttm_bo_wait_ctx: -EBUSY under no_wait_gpu, -ERESTARTSYS).
    const ret = yield* ttmBoWaitCtx(bo, ctx);
    if (ret !== 0) return ret;
    return yield* ttmBoMoveMemcpy(bo, ctx, newMem);
  }
  if (needsHop(old.memType, newMem.memType)) {
    if (hop !== null) hop.place = place(TTM_PL_TT, TTM_PL_FLAG_TEMPORARY);
    return -EMULTIHOP;
  }
  const pair = [old.memType, newMem.memType];
  if (old.memType === TTM_PL_TT && newMem.memType === TTM_PL_SYSTEM) {
    const ret = unbindWait(bo, ctx);
    if (ret !== 0) return ret;
    ttmBoMoveNull(bo, newMem);
    return 0;
  }
  if (pair.includes(TTM_PL_SYSTEM) && pair.includes(TTM_PL_TT)) {
    ttmBoMoveNull(bo, newMem);
    return 0;
  }
  // "if (adev->mman.buffer_funcs_enabled) r = amdgpu_move_blit(bo, evict, new_mem, old_mem);": every
  // move left (VRAM↔TT, and VRAM→VRAM between ranges or into a contiguous node) goes to the copy engine,
  // which syncs to the BO's fences; a CPU copy here would read the pages before a running job wrote them.
  return yield* copyMove(copyRing(), bo, evict, newMem);
}

/**
 * amdgpu_bo_move unbinds a BO from the GART only once it is idle ("r = ttm_bo_wait_ctx(bo, ctx); if (r)
 * return r;"). The simulated driver does not sleep there (its GART has no pages to protect), but the
 * wait's failure is the 'driver.move.wait' fault site, asked when the BO is busy (an idle BO's wait
 * returns at once and cannot fail): -EBUSY with no_wait_gpu or after ttm_bo_wait_ctx's timeout,
 * -ERESTARTSYS when a signal interrupts an interruptible wait. 0 when the move may go on.
 */
function unbindWait(bo: BufferObject, ctx: OperationCtx): number {
  if (bo.resv.testSignaled(DmaResvUsage.BOOKKEEP)) return 0;
  if (!bo.bdev.global?.injectFault('driver.move.wait', bo.id)) return 0;
  return ctx.interruptible && !ctx.noWaitGpu ? -ERESTARTSYS : -EBUSY;
}

/**
 * A VRAM↔TT move by the copy engine, as xe_bo_move does it. Setting up the copy job can fail (the
 * 'driver.move.copy' fault site: xe_migrate_copy's IS_ERR fence, amdgpu_move_blit's job allocation
 * when the memcpy fallback is unavailable): -ENOMEM with nothing changed. Once queued the copy cannot be
 * taken back, so when ttm_bo_move_accel_cleanup fails (its ghost could not be made) the driver waits for
 * the copy and takes the new memory without a ghost ("dma_fence_wait(fence, false);
 * ttm_bo_move_null(ttm_bo, new_mem);").
 */
function* copyMove(ring: FenceTimeline, bo: BufferObject, evict: boolean, newMem: Resource): KGen<number> {
  const old = bo.resource;
  if (old === null) return -EINVAL;
  if (bo.bdev.global?.injectFault('driver.move.copy', bo.id)) return -ENOMEM;
  // The copy engine moves the data when its job runs, after every fence of the BO (amdgpu_copy_buffer
  // syncs to the whole resv); the CPU may only look after the fence (faults wait for it).
  const fence = ring.emit();
  fence.deps = bo.resv.fencesFor(DmaResvUsage.BOOKKEEP);
  copyPagesOnSignal(bo, { res: old, tt: bo.ttm }, { res: newMem, tt: bo.ttm }, fence);
  const ret = yield* ttmBoMoveAccelCleanup(bo, fence, evict, true, newMem);
  if (ret === 0) return 0;
  yield { kind: 'fences', fences: [fence], interruptible: false, timeoutMs: null };
  ttmBoMoveNull(bo, newMem);
  return 0;
}

/**
 * The driver's ttm_device_funcs; `copyRing` is the GPU ring that runs its VRAM↔TT copies, `hooks` the
 * designs' changes (null: today's driver).
 */
export function simDeviceFuncs(
  copyRing: () => FenceTimeline,
  xe: XeState | null = null,
  ttCaching: Caching = 'cached',
  hooks: SimDriverHooks | null = null,
  mman: SimMman | null = null,
): DeviceFuncs {
  const xeHooks =
    xe === null
      ? {}
      : { ttmTtPopulate: (bdev: Device, tt: Tt, ctx: OperationCtx) => xeTtPopulate(xe, bdev, tt, ctx) };
  return {
    ...xeHooks,
    // Methods, not arrow properties: tsx's keepNames would name each arrow with a defineProperty call.
    ttmTtCreate(bo: BufferObject, pageFlags: number): Tt | null {
      // The driver's kzalloc of its tt (amdgpu_ttm_tt_create, xe_ttm_tt_create) or the page directory
      // allocation of ttm_sg_tt_init fails: the callback returns NULL.
      if (bo.bdev.global?.injectFault('tt.create', bo.id)) return null;
      return xe === null ? amdgpuTtCreate(bo, pageFlags, ttCaching, hooks) : xeTtCreate(xe, bo, pageFlags);
    },
    evictionValuable: ttmBoEvictionValuable,
    evictFlags(bo: BufferObject): Placement {
      // amdgpu_evict_flags: "Don't handle scatter gather BOs" (an import's pages are its exporter's) and
      // "if (abo->flags & AMDGPU_GEM_CREATE_DISCARDABLE) { placement->num_placement = 0; return; }": TTM
      // drops the backing store (ttm_bo_pipeline_gutting) instead of moving it.
      if (bo.type === 'sg' || mman?.discardable.has(bo) === true) return NO_PLACEMENT;
      const memType = bo.resource?.memType;
      // "if (!adev->mman.buffer_funcs_enabled) { /* Move to system memory */": no copy engine to TT.
      if (memType === TTM_PL_VRAM) return mman?.bufferFuncsEnabled === false ? SYSTEM_EVICT : VRAM_EVICT;
      if (memType === TTM_PL_TT) return TT_EVICT;
      return SYSTEM_EVICT;
    },
    move(
      bo: BufferObject,
      evict: boolean,
      ctx: OperationCtx,
      newMem: Resource,
      hop: Hop | null,
    ): KGen<number> {
      return simMove(
        copyRing,
        ttCaching,
        hooks,
        mman?.bufferFuncsEnabled !== false,
        bo,
        evict,
        ctx,
        newMem,
        hop,
      );
    },
  };
}

export interface SimDevice {
  readonly bdev: Device;
  /** Driver state of the xe flavour, null for amdgpu. */
  readonly xe: XeState | null;
  readonly vram: RangeManager;
  readonly tt: RangeManager;
  readonly copyRing: FenceTimeline;
  /** The ring user command submissions run on. */
  readonly gfxRing: FenceTimeline;
  /** The driver's memory-management state (amdgpu's adev->mman), which scenarios may change. */
  readonly mman: SimMman;
}

/** The driver state its move and evict_flags callbacks read (amdgpu's struct amdgpu_mman). */
export interface SimMman {
  /**
   * amdgpu_ttm_set_buffer_funcs_status: false while the copy engine is down (a GPU reset, early init,
   * late suspend). Moves to or from VRAM then fall back to ttm_bo_move_memcpy after waiting for the
   * BO to be idle, VRAM↔SYSTEM needs no bounce, and evict_flags sends VRAM to SYSTEM. Default true.
   */
  bufferFuncsEnabled: boolean;
  /**
   * BOs created with AMDGPU_GEM_CREATE_DISCARDABLE: userspace does not need their content kept, so
   * evict_flags gives no placement and eviction drops their memory. Looked up, never iterated.
   */
  readonly discardable: WeakSet<BufferObject>;
}

/** A device with SYSTEM, TT and VRAM managers, a copy ring and a graphics ring. */
export function createSimDevice(
  env: KernelEnv,
  global: TtmGlobal,
  id: string,
  cfg: SimDeviceConfig,
): SimDevice {
  let copyRing: FenceTimeline | null = null;
  const xe: XeState | null = cfg.style === 'xe' ? { purgeable: new Set(), owner: new WeakMap() } : null;
  const hooks = simDriverHooksOf(global);
  const mman: SimMman = { bufferFuncsEnabled: true, discardable: new WeakSet() };
  const bdev = new Device(
    id,
    env,
    simDeviceFuncs(() => copyRing!, xe, cfg.ttCaching ?? 'cached', hooks, mman),
  );
  copyRing = new FenceTimeline(env, `${id}/copy`);
  const gfxRing = new FenceTimeline(env, `${id}/gfx`);
  // Designs probe the platform here: a design's check may refuse the driver, or pick the coherent-DMA
  // page allocation (today's driver: the generic one).
  const probe = hooks === null ? 0 : hooks.probe();
  if (probe !== 0) throw new DriverLoadRefused(id, probe);
  const ret = ttmDeviceInit(global, bdev, {
    dev: {},
    mapping: {},
    vmaManager: { nodes: 0 },
    useDmaAlloc: hooks?.useDmaAlloc === true || cfg.useDmaAlloc === true,
    useDma32: false,
    allocFlags: cfg.allocFlags ?? 0,
  });
  if (ret !== 0) throw new Error(`ttm_device_init: ${ret}`);
  if (cfg.iommu !== undefined) bdev.iommu = cfg.iommu;
  else if (cfg.iommuPages !== undefined) bdev.iommu = new Iommu(`iommu:${id}`, cfg.iommuPages);
  const unpopulate = hooks?.unpopulate ?? null;
  if (unpopulate !== null) {
    // The design's hold on the pages goes when the tt's pages go (unpopulate, swapout, destroy).
    const populate = bdev.funcs;
    bdev.funcs = {
      ...populate,
      ttmTtUnpopulate: (d: Device, tt: Tt) => {
        unpopulate(tt);
        ttmPoolFree(d.pool, tt);
      },
    };
  }
  watchMemory(env, global, bdev);
  const vram = addRangeManager(bdev, TTM_PL_VRAM, false, cfg.vramBytes);
  const tt = addRangeManager(bdev, TTM_PL_TT, true, cfg.ttBytes);
  return { bdev, xe, vram, tt, copyRing, gfxRing, mman };
}

/**
 * Connect the world's pool, swap space and the device's IOMMU to their statecharts. The observers are
 * made by `usageObserver`, not written as arrow functions here: a closure stored into a property in the
 * function that creates it kept the whole run alive through young-generation collections while the
 * code was still interpreted (the first thousands of runs of a campaign).
 */
function watchMemory(env: KernelEnv, global: TtmGlobal, bdev: Device): void {
  global.poolMgr.observer ??= usageObserver(env, 'pool', 'pool');
  global.swap.observer ??= usageObserver(env, 'swap', 'swap');
  const iommu = bdev.iommu;
  if (iommu !== null) iommu.observer ??= usageObserver(env, 'iommu', iommu.id);
  if (iommu !== null && !global.iommus.includes(iommu)) global.iommus.push(iommu);
}

/** Reports a memory object's usage changes (and, for an IOMMU, its faults) to its statechart. */
function usageObserver(
  env: KernelEnv,
  kind: 'pool' | 'swap' | 'iommu',
  id: string,
): (op: string, pages: number) => void {
  return (op, pages) =>
    env.emit(kind, id, op === 'fault' ? { type: 'mem.fault', op } : { type: 'mem.usage', pages, op });
}

/** A driver that refused to load (its probe failed): the scenario cannot build its world. */
export class DriverLoadRefused extends Error {
  constructor(
    readonly device: string,
    readonly errno: number,
  ) {
    super(
      `${device}: the driver refused to load: dma_streaming_is_coherent() is false, probe returned ${errnoName(errno)}`,
    );
  }
}

function addRangeManager(bdev: Device, memType: number, useTt: boolean, size: number): RangeManager {
  const man = new RangeManager(bdev, memType, useTt, size);
  ttmResourceManagerInit(man, size);
  ttmSetDriverManager(bdev, memType, man);
  ttmResourceManagerSetUsed(man, true);
  return man;
}
