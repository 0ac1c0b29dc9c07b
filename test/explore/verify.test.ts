// Tests of the bounded-exhaustive search (src/explore/verify.ts): exact schedule counts on tiny programs
// run by the real scheduler (two tasks of k steps: C(2k, k) schedules without a bound, and the count of
// interleavings with at most P preemptions for each P), distinct schedules, fewest-preemption
// counterexamples, and the lost-update calibrator found at P = 1 and not at P = 0.

import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine/prng.ts';
import { Scheduler } from '../../src/engine/scheduler.ts';
import type { Chooser } from '../../src/engine/strategy.ts';
import { decodeToken } from '../../src/engine/token.ts';
import { Trace } from '../../src/engine/trace.ts';
import type { SimActor } from '../../src/engine/types.ts';
import { runScenario } from '../../src/explore/run.ts';
import { boundedSearch, type Execution, verify } from '../../src/explore/verify.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';

interface TinyRun extends Execution {
  /** The order the steps ran in, e.g. 'a1 b1 a2 b2'. */
  readonly order: string;
  /** The shared object's final value. */
  readonly value: number;
}

/**
 * Tasks `a`, `b` (and more) of `k` steps each, run by the real scheduler: a step posts the task's next
 * step to itself, so every task stays enabled until its last step. Each step applies `op` to one shared
 * value. `fails` judges the final value.
 */
function tiny(
  tasks: readonly string[],
  k: number,
  op: (task: string, step: number, v: number, local: Map<string, number>) => number,
  fails: (v: number) => boolean = () => false,
): (guide: Chooser) => TinyRun {
  return (guide) => {
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
          order.push(`${id}${n}`);
          value = op(id, n, value, local);
          if (n < k) sched.post(id, id, { type: 'task.run' });
        },
        state: () => `n${n}`,
      };
      sched.register(actor);
      sched.post('test', id, { type: 'task.run' });
    }
    sched.run(10_000);
    return { failed: fails(value), order: order.join(' '), value };
  };
}

function binomial(n: number, r: number): number {
  if (r < 0 || r > n) return 0;
  let out = 1;
  for (let i = 1; i <= r; i += 1) out = (out * (n - r + i)) / i;
  return out;
}

/**
 * Interleavings of a^k and b^k with at most P preemptions, counted by blocks: B alternating blocks
 * (B ≥ 2) have B − 2 preemptions (the switch after the first task's last block is forced), and a task
 * cut into m blocks has C(k − 1, m − 1) ways; either task may start.
 */
function boundedCount(k: number, bound: number): number {
  let total = 0;
  for (let blocks = 2; blocks <= bound + 2 && blocks <= 2 * k; blocks += 1) {
    total += 2 * binomial(k - 1, Math.ceil(blocks / 2) - 1) * binomial(k - 1, Math.floor(blocks / 2) - 1);
  }
  return total;
}

