// Tests of the shared-IOMMU design on the scenarios where two devices share one IOVA space: the
// campaign's livelock replays from its token, and how often each design finishes.

import { describe, expect, it } from 'vitest';
import { decode, runDecoded } from '../../src/cli/common.ts';
import { runScenario } from '../../src/explore/run.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';

/** Found by `ttm-sim fuzz --scenario shared-iommu-retry --design shared-iommu --schedules 60 --faults off --max-steps 5000` (schedule 3, pct:3). */
const LIVELOCK_TOKEN = 'AQAAAAAAAAADAmhiZ_WGDnptbGELcS3r_8kIA04BDHNoYXJlZC1pb21tdZa8NvE';
const MAX_STEPS = 5000;

/** Outcomes of seeds 0..29 (random strategy) of shared-iommu-retry under `designs`. */
function tally(designs: string[]): {
  pass: number;
  livelock: number;
  dmaEvictions: number;
  mapFailures: number;
} {
  const sc = findScenario('shared-iommu-retry')!;
  const t = { pass: 0, livelock: 0, dmaEvictions: 0, mapFailures: 0 };
  for (let s = 0; s < 30; s += 1) {
    const r = runScenario(sc, { seed: BigInt(s), designs, maxSteps: MAX_STEPS });
    if (r.outcome === 'pass') t.pass += 1;
    if (r.failure?.id === 'liveness.livelock') t.livelock += 1;
    t.dmaEvictions += r.counters.dmaEvictions;
    t.mapFailures += r.counters.iommuMapFailures;
  }
  return t;
}

describe('shared-iommu design on shared-iommu-retry', () => {
  it('replay of the campaign token: shared-iommu (evict=own) → liveness.livelock of both clients after the resume, 4 DMA evictions, 992 map failures', () => {
    const d = decode(LIVELOCK_TOKEN, 'replay');
    expect(d.scenario.name).toBe('shared-iommu-retry');
    expect(d.designs).toEqual(['shared-iommu']);
    const run = () =>
      runScenario(d.scenario, {
        seed: d.seed,
        strategy: d.strategy.name,
        ...(d.strategy.params === undefined ? {} : { strategyParams: d.strategy.params }),
        designs: d.designs,
        maxSteps: MAX_STEPS,
      });
    const r = run();
    expect(r.token).toBe(LIVELOCK_TOKEN);
    expect(r.failure?.id).toBe('liveness.livelock');
    expect(r.failure?.actor).toBe('task:client0');
    expect(r.failure?.message).toMatch(
      /^livelock: the last 2048 steps repeat a 10-step cycle of task:client0, task:client1: /,
    );
    expect(r.stats).toMatchObject({
      frames: 7,
      retries: 988,
      efault: 988,
      boCount: 8,
      lifeSuspends: 1,
      lifeResumes: 1,
      lifeTeardowns: 0,
    });
    expect(r.counters).toMatchObject({ dmaEvictions: 4, evictions: 7, iommuMapFailures: 992 });
    expect(r.traceSha256).toBe('60a1bfc882bb1fe0de9587ebde6d47c3036ce50afe99509a989d030a1f0bc8cb');
    expect(run().traceSha256).toBe(r.traceSha256);
  });

  it('ttm-sim replay of the token (default step budget): the same livelock verdict', () => {
    const r = runDecoded(decode(LIVELOCK_TOKEN, 'replay'), false);
    expect(r.failure?.id).toBe('liveness.livelock');
    expect(r.designs).toEqual(['shared-iommu']);
  }, 120_000);

  it('seeds 0..29: kernel 30 livelocks; evict=own 7 livelocks, 157 DMA evictions; evict=any 30 pass, 237 DMA evictions', () => {
    expect(tally([])).toEqual({ pass: 0, livelock: 30, dmaEvictions: 0, mapFailures: 24812 });
    expect(tally(['shared-iommu'])).toEqual({ pass: 23, livelock: 7, dmaEvictions: 157, mapFailures: 7115 });
    expect(tally(['shared-iommu:evict=any'])).toEqual({
      pass: 30,
      livelock: 0,
      dmaEvictions: 237,
      mapFailures: 258,
    });
  }, 120_000);
});
