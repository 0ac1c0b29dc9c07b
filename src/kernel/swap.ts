// The swapout and shrink half of ttm_bo.c / ttm_bo_util.c / ttm_device.c: ttm_bo_swapout (an LRU walk,
// trylock only, one BO at a time, with ttm_bo_swapout_cb), ttm_device_swapout (the use_tt managers of a
// device), ttm_global_swapout (round-robin over the world's device list, called by ttm_tt_populate while
// over the page limit), and the per-page shrinker helpers ttm_bo_shrink / ttm_bo_shrink_suitable /
// ttm_bo_shrink_avoid_wait that drivers' shrinkers call.
// A swapped or backed-up BO's resource leaves its bulk move and goes to the device's unevictable list
// only once the swapout (backup) succeeded, as "drm/ttm: Fix ttm_bo_swapout() infinite LRU walk on
// swapout failure" / "... ttm_bo_shrink() ..." (2026) intend: on failure the LRU is left alone, so the
// walk cannot meet the same resource again. The fix shipped testing `if (!ret)` after ttm_tt_swapout,
// which returns the page count on success; "drm/ttm: fix swapped-out resources never leaving their
// bulk_move range" (3db7d7d58341) made it `ret > 0`, as the model does (the shipped form is the mutation
// swapout-not-ret).
// ttm_global_swapout holds ttm_global_mutex (TtmGlobal.globalMutex) across its device walk, as
// ttm_device.c does: one global swapout at a time in the world.
// Simplified: no gfp flags; no dmem cgroup; no kswapd.
// Deviation(no-gfp-flags): swapout, backup and the pool take no gfp flags; what each call may do
// (reclaim, wait, fail) is fixed at its call site.

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
import { EBUSY, EINTR, EMULTIHOP, ENOMEM, ENOSPC } from './errno.ts';
import { type OperationCtx, place, placementOf } from './placement.ts';
import {
  type Resource,
  type ResourceManager,
  ttmLruBulkMoveDel,
  ttmResourceAlloc,
  ttmResourceFree,
  ttmResourceMoveToLruTail,
  ttmResourceUnevictable,
} from './resource.ts';
import { DmaResvUsage } from './resv.ts';
import { assertBoResvHeld, warnOn } from './rules/check.ts';
import { checkShrunkInSystem, checkShrunkNothing } from './rules/errno_post.ts';
import { checkBoShrinkReturn } from './rules/errno_returns.ts';
import { checkSwapoutReturn, checkSwapoutZombie } from './rules/swapout.ts';
import { BO_SWAPOUT_NO_MULTIHOP } from './rules/ttm_bo.ts';
import { BO_SHRINK_RESV_HELD } from './rules/ttm_bo_util.ts';
import { noteNonFatalSwapout } from './rules/ttm_device.ts';
import { DEL_BULK_MOVE_UNEVICTABLE } from './rules/ttm_resource.ts';
import { type Tt, ttmTtBackup, ttmTtSwapout } from './tt.ts';

/**
 * ttm_resource_del_bulk_move_unevictable: take a resource out of its bulk move although its BO just
 * became unevictable (swapped, backed up), which ttm_resource_del_bulk_move would refuse to.
 */
export function ttmResourceDelBulkMoveUnevictable(res: Resource, bo: BufferObject): void {
  warnOn(bo.bdev.global, DEL_BULK_MOVE_UNEVICTABLE, !ttmResourceUnevictable(res, bo), bo.id, '');
  if (bo.bulkMove !== null) ttmLruBulkMoveDel(bo.bulkMove, res);
}

/**
 * Mutation: a busy zombie whose cleanup failed (its wait timed out or was refused) still counts as
 * swapped out, so ttm_global_swapout reports progress although nothing was freed and ttm_tt_populate's
 * page-limit loop calls it again, forever while the fence stays unsignalled — ttm_bo_swapout ignoring
 * ttm_bo_cleanup_refs' result and returning 0 (success) before "drm/ttm: Fix a deadlock if the target BO
 * is not idle during swap" (70982eef4d7e, 2021).
 */
export const MUTATION_SWAPOUT_BUSY_ZOMBIE_PROGRESS = 'swapout-busy-zombie-progress';

/**
 * Mutation: the swapout walk checks the BO's tt (present, not EXTERNAL, not SWAPPED) and reads its page
 * count before it holds the BO's reservation, while the owner may destroy the tt or hand it to a ghost
 * in between (the window is a preemption point): the pre-5.14 ttm_device_swapout, fixed by "drm/ttm:
 * fix deref of bo->ttm without holding the lock v2" (2d2ddb589d59, 2021).
 */
