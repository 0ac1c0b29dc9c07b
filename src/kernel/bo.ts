// ttm_bo.c (and the inline helpers of include/drm/ttm/ttm_bo.h): buffer objects, their reservation,
// pinning, LRU bumps, validation with the DESIRED/FALLBACK/force_space passes, eviction through the LRU
// walker, multihop bouncing, release with zombies and delayed delete, and evict_all.
// Eviction asks the dmem cgroup controller which victims are valuable (dmem_cgroup.ts): within the pool
// whose limit the allocation hit, with low/min protection and the extra walks that ignore low.
// Simplified: no vma offset manager beyond a counter, no io_mem reservation.

import { TTM_ALLOCATION_PROPAGATE_ENOSPC } from './allocation.ts';
import type { CpuMapping } from './bo_vm.ts';
import {
  type BoType,
  PAGE_SIZE,
  TTM_PL_FLAG_DESIRED,
  TTM_PL_FLAG_FALLBACK,
  TTM_PL_SYSTEM,
} from './constants.ts';
import type { Device, Hop, TtmGlobal } from './device.ts';
import { type DmemPool, dmemCgroupStateEvictValuable } from './dmem_cgroup.ts';
import type { KGen } from './env.ts';
import {
  EAGAIN,
  EALREADY,
  EBUSY,
  EDEADLK,
  EFAULT,
  EINTR,
  EINVAL,
  EMULTIHOP,
  ENOENT,
  ENOMEM,
  ENOSPC,
  ERESTARTSYS,
  errnoName,
} from './errno.ts';
import { dmaFenceGet, dmaFencePut } from './fence_refs.ts';
import { type OperationCtx, operationCtx, type Place, type Placement } from './placement.ts';
import {
  dmemEagainForm,
  type LimitPoolOut,
  type LruBulkMove,
  type Resource,
  ResourceCursor,
  type ResourceManager,
  TTM_NUM_MOVE_FENCES,
  ttmResourceAddBulkMove,
  ttmResourceAlloc,
  ttmResourceCompatible,
  ttmResourceDelBulkMove,
  ttmResourceFree,
  ttmResourceIntersects,
  ttmResourceManagerFirst,
  ttmResourceManagerUsed,
  ttmResourceMoveToLruTail,
} from './resource.ts';
import {
  DmaResv,
  DmaResvUsage,
  dmaResvCopyFences,
  dmaResvLock,
  dmaResvReserveFences,
  dmaResvWaitTimeout,
} from './resv.ts';
import { checkReleaseLastResortWait } from './rules/bo_release.ts';
import { assertBoResvHeld, assertHeld, warnOn } from './rules/check.ts';
import { checkDmemLowBestEffort, checkDmemVictim } from './rules/dmem.ts';
import { checkEvictAllEmpty, pendingEvictionFences, postEvictAll } from './rules/evict_all.ts';
import {
  auditEvicted,
  auditSkip,
  auditWalkStart,
  type EvictAllocAudit,
  evictAllocAudit,
  postEvictAlloc,
} from './rules/evict_alloc.ts';
import { checkMoveCounts, moveCounts } from './rules/move_counts.ts';
import { lockupSpins, softLockupSpin } from './rules/soft_lockup.ts';
import {
  BO_ASSIGN_MEM_UNPLACED,
  BO_EVICT_RESV_HELD,
  BO_EVICTION_VALUABLE_RESV_HELD,
  BO_INDIVIDUALIZE_TRYLOCK,
  BO_INIT_RESERVED_RESV_HELD,
  BO_INIT_RESERVED_TRYLOCK,
  BO_MOVE_TO_LRU_TAIL_RESV_HELD,
  BO_PIN_KREF,
  BO_PIN_RESV_HELD,
  BO_POPULATE_RESV_HELD,
  BO_RELEASE_NO_BULK_MOVE,
  BO_RELEASE_UNPINNED,
  BO_RESERVE_NO_TICKET,
  BO_RESERVE_RETURNS,
  BO_SET_BULK_MOVE_RESV_HELD,
  BO_UNPIN_KREF,
  BO_UNPIN_PINNED,
  BO_UNPIN_RESV_HELD,
  BO_VALIDATE_RESV_HELD,
  BO_VALIDATE_RETURNS,
  BO_WAIT_CTX_RETURNS,
} from './rules/ttm_bo.ts';
import {
  checkEvictMoved,
  checkMultihop,
  checkNothingLeft,
  checkSystemPlace,
  countTurns,
  type TurnCount,
} from './rules/validate_space.ts';
import { checkVmaOffsetManager } from './rules/vma_offset.ts';
import {
  postBoPopulate,
  postInitReserved,
  postInitValidate,
  postPin,
  postReserve,
  postReserveSlowpath,
  postUnpin,
  postValidate,
} from './rules_post.ts';
import type { Tt } from './tt.ts';
import { ttmTtCreate, ttmTtDestroy, ttmTtPopulate } from './tt.ts';
import type { WwAcquireCtx } from './ww_mutex.ts';

/** Timeouts of the kernel's waits, in (virtual) milliseconds. */
export const TTM_BO_WAIT_TIMEOUT_MS = 15_000;
export const TTM_BO_RELEASE_WAIT_TIMEOUT_MS = 30_000;

export class BufferObject {
  type: BoType = 'device';
  pageAlignment = 0;
  priority = 0;
  pinCount = 0;
  deleted = false;
  resource: Resource | null = null;
  ttm: Tt | null = null;
  bulkMove: LruBulkMove | null = null;
  kref = 1;
  /** base._resv: the BO's own reservation object. */
  readonly ownResv: DmaResv;
  /** base.resv: the reservation in use (own, or shared with other BOs). */
  resv: DmaResv;
  /** The destructor; a generator when it drops references itself (a ghost's ttm_transfered_destroy). */
  destroy: ((bo: BufferObject) => KGen<void> | void) | null = null;
  /** An mmap offset is allocated (device and sg BOs). */
  vmaNode = false;
  sg: object | null = null;
  /** Ghost objects (ttm_transfer_obj) keep a reference on the BO they were split from. */
  ghostOf: BufferObject | null = null;
  destroyed = false;
  /** Times ttm_bo_unmap_virtual zapped the CPU mappings (every move does it first). */
  unmapCount = 0;
  /** The CPU mappings (VMAs) of this BO's mmap offset (bo_vm.ts). */
  readonly mappings = new Set<CpuMapping>();

