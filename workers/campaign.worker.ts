// Piscina worker: runs one slice of a campaign (src/explore/shard_run.ts) and returns its corpus
// record; progress and new failures go to the main thread through the task's MessagePort, and the
// task's SharedArrayBuffer flag stops it between two schedules. A `{ warmMs }` task only holds the
// thread for that long: a pool is warmed with one per thread, so that loading the sources through tsx
// (about 180 ms a thread) is not counted in what is measured.
// Default export, no top-level await: loaded through tsx's require hook when running from source.

import { type PortTask, runPortTask, type ShardOutcome } from '../src/explore/shard_run.ts';

export interface WarmTask {
  readonly warmMs: number;
}

export async function campaignWorker(task: PortTask | WarmTask): Promise<ShardOutcome | null> {
  if ('warmMs' in task) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, task.warmMs);
    return null;
  }
  return runPortTask(task);
}

export default campaignWorker;
