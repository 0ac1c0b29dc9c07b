// A campaign on disk: one JSON file, `campaign.json`, in the corpus directory, holding what identifies
// the campaign (scenario hash, base seed, strategy, mutations, faults) and everything it found
// (coverage, the coverage-guided corpus, failures with their tokens, goals, counters). It is written
// atomically (a temporary file renamed over the old one), right after every new failure and every
// couple of seconds, so an interrupted campaign loses no failure and resumes where it stopped.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Calibration, CampaignState, CorpusEntry, FoundFailure, GoalState } from './campaign.ts';
import { Coverage } from './coverage.ts';

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

interface OnDisk extends CampaignIdentity {
  readonly format: number;
  readonly next: number;
  readonly steps: number;
  readonly calibration: Calibration;
  readonly armRuns: Record<string, number>;
  readonly armFailures: Record<string, number>;
  readonly failures: FoundFailure[];
  readonly goals: GoalState[];
  readonly faultRuns: number;
  readonly lateFaultRuns: number;
  readonly coverage: { triples: string[]; pairs: string[] };
  readonly corpus: CorpusEntry[];
}

/** Write `text` to `path` so that readers see the old or the new file, never a part of one. */
export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function saveCampaign(dir: string, id: CampaignIdentity, state: CampaignState): void {
  mkdirSync(dir, { recursive: true });
  const data: OnDisk = {
    format: FORMAT,
    ...id,
    next: state.next,
    steps: state.steps,
    calibration: state.calibration,
    armRuns: state.armRuns,
    armFailures: state.armFailures,
    failures: state.failures,
    goals: state.goals,
    faultRuns: state.faultRuns,
    lateFaultRuns: state.lateFaultRuns,
    coverage: state.coverage.toJSON(),
    corpus: state.corpus,
  };
  writeAtomic(join(dir, CORPUS_FILE), `${JSON.stringify(data)}\n`);
}

export type Loaded =
  | { readonly kind: 'none' }
  | { readonly kind: 'ok'; readonly state: CampaignState }
  | { readonly kind: 'bad'; readonly reason: string };

const IDENTITY_FIELDS = [
  'scenario',
  'scenarioHash',
  'baseSeed',
  'strategy',
  'mutations',
  'designs',
  'faults',
] as const;

/**
 * Read the campaign in `dir`: none when there is no corpus file yet, bad (with a one-line reason that
 * says what to do) when it is unreadable or belongs to another campaign.
 */
export function loadCampaign(dir: string, id: CampaignIdentity): Loaded {
  const path = join(dir, CORPUS_FILE);
  let text: string;
  try {
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
  if (data.format !== FORMAT) {
    return { kind: 'bad', reason: `${path} has corpus format ${data.format}, this build reads ${FORMAT}` };
  }
  for (const f of IDENTITY_FIELDS) {
    const have = JSON.stringify(data[f]);
    const want = JSON.stringify(id[f]);
    if (have !== want) {
      return {
        kind: 'bad',
        reason: `${path} belongs to another campaign (${f} ${have}, this one ${want}); use another --corpus directory or the same options`,
      };
    }
  }
  const coverage = new Coverage();
  coverage.merge(data.coverage);
  return {
    kind: 'ok',
    state: {
      next: data.next,
      steps: data.steps,
      calibration: data.calibration,
      armRuns: data.armRuns,
      armFailures: data.armFailures,
      failures: data.failures,
      goals: data.goals,
      faultRuns: data.faultRuns,
      lateFaultRuns: data.lateFaultRuns,
      coverage,
      corpus: data.corpus,
    },
  };
}
