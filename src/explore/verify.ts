// Bounded-exhaustive exploration: every schedule of a run with at most P preemptions (iterative context
// bounding, as in CHESS: Musuvathi and Qadeer, "Iterative context bounding for systematic testing of
// multithreaded programs", PLDI 2007) and, when asked, at most F failing fault-site evaluations. Mirrors
// no kernel file: it drives the choice points of src/engine/scheduler.ts (a real choice is a step with
// two or more enabled actors; tasks yield only where the model yields) through a chooser, as
// src/explore/choice_points.ts does, and the fault sites of src/kernel/faults.ts through a planned
// fault plan (src/sim/fault_plan.ts).
//
// A schedule is the sequence of decisions of a run: the pick at each real choice and, with F > 0,
// whether each fault-site evaluation fails. A pick preempts when the actor that was delivered last is
// still enabled and another one is picked (the definition choice_points.ts marks). The default policy,
// which never preempts and fails nothing, keeps running the last actor while it is enabled and otherwise
// takes the first enabled actor (sorted ids). The frontier, its levels (fewest preemptions first, then
// fewest faults) and the order within a level are src/explore/verify_search.ts's; the first failing
// schedule found has the fewest preemptions of all failing schedules within the bounds, then the fewest
// faults, then comes first in that order. Splitting a level across threads is verify_parallel.ts's;
// keeping the frontier in a corpus is verify_corpus.ts's.

import { scenarioHash, TOKEN_VERSION } from '../engine/token.ts';
import type { FaultHook } from '../kernel/faults.ts';
import type { Scenario } from '../sim/scenario.ts';
import type { Sim } from '../sim/sim.ts';
import { recordedRun } from './footprint_run.ts';
import { type RunResult, runScenario } from './run.ts';
import type { SearchEnd } from './verify_parallel.ts';
import { SleepSetGuide } from './verify_por.ts';
import {
  advance,
  type Bounds,
  byPreemptionsOf,
  type ChunkProgress,
  type Execution,
  exploreChunk,
  type Found,
  type Frontier,
  initialFrontier,
  levelCount,
  levelOf,
  type Program,
  queuedOf,
  type Reduction,
  type SearchGuide,
  schedulesOf,
  settle,
} from './verify_search.ts';

export {
  type ChoiceRecord,
  defaultPick,
  type Execution,
  PrefixChooser,
  type Program,
  preempts,
  type Reduction,
  type SearchGuide,
} from './verify_search.ts';

export interface BoundedSearchOptions {
  /** P: the most preemptions a schedule may have (≥ 0). */
  readonly preemptions: number;
  /** F: the most fault-site evaluations a schedule may fail (default 0). */
  readonly faults?: number;
  /** Stop after this many schedules in all (the result is then incomplete). */
  readonly maxSchedules?: number;
  /** Called every few runs with the counts so far. */
  readonly onProgress?: (p: SearchProgress) => void;
  /** Resume from this frontier (of the same program and bounds). */
  readonly frontier?: Frontier;
  /** Partial-order reduction (src/explore/verify_por.ts); none: every schedule is run. */
  readonly reduction?: Reduction;
}

export interface SearchProgress {
  readonly schedules: number;
  /** Preemption count of the level being explored. */
  readonly level: number;
  /** Faults of the level being explored. */
  readonly levelFaults: number;
  /** Prefixes waiting, over all levels. */
  readonly queued: number;
  /** Schedules run per preemption count so far. */
  readonly byPreemptions: readonly number[];
  /**
   * The schedules the current level will have run in all, estimated as the mean subtree of its root
   * prefixes started so far times its root prefixes (null before one is started).
   */
  readonly levelEstimate: number | null;
}

export interface Counterexample<E> {
  readonly execution: E;
  /** Its picks at every real choice (a tape). */
  readonly tape: readonly number[];
  readonly preemptions: number;
  /** Fault-site evaluations it fails. */
  readonly faults: readonly number[];
}

export interface SearchResult<E> {
  /** Schedules run (each a distinct schedule). */
  readonly schedules: number;
  /** Schedules run with exactly p preemptions, p = 0.. the level reached. */
  readonly byPreemptions: readonly number[];
  /** Schedules run with exactly f faults, f = 0..F (levels reached only). */
  readonly byFaults: readonly number[];
  /** Schedules skipped as equivalent to explored ones. */
  readonly pruned: number;
  /** True when every schedule within the bounds was run (no failure, no schedule limit hit). */
  readonly complete: boolean;
  readonly counterexample: Counterexample<E> | null;
  /** Where the search stopped (what a corpus keeps). */
  readonly frontier: Frontier;
}

/** Runs between two progress reports of the one-thread search. */
const PROGRESS_RUNS = 64;

/** The estimate of a level's total (see SearchProgress.levelEstimate). */
export function levelEstimate(front: Frontier, runsAtLevel: number, rootsStarted: number): number | null {
  if (rootsStarted === 0 || front.roots === 0) return null;
  return Math.round((runsAtLevel / rootsStarted) * front.roots);
}

