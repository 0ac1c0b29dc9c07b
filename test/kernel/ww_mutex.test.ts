// Unit tests of src/kernel/ww_mutex.ts: the Wait-Die ww_mutex behind dma_resv (reservation_ww_class).

import { describe, expect, test } from 'vitest';
import { EALREADY, EDEADLK } from '../../src/kernel/errno.ts';
import { WOULD_BLOCK, WwAcquireCtx, WwMutex, type WwWaiter } from '../../src/kernel/ww_mutex.ts';

/** A sleeper whose wake-ups are appended to `log` as [task, ret]. */
function sleeper(
  task: string,
  ctx: WwAcquireCtx | null,
  log: [string, number][],
  interruptible = false,
): WwWaiter {
  return { task, ctx, interruptible, wake: (ret) => log.push([task, ret]) };
}

/** A ctx that already holds one other ww_mutex (ctx->acquired == 1). */
function ctxHoldingOne(stamp: number, task: string): WwAcquireCtx {
  const ctx = new WwAcquireCtx(stamp, task);
  expect(new WwMutex(`other-${task}`).attempt(task, ctx, false)).toBe(0);
  return ctx;
}

describe('ww_mutex', () => {
  test('ww_mutex_trylock: free → true and held without a ctx; held → false, holder unchanged', () => {
    const m = new WwMutex('m');
    expect(m.trylock('t0')).toBe(true);
    expect(m.holder).toEqual({ task: 't0', ctx: null });
    expect(m.isLocked).toBe(true);
    expect(m.trylock('t1')).toBe(false);
    expect(m.holder?.task).toBe('t0');
  });

  test('ww_mutex_lock: free mutex with a ctx → 0, ctx holds it, acquired 1', () => {
    const m = new WwMutex('m');
    const a = new WwAcquireCtx(1, 'A');
    expect(m.attempt('A', a, false)).toBe(0);
    expect(m.holder?.ctx).toBe(a);
    expect(a.acquired).toBe(1);
  });

  test('ww_mutex_lock: same ctx locks again → -EALREADY, acquired stays 1', () => {
    const m = new WwMutex('m');
    const a = new WwAcquireCtx(1, 'A');
    m.attempt('A', a, false);
    expect(m.attempt('A', a, false)).toBe(-EALREADY);
    expect(m.attempt('A', a, true)).toBe(-EALREADY);
    expect(a.acquired).toBe(1);
  });

  test('ww_mutex_lock: younger ctx holding a lock meets an older holder → -EDEADLK', () => {
    const m = new WwMutex('m');
    m.attempt('A', new WwAcquireCtx(1, 'A'), false);
    const b = ctxHoldingOne(2, 'B');
    expect(m.attempt('B', b, false)).toBe(-EDEADLK);
    expect(b.acquired).toBe(1);
    expect(m.holder?.task).toBe('A');
  });

  test('ww_mutex_lock: younger ctx holding nothing meets an older holder → WOULD_BLOCK', () => {
    const m = new WwMutex('m');
    m.attempt('A', new WwAcquireCtx(1, 'A'), false);
    expect(m.attempt('B', new WwAcquireCtx(2, 'B'), false)).toBe(WOULD_BLOCK);
  });

  test('ww_mutex_lock: older ctx holding locks meets a younger holder → WOULD_BLOCK (waits, no wound)', () => {
    const m = new WwMutex('m');
    m.attempt('B', new WwAcquireCtx(2, 'B'), false);
    const a = ctxHoldingOne(1, 'A');
    expect(m.attempt('A', a, false)).toBe(WOULD_BLOCK);
    expect(m.holder?.task).toBe('B');
  });

  test('ww_mutex_lock: no ctx on a held mutex → WOULD_BLOCK', () => {
    const m = new WwMutex('m');
    m.attempt('A', new WwAcquireCtx(1, 'A'), false);
    expect(m.attempt('P', null, false)).toBe(WOULD_BLOCK);
  });

  test('ww_mutex_lock: ctx-less holder, younger ctx with locks and no waiters → WOULD_BLOCK', () => {
    const m = new WwMutex('m');
    m.trylock('t0');
    expect(m.attempt('B', ctxHoldingOne(2, 'B'), false)).toBe(WOULD_BLOCK);
  });

  test('ww_mutex_lock: ctx-less holder, an older ctx waiter queued, younger ctx with locks → -EDEADLK', () => {
    const m = new WwMutex('m');
    m.trylock('t0');
    m.enqueue(sleeper('A', new WwAcquireCtx(1, 'A'), []));
    expect(m.attempt('B', ctxHoldingOne(2, 'B'), false)).toBe(-EDEADLK);
  });

  test('ww_mutex_lock: only a younger ctx waiter queued, ctx with locks → WOULD_BLOCK', () => {
    const m = new WwMutex('m');
    m.trylock('t0');
    m.enqueue(sleeper('C', new WwAcquireCtx(3, 'C'), []));
    expect(m.attempt('B', ctxHoldingOne(2, 'B'), false)).toBe(WOULD_BLOCK);
  });

  test('ww_mutex_lock_slow: younger ctx with locks meets an older holder → WOULD_BLOCK (slow path never dies)', () => {
    const m = new WwMutex('m');
    m.attempt('A', new WwAcquireCtx(1, 'A'), false);
    m.enqueue(sleeper('A2', new WwAcquireCtx(0, 'A2'), []));
    expect(m.attempt('B', ctxHoldingOne(2, 'B'), true)).toBe(WOULD_BLOCK);
  });

  test('__ww_mutex_add_waiter: ctx waiters 5, 2, 9 then a plain one → ordered 2, 5, 9, plain', () => {
    const m = new WwMutex('m');
    m.trylock('t0');
    m.enqueue(sleeper('c5', new WwAcquireCtx(5, 'c5'), []));
    m.enqueue(sleeper('c2', new WwAcquireCtx(2, 'c2'), []));
    m.enqueue(sleeper('c9', new WwAcquireCtx(9, 'c9'), []));
    m.enqueue(sleeper('p1', null, []));
    expect(m.waiterTasks).toEqual(['c2', 'c5', 'c9', 'p1']);
    m.enqueue(sleeper('c3', new WwAcquireCtx(3, 'c3'), []));
    m.enqueue(sleeper('p2', null, []));
    expect(m.waiterTasks).toEqual(['c2', 'c3', 'c5', 'c9', 'p1', 'p2']);
  });

  test('__ww_mutex_add_waiter: plain P queued before ctx C → C stays behind P (plain waiters keep FIFO)', () => {
    const m = new WwMutex('m');
    m.trylock('t0');
    m.enqueue(sleeper('P', null, []));
    m.enqueue(sleeper('C', new WwAcquireCtx(3, 'C'), []));
    expect(m.waiterTasks).toEqual(['P', 'C']);
    m.enqueue(sleeper('B', new WwAcquireCtx(2, 'B'), []));
    expect(m.waiterTasks).toEqual(['P', 'B', 'C']);
  });

  test('ww_mutex enqueue: a plain waiter is reported to the observer → [holder, 1] then [holder, 2]', () => {
    const m = new WwMutex('m');
    const seen: [string | undefined, number][] = [];
    m.observer = (holder, waiters) => seen.push([holder?.task, waiters]);
    m.trylock('t0');
    m.enqueue(sleeper('P', null, []));
    m.enqueue(sleeper('C', new WwAcquireCtx(3, 'C'), []));
    expect(seen).toEqual([
      ['t0', 0],
      ['t0', 1],
      ['t0', 2],
    ]);
  });

  test('ww_mutex_unlock: waiters queued → first waiter gets the lock and wake(0), the rest stay queued', () => {
    const m = new WwMutex('m');
    const log: [string, number][] = [];
    m.trylock('t0');
    const a = new WwAcquireCtx(1, 'A');
    m.enqueue(sleeper('A', a, log));
    m.enqueue(sleeper('P', null, log));
    m.unlock();
    expect(m.holder).toEqual({ task: 'A', ctx: a });
    expect(a.acquired).toBe(1);
    expect(log).toEqual([['A', 0]]);
    expect(m.waiterTasks).toEqual(['P']);
  });

  test('ww_mutex_unlock: handover to an older ctx → younger waiters holding locks woken with -EDEADLK', () => {
    const m = new WwMutex('m');
    const log: [string, number][] = [];
    m.trylock('t0');
    const b = ctxHoldingOne(2, 'B');
    m.enqueue(sleeper('A', new WwAcquireCtx(1, 'A'), log));
    m.enqueue(sleeper('B', b, log));
    m.enqueue(sleeper('C', new WwAcquireCtx(3, 'C'), log));
    m.enqueue(sleeper('P', null, log));
    m.unlock();
    expect(m.holder?.task).toBe('A');
    expect(log).toEqual([
      ['A', 0],
      ['B', -EDEADLK],
    ]);
    expect(m.waiterTasks).toEqual(['C', 'P']);
    expect(b.acquired).toBe(1);
  });

  test('ww_mutex_unlock: successive unlocks → waiters granted in queue order, plain waiters never die', () => {
    const m = new WwMutex('m');
    const log: [string, number][] = [];
    m.trylock('t0');
    const b = ctxHoldingOne(2, 'B');
    m.enqueue(sleeper('B', b, log));
    m.enqueue(sleeper('P', null, log));
    m.unlock();
    expect(m.holder).toEqual({ task: 'B', ctx: b });
    expect(b.acquired).toBe(2);
    m.unlock();
    expect(m.holder).toEqual({ task: 'P', ctx: null });
    expect(b.acquired).toBe(1);
    expect(log).toEqual([
      ['B', 0],
      ['P', 0],
    ]);
  });

  test('ww_mutex_unlock: ctx holder, no waiters → unlocked and ctx.acquired decremented', () => {
    const m1 = new WwMutex('m1');
    const m2 = new WwMutex('m2');
    const a = new WwAcquireCtx(1, 'A');
    expect(m1.attempt('A', a, false)).toBe(0);
    expect(m2.attempt('A', a, false)).toBe(0);
    expect(a.acquired).toBe(2);
    m1.unlock();
    expect(a.acquired).toBe(1);
    expect(m1.holder).toBeNull();
    expect(m1.isLocked).toBe(false);
    m2.unlock();
    expect(a.acquired).toBe(0);
  });

  test('ww_mutex_unlock: unlocked mutex → throws', () => {
    const m = new WwMutex('m');
    expect(() => m.unlock()).toThrow('ww_mutex m: unlock of an unlocked mutex');
    m.trylock('t0');
    m.unlock();
    expect(() => m.unlock()).toThrow('ww_mutex m: unlock of an unlocked mutex');
  });

  test('ww_mutex remove: queued waiter → true and never woken; second remove → false', () => {
    const m = new WwMutex('m');
    const log: [string, number][] = [];
    m.trylock('t0');
    const a = sleeper('A', new WwAcquireCtx(1, 'A'), log, true);
    m.enqueue(a);
    m.enqueue(sleeper('P', null, log));
    expect(m.remove(a)).toBe(true);
    expect(m.remove(a)).toBe(false);
    expect(m.waiterTasks).toEqual(['P']);
    m.unlock();
    expect(log).toEqual([['P', 0]]);
  });

  test('ww_mutex observer: trylock, ctx enqueue, unlock → (t0,0), (t0,1), (A,0), then (null,0)', () => {
    const m = new WwMutex('m');
    const seen: [string | null, number][] = [];
    m.observer = (holder, waiters) => seen.push([holder?.task ?? null, waiters]);
    m.trylock('t0');
    m.enqueue(sleeper('A', new WwAcquireCtx(1, 'A'), []));
    m.unlock();
    m.unlock();
    expect(seen).toEqual([
      ['t0', 0],
      ['t0', 1],
      ['A', 0],
      [null, 0],
    ]);
  });
});
