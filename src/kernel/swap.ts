// The swapout and shrink half of ttm_bo.c / ttm_bo_util.c / ttm_device.c: ttm_bo_swapout (an LRU walk,
// trylock only, one BO at a time, with ttm_bo_swapout_cb), ttm_device_swapout (the use_tt managers of a
// device), ttm_global_swapout (round-robin over the world's device list, called by ttm_tt_populate while
// over the page limit), and the per-page shrinker helpers ttm_bo_shrink / ttm_bo_shrink_suitable /
// ttm_bo_shrink_avoid_wait that drivers' shrinkers call.
// A swapped or backed-up BO's resource leaves its bulk move and goes to the device's unevictable list
// only once the swapout (backup) succeeded, as "drm/ttm: Fix ttm_bo_swapout() infinite LRU walk on
// swapout failure" / "... ttm_bo_shrink() ..." (2026) intend: on failure the LRU is left alone, so the
// walk cannot meet the same resource again. (Upstream tests `if (!ret)` after ttm_tt_swapout, which
// returns the page count on success; the model uses the success the fix means.)
// Simplified: no ttm_global_mutex (nothing here sleeps between picking a device and moving it to the
// tail other than inside the swapout itself); no gfp flags; no dmem cgroup; no kswapd.

import {
  type BufferObject,
  ttmBoCleanupMemtypeUse,
  ttmBoHandleMoveMem,
  ttmBoUnmapVirtual,
  ttmBoValidate,
  ttmBoWaitCtx,
  ttmLruWalkForEvict,
} from './bo.ts';
import { TTM_NUM_MEM_TYPES, TTM_PL_SYSTEM, TTM_TT_FLAG_EXTERNAL, TTM_TT_FLAG_SWAPPED } from './constants.ts';
import type { Device, Hop, TtmGlobal } from './device.ts';
import type { KGen } from './env.ts';
import { EBUSY, EINTR, ENOMEM, ENOSPC } from './errno.ts';
import { type OperationCtx, place, placementOf } from './placement.ts';
import {
  type Resource,
  type ResourceManager,
  ttmLruBulkMoveDel,
  ttmResourceAlloc,
  ttmResourceFree,
  ttmResourceMoveToLruTail,
} from './resource.ts';
import { DmaResvUsage } from './resv.ts';
import { ttmTtBackup, ttmTtSwapout } from './tt.ts';

/**
 * ttm_resource_del_bulk_move_unevictable: take a resource out of its bulk move although its BO just
 * became unevictable (swapped, backed up), which ttm_resource_del_bulk_move would refuse to.
 */
function delBulkMoveUnevictable(res: Resource, bo: BufferObject): void {
  if (bo.bulkMove !== null) ttmLruBulkMoveDel(bo.bulkMove, res);
}

/**
 * ttm_bo_swapout_cb (resv held): swap one BO's tt out to shmem. -EBUSY (skip) for a pinned BO, one the
 * driver does not find worth evicting from where it is, one without a populated, non-EXTERNAL,
 * not-yet-SWAPPED tt. A zombie is cleaned up instead (after waiting for idle) and counts its pages. A BO
 * outside SYSTEM is moved there first; then the BO must be idle, its CPU mappings are zapped and the tt
 * swapped out. Returns the pages swapped out, -EBUSY, or an error (wait, move); -ENOMEM and -ENOSPC
 * count as -EBUSY.
 */
function* ttmBoSwapoutCb(bo: BufferObject, ctx: OperationCtx): KGen<number> {
  const bdev = bo.bdev;
  const res = bo.resource;
  if (res === null) throw new Error(`ttm_bo_swapout_cb: ${bo.id} has no resource`);
  let ret: number;
  const tt = bo.ttm;
  if (bo.pinCount > 0 || !bdev.funcs.evictionValuable(bo, place(res.memType))) {
    ret = -EBUSY;
  } else if (
    tt === null ||
    !tt.isPopulated() ||
    tt.pageFlags & TTM_TT_FLAG_EXTERNAL ||
    tt.pageFlags & TTM_TT_FLAG_SWAPPED
  ) {
    ret = -EBUSY;
  } else if (bo.deleted) {
    const numPages = tt.numPages;
    ret = yield* ttmBoWaitCtx(bo, ctx);
    if (ret === 0) {
      ttmBoCleanupMemtypeUse(bo);
      ret = numPages;
    }
  } else {
    ret = yield* swapoutLocked(bo, res, ctx);
  }
  if (ret === -ENOMEM || ret === -ENOSPC) ret = -EBUSY;
  return ret;
}

/** The part of ttm_bo_swapout_cb after the checks: move to SYSTEM, wait, zap, swap out. */
function* swapoutLocked(bo: BufferObject, res: Resource, ctx: OperationCtx): KGen<number> {
  const bdev = bo.bdev;
  let ret: number;
  if (res.memType !== TTM_PL_SYSTEM) {
    const evictMem = ttmResourceAlloc(bo, place(TTM_PL_SYSTEM));
    if (typeof evictMem === 'number') return evictMem;
    const hop: Hop = { place: null };
    ret = yield* ttmBoHandleMoveMem(bo, evictMem, true, ctx, hop);
    if (ret !== 0) {
      // -EMULTIHOP: the kernel WARNs "Unexpected multihop in swapout - likely driver bug".
      ttmResourceFree(bo, evictMem);
      return ret;
    }
  }
  ret = yield* ttmBoWaitCtx(bo, ctx);
  if (ret !== 0) return ret;
  ttmBoUnmapVirtual(bo);
  bdev.funcs.swapNotify?.(bo);
  const tt = bo.ttm;
  if (tt?.isPopulated()) {
    ret = ttmTtSwapout(bdev, tt);
    if (ret > 0 && bo.resource !== null) {
      delBulkMoveUnevictable(bo.resource, bo);
      ttmResourceMoveToLruTail(bo.resource);
    }
  }
  return ret;
}

