// Postconditions of the exported TTM functions (what holds when each returns 0, and for each errno it can
// return), checked on return through the rule mechanism of src/kernel/rules/check.ts. Each `post*`
// function takes the value the kernel function is about to return (and what it needs of the state at
// entry), evaluates the rule, and hands the value back, so a return point reads
// `return postX(..., ret);`. Text read from torvalds/linux drivers/gpu/drm/ttm/ttm_bo.c, ttm_tt.c,
// ttm_resource.c, ttm_device.c and include/drm/ttm/ttm_bo.h, ttm_tt.h (≈v6.13-v6.17).

import type { BufferObject } from './bo.ts';
import {
  type Caching,
  TTM_NUM_MEM_TYPES,
  TTM_PL_SYSTEM,
  TTM_TT_FLAG_BACKED_UP,
  TTM_TT_FLAG_EXTERNAL,
  TTM_TT_FLAG_PRIV_POPULATED,
  TTM_TT_FLAG_SWAPPED,
} from './constants.ts';
import type { Device, TtmGlobal } from './device.ts';
import { EALREADY, EBUSY, EDEADLK, ERESTARTSYS, errnoName } from './errno.ts';
import type { ListHead } from './list.ts';
import type { Placement } from './placement.ts';
import type { PageCaching } from './ram.ts';
import {
  type LruItem,
  type Resource,
  type ResourceManager,
  ttmResourceCompatible,
  ttmResourceUnevictable,
} from './resource.ts';
import { type KernelRule, kernelRule, warnOn } from './rules/check.ts';
import { checkValidatePlace } from './rules/placement.ts';
import { swapoutFailedForMemory } from './rules/ttm_device.ts';
import type { Tt } from './tt.ts';
import type { WwAcquireCtx } from './ww_mutex.ts';

const BO_C = 'drivers/gpu/drm/ttm/ttm_bo.c';
const BO_H = 'include/drm/ttm/ttm_bo.h';
const TT_C = 'drivers/gpu/drm/ttm/ttm_tt.c';
const TT_H = 'include/drm/ttm/ttm_tt.h';
const RES_C = 'drivers/gpu/drm/ttm/ttm_resource.c';
const DEV_C = 'drivers/gpu/drm/ttm/ttm_device.c';

// ---------------------------------------------------------------------------------------------------
// The rules

