// The default suite (README "Hunting races"): one campaign per scenario expected to pass
// (src/sim/scenarios/index.ts, `expect`), run one after another on this thread or cut into slices on a
// worker pool, and one combined report. The schedule count is split in equal shares, in suite order:
// with N schedules over S scenarios, scenario i gets floor(N/S), plus one for the first N mod S. Each
// scenario's campaign uses the suite's base seed, so the suite's campaign of scenario X with share n is
// exactly `ttm-sim fuzz --scenario X --schedules n` with the same options; a suite is a function of its
// options and its schedule count, never of time. A time budget is split in time: each scenario run on
// this thread gets an equal part of what is left when it starts; sliced, every slice gets its part of
// the budget (src/cli/shards.ts) within one deadline. With a corpus directory, the campaign of scenario X
// is kept in DIR/X/ (campaign.json, or shard-K-of-N.json per slice) and DIR/suite.json records the
// suite, so a suite cut short resumes every campaign where it stopped and ends as one that ran through;
// the slices of a sliced suite, run anywhere, merge into the same report (mergeSuite).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Piscina } from 'piscina';
import { Subject } from 'rxjs';
import { createPool } from '../../workers/pool.ts';
import type { StrategySpec } from '../engine/strategy.ts';
import { EXIT_CODE, type Outcome } from '../engine/types.ts';
import type { Scenario } from '../sim/scenario.ts';
import { resolveScenario } from '../sim/scenario_file.ts';
import { suiteScenarios } from '../sim/scenarios/index.ts';
import {
  type Arm,
  type CampaignFaults,
  type CampaignOptions,
  type CampaignState,
  campaignMaxSteps,
  type FoundFailure,
  sliceSchedules,
} from './campaign.ts';
import { thinProgress } from './campaign_streams.ts';
import { type CampaignIdentity, loadCampaign, type OnDisk, readCorpusFile, writeAtomic } from './corpus.ts';
import { campaignIdentity, fuzz, prepareCampaign, type StopReason } from './fuzz.ts';
import { MAX_SHARDS, type MergedCampaign, mergeShards, type ShardPart } from './shard.ts';
import {
  runShardsHere,
  runShardsOnPool,
  type ShardMessage,
  type ShardOutcome,
  type ShardTask,
  wallClock,
} from './shard_run.ts';

/** The file in a suite's corpus directory that records the suite. */
export const SUITE_FILE = 'suite.json';
const SUITE_FORMAT = 1;

export interface SuiteOptions {
  /** Scenario names (built-in, or scenario files); the default suite (every should-pass built-in) when absent. */
  readonly scenarios?: readonly string[];
  /** Seed of schedule 0 of every scenario's campaign (default 0). */
  readonly baseSeed?: bigint;
  /** Schedules of the whole suite, split in equal shares; unlimited (a time budget alone) when infinite. */
  readonly schedules: number;
  /** Stop after this much wall-clock time (ms) in all, split across the scenarios. */
  readonly timeBudgetMs?: number;
  readonly strategy?: StrategySpec;
  readonly arms?: readonly Arm[];
  readonly mutations?: readonly string[];
  readonly designs?: readonly string[];
  readonly faults?: CampaignFaults;
  readonly shrink?: boolean;
  readonly shrinkBudgetMs?: number;
  readonly maxSteps?: number;
  /** Slices per scenario campaign; unsliced when absent (unless `workers` is given: then as many as workers). */
  readonly shards?: number;
  /** Run only these slices of every campaign (default all): `[K]` is `--shard K/N`. */
  readonly runShards?: readonly number[];
  /** Worker threads for the slices; 0 or absent runs them on this thread. */
  readonly workers?: number;
  /** Keep (and resume) the suite in this directory: DIR/suite.json, DIR/<scenario>/. */
  readonly corpusDir?: string;
  /** Called at most every `progressMs` (default 250) and once at the end. */
  readonly onProgress?: (p: SuiteProgress) => void;
  readonly progressMs?: number;
  /** Called for every failure with a new signature, as it is found (shrunk, unless shrinking is off). */
  readonly onFailure?: (scenario: string, f: FoundFailure, shard: number | null) => void;
  /** Aborting stops every campaign before its next schedule, with its corpus saved. */
  readonly signal?: AbortSignal;
  /** The clock of the time budget and progress on this thread (wall-clock ms when absent). */
  readonly now?: () => number;
}

