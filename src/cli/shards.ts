// Campaigns across cores and machines: `fuzz --workers W [--shards N]` runs all N slices of a campaign
// on a pool of W worker threads, `fuzz --shard K/N` runs slice K on this thread, and `corpus merge
// DIR...` merges the slices' corpus files (src/explore/shard.ts) into one report, wherever they ran.

import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createPool } from '../../workers/pool.ts';
import { EXIT_CODE } from '../engine/types.ts';
import {
  type Calibration,
  type CampaignOptions,
  calibrate,
  type ShardSlice,
  sliceSchedules,
} from '../explore/campaign.ts';
import { exitCodeAfterSignal, type StopSignal, stopSignals$ } from '../explore/campaign_streams.ts';
import { corpusFile, loadCampaign, readCorpusFile } from '../explore/corpus.ts';
import { campaignIdentity, type StopReason } from '../explore/fuzz.ts';
import {
  MAX_SHARDS,
  type MergedCampaign,
  mergeShards,
  SHARD_FILE,
  type ShardInput,
} from '../explore/shard.ts';
import {
  runShardsHere,
  runShardsOnPool,
  type ShardMessage,
  type ShardOutcome,
  type ShardTask,
} from '../explore/shard_run.ts';
import { mergeSuite, readManifest, SUITE_FILE, scenarioDir } from '../explore/suite.ts';
import {
  fmtRate,
  mergedExitCode,
  mergedJson,
  mergedText,
  type RunInfo,
  runJson,
  runLine,
} from './campaign_report.ts';
import { guarded, writeAtomically } from './common.ts';
import { lockCorpus, lockNames } from './corpus_lock.ts';
import { fail } from './errors.ts';
import { checkInputDir, checkOutputDir } from './paths.ts';
import { scenarioSuffix } from './scenario_option.ts';
import { suiteJson, suiteText } from './suite_report.ts';

/** Most worker threads `--workers` takes. */
export const MAX_WORKERS = 256;

export const CORPUS_HELP = `Usage: ttm-sim corpus merge DIR... [--all] [--out DIR] [--json]

Merges the shard files (shard-K-of-N.json) found in the given corpus directories: the slices of one
campaign written by 'fuzz --shard K/N --corpus DIR' on any machine, or by 'fuzz --workers N --corpus DIR'.
Prints the campaign's report, as fuzz prints it: schedules, coverage (the union of the slices'),
goals, and failures (one per signature, the one with the smallest schedule index, counts summed).
The report is the same, byte for byte, whatever order the directories are given in. Shards of other
campaigns (another scenario, seed, strategy, mutations, faults, shard count or schedule count) and a
shard given twice are refused; a subset of the shards is merged, and the report names the missing ones.
  --all             refuse to merge unless every shard 0..N-1 is there
  --out DIR         also copy the shard files into DIR (one directory holding the whole campaign:
                    'fuzz --shard K/N --corpus DIR' resumes any slice from it)
  --json            print the report as one JSON object

The directories of a sliced suite ('fuzz --workers N --corpus DIR' or 'fuzz --shard K/N --corpus DIR'
without --scenario: DIR/suite.json and DIR/NAME/shard-K-of-N.json per scenario) merge the same way,
scenario by scenario, into the suite's report; --out copies suite.json and every scenario's shards.

Exit codes (as fuzz): 0 no failure, 1/3/4 the kind of the first failure (a suite: of the worst), 2 bad
input.`;

/** How a sliced campaign runs: which slices, on how many threads (0: this thread). */
export interface ShardPlan {
  readonly count: number;
  readonly run: readonly number[];
  readonly threads: number;
}

