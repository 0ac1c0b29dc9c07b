// Reservation invariants (kernel/locking/ww_mutex.h with reservation_ww_class = DEFINE_WD_CLASS, and
// include/linux/ww_mutex.h struct ww_acquire_ctx): Wait-Die never lets a ticket that holds locks sleep
// on a lock held by an older ticket, and a ticket's `acquired` counts the locks it holds.

import type { TtmGlobal } from '../../kernel/device.ts';
import type { WwAcquireCtx } from '../../kernel/ww_mutex.ts';
import { fail, type Violation } from './types.ts';
import { liveMutexes } from './world.ts';

/**
 * ww.waitdie: no waiter whose ticket holds locks (acquired > 0) sleeps on a lock held by an older
 * ticket: Wait-Die makes it die (-EDEADLK) instead. Returns the first such waiter, or null.
 */
export function checkWaitDie(g: TtmGlobal): Violation | null {
  const id = 'ww.waitdie';
  for (const m of liveMutexes(g)) {
    const hold = m.holder?.ctx ?? null;
    if (hold === null) continue;
    for (const w of m.queued) {
      if (w.ctx === null || w.ctx.acquired === 0 || w.ctx.stamp <= hold.stamp) continue;
      return fail(
        id,
        w.task,
        `${w.task} (ticket ${w.ctx.stamp}, holding ${w.ctx.acquired} locks) waits for ${m.id}, held by ${m.holder!.task} with older ticket ${hold.stamp}: it must die (-EDEADLK)`,
      );
    }
  }
  return null;
}

/**
 * ww.held: a lock's holder ticket counts it: every ticket's `acquired` is at least the number of live
 * BOs' locks it holds. Returns the first ticket that undercounts, or null.
 */
export function checkWwHeld(g: TtmGlobal): Violation | null {
  const id = 'ww.held';
  const held = new Map<WwAcquireCtx, { n: number; task: string; locks: string[] }>();
  for (const m of liveMutexes(g)) {
    const h = m.holder;
    if (h === null || h.ctx === null) continue;
    const e = held.get(h.ctx) ?? { n: 0, task: h.task, locks: [] };
    e.n += 1;
    e.locks.push(m.id);
    held.set(h.ctx, e);
  }
  for (const [ctx, e] of held) {
    if (ctx.acquired !== e.n) {
      return fail(
        id,
        e.task,
        `ticket ${ctx.stamp} of ${e.task} holds ${e.n} locks (${e.locks.join(', ')}) but counts ${ctx.acquired}`,
      );
    }
  }
  return null;
}
