// Fault plans: uniform draws, the two-stage (BUGGIFY) decider, and what the injector records.

import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine/prng.ts';
import { drawTargets, drawUniform, FaultInjector, faultModeProblem } from '../../src/explore/faults.ts';
import type { FaultSite } from '../../src/kernel/faults.ts';

const SITES: FaultSite[] = ['page.alloc', 'iommu.map', 'signal.wait'];

function buggify(seed: bigint, evaluations: number): FaultInjector {
  const inj = new FaultInjector(
    { kind: 'buggify', rng: Rng.fromSeed(seed), window: 40 },
    () => 0,
    () => {},
  );
  for (let i = 0; i < evaluations; i++) inj.hook(SITES[i % 3]!, 'x');
  return inj;
}

describe('drawUniform', () => {
  it('1 to 3 sorted distinct positions in [0, window), from the stream', () => {
    const r = Rng.fromSeed(5n);
    expect([drawUniform(r, 100), drawUniform(r, 100), drawUniform(r, 1), drawUniform(r, 0)]).toEqual([
      [29, 91],
      [30],
      [0],
      [],
    ]);
  });

  it('every position of the window is reachable, the last 5 % included', () => {
    const seen = new Set<number>();
    const r = Rng.fromSeed(1n);
    for (let i = 0; i < 2000; i++) for (const p of drawUniform(r, 40)) seen.add(p);
    expect(seen.size).toBe(40);
    // A window of 100: 1-3 faults per run put one in [95, 100) in about 10 % of runs (≥ 1 in 20).
    let late = 0;
    const r2 = Rng.fromSeed(2n);
    for (let i = 0; i < 1000; i++) if (drawUniform(r2, 100).some((p) => p >= 95)) late += 1;
    expect(late).toBe(99);
  });
});

describe('FaultInjector', () => {
  it('planned: fails exactly the listed evaluations and records site, object and step', () => {
    let step = 10;
    const seen: string[] = [];
    const inj = new FaultInjector(
      { kind: 'planned', at: [1, 3] },
      () => step,
      (f) => seen.push(f.site),
    );
    const answers = SITES.concat(SITES).map((s) => {
      step += 1;
      return inj.hook(s, `obj${step}`);
    });
    expect(answers).toEqual([false, true, false, true, false, false]);
    expect(inj.evaluations).toBe(6);
    expect(inj.fired).toEqual([
      { at: 1, site: 'iommu.map', where: 'obj12', step: 12 },
      { at: 3, site: 'page.alloc', where: 'obj14', step: 14 },
    ]);
    expect(seen).toEqual(['iommu.map', 'page.alloc']);
  });

  it('steps: the first evaluation at or after each planned step fails, one per planned step', () => {
    let step = 0;
    const inj = new FaultInjector(
      { kind: 'steps', steps: [2, 3, 9] },
      () => step,
      () => {},
    );
    const answers: boolean[] = [];
    for (step = 0; step < 12; step += 2)
      answers.push(inj.hook('page.alloc', 'x'), inj.hook('signal.wait', 'y'));
    // Steps 0, 2, 4, 6, 8, 10 with two evaluations each: the first evaluation of step 2 serves the
    // planned 2, the first of step 4 the planned 3, the first of step 10 the planned 9.
    expect(inj.fired.map((f) => [f.at, f.step])).toEqual([
      [2, 2],
      [4, 4],
      [10, 10],
    ]);
    expect(answers.filter(Boolean)).toHaveLength(3);
  });

  it('buggify: kinds switched on per run, firing only inside the window, a function of the seed', () => {
    expect(buggify(1n, 60).fired.map((f) => f.at)).toEqual([0, 21, 25, 28, 30, 33]);
    expect(buggify(3n, 60).fired.map((f) => f.site)).toEqual([
      'signal.wait',
      'iommu.map',
      'signal.wait',
      'iommu.map',
      'iommu.map',
      'signal.wait',
    ]);
    // Seed 0 switched no kind on: nothing fires however long the run.
    expect(buggify(0n, 60).fired).toEqual([]);
    expect(buggify(1n, 60).fired).toEqual(buggify(1n, 60).fired);
    expect(Math.max(...buggify(2n, 400).fired.map((f) => f.at))).toBeLessThan(40);
  });

  it('fault modes are checked by name', () => {
    expect(faultModeProblem('uniform')).toBeUndefined();
    expect(faultModeProblem('sometimes')).toBe('must be one of off, uniform, buggify, got "sometimes"');
  });
});

describe('targeted steps', () => {
  it('a targeted step waits for its site; an untargeted one takes the next evaluation; armed untargeted steps make one fault', () => {
    let step = 0;
    const inj = new FaultInjector(
      { kind: 'steps', steps: [1, 2, 3, 5], sites: ['iommu.map', null, null, 'signal.wait'] },
      () => step,
      () => {},
    );
    const seen: string[] = [];
    const order: FaultSite[] = [
      'page.alloc',
      'page.alloc',
      'iommu.map',
      'page.alloc',
      'page.alloc',
      'signal.wait',
    ];
    for (step = 0; step < 8; step++) {
      const site = order[step % order.length]!;
      if (inj.hook(site, 'x')) seen.push(`${step}:${site}`);
    }
    // Step 1 arms iommu.map (fires at step 2); steps 2 and 3 arm two untargeted faults: the evaluation
    // at step 3 takes both (one fault); step 5 arms signal.wait, evaluated at step 5.
    expect(seen).toEqual(['2:iommu.map', '3:page.alloc', '5:signal.wait']);
  });

  it('drawTargets: one of the sites or null each, uniformly, from the stream', () => {
    const r = Rng.fromSeed(3n);
    const sites: FaultSite[] = ['page.alloc', 'tt.create'];
    const drawn = drawTargets(r, 3000, sites);
    const count = (x: FaultSite | null) => drawn.filter((d) => d === x).length;
    // 3000 draws over three outcomes: about a third each.
    expect([count('page.alloc'), count('tt.create'), count(null)]).toEqual([1050, 959, 991]);
    expect(drawTargets(Rng.fromSeed(3n), 4, sites)).toEqual(['tt.create', null, 'page.alloc', null]);
    expect(drawTargets(r, 2, [])).toEqual([null, null]);
  });
});
