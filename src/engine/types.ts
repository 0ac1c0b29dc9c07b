// Engine-wide contracts: what an actor, a message envelope, a scenario and a run result are.
// The engine knows nothing of TTM; the kernel model plugs in through these types only.

import type { Msg } from './messages.ts';

/** One message in flight: posted by `from`, waiting in `to`'s inbox until the scheduler delivers it. */
export interface Envelope {
  /** Global post order, starting at 0 for each run. */
  readonly seq: number;
  /** systemId of the sender (`task:0`, `bo:3`, `engine` for scenario bootstrap). */
  readonly from: string;
  /** systemId of the receiver. */
  readonly to: string;
  readonly msg: Msg;
  /** Step during which it was posted (-1: before the first step, e.g. scenario setup). */
  readonly sent: number;
}

/** An entry of the trace for state changes an actor underwent as a side effect of another's step. */
export interface Effect {
  readonly actor: string;
  readonly event: string;
  readonly from: string;
  readonly to: string;
  /** The event's fields other than its type (e.g. a manager's `usage`), when it has any. */
  readonly data?: Readonly<Record<string, string | number | boolean | null>>;
}

/** Anything the scheduler can deliver messages to. Identified by a stable systemId, never a session id. */
export interface SimActor {
  readonly id: string;
  /** Handle one message. Must not throw for kernel-level errors (those are data); a throw is a simulator crash. */
  deliver(env: Envelope): void;
  /** Canonical state string for the trace (e.g. the JSON of an XState snapshot value). */
  state(): string;
}

export type Outcome = 'pass' | 'correctness' | 'liveness' | 'crash';

/** Exit codes of the `ttm-sim` command, one per outcome plus bad input. */
export const EXIT_CODE = {
  pass: 0,
  correctness: 1,
  badInput: 2,
  liveness: 3,
  crash: 4,
} as const;

/** What went wrong, when the outcome is not `pass`. */
export interface Failure {
  readonly kind: Exclude<Outcome, 'pass'>;
  /** Oracle or check id, e.g. `liveness.unfinished-task`, `crash.exception`. */
  readonly id: string;
  readonly message: string;
  /** Step at which it was detected (the step count when detected after the run). */
  readonly step: number;
  readonly actor?: string;
}
