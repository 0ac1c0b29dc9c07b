// When did a failure become certain? For a failing run, keep its first j choices (its tape's prefix)
// and the faults that fired before the step of choice j, then draw random continuations from there
// (each continuation's choices come from its own seeded stream: uniform over the enabled actors, no
// further faults, at most 20 times the run's steps, or for a livelock the steps to its last choice).
// A continuation "fails the same way" when it ends with the run's failure signature
// (src/sim/run.ts signatureOf). Two boundaries are searched by bisection over j, assuming the share of
// continuations that fail grows with j (where it does not, bisection still ends on two neighbouring
// cuts on either side of the threshold, which is what is reported):
//   - the last avoidable choice: the largest j at which some continuation does not fail the same way;
//     the choice the run made there (at its trace step) is the last one that could have avoided the
//     failure: with it kept, every continuation drawn failed;
//   - the first certain choice: the smallest j at which at least `threshold` of the continuations fail
//     the same way; after the step of choice j − 1 the failure is (almost) certain.
// Keeping all the run's choices reproduces it exactly, so j = the tape's length always fails. Every
// continuation is a run of the simulator; a cut's continuations are drawn lazily and shared by both
// searches, and a search stops drawing at a cut once its answer there is known. The result is a
// function of the run and the number of continuations per cut: continuation i at cut j uses the
// stream `inevitable:j:i` forked from the run's seed. Mirrors no kernel file.

import { Rng } from '../engine/prng.ts';
import type { Chooser } from '../engine/strategy.ts';
import type { TraceLine } from '../engine/trace.ts';
import type { Failure } from '../engine/types.ts';
import type { Scenario } from '../sim/scenario.ts';
import { type ChoicePoint, choicePointsOf } from './choice_points.ts';
import { type RunOptions, runScenario } from './run.ts';

/** Share of continuations that must fail the same way for the failure to count as certain. */
export const CERTAIN_THRESHOLD = 0.95;
export const DEFAULT_TAILS = 20;
export const MAX_TAILS = 10_000;
const TAIL_MIN_STEPS = 2_000;
const TAIL_STEPS_FACTOR = 20;

/** After the tape runs out, a uniform random pick from a stream of its own. */
export class RandomTail implements Chooser {
  constructor(private readonly rng: Rng) {}
  register(): void {}
  posted(): void {}
  delivered(): void {}
  pick(enabled: readonly string[]): number {
    return this.rng.below(enabled.length);
  }
  chosen(): void {}
  priorityOf(): number | undefined {
    return undefined;
  }
}

/** What was learnt at one cut: continuations drawn so far and how many failed the same way. */
export interface Probe {
  /** Choices kept (the cut). */
  readonly kept: number;
  /** Trace step of the first choice left to the continuation (the run's step count when none is left). */
  readonly step: number;
  readonly tails: number;
  readonly failing: number;
}

/** A boundary found by the search. */
export interface Boundary {
  /** Choice number (0-based) of the run's choice at the boundary. */
  readonly choice: number;
  /** The trace step of that choice. */
  readonly step: number;
  /** The actor the run picked there, and the alternatives it had. */
  readonly picked: string;
  readonly enabled: readonly string[];
}

export interface InevitableResult {
  /** The failure signature continuations are compared with. */
  readonly signature: string;
  readonly failure: Failure;
  /** Steps and real choices of the failing run. */
  readonly steps: number;
  readonly choices: number;
  readonly tails: number;
  readonly threshold: number;
  /** Steps each continuation could take (see InevitableInput.tailMaxSteps). */
  readonly tailMaxSteps: number;
  /**
   * The last choice at which a continuation still avoided the failure: keeping the run's choices before
   * it, some continuation avoided it; keeping this one too, none did. Null when no continuation avoided
   * it even with no choice kept (the workload fails whatever the schedule, as far as was drawn).
   */
  readonly lastAvoidable: (Boundary & { readonly avoidedBy: string; readonly avoidedOutcome: string }) | null;
  /**
   * The choice after which at least `threshold` of the continuations fail the same way. Null when that
   * holds with no choice kept (certain from the start).
   */
  readonly certainAfter: Boundary | null;
  /** Every cut probed, by cut. */
  readonly probes: readonly Probe[];
  /** Simulator runs taken: the failing run twice (to read its choice points), then the continuations. */
  readonly runs: number;
  /** The failing run's trace and choice points (for viewers). */
  readonly lines: readonly TraceLine[];
  readonly points: readonly ChoicePoint[];
}

