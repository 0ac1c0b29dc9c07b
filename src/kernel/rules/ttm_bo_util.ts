// Rules stated in drivers/gpu/drm/ttm/ttm_bo_util.c (the ≈v6.15 text with ttm_bo_shrink and the LRU
// cursor; ttm_bo_move_pipeline_evict as "drm/ttm: rework pipelined eviction fence handling" has it), checked where src/kernel/bo_util.ts, bo.ts and swap.ts mirror each function.

import { type KernelRule, kernelRule } from './check.ts';

const F = 'drivers/gpu/drm/ttm/ttm_bo_util.c';

export const BO_MOVE_MEMCPY_SRC = kernelRule(
  'bo-util.move-memcpy.src-mem',
  'call',
  'ttm_bo_move_memcpy moves a BO that has a resource to copy from',
  [{ file: F, func: 'ttm_bo_move_memcpy', text: 'if (WARN_ON(!src_mem))' }],
);
export const BO_MOVE_SYNC_CLEANUP_IDLE = kernelRule(
  'bo-util.move-sync-cleanup.idle',
  'call',
  'ttm_bo_move_sync_cleanup is called on a BO that is idle, so freeing its old node does not fail',
  [{ file: F, func: 'ttm_bo_move_sync_cleanup', text: 'if (WARN_ON(ret))' }],
);
export const BO_PIPELINE_EVICT_FENCE_SLOTS = kernelRule(
  'bo-util.pipeline-evict.fence-slots',
  'call',
  'a pipelined eviction finds a slot for its fence: drivers evict with at most TTM_NUM_MOVE_FENCES fence contexts per manager',
  [
    {
      file: F,
      func: 'ttm_bo_move_pipeline_evict',
      text: 'WARN(1, "not enough fence slots for all fence contexts");',
    },
  ],
);
export const LRU_WALK_TRYLOCK_RESV_HELD = kernelRule(
  'bo-util.lru-walk-trylock.resv-held',
  'call',
  "an LRU walk treats a BO sharing the operation's resv (allow_res_evict) as locked only when the calling task holds it",
  [{ file: F, func: 'ttm_lru_walk_trylock', text: 'dma_resv_assert_held(bo->base.resv);' }],
);
export const BO_SHRINK_RESV_HELD = kernelRule(
  'bo-util.shrink.resv-held',
  'call',
  'ttm_bo_shrink is called with the BO reserved by the calling task',
  [{ file: F, func: 'ttm_bo_shrink', text: 'dma_resv_assert_held(bo->base.resv);' }],
);

/** The rules of ttm_bo_util.c, in the order the file states them. */
export const TTM_BO_UTIL_RULES: readonly KernelRule[] = [
  BO_MOVE_MEMCPY_SRC,
  BO_MOVE_SYNC_CLEANUP_IDLE,
  BO_PIPELINE_EVICT_FENCE_SLOTS,
  LRU_WALK_TRYLOCK_RESV_HELD,
  BO_SHRINK_RESV_HELD,
];
