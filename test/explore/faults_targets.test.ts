// How a campaign spreads its faults: the fault mode of each schedule under 'mixed' (every round of six
// has faulted schedules), uniform targets that go first to the sites the campaign has not fired, each
// armed no later than its site's last calibrated evaluation, and the injector's record of that step.

import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine/prng.ts';
import { faultModeOf } from '../../src/explore/campaign.ts';
import {
  drawCampaignTargets,
  drawTargetedUniform,
  FaultInjector,
  type SiteCounts,
} from '../../src/explore/faults.ts';
import { fuzz, prepareCampaign } from '../../src/explore/fuzz.ts';
import { FAULT_SITES, type FaultSite } from '../../src/kernel/faults.ts';
import { lastStepsOf, sitesCounted } from '../../src/sim/fault_plan.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';

const SITES: FaultSite[] = ['page.alloc', 'iommu.map', 'tt.create', 'ghost.alloc', 'driver.move.copy'];

describe("'mixed' fault modes", () => {
  it('the first six schedules of a portfolio campaign: off, uniform, off, buggify, off, uniform', () => {
    const modes = [0, 1, 2, 3, 4, 5].map((i) => faultModeOf('mixed', i, 6));
    expect(modes).toEqual(['off', 'uniform', 'off', 'buggify', 'off', 'uniform']);
    expect([6, 7, 8, 9, 10, 11].map((i) => faultModeOf('mixed', i, 6))).toEqual([
      'uniform',
      'off',
      'buggify',
      'off',
      'uniform',
      'off',
    ]);
  });

  it('over four rounds every arm runs once in each mode, half of all schedules without faults', () => {
    for (const arms of [1, 2, 3, 6, 7]) {
      for (let a = 0; a < arms; a++) {
        const modes = [0, 1, 2, 3].map((r) => faultModeOf('mixed', a + r * arms, arms)).sort();
        expect(modes).toEqual(['buggify', 'off', 'off', 'uniform']);
      }
    }
  });

  it('a single mode is every schedule’s', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((i) => faultModeOf('uniform', i, 6))).toEqual(Array(7).fill('uniform'));
    expect(faultModeOf('off', 3, 6)).toBe('off');
    expect(faultModeOf('buggify', 1, 6)).toBe('buggify');
  });
});

describe('drawCampaignTargets', () => {
  it('distinct sites the campaign has not fired, while there are any', () => {
    const fired: SiteCounts = { 'page.alloc': 4, 'iommu.map': 1 };
    const r = Rng.fromSeed(5n);
    for (let k = 0; k < 50; k++) {
      const t = drawCampaignTargets(r, 3, SITES, fired);
      expect([...t].sort()).toEqual(['driver.move.copy', 'ghost.alloc', 'tt.create']);
    }
    expect(drawCampaignTargets(Rng.fromSeed(5n), 2, SITES, fired)).toEqual([
      'ghost.alloc',
      'driver.move.copy',
    ]);
  });

  it('faults beyond the sites left, and all faults once every site fired, drawn by drawTargets', () => {
    const t = drawCampaignTargets(Rng.fromSeed(5n), 3, SITES, {
      'page.alloc': 1,
      'iommu.map': 1,
      'tt.create': 1,
      'ghost.alloc': 1,
    });
    // The one site left first; the other two drawn by drawTargets, which may repeat a site.
    expect(t).toEqual(['driver.move.copy', 'iommu.map', 'iommu.map']);
    const all = Object.fromEntries(SITES.map((s) => [s, 2]));
    expect(drawCampaignTargets(Rng.fromSeed(9n), 3, SITES, all)).toEqual([
      'driver.move.copy',
      'iommu.map',
      'tt.create',
    ]);
  });
});

