// `ttm-sim verify --scenario S --preemptions P`: every schedule of S with at most P preemptions and F
// faults (src/explore/verify.ts), ending in a certificate or the first counterexample's token; split
// across worker threads (--workers, src/explore/verify_parallel.ts, workers/verify.worker.ts), kept in
// and resumed from a corpus directory (--corpus, src/explore/verify_corpus.ts); progress on stderr.

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Piscina } from 'piscina';
import { createPool } from '../../workers/pool.ts';
import type { VerifyPiece } from '../../workers/verify.worker.ts';
import { scenarioHash, TOKEN_VERSION } from '../engine/token.ts';
import { EXIT_CODE } from '../engine/types.ts';
import { SIGNAL_EXIT_CODE, type StopSignal } from '../explore/campaign_streams.ts';
import {
  progressOf,
  type ScenarioExecution,
  scenarioProgram,
  searchResultOf,
  type VerifyResult,
  verifyResultOf,
} from '../explore/verify.ts';
import {
  loadVerify,
  saveVerify,
  VERIFY_FILE,
  VERIFY_LOCK,
  type VerifyIdentity,
} from '../explore/verify_corpus.ts';
import { type ChunkRunner, type SearchEnd, searchParallel } from '../explore/verify_parallel.ts';
import { sleepSetReduction } from '../explore/verify_por.ts';
import {
  type Bounds,
  type ChunkResult,
  exploreChunk,
  type Frontier,
  initialFrontier,
  levelCount,
  levelOf,
} from '../explore/verify_search.ts';
import { guarded, mutationOptions, parseSeed, scenarioByName } from './common.ts';
import { lockCorpus } from './corpus_lock.ts';
import { fail } from './errors.ts';
import { checkOutputDir } from './paths.ts';
import { VERSION } from './version.ts';

export const PREEMPTIONS_MAX = 10;
export const FAULTS_MAX = 8;
export const WORKERS_MAX = 64;
export const MAX_SCHEDULES_MAX = 1_000_000_000;
/** The corpus is saved this often while the search runs (and whenever it stops). */
const SAVE_EVERY_MS = 5_000;

export const VERIFY_HELP = `Usage: ttm-sim verify --scenario S --preemptions P [--faults F] [--workers W] [--corpus DIR]
                      [--reduce] [--mutation M] [--seed N] [--max-schedules N] [--json]

Runs every schedule of scenario S with at most P preemptions (iterative context bounding) and at most
F failing fault sites: a schedule is the actor picked at each choice between two or more enabled actors
and, with --faults, whether each fault-site evaluation fails ('ttm-sim faults' lists the sites). A pick
preempts when the actor that ran last could have gone on. Schedules with 0 preemptions run first, then
1, and so on, and within one preemption count those with fewer faults first, so the first failing
schedule found has the fewest preemptions of any within the bounds, then the fewest faults.
Prints one of
  certificate      no check failed in any schedule with <= P preemptions and <= F faults, with the
                   scenario hash, the model version, the schedules run (per preemption count and per
                   fault count), the schedules pruned, the bounds and the time taken;
  counterexample   the first failing schedule as a token, its failing fault sites included ('ttm-sim
                   replay TOKEN', 'ttm-sim shrink TOKEN');
  incomplete       --max-schedules stopped the search first: no certificate;
  interrupted      Ctrl-C (SIGINT) or SIGTERM stopped it; with --corpus, run the same command to resume.
  --scenario S       a built-in scenario or a scenario file (FILE.json)
  --preemptions P    the preemption bound, 0..${PREEMPTIONS_MAX}
  --faults F         the fault bound, 0..${FAULTS_MAX} (default 0: no fault site fails): each fault-site
                     evaluation is a choice, fail or not, at most F failing in a schedule (a run with
                     k evaluations has 1 + k variants at F = 1)
  --workers W        split the search across W worker threads (1..${WORKERS_MAX}, default 1); the verdict,
                     the counts and the counterexample are the same whatever W is
  --corpus DIR       keep the search in DIR/${VERIFY_FILE} (written atomically every few seconds and when it
                     stops) and resume from it: the same command continues where the last one stopped,
                     with the result an uninterrupted search has; a search with other options (scenario,
                     seed, mutations, bounds) or of another model version is refused, naming the field
  --reduce           skip schedules that only reorder independent steps (sleep sets under the bound:
                     each step's reads and writes are recorded, which makes a run several times
                     slower); the pruned count is reported; a certificate covers the same schedules
  --mutation M       switch a catalogue mutation on (repeatable; 'ttm-sim mutations')
  --seed N           the workload's seed, what the scenario draws when it is built (default 0); the
                     schedules are the search's, not the seed's
  --max-schedules N  stop once N schedules ran in all (1..${MAX_SCHEDULES_MAX}; default: no limit)
  --json             print one JSON object
Progress goes to stderr: schedules run, per preemption count, the rate, and an estimate of the
schedules the preemption count being explored will have (the mean subtree of its prefixes started so
far times its prefixes) with the time it would take at the current rate.
The exit code is 0 for a certificate or an incomplete search, the counterexample's otherwise
(1 correctness, 3 liveness, 4 crash); 2 bad input; 130 (SIGINT) or 143 (SIGTERM) when interrupted.`;

