// The results file of a mutation run, the equivalence judgements (bench/mutation_equivalent.json) and
// the report: counts, the score and the survivors as file:line with the mutation.

import type { Mutant, MutationOperator } from './mutator.ts';
import { oneLine } from './mutator.ts';
import type { MutantStatus } from './runner.ts';
import type { SuiteFailure } from './suite_child.ts';

/** What decides whether a results file can be resumed: the same sample run the same way. */
export interface RunIdentity {
  /** HEAD when the run started (or the --rev commit). */
  readonly commit: string;
  /** sha256 of the copied tree: what was measured. */
  readonly tree: string;
  /** Paths of the working tree that differed from `commit` (none with --rev). */
  readonly uncommitted: readonly string[];
  readonly seed: string;
  readonly mutants: number;
  readonly minPerFile: number;
  readonly budget: number;
  readonly suiteSeed: string;
  readonly timeoutFactor: number;
  /** The skip rules the candidates were made with (bench/mutation/skip_rules.ts); absent before them. */
  readonly skipRules?: string;
}

export interface MutantRecord extends Mutant {
  /** Position in the sample. */
  readonly index: number;
  status: MutantStatus | null;
  ms?: number;
  /** Exit code or signal of a child that crashed or was stopped. */
  exit?: string;
  /** The suite's first failure for a killed mutant, or the crash's last stderr lines. */
  failure?: SuiteFailure | null;
  crash?: string;
  /** Schedules the suite ran before it stopped. */
  schedules?: number;
}

export interface ResultsFile {
  readonly identity: RunIdentity;
  /** Candidate mutants per file before sampling. */
  readonly candidates: Record<string, number>;
  /** Mutants the skip rules left out, by rule and file (absent in runs made before the rules). */
  readonly skipped?: Record<string, Record<string, number>>;
  baseline: { ms: number; suite: string; schedules: number; scenarios: number } | null;
  timeoutMs: number | null;
  readonly mutants: MutantRecord[];
}

/** A judgement that a surviving mutant is equivalent (bench/mutation_equivalent.json). */
export interface EquivalentJudgement {
  readonly file: string;
  readonly line: number;
  readonly original: string;
  readonly replacement: string;
  readonly reason: string;
}

/** Whether `j` is the judgement of mutant `m` (the same file, texts and line). */
export function judges(
  j: EquivalentJudgement,
  m: Pick<Mutant, 'file' | 'line' | 'original' | 'replacement'>,
): boolean {
  return (
    j.file === m.file && j.line === m.line && j.original === m.original && j.replacement === m.replacement
  );
}

export interface Summary {
  readonly total: number;
  readonly run: number;
  readonly killed: number;
  readonly survived: number;
  readonly timeout: number;
  readonly invalid: number;
  readonly pending: number;
  /** Survivors judged equivalent by hand. */
  readonly equivalent: number;
  /** Survivors without a judgement of equivalence (counted as not equivalent). */
  readonly unjudged: number;
  /** killed / (run − invalid − equivalent), timeouts not counted as killed. */
  readonly score: number;
  /** The same with timeouts counted as killed (StrykerJS's convention). */
  readonly scoreWithTimeouts: number;
  readonly byOperator: Record<string, { killed: number; survived: number; timeout: number }>;
  readonly byFile: Record<string, { killed: number; survived: number; timeout: number; equivalent: number }>;
}