export interface InevitableInput {
  readonly scenario: Scenario;
  /** How to run the failing run (as a token decodes: seed, strategy, tape, mutations, faults, ...). */
  readonly options: RunOptions;
  /** Continuations per cut. */
  readonly tails?: number;
  readonly threshold?: number;
  /**
   * Steps a continuation may take: by default 20 times the failing run's steps, at least 2,000 (a
   * campaign's rule of thumb for its runs), so that a continuation that avoids the failure by running on
   * forever ends soon. For a failing run that ran to its step budget (a livelock), 20 times the steps up
   * to its last choice: a continuation that reaches its budget is then named a livelock by the cycle it
   * repeats, as the run was (the cycle's first actor, which the signature names, depends on where a run
   * stops, for the run as for its continuations).
   */
  readonly tailMaxSteps?: number;
}

/** A continuation's verdict and, for one that did not fail the same way, its token and outcome. */
interface Tail {
  readonly same: boolean;
  readonly token: string;
  readonly outcome: string;
}

/** What a viewer marks of a result: the two steps (src/viz/timeline-client.js draws them). */
export interface InevitableMarks {
  /** Trace step of the last choice that could still avoid the failure (null: none could). */
  readonly avoidableStep: number | null;
  /** Trace step after which ≥ the threshold of continuations fail the same way (null: from the start). */
  readonly certainStep: number | null;
  readonly tails: number;
  readonly runs: number;
}

/** The marks of a result. */
export function marksOf(r: InevitableResult): InevitableMarks {
  return {
    avoidableStep: r.lastAvoidable?.step ?? null,
    certainStep: r.certainAfter?.step ?? null,
    tails: r.tails,
    runs: r.runs,
  };
}

export type InevitableOutcome =
  | { readonly ok: true; readonly result: InevitableResult }
  | { readonly ok: false; readonly reason: string };

/**
 * Search the failing run's last avoidable and first certain choice (see the file comment). Never
 * throws for a run that passes: that is reported as a reason (nothing to search).
 * @throws RangeError when `tails` is not an integer in 1..MAX_TAILS or `threshold` not in (0, 1].
 */