export const BO_RESERVE_POST_LOCKED = kernelRule(
  'bo.reserve.post-locked',
  'return',
  'ttm_bo_reserve / ttm_bo_reserve_slowpath returning 0: the calling task holds the BO’s resv, with the ticket it passed',
  [
    { file: BO_H, func: 'ttm_bo_reserve', text: '0: Success.' },
    {
      file: BO_H,
      func: 'ttm_bo_reserve_slowpath',
      text: 'This is called after ttm_bo_reserve returns -EAGAIN and we backed off from all our other reservations.',
    },
  ],
);
export const BO_RESERVE_POST_ALREADY = kernelRule(
  'bo.reserve.post-already',
  'return',
  'ttm_bo_reserve returning -EALREADY: the BO’s resv is held with the ticket passed',
  [
    {
      file: BO_H,
      func: 'ttm_bo_reserve',
      text: '-EALREADY: Bo already reserved using @ticket. This error code will only be returned if @use_ticket is set to true.',
    },
  ],
);
export const BO_RESERVE_POST_NOT_TAKEN = kernelRule(
  'bo.reserve.post-not-taken',
  'return',
  'ttm_bo_reserve returning -EDEADLK or -ERESTARTSYS (and the slowpath -ERESTARTSYS): the calling task does not hold the BO’s resv; -EBUSY: it was held by someone, or a ticket was passed with no_wait',
  [
    {
      file: BO_H,
      func: 'ttm_bo_reserve',
      text: '-EDEADLK: The reservation may cause a deadlock. Release all buffer reservations, wait for @bo to become unreserved and try again.',
    },
    {
      file: BO_H,
      func: 'ttm_bo_reserve',
      text: '-ERESTARTSYS: A wait for the buffer to become unreserved was interrupted by a signal.',
    },
    {
      file: BO_H,
      func: 'ttm_bo_reserve',
      text: '-EBUSY: The function needed to sleep, but @no_wait was true',
    },
  ],
);
export const BO_PIN_POST = kernelRule(
  'bo.pin.post',
  'return',
  'after ttm_bo_pin: pin_count is one more than before and the BO’s resource (if any) is on the device’s unevictable list',
  [
    { file: BO_C, func: 'ttm_bo_pin', text: 'if (!bo->pin_count++ && bo->resource)' },
    {
      file: RES_C,
      func: 'ttm_resource_move_to_lru_tail',
      text: 'list_move_tail(&res->lru.link, &bdev->unevictable);',
    },
  ],
);
export const BO_UNPIN_POST = kernelRule(
  'bo.unpin.post',
  'return',
  'after ttm_bo_unpin: pin_count is one less than before (unchanged at 0); on reaching 0 an evictable BO’s resource is at its LRU tail: on its manager’s lru[priority], or for a BO in a bulk move the last of its bulk range (wherever that range is)',
  [
    { file: BO_C, func: 'ttm_bo_unpin', text: 'if (!--bo->pin_count && bo->resource) {' },
    { file: BO_C, func: 'ttm_bo_unpin', text: 'ttm_resource_move_to_lru_tail(bo->resource);' },
    { file: RES_C, func: 'ttm_lru_bulk_move_pos_tail', text: 'pos->last = res;' },
  ],
);
export const BO_VALIDATE_POST_OK = kernelRule(
  'bo.validate.post-ok',
  'return',
  'ttm_bo_validate returning 0: with no placement the BO has no resource; otherwise its resource is compatible with the placement, and a BO in SYSTEM has a tt',
  [
    {
      file: BO_C,
      func: 'ttm_bo_validate',
      text: 'Changes placement and caching policy of the buffer object according proposed placement.',
    },
    {
      file: BO_C,
      func: 'ttm_bo_validate',
      text: 'if (!bo->resource || bo->resource->mem_type == TTM_PL_SYSTEM)',
    },
  ],
);
export const BO_VALIDATE_POST_PINNED = kernelRule(
  'bo.validate.post-pinned',
  'return',
  'ttm_bo_validate returning an error for a pinned BO: its resource is the one it had (a pinned BO is never moved)',
  [{ file: BO_C, func: 'ttm_bo_validate', text: 'if (bo->pin_count)' }],
);
export const BO_INIT_POST = kernelRule(
  'bo.init.post',
  'return',
  'ttm_bo_init_reserved returning 0: the BO has a reference and, without a resv passed, the calling task holds its own resv; an error: the BO was put (destroyed, or a zombie)',
  [
    {
      file: BO_C,
      func: 'ttm_bo_init_reserved',
      text: "Furthermore, if resv == NULL, the buffer's reservation lock will be held, and it is the caller's responsibility to call ttm_bo_unreserve.",
    },
    {
      file: BO_C,
      func: 'ttm_bo_init_reserved',
      text: 'If a failure occurs, the function will call the @destroy function.',
    },
  ],
);
export const BO_INIT_VALIDATE_POST = kernelRule(
  'bo.init-validate.post',
  'return',
  'ttm_bo_init_validate returning 0: without a resv passed the BO is unreserved again; an error: the BO was put (destroyed, or a zombie)',
  [
    { file: BO_C, func: 'ttm_bo_init_validate', text: 'ttm_bo_unreserve(bo);' },
    {
      file: BO_C,
      func: 'ttm_bo_init_validate',
      text: 'If a failure occurs, the function will call the @destroy function.',
    },
  ],
);
export const BO_POPULATE_POST = kernelRule(
  'bo.populate.post',
  'return',
  'ttm_bo_populate returning 0: the tt (if any) is populated and neither swapped nor backed up, and a resource swapped out at the call is back off the unevictable list unless pinned; an error: the tt is not populated',
  [
    {
      file: BO_C,
      func: 'ttm_bo_populate',
      text: 'ensure those backing pages are present and with valid content.',
    },
    {
      file: BO_C,
      func: 'ttm_bo_populate',
      text: "The bo's resource is also placed on the correct LRU list if it was previously swapped out.",
    },
  ],
);
export const TT_CREATE_POST = kernelRule(
  'tt.create.post',
  'return',
  'ttm_tt_create returning 0: the BO has a tt (an sg BO’s is EXTERNAL); an error: it has none',
  [
    {
      file: TT_C,
      func: 'ttm_tt_create',
      text: 'Make sure we have a TTM structure allocated for the given BO. No pages are actually allocated.',
    },
    { file: TT_C, func: 'ttm_tt_create', text: 'page_flags |= TTM_TT_FLAG_EXTERNAL;' },
  ],
);
export const POOL_ALLOC_POST = kernelRule(
  'pool.alloc.post',
  'return',
  'ttm_pool_alloc returning 0: every page slot of the tt holds a page and, with a dma_address array, every slot has a DMA address',
  [
    {
      file: 'drivers/gpu/drm/ttm/ttm_pool.c',
      func: 'ttm_pool_alloc',
      text: 'Fill the ttm_tt object with pages and also make sure to DMA map them when necessary.',
    },
  ],
);
export const POOL_ALLOC_POST_CACHING = kernelRule(
  'pool.alloc.post-caching',
  'return',
  'ttm_pool_alloc returning 0: every page of the tt has the CPU caching the tt asks for (write-back for cached, write-combined, uncached): the caching deferred while allocating was applied',
  [
    {
      file: 'drivers/gpu/drm/ttm/ttm_pool.c',
      func: 'ttm_pool_apply_caching',
      text: '/* Apply any cpu-caching deferred during page allocation */',
    },
    {
      file: 'drivers/gpu/drm/ttm/ttm_pool.c',
      func: 'ttm_pool_apply_caching',
      text: 'return set_pages_array_wc(alloc->caching_divide, num_pages);',
    },
  ],
);
export const TT_POPULATE_POST = kernelRule(
  'tt.populate.post',
  'return',
  'ttm_tt_populate returning 0: the tt is PRIV_POPULATED, not SWAPPED or BACKED_UP, and every page slot holds a page; an error: it is not populated',
  [
    {
      file: TT_H,
      func: 'struct ttm_tt',
      text: 'This is set by TTM after ttm_tt_populate() has successfully returned, and is then unset when TTM calls ttm_tt_unpopulate().',
    },
    { file: TT_C, func: 'ttm_tt_populate', text: 'ttm->page_flags |= TTM_TT_FLAG_PRIV_POPULATED;' },
  ],
);
export const TT_SWAPOUT_POST = kernelRule(
  'tt.swapout.post',
  'return',
  'ttm_tt_swapout returning num_pages: the tt is SWAPPED, unpopulated, holds no page and has swap storage; an error: it is still populated and not SWAPPED',
  [
    { file: TT_C, func: 'ttm_tt_swapout', text: 'ttm->page_flags |= TTM_TT_FLAG_SWAPPED;' },
    {
      file: TT_H,
      func: 'struct ttm_tt',
      text: 'TTM_TT_FLAG_SWAPPED: Set by TTM when the pages have been unpopulated and swapped out by TTM.',
    },
  ],
);
export const TT_BACKUP_POST = kernelRule(
  'tt.backup.post',
  'return',
  'ttm_tt_backup returning a positive count: the tt is BACKED_UP and unpopulated',
  [
    { file: TT_C, func: 'ttm_tt_backup', text: 'tt->page_flags &= ~TTM_TT_FLAG_PRIV_POPULATED;' },
    { file: TT_C, func: 'ttm_tt_backup', text: 'tt->page_flags |= TTM_TT_FLAG_BACKED_UP;' },
  ],
);
export const TT_RESTORE_POST = kernelRule(
  'tt.restore.post',
  'return',
  'ttm_tt_restore returning 0: the tt is no longer BACKED_UP and keeps no restore state; an error: it is still BACKED_UP',
  [{ file: TT_C, func: 'ttm_tt_restore', text: 'tt->page_flags &= ~TTM_TT_FLAG_BACKED_UP;' }],
);
export const RESOURCE_ALLOC_POST = kernelRule(
  'resource.alloc.post',
  'return',
  'ttm_resource_alloc returning 0: the new resource is the BO’s size, of the place’s memory type and flags, belongs to the BO and is counted in its manager; an error: the manager’s usage is unchanged',
  [
    { file: RES_C, func: 'ttm_resource_init', text: 'res->size = bo->base.size;' },
    { file: RES_C, func: 'ttm_resource_init', text: 'res->mem_type = place->mem_type;' },
    { file: RES_C, func: 'ttm_resource_init', text: 'res->bo = bo;' },
    { file: RES_C, func: 'ttm_resource_init', text: 'man->usage += res->size;' },
  ],
);
export const RESOURCE_FREE_POST = kernelRule(
  'resource.free.post',
  'return',
  'after ttm_resource_free: the resource is off every list and its manager’s usage dropped by its size',
  [
    { file: RES_C, func: 'ttm_resource_fini', text: 'list_del_init(&res->lru);' },
    { file: RES_C, func: 'ttm_resource_fini', text: 'man->usage -= res->size;' },
  ],
);
export const BO_MOVE_POST = kernelRule(
  'bo.move.post',
  'return',
  'ttm_bo_move_null, and ttm_bo_move_memcpy / ttm_bo_move_accel_cleanup returning 0: the BO’s resource is the new one and belongs to it; an error: the new resource is not the BO’s (the old data stays, the caller frees the new space)',
  [
    {
      file: 'drivers/gpu/drm/ttm/ttm_bo_util.c',
      func: 'ttm_bo_move_memcpy',
      text: "If unsuccessful, the old data remains untouched, and it's up to the caller to free the memory space indicated by @new_mem.",
    },
    {
      file: 'drivers/gpu/drm/ttm/ttm_bo_util.c',
      func: 'ttm_bo_move_accel_cleanup',
      text: 'ttm_bo_assign_mem(bo, new_mem);',
    },
  ],
);
export const DEVICE_INIT_POST = kernelRule(
  'device.init.post',
  'return',
  'ttm_device_init returning 0: the device is on the global device list with a SYSTEM manager in use',
  [
    { file: DEV_C, func: 'ttm_device_init', text: 'list_add_tail(&bdev->device_list, &glob->device_list);' },
    { file: DEV_C, func: 'ttm_sys_man_init', text: 'ttm_resource_manager_set_used(man, true);' },
  ],
);

