// A bounded-exhaustive search on disk: `verify.json` in the corpus directory holds what identifies the
// search (scenario and its hash, model and token versions, workload seed, mutations, the preemption and
// fault bounds, the reduction on or off), its frontier (src/explore/verify_search.ts: the stack of prefixes per level and the
// schedules run per level) and, once it ended, its result. It is written atomically and durably
// (src/explore/durable_write.ts) every few seconds and when the search stops, so an interrupted search
// resumes where it stopped, with the result it would have had uninterrupted. Mirrors no kernel file.
//
// A prefix is written compactly: its picks in base 36 joined by '.', then '/', the failing evaluations
// the same way, '/', the first evaluation it does not decide, and '/r' for a root of its level:
// "2.0.1//0" is the picks 2, 0, 1 with no fault. A prefix a reduction attached data to is the pair
// [that string, the data].

import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CorpusWriteError } from './corpus.ts';
import { writeDurably } from './durable_write.ts';
import type { Bounds, Frontier, WorkItem } from './verify_search.ts';
import { levelCount } from './verify_search.ts';

export const VERIFY_FILE = 'verify.json';
export const VERIFY_LOCK = 'verify.lock';
const FORMAT = 'ttm-sim-verify/1';

/** What a corpus must match to be resumed: the same inputs give the same schedules. */
export interface VerifyIdentity {
  readonly scenario: string;
  readonly scenarioHash: string;
  readonly modelVersion: string;
  readonly tokenVersion: number;
  readonly seed: string;
  readonly mutations: readonly string[];
  readonly preemptions: number;
  readonly faults: number;
  /** The sleep-set reduction on (its frontier's prefixes carry sleep sets, its counts differ). */
  readonly reduce: boolean;
}

/** The identity fields in the order a mismatch is reported, with the option that sets each. */
const IDENTITY: readonly (readonly [keyof VerifyIdentity, string])[] = [
  ['scenario', '--scenario'],
  ['scenarioHash', 'the scenario hash (--scenario)'],
  ['modelVersion', 'the model version'],
  ['tokenVersion', 'the token format'],
  ['seed', '--seed'],
  ['mutations', '--mutation'],
  ['preemptions', '--preemptions'],
  ['faults', '--faults'],
  ['reduce', '--reduce'],
];

/** What verify.json holds. */
export interface VerifyRecord extends VerifyIdentity {
  readonly format: string;
  /** Seconds spent over every run of the search so far. */
  readonly seconds: number;
  readonly frontier: Frontier;
  /** The result once the search ended (a certificate or a counterexample); null while it goes on. */
  readonly result: Record<string, unknown> | null;
}

function encodeList(xs: readonly number[]): string {
  return xs.map((x) => x.toString(36)).join('.');
}

function decodeList(s: string): number[] | null {
  if (s === '') return [];
  const out: number[] = [];
  for (const part of s.split('.')) {
    if (!/^[0-9a-z]{1,8}$/.test(part)) return null;
    out.push(Number.parseInt(part, 36));
  }
  return out;
}

export function encodeItem(item: WorkItem): string {
  const base = `${encodeList(item.tape)}/${encodeList(item.faults)}/${item.evalStart.toString(36)}`;
  return item.root === true ? `${base}/r` : base;
}

/** A prefix as verify.json holds it: its string, or the pair [string, data]. */
export type StoredItem = string | readonly [string, unknown];

export function storeItem(item: WorkItem): StoredItem {
  return item.data === undefined ? encodeItem(item) : [encodeItem(item), item.data];
}

export function loadItem(x: unknown): WorkItem | null {
  if (typeof x === 'string') return decodeItem(x);
  if (!Array.isArray(x) || x.length !== 2 || typeof x[0] !== 'string' || x[1] === undefined) return null;
  const item = decodeItem(x[0]);
  return item === null ? null : { ...item, data: x[1] as unknown };
}

export function decodeItem(s: string): WorkItem | null {
  const parts = s.split('/');
  if (parts.length !== 3 && !(parts.length === 4 && parts[3] === 'r')) return null;
  const tape = decodeList(parts[0]!);
  const faults = decodeList(parts[1]!);
  const evalStart = /^[0-9a-z]{1,8}$/.test(parts[2]!) ? Number.parseInt(parts[2]!, 36) : Number.NaN;
  if (tape === null || faults === null || Number.isNaN(evalStart)) return null;
  if (faults.some((e) => e >= evalStart)) return null;
  return parts.length === 4 ? { tape, faults, evalStart, root: true } : { tape, faults, evalStart };
}

