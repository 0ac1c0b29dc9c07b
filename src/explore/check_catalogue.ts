// The catalogue of every check the simulator makes (README "Checks", `ttm-sim oracles`): the kernel's own
// rules checked inside kernel code (WARN_ON, BUG_ON, lock assertions, kerneldoc Returns:, postconditions;
// src/kernel/rules.ts), the per-step oracles (src/explore/oracles/), the end-of-run checks
// (src/sim/end_checks.ts) and the data checks every read makes (src/sim/data_checks.ts). Each entry names
// the upstream text it states. `countEvaluations` runs the default suite's scenarios and says how often
// each check was evaluated: kernel rules by their own counters, per-step oracles once per step and world,
// end-of-run and data checks once per run.

import { resetRuleCounts } from '../kernel/rules/check.ts';
import type { CheckInfo } from '../kernel/rules.ts';
import { KERNEL_RULES } from '../kernel/rules.ts';
import { DATA_CHECKS } from '../sim/data_checks.ts';
import { END_CHECKS } from '../sim/end_checks.ts';
import { runScenario } from '../sim/run.ts';
import type { Scenario } from '../sim/scenario.ts';
import { suiteScenarios } from '../sim/scenarios/index.ts';
import { DESIGN_ORACLES, ORACLES } from './oracles/index.ts';

/** Where a check lives, which decides how it is evaluated and counted. */
export type CheckSource = 'kernel' | 'oracle' | 'design-oracle' | 'end' | 'data';

export interface CatalogueEntry extends CheckInfo {
  readonly source: CheckSource;
}

function entries(source: CheckSource, checks: readonly CheckInfo[]): CatalogueEntry[] {
  return checks.map((c) => ({
    id: c.id,
    description: c.description,
    upstream: c.upstream,
    when: c.when,
    source,
  }));
}

/** Every check, kernel rules first, then per-step oracles, end-of-run checks and data checks. */
export const CHECK_CATALOGUE: readonly CatalogueEntry[] = [
  ...entries('kernel', KERNEL_RULES),
  ...entries('oracle', ORACLES),
  ...entries('design-oracle', DESIGN_ORACLES),
  ...entries('end', END_CHECKS),
  ...entries('data', DATA_CHECKS),
];

/** What `countEvaluations` ran, and how often each check was evaluated. */
export interface EvaluationCounts {
  readonly scenarios: readonly string[];
  readonly schedulesPerScenario: number;
  readonly runs: number;
  /** Σ over runs of steps × worlds: how often each per-step oracle was evaluated. */
  readonly stepWorlds: number;
  /** Kernel-rule failures seen (a rule broken in a run of the unmutated model), by id. */
  readonly ruleFailures: ReadonlyMap<string, number>;
  readonly byId: ReadonlyMap<string, number>;
}

/**
 * Run every scenario of the default suite (the should-pass built-ins) for `schedules` seeds each (seeds
 * 0..n-1, random strategy, per-step oracles on, no faults) and count the evaluations of every check.
 * Resets the kernel rules' counters first; they hold this run's counts afterwards.
 */
export function countEvaluations(
  schedules: number,
  scenarios: readonly Scenario[] = suiteScenarios(),
): EvaluationCounts {
  resetRuleCounts(KERNEL_RULES);
  let runs = 0;
  let stepWorlds = 0;
  const ruleFailures = new Map<string, number>();
  const kernelIds = new Set(KERNEL_RULES.map((r) => r.id));
  for (const scenario of scenarios) {
    let worlds = 0;
    const counted: Scenario = {
      ...scenario,
      build(sim, rng) {
        const w = scenario.build(sim, rng);
        worlds = w.worlds().length;
        return w;
      },
    };
    for (let seed = 0; seed < schedules; seed += 1) {
      worlds = 0;
      const r = runScenario(counted, { seed: BigInt(seed) });
      runs += 1;
      stepWorlds += r.steps * worlds;
      const id = r.failure?.id;
      if (id !== undefined && kernelIds.has(id)) ruleFailures.set(id, (ruleFailures.get(id) ?? 0) + 1);
    }
  }
  const byId = new Map<string, number>();
  for (const c of CHECK_CATALOGUE) {
    const n =
      c.source === 'kernel'
        ? (KERNEL_RULES.find((r) => r.id === c.id)?.evaluations[0] ?? 0)
        : c.source === 'oracle'
          ? stepWorlds
          : c.source === 'design-oracle'
            ? 0
            : runs;
    byId.set(c.id, n);
  }
  return {
    scenarios: scenarios.map((s) => s.name),
    schedulesPerScenario: schedules,
    runs,
    stepWorlds,
    ruleFailures,
    byId,
  };
}
