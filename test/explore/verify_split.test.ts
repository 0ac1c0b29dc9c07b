// Tests of the search's frontier (src/explore/verify_search.ts) and of splitting it into pieces
// (src/explore/verify_parallel.ts), on tiny programs run by the real scheduler: fault-site evaluations as
// choices (k evaluations and F = 1 give k + 1 variants of every schedule), the pieces run in a
// scrambled order with small slices giving the one-thread counts, pushes and counterexample, and a search
// stopped after N schedules and resumed from its frontier giving the uninterrupted result.

import { describe, expect, it } from 'vitest';
import { progressLine } from '../../src/cli/verify.ts';
import { Rng } from '../../src/engine/prng.ts';
import { Scheduler } from '../../src/engine/scheduler.ts';
import { Trace } from '../../src/engine/trace.ts';
import type { SimActor } from '../../src/engine/types.ts';
import { boundedSearch, searchResultOf } from '../../src/explore/verify.ts';
import { type ChunkRunner, cutStack, searchParallel } from '../../src/explore/verify_parallel.ts';
import {
  type Bounds,
  type Execution,
  exploreChunk,
  initialFrontier,
  type Program,
  type SearchGuide,
  type WorkItem,
} from '../../src/explore/verify_search.ts';

interface TinyRun extends Execution {
  readonly order: string;
  readonly value: number;
}

/**
 * Tasks of `k` steps each on one shared value, run by the real scheduler. Every step evaluates one fault
 * site when `sites` is true: a failed evaluation skips the step's update.
 */
function tiny(
  tasks: readonly string[],
  k: number,
  op: (task: string, step: number, v: number, local: Map<string, number>) => number,
  fails: (v: number, order: string) => boolean = () => false,
  sites = false,
): Program<TinyRun> {
  return (guide: SearchGuide) => {
    const sched = new Scheduler({
      rng: Rng.fromSeed(0n),
      strategy: 'fifo',
      trace: new Trace({ keepLines: false }),
      guide,
    });
    const order: string[] = [];
    const local = new Map<string, number>();
    let value = 0;
    for (const id of tasks) {
      let n = 0;
      const actor: SimActor = {
        id,
        deliver() {
          n += 1;
          const faulted = sites && guide.fault();
          order.push(`${id}${n}${faulted ? '!' : ''}`);
          if (!faulted) value = op(id, n, value, local);
          if (n < k) sched.post(id, id, { type: 'task.run' });
        },
        state: () => `n${n}`,
      };
      sched.register(actor);
      sched.post('test', id, { type: 'task.run' });
    }
    sched.run(10_000);
    const o = order.join(' ');
    return { failed: fails(value, o), order: o, value };
  };
}

const add = (_t: string, _n: number, v: number) => v + 1;
const rmw = (t: string, n: number, v: number, local: Map<string, number>) => {
  if (n === 1) {
    local.set(t, v);
    return v;
  }
  return local.get(t)! + 1;
};

