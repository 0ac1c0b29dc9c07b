// inevitable: the last choice at which a failing run could still avoid its failure and the first after
// which ≥ 95 % of random continuations fail the same way, found by bisection over the kept choices; and
// the choice points it reads (enabled sets, picks, preemptions), checked against shrinking's own count.

import { describe, expect, test } from 'vitest';
import { inevitableText } from '../../src/cli/inevitable.ts';
import { decodeToken } from '../../src/engine/token.ts';
import { choicePointsOf, preemptionSteps } from '../../src/explore/choice_points.ts';
import { inevitable, RandomTail, tailStream } from '../../src/explore/inevitable.ts';
import { runScenario } from '../../src/explore/run.ts';
import { shrink } from '../../src/explore/shrink.ts';
import type { Scenario } from '../../src/sim/scenario.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';

const memory = findScenario('memory-pressure')!;
const abba = findScenario('abba-deadlock')!;
const STALE = { seed: 129n, mutations: ['pool-restore-stale-state'] };

describe('inevitable: pool-restore-stale-state, memory-pressure seed 129 (20 continuations per cut)', () => {
  const out = inevitable({ scenario: memory, options: STALE, tails: 20 });
  if (!out.ok) throw new Error(out.reason);
  const r = out.result;

  test('the failure and its signature are the run’s', () => {
    expect(r.signature).toBe('tt.restore.post | tt | populated | ');
    expect(r.failure.id).toBe('tt.restore.post');
    expect(r.failure.step).toBe(165);
    expect([r.steps, r.choices, r.tails, r.threshold, r.tailMaxSteps]).toEqual([166, 32, 20, 0.95, 3320]);
  });

  test('kswapd running at step 64 (choice 21) is the last choice that could avoid it, and after it ≥ 95 % fail', () => {
    expect(r.lastAvoidable).toMatchObject({
      choice: 21,
      step: 64,
      picked: 'task:kswapd',
      enabled: ['task:kswapd', 'task:reader0', 'task:reader1', 'task:writer0', 'task:writer1'],
      avoidedOutcome: 'pass',
    });
    expect(r.certainAfter).toEqual({
      choice: 21,
      step: 64,
      picked: 'task:kswapd',
      enabled: ['task:kswapd', 'task:reader0', 'task:reader1', 'task:writer0', 'task:writer1'],
    });
    expect(r.lines[64]).toMatchObject({ step: 64, actor: 'task:kswapd', event: 'fence.signaled' });
  });

  test('bisection probed 6 cuts and took 55 runs (2 of the failing run, 53 continuations)', () => {
    expect(r.probes).toEqual([
      { kept: 0, step: 0, tails: 4, failing: 2 },
      { kept: 16, step: 16, tails: 3, failing: 1 },
      { kept: 20, step: 63, tails: 3, failing: 1 },
      { kept: 21, step: 64, tails: 3, failing: 1 },
      { kept: 22, step: 65, tails: 20, failing: 20 },
      { kept: 24, step: 67, tails: 20, failing: 20 },
    ]);
    expect(r.runs).toBe(55);
    expect(r.probes.reduce((n, p) => n + p.tails, 0)).toBe(53);
  });

  test('the avoiding continuation’s token replays to a pass and keeps the run’s first 21 choices', () => {
    const d = decodeToken(r.lastAvoidable!.avoidedBy);
    if (!d.ok) throw new Error(d.reason);
    expect(d.token.strategy).toBe('fifo');
    expect(d.token.mutations).toEqual(['pool-restore-stale-state']);
    const original = runScenario(memory, STALE);
    expect(d.token.tape!.slice(0, 21)).toEqual(original.sim.scheduler.tape.slice(0, 21));
    const again = runScenario(memory, {
      seed: d.token.seed,
      strategy: 'fifo',
      tape: d.token.tape!,
      mutations: d.token.mutations!,
    });
    expect(again.outcome).toBe('pass');
  });

  test('the same run and tail count give the same result (continuations come from seeded streams)', () => {
    const again = inevitable({ scenario: memory, options: STALE, tails: 20 });
    if (!again.ok) throw new Error(again.reason);
    expect(again.result.probes).toEqual(r.probes);
    expect(again.result.lastAvoidable).toEqual(r.lastAvoidable);
  });
});

