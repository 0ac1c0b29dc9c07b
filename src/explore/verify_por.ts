// Partial-order reduction for the bounded-exhaustive search (src/explore/verify_search.ts): sleep sets
// (Godefroid, "Partial-order methods for the verification of concurrent systems", LNCS 1032, ch. 5)
// made sound under a preemption bound by a condition on when an actor may fall asleep. Mirrors no
// kernel file.
//
// Each step reports what it read and wrote (its footprint, src/explore/sleep_sets.ts): two steps of
// different actors are independent when neither wrote a name the other read or wrote. A work item
// carries, as its `data`, the actors asleep right after its last pick, each with the step it would
// take. Along the run they stay asleep while the steps taken are independent of theirs. After the run,
// the alternative `i` at a choice `d` of the run's own part is dropped (counted as pruned) when its actor
// is asleep there; otherwise it carries the actors asleep there plus the actor the run picked at `d`,
// with the step it took, when that actor may sleep in the alternative (below). The alternatives of one
// choice are chained: the run queues the first not asleep, carrying the rest (`later`), and the run of
// each queues the next, in which its own pick sleeps too under the same condition (the pick of a node
// sleeping in the node's later alternatives is Godefroid's rule; the argument below holds for it with
// t the earlier sibling). Choices after the point where a sleeping actor stepped give no children: what
// follows is a reordering of a schedule covered elsewhere. A fault child (a fault-site evaluation that fails) carries nothing: it starts awake.
//
// Why it is sound, with checks after every step and a preemption bound P. Say actor t took step `t` at
// node n (prefix π, last actor p) in some run, and the run's alternative u at n got t asleep. A
// schedule σ = π·u·v1…vk·t·w that it prunes (t slept through u, v1..vk: each independent of t's step)
// has the states of π·u·v1…vi, which the pruning run itself visited and checked (it is cut only when t
// steps), and after t's step the states of σ' = π·t·u·v1…vk·w (swapping independent steps leaves the
// state unchanged, and t's step from each of those states is the one explored at n: the model is
// deterministic and none of u..vk wrote what it read). σ' lies in the subtree of the run's own pick at
// n, which precedes u in the order "the run's pick first": by induction over that order every state of
// σ' is checked in some run, hence every state of σ is. Without a bound that is Godefroid's argument.
// With a bound σ' must also be within it. Writing E(s, a) for "a is enabled in state s" (an actor
// stays enabled until it steps: nothing but its own delivery empties an inbox), the switches of σ and
// σ' differ only at three places: p→u, vk→t, t→w1 in σ and p→t, t→u, vk→w1 in σ'. The others see the
// same enabledness, since t posts to no actor among u..vk (a post writes the inbox its owner reads) and
// none of them posts to t. Counting a switch a→b as a preemption when a is still enabled:
//   [p→t] − [p→u]   ≤ [E(π, p) ∧ p = u] − [E(π, p) ∧ p = t]
//   [t→u] − [t→w1]  ≤ [E(π·t, t)]            (0 unless t is still enabled after its step)
//   [vk→w1] − [vk→t] ≤ 0                      (E(·, vk) is the same before and after t's step)
// so pre(σ') ≤ pre(σ) whenever Δ = [E(π,p) ∧ p = u] − [E(π,p) ∧ p = t] + [E(π·t, t)] ≤ 0, for every
// k and w. That is the condition for t to sleep in u (all three terms are known at n once the run has
// taken t's step: whether t was still enabled at the next delivery). Smaller sleep sets only explore
// more, so dropping an actor the condition refuses keeps the argument. The first failing schedule is
// still one with the fewest preemptions: a pruned failing σ is matched by a checked state at no more
// preemptions. Per-step checks need no footprint of their own: no state of a pruned schedule goes
// unchecked.

import type { Chooser } from '../engine/strategy.ts';
import { dependent, type Footprint } from './sleep_sets.ts';
import { type Execution, PrefixChooser, preempts, type Reduction, type WorkItem } from './verify_search.ts';

export type { Footprint } from './sleep_sets.ts';

/** An actor asleep with the step it would take. */
export interface SleepEntry {
  readonly actor: string;
  readonly step: Footprint;
}