/** The JSON text of a record (stacks encoded). */
export function recordText(r: VerifyRecord): string {
  const f = r.frontier;
  const frontier = { ...f, stacks: f.stacks.map((s) => s.map(storeItem)) };
  return `${JSON.stringify({ ...r, frontier })}\n`;
}

/** Write the record to DIR/verify.json. Throws CorpusWriteError (the file system's errno). */
export function saveVerify(dir: string, r: VerifyRecord): void {
  const w = writeDurably(join(dir, VERIFY_FILE), recordText(r));
  if (!w.ok) throw new CorpusWriteError(w);
}

export type VerifyLoad =
  | { readonly kind: 'none' }
  | { readonly kind: 'ok'; readonly record: VerifyRecord }
  | { readonly kind: 'bad'; readonly reason: string };

const isInt = (x: unknown, min = 0): x is number => Number.isInteger(x) && (x as number) >= min;

/** The first field of a parsed frontier that is wrong, or null. */
function frontierProblem(raw: unknown, bounds: Bounds): string | null {
  if (typeof raw !== 'object' || raw === null) return 'frontier must be an object';
  const f = raw as Record<string, unknown>;
  const n = levelCount(bounds);
  if (!isInt(f.level) || f.level > n)
    return `frontier.level must be an integer in 0..${n}, got ${JSON.stringify(f.level)}`;
  for (const k of ['roots', 'rootsStarted', 'pruned'] as const) {
    if (!isInt(f[k])) return `frontier.${k} must be an integer >= 0, got ${JSON.stringify(f[k])}`;
  }
  if (!Array.isArray(f.byLevel) || f.byLevel.length !== n || !f.byLevel.every((x) => isInt(x)))
    return `frontier.byLevel must be ${n} integers >= 0`;
  if (!Array.isArray(f.stacks) || f.stacks.length !== n) return `frontier.stacks must be ${n} lists`;
  for (let i = 0; i < n; i += 1) {
    const s = f.stacks[i] as unknown;
    if (!Array.isArray(s)) return `frontier.stacks[${i}] must be a list`;
    for (let j = 0; j < s.length; j += 1) {
      if (loadItem(s[j]) === null)
        return `frontier.stacks[${i}][${j}] must be a prefix such as "2.0.1//0", got ${JSON.stringify(s[j])}`;
    }
  }
  return null;
}

/**
 * Read DIR/verify.json: none when absent; bad (one line naming the field, and what to do) when it is
 * not JSON, of another format, of another search, or damaged.
 */
export function loadVerify(dir: string, id: VerifyIdentity): VerifyLoad {
  const path = join(dir, VERIFY_FILE);
  let text: string;
  try {
    const st = statSync(path);
    if (!st.isFile())
      return { kind: 'bad', reason: `${path} is not a regular file, not a verify corpus; move it away` };
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    return { kind: 'bad', reason: `cannot read ${path}: ${(err as Error).message}` };
  }
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { kind: 'bad', reason: `${path} is not valid JSON; move it away to start a new search there` };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data) || data.format !== FORMAT) {
    const fmt =
      typeof data === 'object' && data !== null
        ? JSON.stringify((data as { format?: unknown }).format)
        : 'none';
    return {
      kind: 'bad',
      reason: `${path} has format ${fmt}, this build reads "${FORMAT}"; move it away to start a new search there`,
    };
  }
  for (const [field, option] of IDENTITY) {
    const have = JSON.stringify(data[field]);
    const want = JSON.stringify(id[field]);
    if (have !== want) {
      return {
        kind: 'bad',
        reason: `${path} is a search of another ${field} (${option}: ${have} there, ${want} here); use another --corpus directory or the same options`,
      };
    }
  }
  const bounds: Bounds = { preemptions: id.preemptions, faults: id.faults };
  const damaged = (problem: string): VerifyLoad => ({
    kind: 'bad',
    reason: `${path} is damaged: ${problem}; move it away to start a new search there`,
  });
  if (typeof data.seconds !== 'number' || !(data.seconds >= 0))
    return damaged(`seconds must be a number >= 0, got ${JSON.stringify(data.seconds)}`);
  if (data.result !== null && (typeof data.result !== 'object' || Array.isArray(data.result)))
    return damaged(`result must be an object or null, got ${JSON.stringify(data.result)}`);
  const problem = frontierProblem(data.frontier, bounds);
  if (problem !== null) return damaged(problem);
  const raw = data.frontier as Omit<Frontier, 'stacks'> & {
    readonly stacks: readonly (readonly unknown[])[];
  };
  const frontier: Frontier = { ...raw, stacks: raw.stacks.map((s) => s.map((x) => loadItem(x)!)) };
  return { kind: 'ok', record: { ...(data as unknown as VerifyRecord), frontier } };
}