/** A decimal integer in [min, max], or bad input naming the option. */
function intOption(name: string, text: string, min: number, max: number, meaning: string): number {
  const v = /^(0|[1-9][0-9]{0,9})$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isNaN(v) || v < min || v > max) {
    fail(`--${name} must be an integer in ${min}..${max} (${meaning}), got "${text}"`);
  }
  return v;
}

type Verdict = 'certificate' | 'counterexample' | 'incomplete' | 'interrupted';

function verdictOf(r: VerifyResult, interrupted: boolean): Verdict {
  if (r.counterexample !== null) return 'counterexample';
  if (r.complete) return 'certificate';
  return interrupted ? 'interrupted' : 'incomplete';
}

export async function cmdVerify(args: string[]): Promise<number> {
  const { values, positionals } = guarded('verify', () =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        scenario: { type: 'string' },
        preemptions: { type: 'string' },
        faults: { type: 'string' },
        workers: { type: 'string' },
        corpus: { type: 'string' },
        mutation: { type: 'string', multiple: true },
        seed: { type: 'string' },
        'max-schedules': { type: 'string' },
        reduce: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help) {
    process.stdout.write(`${VERIFY_HELP}\n`);
    return 0;
  }
  if (positionals.length > 0)
    fail(`verify: unexpected argument "${positionals[0]}"; see 'ttm-sim verify --help'`);
  if (values.scenario === undefined) fail("verify: --scenario S is required; see 'ttm-sim verify --help'");
  if (values.preemptions === undefined)
    fail("verify: --preemptions P is required; see 'ttm-sim verify --help'");
  const preemptions = intOption(
    'preemptions',
    values.preemptions,
    0,
    PREEMPTIONS_MAX,
    'the most preemptions a schedule may have',
  );
  const faults =
    values.faults === undefined
      ? 0
      : intOption('faults', values.faults, 0, FAULTS_MAX, 'the most fault sites a schedule may fail');
  const workers =
    values.workers === undefined
      ? 1
      : intOption('workers', values.workers, 1, WORKERS_MAX, 'worker threads to split the search across');
  const maxSchedules =
    values['max-schedules'] === undefined
      ? undefined
      : intOption('max-schedules', values['max-schedules'], 1, MAX_SCHEDULES_MAX, 'schedules to run at most');
  const seed = values.seed === undefined ? 0n : parseSeed(values.seed);
  const scenario = scenarioByName(values.scenario);
  const mutations = mutationOptions(values.mutation, [scenario]);
  const bounds: Bounds = { preemptions, faults };
  const id: VerifyIdentity = {
    scenario: scenario.name,
    scenarioHash: scenarioHash(scenario.config),
    modelVersion: VERSION,
    tokenVersion: TOKEN_VERSION,
    seed: seed.toString(),
    mutations,
    preemptions,
    faults,
    reduce: values.reduce === true,
  };
  const input = { scenario, seed, mutations, preemptions, faults, reduce: id.reduce };

  let dir: string | undefined;
  let release = () => {};
  if (values.corpus !== undefined) {
    dir = checkOutputDir('--corpus', values.corpus);
    const taken = lockCorpus(dir, [VERIFY_LOCK]);
    if (!taken.ok) fail(`--corpus: ${taken.reason.replace('the campaign of', 'the search of')}`);
    release = () => taken.locks.release();
  }
  try {
    let start = initialFrontier(bounds);
    let secondsBefore = 0;
    if (dir !== undefined) {
      const loaded = loadVerify(dir, id);
      if (loaded.kind === 'bad') fail(`--corpus: ${loaded.reason}`);
      if (loaded.kind === 'ok') {
        const stored = loaded.record.result as { verdict?: string } | null;
        if (stored !== null && (stored.verdict === 'certificate' || stored.verdict === 'counterexample')) {
          // The search ended before: its result again, without running anything.
          const r = stored as unknown as VerifyResult & { seconds: number };
          print(r, r.seconds, values.json === true, verdictOf(r, false), dir);
          return exitCodeOf(r);
        }
        start = loaded.record.frontier;
        secondsBefore = loaded.record.seconds;
      }
    }
    return await search({
      id,
      input,
      bounds,
      start,
      secondsBefore,
      workers,
      dir,
      maxSchedules,
      json: values.json === true,
      scenarioArg: values.scenario.toLowerCase().endsWith('.json')
        ? resolve(values.scenario)
        : values.scenario,
    });
  } finally {
    release();
  }
}

