// include/drm/ttm/ttm_allocation.h: the TTM_ALLOCATION_* flags a driver passes to ttm_device_init (kept in
// struct ttm_device's alloc_flags since the patch that added TTM_ALLOCATION_PROPAGATE_ENOSPC, "Add a
// device init flag to have -ENOSPC propagated from the resource managers") and to ttm_pool_init (struct
// ttm_pool's alloc_flags). The low byte is the pool's beneficial order
// ("drm/ttm: Allow drivers to specify maximum beneficial TTM pool size", 7e9c548d3709), which moved the
// two pool bits from BIT(0)/BIT(1) to BIT(8)/BIT(9). Readers: ttm_bo_validate (bo.ts) for
// PROPAGATE_ENOSPC, ttm_pool_alloc_page (pool.ts) for the beneficial order, the pool (pool_type.ts) for
// the DMA bits.

/** TTM_ALLOCATION_POOL_BENEFICIAL_ORDER(n): "Max order which caller can benefit from" (0: none given). */
export function TTM_ALLOCATION_POOL_BENEFICIAL_ORDER(n: number): number {
  return n & 0xff;
}

/** BIT(8): "Use coherent DMA allocations." */
export const TTM_ALLOCATION_POOL_USE_DMA_ALLOC = 1 << 8;
/** BIT(9): "Use GFP_DMA32 allocations." */
export const TTM_ALLOCATION_POOL_USE_DMA32 = 1 << 9;
/** BIT(10): "Do not convert ENOSPC from resource managers to ENOMEM." (ttm_bo_validate). */
export const TTM_ALLOCATION_PROPAGATE_ENOSPC = 1 << 10;