export const MUTATION_SWAPOUT_UNLOCKED_TT_CHECK = 'swapout-unlocked-tt-check';

/**
 * Mutation: the swapout walk takes the BO's current resource as the one to swap out (its memory type is
 * the swapout's place) without checking under the lru lock that it is the listed resource, before the
 * trylock: a BO whose listed resource is not assigned yet (a new BO being populated) has none. Fixed by
 * "drm/ttm: Fix a NULL pointer dereference" (9a9a8fe26751, 2023; Fixes 6a9b02899402).
 */
export const MUTATION_SWAPOUT_NO_RESOURCE_CHECK = 'swapout-no-resource-check';

/**
 * Mutation: the swapout walk evaluates "pinned or not worth evicting from bo->resource's memory type"
 * before anything has checked that the BO has a resource, before the trylock — the pin check of
 * "drm/ttm: never consider pinned BOs for eviction&swap" (a2848d08742c), fixed by "drm/ttm: check null
 * pointer before accessing when swapping" (2dedcf414bb0, 2023).
 */
export const MUTATION_SWAPOUT_VALUABLE_BEFORE_RESOURCE = 'swapout-valuable-before-resource';

/**
 * Mutation: the success test after ttm_tt_swapout as "drm/ttm: Fix ttm_bo_swapout() infinite LRU walk
 * on swapout failure" (b2ed01e7ad3d, 2026) shipped it, `if (!ret)`, while ttm_tt_swapout returns the
 * page count on success: a swapped-out BO's resource never leaves its bulk move nor goes to the
 * unevictable list, so the range keeps an unevictable member that ttm_lru_bulk_move_tail splices around.
 * Fixed by "drm/ttm: fix swapped-out resources never leaving their bulk_move range" (3db7d7d58341, 2026;
 * `if (ret > 0)`).
 */
export const MUTATION_SWAPOUT_NOT_RET = 'swapout-not-ret';

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
    } else if (bdev.global?.mutations.has(MUTATION_SWAPOUT_BUSY_ZOMBIE_PROGRESS)) {
      // The busy zombie is reported as swapped out. (The preemption point keeps a no_wait_gpu caller,
      // whose wait does not sleep, from spinning inside one step.)
      yield { kind: 'yield', label: 'swapout.busy-zombie' };
      ret = numPages;
    }
  } else {
    ret = yield* swapoutLocked(bo, res, ctx);
    // A wait that timed out (or a move that found the BO busy) is -EBUSY: the LRU walk skips the BO.
    if (ret === -EBUSY) noteNonFatalSwapout(bo);
  }
  if (ret === -ENOMEM || ret === -ENOSPC) {
    noteNonFatalSwapout(bo);
    ret = -EBUSY;
  }
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
      warnOn(bdev.global, BO_SWAPOUT_NO_MULTIHOP, ret === -EMULTIHOP, bo.id, '');
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
    const succeeded = bdev.global?.mutations.has(MUTATION_SWAPOUT_NOT_RET) ? ret === 0 : ret > 0;
    if (succeeded && bo.resource !== null) {
      ttmResourceDelBulkMoveUnevictable(bo.resource, bo);
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
  const mutations = man.bdev.global?.mutations;
  const legacy =
    mutations !== undefined &&
    (mutations.has(MUTATION_SWAPOUT_UNLOCKED_TT_CHECK) ||
      mutations.has(MUTATION_SWAPOUT_NO_RESOURCE_CHECK) ||
      mutations.has(MUTATION_SWAPOUT_VALUABLE_BEFORE_RESOURCE));
  const audit: SwapoutAudit = { swapped: 0 };
  const processBo = swapoutCallback(ctx, audit);
  // An if rather than a conditional expression: V8's block coverage counts the code after a `yield*`
  // in a conditional's first arm as never run (bench/coverage.ts would list it as unreached).
  let ret: number;
  if (!legacy) ret = yield* ttmLruWalkForEvict(arg, man, target, processBo);
  else
    ret = yield* ttmLruWalkForEvict(arg, man, target, processBo, (res, bo) =>
      swapoutUnlockedChecks(mutations, res, bo),
    );
  checkSwapoutReturn(man.bdev.global, man.id, ret, audit.swapped);
  return ret;
}

/** What the callbacks of one ttm_bo_swapout did: the pages they took out of RAM. */
interface SwapoutAudit {
  swapped: number;
}

/**
 * ttm_bo_swapout_cb for the walk of one ttm_bo_swapout, with what the rules of rules/swapout.ts need:
 * the pages of a tt that was populated before the callback and is not (or is no longer the BO's) after
 * it left RAM; a zombie's cleanup is checked on return.
 */
