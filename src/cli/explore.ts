// The race-hunting commands: fuzz (campaigns), shrink (minimise a failing token), mutations (the bug
// catalogue), and the fault options of `run`.

import { parseArgs } from 'node:util';
import { tap } from 'rxjs';
import { Rng } from '../engine/prng.ts';
import type { StrategyName, StrategyParams } from '../engine/strategy.ts';
import type { TraceLine } from '../engine/trace.ts';
import { EXIT_CODE } from '../engine/types.ts';
import {
  CAMPAIGN_FAULTS,
  type CampaignFaults,
  type CampaignOptions,
  type CampaignState,
  calibrate,
  campaignMaxSteps,
  pctMissBounds,
} from '../explore/campaign.ts';
import { SIGNAL_EXIT_CODE, type StopSignal, stopSignals$ } from '../explore/campaign_streams.ts';
import { CORPUS_FILE } from '../explore/corpus.ts';
import { drawTargets, drawUniform, FAULT_MODES, type FaultMode, type FaultPlan } from '../explore/faults.ts';
import { type FuzzResult, fuzz, prepareCampaign } from '../explore/fuzz.ts';
import { MUTATIONS } from '../explore/mutations.ts';
import { runScenario } from '../explore/run.ts';
import { parseShard } from '../explore/shard.ts';
import { shrink } from '../explore/shrink.ts';
import type { Scenario } from '../sim/scenario.ts';
import { SCENARIOS, suiteScenarios } from '../sim/scenarios/index.ts';
import { faultSitesJson, fmtRate, stateLines } from './campaign_report.ts';
import { codeCoverageArg, withCodeCoverage } from './code_coverage.ts';
import {
  decodedRunOptions,
  designOptions,
  guarded,
  label,
  mutationOptions,
  parseSeed,
  runDecoded,
  scenarioByName,
  strategyOption,
  writeAtomically,
} from './common.ts';
import { lockCorpus, lockNames } from './corpus_lock.ts';
import { fail } from './errors.ts';
import { checkOutputDir, checkOutputFile } from './paths.ts';
import { decodeWith, SCENARIO_HELP, SCENARIO_OPTION, scenarioSuffix } from './scenario_option.ts';
import { fuzzSharded, shardPlan } from './shards.ts';
import { fuzzSuite } from './suite.ts';

export const DEFAULT_SCHEDULES = 1000;

