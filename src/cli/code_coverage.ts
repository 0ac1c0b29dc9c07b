// Branch and function coverage of the kernel model (src/kernel, the simulated driver included) reached
// by a campaign, measured with V8's own block coverage (NODE_V8_COVERAGE) and reported through c8
// (v8-to-istanbul), which maps V8's byte ranges in the code tsx compiled back to the .ts lines with the
// source maps Node keeps in the coverage files ("source-map-cache").
//
// What counts as a branch is c8's definition: every block range V8 reports for a function that ran
// (the function's own range, each if/else arm, each continuation after a return or throw, each
// right-hand side of && || ??, each case and catch). A function that never ran has no block ranges
// (V8 compiles it lazily), so c8 counts it only among the functions; `strict` counts each such function
// as one more unreached branch as well, so that a whole unreached function cannot hide from the
// branch figure.
//
// A process measures itself: with NODE_V8_COVERAGE set, v8.takeCoverage() writes the counts so far
// (and resets them); without it, the command is run again in a child process with it set. That child
// always runs the TypeScript sources (TTM_SIM_FROM_SOURCE=1, see bin/ttm-sim.js), also when this
// process runs the compiled dist/: what is measured is the .ts model, which needs a checkout with its
// devDependencies (tsx, c8); c8 is loaded only when coverage is taken.

import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import { fail } from './errors.ts';

/** The repository root (this file is src/cli/code_coverage.ts). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** The measured code: the kernel model, the simulated driver (src/kernel/simdrv.ts) included. */
export const KERNEL_DIR = 'src/kernel';

/** Names of helpers esbuild (through tsx) adds to every module: not the model's code. */
const TRANSPILER_HELPERS: ReadonlySet<string> = new Set(['__name', '__publicField', '__export']);

export interface Count {
  readonly total: number;
  readonly covered: number;
}

export interface FileCoverage {
  /** Path relative to the repository root, with forward slashes. */
  readonly file: string;
  readonly branches: Count;
  readonly functions: Count;
  /** Branches with every never-run function counted as one more unreached branch. */
  readonly strict: Count;
}

export interface Unreached {
  readonly kind: 'function' | 'branch';
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The function's name, or for a branch the name of the innermost function holding it ('' at top level). */
  readonly fn: string;
  /** The first line of the source the range starts with, trimmed (at most 100 characters). */
  readonly text: string;
}

export interface KernelCoverage {
  /** The measured directory, relative to the repository root. */
  readonly dir: string;
  readonly files: readonly FileCoverage[];
  readonly total: FileCoverage;
  /** Ordered by file, then line, then column; functions before the branches of the same place. */
  readonly unreached: readonly Unreached[];
}

// ---------------------------------------------------------------------------------------------------
// Command-line option

export interface CodeCoverageArg {
  /** The arguments without the option. */
  readonly rest: readonly string[];
  /** DIR when given: the raw V8 files and the JSON report are kept there. */
  readonly dir: string | undefined;
}

/**
 * Finds `--code-coverage [DIR]` (or `--code-coverage=DIR`) in `args`: undefined when absent. The
 * commands that take it have no positional arguments, so a word after it that is not an option is DIR.
 */
export function codeCoverageArg(args: readonly string[]): CodeCoverageArg | undefined {
  const i = args.findIndex((a) => a === '--code-coverage' || a.startsWith('--code-coverage='));
  if (i < 0) return undefined;
  const a = args[i] ?? '';
  if (a.startsWith('--code-coverage=')) {
    const dir = a.slice('--code-coverage='.length);
    return { rest: [...args.slice(0, i), ...args.slice(i + 1)], dir: dir === '' ? undefined : dir };
  }
  const next = args[i + 1];
  const hasDir = next !== undefined && !next.startsWith('-');
  return {
    rest: [...args.slice(0, i), ...args.slice(i + (hasDir ? 2 : 1))],
    dir: hasDir ? next : undefined,
  };
}

/**
 * Runs `body` (a command's work, returning its exit code) measured, then prints the kernel's coverage
 * to stdout. When this process was not started with NODE_V8_COVERAGE, the same command is run again in
 * a child process that is, and its exit code is returned (its output goes straight to ours).
 * `argv` is the command as bin/ttm-sim.js takes it, without the coverage option.
 */
