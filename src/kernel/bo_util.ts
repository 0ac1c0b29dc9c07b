// ttm_bo_util.c: the move helpers drivers call (move_null, move_memcpy, move_accel_cleanup), ghost
// objects of pipelined moves (ttm_buffer_object_transfer), pipelined eviction through the manager's
// eviction-fence slots, and pipeline gutting (dropping a BO's backing store).
// Simplified: memcpy moves no data in this slice (page content arrives with the page model).

import {
  type BufferObject,
  moveFenceSlots,
  newBufferObject,
  olderMoveFenceForm,
  TTM_BO_WAIT_TIMEOUT_MS,
  ttmBoAssignMem,
  ttmBoGet,
  ttmBoMoveToLruTail,
  ttmBoPopulate,
  ttmBoPut,
  ttmBoSetBulkMove,
  ttmBoTtDestroy,
} from './bo.ts';
import { TTM_TT_FLAG_SWAPPED } from './constants.ts';
import { copyPages } from './content.ts';
import type { KGen } from './env.ts';
import { EBUSY, EINVAL, ENOMEM } from './errno.ts';
import { type DmaFence, dmaFenceIsLater } from './fence.ts';
import { dmaResvFini, dmaResvInit } from './fence_refs.ts';
import type { OperationCtx } from './placement.ts';
import { type Resource, TTM_NUM_MOVE_FENCES, ttmResourceFree, ttmResourceSetBo } from './resource.ts';
import { DmaResvUsage, dmaResvCopyFences, dmaResvWaitTimeout } from './resv.ts';
import { warnOn } from './rules/check.ts';
import { checkTransferFailed, transferBefore } from './rules/errno_post.ts';
import { checkWaitFreeNode } from './rules/errno_waits.ts';
import { checkGhostCopy } from './rules/placement.ts';
import {
  BO_MOVE_MEMCPY_SRC,
  BO_MOVE_SYNC_CLEANUP_IDLE,
  BO_PIPELINE_EVICT_FENCE_SLOTS,
} from './rules/ttm_bo_util.ts';
import { postMove } from './rules_post.ts';
import { ttmTtCreate, ttmTtDestroy, ttmTtMarkForClear, ttmTtUnpopulate } from './tt.ts';

/** ttm_bo_move_null: free the old resource, assign the new one; no data moves (e.g. SYSTEM ↔ TT). */
export function ttmBoMoveNull(bo: BufferObject, newMem: Resource): void {
  const old = bo.resource;
  if (old !== null) {
    ttmResourceFree(bo, old);
    // ttm_resource_free(bo, &bo->resource) clears the BO's pointer before ttm_bo_assign_mem.
    bo.resource = null;
  }
  ttmBoAssignMem(bo, newMem);
  postMove(bo, newMem, 0);
}

/**
 * ttm_bo_wait_free_node: wait (uninterruptibly, 15 s) until idle, drop a tt the destination does not
 * use, free the old resource. 0 or -EBUSY on timeout.
 */
function* ttmBoWaitFreeNode(bo: BufferObject, dstUseTt: boolean): KGen<number> {
  const old = bo.resource;
  return checkWaitFreeNode(bo, old, yield* waitFreeNode(bo, dstUseTt));
}

function* waitFreeNode(bo: BufferObject, dstUseTt: boolean): KGen<number> {
  const ret = yield* dmaResvWaitTimeout(bo.resv, DmaResvUsage.BOOKKEEP, false, TTM_BO_WAIT_TIMEOUT_MS);
  if (ret === 0) return -EBUSY;
  if (ret < 0) return ret;
  if (!dstUseTt) ttmBoTtDestroy(bo);
  const old = bo.resource;
  if (old !== null) ttmResourceFree(bo, old);
  ttmBoAssignMem(bo, null);
  return 0;
}