export interface SuiteProgress {
  /** The scenario that reported last. */
  readonly scenario: string;
  /** Schedules run by the whole suite (including those of a resumed run), and its total. */
  readonly done: number;
  readonly total: number;
  /** Distinct failures found so far (by scenario and signature). */
  readonly failures: number;
  readonly elapsedMs: number;
}

/** What a suite's corpus directory records about the suite (slices and resumption check it). */
export interface SuiteManifest {
  readonly format: number;
  readonly kind: 'suite';
  readonly scenarios: readonly string[];
  /** Schedules of the whole suite; null when only a time budget bounds it. */
  readonly schedules: number | null;
  readonly baseSeed: string;
  readonly strategy: string;
  readonly mutations: readonly string[];
  readonly designs?: readonly string[];
  readonly faults: string;
  readonly maxSteps: number | null;
  /** Slices per campaign; null for an unsliced suite. */
  readonly shards: number | null;
}

/** One scenario's campaign in the suite report. */
export interface SuiteCampaign {
  readonly scenario: string;
  /** Its share of the suite's schedules; null when only a time budget bounds the suite. */
  readonly share: number | null;
  /** The campaign's state; null when the suite stopped before it started and no corpus held it. */
  readonly state: CampaignState | null;
  readonly identity: CampaignIdentity | null;
  readonly maxSteps: number | null;
  /** Sliced: the slices present (schedules each ran of its share) and those missing. */
  readonly slices: { readonly parts: readonly ShardPart[]; readonly missing: readonly number[] } | null;
  /** Every schedule of its share run (false without a share). */
  readonly complete: boolean;
  /** The worst kind of its failures; pass when none. */
  readonly outcome: Outcome;
}

/** The suite report: a pure function of the campaigns' states (no wall-clock value but shrink times). */
export interface SuiteReport {
  readonly manifest: SuiteManifest;
  /** The slices run or merged, when sliced (e.g. [0, 1] of manifest.shards). */
  readonly slicesRun: readonly number[] | null;
  readonly campaigns: readonly SuiteCampaign[];
  /** Schedules run by all campaigns together. */
  readonly ran: number;
  readonly failures: number;
  readonly worst: Outcome;
  readonly complete: boolean;
}

/** What one call measured: not part of the report body. */
export interface SuiteRunInfo {
  readonly stopped: StopReason;
  readonly ranNow: number;
  /** Schedules the campaigns had run before (resumed from the corpus). */
  readonly resumed: number;
  readonly elapsedMs: number;
  /** Worker threads; 0 for this thread. */
  readonly threads: number;
}

export interface SuiteResult {
  readonly report: SuiteReport;
  readonly run: SuiteRunInfo;
  /** The worst outcome's exit code; 130 for an interrupted suite without a failure; 0 otherwise. */
  readonly exitCode: number;
}

/** How bad an outcome is: a crash (the simulator itself broke), then correctness, then liveness. */
const SEVERITY: Record<Outcome, number> = { pass: 0, liveness: 1, correctness: 2, crash: 3 };

export function worstOutcome(outcomes: readonly Outcome[]): Outcome {
  return outcomes.reduce<Outcome>((w, o) => (SEVERITY[o] > SEVERITY[w] ? o : w), 'pass');
}

/** Equal shares of `total` schedules over `count` scenarios: floor(total/count), one more for the first total mod count. */
export function splitSchedules(total: number, count: number): number[] {
  if (!Number.isFinite(total)) return Array.from({ length: count }, () => Number.POSITIVE_INFINITY);
  const each = Math.floor(total / count);
  const extra = total - each * count;
  return Array.from({ length: count }, (_, i) => each + (i < extra ? 1 : 0));
}

