// Rules stated in drivers/gpu/drm/xe/xe_shrinker.c (the driver shrinker src/kernel/shrinker.ts mirrors):
// a scan whose gfp mask lacks __GFP_FS may only purge; backing a BO's pages up writes them to shmem,
// which reclaim from a GFP_NOFS context must not do. Checked where shrinker.ts mirrors xe_bo_shrink.

import type { TtmGlobal } from '../device.ts';
import { type KernelRule, kernelRule, warnOn } from './check.ts';

const F = 'drivers/gpu/drm/xe/xe_shrinker.c';

export const XE_SHRINK_NOFS_PURGE_ONLY = kernelRule(
  'xe.shrinker.nofs-purge-only',
  'return',
  'on return of xe_bo_shrink in a shrinker scan without __GFP_FS, only purged pages were freed: no BO is backed up to shmem',
  [
    { file: F, func: 'xe_shrinker_scan', text: 'bool can_backup = !!(sc->gfp_mask & __GFP_FS);' },
    { file: F, func: 'xe_shrinker_scan', text: 'if (nr_scanned >= nr_to_scan || !can_backup)' },
  ],
);

/**
 * xe.shrinker.nofs-purge-only on return of xe_bo_shrink for `boId`: `purge` whether ttm_bo_shrink was
 * asked to purge (else to back up), `fs` whether the scan's gfp mask has __GFP_FS, `freed` what it
 * returned (pages, or an errno).
 */
export function postShrinkBackup(
  g: TtmGlobal | null,
  boId: string,
  purge: boolean,
  fs: boolean,
  freed: number,
): void {
  const broken = !purge && !fs && freed > 0;
  warnOn(
    g,
    XE_SHRINK_NOFS_PURGE_ONLY,
    broken,
    boId,
    broken ? `${freed} pages of ${boId} backed up by a GFP_NOFS scan` : '',
  );
}

/** The rules of this module. */
export const XE_SHRINKER_RULES: readonly KernelRule[] = [XE_SHRINK_NOFS_PURGE_ONLY];
