// Sleep-set reduction (Godefroid, "Partial-order methods for the verification of concurrent systems",
// LNCS 1032, ch. 5) for a stateless depth-first search over the scheduler's choice points: every
// schedule is explored up to the reordering of adjacent independent steps, with no preemption bound.
// Mirrors no kernel file.
//
// Independence comes from what each step touched, reported by the program as it runs: the names it read
// and the names it wrote (a step that posts to an actor writes that actor's inbox; a step reads its own).
// Two steps of different actors are independent when neither wrote a name the other read or wrote.
// The program must report every shared name a step reads or writes: an unreported access makes the
// reduction unsound. The simulator's trace effects name statechart transitions only (not reads, not
// plain-field writes); scenario runs record their footprints with src/explore/footprint.ts instead, and
// verify's bounded search uses the sleep sets of src/explore/verify_por.ts (see README "Every schedule
// up to a bound").
//
// The search: at each choice the enabled actors not asleep are explored in order, each after the ones
// before it; an actor whose step from a state was explored sleeps in that state's later siblings, and
// stays asleep along a run while the steps taken are independent of the step it would take (its step
// from that state: the model is deterministic, so it is the step explored there). A run reaching a choice
// where every enabled actor sleeps, or in which a sleeping actor takes its step (picked or as the only
// enabled actor), is a reordering of a schedule already explored: it is counted as
// pruned and its tail is not searched. Soundness (at least one schedule of every equivalence class is
// run to its end, so every reachable final state is reached) is Godefroid's theorem for sleep sets on
// terminating programs; the tests compare final states with and without reduction on small programs.

import type { Chooser } from '../engine/strategy.ts';
import type { Execution } from './verify.ts';

/** What one step read and wrote (names of shared objects, e.g. 'counter', 'inbox:task:a'). */
export interface Footprint {
  readonly reads: readonly string[];
  readonly writes: readonly string[];
}

// Saved before any recorded run patches the containers' prototypes (src/explore/footprint.ts): the
// lookups below are the search's own, not the model's, and must not go through the patches.
const SET_HAS = Set.prototype.has;
const SET_ADD = Set.prototype.add;
const WM_GET = WeakMap.prototype.get;
const WM_SET = WeakMap.prototype.set;

/** The names a footprint touched (read or written: a write is also a read), made once per footprint. */
const TOUCHED = new WeakMap<Footprint, Set<string>>();

function touchedOf(f: Footprint): Set<string> {
  let t = WM_GET.call(TOUCHED, f) as Set<string> | undefined;
  if (t === undefined) {
    t = new Set<string>();
    for (const r of f.reads) SET_ADD.call(t, r);
    for (const w of f.writes) SET_ADD.call(t, w);
    WM_SET.call(TOUCHED, f, t);
  }
  return t;
}

/** True when two steps of different actors do not commute: one wrote what the other read or wrote. */
export function dependent(a: Footprint, b: Footprint): boolean {
  const hits = (ws: readonly string[], other: Footprint) => {
    if (ws.length === 0) return false;
    const t = touchedOf(other);
    for (const w of ws) if (SET_HAS.call(t, w) === true) return true;
    return false;
  };
  return hits(a.writes, b) || hits(b.writes, a);
}

/** A chooser told what every step touched. */
export interface ObservedChooser extends Chooser {
  /** The step just delivered (to `actor`) touched `fp`; called once per delivery, after it. */
  touched(actor: string, fp: Footprint): void;
}

/** A program reporting its steps' footprints to its guide. */
export type ObservedProgram<E extends Execution> = (guide: ObservedChooser) => E;

/** A choice on the current search path. */
interface Node {
  readonly enabled: readonly string[];
  /** Asleep on arrival: actor → the step it would take. */
  readonly sleep: Map<string, Footprint>;
  /** Actors explored from here, with the step each took. */
  readonly done: Map<string, Footprint>;
  picked: number;
  /** The step the picked actor took (known once the run passed it). */
  pickedStep: Footprint | undefined;
}