export const FUZZ_HELP = `Usage: ttm-sim fuzz [--scenario NAME]... [--schedules N | --time-budget T] [--strategy S]
                    [--mutation M]... [--faults F] [--seed B] [--corpus DIR] [--no-shrink] [--json]
                    [--workers W [--shards N] | --shard K/N]

Runs many schedules of a scenario, or of every scenario of a suite, looking for one that breaks a
check, and reports what it found.
  --scenario NAME   built-in scenario or scenario file (see 'ttm-sim scenarios'). Without it: the
                    default suite, every built-in scenario expected to pass (all but
                    ${SCENARIOS.filter((s) => s.expect === 'fail')
                      .map((s) => s.name)
                      .join(' and ')}, which fail by design).
                    Repeated: a suite of the scenarios named
  --schedules N     schedules to run (default ${DEFAULT_SCHEDULES}); a suite splits them in equal shares
  --time-budget T   stop after T of wall-clock time (e.g. 90s, 10m, 1h) even if N is not reached;
                    given alone, N is unlimited
  --strategy S      one strategy for every schedule (see 'ttm-sim run --help'), or cover (coverage-
                    guided mutation of tapes alone); by default a portfolio:
                    schedule i takes random, pct:1, pct:2, pct:3, pos or coverage-guided mutation of
                    tapes in turn (PCT's k is measured by a calibration pass of 8 schedules)
  --mutation M      switch on a bug from the catalogue, NAME or NAME=VALUE (repeatable; see
                    'ttm-sim mutations'); the campaign should then find it
  --design D        run every schedule under a design, NAME or NAME:KEY=VALUE (repeatable; see
                    'ttm-sim designs'); its tokens carry it
  --max-steps N     steps a schedule may take before it counts as not finishing (default: 20 times
                    the longest calibration run, at least 2000); also caps the calibration runs
  --faults F        off, uniform, buggify or mixed (default): where injected faults (ENOMEM in page
                    and resource allocation, IOMMU map errors, backup failures, interrupted restores,
                    signals to interruptible waits, fence timeouts) fire. uniform: 1-3 at positions
                    drawn uniformly over the run; buggify: each fault kind switched on with 1/4, then
                    firing with 1/4; mixed: rounds of six schedules alternate off, uniform, off, buggify.
                    Faults only fire in the first part of a run (the calibrated number of fault
                    sites); the rest is a quiet phase in which every task must still finish.
  --seed B          base seed: schedule i uses seed B+i (default 0)
  --corpus DIR      keep the campaign in DIR/${CORPUS_FILE} (written atomically after every new failure
                    and every 2 s); running the same command again resumes it where it stopped. DIR
                    is created if missing (its parent must exist); while the campaign runs it holds
                    DIR/campaign.lock (a slice: DIR/shard-K-of-N.lock), and a second campaign on it
                    is refused with the holder's pid; a killed campaign's lock is taken over
  --no-shrink       report failures without shrinking them (shrinking takes up to 10 s per failure)
  --json            print the report as one JSON object
  --code-coverage [DIR]  then print the branch and function coverage of src/kernel the campaign
                    reached (V8 coverage through c8; the command runs again in a child process with
                    NODE_V8_COVERAGE set), with every unreached function and branch as file:line;
                    DIR keeps the raw V8 files and kernel-coverage.json. Not with --workers/--shard.
  --workers W       cut the campaign into N slices (--shards, default W) and run them on W worker
                    threads. Slice K runs schedules K, K+N, K+2N, ... (seed B+index), takes the arms
                    and fault rounds in turn within itself, and keeps its own coverage and corpus,
                    so it is a function of the options, K and N alone: the report (coverage unioned,
                    counts summed, each failure kept at its first schedule) is the same for any W
                    and whatever order the slices finish in. With --corpus, slice K is kept in
                    DIR/shard-K-of-N.json and resumes from it.
  --shards N        the number of slices (default W); --shards alone uses a thread per core
  --shard K/N       run slice K (0..N-1) of the campaign alone, on this thread: one job of a CI
                    matrix or a Kubernetes Indexed Job; 'ttm-sim corpus merge DIR...' merges the
                    slices' corpus directories into the campaign's report

A progress line (schedules/s, failures, coverage) goes to stderr. Ctrl-C stops between two schedules and
saves the corpus. Every failure is printed with its token and, shrunk, with a smaller token that still
fails the same way (same check, actor, state and errno). A campaign without failures prints, for PCT
depth d = 1..3, an upper bound on the probability that a depth-d bug was missed.

Sliced campaigns (--workers, --shards, --shard) print the report of the slices run (header 'shards
0,1 of 2'), then what the run measured; the first failure is the one with the smallest schedule index.

A suite runs one campaign per scenario, in suite order. Scenario i of S gets floor(N/S) schedules, one
more for the first N mod S, and the suite's base seed: its campaign is exactly 'fuzz --scenario NAME
--schedules SHARE' with the same options. A time budget is split in time: each scenario gets an equal
part of what is left when it starts. --corpus DIR keeps DIR/suite.json and each campaign in
DIR/NAME/; --workers, --shards and --shard cut every campaign into N slices ('corpus merge' merges a
suite's directories). The report has a line per scenario (schedules run of its share, failures,
coverage, goals reached), the worst outcome, and every failure in full. Its exit code is the worst
outcome's: crash 4, then correctness 1, then liveness 3.

Exit codes: 0 no failure, 1/3/4 the kind of the first failure (correctness, liveness, crash; a suite:
of the worst), 2 bad input, 130 interrupted by Ctrl-C (SIGINT) and 143 by SIGTERM without a failure.
Either signal stops the campaign between two schedules; it saves its corpus and prints its report.`;

