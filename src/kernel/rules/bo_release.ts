// The delayed destroy of ttm_bo_release (drivers/gpu/drm/ttm/ttm_bo.c): the last put of a BO never waits
// for its GPU work. ttm_bo_individualize_resv gives a BO that shares a resv its own one, holding a copy of
// the shared fences, so a BO still busy is resurrected as a zombie ("The BO is not idle, resurrect it for
// delayed destroy") and the delayed-delete worker frees it once idle. Only when that copy cannot be
// allocated does release wait, at most 30 s ("Last resort, if we fail to allocate memory for the fences
// block for the BO to become idle"). Drivers drop BOs from paths that must not stall on the GPU. Judged
// from the objects where the model takes that wait: a BO that is not an sg BO and already has its own
// resv did get its fences copied (the copy is what switches it over), so its wait is not a last resort.

import type { BufferObject } from '../bo.ts';
import { type KernelRule, kernelRule, warnOn } from './check.ts';

const BO = 'drivers/gpu/drm/ttm/ttm_bo.c';

export const BO_RELEASE_LAST_RESORT_WAIT = kernelRule(
  'bo.release.last-resort-wait',
  'return',
  "ttm_bo_release waits for a BO's fences only when they could not be copied to its own resv; a BO whose own resv holds them is left to the delayed destroy",
  [
    { file: BO, func: 'ttm_bo_release', text: '/* Last resort, if we fail to allocate memory for the' },
    { file: BO, func: 'ttm_bo_release', text: '/* The BO is not idle, resurrect it for delayed destroy */' },
  ],
);

/** bo.release.last-resort-wait on return of the wait ttm_bo_release makes for the BO's fences (a kerneldoc contract, no assert site). */
export function checkReleaseLastResortWait(bo: BufferObject): void {
  const copied = bo.type !== 'sg' && bo.resv === bo.ownResv;
  warnOn(
    bo.bdev.global,
    BO_RELEASE_LAST_RESORT_WAIT,
    copied,
    bo.id,
    copied ? 'it waited although the BO already has its own resv with the fences copied' : '',
  );
}

/** The rules of this module. */
export const BO_RELEASE_RULES: readonly KernelRule[] = [BO_RELEASE_LAST_RESORT_WAIT];