describe('drawTargetedUniform', () => {
  const last: Partial<Record<FaultSite, number>> = { 'ghost.alloc': 40, 'tt.create': 5, 'page.alloc': 300 };

  it('one fault per site left while sites are left, each armed in the window and no later than its site’s last step', () => {
    const r = Rng.fromSeed(11n);
    for (let k = 0; k < 200; k++) {
      const p = drawTargetedUniform(r, 200, SITES, {}, last);
      expect(p.steps).toHaveLength(SITES.length);
      expect([...p.sites].sort()).toEqual([...SITES].sort());
      expect(p.steps).toEqual([...p.steps].sort((a, b) => a - b));
      p.sites.forEach((site, i) => {
        const step = p.steps[i]!;
        expect(step).toBeGreaterThanOrEqual(0);
        expect(step).toBeLessThan(Math.min(200, site === null ? 200 : (last[site] ?? 199) + 1));
      });
    }
    expect(drawTargetedUniform(Rng.fromSeed(11n), 200, SITES, {}, last)).toEqual({
      steps: [4, 6, 55, 150, 156],
      sites: ['tt.create', 'ghost.alloc', 'page.alloc', 'iommu.map', 'driver.move.copy'],
    });
    // Two sites fired already: one fault for each of the three left, or more when more are drawn.
    const fired = { 'page.alloc': 1, 'tt.create': 2 };
    for (let k = 0; k < 100; k++) {
      const p = drawTargetedUniform(r, 200, SITES, fired, last);
      expect(p.steps.length).toBeGreaterThanOrEqual(3);
      for (const site of ['iommu.map', 'ghost.alloc', 'driver.move.copy'] as const)
        expect(p.sites).toContain(site);
    }
  });

  it('once every site fired: 1 to 3 faults as drawUniform draws them; nothing in an empty window', () => {
    const all = Object.fromEntries(SITES.map((s) => [s, 1]));
    const r = Rng.fromSeed(2n);
    const counts = [0, 0, 0, 0];
    for (let k = 0; k < 300; k++) counts[drawTargetedUniform(r, 100, SITES, all, last).steps.length]! += 1;
    expect(counts).toEqual([0, 98, 102, 100]);
    expect(drawTargetedUniform(Rng.fromSeed(2n), 0, SITES, {}, last)).toEqual({ steps: [], sites: [] });
  });
});

describe('the injector records each site’s last step', () => {
  it('lastStepBySite and lastStepsOf', () => {
    let step = 0;
    const inj = new FaultInjector(
      { kind: 'planned', at: [] },
      () => step,
      () => {},
    );
    for (const [s, site] of [
      [3, 'tt.create'],
      [7, 'page.alloc'],
      [9, 'tt.create'],
    ] as const) {
      step = s;
      inj.hook(site, 'x');
    }
    expect(lastStepsOf(inj.lastStepBySite)).toEqual({ 'page.alloc': 7, 'tt.create': 9 });
    // The sites the run evaluated (what its result reports and a campaign aims at), in FAULT_SITES order.
    expect(sitesCounted(inj.evaluationsBySite)).toEqual(['page.alloc', 'tt.create']);
    expect(sitesCounted(new Uint32Array(FAULT_SITES.length))).toEqual([]);
    expect(sitesCounted(new Uint32Array(FAULT_SITES.length).fill(1))).toEqual([...FAULT_SITES]);
  });
});

describe('a campaign of six schedules fires different sites', () => {
  it('swap-race, 6 schedules, seed 1: the calibrated sites and their last steps; the sites fired', async () => {
    const opts = {
      scenario: findScenario('swap-race')!,
      baseSeed: 1n,
      schedules: 6,
      shrink: false,
    } as const;
    const p = prepareCampaign(opts, undefined);
    if (!p.ok) throw new Error(p.reason);
    const s = (await fuzz(opts, p)).state;
    expect(s.calibration.siteSteps).toEqual({
      'page.alloc': 109,
      'resource.alloc': 108,
      'iommu.map': 109,
      'signal.wait': 103,
      'fence.timeout': 103,
      'driver.move.wait': 59,
      'tt.create': 60,
      'resv.reserve': 109,
      'shmem.create': 105,
      'swapout.write': 105,
      'swapin.read': 109,
    });
    // Three of the six schedules were faulted (uniform, buggify, uniform) and two of them fired faults:
    // the first uniform one aims at all 11 sites at once, and 7 of the 11 fired.
    expect(s.faultRuns).toBe(2);
    expect(s.faultSitesFired).toEqual({
      'page.alloc': 1,
      'iommu.map': 1,
      'tt.create': 1,
      'resv.reserve': 1,
      'shmem.create': 2,
      'swapout.write': 2,
      'swapin.read': 1,
    });
  });
});
