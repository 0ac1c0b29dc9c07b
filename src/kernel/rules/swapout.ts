// Rules of ttm_bo_swapout and its per-BO callback (drivers/gpu/drm/ttm/ttm_bo.c ttm_bo_swapout,
// ttm_bo_swapout_cb), checked where src/kernel/swap.ts mirrors them, judged from what each callback did
// to the BO's tt (its pages left RAM: swapped out to shmem, or the tt torn down), not from what it said:
// - ttm_bo_swapout returns the number of pages its walk actually swapped out ("Return: The number of
//   pages actually swapped out, or negative error code on error"): every page a callback took out of
//   RAM is counted, and nothing else;
// - on a zombie (a deleted BO) the callback returns its wait's error, or num_pages once the zombie is
//   cleaned up (ttm_bo_cleanup_memtype_use): a return ≥ 0 leaves it neither its tt nor its resource.

import type { BufferObject } from '../bo.ts';
import type { TtmGlobal } from '../device.ts';
import { type KernelRule, kernelRule, warnOn } from './check.ts';

const BO = 'drivers/gpu/drm/ttm/ttm_bo.c';

export const BO_SWAPOUT_RETURNS_SWAPPED = kernelRule(
  'bo.swapout.returns-swapped',
  'return',
  'when ttm_bo_swapout returns n ≥ 0, n is the number of pages its walk took out of RAM (tts swapped out to shmem, zombies’ tts torn down)',
  [
    {
      file: BO,
      func: 'ttm_bo_swapout',
      text: 'Return: The number of pages actually swapped out, or negative error code',
    },
    {
      file: BO,
      func: 'ttm_bo_swapout_cb',
      text: 'ret = ttm_tt_swapout(bo->bdev, bo->ttm, swapout_walk->gfp_flags);',
    },
  ],
);

export const BO_SWAPOUT_ZOMBIE_CLEANED = kernelRule(
  'bo.swapout.zombie-cleaned',
  'return',
  'ttm_bo_swapout_cb on a deleted BO with a populated tt returns its wait’s error, or num_pages once the BO is cleaned up: a return ≥ 0 leaves it no tt and no resource',
  [
    { file: BO, func: 'ttm_bo_swapout_cb', text: 'ttm_bo_cleanup_memtype_use(bo);' },
    { file: BO, func: 'ttm_bo_swapout_cb', text: 'ret = num_pages;' },
  ],
);

/** The rules of this module. */
export const SWAPOUT_RULES: readonly KernelRule[] = [BO_SWAPOUT_RETURNS_SWAPPED, BO_SWAPOUT_ZOMBIE_CLEANED];

/**
 * bo.swapout.zombie-cleaned on return of ttm_bo_swapout_cb for `bo`: `zombie` whether it was deleted with
 * a populated tt, neither EXTERNAL nor SWAPPED, and unpinned when the callback started; `ret` what the
 * callback returned (< 0: the wait or a check refused it, which this rule does not judge).
 */
export function checkSwapoutZombie(
  g: TtmGlobal | null,
  bo: BufferObject,
  zombie: boolean,
  ret: number,
): void {
  const broken = zombie && ret >= 0 && (bo.ttm !== null || bo.resource !== null);
  warnOn(
    g,
    BO_SWAPOUT_ZOMBIE_CLEANED,
    broken,
    bo.id,
    broken
      ? `${bo.id} returned ${ret} and still holds ${[bo.ttm === null ? '' : bo.ttm.id, bo.resource === null ? '' : bo.resource.id].filter((s) => s !== '').join(' and ')}`
      : '',
  );
}

/**
 * bo.swapout.returns-swapped on return of ttm_bo_swapout: `ret` what it returns, `swapped` the pages its
 * callbacks took out of RAM (counted from each BO's tt before and after its callback).
 */
export function checkSwapoutReturn(g: TtmGlobal | null, actor: string, ret: number, swapped: number): void {
  const broken = ret >= 0 && ret !== swapped;
  warnOn(
    g,
    BO_SWAPOUT_RETURNS_SWAPPED,
    broken,
    actor,
    broken ? `returned ${ret}, but its walk took ${swapped} pages out of RAM` : '',
  );
}