/** Every postcondition rule, in catalogue order. */
export const DEVICE_PREPARE_HIBERNATION_POST = kernelRule(
  'device.prepare-hibernation.post',
  'return',
  'ttm_device_prepare_hibernation returning 0: no BO listed on the device’s use_tt managers is left that ttm_bo_swapout_cb would swap out (unpinned, with a populated tt neither EXTERNAL nor SWAPPED); not judged: a zombie or a BO whose resv another task holds (the walk trylocks), and a BO whose swapout in this call failed with -ENOMEM or -ENOSPC (non-fatal: -EBUSY) or with -EBUSY (a timed-out wait: the walk skips it)',
  [
    {
      file: DEV_C,
      func: 'ttm_device_prepare_hibernation',
      text: 'ttm_device_prepare_hibernation - move GTT BOs to shmem for hibernation.',
    },
    { file: DEV_C, func: 'ttm_device_prepare_hibernation', text: '} while (ret > 0);' },
    { file: BO_C, func: 'ttm_bo_swapout_cb', text: '/* Consider -ENOMEM and -ENOSPC non-fatal. */' },
    {
      file: 'drivers/gpu/drm/ttm/ttm_bo_util.c',
      func: 'ttm_lru_walk_for_evict',
      text: 'if (lret == -EBUSY || lret == -EALREADY) lret = 0;',
    },
  ],
);

