// fuzz from code: a campaign with a budget (schedules, time, or both) over one scenario or a suite of
// them, returning the report `ttm-sim fuzz` prints. It wraps the suite runner (src/explore/suite.ts):
// a suite of one scenario is exactly `ttm-sim fuzz --scenario NAME` with the same options, and without
// a scenario it is the default suite (`npm start`).

import { designOptions, mutationOptions, scenarioByName } from '../cli/common.ts';
import { lockCorpus, lockNames } from '../cli/corpus_lock.ts';
import { checkOutputDir } from '../cli/paths.ts';
import { suiteJson, suiteText } from '../cli/suite_report.ts';
import { parseStrategy } from '../engine/strategy.ts';
import type { Outcome } from '../engine/types.ts';
import { CAMPAIGN_FAULTS, type CampaignFaults, type FoundFailure } from '../explore/campaign.ts';
import { prepareSuite, runPrepared, type SuiteOptions, type SuiteProgress } from '../explore/suite.ts';
import { suiteScenarios } from '../sim/scenarios/index.ts';
import { checked, positive, refuse, seedOf } from './errors.ts';

export interface FuzzOptions {
  /** One scenario (name or scenario file), several (a suite), or none: the default suite. */
  readonly scenario?: string | readonly string[];
  /** Schedules in all (a suite splits them in equal shares); 1,000 by default unless only a time budget is given. */
  readonly schedules?: number;
  /** Stop after this much wall-clock time (ms) even if `schedules` is not reached. */
  readonly timeBudgetMs?: number;
  /** Base seed: schedule i of each scenario's campaign uses seed + i (0 by default). */
  readonly seed?: number | bigint;
  /** One strategy for every schedule (`random`, `pct:2`, `cover`, ...); the portfolio by default. */
  readonly strategy?: string;
  readonly mutations?: readonly string[];
  readonly designs?: readonly string[];
  /** `mixed` (default), `off`, `uniform` or `buggify`. */
  readonly faults?: CampaignFaults;
  /** Shrink every failure found (default true), within `shrinkBudgetMs` each (10,000 by default). */
  readonly shrink?: boolean;
  readonly shrinkBudgetMs?: number;
  /** Steps a schedule may take before it counts as not finishing (default: from the calibration). */
  readonly maxSteps?: number;
  /** Worker threads: every campaign is cut into this many slices (the report is the same). */
  readonly workers?: number;
  /** Keep the campaigns in this directory and resume them from it (as `--corpus DIR`). */
  readonly corpusDir?: string;
  /** Aborting stops every campaign before its next schedule. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: SuiteProgress) => void;
}

/** A distinct failure a campaign found, with the scenario it was found in. */
export interface FuzzFailure extends FoundFailure {
  readonly scenario: string;
}

export interface FuzzReport {
  /** The worst outcome over every scenario: crash, then correctness, then liveness; pass when none failed. */
  readonly outcome: Outcome;
  /** The exit code `ttm-sim fuzz` gives this report (0 pass, 1 correctness, 3 liveness, 4 crash, 130 interrupted). */
  readonly exitCode: number;
  readonly scenarios: readonly string[];
  /** Schedules run, all scenarios together, and whether every one of the budget ran. */
  readonly schedules: number;
  readonly complete: boolean;
  /** Every distinct failure, scenario by scenario, each at its first schedule; with its token and shrunk token. */
  readonly failures: readonly FuzzFailure[];
  /** The report as `ttm-sim fuzz` prints it (without the trailing line of wall-clock measures). */
  readonly text: string;
  /** The report as `ttm-sim fuzz --json` prints it (without `run` and `corpus`). */
  readonly json: Record<string, unknown>;
}

/**
 * Run a campaign (or a suite of them) and return its report. Throws TtmSimError for bad options (an
 * unknown scenario, mutation or design, a bad count or strategy, a corpus of another campaign).
 */
export async function fuzz(options: FuzzOptions = {}): Promise<FuzzReport> {
  const opts = checked('fuzz', () => suiteOptions('fuzz', options));
  // A corpus directory is checked, created and locked as `ttm-sim fuzz --corpus` does: a campaign
  // already running on it is refused, naming its holder.
  const locks = checked('fuzz', () => {
    if (opts.corpusDir === undefined) return null;
    const dir = checkOutputDir('corpusDir', opts.corpusDir);
    const w = opts.workers;
    const taken = lockCorpus(
      dir,
      lockNames(w === undefined ? undefined : { count: w, run: Array.from({ length: w }, (_, k) => k) }),
    );
    if (!taken.ok) refuse('fuzz', `corpusDir: ${taken.reason}`);
    return taken.locks;
  });
  let r: Awaited<ReturnType<typeof runPrepared>>;
  let args: readonly string[];
  try {
    const prep = prepareSuite(opts);
    if (!prep.ok) refuse('fuzz', prep.reason);
    args = prep.suite.args;
    r = await runPrepared(prep.suite);
  } finally {
    locks?.release();
  }
  const failures = r.report.campaigns.flatMap((c) =>
    (c.state?.failures ?? []).map((f) => ({ ...f, scenario: c.scenario })),
  );
  return {
    outcome: r.report.worst,
    exitCode: r.exitCode,
    scenarios: r.report.manifest.scenarios,
    schedules: r.report.ran,
    complete: r.report.complete,
    failures,
    text: suiteText(r.report, args),
    json: suiteJson(r.report),
  };
}

/** The suite runner's options from the API's, checked as `ttm-sim fuzz` checks its own. */
export function suiteOptions(api: string, o: FuzzOptions): SuiteOptions {
  const named =
    o.scenario === undefined ? undefined : typeof o.scenario === 'string' ? [o.scenario] : [...o.scenario];
  if (named !== undefined && named.length === 0)
    refuse(api, 'scenario: give at least one scenario, or none for the default suite');
  const members = named === undefined ? suiteScenarios() : named.map(scenarioByName);
  const budget = o.timeBudgetMs === undefined ? undefined : positive(api, 'timeBudgetMs', o.timeBudgetMs);
  const schedules =
    o.schedules !== undefined
      ? positive(api, 'schedules', o.schedules)
      : budget !== undefined
        ? Number.POSITIVE_INFINITY
        : 1000;
  const faults = CAMPAIGN_FAULTS.find((f) => f === (o.faults ?? 'mixed'));
  if (faults === undefined)
    refuse(api, `faults must be one of ${CAMPAIGN_FAULTS.join(', ')}, got "${String(o.faults)}"`);
  const cover = o.strategy === 'cover';
  const parsed = o.strategy === undefined || cover ? undefined : parseStrategy(o.strategy);
  if (parsed !== undefined && !parsed.ok) refuse(api, `strategy ${parsed.reason}`);
  const designs = members.map((s) => designOptions(o.designs, s))[0] ?? [];
  const workers = o.workers === undefined ? undefined : positive(api, 'workers', o.workers);
  return {
    ...(named === undefined ? {} : { scenarios: named }),
    baseSeed: seedOf(api, 'seed', o.seed, 0n),
    schedules,
    ...(budget === undefined ? {} : { timeBudgetMs: budget }),
    ...(parsed?.ok ? { strategy: parsed.spec } : {}),
    ...(cover ? { arms: [{ kind: 'cover' } as const] } : {}),
    mutations: mutationOptions(o.mutations, members),
    designs,
    ...(o.maxSteps === undefined ? {} : { maxSteps: positive(api, 'maxSteps', o.maxSteps) }),
    faults,
    shrink: o.shrink ?? true,
    ...(o.shrinkBudgetMs === undefined
      ? {}
      : { shrinkBudgetMs: positive(api, 'shrinkBudgetMs', o.shrinkBudgetMs) }),
    ...(workers === undefined ? {} : { workers }),
    ...(o.corpusDir === undefined ? {} : { corpusDir: o.corpusDir }),
    ...(o.signal === undefined ? {} : { signal: o.signal }),
    ...(o.onProgress === undefined ? {} : { onProgress: o.onProgress }),
  };
}
