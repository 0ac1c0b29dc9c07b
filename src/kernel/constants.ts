// TTM constants (include/drm/ttm/ttm_placement.h, ttm_resource.h, ttm_tt.h, ttm_bo.h).

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;

/** Memory types. Drivers may add their own up to TTM_NUM_MEM_TYPES - 1. */
export const TTM_PL_SYSTEM = 0;
export const TTM_PL_TT = 1;
export const TTM_PL_VRAM = 2;
export const TTM_PL_PRIV = 3;
export const TTM_NUM_MEM_TYPES = 8;
export const TTM_MAX_BO_PRIORITY = 4;

/** Placement flags (struct ttm_place.flags). */
export const TTM_PL_FLAG_CONTIGUOUS = 1 << 0;
export const TTM_PL_FLAG_TOPDOWN = 1 << 1;
export const TTM_PL_FLAG_TEMPORARY = 1 << 2;
export const TTM_PL_FLAG_DESIRED = 1 << 3;
export const TTM_PL_FLAG_FALLBACK = 1 << 4;

/** ttm_tt page flags. */
export const TTM_TT_FLAG_SWAPPED = 1 << 0;
export const TTM_TT_FLAG_ZERO_ALLOC = 1 << 1;
export const TTM_TT_FLAG_EXTERNAL = 1 << 2;
export const TTM_TT_FLAG_EXTERNAL_MAPPABLE = 1 << 3;
export const TTM_TT_FLAG_DECRYPTED = 1 << 4;
export const TTM_TT_FLAG_BACKED_UP = 1 << 5;
export const TTM_TT_FLAG_PRIV_POPULATED = 1 << 6;

export type BoType = 'device' | 'kernel' | 'sg';
export type Caching = 'cached' | 'write_combined' | 'uncached';

/** MAX_PAGE_ORDER on x86-64; NR_PAGE_ORDERS = MAX_PAGE_ORDER + 1. */
export const MAX_PAGE_ORDER = 10;
export const NR_PAGE_ORDERS = MAX_PAGE_ORDER + 1;

export function memTypeName(memType: number): string {
  switch (memType) {
    case TTM_PL_SYSTEM:
      return 'system';
    case TTM_PL_TT:
      return 'tt';
    case TTM_PL_VRAM:
      return 'vram';
    default:
      return `priv${memType - TTM_PL_PRIV}`;
  }
}

export function pfnUp(bytes: number): number {
  return Math.ceil(bytes / PAGE_SIZE);
}
