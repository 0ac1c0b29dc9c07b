// One segment of a stress thread, the same in both modes: take a ticket and log the thread at it, run
// the program up to its next yield, bump the epoch when the segment changed the state (blocked threads
// wait on the epoch), note a BLOCK, detect a deadlock, check the per-segment oracles. Stress mode runs
// it under the linearization lock; the deterministic mode runs it as one task step. Because the ticket
// log is exactly the order of these calls and a segment reads nothing but the state and its own
// program, replaying the log reproduces the run.

import type { Hw } from './hw.ts';
import { C, LOG_CAP, T } from './layout.ts';
import { checkStep } from './oracles.ts';
import { BLOCK, type Program } from './programs.ts';

/** next: runnable; block: wait for the epoch to move; done: finished; stopped: ABORT or log overflow. */
export type SegmentOutcome = 'next' | 'block' | 'done' | 'stopped';

export function runSegment(hw: Hw, t: number, prog: Program): SegmentOutcome {
  const lay = hw.lay;
  const w = hw.w;
  if (Atomics.load(w, C.OVERFLOW) !== 0) return 'stopped';
  const ticket = Atomics.add(w, C.TICKET, 1);
  if (ticket >= LOG_CAP) {
    Atomics.store(w, C.OVERFLOW, 1);
    Atomics.store(w, C.ABORT, 1);
    Atomics.add(w, C.EPOCH, 1);
    hw.dirty = true;
    return 'stopped';
  }
  Atomics.store(w, lay.log(ticket), t);
  hw.beginSegment();
  hw.note(lay.thread(t, T.BLOCKED), 0);
  if (hw.get(C.ABORT) !== 0) {
    hw.note(lay.thread(t, T.ABORTED), 1);
    hw.note(lay.thread(t, T.DONE), 1);
    return 'stopped';
  }
  const r = prog.next();
  let out: SegmentOutcome = r.done ? 'done' : r.value === BLOCK ? 'block' : 'next';
  if (out === 'done') hw.set(lay.thread(t, T.DONE), 1);
  if (hw.dirty) Atomics.add(w, C.EPOCH, 1);
  if (out === 'block') {
    hw.note(lay.thread(t, T.BLOCKED), 1);
    hw.note(lay.thread(t, T.OBSERVED), hw.get(C.EPOCH));
    if (!hw.dirty && deadlocked(hw)) {
      hw.set(C.ABORT, 1);
      hw.set(C.DEADLOCK_BY, t + 1);
      Atomics.add(w, C.EPOCH, 1);
      out = 'block';
    }
  }
  checkStep(hw, t);
  return out;
}

/**
 * Every live thread is blocked and saw the current epoch: each found its condition false in the state
 * as it is now, and only a live thread could change it.
 */
function deadlocked(hw: Hw): boolean {
  const lay = hw.lay;
  const epoch = hw.get(C.EPOCH);
  for (let t = 0; t < lay.cfg.threads; t++) {
    if (hw.get(lay.thread(t, T.DONE)) === 1) continue;
    if (hw.get(lay.thread(t, T.BLOCKED)) !== 1 || hw.get(lay.thread(t, T.OBSERVED)) !== epoch) return false;
  }
  return true;
}
