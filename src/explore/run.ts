// A run judged by this layer's pieces: the per-step oracles (src/explore/oracles/) and the naming of a
// livelock's cycle (livelock.ts), handed to the run of src/sim/run.ts, which knows neither. Everything
// above src/sim runs scenarios through here; the run's options and result are src/sim/run.ts's.

import { type RunJudges, type RunOptions, type RunResult, runScenarioWith } from '../sim/run.ts';
import type { Scenario } from '../sim/scenario.ts';
import { findCycle } from './livelock.ts';
import { checkAll } from './oracles/index.ts';

export {
  countersOf,
  DEFAULT_MAX_STEPS,
  exactReplayOptions,
  type RunOptions,
  type RunResult,
  signatureOf,
} from '../sim/run.ts';

/** The explore layer's judges of a run. */
export const JUDGES: RunJudges = { checkAll, findCycle };

/** Run `scenario` once under `opts`, checked by the oracles after every step unless `opts.oracles` is false. */
export function runScenario(scenario: Scenario, opts: RunOptions): RunResult {
  return runScenarioWith(JUDGES, scenario, opts);
}
