// Running the slices of a campaign: one slice as a task (plain data in, plain data out, so it runs the
// same on the main thread and on a Piscina worker thread, workers/campaign.worker.ts), and all slices
// of a campaign on a pool, with progress gathered from the threads and one stop flag for all of them
// (the slices' results are RxJS streams, merged and folded into slice order: campaign_streams.ts).
// The stop flag is an Int32Array over a SharedArrayBuffer: Ctrl-C stores 1 with Atomics and every slice
// sees it before its next schedule, saves its corpus file and returns what it has. Wall-clock time is
// read here only for the time budget and progress; no schedule depends on it.

import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { lastValueFrom, merge, Observable, tap } from 'rxjs';
import type { StrategySpec } from '../engine/strategy.ts';
import { resolveScenario } from '../sim/scenario_file.ts';
import type {
  Arm,
  Calibration,
  CampaignFaults,
  CampaignOptions,
  FoundFailure,
  ShardSlice,
} from './campaign.ts';
import { outcomesInSliceOrder, type SliceEvent } from './campaign_streams.ts';
import { type OnDisk, toRecord } from './corpus.ts';
import { fuzz, prepareCampaign, type StopReason, sliceRecord } from './fuzz.ts';

/** One slice of a campaign, as plain data. */
export interface ShardTask {
  /** A built-in scenario's name or a scenario file's path (as `--scenario` takes it). */
  readonly scenario: string;
  /** Decimal base seed. */
  readonly baseSeed: string;
  /** The campaign's schedule count (all slices together); null when only a time budget bounds it. */
  readonly schedules: number | null;
  readonly strategy?: StrategySpec;
  readonly arms?: readonly Arm[];
  readonly mutations: readonly string[];
  /** Design specs every schedule runs under; none when absent. */
  readonly designs?: readonly string[];
  /** The step budget of a schedule; from the calibration when absent. */
  readonly maxSteps?: number;
  readonly faults: CampaignFaults;
  readonly shrink: boolean;
  readonly shard: ShardSlice;
  /** The campaign's calibration, used when the slice starts afresh (every slice calibrates alike). */
  readonly calibration?: Calibration;
  /** Resume from and keep the slice in `corpusDir/shard-K-of-N.json`. */
  readonly corpusDir?: string;
  /** Wall-clock time (ms since the epoch) at which the slice stops, wherever it is. */
  readonly deadlineMs?: number;
  /** Most wall-clock time the slice runs from when it starts (ms), within the deadline. */
  readonly budgetMs?: number;
  /** Int32Array[1] over it: 1 stops the slice before its next schedule. */
  readonly stop?: SharedArrayBuffer;
}

/** What a slice returns: its corpus record (the state), and how this run of it went. */
export interface ShardOutcome {
  readonly record: OnDisk;
  readonly stopped: StopReason;
  readonly ranNow: number;
  readonly resumedAt: number;
  readonly elapsedMs: number;
}

/** Messages a slice on a worker thread posts to the main thread. */
export type ShardMessage =
  | { readonly type: 'progress'; readonly scenario: string; readonly shard: number; readonly done: number }
  | {
      readonly type: 'failure';
      readonly scenario: string;
      readonly shard: number;
      readonly failure: FoundFailure;
    }
  | { readonly type: 'done'; readonly scenario: string; readonly shard: number };

export interface ShardHooks {
  readonly onMessage?: (m: ShardMessage) => void;
  readonly progressMs?: number;
}

/** Wall-clock time in ms, read for time budgets and progress only (never by a run). */
export function wallClock(): number {
  return Date.now();
}

/** The campaign options of a slice task. Throws on an unknown scenario (the caller resolved it before). */
export function taskOptions(task: ShardTask): CampaignOptions {
  const r = resolveScenario(task.scenario);
  if (!r.ok) throw new Error(r.reason);
  const left = task.deadlineMs === undefined ? undefined : task.deadlineMs - Date.now();
  const budget = left === undefined ? task.budgetMs : Math.min(left, task.budgetMs ?? left);
  return {
    scenario: r.scenario,
    baseSeed: BigInt(task.baseSeed),
    schedules: task.schedules ?? Number.POSITIVE_INFINITY,
    ...(budget === undefined ? {} : { timeBudgetMs: Math.max(0, budget) }),
    ...(task.strategy === undefined ? {} : { strategy: task.strategy }),
    ...(task.arms === undefined ? {} : { arms: task.arms }),
    mutations: task.mutations,
    ...((task.designs ?? []).length === 0 ? {} : { designs: task.designs }),
    ...(task.maxSteps === undefined ? {} : { maxSteps: task.maxSteps }),
    faults: task.faults,
    shrink: task.shrink,
    shard: task.shard,
  };
}

