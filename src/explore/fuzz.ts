// Driving a campaign: calibrate (or resume from the corpus), run schedules until the count, the time
// budget, the failure limit or an interruption ends it, and keep the corpus on disk up to date. The
// schedules are a stream (campaign_streams.ts): it hands control back to the event loop every few
// milliseconds so that progress can be drawn and a SIGINT or SIGTERM stops it between two schedules
// (takeUntil), as do the stop flag, the time budget and the failure limit (asked before each schedule);
// corpus checkpoints follow each new failure and every few seconds, progress is throttled. A slice of a
// campaign (options.shard) is driven the same way; it runs its own share of the schedules and is kept
// in its own corpus file.

import { map, type Observable, identity as passThrough, Subject, takeUntil, tap } from 'rxjs';
import { formatStrategy } from '../engine/strategy.ts';
import {
  type Arm,
  armName,
  type Calibration,
  type CampaignOptions,
  type CampaignState,
  calibrate,
  campaignMaxSteps,
  type FoundFailure,
  newState,
  portfolio,
  runOne,
  type ShardSlice,
  scenarioId,
  sliceSchedules,
} from './campaign.ts';
import { schedules$, stopWhen, thinProgress } from './campaign_streams.ts';
import { type CampaignIdentity, loadCampaign, type SliceRecord, saveCampaign } from './corpus.ts';

export interface FuzzHooks {
  /** Corpus directory: resumed from when it holds this campaign, written as the campaign goes. */
  readonly corpusDir?: string;
  /** Called at most every `progressMs` (and once at the end). */
  readonly onProgress?: (state: CampaignState, total: number, elapsedMs: number) => void;
  readonly progressMs?: number;
  /** Called for every failure with a new signature, after it was shrunk and saved. */
  readonly onFailure?: (f: FoundFailure) => void;
  /** Polled before every schedule: true stops the campaign (a flag another thread sets). */
  readonly stopRequested?: () => boolean;
  /** Its first value stops the campaign before the next schedule (e.g. stopSignals$: SIGINT, SIGTERM). */
  readonly stop$?: Observable<unknown>;
  readonly now?: () => number;
}

export type StopReason = 'done' | 'time-budget' | 'failures' | 'interrupted';

export interface FuzzResult {
  readonly state: CampaignState;
  readonly identity: CampaignIdentity;
  readonly stopped: StopReason;
  /** Schedules run by this call (a resumed campaign ran the others before); within the slice if any. */
  readonly ranNow: number;
  /** Index of the schedule this call started at (0 unless resumed). */
  readonly resumedAt: number;
  readonly elapsedMs: number;
  readonly maxSteps: number;
}

const SAVE_EVERY_MS = 2_000;

/**
 * What a campaign's schedules take: one strategy, the portfolio, or other arms by name (`cover`), so
 * that corpora of a cover-only and of a portfolio campaign are told apart.
 */
function strategyOf(opts: CampaignOptions): string {
  if (opts.strategy !== undefined) return formatStrategy(opts.strategy.name, opts.strategy.params);
  if (opts.arms === undefined || JSON.stringify(opts.arms) === JSON.stringify(portfolio()))
    return 'portfolio';
  return opts.arms.map(armName).join('+');
}

export function campaignIdentity(opts: CampaignOptions): CampaignIdentity {
  return {
    scenario: opts.scenario.name,
    scenarioHash: scenarioId(opts.scenario),
    baseSeed: opts.baseSeed.toString(),
    strategy: strategyOf(opts),
    mutations: [...(opts.mutations ?? [])].sort(),
    ...((opts.designs ?? []).length === 0 ? {} : { designs: [...(opts.designs ?? [])].sort() }),
    faults: opts.faults ?? 'mixed',
  };
}

export type Prepared =
  | { readonly ok: true; readonly state: CampaignState; readonly identity: CampaignIdentity }
  | { readonly ok: false; readonly reason: string };

/**
 * Resume the campaign (or its slice) from `corpusDir` when it holds it, else start a new one with
 * `calibration`, calibrating when none is given (every slice of a campaign calibrates alike).
 */