export const SHRINK_HELP = `Usage: ttm-sim shrink TOKEN [--budget SECONDS] [--json] [--trace FILE] [--scenario FILE]

Minimises a failing run: drops injected faults and preemptions (points where an actor that could go
on was switched away from) while the failure keeps its signature (check id, actor, actor state, errno).
Prints the shrunk token (it replays the shrunk run exactly), its steps and preemptions, and its trace
with the preemptions marked.
  --budget SECONDS  time for the search (default 10); each candidate run gets the step budget a
                    campaign gives its runs (20 times the longest of 8 calibration runs, at least
                    2000), so a candidate that loses the failure ends there instead of running on
  --json            print one JSON object
  --trace FILE      write the shrunk run's trace JSONL
${SCENARIO_HELP}`;

export const MUTATIONS_HELP = `Usage: ttm-sim mutations [--json]

Lists the mutations: named flags, off by default, that each bring back one historical TTM bug (named by
the upstream fix) or a synthetic calibrator bug with a known probability. Switch one on with
'--mutation NAME' (or NAME=VALUE for those with a parameter) on run or fuzz.`;

export function faultOption(text: string | undefined): FaultMode {
  const mode = FAULT_MODES.find((m) => m === (text ?? 'off'));
  if (mode === undefined) fail(`--faults must be one of ${FAULT_MODES.join(', ')}, got "${text}"`);
  return mode;
}

/**
 * The fault plan of a single run with `mode`, drawn from the seed: uniform positions over the steps an
 * unfaulted run of the same schedule takes, or two-stage firing over the fault sites it reaches.
 */
export function runFaults(
  scenario: Scenario,
  seed: bigint,
  strategy: { strategy: StrategyName; strategyParams?: StrategyParams },
  mutations: readonly string[],
  mode: FaultMode,
  designs: readonly string[] = [],
): FaultPlan | undefined {
  if (mode === 'off') return undefined;
  const probe = runScenario(scenario, {
    seed,
    ...strategy,
    mutations,
    designs,
    oracles: false,
    faults: { kind: 'planned', at: [] },
  });
  const rng = Rng.fromSeed(seed).fork('faults');
  if (mode !== 'uniform') return { kind: 'buggify', rng, window: probe.faultEvaluations };
  const steps = drawUniform(rng, probe.steps);
  const sites = probe.faultSitesEvaluated;
  return sites.length === 0
    ? { kind: 'steps', steps }
    : { kind: 'steps', steps, sites: drawTargets(rng, steps.length, sites) };
}