/** The default suite's scenario names. */
export function defaultSuite(): string[] {
  return suiteScenarios().map((s) => s.name);
}

/** The directory a scenario's campaign is kept in, inside the suite's. */
export function scenarioDir(suiteDir: string, scenario: string): string {
  return join(suiteDir, scenario.replace(/[^A-Za-z0-9._-]/g, '_'));
}

/** A suite ready to run: scenarios resolved, shares computed, corpus checked. */
export interface PreparedSuite {
  readonly opts: SuiteOptions;
  readonly scenarios: readonly Scenario[];
  /** The scenarios as given (names or scenario files): what a worker thread resolves. */
  readonly args: readonly string[];
  readonly shares: readonly number[];
  readonly manifest: SuiteManifest;
  /** Sliced: slices per campaign and those to run; null unsliced. */
  readonly sliced: { readonly count: number; readonly run: readonly number[] } | null;
  readonly threads: number;
  /** Schedules each campaign (or slice, by `scenario/K`) had run before, from the corpus. */
  readonly before: ReadonlyMap<string, number>;
}

export type SuitePrep =
  | { readonly ok: true; readonly suite: PreparedSuite }
  | { readonly ok: false; readonly reason: string };

function campaignOptions(opts: SuiteOptions, scenario: Scenario, share: number): CampaignOptions {
  return {
    scenario,
    baseSeed: opts.baseSeed ?? 0n,
    schedules: share,
    ...(opts.strategy === undefined ? {} : { strategy: opts.strategy }),
    ...(opts.arms === undefined ? {} : { arms: opts.arms }),
    mutations: [...(opts.mutations ?? [])].sort(),
    ...((opts.designs ?? []).length === 0 ? {} : { designs: opts.designs }),
    ...(opts.maxSteps === undefined ? {} : { maxSteps: opts.maxSteps }),
    faults: opts.faults ?? 'mixed',
    shrink: opts.shrink ?? true,
    ...(opts.shrinkBudgetMs === undefined ? {} : { shrinkBudgetMs: opts.shrinkBudgetMs }),
  };
}

/** Fields of suite.json a resumed suite must agree on (the schedule count may grow or shrink). */
const MANIFEST_FIELDS = [
  'scenarios',
  'baseSeed',
  'strategy',
  'mutations',
  'designs',
  'faults',
  'maxSteps',
  'shards',
] as const;

/** Read a suite.json: none when absent, bad with a one-line reason. */
export function readManifest(
  dir: string,
): { kind: 'none' } | { kind: 'ok'; manifest: SuiteManifest } | { kind: 'bad'; reason: string } {
  const read = readCorpusFile(join(dir, SUITE_FILE));
  if (read.kind !== 'ok') return read;
  const m = read.data as unknown as SuiteManifest;
  if (m.kind !== 'suite' || !Array.isArray(m.scenarios)) {
    return { kind: 'bad', reason: `${join(dir, SUITE_FILE)} is not a suite file` };
  }
  return { kind: 'ok', manifest: m };
}

function manifestMismatch(path: string, have: SuiteManifest, want: SuiteManifest): string | null {
  for (const f of MANIFEST_FIELDS) {
    const a = JSON.stringify(have[f] ?? null);
    const b = JSON.stringify(want[f] ?? null);
    if (a !== b) return `${path} belongs to another suite (${f} ${a}, this one ${b})`;
  }
  return null;
}

