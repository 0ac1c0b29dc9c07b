// What a move counts (drivers/gpu/drm/ttm/ttm_bo.c ttm_bo_handle_move_mem, which every validate, bounce
// and eviction goes through): a move that returns 0 adds the BO's size to ctx->bytes_moved, which
// drivers read to throttle their moves (amdgpu_cs_report_moved_bytes), and the world's counters report
// the same quantities summed over the run: bytes moved, and evictions as the moves made with evict set
// (ttm_bo_evict and the swapout's eviction to SYSTEM). Judged from the BO's size and the call's evict
// argument, not from the counting code.

import type { BufferObject } from '../bo.ts';
import type { OperationCtx } from '../placement.ts';
import { type KernelRule, kernelRule, warnOn } from './check.ts';

const BO_C = 'drivers/gpu/drm/ttm/ttm_bo.c';

export const MOVE_MEM_COUNTS = kernelRule(
  'bo.move-mem.counts',
  'return',
  "ttm_bo_handle_move_mem returning 0: ctx->bytes_moved and the world's bytes moved grew by the BO's size, its evictions by one exactly when the move evicts; an error counts nothing",
  [
    { file: BO_C, func: 'ttm_bo_handle_move_mem', text: 'ctx->bytes_moved += bo->base.size;' },
    {
      file: BO_C,
      func: 'ttm_bo_evict',
      text: 'ret = ttm_bo_handle_move_mem(bo, evict_mem, true, ctx, &hop);',
    },
  ],
);

/** The rules of this module, in catalogue order. */
export const MOVE_COUNT_RULES: readonly KernelRule[] = [MOVE_MEM_COUNTS];

/** ctx->bytes_moved, the world's bytes moved and evictions. */
export interface MoveCounts {
  readonly ctx: number;
  readonly bytes: number;
  readonly evictions: number;
}

/**
 * The counts after the move's last scheduling point, before it counts itself (moves nested in it with
 * the same ctx, as ttm_tt_populate's ttm_global_swapout makes, are counted by then).
 */
export function moveCounts(bo: BufferObject, ctx: OperationCtx): MoveCounts {
  const c = bo.bdev.global?.counters;
  return { ctx: ctx.bytesMoved, bytes: c?.bytesMoved ?? 0, evictions: c?.evictions ?? 0 };
}

/** ttm_bo_handle_move_mem returns `ret` (`before`: the counts before it counted itself). Returns `ret`. */
export function checkMoveCounts(
  bo: BufferObject,
  evict: boolean,
  ctx: OperationCtx,
  before: MoveCounts,
  ret: number,
): number {
  const g = bo.bdev.global;
  if (g === null) return ret;
  const now = moveCounts(bo, ctx);
  const size = ret === 0 ? bo.size : 0;
  const evicted = ret === 0 && evict ? 1 : 0;
  const d = {
    ctx: now.ctx - before.ctx,
    bytes: now.bytes - before.bytes,
    ev: now.evictions - before.evictions,
  };
  const broken = d.ctx !== size || d.bytes !== size || d.ev !== evicted;
  warnOn(
    g,
    MOVE_MEM_COUNTS,
    broken,
    bo.id,
    broken
      ? `returned ${ret} (${evict ? 'evicting' : 'not evicting'}, size ${bo.size}): ctx->bytes_moved +${d.ctx}, bytes moved +${d.bytes}, evictions +${d.ev}`
      : '',
  );
  return ret;
}