/** A child item's data: the actors asleep right after its last pick, and its siblings still to come. */
export interface SleepData {
  readonly sleep: readonly SleepEntry[];
  /** The alternatives at the item's last choice not yet queued, in order (each queued after the one before ran). */
  readonly later: readonly number[];
}

/** A child to queue: the pick at choice `d` and its data. */
export interface SleepChild {
  readonly d: number;
  readonly i: number;
  readonly data: SleepData;
}

/** A chooser a program reports its steps' footprints to (one call per delivery, after it). */
export interface FootprintSink {
  touched(actor: string, fp: Footprint): void;
  /** The run cannot record its footprints (its scenario does not list what its tasks share): reduce nothing. */
  unrecorded?(): void;
}

/** The reduction's verdict on one run, read after it. */
export interface ReductionRun {
  /** True when a sleeping actor stepped: the run's tail is a reordering of a schedule covered elsewhere. */
  readonly cut: boolean;
  /**
   * The children of choice d (≥ the item's tape length): the first alternative not asleep, carrying the
   * others as `later`, or null; and how many alternatives were pruned (asleep, or after the cut).
   */
  children(d: number): { readonly first: SleepChild | null; readonly pruned: number };
  /** The next sibling of this item (at its last choice), with how many of its siblings were pruned. */
  sibling(): { readonly next: SleepChild | null; readonly pruned: number };
  /**
   * Without chaining (every alternative of choice d queued by this run, as verify_search.ts does): the
   * data of alternative i, asleep there the actors asleep at d and the pick (when it may sleep), or
   * undefined when i is asleep or after the cut.
   */
  child(d: number, i: number): { readonly data: SleepData } | undefined;
}

/** The name written by every step that evaluates a fault site (the evaluations are counted globally). */
export const FAULT_EVALUATIONS = 'fault-evaluations';

/**
 * Where the reduction is lost, counted over the runs of a search (bench/verify_por_loss.ts): for each
 * alternative queued, whether the run's pick joined its sleep set; for each sleeping actor woken by a
 * step that conflicts with its own, the slots they share. Absent in normal searches (nothing counted).
 */
export interface SleepStats {
  /** Alternatives queued (by child(), or first in their chain). */
  queued: number;
  /** Queued alternatives whose parent's pick sleeps there. */
  pickSleeps: number;
  /** Queued alternatives whose parent's pick may not sleep: Δ > 0 (by its terms, see maySleep). */
  boundRefused: number;
  /** Of those, refused only because the pick stays enabled after its step (Δ's third term). */
  boundByContinuing: number;
  /** Queued alternatives whose parent's pick was already asleep or took no recorded step. */
  pickOther: number;
  /** Alternatives dropped: asleep at their choice, or after a cut. */
  prunedAsleep: number;
  prunedCut: number;
  /** Sleeping actors woken by a conflicting step, and by their own step (the run is then cut). */
  wokenByConflict: number;
  wokenByOwnStep: number;
  /** Per conflicting slot name (after `name`): how many wake-ups it took part in. */
  conflicts: Map<string, number>;
  /** Runs whose scenario lists nothing shared (footprints dropped). */
  unrecordedRuns: number;
  /** Names a slot (the run's recorder's names), or null: the slot number is used. */
  name: ((slot: string) => string) | null;
}

export function newSleepStats(): SleepStats {
  return {
    queued: 0,
    pickSleeps: 0,
    boundRefused: 0,
    boundByContinuing: 0,
    pickOther: 0,
    prunedAsleep: 0,
    prunedCut: 0,
    wokenByConflict: 0,
    wokenByOwnStep: 0,
    conflicts: new Map(),
    unrecordedRuns: 0,
    name: null,
  };
}

/** The slots two dependent steps conflict on (what one wrote and the other read or wrote). */
export function conflictSlots(a: Footprint, b: Footprint): string[] {
  const out: string[] = [];
  for (const w of a.writes) if (b.writes.includes(w) || b.reads.includes(w)) out.push(w);
  for (const w of b.writes) if (!out.includes(w) && a.reads.includes(w)) out.push(w);
  return out;
}