export const POSTCONDITION_RULES: readonly KernelRule[] = [
  BO_RESERVE_POST_LOCKED,
  BO_RESERVE_POST_ALREADY,
  BO_RESERVE_POST_NOT_TAKEN,
  BO_PIN_POST,
  BO_UNPIN_POST,
  BO_VALIDATE_POST_OK,
  BO_VALIDATE_POST_PINNED,
  BO_INIT_POST,
  BO_INIT_VALIDATE_POST,
  BO_POPULATE_POST,
  TT_CREATE_POST,
  POOL_ALLOC_POST,
  POOL_ALLOC_POST_CACHING,
  TT_POPULATE_POST,
  TT_SWAPOUT_POST,
  TT_BACKUP_POST,
  TT_RESTORE_POST,
  RESOURCE_ALLOC_POST,
  RESOURCE_FREE_POST,
  BO_MOVE_POST,
  DEVICE_INIT_POST,
  DEVICE_PREPARE_HIBERNATION_POST,
];

// ---------------------------------------------------------------------------------------------------
// Helpers

/** The list head a listed node sits on (walking forward to it), or null for an unlinked node. */
function headOf(node: ListHead): LruItem | null {
  if (node.next === node) return null;
  for (let n = node.next as LruItem; n !== node; n = n.next as LruItem) if (n.isHead) return n;
  return null;
}

function errName(ret: number): string {
  return ret < 0 ? errnoName(ret) : String(ret);
}

/** Where a resource is listed, for messages. */
function whereListed(res: Resource, bdev: Device): string {
  const head = headOf(res.lru);
  if (head === null) return 'on no list';
  if (head === bdev.unevictable) return 'on the unevictable list';
  const man = bdev.manager(res.memType);
  const prio = man === null ? -1 : man.lru.indexOf(head);
  return prio >= 0 ? `on ${man!.id} lru${prio}` : 'on another list';
}

// ---------------------------------------------------------------------------------------------------
// Reservation

/** ttm_bo_reserve: what holds for `ret` (`ticket` as passed, `noWait` as passed). Returns `ret`. */
export function postReserve(
  bo: BufferObject,
  ticket: WwAcquireCtx | null,
  noWait: boolean,
  ret: number,
): number {
  const g = bo.bdev.global;
  const holder = bo.resv.lock.holder;
  const current = bo.bdev.env.current();
  if (ret === 0) {
    const ok = holder !== null && holder.task === current && holder.ctx === ticket;
    warnOn(g, BO_RESERVE_POST_LOCKED, !ok, bo.id, ok ? '' : reserveDetail(bo, holder, current, ret));
  } else if (ret === -EALREADY) {
    const ok = ticket !== null && holder !== null && holder.ctx === ticket;
    warnOn(g, BO_RESERVE_POST_ALREADY, !ok, bo.id, ok ? '' : reserveDetail(bo, holder, current, ret));
  } else if (ret === -EDEADLK || ret === -ERESTARTSYS || ret === -EBUSY) {
    const ok =
      ret === -EBUSY
        ? holder !== null || (noWait && ticket !== null)
        : holder === null || holder.task !== current;
    warnOn(g, BO_RESERVE_POST_NOT_TAKEN, !ok, bo.id, ok ? '' : reserveDetail(bo, holder, current, ret));
  }
  return ret;
}

