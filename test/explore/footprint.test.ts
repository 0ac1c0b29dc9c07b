// Tests of the footprint recorder (src/explore/footprint.ts, footprint_run.ts) and of the reduction on
// real scenarios: recording changes nothing in a run (same trace, same outcome) and leaves no patch
// behind; a step's footprint names what it touched (the lost-update counter is a plain field); and on
// calibrate the set of final-state hashes and of failing checks is the same with and without reduction
// at P = 0 and 1, with exact counts, and the lost-update mutation is found at the same bound.

import { describe, expect, it } from 'vitest';
import { FootprintRecorder, UNTRACKED } from '../../src/explore/footprint.ts';
import { recordedRun } from '../../src/explore/footprint_run.ts';
import { runScenario } from '../../src/explore/run.ts';
import type { Footprint } from '../../src/explore/sleep_sets.ts';
import { verify } from '../../src/explore/verify.ts';
import { porSearch, sleepSetReduction } from '../../src/explore/verify_por.ts';
import { PrefixChooser } from '../../src/explore/verify_search.ts';
import { calibrate } from '../../src/sim/scenarios/calibrate.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';

const ROOT = { tape: [], faults: [], evalStart: 0 };

/** A guide that follows the default policy and keeps every step's footprint. */
function keeping(steps: [string, Footprint][]) {
  const inner = new PrefixChooser(ROOT);
  return {
    register: (id: string) => inner.register(id),
    posted: (to: string) => inner.posted(to),
    delivered: (id: string) => inner.delivered(id),
    pick: (enabled: readonly string[]) => inner.pick(enabled),
    chosen: (id: string) => inner.chosen(id),
    priorityOf: (id: string) => inner.priorityOf(id),
    fault: () => inner.fault(),
    touched(actor: string, fp: Footprint) {
      steps.push([actor, fp]);
    },
  };
}

describe('the first recorded run of a process and the later ones give the same footprints', () => {
  // First in this file: the objects a scenario shares with every run (module-level tables a world
  // points to) are instrumented by the first recorded run and met already instrumented by the later ones.
  it('small, three recorded runs of the default schedule: step for step the same reads and writes', () => {
    const scenario = findScenario('small')!;
    const footprints = () => {
      const steps: [string, Footprint][] = [];
      recordedRun(scenario, { seed: 0n, strategy: 'fifo' }, keeping(steps));
      return steps.map(([a, fp]) => `${a} ${[...fp.reads].sort().join()} / ${[...fp.writes].sort().join()}`);
    };
    const first = footprints();
    const second = footprints();
    const third = footprints();
    expect(first.length).toBe(66);
    expect(second).toEqual(first);
    expect(third).toEqual(first);
  });
});

describe('recording footprints changes nothing in a run', () => {
  for (const name of ['abba-ww', 'calibrate', 'small']) {
    it(`${name}: the same trace and outcome with and without the recorder, no patch left`, () => {
      const scenario = findScenario(name)!;
      const getBefore = Map.prototype.get;
      const plain = runScenario(scenario, { seed: 0n, strategy: 'fifo', guide: new PrefixChooser(ROOT) });
      const steps: [string, Footprint][] = [];
      const recorded = recordedRun(scenario, { seed: 0n, strategy: 'fifo' }, keeping(steps));
      expect(recorded.result.traceSha256).toBe(plain.traceSha256);
      expect(recorded.result.outcome).toBe(plain.outcome);
      expect(recorded.result.steps).toBe(plain.steps);
      expect(Map.prototype.get).toBe(getBefore);
      expect(steps.length).toBeGreaterThan(0);
      expect(steps.length).toBeLessThanOrEqual(plain.steps);
    });
  }
});

describe('slots are the same in every run that shares a prefix, whatever order a step meets them in', () => {
  const shape = () => ({ a: new Map<number, number>(), b: new Set<number>(), c: new Uint8Array(4) });
  /** One recorded step after adoption that touches the given fields in order: its reads. */
  const stepReads = (order: readonly ('a' | 'b' | 'c')[]): string[][] => {
    const rec = new FootprintRecorder();
    const root = shape();
    rec.attach();
    try {
      rec.adopt(root);
      const out: string[][] = [];
      for (const f of order) {
        rec.begin();
        if (f === 'a') root.a.get(1);
        else if (f === 'b') root.b.has(1);
        else void root.c[0];
        out.push(rec.end().reads.slice().sort());
      }
      return out;
    } finally {
      rec.detach();
    }
  };

  it('a Map, a Set and a typed array get their numbers when adopted, not at their first access', () => {
    const ab = stepReads(['a', 'b', 'c']);
    const ba = stepReads(['c', 'b', 'a']);
    expect(ab[0]).toEqual(ba[2]);
    expect(ab[1]).toEqual(ba[1]);
    expect(ab[2]).toEqual(ba[0]);
    expect(new Set([ab[0]!.join(), ab[1]!.join(), ab[2]!.join()]).size).toBe(3);
  });

  it('a container outside the roots is UNTRACKED and a named slot is its name, in every run', () => {
    const rec = new FootprintRecorder();
    const outside = new WeakMap<object, number>();
    rec.attach();
    try {
      rec.begin();
      outside.set(rec, 1);
      rec.touchName('inbox:task:x', true);
      const fp = rec.end();
      expect(fp.writes.slice().sort()).toEqual(['inbox:task:x', UNTRACKED]);
      expect(fp.reads.slice().sort()).toEqual(['inbox:task:x', UNTRACKED]);
    } finally {
      rec.detach();
    }
  });
});

