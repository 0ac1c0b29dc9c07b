// Re-running the mutants a scored run left alive (survived or timed out) against today's tree: does the
// suite kill them now? The mutants of the earlier run (bench/results/mutation.json by default) name byte
// offsets in the files of its commit; each is found again in today's file by the text around it (the
// mutated token with as much of its surroundings as still reads the same and occurs once), so edits
// elsewhere in the file do not lose it. A mutant whose surroundings are gone is reported as `gone`.
//
// Every mutant runs exactly as bench/mutation.ts runs it: a fixed copy of the working tree as it is at the
// start (or of --rev), the file replaced in the copy, bench/mutation/suite_child.ts with the earlier run's
// suite budget and seed, and its time limit. The unmutated suite runs first and must pass (skip it with
// --skip-baseline when the tree was just checked).
//
// Usage: npm run bench:mutation-recheck -- [--from bench/results/mutation.json] [--status survived,timeout]
//          [--only src/kernel/bo.ts:215,src/kernel/pool.ts:89] [--include-equivalent] [--jobs 1]
//          [--rev COMMIT] [--out FILE] [--skip-baseline] [--budget N] [--timeout-ms MS]
// The time limit is the earlier run's (or 3× this run's unmutated suite, if longer) unless --timeout-ms sets it.
// --only names mutants by the file and line of the earlier run (as its report lists them).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { applyMutant, isValidMutant, type Mutant, oneLine } from './mutation/mutator.ts';
import { type EquivalentJudgement, judges, type ResultsFile } from './mutation/report.ts';
import { baseTree, commitOf, killChildren, runChild, slotTree, writeAtomic } from './mutation/runner.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CHILD = join(REPO, 'bench', 'mutation', 'suite_child.ts');
const EQUIVALENT = join(REPO, 'bench', 'mutation_equivalent.json');

const { values } = parseArgs({
  options: {
    from: { type: 'string' },
    status: { type: 'string' },
    only: { type: 'string' },
    'include-equivalent': { type: 'boolean' },
    jobs: { type: 'string' },
    rev: { type: 'string' },
    out: { type: 'string' },
    dir: { type: 'string' },
    budget: { type: 'string' },
    'timeout-ms': { type: 'string' },
    'skip-baseline': { type: 'boolean' },
  },
});

function log(text: string): void {
  process.stdout.write(`${text}\n`);
}

function fail(text: string): never {
  process.stderr.write(`bench:mutation-recheck: ${text}\n`);
  process.exit(2);
}

const from = resolve(values.from ?? join(REPO, 'bench', 'results', 'mutation.json'));
if (!existsSync(from)) fail(`${from} does not exist: run npm run bench:mutation first, or pass --from FILE`);
const earlier = JSON.parse(readFileSync(from, 'utf8')) as ResultsFile;
const statuses = (values.status ?? 'survived,timeout').split(',').map((s) => s.trim());
for (const s of statuses)
  if (!['survived', 'timeout', 'killed'].includes(s))
    fail(`--status ${s}: expected a list of survived, timeout, killed`);
const only =
  values.only === undefined
    ? null
    : values.only.split(',').map((x) => {
        const m = /^(.+):(\d+)$/.exec(x.trim());
        if (m === null) fail(`--only ${x}: expected FILE:LINE, e.g. src/kernel/bo.ts:215`);
        return { file: m[1]!, line: Number(m[2]) };
      });
const judgements = existsSync(EQUIVALENT)
  ? (JSON.parse(readFileSync(EQUIVALENT, 'utf8')) as EquivalentJudgement[])
  : [];
const selected = earlier.mutants.filter(
  (m) =>
    m.status !== null &&
    statuses.includes(m.status) &&
    (values['include-equivalent'] === true || only !== null || !judgements.some((j) => judges(j, m))) &&
    (only === null || only.some((o) => o.file === m.file && o.line === m.line)),
);
if (selected.length === 0) fail('no mutant of the earlier run matches --status / --only');