/** ttm_bo_reserve_slowpath: 0 ⇒ held with the ticket; -ERESTARTSYS ⇒ not held by the caller. Returns `ret`. */
export function postReserveSlowpath(bo: BufferObject, ticket: WwAcquireCtx, ret: number): number {
  const g = bo.bdev.global;
  const holder = bo.resv.lock.holder;
  const current = bo.bdev.env.current();
  if (ret === 0) {
    const ok = holder !== null && holder.task === current && holder.ctx === ticket;
    warnOn(g, BO_RESERVE_POST_LOCKED, !ok, bo.id, ok ? '' : reserveDetail(bo, holder, current, ret));
  } else if (ret === -ERESTARTSYS) {
    const ok = holder === null || holder.task !== current;
    warnOn(g, BO_RESERVE_POST_NOT_TAKEN, !ok, bo.id, ok ? '' : reserveDetail(bo, holder, current, ret));
  }
  return ret;
}

function reserveDetail(
  bo: BufferObject,
  holder: { task: string; ctx: WwAcquireCtx | null } | null,
  current: string,
  ret: number,
): string {
  const held =
    holder === null
      ? 'unlocked'
      : `held by ${holder.task}${holder.ctx === null ? ' without a ticket' : ` with ticket ${holder.ctx.stamp}`}`;
  return `${current} got ${errName(ret)} for ${bo.id}, whose resv is ${held}`;
}

// ---------------------------------------------------------------------------------------------------
// Pinning

/** After ttm_bo_pin (`before`: pin_count at the call). */
export function postPin(bo: BufferObject, before: number): void {
  const res = bo.resource;
  const bdev = bo.bdev;
  const counted = bo.pinCount === before + 1;
  const listed = res === null || headOf(res.lru) === bdev.unevictable;
  const broken = !counted || !listed;
  warnOn(
    bdev.global,
    BO_PIN_POST,
    broken,
    bo.id,
    !broken
      ? ''
      : !counted
        ? `pin_count went from ${before} to ${bo.pinCount}`
        : `its resource ${res!.id} is ${whereListed(res!, bdev)}`,
  );
}

/** After ttm_bo_unpin (`before`: pin_count at the call). */
export function postUnpin(bo: BufferObject, before: number): void {
  const res = bo.resource;
  const bdev = bo.bdev;
  const want = before > 0 ? before - 1 : 0;
  const counted = bo.pinCount === want;
  let listed = true;
  let man: ResourceManager | null = null;
  if (counted && before === 1 && res !== null && !ttmResourceUnevictable(res, bo)) {
    man = bdev.manager(res.memType);
    listed =
      bo.bulkMove !== null
        ? bo.bulkMove.posFor(res).last === res
        : man !== null && headOf(res.lru) === man.lru[bo.priority];
  }
  const broken = !counted || !listed;
  warnOn(
    bdev.global,
    BO_UNPIN_POST,
    broken,
    bo.id,
    !broken
      ? ''
      : !counted
        ? `pin_count went from ${before} to ${bo.pinCount}`
        : bo.bulkMove !== null
          ? `unpinned, but its resource ${res!.id} is not the last of its bulk range (${whereListed(res!, bdev)})`
          : `unpinned, but its resource ${res!.id} is ${whereListed(res!, bdev)}`,
  );
}

// ---------------------------------------------------------------------------------------------------
// Validation and initialisation

/** ttm_bo_validate (`before`: the BO's resource at the call). Returns `ret`. */
export function postValidate(
  bo: BufferObject,
  placement: Placement,
  before: Resource | null,
  ret: number,
): number {
  const g = bo.bdev.global;
  if (ret === 0) {
    const res = bo.resource;
    let detail = '';
    if (placement.placement.length === 0) {
      if (res !== null) detail = `empty placement, but ${bo.id} keeps ${res.id}`;
    } else if (res === null) {
      detail = `${bo.id} has no resource`;
    } else if (
      !ttmResourceCompatible(res, placement, false) &&
      !ttmResourceCompatible(res, placement, true)
    ) {
      detail = `${res.id} (type ${res.memType}, flags 0x${res.placement.toString(16)}, start ${res.start}) is not compatible with the placement`;
    } else if (res.memType === TTM_PL_SYSTEM && bo.ttm === null) {
      detail = `${bo.id} is in SYSTEM without a tt`;
    }
    warnOn(g, BO_VALIDATE_POST_OK, detail !== '', bo.id, detail);
    checkValidatePlace(bo, placement);
  } else if (bo.pinCount > 0) {
    const broken = bo.resource !== before;
    warnOn(
      g,
      BO_VALIDATE_POST_PINNED,
      broken,
      bo.id,
      broken
        ? `returned ${errName(ret)} with pin_count ${bo.pinCount}, but its resource went from ${before?.id ?? 'none'} to ${bo.resource?.id ?? 'none'}`
        : '',
    );
  }
  return ret;
}

