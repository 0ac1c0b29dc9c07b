// The order of a ww_mutex's wait list (kernel/locking/ww_mutex.h __ww_mutex_add_waiter): waiters with an
// acquire context queue by stamp, oldest first, so the oldest context is handed the lock first; waiters
// without a context sit among them in FIFO order and are not ordered.

import type { TtmGlobal } from '../../kernel/device.ts';
import { fail, type Violation } from './types.ts';
import { liveMutexes } from './world.ts';

/**
 * ww.wait-order: on every live ww_mutex, the waiters that carry an acquire context are in increasing
 * stamp order (older before younger). Returns the first pair out of order, or null.
 */
export function checkWaitOrder(g: TtmGlobal): Violation | null {
  const id = 'ww.wait-order';
  for (const m of liveMutexes(g)) {
    const q = m.queued;
    if (q.length < 2) continue;
    let prev: { task: string; stamp: number } | null = null;
    for (const w of q) {
      if (w.ctx === null) continue;
      if (prev !== null && w.ctx.stamp < prev.stamp) {
        return fail(
          id,
          w.task,
          `${m.id}: ${w.task} (ticket ${w.ctx.stamp}) waits behind ${prev.task} (younger ticket ${prev.stamp})`,
        );
      }
      prev = { task: w.task, stamp: w.ctx.stamp };
    }
  }
  return null;
}
