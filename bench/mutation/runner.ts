// Running mutants: copies of the repository (one fixed tree), one per child slot, each with at most one
// kernel file mutated at a time; a child process (bench/mutation/suite_child.ts) runs the default suite
// against the copy, and its exit decides the outcome.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { SuiteOutcome } from './suite_child.ts';

/** What the tree copies hold: everything the suite imports at run time. */
export const TREE_PATHS = ['src', 'machines', 'workers', 'bin', 'package.json', 'tsconfig.json'] as const;

export type MutantStatus = 'killed' | 'survived' | 'timeout' | 'invalid';

export interface ChildResult {
  readonly status: Exclude<MutantStatus, 'invalid'>;
  readonly ms: number;
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** What the suite reported (null when the child printed nothing parseable). */
  readonly outcome: SuiteOutcome | null;
  /** The last lines of the child's stderr when it crashed. */
  readonly stderr: string;
}

function run(cmd: string, args: readonly string[], cwd: string): string {
  const r = spawnSync(cmd, args as string[], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** The full commit id of `rev` in the repository at `repo`. */
export function commitOf(repo: string, rev: string): string {
  return run('git', ['rev-parse', `${rev}^{commit}`], repo).trim();
}

/** sha256 over the paths and contents of every file under `root` (sorted), in hex. */
export function treeHash(root: string): string {
  const h = createHash('sha256');
  const walk = (rel: string): void => {
    const abs = join(root, rel);
    if (statSync(abs).isDirectory()) {
      for (const name of readdirSync(abs).sort()) walk(rel === '' ? name : `${rel}/${name}`);
    } else {
      h.update(`${rel}\0`);
      h.update(readFileSync(abs));
      h.update('\0');
    }
  };
  for (const p of TREE_PATHS) if (existsSync(join(root, p))) walk(p);
  return h.digest('hex');
}

/**
 * The tree to mutate, extracted once under `dir`: the files of TREE_PATHS at commit `rev` (git archive),
 * or, with `rev` null, as they are in the working tree now. Either way a run works on a fixed copy and
 * never sees files being edited; the copy is named by its content hash.
 */
export function baseTree(repo: string, rev: string | null, dir: string): { base: string; hash: string } {
  const staging = join(dir, `staging-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  if (rev === null) {
    for (const p of TREE_PATHS)
      if (existsSync(join(repo, p))) cpSync(join(repo, p), join(staging, p), { recursive: true });
  } else {
    const paths = TREE_PATHS.filter(
      (p) => run('git', ['ls-tree', '--name-only', rev, p], repo).trim() !== '',
    );
    const tar = spawnSync('git', ['archive', '--format=tar', rev, ...paths], {
      cwd: repo,
      maxBuffer: 512 * 1024 * 1024,
    });
    if (tar.status !== 0) throw new Error(`git archive failed: ${tar.stderr}`);
    const x = spawnSync('tar', ['-x', '-C', staging], { input: tar.stdout });
    if (x.status !== 0) throw new Error(`tar -x failed: ${x.stderr}`);
  }
  const hash = treeHash(staging);
  const base = join(dir, `base-${hash.slice(0, 12)}`);
  if (existsSync(base)) rmSync(staging, { recursive: true, force: true });
  else renameSync(staging, base);
  return { base, hash };
}

/** Paths under TREE_PATHS that differ from HEAD in the working tree (git status), sorted. */
export function uncommitted(repo: string): string[] {
  return run('git', ['status', '--porcelain', '--', ...TREE_PATHS], repo)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.slice(3))
    .sort();
}

/** A fresh copy of `base` at `dir`/<slot>, node_modules linked to the repository's. */
export function slotTree(base: string, repo: string, dir: string, slot: number): string {
  const tree = join(dir, String(slot));
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(tree, { recursive: true });
  for (const p of TREE_PATHS)
    if (existsSync(join(base, p))) cpSync(join(base, p), join(tree, p), { recursive: true });
  symlinkSync(join(repo, 'node_modules'), join(tree, 'node_modules'), 'dir');
  return tree;
}

export interface ChildOptions {
  /** bench/mutation/suite_child.ts. */
  readonly childScript: string;
  readonly tree: string;
  readonly budget: number;
  readonly suiteSeed: bigint;
  /** Killed (SIGKILL) after this long: a timeout. */
  readonly timeoutMs: number;
}

function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Children running now, so that an interrupted run can stop them. */
const running = new Set<ChildProcess>();

/** Stop (SIGKILL) every child still running. */
export function killChildren(): void {
  for (const c of running) c.kill('SIGKILL');
}

/** Run the suite in a child process against `tree` and judge the outcome. */
export function runChild(o: ChildOptions): Promise<ChildResult> {
  return new Promise((resolve) => {
    const t0 = nowMs();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        o.childScript,
        '--root',
        o.tree,
        '--budget',
        String(o.budget),
        '--seed',
        o.suiteSeed.toString(),
      ],
      { cwd: o.tree, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, o.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      const ms = nowMs() - t0;
      let outcome: SuiteOutcome | null = null;
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        outcome = line === '' ? null : (JSON.parse(line) as SuiteOutcome);
      } catch {
        outcome = null;
      }
      const status: ChildResult['status'] = timedOut
        ? 'timeout'
        : code === 0 && outcome?.ok === true
          ? 'survived'
          : 'killed';
      const tail = stderr.trim().split('\n').slice(-6).join('\n');
      resolve({
        status,
        ms,
        exitCode: code,
        signal,
        outcome,
        stderr: status === 'killed' && outcome === null ? tail : '',
      });
    });
  });
}

/** Write `text` to `file` through a temporary file and a rename, so a reader never sees half of it. */
export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export function readText(file: string): string {
  return readFileSync(file, 'utf8');
}