/** The BO was put after a failed init: destroyed, or a zombie waiting for its delayed delete. */
function putAfterFailure(bo: BufferObject): boolean {
  return bo.destroyed || bo.deleted;
}

/** ttm_bo_init_reserved (`ownResv`: no resv was passed). Returns `ret`. */
export function postInitReserved(bo: BufferObject, ownResv: boolean, ret: number): number {
  const g = bo.bdev.global;
  let detail = '';
  if (ret === 0) {
    const holder = bo.resv.lock.holder;
    const current = bo.bdev.env.current();
    if (bo.kref < 1) detail = `${bo.id} has no reference`;
    else if (ownResv && holder?.task !== current)
      detail = `${bo.id}'s own resv is ${holder === null ? 'unlocked' : `held by ${holder.task}`}, not by ${current}`;
  } else if (!putAfterFailure(bo)) {
    detail = `returned ${errName(ret)}, but ${bo.id} is neither destroyed nor a zombie (kref ${bo.kref})`;
  }
  warnOn(g, BO_INIT_POST, detail !== '', bo.id, detail);
  return ret;
}

/** ttm_bo_init_validate (`ownResv`: no resv was passed). Returns `ret`. */
export function postInitValidate(bo: BufferObject, ownResv: boolean, ret: number): number {
  const g = bo.bdev.global;
  let detail = '';
  if (ret === 0) {
    const current = bo.bdev.env.current();
    if (ownResv && bo.ownResv.lock.holder?.task === current)
      detail = `${current} still holds ${bo.id}'s own resv`;
  } else if (!putAfterFailure(bo)) {
    detail = `returned ${errName(ret)}, but ${bo.id} is neither destroyed nor a zombie (kref ${bo.kref})`;
  }
  warnOn(g, BO_INIT_VALIDATE_POST, detail !== '', bo.id, detail);
  return ret;
}

// ---------------------------------------------------------------------------------------------------
// Populating, swapping, backing up

/** ttm_bo_populate (`wasSwapped`: its tt counted as swapped at the call). Returns `ret`. */
export function postBoPopulate(bo: BufferObject, wasSwapped: boolean, ret: number): number {
  const tt = bo.ttm;
  if (tt === null) return ret;
  let detail = '';
  if (ret === 0) {
    const res = bo.resource;
    if (!tt.isPopulated() || tt.isSwapped()) detail = `${tt.id} is ${flagText(tt)}`;
    else if (wasSwapped && res !== null && bo.pinCount === 0 && headOf(res.lru) === bo.bdev.unevictable)
      detail = `${tt.id} was swapped in, but ${res.id} is still on the unevictable list`;
  } else if (tt.isPopulated()) {
    detail = `returned ${errName(ret)}, but ${tt.id} is populated`;
  }
  warnOn(bo.bdev.global, BO_POPULATE_POST, detail !== '', bo.id, detail);
  return ret;
}

function flagText(tt: Tt): string {
  const out: string[] = [];
  if (tt.pageFlags & TTM_TT_FLAG_PRIV_POPULATED) out.push('PRIV_POPULATED');
  if (tt.pageFlags & TTM_TT_FLAG_SWAPPED) out.push('SWAPPED');
  if (tt.pageFlags & TTM_TT_FLAG_BACKED_UP) out.push('BACKED_UP');
  return out.length === 0 ? 'not populated' : out.join('|');
}

/** The first slot of a tt's page array that holds no page, or -1. */
function firstHole(tt: Tt): number {
  const pages = tt.pages;
  if (pages === null) return -1;
  for (let i = 0; i < pages.length; i += 1) if (typeof pages[i] !== 'number') return i;
  return -1;
}

/** ttm_tt_create. Returns `ret`. */
export function postTtCreate(bo: BufferObject, ret: number): number {
  const tt = bo.ttm;
  let detail = '';
  if (ret === 0) {
    if (tt === null) detail = `${bo.id} has no tt`;
    else if (bo.type === 'sg' && !(tt.pageFlags & TTM_TT_FLAG_EXTERNAL))
      detail = `${tt.id} of the sg BO ${bo.id} is not EXTERNAL`;
  } else if (tt !== null) {
    detail = `returned ${errName(ret)}, but ${bo.id} has ${tt.id}`;
  }
  warnOn(bo.bdev.global, TT_CREATE_POST, detail !== '', bo.id, detail);
  return ret;
}