export async function withCodeCoverage(
  argv: readonly string[],
  opt: CodeCoverageArg,
  body: () => Promise<number>,
  reasons?: readonly ReasonEntry[],
): Promise<number> {
  const raw = process.env.NODE_V8_COVERAGE;
  if (raw === undefined || raw === '') {
    const dir = opt.dir === undefined ? mkdtempSync(join(tmpdir(), 'ttm-sim-cov-')) : resolve(opt.dir);
    const v8dir = join(dir, 'v8');
    rmSync(v8dir, { recursive: true, force: true });
    mkdirSync(v8dir, { recursive: true });
    // From src/cli/ or from dist/src/cli/.
    const fromSource = import.meta.url.endsWith('.ts');
    const bin = fileURLToPath(
      new URL(fromSource ? '../../bin/ttm-sim.js' : '../../../bin/ttm-sim.js', import.meta.url),
    );
    if (!fromSource) requireSources(bin);
    const childArgs = [...argv, '--code-coverage', ...(opt.dir === undefined ? [] : [dir])];
    const r = spawnSync(process.execPath, [bin, ...childArgs], {
      stdio: 'inherit',
      env: { ...process.env, NODE_V8_COVERAGE: v8dir, TTM_SIM_FROM_SOURCE: '1' },
    });
    if (opt.dir === undefined) rmSync(dir, { recursive: true, force: true });
    return r.status ?? 4;
  }
  const code = await body();
  const cov = await takeKernelCoverage(raw);
  const json = argv.includes('--json');
  process.stdout.write(
    json ? `${JSON.stringify({ codeCoverage: cov })}\n` : `${formatCoverage(cov, reasons)}\n`,
  );
  if (opt.dir !== undefined) {
    writeFileSync(join(resolve(opt.dir), 'kernel-coverage.json'), `${JSON.stringify(cov, null, 1)}\n`);
  }
  return code;
}