describe('what a step touched', () => {
  it('the lost-update workers read and write the counter field: their read and write steps depend', () => {
    const steps: [string, Footprint][] = [];
    recordedRun(
      calibrate({ shape: 'lost-update' }),
      { seed: 0n, strategy: 'fifo', mutations: ['calibrator-lost-update'] },
      keeping(steps),
    );
    const of = (actor: string) => steps.filter(([a]) => a === actor).map(([, fp]) => fp);
    const w0 = of('task:lost-0');
    const w1 = of('task:lost-1');
    expect(w0.length).toBe(2);
    expect(w1.length).toBe(2);
    // Step 1 reads the counter, step 2 writes it: the same slot in both workers.
    const counterRead = w0[0]!.reads.filter((r) => w1[1]!.writes.includes(r));
    expect(counterRead.length).toBeGreaterThan(0);
  });
});

describe('reduction on calibrate: the same final states and failing checks', () => {
  const search = (mutations: string[], preemptions: number, reduce: boolean, keepGoing = false) => {
    const states = new Set<string>();
    const failing = new Set<string>();
    const scenario = calibrate({ starvationSteps: 3 });
    const r = porSearch(
      (guide) => {
        const run = recordedRun(scenario, { seed: 0n, strategy: 'fifo', mutations }, guide, true);
        states.add(run.stateHash);
        if (run.result.failure !== null) failing.add(run.result.failure.id);
        return { failed: run.result.outcome !== 'pass' };
      },
      { preemptions, reduce, keepGoing },
    );
    return { r, states: [...states].sort(), failing: [...failing].sort() };
  };

  it('both shapes (starvation of 3 steps, lost update), P = 0 and 1: equal final-state sets, counts pinned', () => {
    const rows: string[] = [];
    for (const p of [0, 1]) {
      const full = search([], p, false);
      const reduced = search([], p, true);
      expect(reduced.states).toEqual(full.states);
      expect(reduced.failing).toEqual(full.failing);
      expect(full.r.complete && reduced.r.complete).toBe(true);
      rows.push(
        `P=${p}: ${full.r.schedules} -> ${reduced.r.schedules} (${reduced.r.pruned} pruned), ${full.states.length} states`,
      );
    }
    expect(rows).toEqual([
      'P=0: 120 -> 120 (0 pruned), 2 states',
      'P=1: 2676 -> 1956 (372 pruned), 2 states',
    ]);
  });

  it('the lost update unlocked, every schedule up to P = 2: the same final states (counter 1, 2, 3)', () => {
    const full = search(['calibrator-lost-update'], 2, false, true);
    const reduced = search(['calibrator-lost-update'], 2, true, true);
    expect(reduced.states).toEqual(full.states);
    expect(full.states.length).toBe(3);
    expect(reduced.failing).toEqual(full.failing);
    expect([full.r.schedules, reduced.r.schedules, reduced.r.pruned]).toEqual([60, 60, 0]);
  });

  it('the lost update is found at P = 1 and not at P = 0, with and without reduction', () => {
    for (const reduce of [false, true]) {
      const at0 = search(['calibrator-lost-update'], 0, reduce);
      expect(at0.r).toMatchObject({ complete: true, counterexample: null });
      const at1 = search(['calibrator-lost-update'], 1, reduce);
      expect(at1.r.counterexample?.preemptions).toBe(1);
      expect(at1.failing).toEqual(['calibrator.lost-update']);
    }
  });
});

describe('reduction on abba-ww (two ww tasks, the kernel resv, LRU and lifecycle)', () => {
  it('P = 1: the same final-state hashes (engine bookkeeping aside) with 325 schedules as with 400', () => {
    const abba = findScenario('abba-ww')!;
    const run = (reduce: boolean) => {
      const states = new Set<string>();
      const r = porSearch(
        (guide) => {
          const rr = recordedRun(abba, { seed: 0n, strategy: 'fifo' }, guide, true);
          states.add(rr.stateHash);
          return { failed: rr.result.outcome !== 'pass' };
        },
        { preemptions: 1, reduce },
      );
      return { r, states: [...states].sort() };
    };
    const full = run(false);
    const reduced = run(true);
    expect([full.r.schedules, reduced.r.schedules, reduced.r.pruned]).toEqual([400, 325, 44]);
    expect(full.r.complete && reduced.r.complete).toBe(true);
    expect(full.states.length).toBe(2);
    expect(reduced.states).toEqual(full.states);
  }, 600_000);
});

describe('verify with the sleep-set reduction', () => {
  it('calibrate (starvation of 3 steps): certified at P = 1 with fewer schedules; the lost update found at P = 1', () => {
    const scenario = calibrate({ starvationSteps: 3 });
    const plain = verify({ scenario, preemptions: 1 });
    const reduced = verify({ scenario, preemptions: 1, reduction: sleepSetReduction });
    expect(plain).toMatchObject({ complete: true, pruned: 0, counterexample: null });
    expect(reduced).toMatchObject({ complete: true, counterexample: null });
    expect([plain.schedules, reduced.schedules, reduced.pruned]).toEqual([2676, 1956, 372]);
    const lost = calibrate({});
    const found = verify({
      scenario: lost,
      preemptions: 1,
      mutations: ['calibrator-lost-update'],
      reduction: sleepSetReduction,
    });
    expect(found.counterexample).toMatchObject({ preemptions: 1, failure: { id: 'calibrator.lost-update' } });
  });

  it('a scenario that does not list what its tasks share is searched unreduced (stress-pte, P = 0)', () => {
    const stress = findScenario('stress-pte')!;
    expect(verify({ scenario: stress, preemptions: 0, reduction: sleepSetReduction })).toMatchObject({
      schedules: 24,
      pruned: 0,
      complete: true,
    });
  });
});