/** The shard plan of `--workers`, `--shards` and `--shard`; undefined for an unsliced campaign. */
export function shardPlan(
  workers: number | undefined,
  shards: number | undefined,
  shard: ShardSlice | undefined,
): ShardPlan | undefined {
  if (shard !== undefined) {
    if (workers !== undefined || shards !== undefined) {
      fail(
        "--shard K/N runs one slice on this thread; it takes neither --workers nor --shards (run the other slices elsewhere and merge them with 'ttm-sim corpus merge')",
      );
    }
    return { count: shard.count, run: [shard.index], threads: 0 };
  }
  if (workers === undefined && shards === undefined) return undefined;
  if (workers !== undefined && workers > MAX_WORKERS) {
    fail(`--workers must be at most ${MAX_WORKERS}, got "${workers}"`);
  }
  if (shards !== undefined && shards > MAX_SHARDS) {
    fail(`--shards must be at most ${MAX_SHARDS}, got "${shards}"`);
  }
  const count = shards ?? workers!;
  const threads = Math.min(count, workers ?? Math.max(1, availableParallelism()));
  return { count, run: Array.from({ length: count }, (_, k) => k), threads };
}

/** Shard files in `dir` of another shard count than `count` (they would not merge with these). */
function otherShardFiles(dir: string, count: number): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => {
    const m = SHARD_FILE.exec(n);
    return m !== null && Number(m[2]) !== count;
  });
}

