// Rules stated in drivers/gpu/drm/ttm/ttm_bo.c and the inline helpers of include/drm/ttm/ttm_bo.h (text read
// from torvalds/linux, the ≈v6.16/6.17 version with struct ttm_bo_evict_walk and dmem cgroup eviction),
// checked where src/kernel/bo.ts and src/kernel/swap.ts mirror each function.

import type { UpstreamRule } from '../rules.ts';
import { type KernelRule, kernelRule } from './check.ts';

const F = 'drivers/gpu/drm/ttm/ttm_bo.c';
const H = 'include/drm/ttm/ttm_bo.h';
const RESV_HELD = 'dma_resv_assert_held(bo->base.resv);';

function at(file: string, func: string, text: string): UpstreamRule[] {
  return [{ file, func, text }];
}

/**
 * A kerneldoc Returns: list, and the lines of the callees whose errors the function passes up unchanged on
 * that path although the list does not name them (the kernel's own code returns them; README "Checks").
 */
function PASSED_UP(func: string, doc: string): UpstreamRule[] {
  return [
    { file: F, func, text: doc },
    {
      file: F,
      func: 'ttm_bo_bounce_temp_buffer',
      text: 'ret = ttm_bo_mem_space(bo, &hop_placement, &hop_mem, ctx); if (ret) return ret;',
    },
    {
      file: 'drivers/gpu/drm/ttm/ttm_pool.c',
      func: 'ttm_pool_map',
      text: 'if (dma_mapping_error(pool->dev, addr)) return -EFAULT;',
    },
    {
      file: 'drivers/gpu/drm/ttm/ttm_backup.c',
      func: 'ttm_backup_copy_page',
      text: ' * Return: 0 on success, Negative error code on failure, notably -EINTR if @intr was set to true and a signal is pending.',
    },
  ];
}

function held(id: string, func: string, what: string): KernelRule {
  return kernelRule(
    id,
    'call',
    `${what} is called with the BO reserved by the calling task`,
    at(F, func, RESV_HELD),
  );
}

