// Tests of the sleep-set search (src/explore/sleep_sets.ts) on tiny programs run by the real scheduler,
// each step reporting what it read and wrote: two tasks of k independent steps need one schedule (the
// other runs are pruned as reorderings), and the final states reached are the same with and without
// reduction on programs with shared and private steps, where the unreduced search runs every schedule.

import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine/prng.ts';
import { Scheduler } from '../../src/engine/scheduler.ts';
import { Trace } from '../../src/engine/trace.ts';
import type { SimActor } from '../../src/engine/types.ts';
import {
  dependent,
  type Footprint,
  type ObservedChooser,
  sleepSetSearch,
} from '../../src/explore/sleep_sets.ts';
import { boundedSearch, type Execution } from '../../src/explore/verify.ts';

interface TinyRun extends Execution {
  /** The final shared state, as text. */
  readonly state: string;
}

/** Step n of task t: what it does to the shared cells and the names it reads and writes there. */
type Op = (t: string, n: number, cells: Map<string, number>, local: Map<string, number>) => Footprint;

/**
 * Tasks of `k` steps each on the real scheduler; a step posts the task's next step to itself (it reads
 * and writes its own inbox) and applies `op`. Without an observing guide the footprints are dropped.
 */
function tiny(tasks: readonly string[], k: number, op: Op) {
  return (guide: ObservedChooser): TinyRun => {
    const sched = new Scheduler({
      rng: Rng.fromSeed(0n),
      strategy: 'fifo',
      trace: new Trace({ keepLines: false }),
      guide,
    });
    const cells = new Map<string, number>();
    const local = new Map<string, number>();
    for (const id of tasks) {
      let n = 0;
      const actor: SimActor = {
        id,
        deliver() {
          n += 1;
          const fp = op(id, n, cells, local);
          if (n < k) sched.post(id, id, { type: 'task.run' });
          const inbox = `inbox:${id}`;
          guide.touched(id, { reads: [...fp.reads, inbox], writes: [...fp.writes, inbox] });
        },
        state: () => `n${n}`,
      };
      sched.register(actor);
      sched.post('test', id, { type: 'task.run' });
    }
    sched.run(10_000);
    const state = [...cells.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([c, v]) => `${c}=${v}`)
      .join(' ');
    return { failed: false, state };
  };
}

/** Final states of every schedule (unreduced, no binding preemption bound) and of the reduced search. */
function finals(tasks: readonly string[], k: number, op: Op) {
  const all = new Set<string>();
  const full = boundedSearch(
    (g) => {
      const observed: ObservedChooser = {
        register: (id) => g.register(id),
        posted: (to) => g.posted(to),
        delivered: (id) => g.delivered(id),
        pick: (enabled) => g.pick(enabled),
        chosen: (id) => g.chosen(id),
        priorityOf: (id) => g.priorityOf(id),
        touched() {},
      };
      const r = tiny(tasks, k, op)(observed);
      all.add(r.state);
      return r;
    },
    { preemptions: tasks.length * k },
  );
  const reducedStates = new Set<string>();
  const reduced = sleepSetSearch(tiny(tasks, k, op), {
    onRun: (r, pruned) => {
      if (!pruned) reducedStates.add(r.state);
    },
  });
  return {
    all: [...all].sort(),
    reduced: [...reducedStates].sort(),
    full: full.schedules,
    reducedRuns: reduced,
  };
}

/** Each task increments its own cell: no step of one task touches what another's does. */
const privateAdd: Op = (t, _n, cells) => {
  cells.set(t, (cells.get(t) ?? 0) + 1);
  return { reads: [t], writes: [t] };
};

/** Step 1 reads the shared counter into a local, step 2 writes local + 1: the lost update. */
const readThenWrite: Op = (t, n, cells, local) => {
  if (n === 1) {
    local.set(t, cells.get('counter') ?? 0);
    return { reads: ['counter'], writes: [] };
  }
  cells.set('counter', local.get(t)! + 1);
  return { reads: [], writes: ['counter'] };
};

/** Odd steps touch the task's own cell, even steps append the task's name to a shared log. */
const mixed: Op = (t, n, cells) => {
  if (n % 2 === 1) {
    cells.set(t, (cells.get(t) ?? 0) + n);
    return { reads: [t], writes: [t] };
  }
  const log = cells.get('log') ?? 0;
  cells.set('log', log * 10 + t.charCodeAt(0) - 96);
  return { reads: ['log'], writes: ['log'] };
};

describe('dependence of two footprints', () => {
  it('a write against a read or a write of the same name; reads alone commute', () => {
    expect(dependent({ reads: ['x'], writes: [] }, { reads: ['x'], writes: [] })).toBe(false);
    expect(dependent({ reads: ['x'], writes: [] }, { reads: [], writes: ['x'] })).toBe(true);
    expect(dependent({ reads: [], writes: ['x'] }, { reads: [], writes: ['x'] })).toBe(true);
    expect(dependent({ reads: [], writes: ['x'] }, { reads: ['y'], writes: ['y'] })).toBe(false);
  });
});

describe('sleep-set search', () => {
  it('two tasks of k independent steps need one schedule; the k others are pruned', () => {
    for (const k of [1, 2, 3, 5]) {
      const r = sleepSetSearch(tiny(['a', 'b'], k, privateAdd));
      expect(r).toMatchObject({ schedules: 1, pruned: k, complete: true, counterexample: null });
    }
  });

  it('three tasks of three independent steps: one schedule where 1,680 exist', () => {
    const f = finals(['a', 'b', 'c'], 3, privateAdd);
    expect(f.full).toBe(1680);
    expect(f.reducedRuns.schedules).toBe(1);
    expect(f.all).toEqual(['a=3 b=3 c=3']);
    expect(f.reduced).toEqual(f.all);
  });

  it('the lost update: the same final states (1 and 2) with and without reduction', () => {
    const f = finals(['a', 'b'], 2, readThenWrite);
    expect(f.full).toBe(6);
    expect(f.all).toEqual(['counter=1', 'counter=2']);
    expect(f.reduced).toEqual(f.all);
    expect(f.reducedRuns.schedules).toBeLessThan(f.full);
    const three = finals(['a', 'b', 'c'], 2, readThenWrite);
    expect(three.full).toBe(90);
    expect(three.all).toEqual(['counter=1', 'counter=2', 'counter=3']);
    expect(three.reduced).toEqual(three.all);
  });

  it('private and shared steps mixed: every order of the shared log is reached, with fewer schedules', () => {
    const f = finals(['a', 'b'], 4, mixed);
    expect(f.full).toBe(70);
    expect(f.all.length).toBe(6);
    expect(f.reduced).toEqual(f.all);
    expect(f.reducedRuns.schedules).toBe(6);
    const three = finals(['a', 'b', 'c'], 2, mixed);
    expect(three.full).toBe(90);
    expect(three.reduced).toEqual(three.all);
    expect(three.reducedRuns.schedules).toBe(three.all.length);
  });
});
