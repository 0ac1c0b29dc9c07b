// Mutation score of the kernel model: how many seeded, sampled mutants of src/kernel/*.ts the default
// suite kills. StrykerJS 10 needs Node >= 22 and this project runs on Node 20, so the mutants come from a
// small mutator of our own over the TypeScript AST (bench/mutation/mutator.ts, @babel/parser).
//
// 1. A fixed copy of the tree: the working tree as it is at the start (HEAD and the uncommitted paths are
//    recorded), or with --rev the tree of that commit (git archive); a run never sees files being edited.
//    One copy of it per child slot (at most two).
// 2. Candidates: every mutant of every top-level src/kernel/*.ts file except the check registries
//    (rules.ts, rules_post.ts: the oracle itself), with the check calls of src/kernel/rules/*.ts skipped;
//    a sample of --mutants, stratified per file, is drawn with --seed (bench/mutation/sample.ts).
// 3. The unmutated suite runs first, in every slot at once, and must pass; the slowest sets the time
//    limit (--timeout-factor times it).
// 4. Each mutant: its file is replaced in a slot's copy, a child process runs the default suite with a
//    fixed schedule budget (--budget, seed --suite-seed), the file is put back. Killed: any failure, or
//    the child crashed; survived: every schedule passed; timed out: stopped at the time limit.
// 5. Results go to --out after every mutant; a run with the same identity resumes from it. The report
//    (also --report-only) counts killed, survived, timed out and judged equivalent
//    (bench/mutation_equivalent.json), the score and the survivors.
//
// Usage: npm run bench:mutation -- [--mutants 200] [--seed 1] [--budget 108] [--jobs 2]
//          [--out bench/results/mutation.json] [--rev COMMIT] [--timeout-factor 3] [--report-only]

import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  applyMutant,
  classifyMutants,
  exportedFunctions,
  isValidMutant,
  type Mutant,
} from './mutation/mutator.ts';
import {
  type EquivalentJudgement,
  type MutantRecord,
  type ResultsFile,
  type RunIdentity,
  reportText,
  summarise,
} from './mutation/report.ts';
import {
  baseTree,
  commitOf,
  killChildren,
  runChild,
  slotTree,
  uncommitted,
  writeAtomic,
} from './mutation/runner.ts';
import { sampleMutants } from './mutation/sample.ts';
import { programFacts, SKIP_RULES } from './mutation/skip_rules.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CHILD = join(REPO, 'bench', 'mutation', 'suite_child.ts');
const EQUIVALENT = join(REPO, 'bench', 'mutation_equivalent.json');
/** Kernel files that hold only checks (the oracle), not the model. */
export const CHECK_FILES = ['src/kernel/rules.ts', 'src/kernel/rules_post.ts'];

const { values } = parseArgs({
  options: {
    mutants: { type: 'string' },
    seed: { type: 'string' },
    'min-per-file': { type: 'string' },
    budget: { type: 'string' },
    'suite-seed': { type: 'string' },
    jobs: { type: 'string' },
    out: { type: 'string' },
    rev: { type: 'string' },
    dir: { type: 'string' },
    'timeout-factor': { type: 'string' },
    'report-only': { type: 'boolean' },
  },
});

function log(text: string): void {
  process.stdout.write(`${text}\n`);
}

function loadJudgements(): EquivalentJudgement[] {
  return existsSync(EQUIVALENT)
    ? (JSON.parse(readFileSync(EQUIVALENT, 'utf8')) as EquivalentJudgement[])
    : [];
}

const out = resolve(values.out ?? join(REPO, 'bench', 'results', 'mutation.json'));

if (values['report-only'] === true) {
  const r = JSON.parse(readFileSync(out, 'utf8')) as ResultsFile;
  process.stdout.write(reportText(r, loadJudgements()));
  process.exit(0);
}

