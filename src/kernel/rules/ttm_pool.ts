// Rules stated in drivers/gpu/drm/ttm/ttm_pool.c (the ≈v6.15 text with backup and restore), checked where
// src/kernel/pool.ts, pool_type.ts and pool_backup.ts mirror each function.

import { type KernelRule, kernelRule } from './check.ts';

const F = 'drivers/gpu/drm/ttm/ttm_pool.c';

export const POOL_ALLOC_UNPOPULATED = kernelRule(
  'pool.alloc.unpopulated',
  'call',
  'the pool allocates pages for an unpopulated tt with pages left to allocate',
  [
    {
      file: F,
      func: '__ttm_pool_alloc',
      text: 'WARN_ON(!alloc->remaining_pages || ttm_tt_is_populated(tt));',
    },
  ],
);
export const POOL_ALLOC_DMA_DEV = kernelRule(
  'pool.alloc.dma-needs-dev',
  'call',
  'a pool that fills DMA addresses has a device to map them with',
  [{ file: F, func: '__ttm_pool_alloc', text: 'WARN_ON(alloc->dma_addr && !pool->dev);' }],
);
export const POOL_ALLOC_NOT_BACKED_UP = kernelRule(
  'pool.alloc.not-backed-up',
  'call',
  'ttm_pool_alloc is called on a tt that is not backed up (that one is restored instead)',
  [{ file: F, func: 'ttm_pool_alloc', text: 'if (WARN_ON(ttm_tt_is_backed_up(tt)))' }],
);
export const POOL_RESTORE_BACKED_UP = kernelRule(
  'pool.restore-and-alloc.backed-up',
  'call',
  'ttm_pool_restore_and_alloc is called on a backed-up tt',
  [{ file: F, func: 'ttm_pool_restore_and_alloc', text: 'if (WARN_ON(!ttm_tt_is_backed_up(tt)))' }],
);
export const POOL_DROP_BACKED_UP = kernelRule(
  'pool.drop-backed-up.backed-up',
  'call',
  'ttm_pool_drop_backed_up is called on a backed-up tt',
  [{ file: F, func: 'ttm_pool_drop_backed_up', text: 'WARN_ON(!ttm_tt_is_backed_up(tt));' }],
);
export const POOL_DROP_CACHING_DIVIDE = kernelRule(
  'pool.drop-backed-up.caching-divide',
  'call',
  "an interrupted restore's caching divide lies within the pages it has committed",
  [{ file: F, func: 'ttm_pool_drop_backed_up', text: 'WARN_ON(mid > start_page);' }],
);
export const POOL_BACKUP_NOT_BACKED_UP = kernelRule(
  'pool.backup.not-backed-up',
  'call',
  'ttm_pool_backup is called on a tt that is not backed up already',
  [{ file: F, func: 'ttm_pool_backup', text: 'if (WARN_ON(ttm_tt_is_backed_up(tt)))' }],
);
export const POOL_INIT_DMA_ALLOC_DEV = kernelRule(
  'pool.init.dma-alloc-needs-dev',
  'call',
  'a pool using coherent DMA allocation is given a device',
  [{ file: F, func: 'ttm_pool_init', text: 'WARN_ON(!dev && use_dma_alloc);' }],
);
export const POOL_MGR_FINI_SHRINKER_LIST = kernelRule(
  'pool.mgr-fini.shrinker-list-empty',
  'call',
  'once the global pools are finalized, no pool type is left on the shrinker list (every pool was finalized)',
  [{ file: F, func: 'ttm_pool_mgr_fini', text: 'WARN_ON(!list_empty(&shrinker_list));' }],
);

/** The rules of ttm_pool.c, in the order the file states them. */
export const TTM_POOL_RULES: readonly KernelRule[] = [
  POOL_ALLOC_UNPOPULATED,
  POOL_ALLOC_DMA_DEV,
  POOL_ALLOC_NOT_BACKED_UP,
  POOL_RESTORE_BACKED_UP,
  POOL_DROP_BACKED_UP,
  POOL_DROP_CACHING_DIVIDE,
  POOL_BACKUP_NOT_BACKED_UP,
  POOL_INIT_DMA_ALLOC_DEV,
  POOL_MGR_FINI_SHRINKER_LIST,
];
