// Campaigns cut into slices (DESIGN.md §4 "Campaigns"): `--shard K/N` runs one slice, `--workers`
// runs all N on a worker pool, and the slices' corpus files, collected from anywhere, merge into one
// report. Slice K of N owns the campaign's schedules K, K+N, K+2N, …: its j-th schedule has seed
// base + K + j·N and takes the arm and fault round of j (src/explore/campaign.ts), so every slice runs
// the whole portfolio, and its state (own coverage, own coverage-guided corpus) is a pure function of
// the options, K and N. All slices calibrate on the same seeds, so their calibrations agree.
// Merging is a pure function of the set of slices: counts add up, coverage is the union of the sets,
// goals add up by id, and each failure signature keeps the occurrence with the smallest schedule index
// (two slices never share an index) with the counts summed; everything is put in a canonical order,
// so the merged report has the same bytes whatever order the slices come in or finish in.

import {
  type Calibration,
  type CampaignState,
  campaignMaxSteps,
  type FoundFailure,
  type GoalState,
  type ShardSlice,
  sliceSchedules,
} from './campaign.ts';
import { type CampaignIdentity, fromRecord, IDENTITY_FIELDS, type OnDisk } from './corpus.ts';
import { Coverage } from './coverage.ts';
import { canonicalSiteCounts, type SiteCounts } from './faults.ts';

/** Most slices a campaign may be cut into. */
export const MAX_SHARDS = 10_000;

/** The corpus file name of a slice: `shard-K-of-N.json`. */
export const SHARD_FILE = /^shard-(0|[1-9][0-9]{0,4})-of-([1-9][0-9]{0,4})\.json$/;

export type ShardParse =
  | { readonly ok: true; readonly slice: ShardSlice }
  | { readonly ok: false; readonly reason: string };

/** `K/N` with 0 ≤ K < N ≤ MAX_SHARDS. */
export function parseShard(text: string): ShardParse {
  const m = /^(0|[1-9][0-9]*)\/([1-9][0-9]*)$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (m === null || count > MAX_SHARDS) {
    return { ok: false, reason: `must be K/N with N in 1..${MAX_SHARDS} (e.g. 0/4), got "${text}"` };
  }
  if (index >= count) {
    return { ok: false, reason: `K must be below N (slices are numbered 0..N-1), got "${text}"` };
  }
  return { ok: true, slice: { index, count } };
}

/** A slice's corpus record and where it came from (a path, for messages). */
export interface ShardInput {
  readonly source: string;
  readonly data: OnDisk;
}

/** One slice present in a merge. */
export interface ShardPart {
  readonly shard: number;
  /** Schedules it ran. */
  readonly ran: number;
  /** Its share of the campaign's schedules; null when only a time budget bounds the campaign. */
  readonly share: number | null;
}

export interface MergedCampaign {
  readonly identity: CampaignIdentity;
  readonly shards: number;
  /** The campaign's schedule count; null when only a time budget bounds it. */
  readonly schedules: number | null;
  readonly parts: readonly ShardPart[];
  readonly missing: readonly number[];
  /** Every slice present, each has run its whole share. */
  readonly complete: boolean;
  /** The merged state: `next` is the number of schedules run by all slices together. */
  readonly state: CampaignState;
  readonly maxSteps: number;
}

export type Merge =
  | { readonly ok: true; readonly merged: MergedCampaign }
  | { readonly ok: false; readonly reason: string };

/** Fields two slices of one campaign must agree on, in the order they are compared. */
const SAME_FIELDS = [...IDENTITY_FIELDS, 'shards', 'schedules', 'calibration'] as const;

/** Portfolio order of the arms in a report: random, pct:1, pct:2, pct:3, pos, cover, then the others. */
function armRank(name: string): number {
  if (name === 'random') return 0;
  const pct = /^pct:([1-3])(:|$)/.exec(name);
  if (pct !== null) return Number(pct[1]);
  if (name === 'pos') return 4;
  if (name === 'cover') return 5;
  return 6;
}