/** ttm_pool_alloc. Returns `ret`. */
export function postPoolAlloc(tt: Tt, ret: number): number {
  if (ret !== 0) return ret;
  let detail = '';
  const hole = firstHole(tt);
  if (tt.pages === null) detail = `${tt.id} has no page array`;
  else if (hole >= 0) detail = `${tt.id} slot ${hole} holds no page`;
  else if (tt.dmaAddress !== null) {
    const at = tt.dmaAddress.indexOf(null);
    if (at >= 0) detail = `${tt.id} slot ${at} has no DMA address`;
  }
  warnOn(tt.global, POOL_ALLOC_POST, detail !== '', tt.id, detail);
  if (detail === '' && tt.global !== null && tt.pages !== null) {
    const want = PAGE_CACHING_OF[tt.caching];
    const ram = tt.global.ram;
    let wrong = '';
    for (const [i, p] of tt.pages.entries()) {
      if (typeof p !== 'number' || ram.getCaching(p) === want) continue;
      wrong = `${tt.id} (${tt.caching}) slot ${i}: page frame ${p} is ${ram.getCaching(p)}, not ${want}`;
      break;
    }
    warnOn(tt.global, POOL_ALLOC_POST_CACHING, wrong !== '', tt.id, wrong);
  }
  return ret;
}

/** The x86 page attribute each tt caching asks for (ttm_pool_apply_caching, ttm_pool_free_page). */
const PAGE_CACHING_OF: Readonly<Record<Caching, PageCaching>> = {
  cached: 'wb',
  write_combined: 'wc',
  uncached: 'uc',
};

/** ttm_tt_populate. Returns `ret`. */
export function postTtPopulate(tt: Tt | null, ret: number): number {
  if (tt === null) return ret;
  let detail = '';
  if (ret === 0) {
    const flags = tt.pageFlags;
    if (!(flags & TTM_TT_FLAG_PRIV_POPULATED) || flags & (TTM_TT_FLAG_SWAPPED | TTM_TT_FLAG_BACKED_UP))
      detail = `${tt.id} is ${flagText(tt)}`;
    else {
      const hole = firstHole(tt);
      if (hole >= 0) detail = `${tt.id} slot ${hole} holds no page`;
    }
  } else if (tt.isPopulated()) {
    detail = `returned ${errName(ret)}, but ${tt.id} is populated`;
  }
  warnOn(tt.global, TT_POPULATE_POST, detail !== '', tt.id, detail);
  return ret;
}

/** ttm_tt_swapout (`wasPopulated`: the tt was populated at the call). Returns `ret`. */
export function postTtSwapout(tt: Tt, wasPopulated: boolean, ret: number): number {
  let detail = '';
  if (ret > 0) {
    const flags = tt.pageFlags;
    if (!(flags & TTM_TT_FLAG_SWAPPED) || flags & TTM_TT_FLAG_PRIV_POPULATED || tt.swapStorage === null)
      detail = `${tt.id} is ${flagText(tt)}${tt.swapStorage === null ? ' without swap storage' : ''}`;
    else if (ret !== tt.numPages) detail = `returned ${errName(ret)} for a tt of ${tt.numPages} pages`;
    else if (tt.pages?.some((p) => p !== null)) detail = `${tt.id} still holds pages`;
  } else if (ret < 0 && (tt.pageFlags & TTM_TT_FLAG_SWAPPED || tt.isPopulated() !== wasPopulated)) {
    detail = `returned ${errName(ret)}, but ${tt.id} is ${flagText(tt)}`;
  }
  warnOn(tt.global, TT_SWAPOUT_POST, detail !== '', tt.id, detail);
  return ret;
}

/** ttm_tt_backup. Returns `ret`. */
export function postTtBackup(tt: Tt, ret: number): number {
  const broken = ret > 0 && (!tt.isBackedUp() || tt.isPopulated());
  warnOn(
    tt.global,
    TT_BACKUP_POST,
    broken,
    tt.id,
    broken ? `returned ${errName(ret)}, but ${tt.id} is ${flagText(tt)}` : '',
  );
  return ret;
}

/** ttm_tt_restore. Returns `ret`. */
export function postTtRestore(tt: Tt, ret: number): number {
  let detail = '';
  if (ret === 0) {
    if (tt.isBackedUp()) detail = `${tt.id} is still BACKED_UP`;
    else if (tt.restore !== null) detail = `${tt.id} keeps restore state`;
  } else if (!tt.isBackedUp()) {
    detail = `returned ${errName(ret)}, but ${tt.id} is no longer BACKED_UP`;
  }
  warnOn(tt.global, TT_RESTORE_POST, detail !== '', tt.id, detail);
  return ret;
}

// ---------------------------------------------------------------------------------------------------
// Resources and devices