describe('faults as choices', () => {
  it('k evaluations and F = 1 give k + 1 variants of every schedule, each once', () => {
    // Two tasks of 2 steps: 2k = 4 evaluations per schedule; at P = 0, 2 schedules.
    const orders: string[] = [];
    const program = tiny(['a', 'b'], 2, add, () => false, true);
    const r = boundedSearch(
      (g, item) => {
        const run = program(g, item);
        orders.push(run.order);
        return run;
      },
      { preemptions: 0, faults: 1 },
    );
    expect(r).toMatchObject({ schedules: 10, byPreemptions: [10], byFaults: [2, 8], complete: true });
    expect(new Set(orders).size).toBe(10);
    // Level (0, 0) first, then (0, 1): the latest evaluation's failure first, the last schedule's first.
    expect(orders).toEqual([
      'a1 a2 b1 b2',
      'b1 b2 a1 a2',
      'b1 b2 a1 a2!',
      'b1 b2 a1! a2',
      'b1 b2! a1 a2',
      'b1! b2 a1 a2',
      'a1 a2 b1 b2!',
      'a1 a2 b1! b2',
      'a1 a2! b1 b2',
      'a1! a2 b1 b2',
    ]);
    // F = 2: C(4, 0) + C(4, 1) + C(4, 2) = 11 variants of each schedule; at P = 4 (no bound): 6 · 11.
    const two = boundedSearch(
      tiny(['a', 'b'], 2, add, () => false, true),
      { preemptions: 0, faults: 2 },
    );
    expect(two.byFaults).toEqual([2, 8, 12]);
    const all = boundedSearch(
      tiny(['a', 'b'], 2, add, () => false, true),
      { preemptions: 4, faults: 2 },
    );
    expect(all.schedules).toBe(66);
    expect(all.byPreemptions).toEqual([22, 22, 22, 0, 0]);
    expect(all.byFaults).toEqual([6, 24, 36]);
  });

  it('the counterexample has the fewest preemptions, then the fewest faults', () => {
    // Fails when a's first step fails: one fault, no preemption needed.
    const failsWhen = (_v: number, o: string) => o.includes('a1!');
    const r = boundedSearch(tiny(['a', 'b'], 2, add, failsWhen, true), { preemptions: 2, faults: 2 });
    // Everything at (0, 0) ran first, then (0, 1) up to the failure: its third evaluation fails.
    expect(r.counterexample).toMatchObject({ preemptions: 0, faults: [2], tape: [1, 1] });
    expect(r.counterexample?.execution.order).toBe('b1 b2 a1! a2');
    expect(r.byFaults).toEqual([2, 2]);
    expect(r.byPreemptions).toEqual([4]);
  });
});

/** Runs pieces in-process, finishing them in a scrambled (but seeded) order. */
function scrambled<E extends Execution>(program: Program<E>, bounds: Bounds, seed: number): ChunkRunner<E> {
  let s = seed;
  return (level, stack, maxRuns) => {
    const r = exploreChunk(program, bounds, level, stack, maxRuns);
    s = (s * 1103515245 + 12345) % 2147483648;
    const hops = s % 5;
    let p = Promise.resolve(r);
    for (let i = 0; i < hops; i += 1) p = p.then((x) => x);
    return p;
  };
}

describe('pieces on any thread give the one-thread result', () => {
  it('cutStack keeps the order: the top segment first', () => {
    const items: WorkItem[] = [0, 1, 2, 3, 4].map((i) => ({ tape: [i], faults: [], evalStart: 0 }));
    expect(cutStack(items, 2).map((seg) => seg.map((x) => x.tape[0]))).toEqual([
      [2, 3, 4],
      [0, 1],
    ]);
  });

  const cases: { name: string; program: () => Program<TinyRun>; bounds: Bounds }[] = [
    {
      name: 'three tasks of two steps',
      program: () => tiny(['a', 'b', 'c'], 2, add),
      bounds: { preemptions: 3, faults: 0 },
    },
    {
      name: 'a lost update of three tasks',
      program: () => tiny(['a', 'b', 'c'], 2, rmw, (v) => v !== 3),
      bounds: { preemptions: 3, faults: 0 },
    },
    {
      name: 'two tasks with fault sites',
      program: () => tiny(['a', 'b'], 3, add, (v) => v === 3, true),
      bounds: { preemptions: 2, faults: 2 },
    },
  ];
  for (const c of cases) {
    it(`${c.name}: every slice size and thread count, the same counts and counterexample`, async () => {
      const one = boundedSearch(c.program(), { ...c.bounds });
      for (const [inFlight, sliceRuns, seed] of [
        [1, 1, 1],
        [2, 1, 2],
        [3, 2, 3],
        [4, 5, 4],
        [8, 3, 5],
      ] as const) {
        const bounds = c.bounds;
        const end = await searchParallel(
          initialFrontier(bounds),
          bounds,
          scrambled(c.program(), bounds, seed),
          {
            inFlight,
            sliceRuns,
          },
        );
        const many = searchResultOf(bounds, end);
        expect(many.schedules).toBe(one.schedules);
        expect(many.byPreemptions).toEqual(one.byPreemptions);
        expect(many.byFaults).toEqual(one.byFaults);
        expect(many.complete).toBe(one.complete);
        expect(many.counterexample?.tape).toEqual(one.counterexample?.tape);
        expect(many.counterexample?.faults).toEqual(one.counterexample?.faults);
        expect(many.counterexample?.execution.order).toEqual(one.counterexample?.execution.order);
        expect(many.frontier.stacks).toEqual(one.frontier.stacks);
      }
    });
  }

  it('a lost update of three tasks fails at P = 1 in the same schedule', () => {
    const one = boundedSearch(
      tiny(['a', 'b', 'c'], 2, rmw, (v) => v !== 3),
      { preemptions: 3 },
    );
    expect(one.counterexample).toMatchObject({ preemptions: 1, tape: [2, 2, 1, 0, 0] });
    expect(one.counterexample?.execution).toMatchObject({ order: 'c1 c2 b1 a1 a2 b2', value: 2 });
    expect(one.byPreemptions).toEqual([6, 1]);
  });
});