  constructor(
    readonly id: string,
    public bdev: Device,
    /** base.size in bytes. */
    public size: number,
  ) {
    this.ownResv = new DmaResv(`${id}/resv`, bdev.env, bdev.global);
    this.resv = this.ownResv;
  }

  get numPages(): number {
    return Math.ceil(this.size / PAGE_SIZE);
  }
}

/** A zeroed BO of `size` bytes with one reference, no resource and no tt (ttm_bo_kunit_init). */
export function newBufferObject(bdev: Device, size: number): BufferObject {
  const bo = new BufferObject(`bo:${bdev.env.nextId('bo')}`, bdev, size);
  bdev.global?.bos.add(bo);
  bdev.env.emit('bo', bo.id, { type: 'bo.create', size });
  return bo;
}

// ---------------------------------------------------------------------------------------------------
// Reservation

/**
 * ttm_bo_reserve: lock the BO's resv. `noWait` only trylocks (and refuses a ticket). Returns 0, -EBUSY,
 * -EALREADY (the ticket holds it already), -EDEADLK (Wait-Die: back off and use the slowpath) or
 * -ERESTARTSYS (signal, interruptible only).
 */
export function* ttmBoReserve(
  bo: BufferObject,
  interruptible: boolean,
  noWait: boolean,
  ticket: WwAcquireCtx | null,
): KGen<number> {
  const g = bo.bdev.global;
  if (noWait) {
    if (warnOn(g, BO_RESERVE_NO_TICKET, ticket !== null, bo.id, '')) {
      return postReserve(bo, ticket, noWait, -EBUSY);
    }
    return postReserve(bo, ticket, noWait, bo.resv.trylock(bo.bdev.env.current()) ? 0 : -EBUSY);
  }
  const lret = yield* dmaResvLock(bo.resv, ticket, interruptible);
  const ret = lret === -EINTR ? -ERESTARTSYS : lret;
  warnOn(g, BO_RESERVE_RETURNS, !reserveReturn(ret), bo.id, ret === 0 ? '' : `returned ${errnoName(ret)}`);
  return postReserve(bo, ticket, noWait, ret);
}

/** A value ttm_bo_reserve's kerneldoc lists (0 or one of its errnos). */
function reserveReturn(ret: number): boolean {
  return ret === 0 || ret === -EDEADLK || ret === -ERESTARTSYS || ret === -EBUSY || ret === -EALREADY;
}

/** ttm_bo_reserve_slowpath: sleep on a contended lock after backing off. 0 or -ERESTARTSYS. */
export function* ttmBoReserveSlowpath(
  bo: BufferObject,
  interruptible: boolean,
  ticket: WwAcquireCtx,
): KGen<number> {
  const ret = yield* dmaResvLock(bo.resv, ticket, interruptible, true);
  return postReserveSlowpath(bo, ticket, ret === -EINTR ? -ERESTARTSYS : ret);
}

/** ttm_bo_move_to_lru_tail: bump the BO's resource (lru_lock held). */
export function ttmBoMoveToLruTail(bo: BufferObject): void {
  assertBoResvHeld(BO_MOVE_TO_LRU_TAIL_RESV_HELD, bo);
  if (bo.resource !== null) ttmResourceMoveToLruTail(bo.resource);
}

/** ttm_bo_unreserve: bump to the LRU tail, then unlock. Every unreserve reorders the LRU. */
export function ttmBoUnreserve(bo: BufferObject): void {
  ttmBoMoveToLruTail(bo);
  bo.resv.unlock();
}

/** ttm_bo_set_bulk_move: move the BO's resource into (or out of) a bulk-move range (resv held). */
export function ttmBoSetBulkMove(bo: BufferObject, bulk: LruBulkMove | null): void {
  assertBoResvHeld(BO_SET_BULK_MOVE_RESV_HELD, bo);
  if (bo.bulkMove === bulk) return;
  if (bo.resource !== null) ttmResourceDelBulkMove(bo.resource, bo);
  bo.bulkMove = bulk;
  if (bo.resource !== null) ttmResourceAddBulkMove(bo.resource, bo);
}

/** ttm_bo_pin: leave the bulk move; on 0→1 the resource goes to the unevictable list (resv held). */
export function ttmBoPin(bo: BufferObject): void {
  assertBoResvHeld(BO_PIN_RESV_HELD, bo);
  warnOn(bo.bdev.global, BO_PIN_KREF, bo.kref === 0, bo.id, '');
  // Only the first pin can find the resource in a bulk move (a pinned one is never in a range).
  if (bo.resource !== null && bo.pinCount === 0) ttmResourceDelBulkMove(bo.resource, bo);
  const first = bo.pinCount === 0;
  bo.pinCount += 1;
  if (first && bo.resource !== null) ttmResourceMoveToLruTail(bo.resource);
  bo.bdev.env.emit('bo', bo.id, { type: 'bo.pin', count: bo.pinCount });
  postPin(bo, bo.pinCount - 1);
}

/** ttm_bo_unpin: on 1→0 back into the bulk move and the LRU tail. Unpin at 0 warns and does nothing. */
export function ttmBoUnpin(bo: BufferObject): void {
  assertBoResvHeld(BO_UNPIN_RESV_HELD, bo);
  const g = bo.bdev.global;
  warnOn(g, BO_UNPIN_KREF, bo.kref === 0, bo.id, '');
  if (warnOn(g, BO_UNPIN_PINNED, bo.pinCount === 0, bo.id, '')) return;
  bo.pinCount -= 1;
  if (bo.pinCount === 0 && bo.resource !== null) {
    ttmResourceAddBulkMove(bo.resource, bo);
    ttmResourceMoveToLruTail(bo.resource);
  }
  bo.bdev.env.emit('bo', bo.id, { type: 'bo.unpin', count: bo.pinCount });
  postUnpin(bo, bo.pinCount + 1);
}

// ---------------------------------------------------------------------------------------------------
// Waiting

/**
 * ttm_bo_wait_ctx: wait for all fences (BOOKKEEP). With no_wait_gpu: 0 if idle, else -EBUSY.
 * Otherwise 0, -EBUSY after 15 s, -ERESTARTSYS when interrupted.
 */
