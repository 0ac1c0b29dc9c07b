// Piscina worker: runs one slice of a campaign (src/explore/shard_run.ts) and returns its corpus
// record; progress and new failures go to the main thread through the task's MessagePort, and the
// task's SharedArrayBuffer flag stops it between two schedules. A warm-up task (`{ warmMs, scenario }`)
// runs the scenario's calibration schedules, so that the thread has loaded the sources through tsx
// (about 180 ms) and compiled the simulator's hot code before anything is timed, then holds the
// thread for the rest of `warmMs`, so that warm-up tasks sent together land on different threads.
// Default export, no top-level await: loaded through tsx's require hook when running from source.

import { calibrate } from '../src/explore/campaign.ts';
import { type PortTask, runPortTask, type ShardOutcome } from '../src/explore/shard_run.ts';
import { resolveScenario } from '../src/sim/scenario_file.ts';

export interface WarmTask {
  readonly warmMs: number;
  /** A scenario name or file whose calibration schedules to run (seeds 2^40 + 0..7). */
  readonly scenario?: string;
  /** Calibration passes to run (default 1). */
  readonly rounds?: number;
}

function warm(task: WarmTask): null {
  const t0 = Date.now();
  if (task.scenario !== undefined) {
    const r = resolveScenario(task.scenario);
    if (!r.ok) throw new Error(r.reason);
    for (let i = 0; i < (task.rounds ?? 1); i++) calibrate(r.scenario, (1n << 40n) + BigInt(8 * i), []);
  }
  const rest = task.warmMs - (Date.now() - t0);
  if (rest > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, rest);
  return null;
}

export async function campaignWorker(task: PortTask | WarmTask): Promise<ShardOutcome | null> {
  if ('warmMs' in task) return warm(task);
  return runPortTask(task);
}

export default campaignWorker;