describe('bounded search on two tasks of k steps on one shared object', () => {
  const add = (_t: string, _n: number, v: number) => v + 1;

  it('explores C(2k, k) schedules without a binding bound, each once', () => {
    for (const k of [1, 2, 3, 4]) {
      const orders: string[] = [];
      const program = tiny(['a', 'b'], k, add);
      const r = boundedSearch(
        (g) => {
          const run = program(g);
          orders.push(run.order);
          return run;
        },
        { preemptions: 2 * k },
      );
      expect(r.schedules).toBe(binomial(2 * k, k));
      expect(r.complete).toBe(true);
      expect(r.counterexample).toBeNull();
      expect(new Set(orders).size).toBe(orders.length);
    }
    expect(binomial(8, 4)).toBe(70);
  });

  it('explores exactly the interleavings with at most P preemptions', () => {
    const k = 4;
    const counts = [0, 1, 2, 3, 4, 5, 6].map(
      (p) => boundedSearch(tiny(['a', 'b'], k, add), { preemptions: p }).schedules,
    );
    expect(counts).toEqual([2, 8, 26, 44, 62, 68, 70]);
    expect(counts).toEqual([0, 1, 2, 3, 4, 5, 6].map((p) => boundedCount(k, p)));
    const byP = boundedSearch(tiny(['a', 'b'], k, add), { preemptions: 6 }).byPreemptions;
    expect(byP).toEqual([2, 6, 18, 18, 18, 6, 2]);
  });

  it('three tasks of two steps: 90 schedules = 6! / (2!·2!·2!)', () => {
    expect(boundedSearch(tiny(['a', 'b', 'c'], 2, add), { preemptions: 10 }).schedules).toBe(90);
    expect(boundedSearch(tiny(['a', 'b', 'c'], 2, add), { preemptions: 0 }).schedules).toBe(6);
  });

  it('a lost update (read at step 1, write read + 1 at step 2) needs one preemption', () => {
    const rmw = (t: string, n: number, v: number, local: Map<string, number>) => {
      if (n === 1) {
        local.set(t, v);
        return v;
      }
      return local.get(t)! + 1;
    };
    const lost = (v: number) => v !== 2;
    const at0 = boundedSearch(tiny(['a', 'b'], 2, rmw, lost), { preemptions: 0 });
    expect(at0).toMatchObject({ schedules: 2, complete: true, counterexample: null });
    const at2 = boundedSearch(tiny(['a', 'b'], 2, rmw, lost), { preemptions: 2 });
    expect(at2.complete).toBe(false);
    expect(at2.byPreemptions).toEqual([2, 1]);
    expect(at2.counterexample?.preemptions).toBe(1);
    expect(at2.counterexample?.execution).toMatchObject({ order: 'b1 a1 a2 b2', value: 1 });
    expect(at2.counterexample?.tape).toEqual([1, 0, 0]);
  });

  it('stops at maxSchedules, incomplete', () => {
    const r = boundedSearch(tiny(['a', 'b'], 3, add), { preemptions: 4, maxSchedules: 5 });
    expect(r).toMatchObject({ schedules: 5, complete: false, counterexample: null });
  });
});

describe('verify on the calibrate scenario', () => {
  const scenario = findScenario('calibrate')!;

  it('finds the starvation calibrator at P = 0: picking the long task first is not a preemption', () => {
    const r = verify({ scenario, preemptions: 2, mutations: ['calibrator-starvation'] });
    expect(r.schedules).toBe(2);
    expect(r.counterexample).toMatchObject({ preemptions: 0, failure: { id: 'calibrator.starvation' } });
  });

  it('certifies abba-ww at P = 1 with 400 schedules, each a different trace', () => {
    const abba = findScenario('abba-ww')!;
    const traces = new Set<string>();
    const r = boundedSearch(
      (guide) => {
        const run = runScenario(abba, { seed: 0n, strategy: 'fifo', guide });
        traces.add(run.traceSha256);
        return { failed: run.outcome !== 'pass' };
      },
      { preemptions: 1 },
    );
    expect(r).toMatchObject({ schedules: 400, byPreemptions: [32, 368], complete: true });
    expect(traces.size).toBe(400);
    expect(verify({ scenario: abba, preemptions: 1 })).toMatchObject({
      schedules: 400,
      complete: true,
      pruned: 0,
    });
  });

  it('finds the lost update at P = 1 and certifies P = 0; the token replays the failure', () => {
    const at0 = verify({ scenario, preemptions: 0, mutations: ['calibrator-lost-update'] });
    expect(at0).toMatchObject({ complete: true, schedules: 6, byPreemptions: [6], counterexample: null });
    const at1 = verify({ scenario, preemptions: 1, mutations: ['calibrator-lost-update'] });
    expect(at1.schedules).toBe(7);
    expect(at1.byPreemptions).toEqual([6, 1]);
    expect(at1.counterexample).toMatchObject({
      preemptions: 1,
      outcome: 'correctness',
      failure: { id: 'calibrator.lost-update', message: 'counter is 2 after 3 increments: 1 lost' },
    });
    const token = at1.counterexample!.token;
    const decoded = decodeToken(token);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    const again = runScenario(scenario, {
      seed: decoded.token.seed,
      strategy: 'fifo',
      tape: decoded.token.tape ?? [],
      mutations: ['calibrator-lost-update'],
    });
    expect(again.failure?.id).toBe('calibrator.lost-update');
    expect(again.token).toBe(token);
  });
});
