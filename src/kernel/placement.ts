// struct ttm_place / struct ttm_placement / struct ttm_operation_ctx (include/drm/ttm/ttm_placement.h,
// ttm_bo.h).

import type { DmaResv } from './resv.ts';

export interface Place {
  /** First page frame the allocation may use. */
  readonly fpfn: number;
  /** One past the last page frame; 0 = no limit. */
  readonly lpfn: number;
  readonly memType: number;
  readonly flags: number;
}

export interface Placement {
  readonly placement: readonly Place[];
}

export function place(memType: number, flags = 0, fpfn = 0, lpfn = 0): Place {
  return { fpfn, lpfn, memType, flags };
}

export function placementOf(...places: Place[]): Placement {
  return { placement: places };
}

export const NO_PLACEMENT: Placement = { placement: [] };

/** struct ttm_operation_ctx. `bytesMoved` is the only field the kernel writes. */
export interface OperationCtx {
  interruptible: boolean;
  noWaitGpu: boolean;
  gfpRetryMayfail: boolean;
  allowResEvict: boolean;
  forceAlloc: boolean;
  resv: DmaResv | null;
  bytesMoved: number;
}

export function operationCtx(init: Partial<OperationCtx> = {}): OperationCtx {
  return {
    interruptible: false,
    noWaitGpu: false,
    gfpRetryMayfail: false,
    allowResEvict: false,
    forceAlloc: false,
    resv: null,
    bytesMoved: 0,
    ...init,
  };
}