/** A choice of the run's own part, with what the reduction needs of it. */
interface Node {
  readonly enabled: readonly string[];
  readonly last: string;
  readonly picked: number;
  /** Asleep when the choice was made. */
  readonly sleep: readonly SleepEntry[];
  /** The step the picked actor took (set by touched). */
  step: Footprint | undefined;
  /** Whether the picked actor was still enabled after its step (undefined: the run ended first). */
  enabledAfter: boolean | undefined;
}

/**
 * Wraps the chooser that makes the picks (a PrefixChooser: the item's prefix, then the default policy)
 * and keeps the sleep set along the run. `bounded` applies the sleep condition of the header; without a
 * bound every explored pick sleeps in its alternatives.
 */
export class SleepSetGuide<C extends Chooser & { fault(): boolean }> implements Chooser, FootprintSink {
  private sleep: SleepEntry[] = [];
  private readonly nodes: Node[] = [];
  /** The item's own last choice (its pick's step is recorded like the run's own choices). */
  private own: Node | undefined;
  private choices = 0;
  /** Index of the first choice whose children are dropped (a sleeping actor stepped before it). */
  private cutAt = Number.POSITIVE_INFINITY;
  /** The node whose picked actor's step is the next delivery's. */
  private pendingStep: Node | undefined;
  /** The node whose picked actor's enabledness after its step is still unknown. */
  private pendingAfter: Node | undefined;
  private pickedJustNow = false;
  private faultInStep = false;
  private last = '';
  /** Footprints are not recorded: nothing sleeps. */
  private off = false;

  constructor(
    readonly inner: C,
    private readonly item: WorkItem & { readonly data?: unknown },
    private readonly bounded: boolean,
    private readonly stats: SleepStats | null = null,
  ) {}

  register(id: string): void {
    this.inner.register(id);
  }
  posted(to: string): void {
    this.inner.posted(to);
  }
  delivered(id: string): void {
    this.inner.delivered(id);
    this.last = id;
    if (!this.pickedJustNow && this.pendingAfter !== undefined) {
      const n = this.pendingAfter;
      n.enabledAfter = n.enabled[n.picked] === id;
      this.pendingAfter = undefined;
    }
    this.pickedJustNow = false;
    if (this.stats !== null && this.sleep.some((e) => e.actor === id)) this.stats.wokenByOwnStep += 1;
    if (this.cutAt === Number.POSITIVE_INFINITY && this.sleep.some((e) => e.actor === id)) {
      // A forced step of a sleeping actor: choices from here on give no children.
      this.cutAt = this.choices;
    }
  }
  pick(enabled: readonly string[]): number {
    const at = this.choices;
    const picked = this.inner.pick(enabled);
    this.choices += 1;
    this.pickedJustNow = true;
    if (this.pendingAfter !== undefined) {
      const n = this.pendingAfter;
      n.enabledAfter = enabled.includes(n.enabled[n.picked]!);
      this.pendingAfter = undefined;
    }
    const tapeLength = this.item.tape.length;
    if (at === tapeLength - 1) {
      const data = this.item.data as SleepData | undefined;
      this.sleep = data === undefined ? [] : data.sleep.slice();
      this.own = {
        enabled: enabled.slice(),
        last: this.last,
        picked,
        sleep: this.sleep.slice(),
        step: undefined,
        enabledAfter: undefined,
      };
      this.pendingStep = this.own;
    } else if (at >= tapeLength) {
      const node: Node = {
        enabled: enabled.slice(),
        last: this.last,
        picked,
        sleep: this.sleep.slice(),
        step: undefined,
        enabledAfter: undefined,
      };
      this.nodes.push(node);
      this.pendingStep = node;
      if (this.cutAt === Number.POSITIVE_INFINITY && this.sleep.some((e) => e.actor === enabled[picked])) {
        // The run picks a sleeping actor: its alternatives here are still new, what follows is not.
        this.cutAt = at + 1;
      }
    }
    return picked;
  }
  chosen(id: string): void {
    this.inner.chosen(id);
  }
  priorityOf(id: string): number | undefined {
    return this.inner.priorityOf(id);
  }

