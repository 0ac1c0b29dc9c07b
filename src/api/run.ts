// run, replay and shrink from code: one schedule of a scenario, the schedule a token names, and the
// smallest run that still fails the same way. They wrap what `ttm-sim run`, `replay` and `shrink` do
// (src/cli/main.ts, src/cli/explore.ts over src/explore/run.ts and src/explore/shrink.ts) and return
// plain data: the members of `--json`, plus the trace when asked for. run$ is the same run as an RxJS
// stream (src/explore/run.ts's run$), to watch every delivery and step as it happens.

import { map, type Observable } from 'rxjs';
import {
  type DecodedRun,
  decodedRunOptions,
  designOptions,
  label,
  mutationOptions,
  runDecoded,
  scenarioByName,
  strategyOptions,
} from '../cli/common.ts';
import { runFaults, traceRow } from '../cli/explore.ts';
import { decodeWith } from '../cli/scenario_option.ts';
import { parseStrategy } from '../engine/strategy.ts';
import type { TraceLine } from '../engine/trace.ts';
import type { Envelope, Failure, Outcome } from '../engine/types.ts';
import { calibrate, campaignMaxSteps } from '../explore/campaign.ts';
import {
  type RunResult,
  runScenario,
  type RunOptions as SimRunOptions,
  run$ as watchRun,
} from '../explore/run.ts';
import { shrink as shrinkRun } from '../explore/shrink.ts';
import type { CounterTotals } from '../kernel/counters.ts';
import type { Scenario } from '../sim/scenario.ts';
import { DEFAULT_SCENARIO } from '../sim/scenarios/index.ts';
import { checked, positive, refuse, seedOf } from './errors.ts';

/** What one schedule to run is: a built-in scenario (or a scenario file), a seed and how it picks. */
export interface RunOptions {
  /** A built-in scenario's name (see `scenarios`) or the path of a scenario file; vram-pressure by default. */
  readonly scenario?: string;
  /** Unsigned 64-bit seed; 1 by default (as `ttm-sim run`). */
  readonly seed?: number | bigint;
  /** `random` (default), `fifo`, `pos`, `pct:D` or `pct:D:K`. */
  readonly strategy?: string;
  /** Mutations switched on, `NAME` or `NAME=VALUE` (see `mutations`). */
  readonly mutations?: readonly string[];
  /** Designs switched on, `NAME` or `NAME:KEY=VALUE` (see `designs`). */
  readonly designs?: readonly string[];
  /** Injected faults drawn from the seed: `off` (default), `uniform` or `buggify`. */
  readonly faults?: 'off' | 'uniform' | 'buggify';
  /** Keep the trace (canonical JSONL lines, as `ttm-sim run --trace FILE` writes them) in the report. */
  readonly trace?: boolean;
}

/** One run: what `ttm-sim run --json` prints, and the trace when asked for. */
export interface RunReport {
  /** Replays this run exactly (`replay`, `ttm-sim replay`). */
  readonly token: string;
  readonly scenario: string;
  readonly seed: string;
  /** As `--strategy` spells it, K included (`pct:2:1000`). */
  readonly strategy: string;
  readonly steps: number;
  readonly choices: number;
  readonly virtualTimeMs: number;
  readonly outcome: Outcome;
  readonly traceSha256: string;
  /** The check that failed, with its kind, id, message, step and actor; null for a pass. */
  readonly failure: Failure | null;
  /**
   * The trace line the failure belongs to (the step that broke a rule, or the last step for liveness
   * and end-of-run checks); null for a pass and for a failure before the first step.
   */
  readonly failureStep: number | null;
  readonly stats: Readonly<Record<string, number>>;
  readonly counters: CounterTotals;
  readonly mutations: readonly string[];
  readonly designs: readonly string[];
  /** The trace as canonical JSONL lines (`ttm-sim run --trace FILE` writes them); null unless asked for. */
  readonly trace: readonly string[] | null;
}

function reportOf(r: RunResult, mutations: readonly string[]): RunReport {
  return {
    token: r.token,
    scenario: r.scenario,
    seed: r.seed,
    strategy: label({
      name: r.strategy,
      ...(r.strategyParams === undefined ? {} : { params: r.strategyParams }),
    }),
    steps: r.steps,
    choices: r.choices,
    virtualTimeMs: r.virtualTimeMs,
    outcome: r.outcome,
    traceSha256: r.traceSha256,
    failure: r.failure,
    failureStep: r.failureStep,
    stats: r.stats,
    counters: r.counters,
    mutations,
    designs: r.designs,
    trace: r.trace,
  };
}

/** The run `options` ask for, checked: its scenario, the run's options, the mutations on. */
function planned(
  api: string,
  options: RunOptions,
): { scenario: Scenario; opts: SimRunOptions; mutations: string[] } {
  return checked(api, () => {
    const scenario = scenarioByName(options.scenario ?? DEFAULT_SCENARIO);
    const seed = seedOf(api, 'seed', options.seed, 1n);
    const parsed = parseStrategy(options.strategy ?? 'random');
    if (!parsed.ok) refuse(api, `strategy ${parsed.reason}`);
    const strategy = strategyOptions(parsed.spec);
    const mutations = mutationOptions(options.mutations, [scenario]);
    const designs = designOptions(options.designs, scenario);
    const mode = options.faults ?? 'off';
    if (!['off', 'uniform', 'buggify'].includes(mode))
      refuse(api, `faults must be one of off, uniform, buggify, got "${String(mode)}"`);
    const faults = runFaults(scenario, seed, strategy, mutations, mode, designs);
    const opts: SimRunOptions = {
      seed,
      ...strategy,
      keepTrace: options.trace === true,
      mutations,
      designs,
      ...(faults === undefined ? {} : { faults }),
    };
    return { scenario, opts, mutations };
  });
}