interface SearchPlan {
  readonly id: VerifyIdentity;
  readonly input: Parameters<typeof scenarioProgram>[0] & {
    readonly preemptions: number;
    readonly reduce: boolean;
  };
  readonly bounds: Bounds;
  readonly start: Frontier;
  readonly secondsBefore: number;
  readonly workers: number;
  readonly dir: string | undefined;
  readonly maxSchedules: number | undefined;
  readonly json: boolean;
  readonly scenarioArg: string;
}

function exitCodeOf(r: VerifyResult): number {
  return r.counterexample === null
    ? EXIT_CODE.pass
    : EXIT_CODE[r.counterexample.outcome === 'pass' ? 'pass' : r.counterexample.outcome];
}

async function search(plan: SearchPlan): Promise<number> {
  const { bounds, workers } = plan;
  const started = performance.now();
  const tty = process.stderr.isTTY === true;
  let signal: StopSignal | null = null;
  const onInt = () => {
    signal ??= 'SIGINT';
  };
  const onTerm = () => {
    signal ??= 'SIGTERM';
  };
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);

  // Pieces: on this thread (handing the event loop back between them, so signals arrive), or on a pool.
  let pool: Piscina | null = null;
  let runner: ChunkRunner<ScenarioExecution>;
  const reduction = plan.id.reduce ? sleepSetReduction : undefined;
  if (workers === 1) {
    const program = scenarioProgram(plan.input);
    runner = async (level, stack, maxRuns) => {
      await new Promise<void>((r) => setImmediate(r));
      return exploreChunk(program, bounds, level, stack, maxRuns, reduction);
    };
  } else {
    const p = createPool('verify.worker.ts', workers);
    pool = p;
    runner = (level, stack, maxRuns) => {
      const piece: VerifyPiece = {
        scenario: plan.scenarioArg,
        scenarioHash: plan.id.scenarioHash,
        seed: plan.id.seed,
        mutations: plan.id.mutations,
        bounds,
        level,
        stack,
        maxRuns,
        reduce: plan.id.reduce,
      };
      return p.run(piece) as Promise<ChunkResult<ScenarioExecution>>;
    };
  }
  // Pieces of about 50 ms on this thread (a signal waits no longer), 300 ms on workers.
  const target = workers === 1 ? 50 : 300;
  const startRuns = plan.start.byLevel.reduce((a, b) => a + b, 0);
  let runsSeen = startRuns;
  const sliceRuns = () => {
    const ms = performance.now() - started;
    const done = runsSeen - startRuns;
    if (done === 0 || ms === 0) return 8;
    return Math.max(1, Math.min(20_000, Math.round((target * done) / ms)));
  };
  let lastShown = started;
  // The first save comes after the first piece, then every SAVE_EVERY_MS.
  let lastSaved = Number.NEGATIVE_INFINITY;
  let shown = false;
  const seconds = () => plan.secondsBefore + Math.round(performance.now() - started) / 1000;
  const save = (front: Frontier, result: Record<string, unknown> | null) => {
    if (plan.dir === undefined) return;
    saveVerify(plan.dir, {
      format: 'ttm-sim-verify/1',
      ...plan.id,
      seconds: seconds(),
      frontier: front,
      result,
    });
  };
  let end: SearchEnd<ScenarioExecution>;
  try {
    const counted: ChunkRunner<ScenarioExecution> = async (level, stack, maxRuns) => {
      const r = await runner(level, stack, maxRuns);
      runsSeen += r.runs;
      return r;
    };
    end = await searchParallel(plan.start, bounds, counted, {
      inFlight: workers === 1 ? 1 : 2 * workers,
      sliceRuns,
      ...(plan.maxSchedules === undefined ? {} : { maxSchedules: plan.maxSchedules }),
      stopRequested: () => signal !== null,
      onCommit: (front, est) => {
        const now = performance.now();
        const committed = front;
        if (plan.dir !== undefined && now - lastSaved >= SAVE_EVERY_MS) {
          lastSaved = now;
          save(committed(), null);
        }
        if (now - lastShown < (tty ? 250 : 10_000)) return;
        lastShown = now;
        const line = progressLine(
          plan.id.scenario,
          bounds,
          committed(),
          est,
          (now - started) / 1000,
          startRuns,
        );
        process.stderr.write(tty ? `\r${line}\u001b[K` : `${line}\n`);
        shown = true;
      },
    });
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    if (pool !== null) await pool.destroy();
  }
  if (shown && tty) process.stderr.write('\n');
  const found = searchResultOf(bounds, end);
  const r = verifyResultOf(plan.input, found);
  const interrupted = end.kind === 'stopped';
  const verdict = verdictOf(r, interrupted);
  const secs = seconds();
  const finished = verdict === 'certificate' || verdict === 'counterexample';
  save(end.front, finished ? { verdict, modelVersion: VERSION, ...r, seconds: secs } : null);
  print(r, secs, plan.json, verdict, plan.dir, workers);
  if (interrupted) return SIGNAL_EXIT_CODE[signal ?? 'SIGINT'];
  return exitCodeOf(r);
}

