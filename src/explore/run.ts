// A run judged by this layer's pieces: the per-step oracles (src/explore/oracles/) and the naming of a
// livelock's cycle (livelock.ts), handed to the run of src/sim/run.ts, which knows neither. Everything
// above src/sim runs scenarios through here; the run's options and result are src/sim/run.ts's.
// run$ is the same run as an RxJS stream, for whoever wants to watch one live: every message delivered
// and every step's trace line with the statechart effects it caused, then the result. A run nobody
// watches pays one property test per step for it.

import { Observable, Subscription } from 'rxjs';
import type { TraceLine } from '../engine/trace.ts';
import type { Envelope } from '../engine/types.ts';
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

/** What run$ emits: a delivered envelope, a step taken (its trace line), and last the result. */
export type RunEvent =
  | { readonly kind: 'delivery'; readonly envelope: Envelope }
  | { readonly kind: 'step'; readonly line: TraceLine }
  | { readonly kind: 'result'; readonly result: RunResult };

/**
 * `runScenario(scenario, opts)` as a cold stream: each subscription runs the scenario once, emitting
 * each delivery (after its handler ran) and then that step's trace line (with its effects) as they
 * happen, then the run's result, and completes. The run is synchronous: it is over when `subscribe`
 * returns. A livelock's cycle naming runs the schedule again unwatched.
 */
export function run$(scenario: Scenario, opts: RunOptions): Observable<RunEvent> {
  return new Observable<RunEvent>((sub) => {
    const watching = new Subscription();
    let result: RunResult;
    try {
      result = runScenario(scenario, {
        ...opts,
        watch: (sim) => {
          watching.add(
            sim.scheduler.deliveries$.subscribe((envelope) => sub.next({ kind: 'delivery', envelope })),
          );
          watching.add(sim.scheduler.steps$.subscribe((line) => sub.next({ kind: 'step', line })));
        },
      });
    } finally {
      watching.unsubscribe();
    }
    sub.next({ kind: 'result', result });
    sub.complete();
  });
}