export function* ttmBoWaitCtx(bo: BufferObject, ctx: OperationCtx): KGen<number> {
  if (ctx.noWaitGpu) return bo.resv.testSignaled(DmaResvUsage.BOOKKEEP) ? 0 : -EBUSY;
  const lret = yield* dmaResvWaitTimeout(
    bo.resv,
    DmaResvUsage.BOOKKEEP,
    ctx.interruptible,
    TTM_BO_WAIT_TIMEOUT_MS,
  );
  const ret = lret < 0 ? lret : lret === 0 ? -EBUSY : 0;
  const broken = ret !== 0 && ret !== -EBUSY && ret !== -ERESTARTSYS;
  warnOn(bo.bdev.global, BO_WAIT_CTX_RETURNS, broken, bo.id, broken ? `returned ${errnoName(ret)}` : '');
  return ret;
}

/** ttm_bo_unmap_virtual: zap every PTE of every CPU mapping of the BO (before any move, swapout or shrink). */
export function ttmBoUnmapVirtual(bo: BufferObject): void {
  bo.unmapCount += 1;
  for (const vma of bo.mappings) vma.zap();
  bo.bdev.env.emit('bo', bo.id, { type: 'bo.unmap' });
}

// ---------------------------------------------------------------------------------------------------
// Moves

export function ttmBoTtDestroy(bo: BufferObject): void {
  if (bo.ttm === null) return;
  ttmTtDestroy(bo.bdev, bo.ttm);
  bo.ttm = null;
}

/** ttm_bo_populate: populate the tt; a BO coming back from swap rejoins the LRU (resv held). */
export function* ttmBoPopulate(bo: BufferObject, ctx: OperationCtx): KGen<number> {
  assertBoResvHeld(BO_POPULATE_RESV_HELD, bo);
  const tt = bo.ttm;
  if (tt === null) return 0;
  const swapped = tt.isSwapped();
  const ret = yield* ttmTtPopulate(bo.bdev, tt, ctx);
  if (ret !== 0) return postBoPopulate(bo, swapped, ret);
  if (swapped && !tt.isSwapped() && bo.pinCount === 0 && bo.resource !== null) {
    ttmResourceAddBulkMove(bo.resource, bo);
    ttmResourceMoveToLruTail(bo.resource);
  }
  return postBoPopulate(bo, swapped, 0);
}

/** ttm_bo_assign_mem. */
export function ttmBoAssignMem(bo: BufferObject, newMem: Resource | null): void {
  // The model frees with ttm_bo_assign_mem(bo, NULL) where the kernel's ttm_resource_free(bo, &bo->resource)
  // clears the pointer: only an assignment of a new resource is judged.
  if (newMem !== null) warnOn(bo.bdev.global, BO_ASSIGN_MEM_UNPLACED, bo.resource !== null, bo.id, '');
  bo.resource = newMem;
  bo.bdev.env.emit(
    'bo',
    bo.id,
    newMem === null
      ? { type: 'bo.unplaced' }
      : { type: 'bo.placed', memType: newMem.memType, res: newMem.id },
  );
}

/**
 * ttm_bo_handle_move_mem: zap CPU mappings, create/populate the tt the destination needs, reserve a fence
 * slot, and let the driver move. -EMULTIHOP is passed up with `hop` filled in; on success
 * `ctx.bytesMoved += size`.
 */
export function* ttmBoHandleMoveMem(
  bo: BufferObject,
  mem: Resource,
  evict: boolean,
  ctx: OperationCtx,
  hop: Hop | null,
): KGen<number> {
  const before = bo.resource;
  const ret = checkMultihop(bo, mem, before, yield* handleMoveMem(bo, mem, evict, ctx, hop));
  // Counts read after the move's last scheduling point: other tasks' moves, and moves nested in this one
  // with the same ctx (ttm_tt_populate's ttm_global_swapout), are counted by then.
  const counted = moveCounts(bo, ctx);
  if (ret === 0) countMove(bo, mem, evict, ctx);
  return checkMoveCounts(bo, evict, ctx, counted, ret);
}

/** The counting of a move that returned 0: ctx->bytes_moved, the world's counters, the trace event. */
function countMove(bo: BufferObject, mem: Resource, evict: boolean, ctx: OperationCtx): void {
  const bdev = bo.bdev;
  ctx.bytesMoved += bo.size;
  const counters = bdev.global?.counters;
  if (counters !== undefined) {
    counters.bytesMoved += bo.size;
    if (evict) counters.evictions += 1;
  }
  bdev.env.emit('bo', bo.id, {
    type: evict ? 'bo.evicted' : 'bo.moved',
    memType: mem.memType,
    bytes: bo.size,
  });
}

function* handleMoveMem(
  bo: BufferObject,
  mem: Resource,
  evict: boolean,
  ctx: OperationCtx,
  hop: Hop | null,
): KGen<number> {
  const bdev = bo.bdev;
  const oldUseTt = bo.resource === null || (bdev.manager(bo.resource.memType)?.useTt ?? true);
  const newUseTt = bdev.manager(mem.memType)?.useTt ?? false;
  ttmBoUnmapVirtual(bo);
  let ret = 0;
  if (newUseTt) {
    ret = ttmTtCreate(bo, oldUseTt);
    if (ret === 0 && mem.memType !== TTM_PL_SYSTEM) ret = yield* ttmBoPopulate(bo, ctx);
  }
  if (ret === 0) ret = dmaResvReserveFences(bo.resv, 1, bdev.global, bo.id);
  if (ret === 0) {
    ret = yield* bdev.funcs.move(bo, evict, ctx, mem, hop);
    if (ret === -EMULTIHOP) return ret;
  }
  if (ret !== 0) {
    if (!oldUseTt) ttmBoTtDestroy(bo);
    return ret;
  }
  return 0;
}

/**
 * Mutation: ttm_bo_add_move_fence keeps the reference it took on the manager's move fence when it has
 * added the fence to the BO — after "drm/ttm: remove bo->moving" (8bb31587820a), fixed by "drm/ttm:
 * fixup ttm_bo_add_move_fence v2" (7be2bb8c2ff3, 2022). Every such allocation leaks a fence. The bug
 * lives in the form before "drm/ttm: rework pipelined eviction fence handling" (7.0), one move fence per
 * manager sampled with a reference, so the mutation runs that form (olderMoveFenceForm).
 */
export const MUTATION_MOVE_FENCE_NO_PUT = 'move-fence-no-put';