export function progressOf(bounds: Bounds, front: Frontier): SearchProgress {
  const at = Math.min(front.level, levelCount(bounds) - 1);
  const { p, f } = levelOf(bounds, at);
  return {
    schedules: schedulesOf(front),
    level: p,
    levelFaults: f,
    queued: queuedOf(front),
    byPreemptions: byPreemptionsOf(bounds, front.byLevel, at),
    levelEstimate: levelEstimate(front, front.byLevel[at] ?? 0, front.rootsStarted),
  };
}

/** The result of a search that ended with `end`. */
export function searchResultOf<E>(bounds: Bounds, end: SearchEnd<E>): SearchResult<E> {
  const front = end.front;
  const n = levelCount(bounds);
  const upTo = end.kind === 'failed' ? end.failure.level : Math.min(front.level, n - 1);
  const byFaults: number[] = [];
  for (let i = 0; i <= upTo; i += 1) {
    const { f } = levelOf(bounds, i);
    byFaults[f] = (byFaults[f] ?? 0) + front.byLevel[i]!;
  }
  for (let f = 0; f < byFaults.length; f += 1) byFaults[f] ??= 0;
  return {
    schedules: schedulesOf(front),
    byPreemptions: byPreemptionsOf(bounds, front.byLevel, upTo),
    byFaults,
    pruned: front.pruned,
    complete: end.kind === 'complete',
    counterexample:
      end.kind === 'failed'
        ? {
            execution: end.failure.execution,
            tape: end.failure.tape,
            preemptions: levelOf(bounds, end.failure.level).p,
            faults: end.failure.faults,
          }
        : null,
    frontier: front,
  };
}

/** Check the bounds (a simulator bug when wrong: the CLI checks its options first). */
export function checkBounds(b: Bounds): void {
  if (!Number.isInteger(b.preemptions) || b.preemptions < 0)
    throw new RangeError(`verify: bound ${b.preemptions} is not an integer ≥ 0`);
  if (!Number.isInteger(b.faults) || b.faults < 0)
    throw new RangeError(`verify: fault bound ${b.faults} is not an integer ≥ 0`);
}

/** Run every schedule of `program` within the bounds, fewest preemptions (then faults) first. */
export function boundedSearch<E extends Execution>(
  program: Program<E>,
  opts: BoundedSearchOptions,
): SearchResult<E> {
  const bounds: Bounds = { preemptions: opts.preemptions, faults: opts.faults ?? 0 };
  checkBounds(bounds);
  let front = settle(opts.frontier ?? initialFrontier(bounds), bounds);
  const n = levelCount(bounds);
  let failure: Found<E> | null = null;
  while (front.level < n) {
    const left =
      opts.maxSchedules === undefined ? Number.POSITIVE_INFINITY : opts.maxSchedules - schedulesOf(front);
    if (left <= 0) return searchResultOf(bounds, { kind: 'limit', front });
    const stack = front.stacks[front.level]!;
    const at = front;
    // The whole level in one chunk (its stack is copied once), with progress every PROGRESS_RUNS runs.
    const onRun =
      opts.onProgress === undefined
        ? undefined
        : (c: ChunkProgress) => {
            if (c.runs % PROGRESS_RUNS !== 0) return;
            const byLevel = at.byLevel.slice();
            byLevel[at.level] = byLevel[at.level]! + c.runs;
            const base = progressOf(bounds, {
              ...at,
              byLevel,
              rootsStarted: at.rootsStarted + c.rootsStarted,
            });
            opts.onProgress!({ ...base, queued: base.queued - stack.length + c.stack + c.pushes });
          };
    const chunk = exploreChunk(program, bounds, front.level, stack, left, opts.reduction, onRun);
    const level = front.level;
    front = advance(front, bounds, stack.length, chunk);
    if (chunk.failure !== null) {
      failure = chunk.failure;
      front = { ...front, level };
      break;
    }
  }
  return searchResultOf(
    bounds,
    failure === null ? { kind: 'complete', front } : { kind: 'failed', front, failure },
  );
}

/** One run of a scenario as the search sees it: plain data (it crosses threads). */
export interface ScenarioExecution extends Execution {
  /** Only for a failing run (encoding a token costs): '' otherwise. */
  readonly token: string;
  readonly outcome: RunResult['outcome'];
  readonly failure: RunResult['failure'];
  readonly steps: number;
  readonly choices: number;
  /** The fault sites that failed in the run, in order. */
  readonly faultsFired: readonly string[];
}

/** What identifies a scenario search: the same inputs give the same schedules. */
export interface ScenarioSearch {
  readonly scenario: Scenario;
  /** Mutations switched on (catalogue names, NAME=VALUE for a parameter). */
  readonly mutations?: readonly string[];
  /** The workload's seed (what the scenario draws when it is built); the schedule is the search's. */
  readonly seed?: bigint;
  /** F: the most failing fault-site evaluations per schedule (0: no fault fails). */
  readonly faults?: number;
}

/**
 * Count the run's fault-site evaluations for the chooser: the hook the run installs on the Sim after the
 * scenario is built (the planned fault plan, which fails the evaluations the chooser's prefix names) is
 * wrapped so that every evaluation is told to the chooser as well.
 */