describe('a frontier resumes where the search stopped', () => {
  it('stopped after N schedules (one thread or pieces) and resumed: the uninterrupted result', async () => {
    const bounds: Bounds = { preemptions: 2, faults: 1 };
    const program = () => tiny(['a', 'b', 'c'], 2, add, () => false, true);
    const whole = boundedSearch(program(), { ...bounds });
    // 60 of the 90 interleavings have at most 2 preemptions; each has 6 evaluations: 7 variants.
    expect(whole.schedules).toBe(420);
    expect(whole.byPreemptions).toEqual([42, 126, 252]);
    for (const n of [1, 7, 100, 213, 419]) {
      const part = boundedSearch(program(), { ...bounds, maxSchedules: n });
      expect(part).toMatchObject({ schedules: n, complete: false });
      const rest = boundedSearch(program(), { ...bounds, frontier: part.frontier });
      expect(rest.schedules).toBe(whole.schedules);
      expect(rest.byPreemptions).toEqual(whole.byPreemptions);
      expect(rest.byFaults).toEqual(whole.byFaults);
      // Cut by pieces at the same N: the same frontier as the one thread's.
      const end = await searchParallel(initialFrontier(bounds), bounds, scrambled(program(), bounds, n), {
        inFlight: 3,
        sliceRuns: 4,
        maxSchedules: n,
      });
      expect(end.kind).toBe('limit');
      expect(end.front).toEqual(part.frontier);
    }
  });

  it('a failing search resumed after a stop finds the same counterexample', async () => {
    const bounds: Bounds = { preemptions: 3, faults: 0 };
    const program = () => tiny(['a', 'b', 'c'], 2, rmw, (v) => v !== 3);
    const whole = boundedSearch(program(), { ...bounds });
    let polls = 0;
    const stopped = await searchParallel(initialFrontier(bounds), bounds, scrambled(program(), bounds, 9), {
      inFlight: 2,
      sliceRuns: 1,
      stopRequested: () => {
        polls += 1;
        return polls === 3;
      },
    });
    expect(stopped.kind).toBe('stopped');
    const again = boundedSearch(program(), { ...bounds, frontier: stopped.front });
    expect(again.schedules).toBe(whole.schedules);
    expect(again.counterexample?.tape).toEqual(whole.counterexample?.tape);
  });
});

describe('the progress line', () => {
  it('says the schedules per preemption count, the rate and the level estimate from its root prefixes', () => {
    const bounds: Bounds = { preemptions: 2, faults: 0 };
    // Three tasks of 2 steps: 6 + 18 + 36 schedules at P = 0, 1, 2; stopped inside P = 1.
    const part = boundedSearch(tiny(['a', 'b', 'c'], 2, add), { ...bounds, maxSchedules: 12 });
    expect(part.frontier).toMatchObject({ level: 1, byLevel: [6, 6, 0], roots: 12, rootsStarted: 4 });
    expect(progressLine('tiny', bounds, part.frontier, { runs: 0, rootsStarted: 0 }, 2, 0)).toBe(
      'verify tiny: 12 schedules (6 at P=0, 6 at P=1), 6/s, 16 prefixes queued, 2.0 s; P=1 estimated at 18 schedules (mean subtree of 4 of its 12 prefixes), about 2 s more',
    );
    // Finished pieces beyond the committed frontier count too.
    expect(progressLine('tiny', bounds, part.frontier, { runs: 3, rootsStarted: 2 }, 3, 6)).toBe(
      'verify tiny: 15 schedules (6 at P=0, 9 at P=1), 3/s, 16 prefixes queued, 3.0 s; P=1 estimated at 18 schedules (mean subtree of 6 of its 12 prefixes), about 3 s more',
    );
  });
});