/**
 * Does the world run the pipelined-eviction form before 7.0's rework: one fence per manager (man->move,
 * kept in slot 0), sampled by ttm_bo_add_move_fence with a reference, one fence slot reserved per
 * allocation. Only the mutation that lives in that form turns it on.
 */
export function olderMoveFenceForm(global: TtmGlobal | null): boolean {
  return global?.mutations.has(MUTATION_MOVE_FENCE_NO_PUT) ?? false;
}

/** Fence slots ttm_bo_alloc_resource and a ghost's resv reserve: TTM_NUM_MOVE_FENCES, 1 before 7.0. */
export function moveFenceSlots(global: TtmGlobal | null): number {
  return olderMoveFenceForm(global) ? 1 : TTM_NUM_MOVE_FENCES;
}

/**
 * ttm_bo_add_pipelined_eviction_fences: a new user of memory freed by pipelined evictions must wait for
 * them. Under man->eviction_lock, every occupied slot: with no_wait_gpu an unsignalled fence is -EBUSY,
 * otherwise each fence is added to the BO as a KERNEL fence (dma_resv_add_fence takes its own
 * reference, so no dma_fence_get here); then one more fence slot is reserved ("TODO: this call should
 * be removed."). 0, -EBUSY, or the reservation's -ENOMEM.
 */
export function ttmBoAddPipelinedEvictionFences(
  bo: BufferObject,
  man: ResourceManager,
  noWaitGpu: boolean,
): number {
  const global = bo.bdev.global;
  if (olderMoveFenceForm(global)) return ttmBoAddMoveFence(bo, man, noWaitGpu);
  for (const fence of man.evictionFences) {
    if (fence === null) continue;
    if (noWaitGpu) {
      if (!fence.signaled) return -EBUSY;
    } else {
      bo.resv.addFence(fence, DmaResvUsage.KERNEL);
    }
  }
  // dma_resv_reserve_fences allocates, and so can fail, only when fewer slots than asked for are free
  // ("if (old && old->max_fences - old->num_fences >= num_fences) return 0;"): with the
  // TTM_NUM_MOVE_FENCES reserved by ttm_bo_alloc_resource, only after a fence from every slot.
  if (bo.resv.slotsReserved >= 1) return 0;
  return dmaResvReserveFences(bo.resv, 1, global, bo.id);
}

/**
 * ttm_bo_add_move_fence, the form before 7.0 (olderMoveFenceForm): samples the manager's one move fence
 * with a reference (dma_fence_get under move_lock) and drops it when done.
 */
function ttmBoAddMoveFence(bo: BufferObject, man: ResourceManager, noWaitGpu: boolean): number {
  const global = bo.bdev.global;
  const fence = dmaFenceGet(global, man.evictionFences[0]!);
  if (fence === null) return 0;
  if (noWaitGpu) {
    const ret = fence.signaled ? 0 : -EBUSY;
    dmaFencePut(global, fence);
    return ret;
  }
  bo.resv.addFence(fence, DmaResvUsage.KERNEL);
  const ret = dmaResvReserveFences(bo.resv, 1, global, bo.id);
  if (!global?.mutations.has(MUTATION_MOVE_FENCE_NO_PUT)) dmaFencePut(global, fence);
  return ret;
}

/** ttm_bo_eviction_valuable: SYSTEM always; otherwise only resources intersecting `place`. */
export function ttmBoEvictionValuable(bo: BufferObject, place: Place): boolean {
  assertBoResvHeld(BO_EVICTION_VALUABLE_RESV_HELD, bo);
  const res = bo.resource;
  if (res === null) return false;
  if (res.memType === TTM_PL_SYSTEM) return true;
  return ttmResourceIntersects(bo.bdev, res, place, bo.size);
}

/**
 * ttm_bo_alloc_resource: one pass over the placement. The first pass (force_space false) skips FALLBACK
 * places and never evicts; the second skips DESIRED places and evicts from non-SYSTEM managers.
 * Returns the resource, -ENOSPC when no place worked, or a hard error.
 */
export function* ttmBoAllocResource(
  bo: BufferObject,
  placement: Placement,
  ctx: OperationCtx,
  forceSpace: boolean,
): KGen<Resource | number> {
  const bdev = bo.bdev;
  const ticket = bo.resv.lockingCtx();
  let ret = dmaResvReserveFences(bo.resv, moveFenceSlots(bdev.global), bdev.global, bo.id);
  if (ret !== 0) return ret;
  for (const p of placement.placement) {
    const man = bdev.manager(p.memType);
    if (man === null || !ttmResourceManagerUsed(man)) continue;
    if (p.flags & (forceSpace ? TTM_PL_FLAG_DESIRED : TTM_PL_FLAG_FALLBACK)) continue;
    const mayEvict = forceSpace && p.memType !== TTM_PL_SYSTEM;
    yield { kind: 'yield', label: 'resource.alloc' };
    // The limiting pool of a failed dmem charge (asked for only when evicting); a limit hit is -ENOSPC
    // ("drm/ttm: Convert -EAGAIN from dmem_cgroup_try_charge to -ENOSPC", 2026).
    const limit: LimitPoolOut = { pool: null };
    let res = ttmResourceAlloc(bo, p, forceSpace ? limit : null);
    if (typeof res === 'number') {
      if (res !== -ENOSPC && !(res === -EAGAIN && dmemEagainForm(bo))) return res;
      if (!mayEvict) continue;
      const seen: TurnCount = { turns: 0 };
      res = yield* countTurns(ttmBoEvictAlloc(bdev, man, p, bo, ctx, ticket, limit.pool), seen);
      if (res === -EBUSY) {
        const ownValuable = bdev.funcs.evictionValuable === ttmBoEvictionValuable;
        checkNothingLeft(bo, man, p, ctx, seen.turns, limit.pool !== null, ownValuable);
        checkDmemLowBestEffort(bo, man, p, ctx, seen.turns, limit.pool, ownValuable);
        continue;
      }
      if (typeof res === 'number') return res;
    }
    ret = ttmBoAddPipelinedEvictionFences(bo, man, ctx.noWaitGpu);
    if (ret !== 0) {
      ttmResourceFree(bo, res);
      if (ret === -EBUSY) continue;
      return ret;
    }
    return res;
  }
  return -ENOSPC;
}