export function cmdMutations(args: string[]): number {
  const { values } = guarded('mutations', () =>
    parseArgs({ args, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }),
  );
  if (values.help) {
    process.stdout.write(`${MUTATIONS_HELP}\n`);
    return 0;
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(MUTATIONS)}\n`);
    return 0;
  }
  const width = Math.max(...MUTATIONS.map((m) => m.name.length + (m.param === undefined ? 0 : 2)));
  for (const m of MUTATIONS) {
    const name = m.param === undefined ? m.name : `${m.name}=L`;
    const origin = m.kind === 'historical' ? `${m.commit} (${m.year})` : m.kind;
    process.stdout.write(`${name.padEnd(width)}  ${origin}  ${m.title}\n`);
    process.stdout.write(`${''.padEnd(width)}    ${m.change}; found in ${m.scenario} by ${m.detectedBy}\n`);
    if (m.param !== undefined) {
      process.stdout.write(
        `${''.padEnd(width)}    L: ${m.param.meaning} (${m.param.min}..${m.param.max}, default ${m.param.default})\n`,
      );
    }
  }
  return 0;
}

/** A trace line as one readable row: `  12  task:ab  task.run  running → blocked  (+2 effects)`. */
export function traceRow(line: TraceLine, preempted: boolean): string {
  const change = line.from === line.to ? line.to : `${line.from} → ${line.to}`;
  const all = (line.effects ?? []).filter((e) => e.actor !== line.actor || e.event === 'fault');
  // Injected faults first: they are what a reader of a shrunk trace looks for.
  const effects = [
    ...all.filter((e) => e.event === 'fault').map((e) => `FAULT ${String(e.data?.site)} on ${e.actor}`),
    ...all.filter((e) => e.event !== 'fault').map((e) => `${e.actor} ${e.event}`),
  ];
  const more =
    effects.length === 0 ? '' : `  [${effects.slice(0, 3).join('; ')}${effects.length > 3 ? '; …' : ''}]`;
  return `${preempted ? '▶' : ' '}${String(line.step).padStart(5)}  ${line.actor}  ${line.event}  ${change}${more}`;
}

export function cmdShrink(args: string[]): number {
  const { values, positionals } = guarded('shrink', () =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        budget: { type: 'string' },
        json: { type: 'boolean' },
        trace: { type: 'string' },
        ...SCENARIO_OPTION,
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help) {
    process.stdout.write(`${SHRINK_HELP}\n`);
    return 0;
  }
  if (positionals.length > 1) fail(`shrink: expected one TOKEN, got ${positionals.length} arguments`);
  const budget = values.budget === undefined ? 10 : Number(values.budget);
  if (!Number.isFinite(budget) || budget <= 0 || budget > 3600) {
    fail(`--budget must be a number of seconds in (0, 3600], got "${values.budget}"`);
  }
  const d = decodeWith(positionals[0], 'shrink', values.scenario);
  if (values.trace !== undefined) checkOutputFile('--trace', values.trace);
  const t0 = Date.now();
  const before = runDecoded(d, false);
  if (before.failure === null) {
    fail("shrink: this token's run passes; shrink needs the token of a failing run");
  }
  // Candidate runs get the step budget a campaign of this scenario would give its runs (calibrated
  // from 8 runs), so a candidate that loses the failure ends soon instead of after 200,000 steps.
  const calibration = calibrate(d.scenario, d.seed, d.mutations, d.designs);
  const candidateMaxSteps = campaignMaxSteps({}, calibration);
  const s = shrink(
    {
      candidateMaxSteps,
      scenario: d.scenario,
      // The faults as planned even when none fired, so each candidate's faults are its own.
      options: { ...decodedRunOptions(d), faults: { kind: 'planned', at: d.faults } },
    },
    Math.max(0, budget * 1000 - (Date.now() - t0)),
  );
  const ms = Date.now() - t0;
  // The shrunk token must replay to the same signature: check it as a user would.
  const again = runDecoded(decodeWith(s.token, 'shrink', values.scenario), false);
  const replays = again.signature === s.signature;
  if (values.trace !== undefined)
    writeAtomically(values.trace, `${(s.run.trace ?? []).join('\n')}\n`, '--trace');
  const result = {
    signature: s.signature,
    token: s.token,
    replays,
    steps: s.steps,
    stepsBefore: s.stepsBefore,
    preemptions: s.preemptions,
    preemptionsBefore: s.preemptionsBefore,
    preemptionSteps: s.preemptionSteps,
    faults: s.faults,
    faultsBefore: s.faultsBefore,
    omitted: s.omitted,
    omittableBefore: s.omittableBefore,
    tries: s.tries,
    candidateMaxSteps,
    ms,
    timedOut: s.timedOut,
    failure: s.run.failure,
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    const marks = new Set(s.preemptionSteps);
    const lines = (s.run.trace ?? []).map((l) => JSON.parse(l) as TraceLine);
    const out = [
      `ttm-sim shrink: ${d.scenario.name} --seed ${d.seed} --strategy ${label(d.strategy)}`,
      `  failure     ${s.run.failure?.id} at step ${s.run.failure?.step}: ${s.run.failure?.message}`,
      `  signature   ${s.signature}`,
      `  shrunk      ${s.stepsBefore} → ${s.steps} steps, ${s.preemptionsBefore} → ${s.preemptions} preemptions, ${s.faultsBefore} → ${s.faults} faults (${s.tries} runs, ${(ms / 1000).toFixed(1)} s${s.timedOut ? ', budget ran out' : ''})`,
      `  left out    ${s.omitted.length === 0 ? 'nothing' : s.omitted.join(', ')} (of ${s.omittableBefore} tasks and timed signals)`,
      `  replays     ${replays ? 'yes, same signature' : 'NO: the shrunk token fails differently (a simulator bug)'}`,
      `  token       ${s.token}`,
      '',
      `trace of the shrunk run (▶ marks the ${s.preemptions} preemption${s.preemptions === 1 ? '' : 's'}):`,
      ...lines.map((l) => traceRow(l, marks.has(l.step))),
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  }
  return replays ? EXIT_CODE[s.run.outcome] : EXIT_CODE.crash;
}

/** `90s`, `10m`, `1h`, or plain seconds; in ms. */
function parseDuration(text: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)?$/.exec(text);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m?.[2] ?? 's'] ?? 1000;
  const value = m === null ? Number.NaN : Number(m[1]) * unit;
  if (!Number.isFinite(value) || value <= 0) {
    fail(`--time-budget must be a duration such as 90s, 10m or 1h, got "${text}"`);
  }
  return value;
}

function positiveInt(name: string, text: string): number {
  const v = /^[1-9][0-9]{0,9}$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isNaN(v)) fail(`--${name} must be a positive integer, got "${text}"`);
  return v;
}

function progressLine(state: CampaignState, total: number, ms: number): string {
  const rate = ms > 0 ? ((state.next - 0) * 1000) / ms : 0;
  const finite = Number.isFinite(total);
  const width = 24;
  const filled = finite ? Math.min(width, Math.round((state.next / total) * width)) : 0;
  const bar = finite ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` : '';
  const of = finite ? `/${total}` : '';
  return `${bar}${state.next}${of} schedules  ${fmtRate(rate)}/s  ${state.failures.length} failure(s)  coverage ${state.coverage.triples.size} triples, ${state.coverage.pairs.size} pairs`;
}