/** ttm_bo_move_sync_cleanup: wait for idle, free the old memory, assign the new. */
export function* ttmBoMoveSyncCleanup(bo: BufferObject, newMem: Resource): KGen<void> {
  const man = bo.bdev.manager(newMem.memType);
  const ret = yield* ttmBoWaitFreeNode(bo, man?.useTt ?? false);
  if (
    warnOn(
      bo.bdev.global,
      BO_MOVE_SYNC_CLEANUP_IDLE,
      ret !== 0,
      bo.id,
      ret === 0 ? '' : `ttm_bo_wait_free_node returned ${ret}`,
    )
  )
    return;
  ttmBoAssignMem(bo, newMem);
}

/**
 * ttm_bo_move_memcpy: CPU copy between the old and new placement (populating a swapped tt or one the
 * destination needs), then synchronous cleanup. 0, -EINVAL without a source, or the populate error.
 */
export function* ttmBoMoveMemcpy(bo: BufferObject, ctx: OperationCtx, dstMem: Resource): KGen<number> {
  const src = bo.resource;
  if (warnOn(bo.bdev.global, BO_MOVE_MEMCPY_SRC, src === null, bo.id, '') || src === null) return -EINVAL;
  const dstMan = bo.bdev.manager(dstMem.memType);
  const tt = bo.ttm;
  if (tt !== null && (tt.pageFlags & TTM_TT_FLAG_SWAPPED || dstMan?.useTt === true)) {
    const ret = yield* ttmBoPopulate(bo, ctx);
    if (ret !== 0) return postMove(bo, dstMem, ret);
  }
  yield { kind: 'yield', label: 'bo.memcpy' };
  // Between two tt placements the pages are the same frames (nothing to copy); otherwise copy, or
  // clear where the source has no memory.
  const srcUseTt = bo.bdev.manager(src.memType)?.useTt ?? false;
  if (!(srcUseTt && dstMan?.useTt === true))
    copyPages(bo, { res: src, tt: bo.ttm }, { res: dstMem, tt: bo.ttm });
  yield* ttmBoMoveSyncCleanup(bo, dstMem);
  return postMove(bo, dstMem, 0);
}

/**
 * A candidate fix of ttm_buffer_object_transfer's error path: `atomic_dec(&ttm_glob.bo_count);` before
 * freeing the ghost whose fence slot could not be reserved (README "A BO count that counts a freed ghost").
 */
export const PATCH_TRANSFER_BO_COUNT = 'transfer-error-bo-count';

/**
 * ttm_buffer_object_transfer: a ghost BO takes over the old resource so the BO can get a new one while
 * the GPU still uses the old memory. The ghost has its own locked resv with a fence slot, holds a
 * reference on the BO, and sits at the LRU tail. Returns the ghost, or -ENOMEM when its kmalloc
 * ('ghost.alloc') or its fence slot ('resv.reserve') fails; then `bo` is left as it was.
 */
export function ttmBufferObjectTransfer(bo: BufferObject): BufferObject | number {
  const before = transferBefore(bo);
  return checkTransferFailed(bo, before, bufferObjectTransfer(bo));
}

