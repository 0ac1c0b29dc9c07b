// The hot-unplug scenario: runs pass over many seeds with the unplug landing between the clients' frames
// (dummy pages mapped after it, and in every client's last frame), the clients' VRAM BOs read back after
// their round trips through invisible VRAM, one seed's numbers are pinned, and a short campaign of the
// portfolio finds nothing. Without drm_dev_unplug's wait for the faults inside drm_dev_enter
// (synchronize_srcu), seeds 16 and 26 of 0..29 end with a BO page still mapped after the unplug.

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
    let verified = 0;
    for (let seed = 0n; seed < 30n; seed += 1n) {
      const r = runScenario(scenario, { seed });
      if (r.outcome !== 'pass') failed.push(`${seed}: ${r.failure?.id} ${r.failure?.message}`);
      expect(r.stats.sigbus).toBe(1);
      expect(r.stats.vramAccessEio).toBe(6);
      expect(r.stats.boCount).toBe(0);
      // Both clients draw their last frame after the unplug: at least the 3 + 3 pages of their two
      // VMAs each map the dummy page, and each was read as zeros. Each client's VRAM BO went to
      // invisible VRAM after each of its 3 frames and back before each of its 4.
      expect(r.stats.lastFrames).toBe(2);
      expect(r.stats.dummyReads).toBeGreaterThanOrEqual(12);
      expect(r.stats.revalidated).toBe(14);
      reads += r.stats.dummyReads ?? 0;
      verified += r.stats.pagesVerified ?? 0;
      afterUnplug += r.stats.framesAfterUnplug ?? 0;
      dummies += r.stats.dummyPtes ?? 0;
    }
    expect(failed).toEqual([]);
    expect(afterUnplug).toBe(85);
    expect(dummies).toBe(534);
    expect(reads).toBe(534);
    expect(verified).toBe(273);
  });

  test('seed 5: two regular frames and both last frames start after the unplug; its numbers', () => {
    const r = runScenario(scenario, { seed: 5n });
    expect(r.outcome).toBe('pass');
    expect(r.stats).toEqual({
      faults: 13,
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
      revalidated: 14,
      pagesVerified: 6,
      cpuPagesWritten: 12,
      gpuJobs: 0,
      gpuPagesWritten: 0,
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