class SleepSetChooser implements ObservedChooser {
  /** Nodes created or followed by this run, in choice order. */
  readonly nodes: Node[];
  /** True once every enabled actor slept at a choice. */
  blocked = false;
  private sleep = new Map<string, Footprint>();
  private at = 0;
  /** The node whose picked step is the next delivery's (set at a choice, cleared by the step). */
  private pending: Node | undefined;

  constructor(path: readonly Node[]) {
    this.nodes = path.slice();
  }

  register(): void {}
  posted(): void {}
  /** A sleeping actor taking its step (forced or picked) makes the run a reordering of one explored. */
  delivered(id: string): void {
    if (this.sleep.has(id)) this.blocked = true;
  }
  pick(enabled: readonly string[]): number {
    const c = this.at;
    this.at += 1;
    if (this.blocked) return 0;
    let node = this.nodes[c];
    if (node === undefined) {
      const free = enabled.findIndex((a) => !this.sleep.has(a));
      if (free < 0) {
        this.blocked = true;
        return 0;
      }
      node = {
        enabled: enabled.slice(),
        sleep: new Map(this.sleep),
        done: new Map(),
        picked: free,
        pickedStep: undefined,
      };
      this.nodes.push(node);
    } else if (node.enabled.join(' ') !== enabled.join(' ')) {
      throw new Error(
        `sleep sets: choice ${c} offered ${enabled.join(',')}, first ${node.enabled.join(',')}`,
      );
    }
    // Asleep after this choice: what slept on arrival and the siblings explored before this pick.
    this.sleep = new Map(node.sleep);
    for (const [a, fp] of node.done) this.sleep.set(a, fp);
    this.pending = node;
    return node.picked;
  }
  chosen(): void {}
  priorityOf(): number | undefined {
    return undefined;
  }
  touched(actor: string, fp: Footprint): void {
    if (this.pending !== undefined) {
      this.pending.pickedStep ??= fp;
      this.pending = undefined;
    }
    for (const [a, step] of this.sleep) if (a === actor || dependent(step, fp)) this.sleep.delete(a);
  }
}

export interface ReducedResult<E> {
  /** Schedules run to their end that are not reorderings of earlier ones. */
  readonly schedules: number;
  /** Runs cut short as reorderings of schedules already explored (every enabled actor asleep). */
  readonly pruned: number;
  /** The first failing schedule (a run that failed before it was found redundant), or null. */
  readonly counterexample: E | null;
  /** True when the search ended with every schedule explored (no failure, no run limit hit). */
  readonly complete: boolean;
}

/** Depth-first search with sleep sets over every schedule of `program` (no preemption bound). */
export function sleepSetSearch<E extends Execution>(
  program: ObservedProgram<E>,
  opts: { readonly maxRuns?: number; readonly onRun?: (e: E, pruned: boolean) => void } = {},
): ReducedResult<E> {
  let path: Node[] = [];
  let schedules = 0;
  let pruned = 0;
  for (;;) {
    if (opts.maxRuns !== undefined && schedules + pruned >= opts.maxRuns) {
      return { schedules, pruned, counterexample: null, complete: false };
    }
    const chooser = new SleepSetChooser(path);
    const run = program(chooser);
    if (chooser.blocked) pruned += 1;
    else schedules += 1;
    opts.onRun?.(run, chooser.blocked);
    if (run.failed && !chooser.blocked) return { schedules, pruned, counterexample: run, complete: false };
    path = chooser.nodes;
    // Backtrack: the deepest choice with an actor neither asleep nor explored yet.
    for (;;) {
      const node = path[path.length - 1];
      if (node === undefined) return { schedules, pruned, counterexample: null, complete: true };
      const actor = node.enabled[node.picked]!;
      if (node.pickedStep === undefined) throw new Error('sleep sets: a picked step reported no footprint');
      node.done.set(actor, node.pickedStep);
      const next = node.enabled.findIndex((a) => !node.sleep.has(a) && !node.done.has(a));
      if (next >= 0) {
        node.picked = next;
        node.pickedStep = undefined;
        break;
      }
      path.pop();
    }
  }
}