function progressLine(done: number, total: number, rate: number, failures: number, threads: number): string {
  const finite = Number.isFinite(total);
  const width = 24;
  const filled = finite ? Math.min(width, Math.round((done / total) * width)) : 0;
  const bar = finite ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` : '';
  const where = threads === 0 ? 'main thread' : `${threads} worker${threads === 1 ? '' : 's'}`;
  return `${bar}${done}${finite ? `/${total}` : ''} schedules  ${fmtRate(rate)}/s  ${failures} failure(s)  ${where}`;
}

/**
 * Run the slices of a campaign as `plan` says, print the merged report of the slices run and return
 * the exit code. `scenarioArg` is what `--scenario` said (the worker threads resolve it again).
 */
export async function fuzzSharded(
  opts: CampaignOptions,
  scenarioArg: string,
  plan: ShardPlan,
  corpusDir: string | undefined,
  json: boolean,
): Promise<number> {
  const identity = campaignIdentity(opts);
  if (corpusDir !== undefined) {
    const other = otherShardFiles(corpusDir, plan.count);
    if (other.length > 0) {
      fail(
        `--corpus: ${join(corpusDir, other[0]!)} is a shard of a campaign cut into another number of shards than ${plan.count}; use another --corpus directory or the same shard count`,
      );
    }
  }
  // Resume what the corpus holds; calibrate once for the slices that start afresh (all alike).
  const before = new Map<number, number>();
  for (const k of plan.run) {
    if (corpusDir === undefined) break;
    const loaded = loadCampaign(corpusDir, identity, { index: k, count: plan.count });
    if (loaded.kind === 'bad') fail(`--corpus: ${loaded.reason}`);
    if (loaded.kind === 'ok') before.set(k, loaded.state.next);
  }
  const calibration: Calibration | undefined =
    before.size === plan.run.length
      ? undefined
      : calibrate(opts.scenario, opts.baseSeed, identity.mutations, identity.designs ?? [], opts.maxSteps);
  const stop = new SharedArrayBuffer(4);
  const start = Date.now();
  const tasks: ShardTask[] = plan.run.map((index) => ({
    scenario: scenarioArg,
    baseSeed: opts.baseSeed.toString(),
    schedules: Number.isFinite(opts.schedules) ? opts.schedules : null,
    ...(opts.strategy === undefined ? {} : { strategy: opts.strategy }),
    ...(opts.arms === undefined ? {} : { arms: opts.arms }),
    mutations: identity.mutations,
    ...(identity.designs === undefined ? {} : { designs: identity.designs }),
    ...(opts.maxSteps === undefined ? {} : { maxSteps: opts.maxSteps }),
    faults: opts.faults ?? 'mixed',
    shrink: opts.shrink ?? true,
    shard: { index, count: plan.count },
    ...(calibration === undefined ? {} : { calibration }),
    ...(corpusDir === undefined ? {} : { corpusDir }),
    // More slices than threads: each gets its part of the budget from when it starts, so slices that
    // wait for a thread still run; none runs past the campaign's deadline.
    ...(opts.timeBudgetMs === undefined
      ? {}
      : {
          deadlineMs: start + opts.timeBudgetMs,
          budgetMs: Math.floor((opts.timeBudgetMs * Math.max(1, plan.threads)) / plan.run.length),
        }),
    stop,
  }));

  const tty = process.stderr.isTTY === true;
  const resumed = [...before.values()].reduce((a, b) => a + b, 0);
  const done = new Map(before);
  const signatures = new Set<string>();
  let lastLine = start;
  const total = plan.run.reduce(
    (a, index) => a + sliceSchedules({ schedules: opts.schedules, shard: { index, count: plan.count } }),
    0,
  );
  const draw = (final: boolean) => {
    const now = Date.now();
    if (!final && now - lastLine < (tty ? 250 : 10_000)) return;
    lastLine = now;
    const n = [...done.values()].reduce((a, b) => a + b, 0);
    const ms = now - start;
    const line = progressLine(
      n,
      total,
      ms > 0 ? ((n - resumed) * 1000) / ms : 0,
      signatures.size,
      plan.threads,
    );
    process.stderr.write(tty ? `\r${line}\u001b[K${final ? '\n' : ''}` : `${line}\n`);
  };
  const onMessage = (m: ShardMessage) => {
    if (m.type === 'progress') done.set(m.shard, m.done);
    else if (m.type === 'failure') {
      signatures.add(m.failure.signature);
      const f = m.failure;
      const msg = `failure ${f.id} at schedule ${f.schedule} (shard ${m.shard}): ${f.message.slice(0, 160)}`;
      process.stderr.write(tty ? `\r${msg}\u001b[K\n` : `${msg}\n`);
    }
    draw(false);
  };
  // SIGINT and SIGTERM raise the slices' stop flag: each saves its corpus file before its next schedule.
  let signal: StopSignal | null = null;
  const stopping = stopSignals$().subscribe((s) => {
    signal = s;
    Atomics.store(new Int32Array(stop), 0, 1);
  });
  let outcomes: ShardOutcome[];
  try {
    if (plan.threads === 0) outcomes = await runShardsHere(tasks, { onMessage });
    else {
      const pool = createPool('campaign.worker.ts', plan.threads);
      try {
        outcomes = await runShardsOnPool(pool, tasks, { onMessage });
      } finally {
        await pool.destroy();
      }
    }
  } finally {
    stopping.unsubscribe();
  }
  for (const o of outcomes) done.set(o.record.shard!, o.record.next);
  draw(true);
  const elapsedMs = Date.now() - start;

  const inputs: ShardInput[] = outcomes.map((o) => ({
    source:
      corpusDir === undefined
        ? `shard ${o.record.shard}`
        : join(corpusDir, corpusFile({ index: o.record.shard!, count: plan.count })),
    data: o.record,
  }));
  const merged = mergeShards(inputs);
  if (!merged.ok) throw new Error(merged.reason);
  const info: RunInfo = {
    stopped: stopOf(outcomes.map((o) => o.stopped)),
    ranNow: outcomes.reduce((a, o) => a + o.ranNow, 0),
    resumed,
    elapsedMs,
    threads: plan.threads,
  };
  const files =
    corpusDir === undefined
      ? null
      : plan.run.map((k) => join(corpusDir, corpusFile({ index: k, count: plan.count })));
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ ...mergedJson(merged.merged), run: runJson(info), corpus: files })}\n`,
    );
  } else {
    const lines = [
      mergedText(merged.merged, scenarioSuffix(opts.scenario, scenarioArg)),
      runLine(info, corpusDir !== undefined),
    ];
    if (files !== null) lines.push(`  corpus      ${files.join(', ')}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return exitCodeAfterSignal(mergedExitCode(merged.merged, info.stopped === 'interrupted'), signal);
}

/** The run's stop reason: an interruption first, then the time budget, the failure limit, done. */
function stopOf(reasons: readonly StopReason[]): StopReason {
  for (const r of ['interrupted', 'time-budget', 'failures'] as const) if (reasons.includes(r)) return r;
  return 'done';
}

/**
 * Write the slices `shards` of `count` into `out` holding their locks, as the campaigns that keep them
 * there do (src/cli/corpus_lock.ts): a slice running on `out` is not overwritten under it.
 */
function withOutLocks(out: string, count: number, shards: readonly number[], body: () => void): void {
  const run = [...new Set(shards)].sort((a, b) => a - b);
  const taken = lockCorpus(resolve(out), lockNames({ count, run }));
  if (!taken.ok) fail(`--out: ${taken.reason.replace('--corpus directory', '--out directory')}`);
  try {
    body();
  } finally {
    taken.locks.release();
  }
}

/** The shard files of the corpus directories, read and checked against their names. */
function readShardDirs(dirs: readonly string[]): ShardInput[] {
  const inputs: ShardInput[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (err) {
      fail(`corpus merge: cannot read directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
    const shardNames = names.filter((n) => SHARD_FILE.test(n));
    if (shardNames.length === 0) {
      fail(
        `corpus merge: ${dir} holds no shard files (shard-K-of-N.json); they are written by 'fuzz --shard K/N --corpus DIR' and 'fuzz --workers N --corpus DIR'`,
      );
    }
    inputs.push(...readShardFiles(dir, shardNames));
  }
  return inputs;
}

/** The named shard files of `dir`, read and checked against their names. */
function readShardFiles(dir: string, shardNames: readonly string[]): ShardInput[] {
  return shardNames.map((n) => {
    const path = join(dir, n);
    const read = readCorpusFile(path);
    if (read.kind === 'none') fail(`corpus merge: ${path} disappeared while reading`);
    if (read.kind === 'bad') fail(`corpus merge: ${read.reason}`);
    const m = SHARD_FILE.exec(n)!;
    if (read.data.shard !== Number(m[1]) || read.data.shards !== Number(m[2])) {
      fail(
        `corpus merge: ${path} holds shard ${read.data.shard} of ${read.data.shards}, not the one its name says; give it back its name`,
      );
    }
    return { source: path, data: read.data };
  });
}

/**
 * Merge the corpus directories of a sliced suite (each with its suite.json): per scenario, the shard
 * files of DIR/<scenario>/ of every directory; print the suite's report. Returns the exit code.
 */
function mergeSuiteDirs(
  dirs: readonly string[],
  all: boolean,
  out: string | undefined,
  json: boolean,
): number {
  const manifests = [...dirs].sort().map((dir) => {
    const m = readManifest(dir);
    if (m.kind === 'none') {
      fail(
        `corpus merge: ${dir} holds no ${SUITE_FILE} while another directory holds a suite; merge the directories of one suite`,
      );
    }
    if (m.kind === 'bad') fail(`corpus merge: ${m.reason}`);
    return { dir, manifest: m.manifest };
  });
  const ref = manifests[0]!;
  for (const x of manifests.slice(1)) {
    const a = JSON.stringify(x.manifest);
    const b = JSON.stringify(ref.manifest);
    if (a !== b) {
      fail(
        `corpus merge: ${join(x.dir, SUITE_FILE)} records another suite than ${join(ref.dir, SUITE_FILE)} (${a}, not ${b}); merge the directories of one suite`,
      );
    }
  }
  const manifest = ref.manifest;
  if (manifest.shards === null) {
    fail(
      `corpus merge: ${ref.dir} holds an unsliced suite (one campaign.json per scenario), there is nothing to merge; 'ttm-sim fuzz --corpus ${ref.dir}' with the same options prints its report`,
    );
  }
  const inputs = manifest.scenarios.map((scenario) => {
    const found: ShardInput[] = [];
    for (const dir of dirs) {
      const sdir = scenarioDir(dir, scenario);
      let names: string[];
      try {
        names = readdirSync(sdir).sort();
      } catch {
        continue;
      }
      found.push(
        ...readShardFiles(
          sdir,
          names.filter((n) => SHARD_FILE.test(n)),
        ),
      );
    }
    return { scenario, found };
  });
  const merged = mergeSuite(
    manifest,
    inputs.map((x) => ({ scenario: x.scenario, records: x.found.map((f) => f.data) })),
  );
  if (!merged.ok) fail(`corpus merge: ${merged.reason}`);
  const r = merged.report;
  if (all) {
    const short = r.campaigns.filter((c) => (c.slices?.missing.length ?? 0) > 0);
    if (short.length > 0) {
      fail(
        `corpus merge: slices missing: ${short.map((c) => `${c.scenario} ${c.slices!.missing.join(',')}`).join('; ')} of ${manifest.shards}; merge every slice's directory, or drop --all`,
      );
    }
  }
  const sources = [...dirs].sort();
  if (out !== undefined) {
    const written = inputs.flatMap((x) => x.found.map((f) => f.data.shard!));
    withOutLocks(out, manifest.shards ?? 1, written, () => {
      writeAtomically(join(out, SUITE_FILE), `${JSON.stringify(manifest)}\n`);
      for (const x of inputs) {
        for (const f of x.found) {
          const file = corpusFile({ index: f.data.shard!, count: f.data.shards! });
          writeAtomically(
            join(scenarioDir(out, x.scenario), file),
            `${JSON.stringify(f.data)}\n`,
            '--out',
            true,
          );
        }
      }
    });
  }
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...suiteJson(r), sources, out: out ?? null })}\n`);
  } else {
    const lines = [suiteText(r), `  merged      ${sources.join(', ')}`];
    if (out !== undefined) lines.push(`  written     ${out}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return r.worst === 'pass' ? EXIT_CODE.pass : EXIT_CODE[r.worst];
}