/** The file's text at the earlier run's commit. */
const oldTexts = new Map<string, string>();
function oldText(file: string): string {
  let t = oldTexts.get(file);
  if (t === undefined) {
    const r = spawnSync('git', ['show', `${earlier.identity.commit}:${file}`], {
      cwd: REPO,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0) fail(`git show ${earlier.identity.commit}:${file} failed: ${r.stderr.trim()}`);
    t = r.stdout;
    oldTexts.set(file, t);
  }
  return t;
}

/** Where the earlier mutant's token is in `now`: the widest context around it that occurs once. */
function relocate(m: Mutant, now: string): { start: number; line: number; column: number } | null {
  const old = oldText(m.file);
  for (const width of [400, 200, 120, 80, 50, 30]) {
    const before = old.slice(Math.max(0, m.start - width), m.start);
    const after = old.slice(m.end, m.end + width);
    const needle = before + m.original + after;
    const at = now.indexOf(needle);
    if (at < 0 || now.indexOf(needle, at + 1) >= 0) continue;
    const start = at + before.length;
    const head = now.slice(0, start);
    const line = head.split('\n').length;
    return { start, line, column: start - (head.lastIndexOf('\n') + 1) };
  }
  return null;
}

const jobs = Math.min(2, Math.max(1, Number(values.jobs ?? 1)));
const dir = resolve(values.dir ?? `/tmp/ttm-recheck-${process.pid}`);
mkdirSync(dir, { recursive: true });
const { base } = baseTree(REPO, values.rev ?? null, dir);
const commit = commitOf(REPO, values.rev ?? 'HEAD');
const budget = Number(values.budget ?? earlier.identity.budget);
const suiteSeed = BigInt(earlier.identity.suiteSeed);
log(
  `re-running ${selected.length} mutant(s) of ${from} (commit ${earlier.identity.commit.slice(0, 12)}) on ${values.rev === undefined ? 'the working tree' : 'commit'} ${commit.slice(0, 12)}; suite budget ${budget}, seed ${suiteSeed}`,
);

interface Recheck {
  readonly file: string;
  readonly line: number;
  readonly operator: string;
  readonly original: string;
  readonly replacement: string;
  readonly was: string;
  readonly lineNow: number | null;
  status: 'killed' | 'survived' | 'timeout' | 'gone' | 'invalid' | null;
  ms?: number;
  failure?: { scenario: string; kind: string; id: string; message: string } | null;
  crash?: string;
}

const sources = new Map<string, string>();
const work: { r: Recheck; m: Mutant | null }[] = selected.map((m) => {
  let now = sources.get(m.file);
  if (now === undefined) {
    now = existsSync(join(base, m.file)) ? readFileSync(join(base, m.file), 'utf8') : '';
    sources.set(m.file, now);
  }
  const at = relocate(m, now);
  const moved: Mutant | null =
    at === null
      ? null
      : { ...m, start: at.start, end: at.start + m.original.length, line: at.line, column: at.column };
  const r: Recheck = {
    file: m.file,
    line: m.line,
    operator: m.operator,
    original: m.original,
    replacement: m.replacement,
    was: m.status!,
    lineNow: moved?.line ?? null,
    status: moved === null ? 'gone' : isValidMutant(now, moved) ? null : 'invalid',
  };
  return { r, m: moved };
});

const out = resolve(values.out ?? join(REPO, 'bench', 'results', 'mutation_recheck.json'));
mkdirSync(dirname(out), { recursive: true });
const save = () =>
  writeAtomic(
    out,
    `${JSON.stringify({ from: relative(REPO, from), fromCommit: earlier.identity.commit, commit, budget, suiteSeed: suiteSeed.toString(), mutants: work.map((w) => w.r) }, null, 2)}\n`,
  );

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killChildren();
    process.stderr.write(`bench:mutation-recheck: stopped by ${sig}; ${out} holds what was done\n`);
    process.exit(130);
  });
}

const trees = Array.from({ length: jobs }, (_, i) => slotTree(base, REPO, dir, i));
let timeoutMs =
  values['timeout-ms'] !== undefined ? Number(values['timeout-ms']) : (earlier.timeoutMs ?? 30 * 60_000);