/** Resolve the scenarios, split the schedules, check the corpus: everything a bad input can break. */
export function prepareSuite(opts: SuiteOptions): SuitePrep {
  const names = opts.scenarios ?? defaultSuite();
  if (names.length === 0) return { ok: false, reason: 'a suite needs at least one scenario' };
  const scenarios: Scenario[] = [];
  for (const n of names) {
    const r = resolveScenario(n);
    if (!r.ok) return { ok: false, reason: r.reason };
    scenarios.push(r.scenario);
  }
  const seen = new Set<string>();
  for (const s of scenarios) {
    if (seen.has(s.name)) return { ok: false, reason: `scenario ${s.name} is in the suite twice` };
    seen.add(s.name);
  }
  const shares = splitSchedules(opts.schedules, scenarios.length);
  const count = opts.shards ?? (opts.workers !== undefined && opts.workers > 0 ? opts.workers : undefined);
  if (count !== undefined && (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS)) {
    return { ok: false, reason: `the shard count must be in 1..${MAX_SHARDS}, got ${count}` };
  }
  const run = opts.runShards ?? (count === undefined ? [] : Array.from({ length: count }, (_, k) => k));
  if (count === undefined && opts.runShards !== undefined) {
    return { ok: false, reason: 'runShards needs a shard count (shards)' };
  }
  if (count !== undefined && run.some((k) => !Number.isInteger(k) || k < 0 || k >= count)) {
    return { ok: false, reason: `slices are numbered 0..${count - 1}, got ${run.join(',')}` };
  }
  const sliced = count === undefined ? null : { count, run: [...new Set(run)].sort((a, b) => a - b) };
  const first = campaignIdentity(campaignOptions(opts, scenarios[0]!, shares[0]!));
  const manifest: SuiteManifest = {
    format: SUITE_FORMAT,
    kind: 'suite',
    scenarios: scenarios.map((s) => s.name),
    schedules: Number.isFinite(opts.schedules) ? opts.schedules : null,
    baseSeed: first.baseSeed,
    strategy: first.strategy,
    mutations: first.mutations,
    ...(first.designs === undefined ? {} : { designs: first.designs }),
    faults: first.faults,
    maxSteps: opts.maxSteps ?? null,
    shards: sliced?.count ?? null,
  };
  const before = new Map<string, number>();
  const dir = opts.corpusDir;
  if (dir !== undefined) {
    const m = readManifest(dir);
    if (m.kind === 'bad') return { ok: false, reason: m.reason };
    if (m.kind === 'ok') {
      const why = manifestMismatch(join(dir, SUITE_FILE), m.manifest, manifest);
      if (why !== null)
        return { ok: false, reason: `${why}; use another --corpus directory or the same options` };
    }
    for (const [i, s] of scenarios.entries()) {
      const id = campaignIdentity(campaignOptions(opts, s, shares[i]!));
      const sdir = scenarioDir(dir, s.name);
      for (const k of sliced === null ? [undefined] : sliced.run) {
        const slice = k === undefined || sliced === null ? undefined : { index: k, count: sliced.count };
        const loaded = loadCampaign(sdir, id, slice);
        if (loaded.kind === 'bad') return { ok: false, reason: loaded.reason };
        if (loaded.kind === 'ok') before.set(sliceKey(s.name, k), loaded.state.next);
      }
    }
  }
  const threads = sliced === null ? 0 : Math.min(opts.workers ?? 0, sliced.run.length * scenarios.length);
  return {
    ok: true,
    suite: {
      opts,
      scenarios,
      args: names,
      shares,
      manifest,
      sliced,
      threads,
      before,
    },
  };
}

function sliceKey(scenario: string, shard: number | undefined): string {
  return shard === undefined ? scenario : `${scenario}/${shard}`;
}

/**
 * Run a suite: prepare it (a bad input or corpus rejects with its reason), run every campaign, and
 * return the combined report, what the call measured and the exit code.
 */
export async function runSuite(opts: SuiteOptions): Promise<SuiteResult> {
  const prep = prepareSuite(opts);
  if (!prep.ok) throw new Error(prep.reason);
  return runPrepared(prep.suite);
}

/** Run a prepared suite. */
export async function runPrepared(suite: PreparedSuite): Promise<SuiteResult> {
  const { opts } = suite;
  if (opts.corpusDir !== undefined) {
    mkdirSync(opts.corpusDir, { recursive: true });
    writeAtomic(join(opts.corpusDir, SUITE_FILE), `${JSON.stringify(suite.manifest)}\n`);
  }
  return suite.sliced === null ? runUnsliced(suite) : runSliced(suite, suite.sliced);
}

function exitCodeOf(worst: Outcome, stopped: StopReason): number {
  if (worst !== 'pass') return EXIT_CODE[worst];
  return stopped === 'interrupted' ? 130 : EXIT_CODE.pass;
}

