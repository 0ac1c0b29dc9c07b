// Piscina worker: one stress thread. It waits at the start barrier, then runs its program segment by
// segment on the shared hardware state: seeded busy-wait jitter outside the lock (so threads really
// overlap), the linearization lock (compareExchange spin, then Atomics.wait), a ticket, the segment,
// unlock, and an Atomics.notify of the epoch when the segment changed the state. A BLOCK sleeps in
// Atomics.wait on the epoch word outside the lock: a signal is an interrupt flag plus that notify.
// Loaded through tsx's require hook when running from source: default export, no top-level await.

import { Rng } from '../src/engine/prng.ts';
import { Hw } from '../src/stress/hw.ts';
import { C, Layout, type StressConfig, T } from '../src/stress/layout.ts';
import { program } from '../src/stress/programs.ts';
import { runSegment } from '../src/stress/segment.ts';

export interface StressThreadTask {
  readonly sab: SharedArrayBuffer;
  readonly config: StressConfig;
  readonly thread: number;
  readonly mutations: readonly string[];
  /** Decimal seed of the run: each thread draws its jitter from its own fork of it. */
  readonly seed: string;
  /**
   * Upper bound of the busy-wait between two segments, in loop iterations (see `jitter`); 0: no
   * pause at all.
   */
  readonly jitter: number;
}

export interface StressThreadReport {
  readonly thread: number;
  readonly segments: number;
  /** Sleeps in Atomics.wait on the epoch (blocked segments). */
  readonly sleeps: number;
}

/** Real-time bound of one sleep: a safety net only, every change of the epoch notifies. */
const SLEEP_MS = 50;
const BARRIER_SPINS = 5_000_000;
let sink = 0;

function spin(n: number): void {
  let x = sink;
  for (let i = 0; i < n; i++) x = (Math.imul(x, 31) + i) | 0;
  sink = x;
}

/** A word nobody notifies: a timed Atomics.wait on it is a sleep that gives the core to another thread. */
const nap = new Int32Array(new SharedArrayBuffer(4));

/**
 * A seeded pause between segments: none, a short spin, a spin drawn log-uniformly up to the bound, or
 * a sleep of up to half a millisecond (on a loaded machine only a sleep lets another thread run now).
 */
function jitter(rng: Rng, bound: number): void {
  if (bound <= 0) return;
  switch (rng.below(4)) {
    case 0:
      return;
    case 1:
      spin(rng.below(4096));
      return;
    case 2: {
      const bits = 32 - Math.clz32(bound);
      spin(rng.below(Math.min(bound, 2 ** rng.below(bits + 1)) + 1));
      return;
    }
    default:
      Atomics.wait(nap, 0, 0, rng.below(500) / 1000);
  }
}

/** Spin on GO for a while (sleepers wake one by one, spinners see it together), then sleep on it. */
function barrier(w: Int32Array): void {
  for (let i = 0; i < BARRIER_SPINS; i++) if (Atomics.load(w, C.GO) !== 0) return;
  barrier(w);
}

function lock(w: Int32Array, t: number): void {
  for (let spins = 0; ; spins++) {
    const cur = Atomics.compareExchange(w, C.LIN, 0, t + 1);
    if (cur === 0) return;
    if (spins >= 64) Atomics.wait(w, C.LIN, cur, 1);
  }
}

function unlock(w: Int32Array): void {
  Atomics.store(w, C.LIN, 0);
  Atomics.notify(w, C.LIN, 1);
}

export function stressThread(task: StressThreadTask): StressThreadReport {
  const lay = new Layout(task.config);
  const w = new Int32Array(task.sab);
  const hw = new Hw(lay, w);
  const prog = program(hw, task.thread, new Set(task.mutations));
  const rng = Rng.fromSeed(BigInt(task.seed)).fork(`jitter:${task.thread}`);
  Atomics.add(w, C.READY, 1);
  Atomics.notify(w, C.READY);
  barrier(w);
  let segments = 0;
  let sleeps = 0;
  for (;;) {
    jitter(rng, task.jitter);
    lock(w, task.thread);
    const out = runSegment(hw, task.thread, prog);
    const changed = hw.dirty;
    unlock(w);
    segments += 1;
    if (changed) Atomics.notify(w, C.EPOCH);
    if (out === 'done' || out === 'stopped') return { thread: task.thread, segments, sleeps };
    if (out === 'block') {
      sleeps += 1;
      // Run the next segment only once the epoch moved (the deterministic mode's tasks wait for the
      // same): a timed-out wait just waits again.
      const seen = Atomics.load(w, lay.thread(task.thread, T.OBSERVED));
      while (Atomics.load(w, C.EPOCH) === seen) Atomics.wait(w, C.EPOCH, seen, SLEEP_MS);
    }
  }
}

export default stressThread;