if (values['skip-baseline'] !== true) {
  const b = await runChild({
    childScript: CHILD,
    tree: trees[0]!,
    budget,
    suiteSeed,
    timeoutMs: 30 * 60_000,
  });
  if (b.status !== 'survived')
    fail(
      `the unmutated suite does not pass on this tree (${b.outcome?.failure != null ? `${b.outcome.failure.scenario}: ${b.outcome.failure.id} ${b.outcome.failure.message}` : `exit ${b.exitCode ?? b.signal}: ${b.stderr}`}); no mutant was run`,
    );
  if (values['timeout-ms'] === undefined) timeoutMs = Math.max(timeoutMs, Math.round(3 * b.ms));
  log(
    `unmutated suite passed in ${(b.ms / 1000).toFixed(1)} s; time limit ${(timeoutMs / 1000).toFixed(1)} s`,
  );
}
save();

const pending = work.filter((w) => w.r.status === null);
const total = pending.length;
let done = 0;
async function slot(tree: string): Promise<void> {
  for (;;) {
    const w = pending.shift();
    if (w === undefined) return;
    const original = sources.get(w.r.file)!;
    const path = join(tree, w.r.file);
    writeFileSync(path, applyMutant(original, w.m!));
    try {
      const res = await runChild({ childScript: CHILD, tree, budget, suiteSeed, timeoutMs });
      w.r.status = res.status;
      w.r.ms = Math.round(res.ms);
      w.r.failure = res.outcome?.failure ?? null;
      if (res.stderr !== '') w.r.crash = res.stderr;
    } finally {
      writeFileSync(path, original);
    }
    done += 1;
    const what = w.r.failure != null ? ` ${w.r.failure.scenario} ${w.r.failure.id}` : '';
    log(
      `[${done}/${total}] ${w.r.status?.padEnd(8)} ${w.r.file}:${w.r.line}→${w.r.lineNow} [${w.r.operator}] ${oneLine(w.r.original, 40)} → ${oneLine(w.r.replacement, 40)} ${((w.r.ms ?? 0) / 1000).toFixed(1)} s${what}`,
    );
    save();
  }
}
await Promise.all(trees.map((t) => slot(t)));

const count = (s: string) => work.filter((w) => w.r.status === s).length;
log('');
for (const w of work)
  if (w.r.status === 'gone' || w.r.status === 'invalid')
    log(`${w.r.status.padEnd(8)} ${w.r.file}:${w.r.line} [${w.r.operator}] ${oneLine(w.r.original, 60)}`);
log(
  `${work.length} re-run: killed ${count('killed')}, survived ${count('survived')}, timed out ${count('timeout')}, gone ${count('gone')}, invalid ${count('invalid')}; results in ${out}`,
);
// With every mutant of the earlier run selected (--status killed,survived,timeout and no --only), this is
// that sample scored on today's tree: survivors judged equivalent (bench/mutation_equivalent.json, by the
// earlier run's lines) leave the denominator, and so do mutants whose code is gone.
const equivalent = work.filter(
  (w) => w.r.status === 'survived' && judgements.some((j) => judges(j, w.r)),
).length;
const scored = count('killed') + count('survived') + count('timeout') - equivalent;
if (scored > 0)
  log(
    `score = killed / (killed + survived + timed out − judged equivalent) = ${count('killed')} / ${scored} = ${((100 * count('killed')) / scored).toFixed(1)} % (${equivalent} survivors judged equivalent; timeouts counted as killed: ${(((count('killed') + count('timeout')) * 100) / scored).toFixed(1)} %)`,
  );
for (const w of work)
  if (w.r.status === 'survived' && !judgements.some((j) => judges(j, w.r)))
    log(
      `  survived  ${w.r.file}:${w.r.line} (now ${w.r.lineNow}) [${w.r.operator}] ${oneLine(w.r.original, 60)}  →  ${oneLine(w.r.replacement, 40)}`,
    );
for (const w of work)
  if (w.r.status === 'timeout')
    log(
      `  timeout   ${w.r.file}:${w.r.line} (now ${w.r.lineNow}) [${w.r.operator}] ${oneLine(w.r.original, 60)}  →  ${oneLine(w.r.replacement, 40)}`,
    );
writeFileSync(join(dir, 'done'), '');
