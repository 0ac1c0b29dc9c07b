// The return values of dma_resv_lock and its variants (include/linux/dma-resv.h, over ww_mutex_lock in
// kernel/locking/ww_mutex.h), as every caller's back-off logic relies on them: 0 (locked), -EALREADY (the
// acquire context holds it already), -EDEADLK (Wait-Die: back off and retry with the slow path; never
// from the slow path itself, never without a context), -EINTR (interruptible variants, a signal). Checked
// where src/kernel/resv.ts mirrors dma_resv_lock. A negative value it does not list at all is left to the
// return rules of its callers (bo.reserve.returns), which name the function userspace sees.

import type { TtmGlobal } from '../device.ts';
import { EALREADY, EDEADLK, EINTR, errnoName } from '../errno.ts';
import { type KernelRule, kernelRule, warnOn } from './check.ts';

const H = 'include/linux/dma-resv.h';

export const RESV_LOCK_RETURNS = kernelRule(
  'dma-resv.lock.returns',
  'return',
  'dma_resv_lock returns 0 or a negative errno: -EALREADY and -EDEADLK only with an acquire context (-EDEADLK not from the slow path), -EINTR only when interruptible',
  [
    { file: H, func: 'dma_resv_lock', text: ' * Returns -EDEADLK if a deadlock situation would occur.' },
    {
      file: H,
      func: 'dma_resv_lock',
      text: ' * Returns -EALREADY if the same acquire context is already used to lock the object.',
    },
    { file: H, func: 'dma_resv_lock_interruptible', text: ' * Returns -EINTR if interrupted' },
  ],
);

/** Whether dma_resv_lock may return `ret` for these arguments. */
function allowed(ret: number, withCtx: boolean, interruptible: boolean, slow: boolean): boolean {
  if (ret > 0) return false;
  if (ret === -EINTR) return interruptible;
  if (ret === -EALREADY) return withCtx;
  if (ret === -EDEADLK) return withCtx && !slow;
  return true;
}

/** dma-resv.lock.returns on return of dma_resv_lock[_interruptible][_slow] of `resvId`. */
export function postResvLock(
  g: TtmGlobal | null,
  resvId: string,
  ret: number,
  withCtx: boolean,
  interruptible: boolean,
  slow: boolean,
): void {
  const bad = !allowed(ret, withCtx, interruptible, slow);
  const how = `${withCtx ? 'with a context' : 'without a context'}${interruptible ? ', interruptible' : ''}${slow ? ', slow path' : ''}`;
  warnOn(g, RESV_LOCK_RETURNS, bad, resvId, bad ? `returned ${ret < 0 ? errnoName(ret) : ret} (${how})` : '');
}

/** The rules of this module. */
export const WW_LOCK_RULES: readonly KernelRule[] = [RESV_LOCK_RETURNS];