export function summarise(r: ResultsFile, judgements: readonly EquivalentJudgement[]): Summary {
  let killed = 0;
  let survived = 0;
  let timeout = 0;
  let invalid = 0;
  let pending = 0;
  let equivalent = 0;
  const byOperator: Summary['byOperator'] = {};
  const byFile: Summary['byFile'] = {};
  for (const m of r.mutants) {
    if (m.status === null) {
      pending += 1;
      continue;
    }
    if (m.status === 'invalid') {
      invalid += 1;
      continue;
    }
    byOperator[m.operator] ??= { killed: 0, survived: 0, timeout: 0 };
    byFile[m.file] ??= { killed: 0, survived: 0, timeout: 0, equivalent: 0 };
    const op = byOperator[m.operator]!;
    const f = byFile[m.file]!;
    if (m.status === 'killed') {
      killed += 1;
      op.killed += 1;
      f.killed += 1;
    } else if (m.status === 'timeout') {
      timeout += 1;
      op.timeout += 1;
      f.timeout += 1;
    } else {
      survived += 1;
      op.survived += 1;
      f.survived += 1;
      if (judgements.some((j) => judges(j, m))) {
        equivalent += 1;
        f.equivalent += 1;
      }
    }
  }
  const run = killed + survived + timeout;
  const denominator = run - equivalent;
  return {
    total: r.mutants.length,
    run,
    killed,
    survived,
    timeout,
    invalid,
    pending,
    equivalent,
    unjudged: survived - equivalent,
    score: denominator > 0 ? killed / denominator : 0,
    scoreWithTimeouts: denominator > 0 ? (killed + timeout) / denominator : 0,
    byOperator,
    byFile,
  };
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)} %`;
}

/** One survivor: `file:line  [operator]  original → replacement`. */
export function survivorLine(
  m: Pick<Mutant, 'file' | 'line' | 'operator' | 'original' | 'replacement'>,
): string {
  return `${m.file}:${m.line}  [${m.operator}]  ${oneLine(m.original, 90)}  →  ${oneLine(m.replacement, 90)}`;
}

/** The report as text: counts, score, per-file and per-operator rows, survivors and judged equivalents. */
export function reportText(r: ResultsFile, judgements: readonly EquivalentJudgement[]): string {
  const s = summarise(r, judgements);
  const lines: string[] = [];
  const id = r.identity;
  lines.push(
    `mutation score of src/kernel at ${id.commit}` +
      (id.uncommitted.length > 0
        ? ` plus ${id.uncommitted.length} uncommitted path(s): ${id.uncommitted.join(' ')}`
        : ''),
  );
  lines.push(
    `sample: seed ${id.seed}, ${s.total} mutants (at least ${id.minPerFile} per file); suite: ${id.budget} schedules, seed ${id.suiteSeed}`,
  );
  if (r.baseline !== null)
    lines.push(
      `unmutated suite (${r.baseline.suite}): passed, ${r.baseline.schedules} schedules over ${r.baseline.scenarios} scenarios in ${(r.baseline.ms / 1000).toFixed(1)} s; time limit ${((r.timeoutMs ?? 0) / 1000).toFixed(1)} s (${id.timeoutFactor}×)`,
    );
  if (r.skipped !== undefined) {
    const candidates = Object.values(r.candidates).reduce((a, b) => a + b, 0);
    const per = Object.keys(r.skipped)
      .sort()
      .map((rule) => `${rule} ${Object.values(r.skipped![rule]!).reduce((a, b) => a + b, 0)}`);
    const total = Object.values(r.skipped).reduce(
      (a, byFile) => a + Object.values(byFile).reduce((x, y) => x + y, 0),
      0,
    );
    lines.push(
      `candidates: ${candidates}; left out by the skip rules (no run can tell them apart): ${total}${per.length > 0 ? ` (${per.join(', ')})` : ''}`,
    );
  }
  lines.push(
    `killed ${s.killed}, survived ${s.survived} (judged equivalent ${s.equivalent}, counted as not equivalent ${s.unjudged}), timed out ${s.timeout}, invalid ${s.invalid}${s.pending > 0 ? `, not run yet ${s.pending}` : ''}`,
  );
  lines.push(
    `score = killed / (run − equivalent) = ${s.killed} / ${s.run - s.equivalent} = ${pct(s.score)}` +
      ` (timeouts counted as killed: ${pct(s.scoreWithTimeouts)})`,
  );
  lines.push('');
  lines.push('per file (killed / survived / timed out / equivalent):');
  for (const f of Object.keys(s.byFile).sort()) {
    const v = s.byFile[f]!;
    lines.push(`  ${f.padEnd(30)} ${v.killed} / ${v.survived} / ${v.timeout} / ${v.equivalent}`);
  }
  lines.push('per operator (killed / survived / timed out):');
  for (const o of Object.keys(s.byOperator).sort()) {
    const v = s.byOperator[o as MutationOperator]!;
    lines.push(`  ${o.padEnd(22)} ${v.killed} / ${v.survived} / ${v.timeout}`);
  }
  const survivors = r.mutants.filter((m) => m.status === 'survived');
  const open = survivors.filter((m) => !judgements.some((j) => judges(j, m)));
  const eq = survivors.filter((m) => judgements.some((j) => judges(j, m)));
  lines.push('');
  lines.push(`survivors not judged equivalent (${open.length}):`);
  for (const m of open) lines.push(`  ${survivorLine(m)}`);
  lines.push(`survivors judged equivalent (${eq.length}):`);
  for (const m of eq) {
    const j = judgements.find((x) => judges(x, m))!;
    lines.push(`  ${survivorLine(m)}`);
    lines.push(`      ${j.reason}`);
  }
  const timeouts = r.mutants.filter((m) => m.status === 'timeout');
  if (timeouts.length > 0) {
    lines.push(`timed out (${timeouts.length}):`);
    for (const m of timeouts) lines.push(`  ${survivorLine(m)}`);
  }
  return `${lines.join('\n')}\n`;
}