function canonicalArms(counts: Record<string, number>): Record<string, number> {
  const names = Object.keys(counts).sort((a, b) => armRank(a) - armRank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(names.map((n) => [n, counts[n]!]));
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/**
 * Merge slices of one campaign. Errors (one line each, naming the file and the fix): no input, a file
 * that is not a slice, slices of different campaigns (the first differing field named), a slice given
 * twice, a slice number out of range.
 */
export function mergeShards(inputs: readonly ShardInput[]): Merge {
  if (inputs.length === 0) return { ok: false, reason: 'no shard files to merge' };
  for (const x of inputs) {
    const d = x.data;
    if (
      !Number.isInteger(d.shard) ||
      !Number.isInteger(d.shards) ||
      d.shards! < 1 ||
      d.shard! < 0 ||
      d.shard! >= d.shards!
    ) {
      return { ok: false, reason: `${x.source} is not a shard file (no valid shard K of N in it)` };
    }
  }
  // Sorted by slice, then source: the merge and its messages depend on the set, not the order given.
  const sorted = [...inputs].sort(
    (a, b) => a.data.shard! - b.data.shard! || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0),
  );
  const ref = sorted[0]!;
  for (const x of sorted.slice(1)) {
    for (const f of SAME_FIELDS) {
      const have = JSON.stringify(x.data[f] ?? null);
      const want = JSON.stringify(ref.data[f] ?? null);
      if (have !== want) {
        return {
          ok: false,
          reason: `${x.source} belongs to another campaign than ${ref.source} (${f} ${have}, not ${want}); merge the shards of one campaign`,
        };
      }
    }
  }
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (a.data.shard === b.data.shard) {
      return {
        ok: false,
        reason: `shard ${b.data.shard} of ${b.data.shards} is given twice (${a.source}, ${b.source}); pass each shard once`,
      };
    }
  }
  const shards = ref.data.shards!;
  const schedules = ref.data.schedules ?? null;
  const states = sorted.map((x) => fromRecord(x.data));
  const parts: ShardPart[] = sorted.map((x, i) => ({
    shard: x.data.shard!,
    ran: states[i]!.next,
    share:
      schedules === null
        ? null
        : sliceSchedules({ schedules, shard: { index: x.data.shard!, count: shards } }),
  }));
  const have = new Set(parts.map((p) => p.shard));
  const missing = Array.from({ length: shards }, (_, k) => k).filter((k) => !have.has(k));
  const state = mergeStates(ref.data.calibration, states);
  const identity: CampaignIdentity = Object.fromEntries(
    IDENTITY_FIELDS.map((f) => [f, ref.data[f]]),
  ) as unknown as CampaignIdentity;
  return {
    ok: true,
    merged: {
      identity,
      shards,
      schedules,
      parts,
      missing,
      complete: missing.length === 0 && parts.every((p) => p.share !== null && p.ran >= p.share),
      state,
      maxSteps: campaignMaxSteps({}, ref.data.calibration),
    },
  };
}

/** Failures of several slices by signature: the earliest schedule's record, with the counts added. */
function mergeFailures(lists: readonly (readonly FoundFailure[])[]): FoundFailure[] {
  const bySignature = new Map<string, FoundFailure>();
  for (const list of lists) {
    for (const f of list) {
      const known = bySignature.get(f.signature);
      if (known === undefined) bySignature.set(f.signature, { ...f });
      else {
        const count = known.count + f.count;
        const first = f.schedule < known.schedule ? { ...f } : known;
        first.count = count;
        bySignature.set(f.signature, first);
      }
    }
  }
  return [...bySignature.values()].sort((a, b) => a.schedule - b.schedule);
}

/** The commutative merge of slice states (given in slice order, which only fixes tie-free orders). */
export function mergeStates(calibration: Calibration, states: readonly CampaignState[]): CampaignState {
  const armRuns: Record<string, number> = {};
  const armFailures: Record<string, number> = {};
  const goals: GoalState[] = [];
  const coverage = new Coverage();
  const out = { next: 0, steps: 0, faultRuns: 0, lateFaultRuns: 0 };
  const sitesEvaluated: SiteCounts = {};
  const sitesFired: SiteCounts = {};
  for (const s of states) {
    out.next += s.next;
    out.steps += s.steps;
    out.faultRuns += s.faultRuns;
    out.lateFaultRuns += s.lateFaultRuns;
    addCounts(armRuns, s.armRuns);
    addCounts(armFailures, s.armFailures);
    addCounts(sitesEvaluated, s.faultSitesEvaluated);
    addCounts(sitesFired, s.faultSitesFired);
    coverage.merge(s.coverage);
    for (const g of s.goals) {
      const known = goals.find((x) => x.id === g.id);
      if (known === undefined) goals.push({ ...g });
      else known.reached += g.reached;
    }
  }
  return {
    ...out,
    calibration,
    armRuns: canonicalArms(armRuns),
    armFailures: canonicalArms(armFailures),
    failures: mergeFailures(states.map((s) => s.failures)),
    knownBugs: mergeFailures(states.map((s) => s.knownBugs)),
    goals,
    faultSitesEvaluated: canonicalSiteCounts(sitesEvaluated),
    faultSitesFired: canonicalSiteCounts(sitesFired),
    corpus: states.flatMap((s) => s.corpus),
    coverage,
  };
}
