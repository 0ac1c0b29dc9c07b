// A campaign on disk: one JSON file, `campaign.json`, in the corpus directory, holding what identifies
// the campaign (scenario hash, base seed, strategy, mutations, faults) and everything it found
// (coverage, the coverage-guided corpus, failures with their tokens, goals, counters). It is written
// atomically (a temporary file renamed over the old one), right after every new failure and every
// couple of seconds, so an interrupted campaign loses no failure and resumes where it stopped.
// A slice of a campaign (`--shard K/N`, or one of `--workers`' slices) is kept the same way in
// `shard-K-of-N.json`, which also records K, N and the campaign's schedule count, so that the
// slices of one campaign, run anywhere, can be collected and merged (src/explore/shard.ts).

import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type {
  Calibration,
  CampaignState,
  CorpusEntry,
  FoundFailure,
  GoalState,
  ShardSlice,
} from './campaign.ts';
import { corpusRecordProblem, suiteRecordProblem } from './corpus_check.ts';
import { Coverage } from './coverage.ts';
import { type FsFailure, writeDurably } from './durable_write.ts';
import type { SiteCounts } from './faults.ts';

export const CORPUS_FILE = 'campaign.json';
const FORMAT = 1;

/** What a corpus must match to be resumed by a campaign. */
export interface CampaignIdentity {
  readonly scenario: string;
  readonly scenarioHash: string;
  readonly baseSeed: string;
  readonly strategy: string;
  readonly mutations: readonly string[];
  /** Design specs, present only when some are on (corpora of campaigns without designs are unchanged). */
  readonly designs?: readonly string[];
  readonly faults: string;
}

/** Where a slice sits in its campaign, as its file records it. */
export interface SliceRecord {
  readonly shard: number;
  readonly shards: number;
  /** The campaign's schedule count (all slices together); null when only a time budget bounds it. */
  readonly schedules: number | null;
}

/** The JSON a corpus file holds: plain data, so it also crosses a worker-thread boundary as it is. */
export interface OnDisk extends CampaignIdentity, Partial<SliceRecord> {
  readonly format: number;
  readonly next: number;
  readonly steps: number;
  readonly calibration: Calibration;
  readonly armRuns: Record<string, number>;
  readonly armFailures: Record<string, number>;
  readonly failures: FoundFailure[];
  /** Absent in files written before known bugs were told apart: read as none. */
  readonly knownBugs?: FoundFailure[];
  readonly goals: GoalState[];
  readonly faultRuns: number;
  readonly lateFaultRuns: number;
  /** Absent in files written before fault sites were counted: read as none. */
  readonly faultSitesEvaluated?: SiteCounts;
  readonly faultSitesFired?: SiteCounts;
  readonly coverage: { triples: string[]; pairs: string[] };
  readonly corpus: CorpusEntry[];
}

/**
 * A corpus file that could not be written (full disk, read-only file system, ...): the operating
 * system's error, with the path. The command reports it as bad input (exit 2), not as a simulator bug.
 */
export class CorpusWriteError extends Error {
  readonly code: string;
  readonly syscall: string;
  readonly path: string;
  constructor(f: FsFailure) {
    // Worded as node:fs words its errors, so the command's report reads the same for both.
    super(`${f.code}: ${f.text}, ${f.syscall} '${f.path}'`);
    this.code = f.code;
    this.syscall = f.syscall;
    this.path = f.path;
  }
}

/**
 * Write `text` to `path` so that readers see the old or the new file, never a part of one, and the
 * new file is on the disk when this returns (src/explore/durable_write.ts). Throws CorpusWriteError.
 */
export function writeAtomic(path: string, text: string): void {
  const r = writeDurably(path, text);
  if (!r.ok) throw new CorpusWriteError(r);
}

/** The file a campaign, or a slice of one, is kept in inside its corpus directory. */
export function corpusFile(slice?: ShardSlice): string {
  return slice === undefined ? CORPUS_FILE : `shard-${slice.index}-of-${slice.count}.json`;
}

/** A campaign's (or slice's) state as the plain data its corpus file holds. */
export function toRecord(id: CampaignIdentity, state: CampaignState, slice?: SliceRecord): OnDisk {
  return {
    format: FORMAT,
    ...id,
    ...(slice === undefined ? {} : slice),
    next: state.next,
    steps: state.steps,
    calibration: state.calibration,
    armRuns: state.armRuns,
    armFailures: state.armFailures,
    failures: state.failures,
    knownBugs: state.knownBugs,
    goals: state.goals,
    faultRuns: state.faultRuns,
    lateFaultRuns: state.lateFaultRuns,
    faultSitesEvaluated: state.faultSitesEvaluated,
    faultSitesFired: state.faultSitesFired,
    coverage: state.coverage.toJSON(),
    corpus: state.corpus,
  };
}

