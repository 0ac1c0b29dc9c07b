// The dmem-cgroups scenarios (src/sim/scenarios/dmem.ts) and the `dmem` design: exact statistics of
// seeded runs, cgroups only where configured, the design's applicability, and its compare rows.

import { describe, expect, test } from 'vitest';
import { compareDesigns } from '../../src/cli/compare.ts';
import { notApplicable, parseDesign } from '../../src/designs/index.ts';
import { runScenario } from '../../src/explore/run.ts';
import { scenarioFromText } from '../../src/sim/scenario_file/load.ts';
import { dmemLow } from '../../src/sim/scenarios/dmem_low.ts';
import { findScenario, suiteScenarios } from '../../src/sim/scenarios/index.ts';

const KEYS = [
  'submits',
  'submitFailures',
  'fgFramesInVram',
  'bgFramesInVram',
  'fgInTt',
  'bgInTt',
  'fgPeakBytes',
  'bgPeakBytes',
  'bgLimitHits',
  'evictions',
] as const;

function stats(name: string, designs: string[], seed = 1n): Record<string, number> {
  const r = runScenario(findScenario(name)!, { seed, strategy: 'random', designs });
  expect(r.outcome).toBe('pass');
  return Object.fromEntries(KEYS.map((k) => [k, r.stats[k]!]));
}

describe('dmem-cgroups', () => {
  test('seed 1: the background jobs hit their shared dmem.max and land in TT, the foreground keeps its frames in VRAM', () => {
    expect(stats('dmem-cgroups', [])).toEqual({
      submits: 11,
      submitFailures: 1,
      fgFramesInVram: 4,
      bgFramesInVram: 1,
      fgInTt: 0,
      bgInTt: 6,
      fgPeakBytes: 126976,
      bgPeakBytes: 131072,
      bgLimitHits: 16,
      evictions: 22,
    });
  });

  test('dmem-low seed 1: q0 and q1 hit g’s max and evict p0’s BOs below their dmem.low down to its min; p0 keeps 2 frames in VRAM', () => {
    const r = runScenario(dmemLow(), { seed: 1n, strategy: 'random' });
    expect(r.outcome).toBe('pass');
    expect(Object.fromEntries(KEYS.map((k) => [k, r.stats[k]!]))).toEqual({
      submits: 8,
      submitFailures: 4,
      fgFramesInVram: 2,
      bgFramesInVram: 0,
      fgInTt: 0,
      bgInTt: 8,
      fgPeakBytes: 110592,
      bgPeakBytes: 131072,
      bgLimitHits: 38,
      evictions: 23,
    });
    expect(r.stats.lifeTeardowns).toBe(1);
  });

  test('dmem-cgroups is in the default suite; dmem-compare too (without the design it is today’s kernel)', () => {
    const names = suiteScenarios().map((s) => s.name);
    expect(names).toContain('dmem-cgroups');
    expect(names).toContain('dmem-compare');
  });

  test('dmem-compare seed 1: no cgroups without the design, the max and protections with it', () => {
    expect(stats('dmem-compare', [])).toEqual({
      submits: 12,
      submitFailures: 0,
      fgFramesInVram: 4,
      bgFramesInVram: 6,
      fgInTt: 0,
      bgInTt: 2,
      fgPeakBytes: 0,
      bgPeakBytes: 0,
      bgLimitHits: 0,
      evictions: 20,
    });
    expect(stats('dmem-compare', ['dmem'])).toEqual({
      submits: 11,
      submitFailures: 1,
      fgFramesInVram: 4,
      bgFramesInVram: 3,
      fgInTt: 0,
      bgInTt: 4,
      fgPeakBytes: 118784,
      bgPeakBytes: 126976,
      bgLimitHits: 17,
      evictions: 21,
    });
  });
});

describe('design dmem', () => {
  test('parseDesign: protect=low is the default spelling, protect=none is kept, other values refused', () => {
    expect(parseDesign('dmem:protect=low')).toEqual({ ok: true, name: 'dmem', value: 'low', spec: 'dmem' });
    expect(parseDesign('dmem:protect=none')).toEqual({
      ok: true,
      name: 'dmem',
      value: 'none',
      spec: 'dmem:protect=none',
    });
    expect(parseDesign('dmem:protect=min').ok).toBe(false);
  });

  test('notApplicable: only scenarios built for it (cgroups: design)', () => {
    expect(notApplicable('dmem', findScenario('dmem-compare')!)).toBeNull();
    expect(notApplicable('dmem', findScenario('vram-pressure')!)).toBe(
      "design 'dmem' does not apply to scenario 'vram-pressure': it sets the cgroups of a workload built for it (try --scenario dmem-compare)",
    );
  });

  test('compareDesigns on dmem-compare, 2 schedules: every design passes', () => {
    const rows = compareDesigns({
      scenario: findScenario('dmem-compare')!,
      entries: [
        { design: 'kernel', specs: [] },
        { design: 'dmem:protect=none', specs: ['dmem:protect=none'] },
        { design: 'dmem', specs: ['dmem'] },
      ],
      schedules: 2,
      baseSeed: 0n,
      strategy: { strategy: 'random' },
    });
    expect(rows.map((r) => [r.design, r.outcomes.pass, r.first])).toEqual([
      ['kernel', 2, null],
      ['dmem:protect=none', 2, null],
      ['dmem', 2, null],
    ]);
  });
});

describe('scenario files of dmem-cgroups', () => {
  test('no field changed: the built-in dmem-cgroups itself (same config, same name)', () => {
    const r = scenarioFromText('a.json', '{"scenario": "dmem-cgroups"}');
    expect(r.ok && r.scenario.name).toBe('dmem-cgroups');
  });

  test('limits and sizes changed: a run that passes under the checks', () => {
    const r = scenarioFromText(
      'b.json',
      '{"scenario": "dmem-cgroups", "vramKiB": 192, "bgMaxKiB": 64, "fgLowKiB": 96, "fgMinKiB": 0, "frames": 2}',
    );
    if (!r.ok) throw new Error(r.reason);
    expect(r.scenario.config).toMatchObject({
      vramKiB: 192,
      bgMaxKiB: 64,
      fgLowKiB: 96,
      fgMinKiB: 0,
      frames: 2,
    });
    expect(runScenario(r.scenario, { seed: 1n, strategy: 'random' }).outcome).toBe('pass');
  });

  test('a BO larger than both managers, a dmem.max not in KiB multiples of 4 → one line each', () => {
    const big = scenarioFromText('c.json', '{"scenario": "dmem-cgroups", "maxBoKiB": 2048}');
    expect(big).toEqual({
      ok: false,
      reason:
        'c.json:1:42: maxBoKiB: a BO of 2048 KiB is larger than every manager it may be placed in (VRAM 256 KiB, TT 1024 KiB); make it at most 1024, or give VRAM or TT more room',
    });
    const odd = scenarioFromText('d.json', '{"scenario": "dmem-cgroups", "bgMaxKiB": 6}');
    expect(odd.ok).toBe(false);
  });
});