/**
 * One progress line: schedules (committed, plus what finished pieces ran beyond them, `est`), per
 * preemption count, the rate since `startRuns`, the prefixes queued, and the level's estimate.
 */
export function progressLine(
  scenario: string,
  bounds: Bounds,
  front: Frontier,
  est: { readonly runs: number; readonly rootsStarted: number },
  secs: number,
  startRuns: number,
): string {
  const at = Math.min(front.level, levelCount(bounds) - 1);
  const byLevel = front.byLevel.slice();
  byLevel[at] = (byLevel[at] ?? 0) + est.runs;
  const now = { ...front, byLevel, rootsStarted: front.rootsStarted + est.rootsStarted };
  const p = progressOf(bounds, now);
  const { p: lp, f: lf } = levelOf(bounds, at);
  const rate = secs > 0 ? (p.schedules - startRuns) / secs : 0;
  const per = p.byPreemptions.map((n, i) => `${n} at P=${i}`).join(', ');
  const where = bounds.faults === 0 ? `P=${lp}` : `P=${lp} F=${lf}`;
  const guess = p.levelEstimate;
  const left = guess === null ? 0 : guess - byLevel[at]!;
  const estimate =
    guess === null
      ? ''
      : `; ${where} estimated at ${guess} schedules (mean subtree of ${now.rootsStarted} of its ${front.roots} prefixes)${rate > 0 && left > 0 ? `, about ${Math.round(left / rate)} s more` : ''}`;
  return `verify ${scenario}: ${p.schedules} schedules (${per}), ${Math.round(rate)}/s, ${p.queued} prefixes queued, ${secs.toFixed(1)} s${estimate}`;
}