describe('inevitable: abba-deadlock seed 0', () => {
  test('the deadlock is sealed when task:ab runs at step 3 (both boundaries at choice 3), 34 runs', () => {
    const out = inevitable({ scenario: abba, options: { seed: 0n }, tails: 20 });
    if (!out.ok) throw new Error(out.reason);
    const r = out.result;
    expect(r.signature).toBe('liveness.deadlock | task:ab | blocked | ');
    expect([r.steps, r.choices]).toEqual([6, 5]);
    expect(r.lastAvoidable).toMatchObject({ choice: 3, step: 3, picked: 'task:ab', avoidedOutcome: 'pass' });
    expect(r.certainAfter).toMatchObject({ choice: 3, step: 3, picked: 'task:ab' });
    expect(r.probes).toEqual([
      { kept: 0, step: 0, tails: 2, failing: 0 },
      { kept: 2, step: 2, tails: 8, failing: 6 },
      { kept: 3, step: 3, tails: 2, failing: 0 },
      { kept: 4, step: 4, tails: 20, failing: 20 },
    ]);
    expect(r.runs).toBe(34);
  });

  test('one continuation per cut is a small sample: the one drawn after 2 kept choices fails, so bisection stops at step 1 (5 runs)', () => {
    const out = inevitable({ scenario: abba, options: { seed: 0n }, tails: 1 });
    if (!out.ok) throw new Error(out.reason);
    expect(out.result.probes).toEqual([
      { kept: 0, step: 0, tails: 1, failing: 0 },
      { kept: 1, step: 1, tails: 1, failing: 0 },
      { kept: 2, step: 2, tails: 1, failing: 1 },
    ]);
    expect(out.result.lastAvoidable).toMatchObject({ choice: 1, step: 1, picked: 'task:ba' });
    expect(out.result.certainAfter).toMatchObject({ choice: 1, step: 1, picked: 'task:ba' });
    expect(out.result.runs).toBe(5);
  });

  test('a passing run has nothing to date', () => {
    expect(inevitable({ scenario: memory, options: { seed: 1n }, tails: 20 })).toEqual({
      ok: false,
      reason: "the token's run passes; there is no failure to date",
    });
  });

  test('tails outside 1..10000 and thresholds outside (0, 1] are refused', () => {
    expect(() => inevitable({ scenario: abba, options: { seed: 0n }, tails: 0 })).toThrow(
      'tails must be an integer in 1..10000, got 0',
    );
    expect(() => inevitable({ scenario: abba, options: { seed: 0n }, threshold: 0 })).toThrow(
      'threshold must be in (0, 1], got 0',
    );
  });
});

describe('choice points', () => {
  test('abba-deadlock seed 0: five choices between the two tasks, preempted at steps 1 and 3 as shrink counts them', () => {
    const { points, run } = choicePointsOf(abba, { seed: 0n });
    expect(run.outcome).toBe('liveness');
    expect(points.map((p) => [p.step, p.picked, p.preempted])).toEqual([
      [0, 'task:ab', false],
      [1, 'task:ba', true],
      [2, 'task:ba', false],
      [3, 'task:ab', true],
      [4, 'task:ab', false],
    ]);
    expect(preemptionSteps(points)).toEqual(
      shrink({ scenario: abba, options: { seed: 0n } }).preemptionSteps,
    );
  });

  test('the run taken again to read its choices has the recorded trace, byte for byte', () => {
    const original = runScenario(memory, { ...STALE, keepTrace: true });
    const { run, points } = choicePointsOf(memory, STALE);
    expect(run.traceSha256).toBe(original.traceSha256);
    expect(points).toHaveLength(32);
    expect(preemptionSteps(points)).toEqual([6, 8, 9, 10, 15, 16, 64, 69, 70, 72]);
    // Every choice point's step is a delivery to the actor picked.
    for (const p of points) expect(run.trace?.[p.step]).toContain(`"actor":"${p.picked}"`);
  });
});

