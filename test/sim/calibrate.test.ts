import { describe, expect, test } from 'vitest';
import { findMutation, MUTATIONS, parseMutation } from '../../src/explore/mutations.ts';
import { runScenario } from '../../src/explore/run.ts';
import { calibrate } from '../../src/sim/scenarios/calibrate.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';

const scenario = findScenario('calibrate')!;
const STARVE_3 = ['calibrator-starvation=3'];
const LOST = ['calibrator-lost-update'];

describe('calibrate scenario: starvation (fig-5 shape)', () => {
  test('L=3, random: seed 13 is the first of 0.. to fail, at step 4 (the end of the run), after 3 choices', () => {
    for (let s = 0n; s < 13n; s += 1n) {
      expect(runScenario(scenario, { seed: s, mutations: STARVE_3 }).outcome).toBe('pass');
    }
    const r = runScenario(scenario, { seed: 13n, mutations: STARVE_3 });
    expect(r.failure).toEqual({
      kind: 'correctness',
      id: 'calibrator.starvation',
      message: 'task:starve-long ran all 3 of its steps before task:starve-brief ran at all',
      step: 4,
      actor: 'task:starve-brief',
    });
    expect(r.steps).toBe(4);
    expect(r.choices).toBe(3);
    expect(r.signature).toBe('calibrator.starvation | task:starve-brief | exited | ');
  });

  test('L=3, random: 256 of seeds 0..1999 fail (p = 2^-3: 250 expected)', () => {
    let failures = 0;
    for (let s = 0n; s < 2000n; s += 1n) {
      const r = runScenario(scenario, { seed: s, mutations: STARVE_3 });
      if (r.failure !== null) {
        expect(r.failure.id).toBe('calibrator.starvation');
        failures += 1;
      }
    }
    expect(failures).toBe(256);
  });

  test('L=3, pct:1:3: seeds 3, 4, 5 and 8 of 0..9 find it (the long task drew the higher priority)', () => {
    const found: number[] = [];
    for (let s = 0; s < 10; s += 1) {
      const r = runScenario(scenario, {
        seed: BigInt(s),
        strategy: 'pct',
        strategyParams: { depth: 1, k: 3 },
        mutations: STARVE_3,
      });
      if (r.failure !== null) {
        expect(r.failure).toMatchObject({ id: 'calibrator.starvation', step: 4 });
        found.push(s);
      }
    }
    expect(found).toEqual([3, 4, 5, 8]);
  });

  test('fifo runs the brief task first: never fails, whatever L', () => {
    for (const l of [1, 3, 14, 30]) {
      const r = runScenario(scenario, {
        seed: 0n,
        strategy: 'fifo',
        mutations: [`calibrator-starvation=${l}`],
      });
      expect(r.outcome).toBe('pass');
      expect(r.steps).toBe(l + 1);
    }
  });

  test('the failing run replays from its recorded tape under fifo, same failure and trace', () => {
    const r = runScenario(scenario, { seed: 13n, mutations: STARVE_3 });
    const again = runScenario(scenario, {
      seed: 0n,
      strategy: 'fifo',
      tape: r.sim.scheduler.tape,
      mutations: STARVE_3,
    });
    expect(again.failure).toEqual(r.failure);
    expect(again.traceSha256).toBe(r.traceSha256);
  });
});

describe('calibrate scenario: lost update', () => {
  test('random seed 0: counter 2, calibrator.lost-update at step 6; seed 3 passes', () => {
    const r = runScenario(scenario, { seed: 0n, mutations: LOST });
    expect(r.failure).toEqual({
      kind: 'correctness',
      id: 'calibrator.lost-update',
      message: 'counter is 2 after 3 increments: 1 lost',
      step: 6,
    });
    expect(r.stats).toEqual({ counter: 2 });
    expect(runScenario(scenario, { seed: 3n, mutations: LOST }).outcome).toBe('pass');
  });

  test('random: 80 of seeds 0..99 lose an update; pct:1 (no change point) never does', () => {
    let failures = 0;
    for (let s = 0n; s < 100n; s += 1n) {
      if (runScenario(scenario, { seed: s, mutations: LOST }).failure !== null) failures += 1;
      const pct1 = runScenario(scenario, {
        seed: s,
        strategy: 'pct',
        strategyParams: { depth: 1, k: 5 },
        mutations: LOST,
      });
      expect(pct1.outcome).toBe('pass');
    }
    expect(failures).toBe(80);
  });
});

