// The shape of a per-step oracle (DESIGN.md §3): a function of one world that returns the first breach of
// its invariant, or null, together with its catalogue entry (id, description, the upstream text it
// states, and `when: 'step'`: it is evaluated after every scheduler step).

import type { TtmGlobal } from '../../kernel/device.ts';
import type { CheckInfo } from '../../kernel/rules.ts';

/** A broken invariant: which oracle, what kind of failure it is, the object it is about, and why. */
export interface Violation {
  readonly oracle: string;
  /** `crash` when the state is one the simulator's own data structures cannot legitimately reach. */
  readonly kind: 'correctness' | 'crash';
  /** systemId of the object the violation is about (`bo:3`, `device:0/man2`, `pool`, `swap`, `task:x`). */
  readonly actor: string;
  readonly message: string;
}

export type Oracle = (g: TtmGlobal) => Violation | null;

/** A per-step oracle: its catalogue entry (evaluated at every step boundary) and its check. */
export interface OracleSpec extends CheckInfo {
  readonly when: 'step';
  readonly check: Oracle;
}

export function fail(
  oracle: string,
  actor: string,
  message: string,
  kind: Violation['kind'] = 'correctness',
): Violation {
  return { oracle, kind, actor, message };
}