/** ttm_resource_alloc (`usageBefore`: the manager's usage at the call). Returns `ret`. */
export function postResourceAlloc<T extends Resource | number>(
  bo: BufferObject,
  memType: number,
  flags: number,
  usageBefore: number,
  ret: T,
): T {
  const man = bo.bdev.manager(memType);
  let detail = '';
  if (typeof ret !== 'number') {
    const res = ret as Resource;
    if (res.size !== bo.size) detail = `${res.id} has size ${res.size} for ${bo.id} of ${bo.size}`;
    else if (res.memType !== memType || res.placement !== flags)
      detail = `${res.id} has type ${res.memType}, flags 0x${res.placement.toString(16)} for a place of type ${memType}, flags 0x${flags.toString(16)}`;
    else if (res.bo !== bo || res.freed)
      detail = `${res.id} belongs to ${res.bo?.id ?? 'no BO'}${res.freed ? ' and was freed' : ''}`;
    else if (man !== null && man.usage !== usageBefore + res.size)
      detail = `${man.id} usage went from ${usageBefore} to ${man.usage} for ${res.size} B`;
  } else if (man !== null && man.usage !== usageBefore) {
    detail = `returned ${errName(ret)}, but ${man.id} usage went from ${usageBefore} to ${man.usage}`;
  }
  warnOn(bo.bdev.global, RESOURCE_ALLOC_POST, detail !== '', bo.id, detail);
  return ret;
}

/** After ttm_resource_free (`usageBefore`: its manager's usage at the call). */
export function postResourceFree(bo: BufferObject, res: Resource, usageBefore: number): void {
  const man = bo.bdev.manager(res.memType);
  let detail = '';
  if (res.lru.next !== res.lru) detail = `${res.id} is still ${whereListed(res, bo.bdev)}`;
  else if (man !== null && man.usage !== usageBefore - res.size)
    detail = `${man.id} usage went from ${usageBefore} to ${man.usage} for ${res.size} B`;
  warnOn(bo.bdev.global, RESOURCE_FREE_POST, detail !== '', res.id, detail);
}

/** ttm_bo_move_null / ttm_bo_move_memcpy / ttm_bo_move_accel_cleanup (`newMem`: the destination). Returns `ret`. */
export function postMove(bo: BufferObject, newMem: Resource, ret: number): number {
  const res = bo.resource;
  let detail = '';
  if (ret === 0) {
    if (res !== newMem || newMem.bo !== bo)
      detail = `${bo.id}'s resource is ${res?.id ?? 'none'}, not ${newMem.id}${newMem.bo === bo ? '' : ` (which belongs to ${newMem.bo?.id ?? 'no BO'})`}`;
  } else if (res === newMem) {
    detail = `returned ${errName(ret)}, but ${bo.id}'s resource is the new ${newMem.id}`;
  }
  warnOn(bo.bdev.global, BO_MOVE_POST, detail !== '', bo.id, detail);
  return ret;
}

/** ttm_device_init. Returns `ret`. */
export function postDeviceInit(global: TtmGlobal, bdev: Device, ret: number): number {
  if (ret !== 0) return ret;
  const sys = bdev.manager(TTM_PL_SYSTEM);
  const detail = !global.deviceList.includes(bdev)
    ? `${bdev.id} is not on the device list`
    : sys === null || !sys.useType
      ? `${bdev.id} has no SYSTEM manager in use`
      : '';
  warnOn(global, DEVICE_INIT_POST, detail !== '', bdev.id, detail);
  return ret;
}

/**
 * ttm_device_prepare_hibernation. Returns `ret`. A BO whose resv is held when the call returns, or a
 * zombie (its delayed delete locks it), may have been skipped by the walk's trylock and is not judged.
 */
export function postPrepareHibernation(bdev: Device, ret: number): number {
  let detail = '';
  if (ret === 0) {
    for (let memType = TTM_PL_SYSTEM; memType < TTM_NUM_MEM_TYPES && detail === ''; memType += 1) {
      const man = bdev.manager(memType);
      if (man === null || !man.useTt) continue;
      for (const head of man.lru) {
        for (let n = head.next as LruItem; n !== head && detail === ''; n = n.next as LruItem) {
          const res = n.res;
          const bo = res?.bo ?? null;
          if (res === null || bo === null || bo.deleted || bo.pinCount > 0 || bo.resv.isLocked()) continue;
          if (swapoutFailedForMemory(bo)) continue;
          const tt = bo.ttm;
          if (tt === null || !tt.isPopulated()) continue;
          if (tt.pageFlags & (TTM_TT_FLAG_EXTERNAL | TTM_TT_FLAG_SWAPPED)) continue;
          detail = `${bo.id} (${res.id}, memory type ${memType}) still holds populated ${tt.id}`;
        }
        if (detail !== '') break;
      }
    }
  }
  warnOn(bdev.global, DEVICE_PREPARE_HIBERNATION_POST, detail !== '', bdev.id, detail);
  return ret;
}
