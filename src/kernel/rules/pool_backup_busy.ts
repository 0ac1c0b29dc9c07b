// The -EBUSY of ttm_pool_backup (drivers/gpu/drm/ttm/ttm_pool.c), as its callers (ttm_tt_backup, then
// ttm_bo_shrink and the drivers' shrinkers) rely on it: the pool refuses a backup, and only then, when
// there is no swap space and the call does not purge, or when the pool allocates coherent DMA memory
// (those pages cannot be handed to shmem). Checked where src/kernel/tt.ts mirrors ttm_tt_backup.

import type { TtmGlobal } from '../device.ts';
import { EBUSY, errnoName } from '../errno.ts';
import { type KernelRule, kernelRule, warnOn } from './check.ts';

const F = 'drivers/gpu/drm/ttm/ttm_pool.c';

export const POOL_BACKUP_BUSY = kernelRule(
  'pool.backup.busy',
  'return',
  'ttm_pool_backup returns -EBUSY exactly when it is asked to back up (not purge) with no swap space left, or the pool allocates coherent DMA memory',
  [
    { file: F, func: 'ttm_pool_backup', text: 'if ((!ttm_backup_bytes_avail() && !flags->purge) ||' },
    { file: F, func: 'ttm_pool_backup', text: 'ttm_pool_uses_dma_alloc(pool) || ttm_tt_is_backed_up(tt))' },
  ],
);

/**
 * Whether ttm_pool_backup must refuse: `swapBytes` left when it is called, `purge` of its flags,
 * `dmaAlloc` of the pool.
 */
export function backupRefused(swapBytes: number, purge: boolean, dmaAlloc: boolean): boolean {
  return (swapBytes === 0 && !purge) || dmaAlloc;
}

/** pool.backup.busy on return of ttm_pool_backup for `ttId`: `refused` from backupRefused at the call. */
export function postPoolBackupBusy(g: TtmGlobal | null, ttId: string, refused: boolean, ret: number): void {
  const busy = ret === -EBUSY;
  const broken = busy !== refused;
  warnOn(
    g,
    POOL_BACKUP_BUSY,
    broken,
    ttId,
    broken
      ? refused
        ? `it returned ${ret < 0 ? errnoName(ret) : ret} where it had to refuse with -EBUSY`
        : 'it returned -EBUSY with swap space left (or purging) on a pool without use_dma_alloc'
      : '',
  );
}

/** The rules of this module. */
export const POOL_BACKUP_BUSY_RULES: readonly KernelRule[] = [POOL_BACKUP_BUSY];