function* auditedSwapoutCb(bo: BufferObject, ctx: OperationCtx, audit: SwapoutAudit): KGen<number> {
  const tt = bo.ttm;
  const pages = tt?.isPopulated() ? tt.numPages : 0;
  const zombie =
    bo.deleted &&
    pages > 0 &&
    bo.pinCount === 0 &&
    !((tt as Tt).pageFlags & (TTM_TT_FLAG_EXTERNAL | TTM_TT_FLAG_SWAPPED));
  const ret = yield* ttmBoSwapoutCb(bo, ctx);
  if (pages > 0 && (bo.ttm !== tt || !(tt as Tt).isPopulated())) audit.swapped += pages;
  if (zombie) checkSwapoutZombie(bo.bdev.global, bo, true, ret);
  return ret;
}

/**
 * The walk's per-BO callback of ttm_bo_swapout (ttm_bo_swapout_cb with the walk's context). Made by this
 * helper: an arrow function bound to a local name gets a `name` property defined on every call under the
 * project's TypeScript loader (esbuild's keepNames), a cost paid on every swapout walk.
 */
function swapoutCallback(ctx: OperationCtx, audit: SwapoutAudit): (bo: BufferObject) => KGen<number> {
  return (bo) => auditedSwapoutCb(bo, ctx, audit);
}

/**
 * The checks older swapout walks made on a listed resource's BO under the lru lock only, before
 * trylocking the BO, as the mutations above bring them back. False: skip the BO. Dereferencing a NULL
 * `bo->ttm` or `bo->resource` here is a TypeError, as it is an oops in the kernel.
 */
function* swapoutUnlockedChecks(
  mutations: ReadonlySet<string>,
  _res: Resource,
  bo: BufferObject,
): KGen<boolean> {
  if (mutations.has(MUTATION_SWAPOUT_UNLOCKED_TT_CHECK)) {
    if (bo.ttm === null || bo.ttm.pageFlags & (TTM_TT_FLAG_EXTERNAL | TTM_TT_FLAG_SWAPPED)) return false;
    // Nothing holds the BO: its owner may run between the check and the use of bo->ttm.
    yield { kind: 'yield', label: 'swapout.unlocked-tt' };
    const unlocked = bo.ttm as Tt;
    if (unlocked.numPages === 0) return false;
  }
  if (mutations.has(MUTATION_SWAPOUT_VALUABLE_BEFORE_RESOURCE)) {
    const current = bo.resource as Resource;
    if (bo.pinCount > 0 || !bo.bdev.funcs.evictionValuable(bo, place(current.memType))) return false;
  }
  if (mutations.has(MUTATION_SWAPOUT_NO_RESOURCE_CHECK)) {
    // The swapout's place: the memory type of whatever bo->resource is now, not of the listed resource;
    // only a place backed by tts can be swapped from.
    const current = bo.resource as Resource;
    if (bo.bdev.manager(current.memType)?.useTt !== true) return false;
  }
  return true;
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
 * ttm_global_swapout: under ttm_global_mutex ("mutex_lock(&ttm_global_mutex);", a sleeping,
 * uninterruptible lock held across every device's swapout), try each device of the world in turn; the
 * first that swaps something out goes to the tail of the device list (round-robin). Returns the pages
 * swapped out, 0 when no device had anything, or the last device's error. Every other task that needs a
 * global swapout (ttm_tt_populate over the page limit) sleeps on the mutex meanwhile.
 */
export function* ttmGlobalSwapout(global: TtmGlobal, ctx: OperationCtx): KGen<number> {
  const mutex = global.globalMutex;
  // mutex_lock: a free mutex is taken on its fast path without sleeping (no scheduling point, so a run
  // in which no two global swapouts overlap is the run it was before the mutex); a held one puts the
  // task to sleep until the holder unlocks and hands it over.
  const current = global.deviceList[0]?.env.current() ?? null;
  if (current === null || !mutex.trylock(current)) {
    yield { kind: 'lock', mutex, ctx: null, interruptible: false, slow: false };
  }
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
  mutex.unlock();
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
  const ret = checkShrunkNothing(bo, yield* boShrink(ctx, bo, flags));
  return checkShrunkInSystem(bo, flags.allowMove, checkBoShrinkReturn(bo.bdev.global, bo.id, ret));
}

function* boShrink(ctx: OperationCtx, bo: BufferObject, flags: BoShrinkFlags): KGen<number> {
  assertBoResvHeld(BO_SHRINK_RESV_HELD, bo);
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
    ttmResourceDelBulkMoveUnevictable(bo.resource, bo);
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