  /** A fault-site evaluation in the step under way: the inner chooser decides it; the step writes the count. */
  fault(): boolean {
    this.faultInStep = true;
    return this.inner.fault();
  }

  unrecorded(): void {
    if (this.stats !== null && !this.off) this.stats.unrecordedRuns += 1;
    this.off = true;
    this.sleep = [];
  }

  touched(actor: string, fp: Footprint): void {
    if (this.off) return;
    const step: Footprint = this.faultInStep
      ? { reads: [...fp.reads, FAULT_EVALUATIONS], writes: [...fp.writes, FAULT_EVALUATIONS] }
      : fp;
    this.faultInStep = false;
    const node = this.pendingStep;
    if (node !== undefined) {
      node.step = step;
      this.pendingStep = undefined;
      this.pendingAfter = node;
    }
    if (this.sleep.length > 0 && this.stats !== null) this.countWakes(actor, step, this.stats);
    if (this.sleep.length > 0) {
      this.sleep = this.sleep.filter((e) => e.actor !== actor && !dependent(e.step, step));
    }
  }

  private countWakes(actor: string, step: Footprint, stats: SleepStats): void {
    for (const e of this.sleep) {
      if (e.actor === actor || !dependent(e.step, step)) continue;
      stats.wokenByConflict += 1;
      const names = new Set(
        conflictSlots(e.step, step).map((s) => (stats.name === null ? s : stats.name(s))),
      );
      for (const n of names) stats.conflicts.set(n, (stats.conflicts.get(n) ?? 0) + 1);
    }
  }

  /** What the run says about its children (call once the run is over). */
  finish(): ReductionRun {
    const base = this.item.tape.length;
    const nodes = this.nodes;
    const cutAt = this.cutAt;
    const bounded = this.bounded;
    const own = this.own;
    const data = this.item.data as SleepData | undefined;
    const stats = this.stats;
    return {
      cut: cutAt !== Number.POSITIVE_INFINITY,
      children(d: number) {
        const n = nodes[d - base];
        if (n === undefined) return { first: null, pruned: 0 };
        const alternatives: number[] = [];
        for (let i = 0; i < n.enabled.length; i += 1) if (i !== n.picked) alternatives.push(i);
        if (d >= cutAt) {
          if (stats !== null) stats.prunedCut += alternatives.length;
          return { first: null, pruned: alternatives.length };
        }
        return chain(d, n, n.sleep, alternatives, bounded, stats);
      },
      child(d: number, i: number) {
        if (d >= cutAt) {
          if (stats !== null) stats.prunedCut += 1;
          return undefined;
        }
        const n = nodes[d - base];
        if (n === undefined || i === n.picked) return undefined;
        const u = n.enabled[i]!;
        if (n.sleep.some((e) => e.actor === u)) {
          if (stats !== null) stats.prunedAsleep += 1;
          return undefined;
        }
        const sleep = n.sleep.slice();
        const t = n.enabled[n.picked]!;
        const may = n.step !== undefined && !sleep.some((e) => e.actor === t);
        if (may && maySleep(n, t, u, bounded)) sleep.push({ actor: t, step: n.step! });
        if (stats !== null) countChild(stats, n, t, u, may, bounded);
        return { data: { sleep, later: [] } };
      },
      sibling() {
        if (own === undefined || data === undefined) return { next: null, pruned: 0 };
        return (({ first, pruned }) => ({ next: first, pruned }))(
          chain(base - 1, own, data.sleep, data.later, bounded, stats),
        );
      },
    };
  }
}

/**
 * The first of `alternatives` at choice d (node n, whose picked actor took its step) that is not asleep
 * in `sleep` plus the picked actor (when it may sleep there), carrying the rest; asleep ones are pruned.
 */