function reportText(
  opts: CampaignOptions,
  r: FuzzResult,
  corpusDir: string | undefined,
  scenarioArg: string,
): string {
  const s = r.state;
  const secs = r.elapsedMs / 1000;
  const rate = secs > 0 ? r.ranNow / secs : 0;
  const strategy = r.identity.strategy;
  const stop = {
    done: 'all schedules run',
    'time-budget': 'time budget reached',
    failures: 'failure limit reached',
    interrupted: `interrupted${corpusDir === undefined ? '' : ' (run the same command to resume)'}`,
  }[r.stopped];
  const lines = [
    `ttm-sim fuzz ${opts.scenario.name}: ${s.next} schedules${r.resumedAt > 0 ? ` (resumed at ${r.resumedAt})` : ''}, ${r.ranNow} in ${secs.toFixed(1)} s (${fmtRate(rate)} schedules/s), ${strategy}, faults ${opts.faults ?? 'mixed'}, base seed ${opts.baseSeed}`,
    `  stopped     ${stop}`,
  ];
  if ((opts.mutations ?? []).length > 0) lines.push(`  mutations   ${(opts.mutations ?? []).join(', ')}`);
  if ((opts.designs ?? []).length > 0) lines.push(`  designs     ${(opts.designs ?? []).join(', ')}`);
  lines.push(...stateLines(s, r.maxSteps, 'the corpus', scenarioSuffix(opts.scenario, scenarioArg)));
  if (corpusDir !== undefined) lines.push(`  corpus      ${corpusDir}/${CORPUS_FILE}`);
  return lines.join('\n');
}

function reportJson(opts: CampaignOptions, r: FuzzResult): Record<string, unknown> {
  const s = r.state;
  return {
    scenario: opts.scenario.name,
    identity: r.identity,
    stopped: r.stopped,
    schedules: s.next,
    ranNow: r.ranNow,
    resumedAt: r.resumedAt,
    elapsedMs: r.elapsedMs,
    schedulesPerSecond: r.elapsedMs > 0 ? (r.ranNow * 1000) / r.elapsedMs : 0,
    steps: s.steps,
    maxSteps: r.maxSteps,
    calibration: s.calibration,
    arms: s.armRuns,
    armFailures: s.armFailures,
    coverage: { triples: s.coverage.triples.size, pairs: s.coverage.pairs.size, corpus: s.corpus.length },
    faults: { schedules: s.faultRuns, late: s.lateFaultRuns },
    faultSites: faultSitesJson(s),
    sometimes: s.goals,
    failures: s.failures,
    pctMissBound: s.failures.length === 0 ? pctMissBounds(s) : null,
  };
}