/** ttm_bo_mem_space: the non-evicting pass, then the evicting one while it is -ENOSPC. */
export function* ttmBoMemSpace(
  bo: BufferObject,
  placement: Placement,
  ctx: OperationCtx,
): KGen<Resource | number> {
  let forceSpace = false;
  let ret: Resource | number;
  do {
    ret = yield* ttmBoAllocResource(bo, placement, ctx, forceSpace);
    forceSpace = !forceSpace;
  } while (ret === -ENOSPC && forceSpace);
  if (typeof ret === 'number') checkSystemPlace('ttm_bo_mem_space', bo, placement, ctx, ret);
  return ret;
}

/** ttm_bo_bounce_temp_buffer: move to the driver's hop placement (TEMPORARY) first. */
function* ttmBoBounceTempBuffer(bo: BufferObject, ctx: OperationCtx, hop: Hop): KGen<number> {
  if (hop.place === null) return -EINVAL;
  const hopMem = yield* ttmBoMemSpace(bo, { placement: [hop.place] }, ctx);
  if (typeof hopMem === 'number') return hopMem;
  const ret = yield* ttmBoHandleMoveMem(bo, hopMem, false, ctx, null);
  if (ret !== 0) {
    ttmResourceFree(bo, hopMem);
    return ret;
  }
  return 0;
}

/**
 * ttm_bo_validate: make the BO's placement one of `placement` (resv held). Returns 0, -EINVAL (pinned
 * BO that would have to move), -ENOMEM (no space even after evicting; -ENOSPC is mapped to it for
 * userspace, or kept on a device with TTM_ALLOCATION_PROPAGATE_ENOSPC), -ERESTARTSYS, -EBUSY, or a
 * driver move error.
 */
export function* ttmBoValidate(bo: BufferObject, placement: Placement, ctx: OperationCtx): KGen<number> {
  assertBoResvHeld(BO_VALIDATE_RESV_HELD, bo);
  const before = bo.resource;
  const ret = postValidate(bo, placement, before, yield* validate(bo, placement, ctx));
  warnOn(
    bo.bdev.global,
    BO_VALIDATE_RETURNS,
    !validateReturn(ret),
    bo.id,
    ret === 0 ? '' : `returned ${errnoName(ret)}`,
  );
  return ret;
}

/** A value ttm_bo_validate's kerneldoc lists (0 or one of its errnos). */
function validateReturn(ret: number): boolean {
  return (
    ret === 0 || ret === -EINVAL || ret === -ENOMEM || ret === -EBUSY || ret === -ERESTARTSYS || passedUp(ret)
  );
}

/** Errnos ttm_bo_validate passes up from its callees although its kerneldoc does not list them. */
function passedUp(ret: number): boolean {
  return ret === -ENOSPC || ret === -EFAULT || ret === -EINTR;
}

function* validate(bo: BufferObject, placement: Placement, ctx: OperationCtx): KGen<number> {
  if (placement.placement.length === 0) return yield* ttmBoPipelineGutting(bo);
  let forceSpace = false;
  let ret = 0;
  do {
    if (bo.resource !== null && ttmResourceCompatible(bo.resource, placement, forceSpace)) return 0;
    if (bo.pinCount > 0) return -EINVAL;
    const res = yield* ttmBoAllocResource(bo, placement, ctx, forceSpace);
    forceSpace = !forceSpace;
    if (res === -ENOSPC) {
      ret = res;
      continue;
    }
    if (typeof res === 'number') return res;
    ret = yield* moveWithBounce(bo, res, false, ctx);
    if (ret !== 0) {
      ttmResourceFree(bo, res);
      return ret;
    }
  } while (ret !== 0 && forceSpace);
  // "For backward compatibility with userspace": -ENOMEM, unless the device asked for -ENOSPC
  // (TTM_ALLOCATION_PROPAGATE_ENOSPC, ttm_device's alloc_flags, 6.19).
  checkSystemPlace('ttm_bo_validate', bo, placement, ctx, ret);
  if (ret === -ENOSPC) return (bo.bdev.allocFlags & TTM_ALLOCATION_PROPAGATE_ENOSPC) !== 0 ? ret : -ENOMEM;
  if (bo.resource === null || bo.resource.memType === TTM_PL_SYSTEM) return ttmTtCreate(bo, true);
  return 0;
}

/** handle_move_mem, bouncing through the driver's hop placement while it answers -EMULTIHOP. */
function* moveWithBounce(bo: BufferObject, res: Resource, evict: boolean, ctx: OperationCtx): KGen<number> {
  for (;;) {
    const hop: Hop = { place: null };
    const ret = yield* ttmBoHandleMoveMem(bo, res, evict, ctx, hop);
    if (ret !== -EMULTIHOP) return ret;
    const bounced = yield* ttmBoBounceTempBuffer(bo, ctx, hop);
    if (bounced !== 0) return bounced;
  }
}

/**
 * ttm_bo_init_reserved: initialise `bo` and validate it into `placement`, returning with the resv held.
 * On failure the BO is put (destroyed) and must not be touched. 0, -ENOMEM, -EINVAL, -ERESTARTSYS.
 */
export function* ttmBoInitReserved(
  bdev: Device,
  bo: BufferObject,
  type: BoType,
  placement: Placement,
  alignment: number,
  ctx: OperationCtx,
  sg: object | null,
  resv: DmaResv | null,
  destroy: ((bo: BufferObject) => KGen<void> | void) | null,
): KGen<number> {
  bo.kref = 1;
  bo.bdev = bdev;
  bo.type = type;
  bo.pageAlignment = alignment;
  bo.destroy = destroy;
  bo.pinCount = 0;
  bo.sg = sg;
  bo.bulkMove = null;
  bo.resv = resv ?? bo.ownResv;
  if (bdev.global !== null) bdev.global.boCount += 1;
  if (type === 'device' || type === 'sg') {
    if (checkVmaOffsetManager(bdev, bo.id, 'add') && bdev.vmaManager !== null) bdev.vmaManager.nodes += 1;
    bo.vmaNode = true;
  }
  const g = bdev.global;
  if (resv === null) warnOn(g, BO_INIT_RESERVED_TRYLOCK, !bo.resv.trylock(bdev.env.current()), bo.id, '');
  else assertHeld(g, BO_INIT_RESERVED_RESV_HELD, resv.lock, bdev.env.current(), bo.id);
  bdev.env.emit('bo', bo.id, { type: 'bo.init', boType: type });
  const ret = yield* ttmBoValidate(bo, placement, ctx);
  if (ret !== 0) {
    if (resv === null) bo.resv.unlock();
    yield* ttmBoPut(bo);
    return postInitReserved(bo, resv === null, ret);
  }
  return postInitReserved(bo, resv === null, 0);
}