export const BO_MOVE_TO_LRU_TAIL_RESV_HELD = held(
  'bo.move-to-lru-tail.resv-held',
  'ttm_bo_move_to_lru_tail',
  'ttm_bo_move_to_lru_tail',
);
export const BO_SET_BULK_MOVE_RESV_HELD = held(
  'bo.set-bulk-move.resv-held',
  'ttm_bo_set_bulk_move',
  'ttm_bo_set_bulk_move',
);
export const BO_INDIVIDUALIZE_TRYLOCK = kernelRule(
  'bo.individualize-resv.trylock',
  'call',
  "ttm_bo_individualize_resv takes the BO's own reservation object with a trylock that cannot fail",
  at(F, 'ttm_bo_individualize_resv', 'BUG_ON(!dma_resv_trylock(&bo->base._resv));'),
);
export const BO_RELEASE_UNPINNED = kernelRule(
  'bo.release.unpinned',
  'call',
  'a BO is released (last reference dropped) unpinned',
  at(F, 'ttm_bo_release', 'WARN_ON_ONCE(bo->pin_count);'),
);
export const BO_RELEASE_NO_BULK_MOVE = kernelRule(
  'bo.release.no-bulk-move',
  'call',
  'a BO is released (last reference dropped) outside any bulk move',
  at(F, 'ttm_bo_release', 'WARN_ON_ONCE(bo->bulk_move);'),
);
export const BO_EVICT_RESV_HELD = held('bo.evict.resv-held', 'ttm_bo_evict', 'ttm_bo_evict');
export const BO_EVICTION_VALUABLE_RESV_HELD = held(
  'bo.eviction-valuable.resv-held',
  'ttm_bo_eviction_valuable',
  'ttm_bo_eviction_valuable',
);
export const BO_PIN_RESV_HELD = held('bo.pin.resv-held', 'ttm_bo_pin', 'ttm_bo_pin');
export const BO_PIN_KREF = kernelRule(
  'bo.pin.kref',
  'call',
  'ttm_bo_pin is called on a BO that still has a reference',
  at(F, 'ttm_bo_pin', 'WARN_ON_ONCE(!kref_read(&bo->kref));'),
);
export const BO_UNPIN_RESV_HELD = held('bo.unpin.resv-held', 'ttm_bo_unpin', 'ttm_bo_unpin');
export const BO_UNPIN_KREF = kernelRule(
  'bo.unpin.kref',
  'call',
  'ttm_bo_unpin is called on a BO that still has a reference',
  at(F, 'ttm_bo_unpin', 'WARN_ON_ONCE(!kref_read(&bo->kref));'),
);
export const BO_UNPIN_PINNED = kernelRule(
  'bo.unpin.pinned',
  'call',
  'ttm_bo_unpin is called on a pinned BO (pin_count > 0)',
  at(F, 'ttm_bo_unpin', 'if (WARN_ON_ONCE(!bo->pin_count))'),
);
export const BO_VALIDATE_RESV_HELD = held('bo.validate.resv-held', 'ttm_bo_validate', 'ttm_bo_validate');
export const BO_VALIDATE_RETURNS = kernelRule(
  'bo.validate.returns',
  'return',
  'ttm_bo_validate returns 0, an errno its kerneldoc lists (-EINVAL, -ENOMEM, -EBUSY, -ERESTARTSYS), or one its callees pass up on that path (-ENOSPC, -EFAULT, -EINTR)',
  PASSED_UP(
    'ttm_bo_validate',
    ' * Returns -EINVAL on invalid proposed placement. -ENOMEM on out-of-memory condition. -EBUSY if no_wait is true and buffer busy. -ERESTARTSYS if interrupted by a signal.',
  ),
);
export const BO_INIT_RESERVED_TRYLOCK = kernelRule(
  'bo.init-reserved.trylock',
  'call',
  "ttm_bo_init_reserved without a resv takes the new BO's reservation with a trylock that cannot fail",
  at(F, 'ttm_bo_init_reserved', 'WARN_ON(!dma_resv_trylock(bo->base.resv));'),
);
export const BO_INIT_RESERVED_RESV_HELD = kernelRule(
  'bo.init-reserved.resv-held',
  'call',
  'ttm_bo_init_reserved given a resv is called with that resv held by the calling task',
  at(F, 'ttm_bo_init_reserved', 'dma_resv_assert_held(resv);'),
);
export const BO_WAIT_CTX_RETURNS = kernelRule(
  'bo.wait-ctx.returns',
  'return',
  'ttm_bo_wait_ctx returns 0, -EBUSY (timed out or busy with no_wait_gpu) or -ERESTARTSYS',
  at(
    F,
    'ttm_bo_wait_ctx',
    ' * Returns -EBUSY if wait timed outt, -ERESTARTSYS if interrupted by a signal or zero on success.',
  ),
);
export const BO_SWAPOUT_NO_MULTIHOP = kernelRule(
  'bo.swapout.no-multihop',
  'call',
  "the driver's move to SYSTEM during swapout never asks for a multihop",
  at(
    F,
    'ttm_bo_swapout_cb',
    'WARN(ret == -EMULTIHOP, "Unexpected multihop in swapout - likely driver bug.\\n");',
  ),
);
export const BO_POPULATE_RESV_HELD = held('bo.populate.resv-held', 'ttm_bo_populate', 'ttm_bo_populate');
export const BO_RESERVE_NO_TICKET = kernelRule(
  'bo.reserve.no-wait-no-ticket',
  'call',
  'ttm_bo_reserve with no_wait is called without a ww ticket',
  at(H, 'ttm_bo_reserve', 'if (WARN_ON(ticket))'),
);
export const BO_RESERVE_RETURNS = kernelRule(
  'bo.reserve.returns',
  'return',
  'ttm_bo_reserve returns 0, -EDEADLK, -ERESTARTSYS, -EBUSY or -EALREADY',
  at(
    H,
    'ttm_bo_reserve',
    ' * Returns: -EDEADLK ... -ERESTARTSYS ... -EBUSY: The function needed to sleep, but @no_wait was true -EALREADY: Bo already reserved using @ticket.',
  ),
);
export const BO_ASSIGN_MEM_UNPLACED = kernelRule(
  'bo.assign-mem.unplaced',
  'call',
  'ttm_bo_assign_mem gives a resource to a BO that has none (the old one was freed or handed to a ghost)',
  at(H, 'ttm_bo_assign_mem', 'WARN_ON(bo->resource);'),
);

/** The rules of ttm_bo.c and ttm_bo.h, in the order the files state them. */
export const TTM_BO_RULES: readonly KernelRule[] = [
  BO_MOVE_TO_LRU_TAIL_RESV_HELD,
  BO_SET_BULK_MOVE_RESV_HELD,
  BO_INDIVIDUALIZE_TRYLOCK,
  BO_RELEASE_UNPINNED,
  BO_RELEASE_NO_BULK_MOVE,
  BO_EVICT_RESV_HELD,
  BO_EVICTION_VALUABLE_RESV_HELD,
  BO_PIN_RESV_HELD,
  BO_PIN_KREF,
  BO_UNPIN_RESV_HELD,
  BO_UNPIN_KREF,
  BO_UNPIN_PINNED,
  BO_VALIDATE_RESV_HELD,
  BO_VALIDATE_RETURNS,
  BO_INIT_RESERVED_TRYLOCK,
  BO_INIT_RESERVED_RESV_HELD,
  BO_WAIT_CTX_RETURNS,
  BO_SWAPOUT_NO_MULTIHOP,
  BO_POPULATE_RESV_HELD,
  BO_RESERVE_NO_TICKET,
  BO_RESERVE_RETURNS,
  BO_ASSIGN_MEM_UNPLACED,
];