export async function cmdFuzz(args: string[]): Promise<number> {
  const measured = codeCoverageArg(args);
  if (measured !== undefined) {
    if (measured.rest.some((a) => /^--(workers|shards?)(=|$)/.test(a)))
      fail('--code-coverage measures this thread: it does not combine with --workers, --shards or --shard');
    if (measured.dir !== undefined) checkOutputDir('--code-coverage', measured.dir);
    return withCodeCoverage(['fuzz', ...measured.rest], measured, () => cmdFuzz([...measured.rest]));
  }
  const { values, positionals } = guarded('fuzz', () =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        scenario: { type: 'string', multiple: true },
        schedules: { type: 'string' },
        'time-budget': { type: 'string' },
        strategy: { type: 'string' },
        mutation: { type: 'string', multiple: true },
        design: { type: 'string', multiple: true },
        'max-steps': { type: 'string' },
        faults: { type: 'string' },
        seed: { type: 'string' },
        corpus: { type: 'string' },
        'no-shrink': { type: 'boolean' },
        json: { type: 'boolean' },
        workers: { type: 'string' },
        shards: { type: 'string' },
        shard: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help) {
    process.stdout.write(`${FUZZ_HELP}\n`);
    return 0;
  }
  if (positionals.length > 0)
    fail(`fuzz: unexpected argument "${positionals[0]}"; see 'ttm-sim fuzz --help'`);
  const faults = CAMPAIGN_FAULTS.find((f) => f === (values.faults ?? 'mixed'));
  if (faults === undefined)
    fail(`--faults must be one of ${CAMPAIGN_FAULTS.join(', ')}, got "${values.faults}"`);
  const budget = values['time-budget'] === undefined ? undefined : parseDuration(values['time-budget']);
  const schedules =
    values.schedules !== undefined
      ? positiveInt('schedules', values.schedules)
      : budget !== undefined
        ? Number.POSITIVE_INFINITY
        : DEFAULT_SCHEDULES;
  const cover = values.strategy === 'cover';
  const strategy = values.strategy === undefined || cover ? undefined : strategyOption(values.strategy);
  const named = values.scenario ?? [];
  // What a campaign of one scenario and a suite take alike (read where each needs it, so the order in
  // which bad options are reported stays the same).
  const common = () => ({
    baseSeed: parseSeed(values.seed ?? '0'),
    schedules,
    ...(budget === undefined ? {} : { timeBudgetMs: budget }),
    ...(strategy === undefined ? {} : { strategy }),
    ...(cover ? { arms: [{ kind: 'cover' } as const] } : {}),
    mutations: mutationOptions(values.mutation),
    ...(values['max-steps'] === undefined ? {} : { maxSteps: positiveInt('max-steps', values['max-steps']) }),
    faults: faults as CampaignFaults,
    shrink: values['no-shrink'] !== true,
  });
  if (named.length !== 1) {
    // No scenario: the default suite, every built-in scenario expected to pass; several: a suite of
    // those (src/cli/suite.ts).
    const slice = values.shard === undefined ? undefined : parseShard(values.shard);
    if (slice !== undefined && !slice.ok) fail(`--shard ${slice.reason}`);
    const members = named.length === 0 ? suiteScenarios() : named.map(scenarioByName);
    const designs = members.map((s) => designOptions(values.design, s))[0] ?? [];
    const suiteOpts = { ...(named.length === 0 ? {} : { scenarios: named }), ...common(), designs };
    mutationOptions(values.mutation, members);
    const suitePlan = shardPlan(
      values.workers === undefined ? undefined : positiveInt('workers', values.workers),
      values.shards === undefined ? undefined : positiveInt('shards', values.shards),
      slice?.ok ? slice.slice : undefined,
    );
    return withCorpusLock(values.corpus, suitePlan, () =>
      fuzzSuite(suiteOpts, suitePlan, values.corpus, values.json === true),
    );
  }
  const scenario = scenarioByName(named[0]!);
  const designs = designOptions(values.design, scenario);
  mutationOptions(values.mutation, [scenario]);
  const opts: CampaignOptions = {
    scenario,
    ...common(),
    ...(designs.length === 0 ? {} : { designs }),
  };
  const corpusDir = values.corpus;
  const slice = values.shard === undefined ? undefined : parseShard(values.shard);
  if (slice !== undefined && !slice.ok) fail(`--shard ${slice.reason}`);
  const plan = shardPlan(
    values.workers === undefined ? undefined : positiveInt('workers', values.workers),
    values.shards === undefined ? undefined : positiveInt('shards', values.shards),
    slice?.ok ? slice.slice : undefined,
  );
  if (plan !== undefined) {
    return withCorpusLock(corpusDir, plan, () =>
      fuzzSharded(opts, named[0]!, plan, corpusDir, values.json === true),
    );
  }
  return withCorpusLock(corpusDir, undefined, () =>
    fuzzOne(opts, corpusDir, values.json === true, named[0]!),
  );
}

