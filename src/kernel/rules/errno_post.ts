// What the objects look like after an error on TTM's allocation, restore, shrinking and ghost paths: the
// postcondition of each failure, stated from the upstream code that takes it. A restore that fails once
// its restore state exists keeps that state for the next call to resume (drivers/gpu/drm/ttm/ttm_pool.c,
// ttm_pool_restore_and_alloc and __ttm_pool_alloc's error path); a ghost that cannot be made leaves the
// BO as it was (drivers/gpu/drm/ttm/ttm_bo_util.c, ttm_buffer_object_transfer); pages ttm_bo_shrink
// reports shrunken were shrunken in SYSTEM when it was allowed to move the BO there, and a shrink that
// reports none found nothing resident to shrink (ttm_bo_shrink, ttm_pool_backup).
// Checked on return; the values each function may return are src/kernel/rules/errno_returns.ts. Text
// read from torvalds/linux (≈v6.15-v6.17).

import type { BufferObject } from '../bo.ts';
import { memTypeName, TTM_PL_SYSTEM } from '../constants.ts';
import { errnoName } from '../errno.ts';
import type { Resource } from '../resource.ts';
import type { Tt } from '../tt.ts';
import { type KernelRule, kernelRule, warnOn } from './check.ts';

const POOL_C = 'drivers/gpu/drm/ttm/ttm_pool.c';
const BO_UTIL_C = 'drivers/gpu/drm/ttm/ttm_bo_util.c';

export const POOL_RESTORE_POST_ERROR = kernelRule(
  'pool.restore-and-alloc.post-error',
  'return',
  'ttm_pool_restore_and_alloc failing on a tt that had restore state at the call keeps that state (tt->restore) and the tt BACKED_UP, so the next call resumes where this one stopped',
  [
    { file: POOL_C, func: 'ttm_pool_restore_and_alloc', text: 'restore->snapshot_alloc = alloc;' },
    { file: POOL_C, func: '__ttm_pool_alloc', text: 'error_free_all: if (tt->restore) return r;' },
  ],
);
export const GHOST_TRANSFER_POST_ERROR = kernelRule(
  'ghost.transfer.post-error',
  'return',
  'ttm_buffer_object_transfer failing leaves the BO as it was: the same resource and tt, and no reference taken for a ghost',
  [
    { file: BO_UTIL_C, func: 'ttm_buffer_object_transfer', text: 'if (!fbo) return -ENOMEM;' },
    {
      file: BO_UTIL_C,
      func: 'ttm_buffer_object_transfer',
      text: 'dma_resv_unlock(&fbo->base.base._resv); kfree(fbo); return ret;',
    },
  ],
);
export const BO_SHRINK_POST_SYSTEM = kernelRule(
  'bo.shrink.post-system',
  'return',
  'ttm_bo_shrink allowed to move the BO, returning pages shrunken (> 0): the BO is in SYSTEM, where it was moved before its tt was backed up or purged',
  [
    {
      file: BO_UTIL_C,
      func: 'ttm_bo_shrink',
      text: " * purge a struct ttm_tt. If the bo is not in system, it's first moved there.",
    },
    {
      file: BO_UTIL_C,
      func: 'ttm_bo_shrink',
      text: 'if (flags.allow_move && bo->resource->mem_type != TTM_PL_SYSTEM) {',
    },
  ],
);

export const BO_SHRINK_POST_ZERO = kernelRule(
  'bo.shrink.post-zero',
  'return',
  "ttm_bo_shrink returning 0: no slot of the BO's tt holds a resident page (ttm_pool_backup skips only empty slots, so 0 pages backed up or freed without an error means there was none)",
  [
    {
      file: POOL_C,
      func: 'ttm_pool_backup',
      text: 'Return: Number of pages actually backed up or freed, or negative error code on error.',
    },
    { file: POOL_C, func: 'ttm_pool_backup', text: 'if (unlikely(!page)) continue;' },
    { file: POOL_C, func: 'ttm_pool_backup', text: 'return shrunken ? shrunken : ret;' },
  ],
);

/** The rules of this module, in catalogue order. */
export const ERRNO_POST_RULES: readonly KernelRule[] = [
  POOL_RESTORE_POST_ERROR,
  GHOST_TRANSFER_POST_ERROR,
  BO_SHRINK_POST_SYSTEM,
  BO_SHRINK_POST_ZERO,
];

/**
 * pool.restore-and-alloc.post-error: ttm_pool_restore_and_alloc of `tt` returned `ret`; `hadRestore`:
 * the tt had restore state at the call. Returns `ret`.
 */
export function checkRestoreKept(tt: Tt, hadRestore: boolean, ret: number): number {
  let detail = '';
  if (ret < 0 && hadRestore) {
    if (tt.restore === null) detail = `returned ${errnoName(ret)}, but ${tt.id} lost its restore state`;
    else if (!tt.isBackedUp()) detail = `returned ${errnoName(ret)}, but ${tt.id} is no longer BACKED_UP`;
  }
  warnOn(tt.global, POOL_RESTORE_POST_ERROR, detail !== '', tt.id, detail);
  return ret;
}

/** What ttm_buffer_object_transfer must leave of a BO when it fails: taken at its call. */
export interface TransferBefore {
  readonly resource: Resource | null;
  readonly ttm: Tt | null;
  readonly kref: number;
}

export function transferBefore(bo: BufferObject): TransferBefore {
  return { resource: bo.resource, ttm: bo.ttm, kref: bo.kref };
}

/** ghost.transfer.post-error: ttm_buffer_object_transfer of `bo` returned `ret` (a ghost, or an errno). */
export function checkTransferFailed<T>(bo: BufferObject, before: TransferBefore, ret: T): T {
  let detail = '';
  if (typeof ret === 'number') {
    const what = `returned ${errnoName(ret)}, but`;
    if (bo.resource !== before.resource) detail = `${what} ${bo.id} no longer has its resource`;
    else if (bo.ttm !== before.ttm) detail = `${what} ${bo.id} no longer has its tt`;
    else if (bo.kref !== before.kref)
      detail = `${what} ${bo.id}'s reference count went from ${before.kref} to ${bo.kref}`;
  }
  warnOn(bo.bdev.global, GHOST_TRANSFER_POST_ERROR, detail !== '', bo.id, detail);
  return ret;
}

/** bo.shrink.post-system: ttm_bo_shrink of `bo` (with `allowMove`) returned `ret`. Returns `ret`. */
export function checkShrunkInSystem(bo: BufferObject, allowMove: boolean, ret: number): number {
  const memType = bo.resource?.memType ?? null;
  const broken = allowMove && ret > 0 && memType !== TTM_PL_SYSTEM;
  warnOn(
    bo.bdev.global,
    BO_SHRINK_POST_SYSTEM,
    broken,
    bo.id,
    broken
      ? `returned ${ret}, but ${bo.id} is ${memType === null ? 'without a resource' : `in ${memTypeName(memType)}`}`
      : '',
  );
  return ret;
}

/** bo.shrink.post-zero: ttm_bo_shrink of `bo` returned `ret`. Returns `ret`. */
export function checkShrunkNothing(bo: BufferObject, ret: number): number {
  const pages = ret === 0 ? (bo.ttm?.pages ?? []) : [];
  const resident = pages.findIndex((p) => typeof p === 'number');
  warnOn(
    bo.bdev.global,
    BO_SHRINK_POST_ZERO,
    resident >= 0,
    bo.id,
    resident >= 0
      ? `returned 0, but slot ${resident} of ${bo.ttm?.id} holds page frame ${pages[resident]}`
      : '',
  );
  return ret;
}