export function prepareCampaign(
  opts: CampaignOptions,
  corpusDir: string | undefined,
  calibration?: Calibration,
): Prepared {
  const identity = campaignIdentity(opts);
  if (corpusDir !== undefined) {
    const loaded = loadCampaign(corpusDir, identity, opts.shard);
    if (loaded.kind === 'bad') return { ok: false, reason: loaded.reason };
    if (loaded.kind === 'ok') return { ok: true, state: loaded.state, identity };
  }
  const c =
    calibration ??
    calibrate(opts.scenario, opts.baseSeed, identity.mutations, identity.designs ?? [], opts.maxSteps);
  return { ok: true, state: newState(opts, c), identity };
}

/** What a slice's corpus file records about its place in the campaign. */
export function sliceRecord(opts: CampaignOptions, slice: ShardSlice): SliceRecord {
  return {
    shard: slice.index,
    shards: slice.count,
    schedules: Number.isFinite(opts.schedules) ? opts.schedules : null,
  };
}

/** Run a prepared campaign to its end. */
export async function fuzz(
  opts: CampaignOptions,
  prepared: { readonly state: CampaignState; readonly identity: CampaignIdentity },
  hooks: FuzzHooks = {},
): Promise<FuzzResult> {
  const now = hooks.now ?? Date.now;
  const { state, identity } = prepared;
  const arms: readonly Arm[] = opts.arms ?? portfolio();
  const maxSteps = campaignMaxSteps(opts, state.calibration);
  const start = now();
  const resumedAt = state.next;
  let lastSave = start;
  const slice = opts.shard === undefined ? undefined : sliceRecord(opts, opts.shard);
  const save = () => {
    if (hooks.corpusDir !== undefined) saveCampaign(hooks.corpusDir, identity, state, slice);
    lastSave = now();
  };
  const total = sliceSchedules(opts);
  let stopped: StopReason = 'done';
  // Asked before every schedule; a slice on a worker thread sees a stop flag set from another thread at once.
  const stopReason = (): StopReason | null => {
    if (opts.timeBudgetMs !== undefined && now() - start >= opts.timeBudgetMs) return 'time-budget';
    if (opts.stopAfterFailures !== undefined && state.failures.length >= opts.stopAfterFailures)
      return 'failures';
    if (hooks.stopRequested?.()) return 'interrupted';
    return null;
  };
  const interrupted$ = hooks.stop$?.pipe(
    tap(() => {
      stopped = 'interrupted';
    }),
  );
  const progress = new Subject<void>();
  const progressDrawn = progress
    .pipe(thinProgress(hooks.progressMs ?? 250, hooks.now === undefined ? undefined : { now, since: start }))
    .subscribe(() => hooks.onProgress?.(state, total, now() - start));
  try {
    await new Promise<void>((resolve, reject) => {
      schedules$(state.next, total, now)
        .pipe(
          interrupted$ === undefined ? passThrough : takeUntil(interrupted$),
          stopWhen(stopReason, (r) => {
            stopped = r;
          }),
          map(() => runOne(opts, state, arms, maxSteps, now)),
          // Corpus checkpoints: at every new failure (before it is reported) and every few seconds.
          tap((report) => {
            if (report.newFailure !== null) {
              save();
              hooks.onFailure?.(report.newFailure);
            }
            if (now() - lastSave >= SAVE_EVERY_MS) save();
          }),
        )
        .subscribe({ next: () => progress.next(), complete: resolve, error: reject });
    });
  } finally {
    progressDrawn.unsubscribe();
  }
  if (
    stopped === 'done' &&
    opts.stopAfterFailures !== undefined &&
    state.failures.length >= opts.stopAfterFailures
  ) {
    stopped = 'failures';
  }
  save();
  hooks.onProgress?.(state, total, now() - start);
  return {
    state,
    identity,
    stopped,
    ranNow: state.next - resumedAt,
    resumedAt,
    elapsedMs: now() - start,
    maxSteps,
  };
}
