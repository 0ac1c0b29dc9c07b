// Tests of two workload checks: trace.resv-state (src/sim/end_checks.ts: the statechart of every BO's
// reservation agrees with the object at the end) and correctness.dma-iommu (shared-iommu: a device's DMA
// addresses come from the IOMMU it is behind).

import { describe, expect, test } from 'vitest';
import { runScenario } from '../../src/explore/run.ts';
import { Iommu } from '../../src/kernel/iommu.ts';
import { traceAgreesChecks } from '../../src/sim/end_checks.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';
import { dmaNotThrough } from '../../src/sim/scenarios/shared_iommu.ts';
import { newTt, populate, world } from '../kernel/page_fixtures.ts';
import { kunitBo, PAGE_SIZE } from '../kunit/fixtures.ts';

describe('trace.resv-state', () => {
  test('an unlocked resv whose chart is unlocked, or that no chart follows, holds; one left locked in its chart breaks it', () => {
    const t = world();
    const a = kunitBo(t, PAGE_SIZE);
    const b = kunitBo(t, PAGE_SIZE);
    const states = new Map<string, string>([[a.resv.id, 'unlocked']]);
    expect(traceAgreesChecks((id) => states.get(id), [a, b])).toEqual([]);
    // A resv locked now is not judged, whatever its chart says.
    expect(b.resv.trylock('task:x')).toBe(true);
    states.set(b.resv.id, 'unlocked');
    expect(traceAgreesChecks((id) => states.get(id), [a, b])).toEqual([]);
    b.resv.unlock();
    states.set(b.resv.id, 'locked.uncontended');
    expect(traceAgreesChecks((id) => states.get(id), [a, b])).toEqual([
      {
        id: 'trace.resv-state',
        actor: b.resv.id,
        message: 'unlocked, but its statechart is in locked.uncontended: an unlock was not traced',
      },
    ]);
  });

  test('a BO the trace follows whose reservation no chart saw breaks it', () => {
    const t = world();
    const a = kunitBo(t, PAGE_SIZE);
    const states = new Map<string, string>([[a.id, 'idle']]);
    expect(traceAgreesChecks((id) => states.get(id), [a])).toEqual([
      {
        id: 'trace.resv-state',
        actor: a.resv.id,
        message: `the reservation of ${a.id} was locked at init, but no statechart saw it`,
      },
    ]);
  });

  test('small seed 0: every reservation ends unlocked in its chart too', () => {
    const r = runScenario(findScenario('small')!, { seed: 0n });
    expect(r.outcome).toBe('pass');
  });
});

describe('correctness.dma-iommu', () => {
  test('a tt mapped through the IOMMU holds; the same pages with bus addresses of no IOMMU break it', () => {
    const t = world();
    const iommu = new Iommu('iommu:shared', 16);
    t.bdev.iommu = iommu;
    const { bo, tt } = newTt(t, 2, 'cached', 0, true);
    expect(populate(t, tt)).toBe(0);
    bo.ttm = tt;
    expect(dmaNotThrough(bo, iommu)).toBeNull();

    const u = world();
    const { bo: bo2, tt: tt2 } = newTt(u, 2, 'cached', 0, true);
    expect(populate(u, tt2)).toBe(0);
    bo2.ttm = tt2;
    const frame = tt2.pages![0] as number;
    expect(dmaNotThrough(bo2, new Iommu('iommu:shared', 16))).toBe(
      `${bo2.id} page 0 (frame ${frame}) has DMA address ${tt2.dmaAddress![0]}, which iommu:shared does not map`,
    );
  });
});
