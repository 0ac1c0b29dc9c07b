// Shrinking a failing schedule (DESIGN.md §3): delta debugging over the run's injected faults, its
// workload tasks and timed signals, and its preemptions, keeping the failure signature (check id, actor
// class, actor state, errno).
// A schedule is rewritten as "decisions": the real choices at which the run did not simply let the
// actor that ran last go on. A guided replay takes each decision when its actor is enabled and
// otherwise lets the last actor continue (or the first enabled one when it cannot), so removing a
// decision removes a preemption. ddmin removes chunks of faults, then of tasks and timed signals (the
// scenario's own: kernel workers stay), then of decisions, while the signature survives; a final pass
// tries each remaining decision alone. Leaving a task out shifts every later choice, so while tasks are
// dropped the schedule is followed by actor rather than by choice number (`Follow`), and the decisions
// are taken again from the run that kept the failure with the fewest tasks. The shrunk run is packaged as a
// token with its full tape ('fifo' strategy: no random draw is left), which replays it exactly.

import type { Chooser } from '../engine/strategy.ts';
import type { Scenario } from '../sim/scenario.ts';
import { type RunOptions, type RunResult, runScenario } from './run.ts';

/** The guided chooser: decisions by choice number, otherwise non-preemptive. */
export class Guide implements Chooser {
  /** Actor the default would pick at each choice (what the run would do without decisions). */
  readonly defaults: string[] = [];
  /** Choices at which the actor picked was not the one that ran last although it was enabled. */
  preemptions = 0;
  /** For each preemption, the number of messages delivered before it (the k-th delivery preempted). */
  readonly preemptedDeliveries: number[] = [];
  private deliveries = 0;
  private last = '';
  private choice = 0;
  private lastWasEnabled = false;
  private defaultPick = '';

  constructor(private readonly decisions: ReadonlyMap<number, string>) {}

  register(): void {}
  posted(): void {}
  delivered(id: string): void {
    this.last = id;
    this.deliveries += 1;
  }
  pick(enabled: readonly string[]): number {
    const at = enabled.indexOf(this.last);
    this.lastWasEnabled = at >= 0;
    this.defaultPick = enabled[at >= 0 ? at : 0]!;
    const want = this.decisions.get(this.choice);
    if (want !== undefined) {
      const i = enabled.indexOf(want);
      if (i >= 0) return i;
    }
    return at >= 0 ? at : 0;
  }
  chosen(id: string): void {
    this.defaults.push(this.defaultPick);
    if (this.lastWasEnabled && id !== this.last) {
      this.preemptions += 1;
      this.preemptedDeliveries.push(this.deliveries);
    }
    this.choice += 1;
  }
  priorityOf(): number | undefined {
    return undefined;
  }
}

/**
 * Follows a recorded sequence of picked actors, skipping the entries whose actor is not enabled (it was
 * left out, or the run went another way) and falling back to the actor that ran last.
 */
class Follow implements Chooser {
  private at = 0;
  private last = '';
  constructor(private readonly sequence: readonly string[]) {}
  register(): void {}
  posted(): void {}
  delivered(id: string): void {
    this.last = id;
  }
  pick(enabled: readonly string[]): number {
    // Look a short way ahead only: a long skip means the runs parted, and the default is then safer.
    for (let j = this.at; j < Math.min(this.sequence.length, this.at + 8); j++) {
      const i = enabled.indexOf(this.sequence[j]!);
      if (i >= 0) {
        this.at = j + 1;
        return i;
      }
    }
    const i = enabled.indexOf(this.last);
    return i >= 0 ? i : 0;
  }
  chosen(): void {}
  priorityOf(): number | undefined {
    return undefined;
  }
}

/** The failing run to shrink: what runScenario was given (tape-less runs are recorded again). */
export interface ShrinkInput {
  readonly scenario: Scenario;
  readonly options: RunOptions;
  /** The failure signature to keep; taken from a fresh run of `options` when absent. */
  readonly signature?: string;
  /**
   * Steps a candidate run may take (a campaign's calibrated budget); `options.maxSteps` when absent.
   * A candidate that loses the failure may run on until its budget: with the default budget of a run
   * (200,000 steps) a few such candidates spend the whole time budget. A candidate cut off at the
   * budget fails as liveness.step-budget, another signature, so it is not kept; a failure that is
   * itself a step-budget failure keeps the original budget.
   */
  readonly candidateMaxSteps?: number;
}

