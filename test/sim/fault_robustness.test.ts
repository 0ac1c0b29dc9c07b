// Built-in scenarios under injected faults: the failures campaigns found on the unmutated model, each
// replayed from its shrunk token. A kernel error path an injected fault opens is a legitimate outcome the
// scenario counts (exact counters asserted); a state the kernel itself leaves behind is one the oracles
// accept (checked at the step where it used to be reported).

import { describe, expect, test } from 'vitest';
import { decodeToken } from '../../src/engine/token.ts';
import { checkLruPlacement } from '../../src/explore/oracles/index.ts';
import type { BufferObject } from '../../src/kernel/bo.ts';
import type { TtmGlobal } from '../../src/kernel/device.ts';
import { lruResources } from '../../src/kernel/resource.ts';
import { type RunResult, runScenario } from '../../src/sim/run.ts';
import type { Scenario, Workload } from '../../src/sim/scenario.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';

const memoryPressure = findScenario('memory-pressure')!;

/** The run a token names, with its fault-site evaluations planned; `worlds` gets the scenario's worlds. */
function replay(
  scenario: Scenario,
  token: string,
  extra: { maxSteps?: number; worlds?: TtmGlobal[] } = {},
): RunResult {
  const d = decodeToken(token);
  if (!d.ok) throw new Error(d.reason);
  const t = d.token;
  const watched: Scenario = {
    ...scenario,
    build(sim, rng): Workload {
      const w = scenario.build(sim, rng);
      extra.worlds?.push(...w.worlds());
      return w;
    },
  };
  return runScenario(watched, {
    seed: t.seed,
    strategy: t.strategy,
    ...(t.strategyParams === undefined ? {} : { strategyParams: t.strategyParams }),
    ...(t.tape === undefined ? {} : { tape: t.tape }),
    ...(extra.maxSteps === undefined ? {} : { maxSteps: extra.maxSteps }),
    faults: { kind: 'planned', at: t.faults ?? [] },
  });
}

function boById(g: TtmGlobal, id: string): BufferObject {
  const bo = [...g.bos].find((b) => b.id === id);
  if (bo === undefined) throw new Error(`${id} is not live`);
  return bo;
}