/** The state a corpus record holds (a fresh copy: the record is not shared with it). */
export function fromRecord(data: OnDisk): CampaignState {
  const coverage = new Coverage();
  coverage.merge(data.coverage);
  const copy = structuredClone(data);
  return {
    next: copy.next,
    steps: copy.steps,
    calibration: copy.calibration,
    armRuns: copy.armRuns,
    armFailures: copy.armFailures,
    failures: copy.failures,
    knownBugs: copy.knownBugs ?? [],
    goals: copy.goals,
    faultRuns: copy.faultRuns,
    lateFaultRuns: copy.lateFaultRuns,
    faultSitesEvaluated: copy.faultSitesEvaluated ?? {},
    faultSitesFired: copy.faultSitesFired ?? {},
    coverage,
    corpus: copy.corpus,
  };
}

export function saveCampaign(
  dir: string,
  id: CampaignIdentity,
  state: CampaignState,
  slice?: SliceRecord,
): void {
  mkdirSync(dir, { recursive: true });
  const data = toRecord(id, state, slice);
  const file = corpusFile(slice === undefined ? undefined : { index: slice.shard, count: slice.shards });
  writeAtomic(join(dir, file), `${JSON.stringify(data)}\n`);
}

export type Loaded =
  | { readonly kind: 'none' }
  | { readonly kind: 'ok'; readonly state: CampaignState }
  | { readonly kind: 'bad'; readonly reason: string };

export const IDENTITY_FIELDS = [
  'scenario',
  'scenarioHash',
  'baseSeed',
  'strategy',
  'mutations',
  'designs',
  'faults',
] as const;

export type Read =
  | { readonly kind: 'none' }
  | { readonly kind: 'ok'; readonly data: OnDisk }
  | { readonly kind: 'bad'; readonly reason: string };

/**
 * Read and parse one corpus file: none when it does not exist, bad with a one-line reason. With
 * `shape` 'object', only a JSON object of this format is asked for (the caller checks the rest).
 */
export function readCorpusFile(path: string, shape: 'full' | 'object' = 'full'): Read {
  let text: string;
  try {
    // Only a regular file is read: a FIFO would block the read until some writer opened it.
    const st = statSync(path);
    if (!st.isFile()) {
      const what = st.isDirectory()
        ? 'a directory'
        : st.isFIFO()
          ? 'a FIFO (named pipe)'
          : 'not a regular file';
      return { kind: 'bad', reason: `${path} is ${what}, not a corpus file; move it away` };
    }
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    return { kind: 'bad', reason: `cannot read ${path}: ${(err as Error).message}` };
  }
  let data: OnDisk;
  try {
    data = JSON.parse(text) as OnDisk;
  } catch {
    return { kind: 'bad', reason: `${path} is not valid JSON; move it away to start a new campaign there` };
  }
  const isObject = typeof data === 'object' && data !== null && !Array.isArray(data);
  if (isObject && data.format !== FORMAT) {
    return {
      kind: 'bad',
      reason: `${path} has corpus format ${JSON.stringify(data.format)}, this build reads ${FORMAT}; move it away to start a new campaign there`,
    };
  }
  // suite.json shares the format number and this reader; its manifest has a shape of its own.
  const suite = isObject && (data as unknown as { kind?: unknown }).kind === 'suite';
  const problem =
    shape === 'object' && isObject ? null : suite ? suiteRecordProblem(data) : corpusRecordProblem(data);
  return problem === null ? { kind: 'ok', data } : damaged(path, problem);
}

function damaged(path: string, problem: string): { readonly kind: 'bad'; readonly reason: string } {
  return {
    kind: 'bad',
    reason: `${path} is damaged: ${problem}; move it away to start a new campaign there`,
  };
}

/**
 * Read the campaign (or the slice `slice` of it) in `dir`: none when there is no corpus file yet, bad
 * (with a one-line reason that says what to do) when it is unreadable or belongs to another campaign.
 */
export function loadCampaign(dir: string, id: CampaignIdentity, slice?: ShardSlice): Loaded {
  const path = join(dir, corpusFile(slice));
  // Another campaign's options are named before a damaged field: they say more about what to do.
  const read = readCorpusFile(path, 'object');
  if (read.kind !== 'ok') return read;
  const data = read.data;
  const want: Record<string, unknown> = { ...id };
  const fields: string[] = [...IDENTITY_FIELDS];
  if (slice !== undefined) {
    Object.assign(want, { shard: slice.index, shards: slice.count });
    fields.push('shard', 'shards');
  }
  for (const f of fields) {
    const have = JSON.stringify((data as unknown as Record<string, unknown>)[f]);
    const wanted = JSON.stringify(want[f]);
    if (have !== wanted) {
      return {
        kind: 'bad',
        reason: `${path} belongs to another campaign (${f} ${have}, this one ${wanted}); use another --corpus directory or the same options`,
      };
    }
  }
  const problem = corpusRecordProblem(data);
  if (problem !== null) return damaged(path, problem);
  return { kind: 'ok', state: fromRecord(data) };
}