const jobs = Math.min(2, Math.max(1, Number(values.jobs ?? 2)));
const dir = resolve(values.dir ?? '/tmp/ttm-mutants');
const commit = commitOf(REPO, values.rev ?? 'HEAD');
mkdirSync(dir, { recursive: true });
const { base, hash } = baseTree(REPO, values.rev ?? null, dir);
const dirty = values.rev === undefined ? uncommitted(REPO) : [];
const identity: RunIdentity = {
  commit,
  tree: hash,
  uncommitted: dirty,
  seed: BigInt(values.seed ?? 1).toString(),
  mutants: Number(values.mutants ?? 200),
  minPerFile: Number(values['min-per-file'] ?? 3),
  budget: Number(values.budget ?? 108),
  suiteSeed: BigInt(values['suite-seed'] ?? 1).toString(),
  timeoutFactor: Number(values['timeout-factor'] ?? 3),
  skipRules: SKIP_RULES.join(','),
};

log(
  `commit ${commit}${dirty.length > 0 ? ` with ${dirty.length} uncommitted path(s) of the working tree` : ''}; tree ${base}`,
);

// Candidates and the sample.
const kernelDir = join(base, 'src', 'kernel');
const rulesDir = join(kernelDir, 'rules');
const skipCallees = existsSync(rulesDir)
  ? readdirSync(rulesDir)
      .filter((f) => f.endsWith('.ts'))
      .sort()
      .flatMap((f) => exportedFunctions(readFileSync(join(rulesDir, f), 'utf8')))
  : [];
// What the skip rules know of the program: every .ts file under src/ and workers/ of the copy.
const program = new Map<string, string>();
const collect = (rel: string): void => {
  const abs = join(base, rel);
  if (!existsSync(abs)) return;
  for (const name of readdirSync(abs).sort()) {
    const r = `${rel}/${name}`;
    if (statSync(join(base, r)).isDirectory()) collect(r);
    else if (name.endsWith('.ts')) program.set(r, readFileSync(join(base, r), 'utf8'));
  }
};
collect('src');
collect('workers');
const facts = programFacts(program);
const sources = new Map<string, string>();
const candidates: Mutant[] = [];
const counts: Record<string, number> = {};
const skipped: Record<string, Record<string, number>> = {};
for (const f of readdirSync(kernelDir)
  .filter((x) => x.endsWith('.ts'))
  .sort()) {
  const file = `src/kernel/${f}`;
  if (CHECK_FILES.includes(file)) continue;
  const text = readFileSync(join(base, file), 'utf8');
  sources.set(file, text);
  const { mutants: ms, skipped: sk } = classifyMutants(file, text, { skipCallees, facts });
  counts[file] = ms.length;
  candidates.push(...ms);
  for (const m of sk) {
    skipped[m.rule] ??= {};
    skipped[m.rule]![file] = (skipped[m.rule]![file] ?? 0) + 1;
  }
}
const skippedTotal = Object.values(skipped).reduce(
  (a, byFile) => a + Object.values(byFile).reduce((x, y) => x + y, 0),
  0,
);
const sample = sampleMutants(candidates, {
  seed: BigInt(identity.seed),
  size: identity.mutants,
  minPerFile: identity.minPerFile,
});
log(
  `${candidates.length} candidates in ${Object.keys(counts).length} files (check calls skipped: ${skipCallees.join(', ') || 'none'}); ${skippedTotal} mutants left out by the skip rules (${SKIP_RULES.map((r) => `${r} ${Object.values(skipped[r] ?? {}).reduce((a, b) => a + b, 0)}`).join(', ')}); sample of ${sample.length}`,
);

// Resume or start.
let results: ResultsFile = {
  identity,
  candidates: counts,
  skipped,
  baseline: null,
  timeoutMs: null,
  mutants: sample.map((m, index): MutantRecord => ({ ...m, index, status: null })),
};
if (existsSync(out)) {
  const old = JSON.parse(readFileSync(out, 'utf8')) as ResultsFile;
  if (JSON.stringify(old.identity) === JSON.stringify(identity) && old.mutants.length === sample.length) {
    results = old;
    log(
      `resuming ${out}: ${old.mutants.filter((m) => m.status !== null).length} of ${old.mutants.length} done`,
    );
  } else {
    writeFileSync(`${out}.old`, readFileSync(out));
    log(`${out} holds another run (moved to ${out}.old); starting afresh`);
  }
}
mkdirSync(dirname(out), { recursive: true });
const save = () => writeAtomic(out, `${JSON.stringify(results, null, 2)}\n`);