function chain(
  d: number,
  n: Node,
  sleep: readonly SleepEntry[],
  alternatives: readonly number[],
  bounded: boolean,
  stats: SleepStats | null = null,
): { first: SleepChild | null; pruned: number } {
  const next = sleep.slice();
  const t = n.enabled[n.picked]!;
  const may = n.step !== undefined && !sleep.some((e) => e.actor === t);
  let pruned = 0;
  for (let k = 0; k < alternatives.length; k += 1) {
    const i = alternatives[k]!;
    const u = n.enabled[i]!;
    if (k === 0 || pruned === k) {
      // The picked actor joins the sleep set once (its condition does not depend on which alternative).
      if (n.step !== undefined && !next.some((e) => e.actor === t) && maySleep(n, t, u, bounded)) {
        next.push({ actor: t, step: n.step });
      }
    }
    if (next.some((e) => e.actor === u)) {
      pruned += 1;
      if (stats !== null) stats.prunedAsleep += 1;
      continue;
    }
    if (stats !== null) countChild(stats, n, t, u, may, bounded);
    return { first: { d, i, data: { sleep: next, later: alternatives.slice(k + 1) } }, pruned };
  }
  return { first: null, pruned };
}

/** Count one queued alternative u at node n (pick t) by whether t sleeps there, and why not. */
function countChild(stats: SleepStats, n: Node, t: string, u: string, may: boolean, bounded: boolean): void {
  stats.queued += 1;
  if (!may) stats.pickOther += 1;
  else if (maySleep(n, t, u, bounded)) stats.pickSleeps += 1;
  else {
    stats.boundRefused += 1;
    if (maySleep({ ...n, enabledAfter: false }, t, u, bounded)) stats.boundByContinuing += 1;
  }
}

/**
 * Whether t, picked at node n, may sleep in the alternative u: always without a bound; with one, when
 * Δ = [E(p) ∧ p = u] − [E(p) ∧ p = t] + [t enabled after its step] ≤ 0 (see the header), an unknown
 * enabledness counting as enabled.
 */
export function maySleep(
  n: Pick<Node, 'enabled' | 'last' | 'enabledAfter'>,
  t: string,
  u: string,
  bounded: boolean,
): boolean {
  if (!bounded) return true;
  const lastEnabled = n.enabled.includes(n.last);
  const delta =
    (lastEnabled && n.last === u ? 1 : 0) -
    (lastEnabled && n.last === t ? 1 : 0) +
    (n.enabledAfter === false ? 0 : 1);
  return delta <= 0;
}

/**
 * The reduction verify's search takes (src/explore/verify_search.ts: the alternatives of one choice
 * chained, the first queued by the run that reached the choice with the data children() gives, each next
 * one by the run of the one before it, with the data sibling() gives). The scenario program records
 * footprints when its guide is a SleepSetGuide (src/explore/footprint_run.ts).
 */
export const sleepSetReduction: Reduction = {
  guide(inner: PrefixChooser, item: WorkItem): SleepSetGuide<PrefixChooser> {
    return new SleepSetGuide(inner, item, true);
  },
};

/** A program that reports its steps' footprints and asks its guide at fault sites. */
export type ObservedProgram<E extends Execution> = (
  guide: Chooser & FootprintSink & { fault(): boolean },
) => E;

export interface PorSearchOptions {
  /** P, or 'all' for every schedule (no bound). */
  readonly preemptions: number | 'all';
  /** False: the same search without reduction (every schedule within the bound). Default true. */
  readonly reduce?: boolean;
  readonly maxSchedules?: number;
  /** Go on after a failing run (to collect every final state); the first failure is still returned. */
  readonly keepGoing?: boolean;
  /** Called after every run with the run and its tape. */
  readonly onRun?: (execution: unknown, tape: readonly number[]) => void;
}

export interface PorSearchResult<E> {
  /** Schedules run. */
  readonly schedules: number;
  /** Schedules run with exactly p preemptions (one entry without a bound). */
  readonly byPreemptions: readonly number[];
  /** Alternatives not queued: their actor was asleep (each the root of a skipped subtree). */
  readonly pruned: number;
  readonly complete: boolean;
  readonly counterexample: {
    readonly execution: E;
    readonly tape: readonly number[];
    readonly preemptions: number;
  } | null;
}