function missingText(m: MergedCampaign): string {
  const s = m.missing.length === 1 ? '' : 's';
  return `corpus merge: shard${s} ${m.missing.join(',')} of ${m.shards} missing (have ${m.parts.map((p) => p.shard).join(',')}); merge every shard's directory, or drop --all`;
}

export function cmdCorpus(args: string[]): number {
  const { values, positionals } = guarded('corpus', () =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        all: { type: 'boolean' },
        out: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help) {
    process.stdout.write(`${CORPUS_HELP}\n`);
    return 0;
  }
  const [sub, ...dirs] = positionals;
  if (sub !== 'merge') {
    fail(
      `corpus: expected the subcommand merge, got ${sub === undefined ? 'nothing' : `"${sub}"`}; see 'ttm-sim corpus --help'`,
    );
  }
  if (dirs.length === 0) {
    fail(
      'corpus merge: no directory given; usage: ttm-sim corpus merge DIR... (the corpus directories of the shards)',
    );
  }
  for (const d of dirs) checkInputDir('corpus merge', d);
  if (values.out !== undefined) checkOutputDir('--out', values.out);
  const suites = dirs.filter((d) => existsSync(join(d, SUITE_FILE)));
  if (suites.length > 0) return mergeSuiteDirs(dirs, values.all === true, values.out, values.json === true);
  const inputs = readShardDirs(dirs);
  const merged = mergeShards(inputs);
  if (!merged.ok) fail(`corpus merge: ${merged.reason}`);
  const m = merged.merged;
  if (values.all === true && m.missing.length > 0) fail(missingText(m));
  const sources = inputs.map((x) => x.source).sort();
  const out = values.out;
  if (out !== undefined) {
    withOutLocks(
      out,
      m.shards,
      inputs.map((x) => x.data.shard!),
      () => {
        for (const x of inputs) {
          const file = corpusFile({ index: x.data.shard!, count: x.data.shards! });
          writeAtomically(join(out, file), `${JSON.stringify(x.data)}\n`, '--out');
        }
      },
    );
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ ...mergedJson(m), sources, out: values.out ?? null })}\n`);
  } else {
    const lines = [mergedText(m), `  merged      ${sources.join(', ')}`];
    if (values.out !== undefined) lines.push(`  written     ${values.out}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return mergedExitCode(m, false);
}