function bufferObjectTransfer(bo: BufferObject): BufferObject | number {
  const global = bo.bdev.global;
  if (global?.injectFault('ghost.alloc', bo.id)) return -ENOMEM;
  // The ghost's dma_resv_reserve_fences is asked before the model builds the ghost object. The kernel
  // has counted the ghost in ttm_glob.bo_count by then ("atomic_inc(&ttm_glob.bo_count);") and its
  // error path only unlocks and frees it ("dma_resv_unlock(&fbo->base.base._resv); kfree(fbo);"):
  // the count stays one too high, and the model keeps it so. The candidate fix
  // (PATCH_TRANSFER_BO_COUNT) decrements the count again on that path, as the ghost's release would.
  if (global?.injectFault('resv.reserve', bo.id)) {
    if (!global.patches.has(PATCH_TRANSFER_BO_COUNT)) global.boCount += 1;
    return -ENOMEM;
  }
  const ghost = newBufferObject(bo.bdev, bo.size);
  ghost.type = bo.type;
  ghost.priority = bo.priority;
  ghost.pageAlignment = bo.pageAlignment;
  ghost.ttm = bo.ttm;
  ghost.deleted = bo.deleted;
  if (bo.type === 'sg') ghost.resv = bo.resv;
  if (bo.bdev.global !== null) bo.bdev.global.boCount += 1;
  // The ghost's resv is new: the kernel's WARN_ON(!dma_resv_trylock()) cannot fire (upstream_sites.ts).
  ghost.ownResv.trylock(bo.bdev.env.current());
  const ret = ghost.ownResv.reserveFences(moveFenceSlots(global));
  if (ret !== 0) {
    ghost.ownResv.unlock();
    return ret;
  }
  // dma_resv_init of the ghost's own resv, from here on finalised by ttm_transfered_destroy.
  dmaResvInit(bo.bdev.global, ghost.ownResv, ghost.id);
  const res = bo.resource;
  if (res !== null) {
    ghost.bulkMove = bo.bulkMove;
    ttmResourceSetBo(res, ghost);
    ghost.resource = res;
    ttmBoAssignMem(bo, null);
    ttmBoSetBulkMove(ghost, null);
  }
  ttmBoGet(bo);
  ghost.ghostOf = bo;
  ghost.destroy = ttmTransferedDestroy;
  ttmBoMoveToLruTail(ghost);
  bo.bdev.env.emit('bo', ghost.id, { type: 'bo.ghost', of: bo.id });
  if (res !== null)
    bo.bdev.env.emit('bo', ghost.id, { type: 'bo.placed', memType: res.memType, res: res.id });
  checkGhostCopy(bo, ghost, res);
  return ghost;
}

/**
 * Mutation: a ghost's destructor does not finalise the ghost's reservation object, so the fences of
 * every pipelined move leak — before "drm/ttm: fix memleak in ttm_transfered_destroy" (0db55f9a1baf,
 * 2021).
 */
export const MUTATION_GHOST_RESV_NO_FINI = 'ghost-resv-no-fini';

/**
 * ttm_transfered_destroy: a ghost's destructor finalises the ghost's resv (dma_resv_fini: its fences
 * are released) and drops its reference on the original BO (ttm_bo_put(fbo->bo)) in the same context,
 * so a workqueue drain that waited for the ghost's delayed delete waited for this put too.
 */
function* ttmTransferedDestroy(ghost: BufferObject): KGen<void> {
  const global = ghost.bdev.global;
  if (!global?.mutations.has(MUTATION_GHOST_RESV_NO_FINI)) dmaResvFini(global, ghost.ownResv);
  const bo = ghost.ghostOf;
  ghost.ghostOf = null;
  if (bo !== null) yield* ttmBoPut(bo);
}

/** ttm_bo_move_to_ghost: hang the old memory on a ghost that dies when `fence` signals. */
function* ttmBoMoveToGhost(bo: BufferObject, fence: DmaFence, dstUseTt: boolean): KGen<number> {
  const ghost = ttmBufferObjectTransfer(bo);
  if (typeof ghost === 'number') return ghost;
  ghost.ownResv.addFence(fence, DmaResvUsage.KERNEL);
  if (dstUseTt) ghost.ttm = null;
  else bo.ttm = null;
  ghost.ownResv.unlock();
  yield* ttmBoPut(ghost);
  return 0;
}

/**
 * ttm_bo_move_pipeline_evict: remember the fence in the manager's eviction-fence slots and free the old
 * node now. The fence takes the slot of its own context when it is later than the one kept there (an
 * earlier one leaves the slot as it is), or else the first free slot; with every slot taken by other
 * contexts the kernel WARNs and waits for the fence before freeing. The form before the slots (one
 * man->move, kept when it is null, older on the same context, or signalled) runs with the mutation
 * that brings the older ttm_bo_add_move_fence back (olderMoveFenceForm).
 */