/** Refuses --code-coverage where the sources or the devDependencies are absent (an installed package). */
function requireSources(bin: string): void {
  const root = resolve(bin, '../..');
  let tools = true;
  try {
    const req = createRequire(join(root, 'package.json'));
    req.resolve('tsx');
    req.resolve('c8');
  } catch {
    tools = false;
  }
  if (!tools || !existsSync(join(root, KERNEL_DIR))) {
    fail(
      '--code-coverage measures the TypeScript sources: run it in a checkout of the repository after npm ci (it needs src/ and the devDependencies tsx and c8)',
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// Measuring

/**
 * Writes this process's counts so far into `rawDir` (NODE_V8_COVERAGE) and reads the kernel's coverage
 * from every file this process wrote there (v8.takeCoverage resets the counts, so they add up).
 */
export async function takeKernelCoverage(rawDir: string, root = REPO_ROOT): Promise<KernelCoverage> {
  v8.takeCoverage();
  const prefix = `coverage-${process.pid}-`;
  const files = readdirSync(rawDir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
    .map((f) => join(rawDir, f));
  return kernelCoverageOf(files, root);
}

/** The coverage of `dir` (relative to `root`) in the V8 coverage files `files`, through c8. */
export async function kernelCoverageOf(
  files: readonly string[],
  root = REPO_ROOT,
  dir = KERNEL_DIR,
): Promise<KernelCoverage> {
  const prefix = `${pathToFileURL(join(root, dir)).href}/`;
  const work = mkdtempSync(join(tmpdir(), 'ttm-sim-c8-'));
  // The text that ran (the source maps carry it): the files may have changed on disk since.
  const sources = new Map<string, string>();
  try {
    // Only the measured scripts, without the transpiler's helpers, go to c8: less to merge and map.
    for (const [i, f] of files.entries()) {
      const raw = JSON.parse(readFileSync(f, 'utf8')) as RawCoverage;
      const result = raw.result
        .filter((s) => s.url.startsWith(prefix) && s.url.endsWith('.ts'))
        .map((s) => ({
          ...s,
          functions: s.functions.filter((fn) => !TRANSPILER_HELPERS.has(fn.functionName)),
        }));
      const maps: Record<string, unknown> = {};
      for (const s of result) {
        const m = raw['source-map-cache']?.[s.url];
        if (m === undefined) continue;
        maps[s.url] = m;
        const content = m.data?.sourcesContent?.[0];
        if (typeof content === 'string') sources.set(fileURLToPath(s.url), content);
      }
      writeFileSync(join(work, `coverage-${i}.json`), JSON.stringify({ result, 'source-map-cache': maps }));
    }
    // c8's Report is called, not constructed (lib/report.js exports a factory under the class's name).
    const { Report } = await import('c8');
    const makeReport = Report as unknown as (opts: Record<string, unknown>) => {
      getCoverageMapFromAllCoverageFiles(): Promise<IstanbulMap>;
    };
    const report = makeReport({
      tempDirectory: work,
      reporter: [],
      src: [root],
      include: [`${dir}/**`],
      exclude: [],
      extension: ['.ts'],
      excludeNodeModules: true,
      excludeAfterRemap: false,
    });
    const map = await report.getCoverageMapFromAllCoverageFiles();
    return summarise(map, root, dir, sources);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

interface RawCoverage {
  readonly result: readonly {
    readonly url: string;
    readonly functions: readonly { readonly functionName: string }[];
  }[];
  readonly 'source-map-cache'?: Record<string, { readonly data?: { readonly sourcesContent?: unknown[] } }>;
}

interface Loc {
  readonly start: { readonly line: number; readonly column: number };
  readonly end: { readonly line: number; readonly column: number };
}

interface IstanbulFile {
  readonly fnMap: Record<string, { readonly name: string; readonly decl: Loc; readonly loc: Loc }>;
  readonly f: Record<string, number>;
  readonly branchMap: Record<string, { readonly loc: Loc; readonly locations: readonly Loc[] }>;
  readonly b: Record<string, readonly number[]>;
}

interface IstanbulMap {
  files(): string[];
  fileCoverageFor(file: string): { readonly data: IstanbulFile };
}

const sameLoc = (a: Loc, b: Loc) =>
  a.start.line === b.start.line &&
  a.start.column === b.start.column &&
  a.end.line === b.end.line &&
  a.end.column === b.end.column;

const before = (a: { line: number; column: number }, b: { line: number; column: number }) =>
  a.line < b.line || (a.line === b.line && a.column <= b.column);

const inside = (inner: Loc, outer: Loc) => before(outer.start, inner.start) && before(inner.end, outer.end);

/** The source line `loc` starts on, trimmed, at most 100 characters. */
export function sourceText(lines: readonly string[], loc: Loc): string {
  const text = (lines[loc.start.line - 1] ?? '').trim();
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
}

function summarise(
  map: IstanbulMap,
  root: string,
  dir: string,
  sources: ReadonlyMap<string, string>,
): KernelCoverage {
  const files: FileCoverage[] = [];
  const unreached: Unreached[] = [];
  for (const path of [...map.files()].sort()) {
    const file = relative(root, path).split('\\').join('/');
    const d = map.fileCoverageFor(path).data;
    const lines = (sources.get(path) ?? readFileSync(path, 'utf8')).split('\n');
    const fns = Object.keys(d.fnMap).map((k) => ({ ...d.fnMap[k]!, count: d.f[k] ?? 0 }));
    const branches = Object.keys(d.branchMap).map((k) => ({
      loc: d.branchMap[k]!.loc,
      count: d.b[k]?.[0] ?? 0,
    }));
    const innermost = (loc: Loc): string => {
      let best: (typeof fns)[number] | undefined;
      for (const f of fns)
        if (inside(loc, f.loc) && (best === undefined || inside(f.loc, best.loc))) best = f;
      return best?.name ?? '';
    };
    // A function that never ran: its own branch when V8 compiled it, else none (lazy compilation).
    let uncalledWithoutBlocks = 0;
    for (const f of fns) {
      if (f.count > 0) continue;
      if (!branches.some((b) => sameLoc(b.loc, f.loc))) uncalledWithoutBlocks += 1;
      unreached.push({
        kind: 'function',
        file,
        line: f.loc.start.line,
        column: f.loc.start.column,
        fn: f.name,
        text: sourceText(lines, f.loc),
      });
    }
    for (const b of branches) {
      if (b.count > 0) continue;
      if (fns.some((f) => f.count === 0 && sameLoc(f.loc, b.loc))) continue;
      unreached.push({
        kind: 'branch',
        file,
        line: b.loc.start.line,
        column: b.loc.start.column,
        fn: innermost(b.loc),
        text: sourceText(lines, b.loc),
      });
    }
    const bc = { total: branches.length, covered: branches.filter((b) => b.count > 0).length };
    files.push({
      file,
      branches: bc,
      functions: { total: fns.length, covered: fns.filter((f) => f.count > 0).length },
      strict: { total: bc.total + uncalledWithoutBlocks, covered: bc.covered },
    });
  }
  const sum = (pick: (f: FileCoverage) => Count): Count => ({
    total: files.reduce((n, f) => n + pick(f).total, 0),
    covered: files.reduce((n, f) => n + pick(f).covered, 0),
  });
  unreached.sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      a.column - b.column ||
      (a.kind === b.kind ? 0 : a.kind === 'function' ? -1 : 1),
  );
  return {
    dir,
    files,
    total: {
      file: 'total',
      branches: sum((f) => f.branches),
      functions: sum((f) => f.functions),
      strict: sum((f) => f.strict),
    },
    unreached,
  };
}

// ---------------------------------------------------------------------------------------------------
// Reasons for what stays unreached

/** Why a function or branch of the kernel model is not reached by the default suite. */
export const REASON_KINDS = [
  'fault-site', // only when a fault fires at a site no campaign injects there yet
  'teardown', // teardown or suspend code no scenario drives yet
  'defensive', // an upstream WARN / error path that cannot happen while the model is right
  'kunit-only', // configuration only upstream's tests or drivers outside the scenarios use
  'design-off', // a design option (src/designs) that the default suite does not switch on
  'mutation-only', // reached only with a catalogue mutation switched on
  'not-driven', // kernel behaviour no scenario drives yet
  'tooling', // called by reports, oracles or tests, not by the kernel model during a run
] as const;
export type ReasonKind = (typeof REASON_KINDS)[number];

export interface ReasonEntry {
  readonly kind: 'function' | 'branch';
  readonly file: string;
  readonly line: number;
  readonly fn: string;
  readonly text: string;
  readonly reason: ReasonKind;
  readonly why: string;
}

/** The entry that explains `u`: same kind, file, function and text, the nearest line. */
export function reasonFor(u: Unreached, reasons: readonly ReasonEntry[]): ReasonEntry | undefined {
  let best: ReasonEntry | undefined;
  for (const r of reasons) {
    if (r.kind !== u.kind || r.file !== u.file || r.fn !== u.fn || r.text !== u.text) continue;
    if (best === undefined || Math.abs(r.line - u.line) < Math.abs(best.line - u.line)) best = r;
  }
  return best;
}

/** What a coverage run says about the reason file: unreached without a reason, reasons no longer needed. */
export function checkReasons(
  cov: KernelCoverage,
  reasons: readonly ReasonEntry[],
): { readonly missing: readonly Unreached[]; readonly stale: readonly ReasonEntry[] } {
  const used = new Set<ReasonEntry>();
  const missing: Unreached[] = [];
  // Exact matches first, so that two entries of the same text in one function pair off line by line.
  const rest: Unreached[] = [];
  for (const u of cov.unreached) {
    const r = reasons.find(
      (e) => !used.has(e) && e.kind === u.kind && e.file === u.file && e.line === u.line && e.text === u.text,
    );
    if (r === undefined) rest.push(u);
    else used.add(r);
  }
  for (const u of rest) {
    const r = reasonFor(
      u,
      reasons.filter((e) => !used.has(e)),
    );
    if (r === undefined) missing.push(u);
    else used.add(r);
  }
  return { missing, stale: reasons.filter((r) => !used.has(r)) };
}

/**
 * The entries with their lines moved to where their text is now: the occurrence of the text (a whole
 * trimmed line) nearest the old line in the file `lines(file)` returns. `gone`: the entries whose text
 * is nowhere in their file any more (the code was changed; a coverage run lists what replaced it).
 */
export function relocateReasons(
  entries: readonly ReasonEntry[],
  lines: (file: string) => readonly string[],
): { readonly moved: ReasonEntry[]; readonly gone: ReasonEntry[] } {
  const gone: ReasonEntry[] = [];
  const moved: ReasonEntry[] = [];
  for (const e of entries) {
    const text = e.text.endsWith('…') ? e.text.slice(0, -1) : e.text;
    let best = -1;
    lines(e.file).forEach((l, i) => {
      const t = l.trim();
      const hit = e.text.endsWith('…') ? t.startsWith(text) : t === text;
      if (hit && (best < 0 || Math.abs(i + 1 - e.line) < Math.abs(best - e.line))) best = i + 1;
    });
    if (best < 0) gone.push(e);
    else moved.push({ ...e, line: best });
  }
  return { moved, gone };
}

/** Problems of a reason entry read from JSON: empty when it is well-formed. */
export function reasonProblems(e: unknown): string[] {
  const p: string[] = [];
  const o = (typeof e === 'object' && e !== null ? e : {}) as Record<string, unknown>;
  if (o.kind !== 'function' && o.kind !== 'branch') p.push('kind is not function or branch');
  if (typeof o.file !== 'string' || !o.file.startsWith(`${KERNEL_DIR}/`) || !o.file.endsWith('.ts'))
    p.push(`file is not a .ts file under ${KERNEL_DIR}`);
  if (typeof o.line !== 'number' || !Number.isInteger(o.line) || o.line < 1)
    p.push('line is not a line number');
  if (typeof o.fn !== 'string') p.push('fn is not a string');
  if (typeof o.text !== 'string' || o.text === '') p.push('text is empty');
  if (!REASON_KINDS.includes(o.reason as ReasonKind))
    p.push(`reason is not one of ${REASON_KINDS.join(', ')}`);
  if (typeof o.why !== 'string' || o.why.length < 10) p.push('why is missing');
  return p;
}

// ---------------------------------------------------------------------------------------------------
// Report

const pct = (c: Count) => (c.total === 0 ? '100.00' : ((100 * c.covered) / c.total).toFixed(2));
const frac = (c: Count) => `${pct(c).padStart(6)} % (${c.covered}/${c.total})`;

/** The per-file table and the unreached list, each unreached place with its reason when one is given. */
export function formatCoverage(cov: KernelCoverage, reasons?: readonly ReasonEntry[]): string {
  const width = Math.max(...cov.files.map((f) => f.file.length), 5);
  const row = (f: FileCoverage) =>
    `  ${f.file.padEnd(width)}  ${frac(f.branches).padEnd(22)}  ${frac(f.functions).padEnd(22)}  ${frac(f.strict)}`;
  const out = [
    `code coverage of ${cov.dir} (V8 block coverage through c8; strict: a never-run function also counts as an unreached branch)`,
    `  ${'file'.padEnd(width)}  ${'branches'.padEnd(22)}  ${'functions'.padEnd(22)}  strict branches`,
    ...cov.files.map(row),
    row(cov.total),
    `unreached: ${cov.unreached.filter((u) => u.kind === 'function').length} function(s), ${cov.unreached.filter((u) => u.kind === 'branch').length} branch(es)`,
  ];
  const check = reasons === undefined ? undefined : checkReasons(cov, reasons);
  for (const u of cov.unreached) {
    const r = reasons === undefined ? undefined : reasonFor(u, reasons);
    const where = `${u.file}:${u.line}`;
    const what =
      u.kind === 'function' ? `function ${u.fn || '(anonymous)'}` : `branch in ${u.fn || '(top level)'}`;
    const because =
      reasons === undefined ? '' : r === undefined ? '  [no reason given]' : `  [${r.reason}] ${r.why}`;
    out.push(`  ${where.padEnd(width + 5)}  ${what}: ${u.text}${because}`);
  }
  if (check !== undefined && check.stale.length > 0) {
    out.push(`reasons for places now reached (${check.stale.length}):`);
    for (const r of check.stale) out.push(`  ${r.file}:${r.line}  ${r.kind} ${r.fn}: ${r.text}`);
  }
  return out.join('\n');
}