function outcomeOf(state: CampaignState | null): Outcome {
  return worstOutcome((state?.failures ?? []).map((f) => f.kind));
}

function reportOf(
  manifest: SuiteManifest,
  slicesRun: readonly number[] | null,
  campaigns: readonly SuiteCampaign[],
): SuiteReport {
  const worst = worstOutcome(campaigns.map((c) => c.outcome));
  return {
    manifest,
    slicesRun,
    campaigns,
    ran: campaigns.reduce((a, c) => a + (c.state?.next ?? 0), 0),
    failures: campaigns.reduce((a, c) => a + (c.state?.failures.length ?? 0), 0),
    worst,
    complete: campaigns.every((c) => c.complete),
  };
}

/** The stop reason of several: an interruption first, then the time budget, the failure limit, done. */
function stopOf(reasons: readonly StopReason[]): StopReason {
  for (const r of ['interrupted', 'time-budget', 'failures'] as const) if (reasons.includes(r)) return r;
  return 'done';
}

/** Every campaign on this thread, one after another, each in DIR/<scenario>/campaign.json. */
async function runUnsliced(suite: PreparedSuite): Promise<SuiteResult> {
  const { opts, scenarios, shares } = suite;
  const now = opts.now ?? wallClock;
  const start = now();
  const deadline = opts.timeBudgetMs === undefined ? undefined : start + opts.timeBudgetMs;
  const total = shares.reduce((a, b) => a + b, 0);
  const campaigns: SuiteCampaign[] = [];
  const reasons: StopReason[] = [];
  let doneBefore = 0;
  let failures = 0;
  let ranNow = 0;
  let resumed = 0;
  const stop = () => opts.signal?.aborted === true;
  for (let i = 0; i < scenarios.length; i++) {
    const scenario = scenarios[i]!;
    const share = shares[i]!;
    const cOpts = campaignOptions(opts, scenario, share);
    const dir = opts.corpusDir === undefined ? undefined : scenarioDir(opts.corpusDir, scenario.name);
    const shareOf = Number.isFinite(share) ? share : null;
    if (stop()) {
      // Not started: what its corpus holds, if anything (no calibration after a stop).
      const id = campaignIdentity(cOpts);
      const loaded = dir === undefined ? ({ kind: 'none' } as const) : loadCampaign(dir, id);
      const state = loaded.kind === 'ok' ? loaded.state : null;
      campaigns.push({
        scenario: scenario.name,
        share: shareOf,
        state,
        identity: state === null ? null : id,
        maxSteps: state === null ? null : campaignMaxSteps(cOpts, state.calibration),
        slices: null,
        complete: state !== null && shareOf !== null && state.next >= shareOf,
        outcome: outcomeOf(state),
      });
      doneBefore += state?.next ?? 0;
      continue;
    }
    const prepared = prepareCampaign(cOpts, dir);
    if (!prepared.ok) throw new Error(prepared.reason);
    const left =
      deadline === undefined ? undefined : Math.max(0, (deadline - now()) / (scenarios.length - i));
    const r = await fuzz(left === undefined ? cOpts : { ...cOpts, timeBudgetMs: left }, prepared, {
      ...(dir === undefined ? {} : { corpusDir: dir }),
      progressMs: opts.progressMs ?? 250,
      onProgress: (state) => {
        opts.onProgress?.({
          scenario: scenario.name,
          done: doneBefore + state.next,
          total,
          failures: failures + state.failures.length,
          elapsedMs: now() - start,
        });
      },
      onFailure: (f) => opts.onFailure?.(scenario.name, f, null),
      stopRequested: stop,
      now,
    });
    reasons.push(r.stopped);
    ranNow += r.ranNow;
    resumed += r.resumedAt;
    doneBefore += r.state.next;
    failures += r.state.failures.length;
    campaigns.push({
      scenario: scenario.name,
      share: shareOf,
      state: r.state,
      identity: r.identity,
      maxSteps: r.maxSteps,
      slices: null,
      complete: shareOf !== null && r.state.next >= shareOf,
      outcome: outcomeOf(r.state),
    });
  }
  const elapsedMs = now() - start;
  opts.onProgress?.({ scenario: scenarios.at(-1)!.name, done: doneBefore, total, failures, elapsedMs });
  const report = reportOf(suite.manifest, null, campaigns);
  const stopped = stop() ? 'interrupted' : stopOf(reasons);
  return {
    report,
    run: { stopped, ranNow, resumed, elapsedMs, threads: 0 },
    exitCode: exitCodeOf(report.worst, stopped),
  };
}