describe('memory-pressure under injected faults', () => {
  test('an injected resource.alloc failure at BO creation: init fails -ENOMEM, counted as a create failure', () => {
    const r = replay(memoryPressure, 'AQAAAAAAAAAKASrjINNBVxzfeW65B4wlzYwFDgAAAAAAAAAAAAAAAAAAAQQK2kuA');
    expect(r.outcome).toBe('pass');
    expect(r.faultsFired).toEqual([{ at: 4, site: 'resource.alloc', where: 'bo:2', step: 9 }]);
    expect(r.steps).toBe(458);
    expect(r.stats).toEqual({
      populated: 9,
      directReclaims: 0,
      kswapdReclaims: 1,
      faults: 75,
      refaults: 3,
      signalsArmed: 10,
      pagesChecked: 1152,
      givenUp: 0,
      faultsFired: 1,
      createFailures: 1,
      faultErrors: 0,
      purgedPages: 320,
      backedUpPages: 320,
      ramUsedPages: 0,
      swapUsedPages: 0,
      boCount: 0,
    });
  });

  test('an injected page.alloc failure in a fault’s populate: VM_FAULT_SIGBUS, as the kernel returns, counted', () => {
    const r = replay(
      memoryPressure,
      'AQAAAAAAAAADASrjINNBVxzfeW65B4wlzYwFGQAAAwMDAwICAgIDAwMDAAAAAAAAAQEAAAAB4AZKRSiX',
    );
    expect(r.outcome).toBe('pass');
    expect(r.faultsFired).toEqual([{ at: 864, site: 'page.alloc', where: 'tt:3', step: 520 }]);
    expect(r.steps).toBe(545);
    // One access of bo:3 got SIGBUS; every other page of every BO was read and checked.
    expect(r.stats).toEqual({
      populated: 10,
      directReclaims: 0,
      kswapdReclaims: 1,
      faults: 85,
      refaults: 4,
      signalsArmed: 12,
      pagesChecked: 1279,
      givenUp: 0,
      faultsFired: 1,
      createFailures: 0,
      faultErrors: 1,
      purgedPages: 384,
      backedUpPages: 384,
      ramUsedPages: 0,
      swapUsedPages: 0,
      boCount: 0,
    });
  });

  test('failed backup writes leave memory unreclaimable: later faults run out of RAM for real and get SIGBUS', () => {
    // Eleven backup.write faults leave tts partially backed up (resident pages no shrinker takes again);
    // reader0's fault on purged bo:8 then fails its populate on every page, without a fault of its own
    // after the first; reader1 later populates bo:8 once memory came back.
    const r = replay(
      memoryPressure,
      'AQAAAAAAAAAEASrjINNBVxzfeW65B4wlzYwFDwQBAAAAAAAAAAAAAAAAAAswVQIKCgEDBU0FAhxjgZ4',
    );
    expect(r.outcome).toBe('pass');
    expect(r.faultsFired.map((f) => f.site)).toEqual(Array(11).fill('backup.write'));
    expect(r.steps).toBe(1115);
    expect(r.stats).toEqual({
      populated: 10,
      directReclaims: 0,
      kswapdReclaims: 1,
      faults: 143,
      refaults: 3,
      signalsArmed: 12,
      pagesChecked: 1216,
      givenUp: 0,
      faultsFired: 11,
      createFailures: 0,
      faultErrors: 64,
      purgedPages: 256,
      backedUpPages: 357,
      ramUsedPages: 0,
      swapUsedPages: 0,
      boCount: 0,
    });
  });

  const LEFT_UNEVICTABLE =
    'AQAAAAAAAAATASrjINNBVxzfeW65B4wlzYwFGwAAAgICAgICAgICAgICAgICAgICAgICAgAAAAKQAQEwvHxr';

  test('a purged BO whose fault-time populate fails stays on the unevictable list, as in the kernel; the run passes', () => {
    const r = replay(memoryPressure, LEFT_UNEVICTABLE);
    expect(r.outcome).toBe('pass');
    expect(r.faultsFired).toEqual([
      { at: 144, site: 'backup.write', where: 'tt:1', step: 26 },
      { at: 145, site: 'page.alloc', where: 'tt:8', step: 26 },
    ]);
    expect(r.steps).toBe(676);
    expect(r.stats).toEqual({
      populated: 10,
      directReclaims: 0,
      kswapdReclaims: 1,
      faults: 87,
      refaults: 6,
      signalsArmed: 12,
      pagesChecked: 1279,
      givenUp: 0,
      faultsFired: 2,
      createFailures: 0,
      faultErrors: 1,
      purgedPages: 192,
      backedUpPages: 584,
      ramUsedPages: 0,
      swapUsedPages: 0,
      boCount: 0,
    });
  });

  test('lru.placement at that step: res:8 left on unevictable after xe cleared the purged tt’s BACKED_UP is accepted, nothing else', () => {
    const worlds: TtmGlobal[] = [];
    // Stop right after step 26, where the failed populate returned (the step lru.placement used to fail).
    const r = replay(memoryPressure, LEFT_UNEVICTABLE, { maxSteps: 27, worlds });
    expect(r.failure?.id).not.toBe('lru.placement');
    const g = worlds[0]!;
    const bo = boById(g, 'bo:8');
    const tt = bo.ttm!;
    expect(bo.resv.isLocked()).toBe(false);
    expect(bo.pinCount).toBe(0);
    expect(tt.isSwapped()).toBe(false);
    expect(tt.isPopulated()).toBe(false);
    expect(tt.backedUpCleared).toBe(true);
    expect(lruResources(bo.bdev.unevictable)).toContain(bo.resource);
    expect(checkLruPlacement(g)).toBeNull();
    // Without the driver's clear, the same placement is a breach.
    tt.backedUpCleared = false;
    expect(checkLruPlacement(g)).toEqual({
      oracle: 'lru.placement',
      kind: 'correctness',
      actor: 'bo:8',
      message:
        'res:8 is on device:0 unevictable, but bo:8 is unpinned and resident, priority 0: it belongs on device:0/man0 lru0',
    });
  });

  test('fault-free runs gain zero counters only', () => {
    const r = runScenario(memoryPressure, { seed: 1n });
    expect(r.outcome).toBe('pass');
    expect(r.stats).toMatchObject({ faultsFired: 0, createFailures: 0, faultErrors: 0, pagesChecked: 1280 });
  });
});