/** ttm_bo_init_validate: init_reserved with {interruptible} then unreserve (own resv only). */
export function* ttmBoInitValidate(
  bdev: Device,
  bo: BufferObject,
  type: BoType,
  placement: Placement,
  alignment: number,
  interruptible: boolean,
  resv: DmaResv | null,
): KGen<number> {
  const ctx = operationCtx({ interruptible });
  const ret = yield* ttmBoInitReserved(bdev, bo, type, placement, alignment, ctx, null, resv, null);
  if (ret !== 0) return postInitValidate(bo, resv === null, ret);
  if (ret !== 0) return ret;
  if (resv === null) ttmBoUnreserve(bo);
  return postInitValidate(bo, resv === null, 0);
}

// ---------------------------------------------------------------------------------------------------
// Eviction

/**
 * Mutation: ttm_bo_evict moves the victim with a single ttm_bo_handle_move_mem and treats the driver's
 * -EMULTIHOP (VRAM→SYSTEM needs a bounce through TT) as a hard error instead of bouncing — before
 * "drm/ttm: Fix multihop assert on eviction." (403797925768, 2021). The error ends the eviction walk and
 * reaches the evictor's caller.
 */
export const MUTATION_EVICT_MULTIHOP_ERROR = 'evict-multihop-error';

/**
 * ttm_bo_evict: move a locked victim to its evict_flags placement (bouncing through the driver's hop
 * placement on -EMULTIHOP), or drop its backing store when the driver gives none (after waiting for
 * idle). Returns 0 or the error of the wait / space search / move.
 */
export function* ttmBoEvict(bo: BufferObject, ctx: OperationCtx): KGen<number> {
  assertBoResvHeld(BO_EVICT_RESV_HELD, bo);
  const placement = bo.bdev.funcs.evictFlags(bo);
  if (placement.placement.length === 0) {
    const ret = yield* ttmBoWaitCtx(bo, ctx);
    if (ret !== 0) return ret;
    return yield* ttmBoPipelineGutting(bo);
  }
  const evictMem = yield* ttmBoMemSpace(bo, placement, ctx);
  if (typeof evictMem === 'number') return evictMem;
  const evictions = bo.bdev.global?.counters.evictions ?? 0;
  const ret = bo.bdev.global?.mutations.has(MUTATION_EVICT_MULTIHOP_ERROR)
    ? yield* ttmBoHandleMoveMem(bo, evictMem, true, ctx, { place: null })
    : yield* moveWithBounce(bo, evictMem, true, ctx);
  if (ret !== 0) ttmResourceFree(bo, evictMem);
  return checkEvictMoved(bo, evictMem, evictions, ret);
}

/** The state of one eviction walk (struct ttm_bo_evict_walk + ttm_lru_walk_arg). */
/** struct ttm_lru_walk_arg: how the walker locks. The ticket is dropped after one ticket-lock. */
export interface LruWalkArg {
  readonly ctx: OperationCtx;
  ticket: WwAcquireCtx | null;
  trylockOnly: boolean;
  /** What the walks of one ttm_bo_evict_alloc do to the BOs they meet (bo.evict-alloc.ticketed). */
  readonly audit?: EvictAllocAudit;
}

interface EvictWalk extends LruWalkArg {
  readonly place: Place;
  readonly evictor: BufferObject;
  evicted: number;
  /** The resource the evictor got, once it got one. */
  res: Resource | null;
  /** The dmem pool whose limit the evictor's charge hit (null: no cgroup limit, the manager is full). */
  readonly limitPool: DmemPool | null;
  /** This walk also evicts from pools within their effective dmem.low. */
  tryLow: boolean;
  /** dmem_cgroup_state_evict_valuable skipped a BO for its low protection (a walk with tryLow may help). */
  hitLow: boolean;
}

/**
 * ttm_bo_evict_cb: evict (or clean up, for zombies) one locked BO the dmem controller lets go, then
 * retry the evictor's allocation. 1 = evictor has its resource (stop), 0 = skipped, -EBUSY = keep
 * walking, other < 0 = stop with error.
 */
function* ttmBoEvictCb(walk: EvictWalk, bo: BufferObject): KGen<number> {
  const css = bo.resource?.css ?? null;
  if (!dmemCgroupStateEvictValuable(walk.limitPool, css, walk.tryLow, walk)) return 0;
  if (bo.pinCount > 0 || !bo.bdev.funcs.evictionValuable(bo, walk.place)) return 0;
  if (css !== null || walk.limitPool !== null) {
    checkDmemVictim(bo.bdev.global, walk.limitPool, css, walk.tryLow, bo.id);
  }
  let lret: number;
  if (bo.deleted) {
    lret = yield* ttmBoWaitCtx(bo, walk.ctx);
    if (lret === 0) ttmBoCleanupMemtypeUse(bo);
  } else {
    lret = yield* ttmBoEvict(bo, walk.ctx);
  }
  if (lret === 0) {
    walk.evicted += 1;
    const res = ttmResourceAlloc(walk.evictor, walk.place);
    if (walk.audit !== undefined) auditEvicted(walk.audit);
    if (typeof res !== 'number') {
      walk.res = res;
      return 1;
    }
    lret = res;
  }
  return lret === -ENOSPC ? -EBUSY : lret;
}

/**
 * ttm_lru_walk_for_evict: walk the manager's LRUs (priority 0 first) with a cursor, trylocking each BO;
 * with a ticket (and not trylock-only, not no_wait_gpu) one BO per walk may be ticket-locked, whose
 * -EDEADLK becomes -ENOSPC. Skips BOs whose resource changed type meanwhile and hands each locked BO to
 * `processBo` (the walk's ops->process_bo: eviction, swapout). Returns progress or < 0.
 * `preLock`, when given, looks at each listed resource and its BO before the trylock (false: skip it);
 * only mutations that bring back older walk orders pass one (swap.ts).
 */