describe('inevitable: bisection agrees with trying every cut', () => {
  /** Continuations failing the same way at every cut j = 0..choices, drawn as inevitable draws them. */
  function everyCut(scenario: Scenario, options: { seed: bigint; mutations: string[] }, tails: number) {
    const run = runScenario(scenario, options);
    const tape = run.sim.scheduler.tape;
    const maxSteps = Math.max(2000, 20 * run.steps);
    return Array.from({ length: tape.length + 1 }, (_, j) => {
      let same = 0;
      for (let i = 0; i < tails; i++) {
        const r = runScenario(scenario, {
          ...options,
          strategy: 'fifo',
          maxSteps,
          tape: tape.slice(0, j),
          guide: new RandomTail(tailStream(options.seed, j, i)),
        });
        if (r.signature === run.signature) same += 1;
      }
      return same;
    });
  }

  const rows: [string, bigint, string[], number[]][] = [
    ['abba-deadlock', 0n, [], [7, 6, 10, 14, 20, 20]],
    [
      'upload-race',
      1n,
      ['pool-alloc-error-no-unmap'],
      [13, 13, 12, 14, 14, 11, 10, 12, 6, 9, 8, 11, 15, 4, 1, 6, 12, 20],
    ],
  ];
  test.each(rows)(
    '%s seed %d %j: failing continuations per cut (20 each), and the steps bisection reports',
    (name, seed, mutations, counts) => {
      const scenario = findScenario(name)!;
      const options = { seed, mutations };
      const table = everyCut(scenario, options, 20);
      expect(table).toEqual(counts);
      const out = inevitable({ scenario, options, tails: 20 });
      if (!out.ok) throw new Error(out.reason);
      const { points, lastAvoidable, certainAfter, probes } = out.result;
      // The share does not grow steadily (abba: 7 of 20 with no choice kept, 6 with one), but the last
      // cut with an escape and the first at >= 95 % are neighbours here, and bisection finds them.
      const lastBelow = table.findLastIndex((n) => n < 20);
      const firstCertain = table.findIndex((n) => n >= 19);
      expect(firstCertain).toBe(lastBelow + 1);
      expect(lastAvoidable?.step).toBe(points[lastBelow]!.step);
      expect(certainAfter?.step).toBe(points[firstCertain - 1]!.step);
      // A probe draws a cut's first continuations, and fewer cuts are probed than there are.
      for (const p of probes) expect(p.failing).toBeLessThanOrEqual(table[p.kept]!);
      expect(probes.length).toBeLessThan(table.length);
    },
  );
});

describe('inevitable: a failure no schedule avoids', () => {
  test('bulk-move-pinned on bulk-lru seed 0: every continuation fails with no choice kept (22 runs), and the report says so', () => {
    const scenario = findScenario('bulk-lru')!;
    const out = inevitable({ scenario, options: { seed: 0n, mutations: ['bulk-move-pinned'] }, tails: 20 });
    if (!out.ok) throw new Error(out.reason);
    const r = out.result;
    expect(r.failure.id).toBe('pinned.resident');
    expect([r.steps, r.choices]).toEqual([28, 24]);
    expect(r.lastAvoidable).toBeNull();
    expect(r.certainAfter).toBeNull();
    expect(r.probes).toEqual([{ kept: 0, step: 0, tails: 20, failing: 20 }]);
    expect(r.runs).toBe(22);
    const text = inevitableText(r, 'title').split('\n');
    expect(text[4]).toBe(
      '  last avoidable  none: every continuation failed the same way even with no choice kept',
    );
    expect(text[5]).toBe(
      '  certain after   the start: ≥ 95 % of the continuations fail the same way with no choice kept',
    );
    expect(text[6]).toBe('  runs            22 (the failing run twice, 20 continuations over 1 cut)');
    expect(text).not.toContain('  the run around the marked steps (▶):');
  });
});