export interface ShrinkResult {
  /** The failure signature kept (null: the input run did not fail, nothing to shrink). */
  readonly signature: string | null;
  /** Token of the shrunk run: replays it exactly. */
  readonly token: string;
  /** The shrunk run itself (with its trace lines). */
  readonly run: RunResult;
  readonly preemptions: number;
  /** Trace steps of the shrunk run at which an actor was preempted (another ran although it could). */
  readonly preemptionSteps: readonly number[];
  readonly preemptionsBefore: number;
  readonly faults: number;
  readonly faultsBefore: number;
  /** Tasks and timed signals left out of the shrunk run (`task:NAME`, `signal:N`). */
  readonly omitted: readonly string[];
  /** Tasks and timed signals the original run had (what could be left out). */
  readonly omittableBefore: number;
  readonly steps: number;
  readonly stepsBefore: number;
  /** Candidate runs tried. */
  readonly tries: number;
  /** True when the time budget ran out before the search ended (the result still fails the same way). */
  readonly timedOut: boolean;
}

/** Delta debugging (Zeller's ddmin) over `items`: a smallest-found subset for which `keeps` holds. */
function ddmin<T>(
  items: readonly T[],
  keeps: (subset: readonly T[]) => boolean,
  expired: () => boolean,
): T[] {
  let current = [...items];
  let n = 2;
  while (current.length >= 2 && !expired()) {
    const chunk = Math.ceil(current.length / n);
    let reduced = false;
    for (let start = 0; start < current.length && !expired(); start += chunk) {
      const complement = [...current.slice(0, start), ...current.slice(start + chunk)];
      if (keeps(complement)) {
        current = complement;
        n = Math.max(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (n >= current.length) break;
      n = Math.min(current.length, n * 2);
    }
  }
  if (current.length === 1 && !expired() && keeps([])) return [];
  return current;
}

/**
 * Shrink a failing run within `budgetMs` of wall-clock time (a budget on the search only: every result
 * is checked by running it, so it is deterministic given the same number of tries).
 */
export function shrink(input: ShrinkInput, budgetMs = 10_000, now: () => number = Date.now): ShrinkResult {
  const { scenario } = input;
  const base: RunOptions = { ...input.options, keepTrace: false };
  const original = runScenario(scenario, { ...base, recordChosen: true });
  const signature = input.signature ?? original.signature;
  const faultsBefore = original.faultsFired.map((f) => f.at);
  if (signature === null || original.signature !== signature) {
    return {
      signature: null,
      token: original.token,
      run: original,
      preemptions: 0,
      preemptionSteps: [],
      preemptionsBefore: 0,
      faults: faultsBefore.length,
      faultsBefore: faultsBefore.length,
      omitted: original.sim.omittable.filter((id) => (base.omit ?? []).includes(id)),
      omittableBefore: original.sim.omittable.length,
      steps: original.steps,
      stepsBefore: original.steps,
      tries: 1,
      timedOut: false,
    };
  }
  const deadline = now() + budgetMs;
  const expired = () => now() > deadline;
  let tries = 1;
  // Options of a guided candidate: the strategy is irrelevant (every choice is the guide's) and 'fifo'
  // keeps the token free of strategy parameters.
  const { strategyParams: _p, tape: _t, omit: omit0 = [], ...unbounded } = base;
  const cap =
    input.candidateMaxSteps === undefined || original.failure?.id === 'liveness.step-budget'
      ? undefined
      : Math.max(input.candidateMaxSteps, original.steps + 1);
  const rest: RunOptions = cap === undefined ? unbounded : { ...unbounded, maxSteps: cap };
  let omit: readonly string[] = omit0;
  const guided = (
    decisions: ReadonlyMap<number, string>,
    faults: readonly number[],
    keepTrace = false,
    chooser: Chooser | null = null,
  ) => {
    const guide = new Guide(decisions);
    const run = runScenario(scenario, {
      ...rest,
      strategy: 'fifo',
      guide: chooser ?? guide,
      keepTrace,
      recordChosen: true,
      faults: { kind: 'planned', at: faults },
      ...(omit.length === 0 ? {} : { omit }),
    });
    tries += 1;
    return { run, guide };
  };
  // Re-run the original as a fully guided run to learn, at every choice, what the default would pick.
  const chosen = original.sim.scheduler.chosenIds;
  const full = guided(new Map(chosen.map((id, c) => [c, id])), faultsBefore);
  const decisions0: [number, string][] = [];
  chosen.forEach((id, c) => {
    if (full.guide.defaults[c] !== id) decisions0.push([c, id]);
  });
  const keeps = (d: readonly [number, string][], f: readonly number[]) =>
    guided(new Map(d), f).run.signature === signature;
  // Should the guided form not reproduce the failure (it always should), keep every choice as a decision.
  let decisions = keeps(decisions0, faultsBefore)
    ? decisions0
    : chosen.map((id, c) => [c, id] as [number, string]);
  const faults = ddmin(faultsBefore, (f) => keeps(decisions, f), expired);
  const minimise = () => {
    decisions = ddmin(decisions, (d) => keeps(d, faults), expired);
    // One at a time: ddmin stops at a 1-minimal set only when it runs to the end.
    for (let i = decisions.length - 1; i >= 0 && !expired(); i--) {
      const without = [...decisions.slice(0, i), ...decisions.slice(i + 1)];
      if (keeps(without, faults)) decisions = without;
    }
  };
  minimise();
  // Tasks and timed signals: each candidate set of kept actors runs following the order of the
  // shrunk run so far (by actor, since leaving one out shifts every later choice).
  const candidates = original.sim.omittable.filter((id) => !omit0.includes(id));
  const order = guided(new Map(decisions), faults).run.sim.scheduler.chosenIds.slice();
  let sequence: readonly string[] = [];
  const keptSet = expired()
    ? candidates
    : ddmin(
        candidates,
        (kept) => {
          const saved = omit;
          omit = [...omit0, ...candidates.filter((id) => !kept.includes(id))];
          const r = guided(new Map(), faults, false, new Follow(order)).run;
          if (r.signature === signature) sequence = r.sim.scheduler.chosenIds.slice();
          else omit = saved;
          return r.signature === signature;
        },
        expired,
      );
  omit = [...omit0, ...candidates.filter((id) => !keptSet.includes(id))];
  if (omit.length > omit0.length) {
    // Decisions again, from the run without the dropped actors (as for the original above).
    const fullAgain = guided(new Map(sequence.map((id, c) => [c, id])), faults);
    const again: [number, string][] = [];
    sequence.forEach((id, c) => {
      if (fullAgain.guide.defaults[c] !== id) again.push([c, id]);
    });
    decisions = keeps(again, faults) ? again : sequence.map((id, c) => [c, id] as [number, string]);
    minimise();
  }
  const final = guided(new Map(decisions), faults, true);
  const omitted = omit;
  omit = omit0;
  const before = guided(new Map(decisions0), faultsBefore);
  return {
    signature,
    token: final.run.token,
    run: final.run,
    preemptions: final.guide.preemptions,
    preemptionSteps: deliverySteps(final.run.trace ?? [], final.guide.preemptedDeliveries),
    preemptionsBefore: before.guide.preemptions,
    faults: final.run.faultsFired.length,
    faultsBefore: faultsBefore.length,
    omitted: original.sim.omittable.filter((id) => omitted.includes(id)),
    omittableBefore: original.sim.omittable.length,
    steps: final.run.steps,
    stepsBefore: original.steps,
    tries,
    timedOut: expired(),
  };
}

/** Trace steps of the given deliveries (0-based counts of delivered messages; timers are not deliveries). */
function deliverySteps(lines: readonly string[], deliveries: readonly number[]): number[] {
  const wanted = new Set(deliveries);
  const out: number[] = [];
  let k = 0;
  lines.forEach((line, step) => {
    if (line.includes('"event":"timer"') && line.includes('"src":"clock"')) return;
    if (wanted.has(k)) out.push(step);
    k += 1;
  });
  return out;
}