export function* ttmLruWalkForEvict(
  walk: LruWalkArg,
  man: ResourceManager,
  target: number,
  processBo: (bo: BufferObject) => KGen<number>,
  preLock?: (res: Resource, bo: BufferObject) => KGen<boolean>,
): KGen<number> {
  const task = man.bdev.env.current();
  const cursor = new ResourceCursor(man);
  let progress = 0;
  const spins = lockupSpins();
  if (walk.audit !== undefined) auditWalkStart(walk.audit);
  try {
    for (let res = cursor.next(); res !== null; res = cursor.next()) {
      softLockupSpin(spins, 'ttm_lru_walk_for_evict');
      const bo = res.bo;
      if (bo === null) continue;
      if (preLock !== undefined && !(yield* preLock(res, bo))) continue;
      let needsUnlock = false;
      let locked = false;
      if (bo.resv.trylock(task)) {
        needsUnlock = true;
        locked = true;
      } else if (bo.resv === walk.ctx.resv && walk.ctx.allowResEvict) {
        assertBoResvHeld(LRU_WALK_TRYLOCK_RESV_HELD, bo);
        locked = true;
      } else if (walk.ticket === null || walk.ctx.noWaitGpu || walk.trylockOnly) {
        if (walk.audit !== undefined)
          auditSkip(walk.audit, walk.ticket !== null && !walk.ctx.noWaitGpu, bo.id);
        continue;
      }
      if (!ttmBoGetUnlessZero(bo)) {
        if (needsUnlock) bo.resv.unlock();
        continue;
      }
      const memType = res.memType;
      let lret = 0;
      if (!locked) {
        lret = yield* dmaResvLock(bo.resv, walk.ticket, walk.ctx.interruptible);
        if (lret === 0) {
          needsUnlock = true;
          walk.ticket = null;
        } else if (lret === -EDEADLK) {
          lret = -ENOSPC;
        }
      }
      if (lret === 0 && bo.resource !== null && bo.resource.memType === memType) {
        lret = yield* processBo(bo);
      }
      if (needsUnlock) bo.resv.unlock();
      yield* ttmBoPut(bo);
      if (lret === -EBUSY || lret === -EALREADY) lret = 0;
      progress = lret < 0 ? lret : progress + lret;
      if (progress < 0 || progress >= target) break;
    }
  } finally {
    cursor.fini();
  }
  return progress;
}

/**
 * ttm_bo_evict_alloc: make room in `man` for `evictor` at `place`, taking victims only where the dmem
 * controller allows (`limitPool`: the pool whose limit the evictor's charge hit, or null). First a
 * trylock-only walk, and one more ignoring low protection when the first skipped a BO for it; then,
 * with a ww ticket, walks that may ticket-lock one BO each, repeated while they evict something, and
 * repeated once more ignoring low when they hit it. Returns the evictor's new resource, -EBUSY when
 * nothing could be evicted, or an error.
 */
export function* ttmBoEvictAlloc(
  _bdev: Device,
  man: ResourceManager,
  place: Place,
  evictor: BufferObject,
  ctx: OperationCtx,
  ticket: WwAcquireCtx | null,
  limitPool: DmemPool | null = null,
): KGen<Resource | number> {
  const audit = evictAllocAudit();
  const walk: EvictWalk = {
    ctx,
    ticket,
    trylockOnly: true,
    place,
    evictor,
    evicted: 0,
    res: null,
    limitPool,
    tryLow: false,
    hitLow: false,
    audit,
  };
  const evictCb = (bo: BufferObject) => ttmBoEvictCb(walk, bo);
  let lret = yield* ttmLruWalkForEvict(walk, man, 1, evictCb);
  // "One more attempt if we hit low limit?"
  if (lret === 0 && walk.hitLow) {
    walk.tryLow = true;
    lret = yield* ttmLruWalkForEvict(walk, man, 1, evictCb);
  }
  if (lret === 0 && ticket !== null) {
    walk.tryLow = false;
    walk.hitLow = false;
    walk.trylockOnly = false;
    for (;;) {
      do {
        walk.ticket = ticket;
        walk.evicted = 0;
        lret = yield* ttmLruWalkForEvict(walk, man, 1, evictCb);
      } while (lret === 0 && walk.evicted > 0);
      // "We hit the low limit? Try once more"
      if (lret !== 0 || !walk.hitLow || walk.tryLow) break;
      walk.tryLow = true;
    }
  }
  const ret = lret < 0 ? lret : lret === 0 || walk.res === null ? -EBUSY : walk.res;
  postEvictAlloc(
    evictor.bdev.global,
    evictor.id,
    typeof ret === 'number' ? ret : 0,
    ticket !== null && !ctx.noWaitGpu,
    audit,
  );
  return ret;
}

/**
 * ttm_bo_evict_first: evict the first BO of the manager's LRUs with a blocking (ticketless) reserve.
 * 0, -ENOENT when the LRUs are empty, or the reserve/evict error.
 */
export function* ttmBoEvictFirst(_bdev: Device, man: ResourceManager, ctx: OperationCtx): KGen<number> {
  const res = ttmResourceManagerFirst(man);
  if (res === null) return -ENOENT;
  const bo = res.bo;
  if (bo === null || !ttmBoGetUnlessZero(bo)) return 0;
  const memType = res.memType;
  let ret = yield* ttmBoReserve(bo, ctx.interruptible, ctx.noWaitGpu, null);
  if (ret === 0) {
    if (bo.resource !== null && bo.resource.memType === memType) {
      if (bo.deleted) {
        ret = yield* ttmBoWaitCtx(bo, ctx);
        if (ret === 0) ttmBoCleanupMemtypeUse(bo);
      } else {
        ret = yield* ttmBoEvict(bo, ctx);
      }
    }
    bo.resv.unlock();
  }
  yield* ttmBoPut(bo);
  return ret;
}

/**
 * ttm_resource_manager_evict_all: evict until the LRUs are empty, then wait, slot by slot, for every
 * unsignalled fence of the manager's pipelined evictions. 0 or the first eviction error.
 */