function print(
  r: VerifyResult,
  seconds: number,
  json: boolean,
  verdict: Verdict,
  dir: string | undefined,
  workers?: number,
): void {
  if (json) process.stdout.write(`${JSON.stringify(verifyJson(r, seconds, verdict))}\n`);
  else process.stdout.write(`${verifyText(r, seconds, verdict, dir, workers)}\n`);
}

/** What `--json` prints: the result with the verdict, the model version and the time taken. */
export function verifyJson(r: VerifyResult, seconds: number, verdict?: Verdict): Record<string, unknown> {
  return { verdict: verdict ?? verdictOf(r, false), modelVersion: VERSION, ...r, seconds };
}

export function verifyText(
  r: VerifyResult,
  seconds: number,
  verdict: Verdict = verdictOf(r, false),
  dir?: string,
  workers?: number,
): string {
  const muts = r.mutations.map((m) => ` --mutation ${m}`).join('');
  const out = [
    `ttm-sim verify --scenario ${r.scenario} --preemptions ${r.preemptions}${r.faults === 0 ? '' : ` --faults ${r.faults}`}${r.reduce ? ' --reduce' : ''}${muts} --seed ${r.seed}`,
  ];
  const per = r.byPreemptions.map((n, p) => `${n} with ${p}`).join(', ');
  const perFaults =
    r.faults === 0
      ? ''
      : `; ${r.byFaults.map((n, f) => `${n} with ${f} fault${f === 1 ? '' : 's'}`).join(', ')}`;
  const bounds = `<= ${r.preemptions} preemptions and <= ${r.faults} faults`;
  const threads = workers === undefined || workers === 1 ? '' : ` on ${workers} worker threads`;
  if (r.counterexample !== null) {
    const c = r.counterexample;
    out.push(
      `  counterexample  ${c.outcome}: ${c.failure.id}: ${c.failure.message}`,
      `  preemptions     ${c.preemptions} (fewest of any failing schedule within the bounds)`,
    );
    if (r.faults > 0)
      out.push(`  faults          ${c.faults}${c.faults === 0 ? '' : `: ${c.faultsFired.join(', ')}`}`);
    out.push(
      `  run             ${c.steps} steps, ${c.choices} choices`,
      `  token           ${c.token}`,
      `  explored        ${r.schedules} schedules (${per}${perFaults}) in ${seconds} s${threads}`,
    );
  } else {
    out.push(
      verdict === 'certificate'
        ? `  certificate     no check failed in any schedule with ${bounds}`
        : verdict === 'interrupted'
          ? `  interrupted     stopped by a signal after ${r.schedules} schedules: no certificate${dir === undefined ? '' : ' (run the same command to resume)'}`
          : `  incomplete      stopped after ${r.schedules} schedules (--max-schedules): no certificate`,
      `  scenario hash   ${r.scenarioHash}`,
      `  model version   ttm-sim ${VERSION}, token format ${r.tokenVersion}`,
      `  schedules       ${r.schedules} (${per}${perFaults}), ${r.pruned} pruned${r.reduce ? ' (sleep-set reduction)' : ''}`,
      `  time            ${seconds} s${threads}`,
    );
  }
  if (dir !== undefined) out.push(`  corpus          ${dir}/${VERIFY_FILE}`);
  return out.join('\n');
}