// Invalid mutants (the mutated file no longer parses) are left out of the score.
for (const m of results.mutants) {
  if (m.status === null && !isValidMutant(sources.get(m.file)!, m)) m.status = 'invalid';
}

// Ctrl-C or a kill: children stopped, results kept as saved (the slot copies are made afresh next time).
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killChildren();
    process.stderr.write(`bench:mutation: stopped by ${sig}; ${out} resumes with the same options\n`);
    process.exit(130);
  });
}

const trees = Array.from({ length: jobs }, (_, i) => slotTree(base, REPO, dir, i));

// The unmutated suite must pass in every slot at once (the load the mutants run under); the slowest
// sets the time limit.
const baselines = await Promise.all(
  trees.map((tree) =>
    runChild({
      childScript: CHILD,
      tree,
      budget: identity.budget,
      suiteSeed: BigInt(identity.suiteSeed),
      timeoutMs: 30 * 60_000,
    }),
  ),
);
for (const b of baselines) {
  if (b.status !== 'survived' || b.outcome === null) {
    const why =
      b.outcome?.failure != null
        ? `${b.outcome.failure.scenario}: ${b.outcome.failure.id} ${b.outcome.failure.message}`
        : `exit ${b.exitCode ?? b.signal}: ${b.stderr}`;
    process.stderr.write(
      `bench:mutation: the unmutated suite does not pass at ${commit} (${why}); no score\n`,
    );
    process.exit(2);
  }
}
const slowest = baselines.reduce((a, b) => (b.ms > a.ms ? b : a));
const outcome = slowest.outcome!;
results.baseline = {
  ms: Math.round(slowest.ms),
  suite: outcome.suite,
  schedules: outcome.schedules,
  scenarios: outcome.scenarios,
};
results.timeoutMs = Math.round(identity.timeoutFactor * slowest.ms);
log(
  `unmutated suite (${outcome.suite}) passed: ${outcome.schedules} schedules, ${outcome.scenarios} scenarios, ${(slowest.ms / 1000).toFixed(1)} s; time limit ${(results.timeoutMs / 1000).toFixed(1)} s`,
);
save();

// The mutants, `jobs` children at a time.
const pending = results.mutants.filter((m) => m.status === null);
let done = results.mutants.length - pending.length;
async function slot(tree: string): Promise<void> {
  for (;;) {
    const m = pending.shift();
    if (m === undefined) return;
    const original = sources.get(m.file)!;
    const path = join(tree, m.file);
    writeFileSync(path, applyMutant(original, m));
    try {
      const r = await runChild({
        childScript: CHILD,
        tree,
        budget: identity.budget,
        suiteSeed: BigInt(identity.suiteSeed),
        timeoutMs: results.timeoutMs!,
      });
      m.status = r.status;
      m.ms = Math.round(r.ms);
      m.failure = r.outcome?.failure ?? null;
      if (r.outcome !== null) m.schedules = r.outcome.schedules;
      if (r.outcome === null || (r.exitCode !== 0 && r.exitCode !== 1))
        m.exit = r.signal ?? String(r.exitCode);
      if (r.stderr !== '') m.crash = r.stderr;
    } finally {
      writeFileSync(path, original);
    }
    done += 1;
    const what =
      m.status === 'killed'
        ? m.failure != null
          ? `${m.failure.scenario} ${m.failure.id}`
          : `crash ${m.exit ?? ''}`
        : '';
    log(
      `[${done}/${results.mutants.length}] ${m.status?.padEnd(8)} ${m.file}:${m.line} [${m.operator}] ${((m.ms ?? 0) / 1000).toFixed(1)} s ${what}`,
    );
    save();
  }
}
await Promise.all(trees.map((t) => slot(t)));

const judgements = loadJudgements();
const text = reportText(results, judgements);
writeFileSync(out.replace(/\.json$/, '.txt'), text);
process.stdout.write(`\n${text}`);
const s = summarise(results, judgements);
log(`report: ${out.replace(/\.json$/, '.txt')}; score ${(100 * s.score).toFixed(1)} %`);
