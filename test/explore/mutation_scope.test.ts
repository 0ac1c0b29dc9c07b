// Where each mutation can act (src/explore/mutation_scope.ts): the layer that reads it, and the scenarios
// that run that layer. Every catalogue mutation acts in the scenario its entry says exposes it, a
// mutation is refused in a scenario of another layer with the scenarios where it acts, and a suite
// takes a mutation that acts in one of its scenarios at least.

import { describe, expect, test } from 'vitest';
import {
  mutationLayer,
  mutationsOutOfScope,
  scenarioLayer,
  scenariosOfLayer,
} from '../../src/explore/mutation_scope.ts';
import { MUTATIONS } from '../../src/explore/mutations.ts';
import { findScenario, SCENARIOS } from '../../src/sim/scenarios/index.ts';
import { stressVariants } from '../../src/sim/scenarios/stress.ts';

const byName = (n: string) => findScenario(n)!;

describe('mutation scope', () => {
  test('the layers of the built-in scenarios', () => {
    expect(scenariosOfLayer('stress')).toEqual(['stress-pte', 'stress-bind', 'stress-signal']);
    expect(scenariosOfLayer('calibrate')).toEqual(['calibrate']);
    expect(scenariosOfLayer('kernel')).toHaveLength(SCENARIOS.length - 4);
    // Every thread count `ttm-sim stress --threads` can run is a stress scenario too.
    expect(new Set(stressVariants().map(scenarioLayer))).toEqual(new Set(['stress']));
  });

  test('the layers of the catalogue: 4 stress, 2 calibrator, the rest kernel', () => {
    const count = (l: string) => MUTATIONS.filter((m) => mutationLayer(m.name) === l).length;
    expect([count('stress'), count('calibrate'), count('kernel')]).toEqual([4, 2, MUTATIONS.length - 6]);
  });

  test.each(MUTATIONS.map((m) => [m.name, m.scenario] as const))(
    '%s acts in %s, the scenario its entry says exposes it',
    (name, scenario) => {
      expect(mutationsOutOfScope([name], [byName(scenario)])).toBeNull();
    },
  );

  test('refused in a scenario of another layer, naming where it acts', () => {
    expect(mutationsOutOfScope(['calibrator-starvation=9'], [byName('memory-pressure')])).toBe(
      "mutation 'calibrator-starvation' cannot act in memory-pressure: it is read by the calibrate scenario, which that scenario does not run; it acts in calibrate (its bug shows in calibrate)",
    );
    expect(mutationsOutOfScope(['stress-ww-no-backoff'], [byName('abba-ww')])).toBe(
      "mutation 'stress-ww-no-backoff' cannot act in abba-ww: it is read by the stress programs, which that scenario does not run; it acts in stress-pte, stress-bind, stress-signal (its bug shows in stress-bind)",
    );
    expect(mutationsOutOfScope(['swapout-busy-zombie-progress'], [byName('stress-signal')])).toBe(
      "mutation 'swapout-busy-zombie-progress' cannot act in stress-signal: it is read by the kernel model, which that scenario does not run; it acts in every scenario that builds a TTM world (all built-in ones but calibrate, stress-pte, stress-bind, stress-signal; any scenario file) (its bug shows in swap-race)",
    );
  });

  test('a suite takes a mutation that acts in one of its scenarios, and refuses one that acts in none', () => {
    const suite = ['small', 'calibrate', 'stress-pte'].map(byName);
    expect(
      mutationsOutOfScope(
        ['swapout-busy-zombie-progress', 'calibrator-lost-update', 'stress-ww-no-backoff'],
        suite,
      ),
    ).toBeNull();
    expect(mutationsOutOfScope(['calibrator-lost-update'], ['small', 'stress-pte'].map(byName))).toMatch(
      /^mutation 'calibrator-lost-update' cannot act in any of small, stress-pte: .* they do not run; it acts in calibrate/,
    );
  });
});
