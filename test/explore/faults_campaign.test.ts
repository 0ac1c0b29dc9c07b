// The fault sites a campaign fired and never fired: counted per schedule, merged commutatively across
// slices (each site's counts summed, keys in FAULT_SITES order), named in the human report and --json.

import { describe, expect, it } from 'vitest';
import { faultSitesJson, faultSitesLine } from '../../src/cli/campaign_report.ts';
import type { CampaignState } from '../../src/explore/campaign.ts';
import { canonicalSiteCounts, countSites, sitesNeverFired } from '../../src/explore/faults.ts';
import { fuzz, prepareCampaign } from '../../src/explore/fuzz.ts';
import { mergeStates } from '../../src/explore/shard.ts';
import { FAULT_SITES } from '../../src/kernel/faults.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';

const memoryPressure = findScenario('memory-pressure')!;

async function campaign(shard?: { index: number; count: number }): Promise<CampaignState> {
  const opts = {
    scenario: memoryPressure,
    baseSeed: 0n,
    schedules: 12,
    faults: 'uniform',
    shrink: false,
    ...(shard === undefined ? {} : { shard }),
  } as const;
  const p = prepareCampaign(opts, undefined);
  if (!p.ok) throw new Error(p.reason);
  return (await fuzz(opts, p)).state;
}

describe('fault-site counts', () => {
  it('countSites: a site counts once per schedule, however often it was evaluated', () => {
    const c = {};
    countSites(c, ['page.alloc', 'page.alloc', 'iommu.map']);
    countSites(c, ['page.alloc']);
    expect(c).toEqual({ 'page.alloc': 2, 'iommu.map': 1 });
  });

  it('canonicalSiteCounts: keys in FAULT_SITES order whatever order they were added in', () => {
    const c = canonicalSiteCounts({ 'vm.insert_pfn': 1, zzz: 2, 'page.alloc': 3, aaa: 4 });
    expect(Object.keys(c)).toEqual(['page.alloc', 'vm.insert_pfn', 'aaa', 'zzz']);
  });

  it('sitesNeverFired: those evaluated but never drawn, and those never evaluated, in FAULT_SITES order', () => {
    const never = sitesNeverFired({ 'tt.create': 3, 'page.alloc': 5, 'iommu.map': 1 }, { 'page.alloc': 2 });
    expect(never.evaluated).toEqual(['iommu.map', 'tt.create']);
    expect(never.unreached).toEqual(
      FAULT_SITES.filter((s) => !['page.alloc', 'iommu.map', 'tt.create'].includes(s)),
    );
  });
});

describe('a campaign names the fault sites that never fired', () => {
  it('memory-pressure, 12 uniform schedules: counts, the report line and the JSON member', async () => {
    const s = await campaign();
    // The scenario has no IOMMU, no VRAM, no unplug: ten sites. Every schedule reaches six of them;
    // the four backup and restore sites are reached in 11 of the 12.
    expect(canonicalSiteCounts(s.faultSitesEvaluated)).toEqual({
      'page.alloc': 12,
      'resource.alloc': 12,
      'backup.write': 11,
      'restore.interrupt': 11,
      'tt.create': 12,
      'resv.reserve': 12,
      'shmem.create': 12,
      'restore.alloc': 11,
      'backup.read': 11,
      'vm.insert_pfn': 12,
    });
    // Uniform schedules aim at every site not fired yet: all ten fired.
    expect(Object.keys(s.faultSitesFired).length).toBe(10);
    // A site fires only where it is evaluated, at most once per schedule in which it was.
    for (const [site, n] of Object.entries(s.faultSitesFired))
      expect(n).toBeLessThanOrEqual(s.faultSitesEvaluated[site] ?? 0);
    const json = faultSitesJson(s) as { neverFired: string[]; neverEvaluated: string[]; fired: object };
    const fired = Object.keys(json.fired);
    expect([...fired, ...json.neverFired].sort()).toEqual([...FAULT_SITES].sort());
    expect(json.neverEvaluated).toContain('vm.dummy_page');
    const line = faultSitesLine(s);
    expect(line).toContain(`  fault sites ${fired.length} of ${FAULT_SITES.length} fired`);
    expect(line).toContain(`never evaluated: ${json.neverEvaluated.join(', ')}`);
  });

  it('slices merged in either order give the same counts, key order and report line as each other', async () => {
    const a = await campaign({ index: 0, count: 2 });
    const b = await campaign({ index: 1, count: 2 });
    const ab = mergeStates(a.calibration, [a, b]);
    const ba = mergeStates(a.calibration, [b, a]);
    expect(JSON.stringify(faultSitesJson(ab))).toBe(JSON.stringify(faultSitesJson(ba)));
    expect(faultSitesLine(ab)).toBe(faultSitesLine(ba));
    for (const site of FAULT_SITES) {
      expect(ab.faultSitesEvaluated[site] ?? 0).toBe(
        (a.faultSitesEvaluated[site] ?? 0) + (b.faultSitesEvaluated[site] ?? 0),
      );
      expect(ab.faultSitesFired[site] ?? 0).toBe(
        (a.faultSitesFired[site] ?? 0) + (b.faultSitesFired[site] ?? 0),
      );
    }
    expect(ab.faultSitesEvaluated['page.alloc']).toBe(12);
  });
});
