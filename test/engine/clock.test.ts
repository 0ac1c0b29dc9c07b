// Tests of the virtual clock: (due, seq) order, cancellation, monotone time, and XState `after` on it.

import { describe, expect, it } from 'vitest';
import { createActor, createMachine } from 'xstate';
import { VirtualClock } from '../../src/engine/clock.ts';

/** Pop and run every timer, returning the owners in firing order. */
function drain(clock: VirtualClock): string[] {
  const fired: string[] = [];
  for (let t = clock.popDue(); t !== undefined; t = clock.popDue()) {
    fired.push(t.owner);
    t.fn();
  }
  return fired;
}

describe('VirtualClock', () => {
  it('equal-deadline timers fire in scheduling order', () => {
    const clock = new VirtualClock();
    for (const name of ['a', 'b', 'c', 'd', 'e']) clock.schedule(name, 10, () => {});
    expect(drain(clock)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('timers fire by due time, ties by seq', () => {
    const clock = new VirtualClock();
    clock.schedule('late', 30, () => {});
    clock.schedule('b', 10, () => {});
    clock.schedule('first', 5, () => {});
    clock.schedule('c', 10, () => {});
    expect(drain(clock)).toEqual(['first', 'b', 'c', 'late']);
  });

  it('500 timers with pseudo-random delays fire in (due, seq) order', () => {
    const clock = new VirtualClock();
    const expected: { due: number; seq: number }[] = [];
    for (let i = 0; i < 500; i++) {
      const due = (i * 7919) % 37;
      clock.schedule(`${i}`, due, () => {});
      expected.push({ due, seq: i });
    }
    expected.sort((x, y) => x.due - y.due || x.seq - y.seq);
    expect(drain(clock)).toEqual(expected.map((e) => `${e.seq}`));
  });

  it('popDue advances now to the due time and returns id, owner, due', () => {
    const clock = new VirtualClock();
    const id = clock.schedule('m', 25, () => {});
    expect(clock.now()).toBe(0);
    expect(clock.nextDue()).toBe(25);
    const t = clock.popDue();
    expect(t).toMatchObject({ id, owner: 'm', due: 25 });
    expect(clock.now()).toBe(25);
    expect(clock.popDue()).toBeUndefined();
    expect(clock.nextDue()).toBeUndefined();
  });

  it('delays are relative to now; now never goes backwards', () => {
    const clock = new VirtualClock();
    clock.schedule('a', 100, () => {});
    clock.popDue();
    clock.schedule('b', 5, () => {});
    clock.schedule('neg', -50, () => {});
    const times: number[] = [];
    for (let t = clock.popDue(); t !== undefined; t = clock.popDue()) times.push(clock.now());
    expect(times).toEqual([100, 105]);
  });

  it('negative delay counts as 0', () => {
    const clock = new VirtualClock();
    clock.schedule('a', -5, () => {});
    expect(clock.nextDue()).toBe(0);
  });

  it('non-finite delay → RangeError', () => {
    const clock = new VirtualClock();
    expect(() => clock.schedule('a', Number.NaN, () => {})).toThrow(RangeError);
    expect(() => clock.schedule('a', Number.POSITIVE_INFINITY, () => {})).toThrow(RangeError);
    expect(clock.pending()).toBe(0);
  });

  it('ids start at 1 and increase with every schedule', () => {
    const clock = new VirtualClock();
    expect([1, 2, 3].map(() => clock.schedule('a', 1, () => {}))).toEqual([1, 2, 3]);
  });

  it('cancelled timers never fire; pending counts live timers', () => {
    const clock = new VirtualClock();
    const a = clock.schedule('a', 1, () => {});
    clock.schedule('b', 2, () => {});
    const c = clock.schedule('c', 3, () => {});
    expect(clock.pending()).toBe(3);
    expect(clock.cancel(a)).toBe(true);
    expect(clock.cancel(c)).toBe(true);
    expect(clock.cancel(c)).toBe(false);
    expect(clock.cancel(999)).toBe(false);
    expect(clock.pending()).toBe(1);
    expect(clock.nextDue()).toBe(2);
    expect(drain(clock)).toEqual(['b']);
  });

  it('cancel after firing returns false', () => {
    const clock = new VirtualClock();
    const id = clock.schedule('a', 1, () => {});
    clock.popDue();
    expect(clock.cancel(id)).toBe(false);
  });

  it('mass cancellation (compaction) keeps order of the survivors', () => {
    const clock = new VirtualClock();
    const ids = Array.from({ length: 300 }, (_, i) => clock.schedule(`${i}`, 300 - i, () => {}));
    for (const [i, id] of ids.entries()) if (i % 10 !== 0) clock.cancel(id);
    expect(clock.pending()).toBe(30);
    const expected = Array.from({ length: 30 }, (_, k) => `${290 - 10 * k}`);
    expect(drain(clock)).toEqual(expected);
  });

  it('a timer scheduled from a firing callback runs after the callback', () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    clock.schedule('a', 10, () => {
      log.push('a');
      clock.schedule('b', 0, () => log.push('b'));
    });
    clock.schedule('c', 10, () => log.push('c'));
    for (let t = clock.popDue(); t !== undefined; t = clock.popDue()) t.fn();
    expect(log).toEqual(['a', 'c', 'b']);
  });
});

describe('VirtualClock.clockFor with XState', () => {
  const machine = createMachine({
    id: 'm',
    initial: 'a',
    states: { a: { after: { 100: 'b' } }, b: {} },
  });

  it("after: { 100: 'b' } waits for the virtual timer, then moves to b at t=100", () => {
    const clock = new VirtualClock();
    const actor = createActor(machine, { clock: clock.clockFor('m') }).start();
    expect(actor.getSnapshot().value).toBe('a');
    expect(clock.pending()).toBe(1);
    expect(clock.nextDue()).toBe(100);
    expect(actor.getSnapshot().value).toBe('a');
    const timer = clock.popDue();
    expect(timer?.owner).toBe('m');
    expect(actor.getSnapshot().value).toBe('a');
    timer?.fn();
    expect(actor.getSnapshot().value).toBe('b');
    expect(clock.now()).toBe(100);
    actor.stop();
  });

  it('leaving the state cancels the XState timer on the virtual clock', () => {
    const m = createMachine({
      initial: 'a',
      states: { a: { after: { 100: 'b' }, on: { GO: 'c' } }, b: {}, c: {} },
    });
    const clock = new VirtualClock();
    const actor = createActor(m, { clock: clock.clockFor('m') }).start();
    expect(clock.pending()).toBe(1);
    actor.send({ type: 'GO' });
    expect(clock.pending()).toBe(0);
    expect(clock.popDue()).toBeUndefined();
    expect(actor.getSnapshot().value).toBe('c');
  });

  it('clearTimeout ignores ids that are not numbers', () => {
    const clock = new VirtualClock();
    const xs = clock.clockFor('m');
    xs.setTimeout(() => {}, 5);
    xs.clearTimeout('nope');
    expect(clock.pending()).toBe(1);
  });
});