export function* ttmResourceManagerEvictAll(bdev: Device, man: ResourceManager): KGen<number> {
  const ctx = operationCtx();
  let ret: number;
  const spins = lockupSpins();
  do {
    softLockupSpin(spins, 'ttm_resource_manager_evict_all');
    ret = yield* ttmBoEvictFirst(bdev, man, ctx);
  } while (ret === 0);
  const pending = pendingEvictionFences(man);
  if (ret !== -ENOENT) return ret;
  checkEvictAllEmpty(bdev.global, man);
  for (let i = 0; i < TTM_NUM_MOVE_FENCES; i += 1) {
    const fence = man.evictionFences[i]!;
    if (fence === null || fence.signaled) continue;
    const w = yield { kind: 'fences', fences: [fence], interruptible: false, timeoutMs: null };
    if (w < 0) return w;
  }
  postEvictAll(bdev.global, man, pending);
  return 0;
}

// ---------------------------------------------------------------------------------------------------
// References, release, zombies, delayed delete

export function ttmBoGet(bo: BufferObject): void {
  bo.kref += 1;
}

/** ttm_bo_get_unless_zero: false for a BO whose last reference is being dropped. */
export function ttmBoGetUnlessZero(bo: BufferObject): boolean {
  if (bo.kref === 0) return false;
  bo.kref += 1;
  return true;
}

/**
 * ttm_bo_put: drop a reference; the last one releases the BO.
 * Deviation(bo-put-not-fini): drivers and tests here drop BOs with ttm_bo_put and a kref, where
 * mainline drivers call ttm_bo_fini (which wraps ttm_bo_put).
 */
export function* ttmBoPut(bo: BufferObject): KGen<void> {
  if (bo.kref <= 0) throw new Error(`ttm_bo_put: ${bo.id} reference count underflow`);
  bo.kref -= 1;
  if (bo.kref === 0) yield* ttmBoRelease(bo);
}

/** ttm_bo_cleanup_memtype_use: destroy the tt and free the resource. */
export function ttmBoCleanupMemtypeUse(bo: BufferObject): void {
  bo.bdev.funcs.deleteMemNotify?.(bo);
  ttmBoTtDestroy(bo);
  const res = bo.resource;
  if (res !== null) {
    ttmResourceFree(bo, res);
    ttmBoAssignMem(bo, null);
  }
}

/** ttm_bo_individualize_resv: a dying BO gets its own resv with a copy of the shared one's fences. */
function* ttmBoIndividualizeResv(bo: BufferObject): KGen<number> {
  if (bo.resv === bo.ownResv) return 0;
  // The kernel trylocks base._resv around the copy; nobody else can hold a dying BO's own resv.
  const own = bo.ownResv.lock.holder;
  warnOn(
    bo.bdev.global,
    BO_INDIVIDUALIZE_TRYLOCK,
    own !== null,
    bo.id,
    own === null ? '' : `held by ${own.task}`,
  );
  const r = dmaResvCopyFences(bo.ownResv, bo.resv, bo.bdev.global, bo.id);
  if (r !== 0) return r;
  if (bo.type !== 'sg') bo.resv = bo.ownResv;
  yield { kind: 'yield', label: 'bo.individualize' };
  return 0;
}

/**
 * ttm_bo_release: the last reference is gone. An idle, lockable, non-sg BO is destroyed at once;
 * otherwise it becomes a zombie (deleted, ref re-initialised to 1, pin dropped, bumped to the LRU tail)
 * and its delayed delete is queued.
 */
function* ttmBoRelease(bo: BufferObject): KGen<void> {
  const bdev = bo.bdev;
  warnOn(
    bdev.global,
    BO_RELEASE_UNPINNED,
    bo.pinCount !== 0,
    bo.id,
    bo.pinCount === 0 ? '' : `pin_count ${bo.pinCount}`,
  );
  warnOn(bdev.global, BO_RELEASE_NO_BULK_MOVE, bo.bulkMove !== null, bo.id, '');
  if (!bo.deleted) {
    const ret = yield* ttmBoIndividualizeResv(bo);
    if (ret !== 0) {
      yield* dmaResvWaitTimeout(bo.resv, DmaResvUsage.BOOKKEEP, false, TTM_BO_RELEASE_WAIT_TIMEOUT_MS);
      checkReleaseLastResortWait(bo);
    }
    bdev.funcs.releaseNotify?.(bo);
    if (bo.vmaNode) {
      if (checkVmaOffsetManager(bdev, bo.id, 'remove') && bdev.vmaManager !== null)
        bdev.vmaManager.nodes -= 1;
      bo.vmaNode = false;
    }
    const busy = !bo.ownResv.testSignaled(DmaResvUsage.BOOKKEEP);
    if (busy || bo.type === 'sg' || !bo.resv.trylock(bdev.env.current())) {
      bo.deleted = true;
      if (bo.pinCount > 0) {
        bo.pinCount = 0;
        if (bo.resource !== null) ttmResourceMoveToLruTail(bo.resource);
      }
      bo.kref = 1;
      bdev.env.emit('bo', bo.id, { type: 'bo.zombie' });
      if (bdev.wq !== null) bdev.wq.pending += 1;
      bdev.env.queueWork(bdev.id, () => ttmBoDelayedDelete(bo), `delayed_delete ${bo.id}`);
      return;
    }
    ttmBoCleanupMemtypeUse(bo);
    bo.resv.unlock();
  }
  if (bdev.global !== null) bdev.global.boCount -= 1;
  bdev.global?.bos.delete(bo);
  bo.destroyed = true;
  bdev.env.emit('bo', bo.id, { type: 'bo.destroy' });
  const rest = bo.destroy?.(bo);
  if (rest) yield* rest;
}

/** ttm_bo_delayed_delete (work item): wait for idle, lock, clean up, drop the zombie's reference. */
export function* ttmBoDelayedDelete(bo: BufferObject): KGen<void> {
  yield* dmaResvWaitTimeout(bo.ownResv, DmaResvUsage.BOOKKEEP, false, null);
  yield* dmaResvLock(bo.resv, null, false);
  ttmBoCleanupMemtypeUse(bo);
  bo.resv.unlock();
  yield* ttmBoPut(bo);
  // The work item ends here: drain_workqueue waits for the final put too (and what it puts in turn).
  const wq = bo.bdev.wq;
  if (wq !== null) wq.pending -= 1;
}

// The gutting and ghost machinery lives in bo_util.ts (ttm_bo_util.c); imported late to keep the
// module graph acyclic at evaluation time.
import { ttmBoPipelineGutting } from './bo_util.ts';
import { LRU_WALK_TRYLOCK_RESV_HELD } from './rules/ttm_bo_util.ts';