/** Without a reduction the guide only passes footprints by. */
class PlainGuide implements Chooser, FootprintSink {
  constructor(readonly inner: PrefixChooser) {}
  register(id: string): void {
    this.inner.register(id);
  }
  posted(to: string): void {
    this.inner.posted(to);
  }
  delivered(id: string): void {
    this.inner.delivered(id);
  }
  pick(enabled: readonly string[]): number {
    return this.inner.pick(enabled);
  }
  chosen(id: string): void {
    this.inner.chosen(id);
  }
  priorityOf(id: string): number | undefined {
    return this.inner.priorityOf(id);
  }
  fault(): boolean {
    return this.inner.fault();
  }
  touched(): void {}
}

/**
 * The bounded search of verify_search.ts (levels by preemptions, depth first within a level; no fault
 * search) with the sleep sets of this file: the reference the reduction is tested with on programs that
 * report their footprints.
 */
export function porSearch<E extends Execution>(
  program: ObservedProgram<E>,
  opts: PorSearchOptions,
): PorSearchResult<E> {
  const bounded = opts.preemptions !== 'all';
  const bound = bounded ? (opts.preemptions as number) : 0;
  if (!Number.isInteger(bound) || bound < 0)
    throw new RangeError(`verify: bound ${bound} is not an integer ≥ 0`);
  const reduce = opts.reduce ?? true;
  type Item = WorkItem & { readonly data?: SleepData };
  const work: Item[][] = Array.from({ length: bound + 1 }, (_, p) =>
    p === 0 ? [{ tape: [], faults: [], evalStart: 0 }] : [],
  );
  const byPreemptions: number[] = [];
  let schedules = 0;
  let pruned = 0;
  let first: PorSearchResult<E>['counterexample'] = null;
  for (let level = 0; level <= bound; level += 1) {
    byPreemptions.push(0);
    const list = work[level]!;
    for (let item = list.pop(); item !== undefined; item = list.pop()) {
      if (opts.maxSchedules !== undefined && schedules >= opts.maxSchedules) {
        return { schedules, byPreemptions, pruned, complete: false, counterexample: null };
      }
      const inner = new PrefixChooser(item);
      const guide = reduce ? new SleepSetGuide(inner, item, bounded) : new PlainGuide(inner);
      const execution = program(guide);
      schedules += 1;
      byPreemptions[level] = byPreemptions[level]! + 1;
      const picks = inner.choices.map((c) => c.picked);
      opts.onRun?.(execution, picks);
      if (execution.failed && first === null) first = { execution, tape: picks, preemptions: level };
      if (execution.failed && opts.keepGoing !== true) {
        return {
          schedules,
          byPreemptions,
          pruned,
          complete: false,
          counterexample: { execution, tape: picks, preemptions: level },
        };
      }
      const verdict = guide instanceof SleepSetGuide ? guide.finish() : null;
      if (verdict !== null) {
        // The next sibling of this item, at its level (siblings at one choice cost the same).
        const s = verdict.sibling();
        pruned += s.pruned;
        if (s.next !== null) {
          const tape = picks.slice(0, s.next.d);
          tape.push(s.next.i);
          list.push({ tape, faults: [], evalStart: 0, data: s.next.data });
        }
      }
      for (let d = item.tape.length; d < inner.choices.length; d += 1) {
        const c = inner.choices[d]!;
        if (verdict !== null) {
          // Every alternative at one choice costs the same: a preemption when the last actor is enabled.
          const q = bounded ? level + (c.enabled.includes(c.last) ? 1 : 0) : 0;
          if (q > bound) continue;
          const { first, pruned: p } = verdict.children(d);
          pruned += p;
          if (first === null) continue;
          const tape = picks.slice(0, d);
          tape.push(first.i);
          work[q]!.push({ tape, faults: [], evalStart: 0, data: first.data });
          continue;
        }
        for (let i = c.enabled.length - 1; i >= 0; i -= 1) {
          if (i === c.picked) continue;
          const q = bounded ? level + (preempts(c, i) ? 1 : 0) : 0;
          if (q > bound) continue;
          const tape = picks.slice(0, d);
          tape.push(i);
          work[q]!.push({ tape, faults: [], evalStart: 0 });
        }
      }
    }
  }
  return { schedules, byPreemptions, pruned, complete: first === null, counterexample: first };
}
