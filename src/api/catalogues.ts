// The catalogues a test picks from: the built-in scenarios (with the configuration hash their tokens
// carry), the mutations that put a historical bug back (src/explore/mutations*.ts) and the designs the
// kernel never merged (src/designs). The same lists `ttm-sim scenarios`, `mutations` and `designs` print.

import { DESIGNS, type DesignInfo } from '../designs/index.ts';
import { describeHash, scenarioHash } from '../engine/token.ts';
import { MUTATIONS, type MutationInfo } from '../explore/mutations.ts';
import { SCENARIOS } from '../sim/scenarios/index.ts';

export type { DesignInfo, MutationInfo };

export interface ScenarioInfo {
  readonly name: string;
  /** One line: the workload. */
  readonly summary: string;
  /** The configuration hash tokens of this scenario carry, as `ttm-sim scenarios` prints it. */
  readonly hash: string;
  /** `pass`: every schedule must pass (the default suite runs it); `fail`: some fail by design. */
  readonly expect: 'pass' | 'fail';
}

/** Every built-in scenario, in `ttm-sim scenarios` order. */
export const scenarios: readonly ScenarioInfo[] = SCENARIOS.map((s) => ({
  name: s.name,
  summary: s.summary,
  hash: describeHash(scenarioHash(s.config)),
  expect: s.expect ?? 'pass',
}));

/** Every mutation: name, the upstream fix it reverts, the scenario that exposes it, the check that finds it. */
export const mutations: readonly MutationInfo[] = MUTATIONS;

/** Every design that can be switched on. */
export const designs: readonly DesignInfo[] = DESIGNS;