function* ttmBoMovePipelineEvict(bo: BufferObject, fence: DmaFence): KGen<void> {
  const old = bo.resource;
  if (old === null) return;
  const from = bo.bdev.manager(old.memType);
  if (from !== null && olderMoveFenceForm(bo.bdev.global)) {
    const move = from.evictionFences[0]!;
    if (move === null || dmaFenceIsLater(fence, move) || move.signaled) from.evictionFences[0] = fence;
  } else if (from !== null) {
    const slots = from.evictionFences;
    let i = 0;
    let keep = false;
    for (; i < TTM_NUM_MOVE_FENCES; i += 1) {
      const tmp = slots[i]!;
      if (tmp === null) break;
      if (fence.context !== tmp.context) continue;
      if (dmaFenceIsLater(fence, tmp)) break;
      keep = true;
      break;
    }
    const full = !keep && i === TTM_NUM_MOVE_FENCES;
    warnOn(
      bo.bdev.global,
      BO_PIPELINE_EVICT_FENCE_SLOTS,
      full,
      from.id,
      full ? `${fence.id} finds all ${TTM_NUM_MOVE_FENCES} slots held by other contexts` : '',
    );
    if (full) yield { kind: 'fences', fences: [fence], interruptible: false, timeoutMs: null };
    else if (!keep) slots[i] = fence;
  }
  ttmResourceFree(bo, old);
  ttmBoAssignMem(bo, null);
}

/**
 * ttm_bo_move_accel_cleanup: after the driver queued a GPU copy signalling `fence`: add it to the BO
 * (KERNEL usage); a normal move hands the old memory to a ghost; an eviction from a non-tt manager with
 * pipelining frees the node at once behind the manager's move fence; otherwise wait and free.
 */
export function* ttmBoMoveAccelCleanup(
  bo: BufferObject,
  fence: DmaFence,
  evict: boolean,
  pipeline: boolean,
  newMem: Resource,
): KGen<number> {
  const old = bo.resource;
  if (old === null) return -EINVAL;
  const from = bo.bdev.manager(old.memType);
  const man = bo.bdev.manager(newMem.memType);
  bo.resv.addFence(fence, DmaResvUsage.KERNEL);
  let ret = 0;
  if (!evict) ret = yield* ttmBoMoveToGhost(bo, fence, man?.useTt ?? false);
  else if (from !== null && !from.useTt && pipeline) yield* ttmBoMovePipelineEvict(bo, fence);
  else ret = yield* ttmBoWaitFreeNode(bo, man?.useTt ?? false);
  if (ret !== 0) return postMove(bo, newMem, ret);
  ttmBoAssignMem(bo, newMem);
  return postMove(bo, newMem, 0);
}

/**
 * ttm_bo_pipeline_gutting: drop the BO's backing store. The BO's chart sees it as `bo.unplaced` (the
 * ttm_bo chart has no transition for a separate `bo.gutted` edge). Idle: free the resource and leave an unpopulated
 * tt marked for clearing (device BOs). Busy: a new cleared tt is created first, then the old resource and
 * tt go to a ghost that carries the fences. Returns 0 or a tt creation / transfer error.
 */
export function* ttmBoPipelineGutting(bo: BufferObject): KGen<number> {
  const bdev = bo.bdev;
  if (bo.resv.testSignaled(DmaResvUsage.BOOKKEEP)) {
    if (bo.ttm === null) {
      const ret = ttmTtCreate(bo, true);
      if (ret !== 0) return ret;
    } else {
      ttmTtUnpopulate(bdev, bo.ttm);
      if (bo.type === 'device') ttmTtMarkForClear(bo.ttm);
    }
    const old = bo.resource;
    if (old !== null) ttmResourceFree(bo, old);
    ttmBoAssignMem(bo, null);
    return 0;
  }
  const oldTt = bo.ttm;
  bo.ttm = null;
  let ret = ttmTtCreate(bo, true);
  const newTt = bo.ttm;
  bo.ttm = oldTt;
  if (ret !== 0) return ret;
  const ghost = ttmBufferObjectTransfer(bo);
  if (typeof ghost === 'number') {
    ttmTtDestroy(bdev, newTt);
    return ghost;
  }
  ret = dmaResvCopyFences(ghost.ownResv, bo.resv, bdev.global, bo.id);
  if (ret !== 0) yield* dmaResvWaitTimeout(bo.resv, DmaResvUsage.BOOKKEEP, false, null);
  ghost.ownResv.unlock();
  yield* ttmBoPut(ghost);
  bo.ttm = newTt;
  return 0;
}