describe('calibrate scenario: unmutated', () => {
  test('both shapes (L=14, locked counter) pass for seeds 0..99 under random, pct:2:40 and pos', () => {
    const bad: string[] = [];
    for (let s = 0n; s < 100n; s += 1n) {
      for (const opts of [
        { strategy: 'random' as const },
        { strategy: 'pct' as const, strategyParams: { depth: 2, k: 40 } },
        { strategy: 'pos' as const },
      ]) {
        const r = runScenario(scenario, { seed: s, ...opts });
        if (r.outcome !== 'pass') bad.push(`${opts.strategy} ${s}: ${r.failure?.id}`);
      }
    }
    expect(bad).toEqual([]);
    const r = runScenario(scenario, { seed: 0n });
    expect(r.stats).toEqual({ starvationSteps: 14, starved: 0, counter: 3 });
    expect(r.objects).toEqual([
      'starvation: L=14, the brief task ran in time (not a bug: mutation off)',
      'lost update: counter 3/3 (locked)',
    ]);
  });

  test('one mutation builds only its shape; `shape` and `starvationSteps` force one with the bug off (seed 3 starves, no failure)', () => {
    expect(runScenario(scenario, { seed: 1n, mutations: STARVE_3 }).stats).toEqual({
      starvationSteps: 3,
      starved: 0,
    });
    expect(runScenario(scenario, { seed: 3n, mutations: LOST }).stats).toEqual({ counter: 3 });
    const off = calibrate({ shape: 'starvation', starvationSteps: 10 });
    const r = runScenario(off, { seed: 3n, strategy: 'pct', strategyParams: { depth: 1, k: 10 } });
    expect(r.outcome).toBe('pass');
    expect(r.stats).toEqual({ starvationSteps: 10, starved: 1 });
  });
});

describe('calibrator mutations', () => {
  test('catalogue entries', () => {
    expect(findMutation('calibrator-starvation')).toMatchObject({
      kind: 'calibrator',
      commit: '',
      year: 2026,
      scenario: 'calibrate',
      detectedBy: 'calibrator.starvation',
      param: { default: 14, min: 1, max: 30 },
    });
    expect(findMutation('calibrator-lost-update')).toMatchObject({
      kind: 'calibrator',
      commit: '',
      year: 2026,
      scenario: 'calibrate',
      detectedBy: 'calibrator.lost-update',
    });
    expect(findMutation('calibrator-lost-update')?.param).toBeUndefined();
    expect(MUTATIONS.filter((m) => m.kind === 'calibrator').map((m) => m.name)).toEqual([
      'calibrator-starvation',
      'calibrator-lost-update',
    ]);
  });

  test('parseMutation: starvation takes 1..30, 0 and 31 are refused; lost-update takes no value', () => {
    expect(parseMutation('calibrator-starvation=0')).toEqual({
      ok: false,
      reason:
        "mutation 'calibrator-starvation' needs an integer value in 1..30 (steps the long task must run before the brief one), got '0'",
    });
    expect(parseMutation('calibrator-starvation=31')).toMatchObject({ ok: false });
    expect(parseMutation('calibrator-starvation=14')).toEqual({
      ok: true,
      name: 'calibrator-starvation',
      value: 14,
      spec: 'calibrator-starvation',
    });
    expect(parseMutation('calibrator-starvation=1')).toMatchObject({ ok: true, value: 1 });
    expect(parseMutation('calibrator-lost-update=2')).toEqual({
      ok: false,
      reason: "mutation 'calibrator-lost-update' takes no value; pass just 'calibrator-lost-update'",
    });
  });
});