/**
 * Run `body` holding the corpus directory's locks (src/cli/corpus_lock.ts): the directory is checked
 * (src/cli/paths.ts) and created when missing, and a campaign already running on it is refused.
 */
async function withCorpusLock(
  corpusDir: string | undefined,
  plan: { readonly count: number; readonly run: readonly number[] } | undefined,
  body: () => Promise<number>,
): Promise<number> {
  if (corpusDir === undefined) return body();
  const dir = checkOutputDir('--corpus', corpusDir);
  const taken = lockCorpus(dir, lockNames(plan));
  if (!taken.ok) fail(`--corpus: ${taken.reason}`);
  try {
    return await body();
  } finally {
    taken.locks.release();
  }
}

/**
 * A campaign of one scenario on this thread, with its progress on stderr and its report on stdout.
 * `scenarioArg` is what `--scenario` said (the report's commands repeat it for a scenario file).
 */
async function fuzzOne(
  opts: CampaignOptions,
  corpusDir: string | undefined,
  json: boolean,
  scenarioArg: string,
): Promise<number> {
  const prepared = prepareCampaign(opts, corpusDir);
  if (!prepared.ok) fail(`--corpus: ${prepared.reason}`);
  const tty = process.stderr.isTTY === true;
  // SIGINT and SIGTERM stop the campaign between two schedules; it saves and reports what it found.
  let signal: StopSignal | null = null;
  const stop$ = stopSignals$().pipe(
    tap((s) => {
      signal = s;
    }),
  );
  let lastLine = 0;
  const r = await fuzz(opts, prepared, {
    ...(corpusDir === undefined ? {} : { corpusDir }),
    progressMs: tty ? 250 : 10_000,
    onProgress: (state, total, ms) => {
      const line = progressLine(state, total, ms);
      if (tty) process.stderr.write(`\r${line}\u001b[K`);
      else if (ms - lastLine >= 10_000 || state.next >= total) process.stderr.write(`${line}\n`);
      lastLine = ms;
    },
    onFailure: (f) => {
      const msg = `failure ${f.id} at schedule ${f.schedule}: ${f.message.slice(0, 160)}`;
      process.stderr.write(tty ? `\r${msg}\u001b[K\n` : `${msg}\n`);
    },
    stop$,
  });
  if (tty) process.stderr.write('\n');
  if (json) process.stdout.write(`${JSON.stringify(reportJson(opts, r))}\n`);
  else process.stdout.write(`${reportText(opts, r, corpusDir, scenarioArg)}\n`);
  const first = r.state.failures[0];
  if (first !== undefined) return EXIT_CODE[first.kind];
  return r.stopped === 'interrupted' ? SIGNAL_EXIT_CODE[signal ?? 'SIGINT'] : EXIT_CODE.pass;
}
