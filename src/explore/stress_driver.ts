// One stress run on real threads and its replay check. The main thread builds the shared hardware
// state, dispatches one Piscina task per thread (each with a hung-task guard: AbortSignal.timeout, a
// kill switch reported as a crash, never a signal of the model), opens the start barrier once every
// thread has arrived, waits for all, and judges the final state with the same oracles as the replay.
// A failing run's ticket log is then replayed in this thread (the state must come out word for word
// the same) and turned into a token whose `ttm-sim replay` must give the same failure signature.

import type { Piscina } from 'piscina';
import type { StressThreadReport, StressThreadTask } from '../../workers/stress.worker.ts';
import { C, initState, Layout, type StressConfig, stateHash, ticketLog } from '../stress/layout.ts';
import { judge, signature, type Verdict } from '../stress/oracles.ts';
import { replayLog, replayToken } from './stress_replay.ts';

export interface StressOptions {
  readonly seed: bigint;
  readonly mutations: readonly string[];
  /** Busy-wait bound between segments, in loop iterations (default 2^19). */
  readonly jitter?: number;
  /** Hung-task guard per thread, in milliseconds of real time (default 20000). */
  readonly timeoutMs?: number;
}

export interface StressRun {
  readonly seed: bigint;
  readonly verdict: Verdict;
  readonly signature: string | null;
  readonly log: readonly number[];
  readonly state: Int32Array;
  readonly stateHash: number;
  /** Log entries whose thread differs from the previous entry's: how much the threads interleaved. */
  readonly switches: number;
  readonly threads: readonly StressThreadReport[];
}

export const DEFAULT_JITTER = 1 << 19;
export const DEFAULT_TIMEOUT_MS = 20_000;

/** Owner switches of a ticket log. */
export function switchesOf(log: readonly number[]): number {
  let n = 0;
  for (let i = 1; i < log.length; i++) if (log[i] !== log[i - 1]) n += 1;
  return n;
}

/**
 * Run `cfg` once on real threads. The pool must have at least `cfg.threads` threads: every thread of a
 * run waits at the barrier, and blocked threads sleep in Atomics.wait holding their worker.
 */
export async function stressRun(pool: Piscina, cfg: StressConfig, opts: StressOptions): Promise<StressRun> {
  const lay = new Layout(cfg);
  const sab = new SharedArrayBuffer(lay.words * 4);
  const w = new Int32Array(sab);
  initState(lay, w);
  let failed: unknown = null;
  const tasks = Array.from({ length: cfg.threads }, (_, thread) => {
    const task: StressThreadTask = {
      sab,
      config: cfg,
      thread,
      mutations: opts.mutations,
      seed: opts.seed.toString(),
      jitter: opts.jitter ?? DEFAULT_JITTER,
    };
    const run = pool.run(task, { signal: AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) });
    return (run as Promise<StressThreadReport>).catch((err: unknown) => {
      failed ??= err;
      return null;
    });
  });
  for (;;) {
    const ready = Atomics.load(w, C.READY);
    if (ready >= cfg.threads || failed !== null) break;
    const r = Atomics.waitAsync(w, C.READY, ready, 100);
    if (r.async) await r.value;
  }
  Atomics.store(w, C.GO, 1);
  Atomics.notify(w, C.GO);
  const reports = await Promise.all(tasks);
  const log = ticketLog(lay, w);
  const verdict: Verdict =
    failed === null
      ? judge(lay, w)
      : {
          kind: 'crash',
          id: 'crash.stress-thread',
          thread: null,
          message: `a stress thread did not finish: ${failed instanceof Error ? failed.message : String(failed)}`,
        };
  return {
    seed: opts.seed,
    verdict,
    signature: signature(cfg, verdict),
    log,
    state: w,
    stateHash: stateHash(w),
    switches: switchesOf(log),
    threads: reports.filter((r): r is StressThreadReport => r !== null),
  };
}

export interface ReplayCheck {
  /** The in-process replay of the log ended in the same state (same hash over every word). */
  readonly sameState: boolean;
  /** The token replays to the stress run's signature. */
  readonly sameSignature: boolean;
  readonly token: string;
  readonly replayedSignature: string | null;
  readonly steps: number;
}

/** Replay a run's log in this thread and as a token; compare state and signature with the run's. */
export function checkReplay(cfg: StressConfig, mutations: readonly string[], run: StressRun): ReplayCheck {
  const local = replayLog(cfg, mutations, run.log);
  const tok = replayToken(cfg, mutations, run.log, run.seed);
  return {
    sameState: stateHash(local.state) === run.stateHash,
    sameSignature: tok.again.signature === run.signature && tok.guided.signature === run.signature,
    token: tok.guided.token,
    replayedSignature: tok.again.signature,
    steps: tok.again.steps,
  };
}