/** Run one slice (resumed from its corpus file when there is one) until its share, budget or stop. */
export async function runShardTask(task: ShardTask, hooks: ShardHooks = {}): Promise<ShardOutcome> {
  const opts = taskOptions(task);
  const prepared = prepareCampaign(opts, task.corpusDir, task.calibration);
  if (!prepared.ok) throw new Error(prepared.reason);
  const flag = task.stop === undefined ? undefined : new Int32Array(task.stop);
  const shard = task.shard.index;
  const scenario = task.scenario;
  const r = await fuzz(opts, prepared, {
    ...(task.corpusDir === undefined ? {} : { corpusDir: task.corpusDir }),
    progressMs: hooks.progressMs ?? 250,
    onProgress: (state) => hooks.onMessage?.({ type: 'progress', scenario, shard, done: state.next }),
    onFailure: (failure) => hooks.onMessage?.({ type: 'failure', scenario, shard, failure }),
    stopRequested: () => flag !== undefined && Atomics.load(flag, 0) !== 0,
  });
  return {
    record: toRecord(r.identity, r.state, sliceRecord(opts, task.shard)),
    stopped: r.stopped,
    ranNow: r.ranNow,
    resumedAt: r.resumedAt,
    elapsedMs: r.elapsedMs,
  };
}

/** A slice task on a worker thread, with the port it reports progress and failures through. */
export interface PortTask extends ShardTask {
  readonly port: MessagePort;
}

/** What the worker entry point does: run the slice, report through the port, close it. */
export async function runPortTask(task: PortTask): Promise<ShardOutcome> {
  const { port, ...rest } = task;
  try {
    return await runShardTask(rest, { onMessage: (m) => port.postMessage(m) });
  } finally {
    port.postMessage({
      type: 'done',
      scenario: task.scenario,
      shard: task.shard.index,
    } satisfies ShardMessage);
    port.close();
  }
}

export interface PoolHooks {
  /** Every message of every slice, on the main thread. */
  readonly onMessage?: (m: ShardMessage) => void;
}

/** A slice's outcome, or what it threw. */
type Settled =
  | { readonly ok: true; readonly value: ShardOutcome }
  | { readonly ok: false; readonly error: unknown };

/**
 * One slice on `pool` as a stream: the messages it posts while it runs, then its outcome (or what it
 * threw). The result comes back on Piscina's channel; the last progress and failure messages may still
 * be on their way on the slice's port, so the slice is over when both have arrived (a slice that threw
 * is over at once).
 */
function sliceOnPool$(
  pool: Piscina,
  task: ShardTask,
  slice: number,
): Observable<SliceEvent<ShardMessage, Settled>> {
  return new Observable<SliceEvent<ShardMessage, Settled>>((sub) => {
    const { port1, port2 } = new MessageChannel();
    let portDone = false;
    let result: Settled | null = null;
    const finish = (): void => {
      if (result === null || (result.ok && !portDone)) return;
      sub.next({ kind: 'outcome', slice, outcome: result });
      sub.complete();
    };
    port1.on('message', (m: ShardMessage) => {
      if (m.type === 'done') {
        port1.close();
        portDone = true;
        finish();
      } else sub.next({ kind: 'message', slice, message: m });
    });
    (
      pool.run({ ...task, port: port2 } satisfies PortTask, {
        transferList: [port2],
      }) as Promise<ShardOutcome>
    ).then(
      (value) => {
        result = { ok: true, value };
        finish();
      },
      (error: unknown) => {
        result = { ok: false, error };
        finish();
      },
    );
  });
}

/**
 * Run the slice tasks on `pool` (in any order, as threads come free) and return their outcomes in slice
 * order: the slices' streams merged, each message handed on as it arrives, the outcomes folded into
 * slice order (the same array whatever order the threads finish in). A slice that throws rejects the
 * whole run, with the first error in slice order, once every slice is over (so the others' corpus files
 * are complete).
 */
export async function runShardsOnPool(
  pool: Piscina,
  tasks: readonly ShardTask[],
  hooks: PoolHooks = {},
): Promise<ShardOutcome[]> {
  const settled = await lastValueFrom(
    merge(...tasks.map((task, slice) => sliceOnPool$(pool, task, slice))).pipe(
      tap((e) => {
        if (e.kind === 'message') hooks.onMessage?.(e.message);
      }),
      outcomesInSliceOrder<ShardMessage, Settled>(tasks.length),
    ),
    { defaultValue: [] as readonly (Settled | undefined)[] },
  );
  const failed = settled.find((s) => s?.ok === false);
  if (failed !== undefined && !failed.ok) throw failed.error;
  return settled.map((s) => (s as { readonly value: ShardOutcome }).value);
}

/** Run the slice tasks one after another on this thread (the reference the pool is measured against). */
export async function runShardsHere(
  tasks: readonly ShardTask[],
  hooks: PoolHooks = {},
): Promise<ShardOutcome[]> {
  const out: ShardOutcome[] = [];
  for (const t of tasks) {
    out.push(await runShardTask(t, hooks.onMessage === undefined ? {} : { onMessage: hooks.onMessage }));
  }
  return out;
}

/**
 * A throwaway campaign of `schedules` schedules of `scenario` (base seed 2^40, so none of a real
 * campaign's seeds; faults mixed; shrinking off): it makes a thread compile the hot code of every arm,
 * fault mode, oracle and the coverage before a measured campaign runs on it.
 */
export async function warmUp(scenario: string, schedules: number): Promise<void> {
  await runShardTask({
    scenario,
    baseSeed: String(1n << 40n),
    schedules,
    mutations: [],
    faults: 'mixed',
    shrink: false,
    shard: { index: 0, count: 1 },
  });
}

/** The tasks of all `count` slices of a campaign. */
export function shardTasks(base: Omit<ShardTask, 'shard'>, count: number): ShardTask[] {
  return Array.from({ length: count }, (_, index) => ({ ...base, shard: { index, count } }));
}