/**
 * Run one schedule, as `ttm-sim run` does. Throws TtmSimError for an unknown scenario, mutation or
 * design, a bad strategy or seed; a failing run is not an error: its report says what failed.
 */
export function run(options: RunOptions = {}): RunReport {
  const p = planned('run', options);
  return reportOf(runScenario(p.scenario, p.opts), p.mutations);
}

/** What run$ emits: each message delivered, each step's trace line (with its effects), then the report. */
export type RunEvent =
  | { readonly kind: 'delivery'; readonly envelope: Envelope }
  | { readonly kind: 'step'; readonly line: TraceLine }
  | { readonly kind: 'result'; readonly report: RunReport };

/**
 * The run `run(options)` makes, as a cold RxJS stream to watch it live (src/explore/run.ts's run$):
 * every subscription runs the schedule once, synchronously, emitting each delivery and each step as
 * they happen, then the report, and completes. Bad options throw TtmSimError when run$ is called.
 */
export function run$(options: RunOptions = {}): Observable<RunEvent> {
  const p = planned('run$', options);
  return watchRun(p.scenario, p.opts).pipe(
    map(
      (e): RunEvent =>
        e.kind === 'result' ? { kind: 'result', report: reportOf(e.result, p.mutations) } : e,
    ),
  );
}

/** Where a token's scenario is looked up besides the built-in ones: a scenario file. */
export interface TokenOptions {
  /** The scenario file a token of a file scenario was made from (its configuration hash must match). */
  readonly scenario?: string;
}

function decoded(api: string, token: string, options: TokenOptions): DecodedRun {
  if (typeof token !== 'string') refuse(api, `expected a token string, got ${typeof token}`);
  // As the commands do: a file's configuration hash must be the token's, or both hashes are named.
  return checked(api, () => decodeWith(token, api, options.scenario));
}

/** Re-run the schedule a token names, as `ttm-sim replay` does: the same trace, byte for byte. */
export function replay(token: string, options: TokenOptions & { readonly trace?: boolean } = {}): RunReport {
  const d = decoded('replay', token, options);
  return reportOf(runDecoded(d, options.trace === true), d.mutations);
}

export interface ShrinkOptions extends TokenOptions {
  /** Wall-clock time for the search, in ms (10,000 by default, as `ttm-sim shrink`). */
  readonly budgetMs?: number;
}

/** A failing run made small: what `ttm-sim shrink --json` prints, and the shrunk run's trace. */
export interface ShrinkReport {
  /** The failure kept: check id, actor class, actor state, errno. */
  readonly signature: string;
  /** The shrunk run's token: it replays the shrunk run exactly, with the same signature. */
  readonly token: string;
  /** The token shrunk. */
  readonly original: string;
  readonly failure: Failure;
  readonly steps: number;
  readonly stepsBefore: number;
  readonly preemptions: number;
  readonly preemptionsBefore: number;
  /** Steps of the shrunk trace at which an actor that could go on was switched away from. */
  readonly preemptionSteps: readonly number[];
  readonly faults: number;
  readonly faultsBefore: number;
  /** Tasks and timed signals the shrunk run leaves out. */
  readonly omitted: readonly string[];
  readonly tries: number;
  readonly timedOut: boolean;
  /** The shrunk run as readable rows (step, actor, event, state change; ▶ marks a preemption). */
  readonly rows: readonly string[];
  /** The shrunk run's trace, canonical JSONL lines. */
  readonly trace: readonly string[];
}

/**
 * Shrink a failing token, as `ttm-sim shrink` does. Throws TtmSimError for a bad token, a budget that
 * is not a positive number of ms, or the token of a run that passes (nothing to shrink).
 */
export function shrink(token: string, options: ShrinkOptions = {}): ShrinkReport {
  const d = decoded('shrink', token, options);
  const budgetMs = options.budgetMs === undefined ? 10_000 : positive('shrink', 'budgetMs', options.budgetMs);
  const before = runDecoded(d, false);
  if (before.failure === null)
    refuse('shrink', "this token's run passes; shrink needs the token of a failing run");
  // Candidates get the step budget a campaign of this scenario gives its runs, as `ttm-sim shrink` does.
  const calibration = calibrate(d.scenario, d.seed, d.mutations, d.designs);
  const s = shrinkRun(
    {
      candidateMaxSteps: campaignMaxSteps({}, calibration),
      scenario: d.scenario,
      // The faults as planned even when none fired, so each candidate's faults are its own.
      options: { ...decodedRunOptions(d), faults: { kind: 'planned', at: d.faults } },
    },
    budgetMs,
  );
  if (s.signature === null || s.run.failure === null)
    throw new Error(`shrink: the run of ${token} failed once and passed when run again (a simulator bug)`);
  const marks = new Set(s.preemptionSteps);
  const trace = s.run.trace ?? [];
  return {
    signature: s.signature,
    token: s.token,
    original: token,
    failure: s.run.failure,
    steps: s.steps,
    stepsBefore: s.stepsBefore,
    preemptions: s.preemptions,
    preemptionsBefore: s.preemptionsBefore,
    preemptionSteps: s.preemptionSteps,
    faults: s.faults,
    faultsBefore: s.faultsBefore,
    omitted: s.omitted,
    tries: s.tries,
    timedOut: s.timedOut,
    rows: trace.map((l) => {
      const line = JSON.parse(l) as TraceLine;
      return traceRow(line, marks.has(line.step));
    }),
    trace,
  };
}