/** The slices of every campaign, on this thread or a pool; each scenario's slices merged. */
async function runSliced(
  suite: PreparedSuite,
  sliced: { readonly count: number; readonly run: readonly number[] },
): Promise<SuiteResult> {
  const { opts, scenarios, shares } = suite;
  const stop = new SharedArrayBuffer(4);
  const flag = new Int32Array(stop);
  const onAbort = () => Atomics.store(flag, 0, 1);
  if (opts.signal?.aborted === true) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const start = wallClock();
  const tasks: ShardTask[] = scenarios.flatMap((s, i) =>
    sliced.run.map((index): ShardTask => {
      const c = campaignOptions(opts, s, shares[i]!);
      return {
        scenario: suite.args[i]!,
        baseSeed: c.baseSeed.toString(),
        schedules: Number.isFinite(c.schedules) ? c.schedules : null,
        ...(c.strategy === undefined ? {} : { strategy: c.strategy }),
        ...(c.arms === undefined ? {} : { arms: c.arms }),
        mutations: c.mutations ?? [],
        ...(c.designs === undefined ? {} : { designs: c.designs }),
        ...(c.maxSteps === undefined ? {} : { maxSteps: c.maxSteps }),
        faults: c.faults ?? 'mixed',
        shrink: c.shrink ?? true,
        shard: { index, count: sliced.count },
        ...(opts.corpusDir === undefined ? {} : { corpusDir: scenarioDir(opts.corpusDir, s.name) }),
        // Each slice gets its part of the budget from when it starts, none runs past the deadline.
        ...(opts.timeBudgetMs === undefined
          ? {}
          : {
              deadlineMs: start + opts.timeBudgetMs,
              budgetMs: Math.floor(
                (opts.timeBudgetMs * Math.max(1, suite.threads)) / (sliced.run.length * scenarios.length),
              ),
            }),
        stop,
      };
    }),
  );
  const total = scenarios.reduce(
    (a, _s, i) =>
      a +
      sliced.run.reduce(
        (b, index) => b + sliceSchedules({ schedules: shares[i]!, shard: { index, count: sliced.count } }),
        0,
      ),
    0,
  );
  const done = new Map(suite.before);
  const resumed = [...suite.before.values()].reduce((a, b) => a + b, 0);
  const signatures = new Set<string>();
  const progress = (scenario: string) => {
    const now = wallClock();
    opts.onProgress?.({
      scenario,
      done: [...done.values()].reduce((a, b) => a + b, 0),
      total,
      failures: signatures.size,
      elapsedMs: now - start,
    });
  };
  // The slices' progress, thinned (throttleTime on wall-clock time; every message when progressMs is 0).
  const progressTicks = new Subject<string>();
  const drawn = progressTicks.pipe(thinProgress(opts.progressMs ?? 250)).subscribe(progress);
  const nameOf = new Map(suite.args.map((a, i) => [a, scenarios[i]!.name]));
  const onMessage = (m: ShardMessage) => {
    const name = nameOf.get(m.scenario) ?? m.scenario;
    if (m.type === 'progress') done.set(sliceKey(name, m.shard), m.done);
    else if (m.type === 'failure') {
      signatures.add(`${name} ${m.failure.signature}`);
      opts.onFailure?.(name, m.failure, m.shard);
    }
    progressTicks.next(name);
  };
  let outcomes: ShardOutcome[];
  try {
    if (suite.threads === 0) outcomes = await runShardsHere(tasks, { onMessage });
    else {
      const pool: Piscina = createPool('campaign.worker.ts', suite.threads);
      try {
        outcomes = await runShardsOnPool(pool, tasks, { onMessage });
      } finally {
        await pool.destroy();
      }
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    drawn.unsubscribe();
  }
  outcomes.forEach((o, i) => {
    done.set(sliceKey(scenarios[Math.floor(i / sliced.run.length)]!.name, o.record.shard!), o.record.next);
  });
  progress(scenarios.at(-1)!.name);
  const elapsedMs = wallClock() - start;
  const records = new Map<string, OnDisk[]>();
  outcomes.forEach((o, i) => {
    const name = scenarios[Math.floor(i / sliced.run.length)]!.name;
    records.set(name, [...(records.get(name) ?? []), o.record]);
  });
  const merged = mergeSuite(
    suite.manifest,
    scenarios.map((s) => ({ scenario: s.name, records: records.get(s.name) ?? [] })),
  );
  if (!merged.ok) throw new Error(merged.reason);
  const stopped = stopOf(outcomes.map((o) => o.stopped));
  return {
    report: merged.report,
    run: {
      stopped,
      ranNow: outcomes.reduce((a, o) => a + o.ranNow, 0),
      resumed,
      elapsedMs,
      threads: suite.threads,
    },
    exitCode: exitCodeOf(merged.report.worst, stopped),
  };
}

export type SuiteMerge =
  | { readonly ok: true; readonly report: SuiteReport }
  | { readonly ok: false; readonly reason: string };

/**
 * Merge the slices of a sliced suite: per scenario of the manifest, its slices' records (any order;
 * none for a scenario whose slices are all missing). A pure function of the set of records.
 */
export function mergeSuite(
  manifest: SuiteManifest,
  inputs: readonly { readonly scenario: string; readonly records: readonly OnDisk[] }[],
): SuiteMerge {
  const count = manifest.shards ?? 1;
  const shares = splitSchedules(manifest.schedules ?? Number.POSITIVE_INFINITY, manifest.scenarios.length);
  const run = new Set<number>();
  const campaigns: SuiteCampaign[] = [];
  for (const [i, name] of manifest.scenarios.entries()) {
    const records = inputs.find((x) => x.scenario === name)?.records ?? [];
    const share = Number.isFinite(shares[i]!) ? shares[i]! : null;
    if (records.length === 0) {
      campaigns.push({
        scenario: name,
        share,
        state: null,
        identity: null,
        maxSteps: null,
        slices: { parts: [], missing: Array.from({ length: count }, (_, k) => k) },
        complete: false,
        outcome: 'pass',
      });
      continue;
    }
    for (const r of records) {
      if (r.scenario !== name)
        return { ok: false, reason: `a slice of ${r.scenario} is given as one of ${name}` };
      if (r.shards !== count) {
        return {
          ok: false,
          reason: `slice ${r.shard} of ${r.shards} of ${name} belongs to a suite cut into ${r.shards} slices, not ${count}`,
        };
      }
      if ((r.schedules ?? null) !== share) {
        return {
          ok: false,
          reason: `slices of ${name} have the schedule count ${r.schedules ?? null}, not this suite's share ${share}`,
        };
      }
    }
    const m = mergeShards(records.map((data) => ({ source: `${name} slice ${data.shard}`, data })));
    if (!m.ok) return { ok: false, reason: m.reason };
    const mc: MergedCampaign = m.merged;
    for (const p of mc.parts) run.add(p.shard);
    const maxSteps = campaignMaxSteps(
      manifest.maxSteps === null ? {} : { maxSteps: manifest.maxSteps },
      mc.state.calibration,
    );
    campaigns.push({
      scenario: name,
      share,
      state: mc.state,
      identity: mc.identity,
      maxSteps,
      slices: { parts: mc.parts, missing: mc.missing },
      complete: mc.complete,
      outcome: outcomeOf(mc.state),
    });
  }
  const slicesRun = [...run].sort((a, b) => a - b);
  return { ok: true, report: reportOf(manifest, slicesRun, campaigns) };
}
