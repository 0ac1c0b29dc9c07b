// Rules stated in drivers/gpu/drm/ttm/ttm_tt.c (the ≈v6.15 text with ttm_tt_backup and
// ttm_tt_setup_backup), checked where src/kernel/tt.ts mirrors each function.

import { type KernelRule, kernelRule } from './check.ts';

const F = 'drivers/gpu/drm/ttm/ttm_tt.c';

export const TT_CREATE_RESV_HELD = kernelRule(
  'tt.create.resv-held',
  'call',
  'ttm_tt_create is called with the BO reserved by the calling task',
  [{ file: F, func: 'ttm_tt_create', text: 'dma_resv_assert_held(bo->base.resv);' }],
);
export const TT_CREATE_MAPPABLE_EXTERNAL = kernelRule(
  'tt.create.mappable-is-external',
  'return',
  'a tt the driver creates is EXTERNAL_MAPPABLE only if it is EXTERNAL',
  [
    {
      file: F,
      func: 'ttm_tt_create',
      text: 'WARN_ON(bo->ttm->page_flags & TTM_TT_FLAG_EXTERNAL_MAPPABLE && !(bo->ttm->page_flags & TTM_TT_FLAG_EXTERNAL));',
    },
  ],
);
export const TT_FINI_UNPOPULATED = kernelRule(
  'tt.fini.unpopulated',
  'call',
  'ttm_tt_fini is called on an unpopulated tt',
  [{ file: F, func: 'ttm_tt_fini', text: 'WARN_ON(ttm->page_flags & TTM_TT_FLAG_PRIV_POPULATED);' }],
);
export const TT_SWAPIN_STORAGE = kernelRule(
  'tt.swapin.storage',
  'call',
  'ttm_tt_swapin is called on a tt that has swap storage',
  [{ file: F, func: 'ttm_tt_swapin', text: 'BUG_ON(swap_storage == NULL);' }],
);
export const TT_BACKUP_HAS_BACKUP = kernelRule(
  'tt.backup.has-backup',
  'call',
  'ttm_tt_backup is called on a tt that has a backup file',
  [{ file: F, func: 'ttm_tt_backup', text: 'if (WARN_ON(IS_ERR_OR_NULL(tt->backup)))' }],
);
export const TT_SETUP_BACKUP_MAPPABLE = kernelRule(
  'tt.setup-backup.external-mappable',
  'call',
  'ttm_tt_setup_backup is called on an EXTERNAL_MAPPABLE tt',
  [
    {
      file: F,
      func: 'ttm_tt_setup_backup',
      text: 'if (WARN_ON_ONCE(!(tt->page_flags & TTM_TT_FLAG_EXTERNAL_MAPPABLE)))',
    },
  ],
);

/** The rules of ttm_tt.c, in the order the file states them. */
export const TTM_TT_RULES: readonly KernelRule[] = [
  TT_CREATE_RESV_HELD,
  TT_CREATE_MAPPABLE_EXTERNAL,
  TT_FINI_UNPOPULATED,
  TT_SWAPIN_STORAGE,
  TT_BACKUP_HAS_BACKUP,
  TT_SETUP_BACKUP_MAPPABLE,
];