/**
 * ttm_bo_swapout: swap BOs of `man` out to shmem until at least `target` pages went. Returns the pages
 * swapped out (0: nothing suitable), or an error of a wait or move (e.g. -ERESTARTSYS, -EMULTIHOP).
 */
export function* ttmBoSwapout(
  _bdev: Device,
  ctx: OperationCtx,
  man: ResourceManager,
  target: number,
): KGen<number> {
  const arg = { ctx, ticket: null, trylockOnly: true };
  return yield* ttmLruWalkForEvict(arg, man, target, (bo) => ttmBoSwapoutCb(bo, ctx));
}

/**
 * ttm_device_swapout: one BO of the device's use_tt managers (SYSTEM first). Returns its pages, 0 when
 * none could be swapped, or an error.
 */
export function* ttmDeviceSwapout(bdev: Device, ctx: OperationCtx): KGen<number> {
  for (let i = TTM_PL_SYSTEM; i < TTM_NUM_MEM_TYPES; i += 1) {
    const man = bdev.manager(i);
    if (man === null || !man.useTt) continue;
    const lret = yield* ttmBoSwapout(bdev, ctx, man, 1);
    if (lret !== 0) return lret;
  }
  return 0;
}

/**
 * ttm_global_swapout: try each device of the world in turn; the first that swaps something out goes to
 * the tail of the device list (round-robin). Returns the pages swapped out, 0 when no device had
 * anything, or the last device's error.
 */
export function* ttmGlobalSwapout(global: TtmGlobal, ctx: OperationCtx): KGen<number> {
  let ret = 0;
  for (const bdev of [...global.deviceList]) {
    ret = yield* ttmDeviceSwapout(bdev, ctx);
    if (ret > 0) {
      const at = global.deviceList.indexOf(bdev);
      if (at >= 0) {
        global.deviceList.splice(at, 1);
        global.deviceList.push(bdev);
      }
      break;
    }
  }
  return ret;
}

/** struct ttm_bo_shrink_flags. */
export interface BoShrinkFlags {
  /** Drop the content instead of backing it up. */
  readonly purge: boolean;
  /** Write the backup out to swap at once. */
  readonly writeback: boolean;
  /** Move the BO to SYSTEM first if it is elsewhere (not for zombies and ghosts). */
  readonly allowMove: boolean;
}

const SYS_PLACEMENT = placementOf(place(TTM_PL_SYSTEM));

/**
 * ttm_bo_shrink (resv held): back up or purge a BO's tt page by page, after moving it to SYSTEM if
 * allowed, zapping its CPU mappings and waiting for idle. Returns the pages backed up or freed, or:
 * -EBUSY when the move found no space (-ENOMEM/-ENOSPC) or the backup failed for another reason than a
 * signal; -EINTR from the backup; the move's or the wait's other errors (-ERESTARTSYS, -EBUSY).
 */
export function* ttmBoShrink(ctx: OperationCtx, bo: BufferObject, flags: BoShrinkFlags): KGen<number> {
  const res = bo.resource;
  if (res === null) throw new Error(`ttm_bo_shrink: ${bo.id} has no resource`);
  if (flags.allowMove && res.memType !== TTM_PL_SYSTEM) {
    const ret = yield* ttmBoValidate(bo, SYS_PLACEMENT, ctx);
    if (ret !== 0) return ret === -ENOMEM || ret === -ENOSPC ? -EBUSY : ret;
  }
  ttmBoUnmapVirtual(bo);
  let lret = yield* ttmBoWaitCtx(bo, ctx);
  if (lret < 0) return lret;
  const tt = bo.ttm;
  if (tt === null) throw new Error(`ttm_bo_shrink: ${bo.id} has no tt`);
  lret = ttmTtBackup(bo.bdev, tt, { purge: flags.purge, writeback: flags.writeback });
  if (lret > 0 && bo.resource !== null) {
    delBulkMoveUnevictable(bo.resource, bo);
    ttmResourceMoveToLruTail(bo.resource);
  }
  if (lret < 0 && lret !== -EINTR) return -EBUSY;
  return lret;
}

/**
 * ttm_bo_shrink_suitable: a populated tt, not pinned, and (unless the shrinker may wait for the GPU)
 * idle.
 */
export function ttmBoShrinkSuitable(bo: BufferObject, ctx: OperationCtx): boolean {
  const tt = bo.ttm;
  if (tt === null || !tt.isPopulated() || bo.pinCount > 0) return false;
  return !ctx.noWaitGpu || bo.resv.testSignaled(DmaResvUsage.BOOKKEEP);
}

/** ttm_bo_shrink_avoid_wait: direct reclaim (not kswapd) must not wait for the GPU. */
export function ttmBoShrinkAvoidWait(currentIsKswapd = false): boolean {
  return !currentIsKswapd;
}
