// Built-in scenarios under injected faults: runs of the unmutated model that take one fault path each
// (found by targeting the fault site, shrunk, and pinned as the evaluation numbers that fired), each
// replayed from its token. A kernel error path an injected fault opens is a legitimate outcome the
// scenario counts (exact counters asserted); a state the kernel itself leaves behind is one the oracles
// accept (checked at the step where it used to be reported).

import { describe, expect, test } from 'vitest';
import { decodeToken } from '../../src/engine/token.ts';
import { checkLruPlacement } from '../../src/explore/oracles/index.ts';
import { type RunResult, runScenario } from '../../src/explore/run.ts';
import type { BufferObject } from '../../src/kernel/bo.ts';
import type { TtmGlobal } from '../../src/kernel/device.ts';
import { lruResources } from '../../src/kernel/resource.ts';
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
    const r = replay(memoryPressure, 'AQAAAAAAAAABANoN4sb8GS-BFo7RgAFi2C0EAQEbPSPm');
    expect(r.outcome).toBe('pass');
    expect(r.faultsFired).toEqual([{ at: 1, site: 'resource.alloc', where: 'bo:0', step: 5 }]);
    expect(r.steps).toBe(442);
    expect(r.stats).toEqual({
      populated: 9,
      directReclaims: 0,
      kswapdReclaims: 2,
      faults: 74,
      refaults: 2,
      signalsArmed: 8,
      pagesChecked: 1152,
      pagesVerified: 1728,
      cpuPagesWritten: 576,
      gpuJobs: 0,
      gpuPagesWritten: 0,
      givenUp: 0,
      faultsFired: 1,
      createFailures: 1,
      faultErrors: 0,
      purgedPages: 384,
      backedUpPages: 320,
      ramUsedPages: 0,
      swapUsedPages: 0,
      boCount: 0,
      lifeWorkers: 5,
      lifeFrozen: 5,
      lifeBosAtSuspend: 5,
      lifeUsageAtSuspend: 0,
      lifeUsageAfterSuspend: 0,
      lifeSuspends: 1,
      lifeEvictAlls: 2,
      lifeHibernations: 0,
      lifeSuspendErrors: 0,
      lifeResumes: 1,
      lifeDrains: 1,
      lifeManagersFini: 2,
      lifeDevicesFini: 1,
      lifeTeardowns: 1,
    });
  });

  test('an injected page.alloc failure in a fault’s populate: VM_FAULT_SIGBUS, as the kernel returns, counted', () => {
    const r = replay(memoryPressure, 'AQAAAAAAAAABANoN4sb8GS-BFo7RgAFi2C0EAaUEpIS-Ig');
    expect(r.outcome).toBe('pass');
    expect(r.faultsFired).toEqual([{ at: 549, site: 'page.alloc', where: 'tt:1', step: 284 }]);
    expect(r.steps).toBe(596);
    // One access of bo:1 got SIGBUS; every other page of every BO was read and checked.
    expect(r.stats).toEqual({
      populated: 10,
      directReclaims: 0,
      kswapdReclaims: 2,
      faults: 85,
      refaults: 4,
      signalsArmed: 9,
      pagesChecked: 1279,
      pagesVerified: 1919,
      cpuPagesWritten: 640,
      gpuJobs: 0,
      gpuPagesWritten: 0,
      givenUp: 0,
      faultsFired: 1,
      createFailures: 0,
      faultErrors: 1,
      purgedPages: 384,
      backedUpPages: 512,
      ramUsedPages: 0,
      swapUsedPages: 0,
      boCount: 0,
      lifeWorkers: 5,
      lifeFrozen: 5,
      lifeBosAtSuspend: 6,
      lifeUsageAtSuspend: 0,
      lifeUsageAfterSuspend: 0,
      lifeSuspends: 1,
      lifeEvictAlls: 2,
      lifeHibernations: 0,
      lifeSuspendErrors: 0,
      lifeResumes: 1,
      lifeDrains: 1,
      lifeManagersFini: 2,
      lifeDevicesFini: 1,
      lifeTeardowns: 1,
    });
  });

  test('failed backup writes leave memory unreclaimable: later faults run out of RAM for real and get SIGBUS', () => {
    // Twenty-eight backup.write faults, on seven tts in each of four shrinker backup passes of reader0's
    // direct reclaim (steps 624 to 630), leave those tts partially backed up (resident pages no shrinker takes again); four later accesses then fail their
    // populate for real (no page.alloc fault fired) and get SIGBUS.
    const r = replay(
      memoryPressure,
      'AQAAAAAAAAACANoN4sb8GS-BFo7RgAFi2C0EHOkKAQEBAQEBAgEBAQEBAQIBAQEBAQECAQEBAQEBneNSgA',
    );
    expect(r.outcome).toBe('pass');
    expect(r.faultsFired.map((f) => f.site)).toEqual(Array(28).fill('backup.write'));
    expect(r.steps).toBe(672);
    expect(r.stats).toEqual({
      populated: 10,
      directReclaims: 0,
      kswapdReclaims: 2,
      faults: 90,
      refaults: 6,
      signalsArmed: 11,
      pagesChecked: 1276,
      pagesVerified: 1916,
      cpuPagesWritten: 640,
      gpuJobs: 0,
      gpuPagesWritten: 0,
      givenUp: 0,
      faultsFired: 28,
      createFailures: 0,
      faultErrors: 4,
      purgedPages: 384,
      backedUpPages: 576,
      ramUsedPages: 0,
      swapUsedPages: 0,
      boCount: 0,
      lifeWorkers: 5,
      lifeFrozen: 5,
      lifeBosAtSuspend: 6,
      lifeUsageAtSuspend: 0,
      lifeUsageAfterSuspend: 0,
      lifeSuspends: 1,
      lifeEvictAlls: 2,
      lifeHibernations: 0,
      lifeSuspendErrors: 0,
      lifeResumes: 1,
      lifeDrains: 1,
      lifeManagersFini: 2,
      lifeDevicesFini: 1,
      lifeTeardowns: 1,
    });
  });

  const LEFT_UNEVICTABLE = 'AQAAAAAAAAACANoN4sb8GS-BFo7RgAFi2C0EAY4GVviu-A';

  test('a purged BO whose fault-time populate fails stays on the unevictable list, as in the kernel; the run passes', () => {
    const r = replay(memoryPressure, LEFT_UNEVICTABLE);
    expect(r.outcome).toBe('pass');
    expect(r.faultsFired).toEqual([{ at: 782, site: 'page.alloc', where: 'tt:6', step: 339 }]);
    expect(r.steps).toBe(665);
    expect(r.stats).toEqual({
      populated: 10,
      directReclaims: 0,
      kswapdReclaims: 2,
      faults: 87,
      refaults: 6,
      signalsArmed: 11,
      pagesChecked: 1279,
      pagesVerified: 1919,
      cpuPagesWritten: 640,
      gpuJobs: 0,
      gpuPagesWritten: 0,
      givenUp: 0,
      faultsFired: 1,
      createFailures: 0,
      faultErrors: 1,
      purgedPages: 256,
      backedUpPages: 640,
      ramUsedPages: 0,
      swapUsedPages: 0,
      boCount: 0,
      lifeWorkers: 5,
      lifeFrozen: 5,
      lifeBosAtSuspend: 6,
      lifeUsageAtSuspend: 0,
      lifeUsageAfterSuspend: 0,
      lifeSuspends: 1,
      lifeEvictAlls: 2,
      lifeHibernations: 0,
      lifeSuspendErrors: 0,
      lifeResumes: 1,
      lifeDrains: 1,
      lifeManagersFini: 2,
      lifeDevicesFini: 1,
      lifeTeardowns: 1,
    });
  });

  test('lru.placement at that step: res:6 left on unevictable after xe cleared the purged tt’s BACKED_UP is accepted, nothing else', () => {
    const worlds: TtmGlobal[] = [];
    // Stop right after step 339, where the failed populate returned (the step lru.placement used to fail).
    const r = replay(memoryPressure, LEFT_UNEVICTABLE, { maxSteps: 340, worlds });
    expect(r.failure?.id).not.toBe('lru.placement');
    const g = worlds[0]!;
    const bo = boById(g, 'bo:6');
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
      actor: 'bo:6',
      message:
        'res:6 is on device:0 unevictable, but bo:6 is unpinned and resident, priority 0: it belongs on device:0/man0 lru0',
    });
  });

  test('fault-free runs gain zero counters only', () => {
    const r = runScenario(memoryPressure, { seed: 1n });
    expect(r.outcome).toBe('pass');
    expect(r.stats).toMatchObject({ faultsFired: 0, createFailures: 0, faultErrors: 0, pagesChecked: 1280 });
  });
});
