// What giving a tt's memory back leaves behind: ttm_pool_backup's count is the pages that left
// (drivers/gpu/drm/ttm/ttm_pool.c, its kerneldoc "Return:" line; shrinkers report it upward as the
// objects freed, include/linux/shrinker.h), and ttm_tt_fini leaves the tt holding nothing
// (drivers/gpu/drm/ttm/ttm_tt.c). Judged from the tt's page slots and RAM's free frames, not from the
// model's own counting. Text read from torvalds/linux (≈v6.15-v6.17).

import type { Ram } from '../ram.ts';
import type { Tt } from '../tt.ts';
import { type KernelRule, kernelRule, warnOn } from './check.ts';

const POOL_C = 'drivers/gpu/drm/ttm/ttm_pool.c';
const TT_C = 'drivers/gpu/drm/ttm/ttm_tt.c';

export const POOL_BACKUP_COUNT = kernelRule(
  'pool.backup.count',
  'return',
  'ttm_pool_backup returning n ≥ 0: exactly n page slots of the tt gave up their page, and RAM has n more free frames',
  [
    {
      file: POOL_C,
      func: 'ttm_pool_backup',
      text: 'Return: Number of pages actually backed up or freed, or negative error code on error.',
    },
    {
      file: 'include/linux/shrinker.h',
      func: 'struct shrinker',
      text: 'It should then return the number of objects freed during the scan, or SHRINK_STOP if progress cannot be made',
    },
  ],
);

export const TT_FINI_POST = kernelRule(
  'tt.fini.post',
  'return',
  'after ttm_tt_fini the tt holds no swap storage, no backup file, no page array and no DMA address array',
  [
    { file: TT_C, func: 'ttm_tt_fini', text: 'ttm->swap_storage = NULL;' },
    { file: TT_C, func: 'ttm_tt_fini', text: 'ttm->backup = NULL;' },
    { file: TT_C, func: 'ttm_tt_fini', text: 'ttm->pages = NULL;' },
    { file: TT_C, func: 'ttm_tt_fini', text: 'ttm->dma_address = NULL;' },
  ],
);

/** The rules of this module, in catalogue order. */
export const TT_RELEASE_RULES: readonly KernelRule[] = [POOL_BACKUP_COUNT, TT_FINI_POST];

/** What ttm_pool_backup's count is judged against: resident page slots of the tt and RAM's free frames. */
export interface BackupBefore {
  readonly resident: number;
  readonly free: number;
}

function residentSlots(tt: Tt): number {
  let n = 0;
  for (const p of tt.pages ?? []) if (typeof p === 'number') n += 1;
  return n;
}

/** Taken right before ttm_pool_backup runs. */
export function backupBefore(tt: Tt, ram: Ram): BackupBefore {
  return { resident: residentSlots(tt), free: ram.freeCount };
}

/** ttm_pool_backup returned `ret` for `tt` (`before`: taken at its call). Returns `ret`. */
export function checkBackupCount(tt: Tt, ram: Ram, before: BackupBefore, ret: number): number {
  if (ret < 0) return ret;
  const left = before.resident - residentSlots(tt);
  const freed = ram.freeCount - before.free;
  const broken = left !== ret || freed !== ret;
  warnOn(
    tt.global,
    POOL_BACKUP_COUNT,
    broken,
    tt.id,
    broken
      ? `returned ${ret}, but ${left} slot(s) of ${tt.id} gave up their page and RAM freed ${freed} frame(s)`
      : '',
  );
  return ret;
}

/** ttm_tt_fini returned for `tt`. */
export function checkTtFini(tt: Tt): void {
  const held: string[] = [];
  if (tt.swapStorage !== null) held.push('swap storage');
  if (tt.backup !== null) held.push('a backup file');
  if (tt.pages !== null) held.push('a page array');
  if (tt.dmaAddress !== null) held.push('a DMA address array');
  warnOn(
    tt.global,
    TT_FINI_POST,
    held.length > 0,
    tt.id,
    held.length > 0 ? `${tt.id} keeps ${held.join(', ')}` : '',
  );
}
