// Piscina worker: runs one slice of a campaign (src/explore/shard_run.ts) and returns its corpus
// record; progress and new failures go to the main thread through the task's MessagePort, and the
// task's SharedArrayBuffer flag stops it between two schedules. A warm-up task (`{ warmMs, scenario }`)
// runs a short throwaway campaign of the scenario (every arm, faults, oracles, coverage), so that the
// thread has loaded the sources through tsx (about 180 ms) and compiled the hot code of a campaign
// before anything is timed, then holds the thread for the rest of `warmMs`, so that warm-up tasks sent
// together land on different threads.
// Default export, no top-level await: loaded through tsx's require hook when running from source.

import { type PortTask, runPortTask, type ShardOutcome, warmUp } from '../src/explore/shard_run.ts';

export interface WarmTask {
  readonly warmMs: number;
  /** A scenario name or file to run a throwaway campaign of (see warmUp). */
  readonly scenario?: string;
  /** Its schedules (default 36: every arm in all four fault rounds, and more). */
  readonly schedules?: number;
}

async function warm(task: WarmTask): Promise<null> {
  const t0 = Date.now();
  if (task.scenario !== undefined) await warmUp(task.scenario, task.schedules ?? 36);
  const rest = task.warmMs - (Date.now() - t0);
  if (rest > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, rest);
  return null;
}

export async function campaignWorker(task: PortTask | WarmTask): Promise<ShardOutcome | null> {
  if ('warmMs' in task) return warm(task);
  return runPortTask(task);
}

export default campaignWorker;
