// Wait-Die's victim (kernel/locking/ww_mutex.h, reservation_ww_class is DEFINE_WD_CLASS): only an acquire
// context that already holds ww_mutexes is ever told to back off. __ww_mutex_check_kill starts with
// "if (ctx->acquired == 0) return 0;" and __ww_mutex_kill answers -EDEADLK only "if (ww_ctx->acquired > 0)"
// (Documentation/locking/ww-mutex-design.rst: a context holding no lock cannot be part of a deadlock, so
// it simply waits). Drivers rely on it: the first lock of a transaction never needs a back-off path.
// Checked where src/kernel/resv.ts mirrors dma_resv_lock, from the context's own count of held locks at
// the return, not through the model's Wait-Die decision (src/kernel/ww_mutex.ts).

import type { TtmGlobal } from '../device.ts';
import { EDEADLK } from '../errno.ts';
import type { WwAcquireCtx } from '../ww_mutex.ts';
import { type KernelRule, kernelRule, warnOn } from './check.ts';

const WW = 'kernel/locking/ww_mutex.h';

export const WW_KILL_HOLDS_LOCKS = kernelRule(
  'ww.kill.holds-locks',
  'return',
  'dma_resv_lock returns -EDEADLK only to an acquire context that holds at least one ww_mutex (Wait-Die never kills a context holding none)',
  [
    { file: WW, func: '__ww_mutex_check_kill', text: 'if (ctx->acquired == 0)' },
    { file: WW, func: '__ww_mutex_kill', text: 'if (ww_ctx->acquired > 0) {' },
  ],
);

/** ww.kill.holds-locks on return of dma_resv_lock of `resvId` with `ctx` (null: no acquire context). */
export function postWwKill(g: TtmGlobal | null, resvId: string, ret: number, ctx: WwAcquireCtx | null): void {
  const broken = ret === -EDEADLK && ctx !== null && ctx.acquired === 0;
  warnOn(
    g,
    WW_KILL_HOLDS_LOCKS,
    broken,
    resvId,
    broken ? `ticket ${ctx.stamp} of ${ctx.task} holds no lock and was told to back off` : '',
  );
}

/** The rules of this module. */
export const WW_MUTEX_KILL_RULES: readonly KernelRule[] = [WW_KILL_HOLDS_LOCKS];
