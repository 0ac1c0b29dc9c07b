// Livelock reports: a run that is still busy when its step budget ends is either a livelock (the same
// steps over and over: eviction ping-pong, an -EBUSY retry loop) or just long. The trace's tail tells
// them apart: find the shortest period p such that the last steps repeat with period p at least
// `REPEATS` times, comparing what each step did (actor, event, state change, effects) but not its step
// number or time.

import type { TraceLine } from '../engine/trace.ts';

export const REPEATS = 3;
/** Longest cycle looked for, in steps. */
export const MAX_PERIOD = 512;

export interface Cycle {
  /** Steps in one round of the cycle. */
  readonly period: number;
  /** Steps at the end of the run that follow the cycle. */
  readonly length: number;
  /** One round, as `actor event from→to` lines. */
  readonly round: readonly string[];
}

/**
 * An effect's actor as the cycle compares it: resources are allocated afresh at every placement attempt
 * (`res:605`, `res:607`, …), so a retry loop that allocates and frees one each round names a new one
 * every round; their numbers say nothing about the state and are left out.
 */
function effectActor(actor: string): string {
  return actor.startsWith('res:') ? 'res:#' : actor;
}

function stepKey(line: TraceLine): string {
  const effects = (line.effects ?? [])
    .map((e) => `${effectActor(e.actor)}:${e.event}:${e.from}>${e.to}`)
    .join(',');
  return `${line.actor}|${line.event}|${line.from}|${line.to}|${effects}`;
}

/** The repeating cycle at the end of `lines` (trace JSON lines), or null when the tail does not repeat. */
export function findCycle(lines: readonly string[]): Cycle | null {
  const tail = lines.slice(-MAX_PERIOD * (REPEATS + 1)).map((l) => JSON.parse(l) as TraceLine);
  const keys = tail.map(stepKey);
  const n = keys.length;
  for (let p = 1; p <= MAX_PERIOD && p * REPEATS <= n; p++) {
    let len = 0;
    while (len + p < n && keys[n - 1 - len] === keys[n - 1 - len - p]) len += 1;
    if (len + p >= p * REPEATS) {
      const round = tail.slice(n - p).map((l) => `${l.actor} ${l.event} ${l.from}→${l.to}`);
      return { period: p, length: len + p, round };
    }
  }
  return null;
}
