// What a built-in scenario is: a named, hashed configuration that builds a workload in a fresh Sim and,
// after the run, reports its statistics and any broken end-of-run invariant.

import type { Rng } from '../engine/prng.ts';
import type { TtmGlobal } from '../kernel/device.ts';
import type { Sim } from './sim.ts';

export interface Breach {
  /** Check id, e.g. `correctness.leak`. */
  readonly id: string;
  readonly message: string;
  readonly actor?: string;
}

export interface Workload {
  /** Statistics for the summary (numbers only, stable key order). */
  stats(): Record<string, number>;
  /** End-of-run invariants; empty when all hold. */
  check(): Breach[];
  /** One human line per object worth showing at the end (final placements). */
  describe(): string[];
  /** The TTM worlds the scenario built (RAM, swap, devices, live BOs): what the per-step oracles check. */
  worlds(): TtmGlobal[];
  /**
   * The objects besides the worlds that more than one task (or a fence callback) reads or writes, such
   * as the scenario's run object: verify's reduction records accesses to what is reachable from the
   * worlds and from these (src/explore/footprint.ts). A scenario without it is searched unreduced.
   */
  shared?(): readonly object[];
}

/** A `sometimes` goal: reached by a run whose statistic `id` is above 0. */
export interface SometimesGoal {
  /** A key of the workload's `stats()`. */
  readonly id: string;
  readonly description: string;
}

export type ScenarioExpectation = 'pass' | 'fail';

export interface Scenario {
  readonly name: string;
  /** One line for `ttm-sim scenarios`. */
  readonly summary: string;
  /** Everything that shapes the workload; its canonical hash goes into tokens. */
  readonly config: Record<string, unknown>;
  /** Rare situations a campaign over this scenario should reach; listed when never reached. */
  readonly sometimes?: readonly SometimesGoal[];
  /**
   * What campaigns over the unmutated model find: `pass` (the default) when every schedule must pass,
   * `fail` when some schedules fail by design (a scenario that demonstrates a bug class, such as a
   * deadlock without ww tickets). The default suite (`ttm-sim fuzz` without `--scenario`) runs every
   * scenario expected to pass.
   */
  readonly expect?: ScenarioExpectation;
  /** Create devices, objects and tasks in `sim`; `rng` is the scenario's own stream. */
  build(sim: Sim, rng: Rng): Workload;
}
