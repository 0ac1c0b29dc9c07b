// The hot-unplug scenario: runs pass over many seeds with the unplug landing before, during and after the
// clients' frames (dummy pages mapped after it), one seed's numbers are pinned, and a short campaign of
// the portfolio finds nothing. Without drm_dev_unplug's wait for the faults inside drm_dev_enter
// (synchronize_srcu), seeds 3, 7 and 26 end with a BO page (system or iomem) still mapped after the
// unplug, and the campaign finds it too.

import { describe, expect, test } from 'vitest';
import { fuzz, prepareCampaign } from '../../src/explore/fuzz.ts';
import { runScenario } from '../../src/explore/run.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';

const scenario = findScenario('hot-unplug')!;

describe('hot-unplug scenario', () => {
  test('seeds 0..29 pass; some unplug mid-run, faults after it map the dummy page, which reads zeros', () => {
    const failed: string[] = [];
    let afterUnplug = 0;
    let dummies = 0;
    let reads = 0;
    for (let seed = 0n; seed < 30n; seed += 1n) {
      const r = runScenario(scenario, { seed });
      if (r.outcome !== 'pass') failed.push(`${seed}: ${r.failure?.id} ${r.failure?.message}`);
      expect(r.stats.sigbus).toBe(1);
      expect(r.stats.vramAccessEio).toBe(6);
      expect(r.stats.boCount).toBe(0);
      // Both clients draw their last frame after the unplug: at least the 3 + 3 pages of their two
      // VMAs each map the dummy page, and each was read as zeros.
      expect(r.stats.lastFrames).toBe(2);
      expect(r.stats.dummyReads).toBeGreaterThanOrEqual(12);
      reads += r.stats.dummyReads ?? 0;
      afterUnplug += r.stats.framesAfterUnplug ?? 0;
      dummies += r.stats.dummyPtes ?? 0;
    }
    expect(failed).toEqual([]);
    expect(afterUnplug).toBe(88);
    expect(dummies).toBe(582);
    expect(reads).toBe(546);
  });

  test('seed 5: unplugged during the second frame of a client; its numbers', () => {
    const r = runScenario(scenario, { seed: 5n });
    expect(r.outcome).toBe('pass');
    expect(r.stats).toEqual({
      faults: 8,
      pagesMapped: 48,
      dummyPtes: 24,
      sigbus: 1,
      accesses: 6,
      accessErrors: 0,
      vramAccessEio: 6,
      createFailures: 0,
      framesAfterUnplug: 4,
      lastFrames: 2,
      dummyReads: 24,
      boCount: 0,
    });
  });

  test('a 60-schedule campaign (portfolio, mixed faults) finds no failure', async () => {
    const opts = {
      scenario,
      baseSeed: 0n,
      schedules: 60,
      mutations: [],
      faults: 'mixed',
      shrink: false,
    } as const;
    const prepared = prepareCampaign(opts, undefined);
    if (!prepared.ok) throw new Error(prepared.reason);
    const r = await fuzz(opts, prepared);
    expect(r.state.next).toBe(60);
    expect(r.state.failures.map((f) => `${f.id}: ${f.message}`)).toEqual([]);
  }, 60_000);
});
