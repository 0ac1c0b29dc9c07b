// Built-in scenarios under injected faults: the failures campaigns found on the unmutated model, each
// replayed from its shrunk token. A kernel error path an injected fault opens is a legitimate outcome the
// scenario counts (exact counters asserted); a state the kernel itself leaves behind is one the oracles
// accept (checked at the step where it used to be reported).

import { describe, expect, test } from 'vitest';
import { decodeToken } from '../../src/engine/token.ts';
import type { TtmGlobal } from '../../src/kernel/device.ts';
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

  test('fault-free runs gain zero counters only', () => {
    const r = runScenario(memoryPressure, { seed: 1n });
    expect(r.outcome).toBe('pass');
    expect(r.stats).toMatchObject({ faultsFired: 0, createFailures: 0, faultErrors: 0, pagesChecked: 1280 });
  });
});
