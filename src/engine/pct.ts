// PCT, probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, "A Randomized
// Scheduler with Probabilistic Guarantees of Finding Bugs", ASPLOS'10), over the scheduler's actors;
// compare Coyote's PCTStrategy and Shuttle's PctScheduler.
//
// The algorithm: every actor gets a distinct random priority in the high band (above d); d − 1 change
// points k_1..k_{d−1} are drawn as distinct uniform choice numbers in [1, k]; at every choice the enabled
// actor with the highest priority runs; when the number of choices made reaches k_i, the priority of the
// actor that just ran drops to i (the low band 1..d−1, below every initial priority).
//
// The guarantee (the paper's main theorem): for a program of n threads that takes at most k steps, one run
// hits any given bug of depth d (one that needs d particular ordering constraints to hold) with
// probability at least 1/(n·k^(d−1)); N independent runs miss it with probability at most
// (1 − 1/(n·k^(d−1)))^N. It holds here under these readings of the paper's assumptions:
// * Threads are actors. An actor is runnable when its inbox is non-empty and its program is its inbox,
//   delivered FIFO; an actor with an empty inbox is blocked. n counts every actor registered during the
//   run. Actors registering late draw a random priority in the same high band, so at any time the high-band
//   order of the actors registered so far is a uniform random permutation, as the proof needs.
// * Steps are choice points. Only steps with two or more enabled actors count (a step with one enabled
//   actor is no decision: the paper's §4.1, "identifying sequential execution"), so k must bound the
//   number of choices of a run, not its steps. A run with more than k choices keeps working, but no change
//   point lands beyond k, so the bound no longer covers bugs that need a change there; a k far above the
//   real count only weakens the bound (k^(d−1) grows).
// * The bound is for one fixed bug and is a lower bound: most bugs are hit far more often, since many
//   priority orders and change points work.
// * Timers fire only when every inbox is empty, so they are never a choice and never a change point.
// * When a tape decides a choice, that choice still counts and can be a change point: PCT follows what ran.
// Simplification: high-band priorities are random distinct 32-bit values above d rather than a permutation
// of d..d+n−1: the order they induce has the same distribution, and actors can join at any time.

import type { Rng } from './prng.ts';
import { type Chooser, type PctParams, strategyProblem } from './strategy.ts';

/** Span of the high band: d + 1 .. d + 2^32. */
const HIGH_SPAN = 0x1_0000_0000;

export class Pct implements Chooser {
  readonly depth: number;
  readonly k: number;
  private readonly rng: Rng;
  private readonly priority = new Map<string, number>();
  /** High-band values handed out so far (kept after a drop, so no two actors ever share one). */
  private readonly used = new Set<number>();
  /** points[i − 1] = k_i, the choice number at which the actor that runs drops to priority i. */
  private readonly points: number[] = [];
  private choices = 0;

  /**
   * Draw the d − 1 change points from `rng`; actors draw their priorities from it as they register.
   * @throws RangeError when the params are invalid (see `strategyProblem`).
   */
  constructor(rng: Rng, params: PctParams) {
    const problem = strategyProblem('pct', params);
    if (problem !== undefined) throw new RangeError(problem);
    this.rng = rng;
    this.depth = params.depth;
    this.k = params.k;
    for (let i = 1; i < this.depth; i++) {
      let point = rng.int(1, this.k);
      while (this.points.includes(point)) point = rng.int(1, this.k);
      this.points.push(point);
    }
  }

  /** k_1..k_{d−1}, in the order drawn (k_i demotes to priority i). */
  get changePoints(): readonly number[] {
    return this.points;
  }

  register(id: string): void {
    let value = this.rng.int(0, HIGH_SPAN - 1);
    while (this.used.has(value)) value = this.rng.int(0, HIGH_SPAN - 1);
    this.used.add(value);
    this.priority.set(id, this.depth + 1 + value);
  }

  posted(): void {}

  delivered(): void {}

  /** The enabled actor with the highest priority (priorities are distinct, so there are no ties). */
  pick(enabled: readonly string[]): number {
    let best = 0;
    let bestPriority = -1;
    for (let i = 0; i < enabled.length; i++) {
      const p = this.priority.get(enabled[i]!) ?? 0;
      if (p > bestPriority) {
        best = i;
        bestPriority = p;
      }
    }
    return best;
  }

  chosen(id: string): void {
    this.choices += 1;
    const i = this.points.indexOf(this.choices);
    if (i >= 0) this.priority.set(id, i + 1);
  }

  priorityOf(id: string): number | undefined {
    return this.priority.get(id);
  }
}