function countEvaluations(sim: Sim, guide: SearchGuide): void {
  let hook: FaultHook | null = sim.faultHook;
  Object.defineProperty(sim, 'faultHook', {
    configurable: true,
    enumerable: true,
    get: () => hook,
    set: (inner: FaultHook | null) => {
      hook = inner === null ? null : countedHook(inner, guide);
    },
  });
}

function countedHook(inner: FaultHook, guide: SearchGuide): FaultHook {
  return (site, where) => {
    const planned = guide.fault();
    const failed = inner(site, where);
    if (planned !== failed) throw new Error(`verify: fault plan and chooser disagree at ${site} (${where})`);
    return failed;
  };
}

/** The program a scenario search runs: one guided run, judged like any other run. */
export function scenarioProgram(s: ScenarioSearch): Program<ScenarioExecution> {
  const seed = s.seed ?? 0n;
  const mutations = s.mutations ?? [];
  const withFaults = (s.faults ?? 0) > 0;
  return (guide, item) => {
    const opts = {
      seed,
      strategy: 'fifo' as const,
      mutations,
      ...(withFaults
        ? {
            faults: { kind: 'planned' as const, at: item.faults },
            watch: (sim: Sim) => countEvaluations(sim, guide),
          }
        : {}),
    };
    // Under the reduction's guide every step's footprint is recorded and reported (verify_por.ts).
    const r =
      guide instanceof SleepSetGuide
        ? recordedRun(s.scenario, opts, guide).result
        : runScenario(s.scenario, { ...opts, guide });
    const failed = r.outcome !== 'pass';
    return {
      failed,
      token: failed ? r.token : '',
      outcome: r.outcome,
      failure: r.failure,
      steps: r.steps,
      choices: r.choices,
      faultsFired: r.faultsFired.map((f) => `${f.site}@${f.where}`),
    };
  };
}

export interface VerifyInput extends ScenarioSearch {
  readonly preemptions: number;
  readonly maxSchedules?: number;
  readonly onProgress?: (p: SearchProgress) => void;
  readonly frontier?: Frontier;
  readonly reduction?: Reduction;
}

export interface VerifyResult {
  readonly scenario: string;
  readonly scenarioHash: string;
  /** The token format the counterexample is written in. */
  readonly tokenVersion: number;
  readonly seed: string;
  readonly mutations: readonly string[];
  readonly preemptions: number;
  /** F, the fault bound. */
  readonly faults: number;
  readonly schedules: number;
  readonly byPreemptions: readonly number[];
  /** Schedules run with exactly f faults. */
  readonly byFaults: readonly number[];
  /** Schedules skipped as equivalent to explored ones (no reduction: 0). */
  readonly pruned: number;
  /** The sleep-set reduction was on. */
  readonly reduce: boolean;
  readonly complete: boolean;
  /** The first failing schedule: fewest preemptions, then fewest faults, then the search's order. */
  readonly counterexample: {
    readonly token: string;
    readonly preemptions: number;
    /** Fault-site evaluations it fails (the token carries them). */
    readonly faults: number;
    readonly faultsFired: readonly string[];
    readonly outcome: RunResult['outcome'];
    readonly failure: NonNullable<RunResult['failure']>;
    readonly steps: number;
    readonly choices: number;
  } | null;
}

/** The result of a scenario search from its search result. */
export function verifyResultOf(
  input: ScenarioSearch & { readonly preemptions: number; readonly reduce?: boolean },
  found: SearchResult<ScenarioExecution>,
): VerifyResult {
  const cx = found.counterexample;
  return {
    scenario: input.scenario.name,
    scenarioHash: scenarioHash(input.scenario.config),
    tokenVersion: TOKEN_VERSION,
    seed: (input.seed ?? 0n).toString(),
    mutations: input.mutations ?? [],
    preemptions: input.preemptions,
    faults: input.faults ?? 0,
    schedules: found.schedules,
    byPreemptions: found.byPreemptions,
    byFaults: found.byFaults,
    pruned: found.pruned,
    reduce: input.reduce ?? false,
    complete: found.complete,
    counterexample:
      cx === null
        ? null
        : {
            token: cx.execution.token,
            preemptions: cx.preemptions,
            faults: cx.faults.length,
            faultsFired: cx.execution.faultsFired,
            outcome: cx.execution.outcome,
            failure: cx.execution.failure!,
            steps: cx.execution.steps,
            choices: cx.execution.choices,
          },
  };
}

/** Every schedule of a built-in or file scenario within the bounds, on this thread (see the header). */
export function verify(input: VerifyInput): VerifyResult {
  const found = boundedSearch(scenarioProgram(input), {
    preemptions: input.preemptions,
    faults: input.faults ?? 0,
    ...(input.maxSchedules === undefined ? {} : { maxSchedules: input.maxSchedules }),
    ...(input.onProgress === undefined ? {} : { onProgress: input.onProgress }),
    ...(input.frontier === undefined ? {} : { frontier: input.frontier }),
    ...(input.reduction === undefined ? {} : { reduction: input.reduction }),
  });
  return verifyResultOf({ ...input, reduce: input.reduction !== undefined }, found);
}
