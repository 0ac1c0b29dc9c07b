// Rules stated in drivers/gpu/drm/ttm/ttm_resource.c (a 2026 text with bulk-move sublists and
// ttm_resource_del_bulk_move_unevictable), checked where src/kernel/resource.ts and swap.ts mirror each
// function. ttm_bulk_move_drop_cursors (ttm_lru_bulk_move_fini) is not modelled; the WARN_ON_ONCEs of
// ttm_resource_manager_usage (!man->bdev) and ttm_resource_manager_first (!man) cannot break here, the
// model's types make both non-null. The lru_lock assertions (ttm_resource_cursor_fini, ttm_lru_bulk_move_tail,
// ttm_resource_move_to_lru_tail, ttm_resource_manager_first/next) have no check: the model has no
// lru_lock object, every section the kernel runs under it runs here without a scheduling point, so the
// lock is held by construction (src/kernel/rules/upstream_sites.ts says so per site).

import { type KernelRule, kernelRule } from './check.ts';

const F = 'drivers/gpu/drm/ttm/ttm_resource.c';

export const BULK_MOVE_TAIL_RESV_HELD = kernelRule(
  'resource.bulk-move-tail.resv-held',
  'call',
  "ttm_lru_bulk_move_tail is called holding the reservation of the range's BOs",
  [{ file: F, func: 'ttm_lru_bulk_move_tail', text: 'dma_resv_assert_held(first->bo->base.resv);' }],
);
export const BULK_MOVE_ADD_SAME_RESV = kernelRule(
  'resource.bulk-move-add.same-resv',
  'call',
  'every BO of one bulk-move range shares one reservation object',
  [{ file: F, func: 'ttm_lru_bulk_move_add', text: 'WARN_ON(first->bo->base.resv != res->bo->base.resv);' }],
);
export const RESOURCE_IS_SWAPPED_RESV_HELD = kernelRule(
  'resource.is-swapped.resv-held',
  'call',
  "asking whether a BO's current resource is swapped out is done holding the BO's reservation",
  [{ file: F, func: 'ttm_resource_is_swapped', text: 'dma_resv_assert_held(bo->base.resv);' }],
);
export const DEL_BULK_MOVE_UNEVICTABLE = kernelRule(
  'resource.del-bulk-move-unevictable.unevictable',
  'call',
  'ttm_resource_del_bulk_move_unevictable is called once the BO has become unevictable (pinned or swapped)',
  [
    {
      file: F,
      func: 'ttm_resource_del_bulk_move_unevictable',
      text: 'WARN_ON_ONCE(!ttm_resource_unevictable(res, bo));',
    },
  ],
);

/** The rules of ttm_resource.c, in the order the file states them. */
export const TTM_RESOURCE_RULES: readonly KernelRule[] = [
  BULK_MOVE_TAIL_RESV_HELD,
  BULK_MOVE_ADD_SAME_RESV,
  RESOURCE_IS_SWAPPED_RESV_HELD,
  DEL_BULK_MOVE_UNEVICTABLE,
];