export function inevitable(input: InevitableInput): InevitableOutcome {
  const tails = input.tails ?? DEFAULT_TAILS;
  const threshold = input.threshold ?? CERTAIN_THRESHOLD;
  if (!Number.isInteger(tails) || tails < 1 || tails > MAX_TAILS) {
    throw new RangeError(`tails must be an integer in 1..${MAX_TAILS}, got ${tails}`);
  }
  if (!(threshold > 0 && threshold <= 1))
    throw new RangeError(`threshold must be in (0, 1], got ${threshold}`);
  const { scenario } = input;
  const base: RunOptions = { ...input.options, keepTrace: false, recordChosen: false };
  const replay = choicePointsOf(scenario, base);
  const { run, points, lines } = replay;
  if (run.failure === null || run.signature === null) {
    return { ok: false, reason: "the token's run passes; there is no failure to date" };
  }
  const signature = run.signature;
  const tape = run.sim.scheduler.tape;
  const fired = run.faultsFired;
  const m = tape.length;
  const need = Math.ceil(threshold * tails - 1e-9);
  const { tape: _t, faults: _f, strategyParams: _p, guide: _g, coverage: _c, ...rest } = base;
  const drawn = new Map<number, Tail[]>();
  let runs = 2;
  const stepOf = (j: number) => points[j]?.step ?? run.steps;
  // A run that ran to its step budget (a livelock) is forced after its last choice: its length says
  // nothing, so continuations are measured against the steps up to its last choice instead.
  const ranToBudget = run.failure.id === 'liveness.livelock' || run.failure.id === 'liveness.step-budget';
  const measure = ranToBudget ? (points[m - 1]?.step ?? 0) + 1 : run.steps;
  const maxSteps = input.tailMaxSteps ?? Math.max(TAIL_MIN_STEPS, TAIL_STEPS_FACTOR * measure);

  const tail = (j: number, i: number): Tail => {
    const cut = stepOf(j);
    const faults = fired.filter((f) => f.step < cut).map((f) => f.at);
    const r = runScenario(scenario, {
      ...rest,
      strategy: 'fifo',
      maxSteps,
      tape: tape.slice(0, j),
      guide: new RandomTail(tailStream(base.seed, j, i)),
      ...(faults.length === 0 ? {} : { faults: { kind: 'planned', at: faults } }),
    });
    runs += 1;
    return { same: r.signature === signature, token: r.token, outcome: r.outcome };
  };
  /** Continuations at cut j, drawn until `enough` says the answer is known or all `tails` are drawn. */
  const drawUntil = (j: number, enough: (ts: readonly Tail[]) => boolean): Tail[] => {
    let ts = drawn.get(j);
    if (ts === undefined) {
      ts = [];
      drawn.set(j, ts);
    }
    while (ts.length < tails && !enough(ts)) ts.push(tail(j, ts.length));
    return ts;
  };
  const avoided = (ts: readonly Tail[]) => ts.some((t) => !t.same);
  const avoidable = (j: number) => j < m && avoided(drawUntil(j, avoided));
  const failing = (ts: readonly Tail[]) => ts.filter((t) => t.same).length;
  const certain = (j: number) => {
    if (j >= m) return true;
    const ts = drawUntil(j, (s) => failing(s) >= need || s.length - failing(s) > tails - need);
    return failing(ts) >= need;
  };

  // Last avoidable: avoidable(lo), not avoidable(hi).
  let lastAvoidable: InevitableResult['lastAvoidable'] = null;
  if (avoidable(0)) {
    let lo = 0;
    let hi = m;
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (avoidable(mid)) lo = mid;
      else hi = mid;
    }
    const witness = drawn.get(lo)!.find((t) => !t.same)!;
    lastAvoidable = { ...boundary(points[lo]!), avoidedBy: witness.token, avoidedOutcome: witness.outcome };
  }
  // First certain: not certain(lo), certain(hi); the boundary is the last kept choice, hi − 1.
  let certainAfter: Boundary | null = null;
  if (!certain(0)) {
    let lo = 0;
    let hi = m;
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (certain(mid)) hi = mid;
      else lo = mid;
    }
    certainAfter = boundary(points[hi - 1]!);
  }
  const probes = [...drawn.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([j, ts]) => ({ kept: j, step: stepOf(j), tails: ts.length, failing: failing(ts) }));
  return {
    ok: true,
    result: {
      signature,
      failure: run.failure,
      steps: run.steps,
      choices: m,
      tails,
      threshold,
      tailMaxSteps: maxSteps,
      lastAvoidable,
      certainAfter,
      probes,
      runs,
      lines,
      points,
    },
  };
}

/** The stream continuation i after j kept choices draws from. */
export function tailStream(seed: bigint, j: number, i: number): Rng {
  return Rng.fromSeed(seed).fork(`inevitable:${j}:${i}`);
}

function boundary(p: ChoicePoint): Boundary {
  return { choice: p.choice, step: p.step, picked: p.picked, enabled: p.enabled };
}
