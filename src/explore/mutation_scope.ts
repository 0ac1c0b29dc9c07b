// Where a mutation can act. A mutation is a flag that one layer of the model reads, and it changes a
// run only in scenarios that run that layer:
// - kernel mutations (src/explore/mutations_swap.ts, mutations_move.ts) are read by the kernel model
//   through TtmGlobal.mutations, which Sim.adopt sets on every TTM world a scenario builds: they act in
//   every scenario that builds one (all built-in scenarios but calibrate and stress-*, and every
//   scenario file);
// - stress mutations (mutations_stress.ts) are read by the stress programs (src/stress/programs.ts),
//   which only the stress scenarios run;
// - calibrator mutations (mutations_calibrators.ts) are read by the calibrate scenario alone
//   (src/sim/scenarios/calibrate.ts), which builds no TTM world.
// Switching a mutation on in a scenario of another layer would run the unmutated model and report a
// pass that proves nothing, so the commands refuse it and name the scenarios where it acts.

import { scenarioHash } from '../engine/token.ts';
import type { Scenario } from '../sim/scenario.ts';
import { calibrate } from '../sim/scenarios/calibrate.ts';
import { SCENARIOS } from '../sim/scenarios/index.ts';
import { stressScenarios, stressVariants } from '../sim/scenarios/stress.ts';
import { findMutation } from './mutations.ts';
import { CALIBRATOR_MUTATIONS } from './mutations_calibrators.ts';
import { STRESS_MUTATIONS } from './mutations_stress.ts';

export type ModelLayer = 'kernel' | 'stress' | 'calibrate';

/** The layer that reads mutation `name` (a catalogue name, without `=VALUE`). */
export function mutationLayer(name: string): ModelLayer {
  if (CALIBRATOR_MUTATIONS.some((m) => m.name === name)) return 'calibrate';
  if (STRESS_MUTATIONS.some((m) => m.name === name)) return 'stress';
  return 'kernel';
}

let stressHashes: Set<string> | undefined;
let calibrateHash: string | undefined;

/** The layer a scenario runs: the stress programs, the calibrator shapes, or a TTM world. */
export function scenarioLayer(s: Scenario): ModelLayer {
  stressHashes ??= new Set([...stressScenarios(), ...stressVariants()].map((x) => scenarioHash(x.config)));
  calibrateHash ??= scenarioHash(calibrate().config);
  const h = scenarioHash(s.config);
  if (stressHashes.has(h)) return 'stress';
  if (h === calibrateHash) return 'calibrate';
  return 'kernel';
}

/** The built-in scenarios a layer's mutations act in, by name. */
export function scenariosOfLayer(layer: ModelLayer): string[] {
  return SCENARIOS.filter((s) => scenarioLayer(s) === layer).map((s) => s.name);
}

/**
 * Null when every mutation of `specs` (canonical `NAME` or `NAME=VALUE`) can act in one of `scenarios`
 * at least (a suite runs each in the scenarios where it acts and the others unmutated); otherwise a
 * one-line reason naming the first that cannot and the scenarios where it acts.
 */
export function mutationsOutOfScope(specs: readonly string[], scenarios: readonly Scenario[]): string | null {
  const here = new Set(scenarios.map(scenarioLayer));
  const named =
    scenarios.length === 1 ? scenarios[0]!.name : `any of ${scenarios.map((s) => s.name).join(', ')}`;
  for (const spec of specs) {
    const name = spec.split('=')[0]!;
    const layer = mutationLayer(name);
    if (here.has(layer)) continue;
    const others = SCENARIOS.filter((s) => scenarioLayer(s) !== 'kernel').map((s) => s.name);
    const where =
      layer === 'kernel'
        ? `every scenario that builds a TTM world (all built-in ones but ${others.join(', ')}; any scenario file)`
        : scenariosOfLayer(layer).join(', ');
    const reader = {
      kernel: 'the kernel model',
      stress: 'the stress programs',
      calibrate: 'the calibrate scenario',
    }[layer];
    const found = findMutation(name)?.scenario;
    return `mutation '${name}' cannot act in ${named}: it is read by ${reader}, which ${scenarios.length === 1 ? 'that scenario does' : 'they do'} not run; it acts in ${where}${found === undefined ? '' : ` (its bug shows in ${found})`}`;
  }
  return null;
}
