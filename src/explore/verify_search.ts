// The bounded-exhaustive search's frontier and its unit of work (see src/explore/verify.ts for the
// search as a whole). Mirrors no kernel file: it drives the choice points of src/engine/scheduler.ts
// (a real choice is a step with two or more enabled actors) and the fault-site evaluations of
// src/sim/fault_plan.ts (each evaluation fails or not) through a chooser.
//
// A run is a sequence of decisions in time order: the pick at each real choice and, when faults are
// searched, whether each fault-site evaluation fails. A work item is a prefix of decisions: the picks at
// the first `tape.length` choices and the failing evaluations among the first `evalStart`; after it the
// run follows the default policy (never preempt, never fail). Its level is (p, f): the preemptions in its
// tape and the faults it plans (the default policy adds neither). Levels are explored in order
// (0, 0), (0, 1), ..., (0, F), (1, 0), ...: fewest preemptions first, then fewest faults.
//
// Within a level the search is depth first: a stack of items per level, the top one run next. After a
// run, every decision after its prefix gives new prefixes (the run's decisions up to it, then the
// alternative: another actor, or the failure of an evaluation), pushed in time order, so the deepest is
// run first, and at one choice the lowest-numbered actor first. A new prefix at the run's own level goes
// on the current stack; one at a higher level on that level's stack. Every schedule within the bounds
// is run exactly once: it is generated only by the run that agrees with it up to its last departure from
// the default policy (by induction on that departure's position).
//
// The order in which a level's schedules are run is fixed by the stack: it is the pre-order of the
// subtrees of the stack's items, top first. exploreChunk runs a part of that order and returns what the
// rest needs (the items it pushed to higher levels, in order, and the stack left); chunks of one order
// concatenated give the same counts, pushes and first failure however they were cut, which is what lets
// worker threads share a level (src/explore/verify_parallel.ts) and a corpus resume one.

import type { Chooser } from '../engine/strategy.ts';

/** The outcome of one run under a guide: failed when any check failed. */
export interface Execution {
  readonly failed: boolean;
}

/** A prefix of decisions (see the header). Plain data: it crosses threads and goes into corpus files. */
export interface WorkItem {
  /** Picks (indexes into the sorted enabled actors) at the first tape.length real choices. */
  readonly tape: readonly number[];
  /** Fault-site evaluations that fail (sorted, each below evalStart). */
  readonly faults: readonly number[];
  /** Evaluations below this are decided by `faults`; those from it on do not fail. */
  readonly evalStart: number;
  /** Pushed from a lower level: a root of its level's order (counts the estimate's prefixes). */
  readonly root?: true;
  /** What a reduction attached (plain JSON, e.g. the actors asleep after the prefix). */
  readonly data?: unknown;
}

/** One real choice as the run made it. */
export interface ChoiceRecord {
  /** The enabled actors, sorted by id. */
  readonly enabled: readonly string[];
  /** The actor delivered last before the choice ('' before the first delivery). */
  readonly last: string;
  /** Index into `enabled` of the actor picked. */
  readonly picked: number;
  /** Fault-site evaluations made before this choice. */
  readonly evaluationsBefore: number;
}

/** True when picking `enabled[i]` preempts the last actor (still enabled, not picked). */
export function preempts(c: Pick<ChoiceRecord, 'enabled' | 'last'>, i: number): boolean {
  return c.enabled[i] !== c.last && c.enabled.includes(c.last);
}

/** The index the default policy picks: the last actor while it is enabled, else the first enabled. */
export function defaultPick(enabled: readonly string[], last: string): number {
  const i = enabled.indexOf(last);
  return i < 0 ? 0 : i;
}

/**
 * Follows a work item's prefix, then the default policy; records every choice and counts fault-site
 * evaluations. A program calls `fault()` at every fault-site evaluation (in the order the run makes
 * them) and fails the evaluation when it returns true.
 */
export class PrefixChooser implements Chooser {
  readonly choices: ChoiceRecord[] = [];
  /** Fault-site evaluations so far. */
  evaluations = 0;
  private last = '';
  private readonly failing: ReadonlySet<number>;

  constructor(readonly item: WorkItem) {
    this.failing = new Set(item.faults);
  }

  register(_id: string): void {}
  posted(_to: string): void {}
  delivered(id: string): void {
    this.last = id;
  }
  /** @throws Error when the prefix does not fit the run (the program is not deterministic: a simulator bug). */
  pick(enabled: readonly string[]): number {
    const at = this.choices.length;
    const prefix = this.item.tape;
    const picked = at < prefix.length ? prefix[at]! : defaultPick(enabled, this.last);
    if (picked >= enabled.length) {
      throw new Error(
        `verify: pick ${picked} at choice ${at} of a run with ${enabled.length} enabled actors`,
      );
    }
    this.choices.push({
      enabled: enabled.slice(),
      last: this.last,
      picked,
      evaluationsBefore: this.evaluations,
    });
    return picked;
  }
  chosen(_id: string): void {}
  priorityOf(_id: string): number | undefined {
    return undefined;
  }
  /** One fault-site evaluation: true when the prefix fails it. */
  fault(): boolean {
    const at = this.evaluations;
    this.evaluations += 1;
    return this.failing.has(at);
  }
}

/** What a program runs under: asked at every real choice, told of every fault-site evaluation. */
export interface SearchGuide extends Chooser {
  /** One fault-site evaluation: true when the schedule fails it. */
  fault(): boolean;
}

/**
 * A deterministic program: one run under the given guide (a PrefixChooser, or a reduction's guide
 * wrapping one); `item` is the prefix the run follows (its `faults` are the evaluations that fail).
 */
export type Program<E extends Execution> = (guide: SearchGuide, item: WorkItem) => E;

/** What a reduction says after a run (src/explore/verify_por.ts). */
export interface ReductionVerdict {
  /** Child of choice d (≥ the item's tape length) picking alternative i: its data, or undefined to prune it. */
  child(d: number, i: number): { readonly data?: unknown } | undefined;
  /**
   * Chained siblings (both or neither): the first alternative of choice d to queue, carrying the others
   * in its data, and how many were pruned; after the run of an item, its next sibling at its own last
   * choice. Each sibling is queued by the run of the one before it, so it can sleep in what that one did;
   * the order of the search is unchanged (the next sibling goes under the run's own children).
   */
  children?(d: number): { readonly first: Chained | null; readonly pruned: number };
  sibling?(): { readonly next: Chained | null; readonly pruned: number };
}

/** A chained child: the pick `i` at choice `d`, with the reduction's data. */
export interface Chained {
  readonly d: number;
  readonly i: number;
  readonly data: unknown;
}

/**
 * Partial-order reduction's hook: the guide of one run from `item`, wrapping the prefix's chooser and
 * observing the run, and after the run (a passing one) the verdict on its children. Fault children are
 * not asked about: they carry no data.
 */
export interface Reduction {
  guide(inner: PrefixChooser, item: WorkItem): SearchGuide & { finish(): ReductionVerdict };
}

/** The search's bounds: P preemptions and F faults at most. */
export interface Bounds {
  readonly preemptions: number;
  readonly faults: number;
}

/** Levels in search order: index p·(F + 1) + f. */
export function levelCount(b: Bounds): number {
  return (b.preemptions + 1) * (b.faults + 1);
}

export function levelIndex(b: Bounds, p: number, f: number): number {
  return p * (b.faults + 1) + f;
}

/** The (preemptions, faults) of a level index. */
export function levelOf(b: Bounds, index: number): { readonly p: number; readonly f: number } {
  return { p: Math.floor(index / (b.faults + 1)), f: index % (b.faults + 1) };
}

/** A failing schedule: the run, its picks at every real choice, and its level. */
export interface Found<E> {
  readonly execution: E;
  readonly tape: readonly number[];
  readonly faults: readonly number[];
  readonly level: number;
}

/** What running part of a level's order gave. */
export interface ChunkResult<E> {
  /** Schedules run (the failing one included). */
  readonly runs: number;
  /** Items pushed to higher levels, in push order: [level index, item]. */
  readonly pushes: readonly (readonly [number, WorkItem])[];
  /** The first failing schedule, where the chunk stopped; null if none. */
  readonly failure: Found<E> | null;
  /** The stack left (bottom to top) when the chunk stopped at its run limit or a failure; empty when done. */
  readonly rest: readonly WorkItem[];
  /** Root items of this level popped (for the estimate). */
  readonly rootsStarted: number;
  /** Schedules skipped as equivalent to explored ones (no reduction: 0). */
  readonly pruned: number;
}

/** Where a chunk is, told after each passing run. */
export interface ChunkProgress {
  readonly runs: number;
  /** Items on the chunk's stack. */
  readonly stack: number;
  /** Items it pushed to higher levels. */
  readonly pushes: number;
  readonly rootsStarted: number;
}

/**
 * Run the order of `stack` (bottom to top: the top item's subtree first) at level `level`, at most
 * `maxRuns` schedules, stopping at the first failure.
 */
export function exploreChunk<E extends Execution>(
  program: Program<E>,
  bounds: Bounds,
  level: number,
  stack: readonly WorkItem[],
  maxRuns: number = Number.POSITIVE_INFINITY,
  reduction?: Reduction,
  onRun?: (at: ChunkProgress) => void,
): ChunkResult<E> {
  const work = stack.slice();
  const pushes: [number, WorkItem][] = [];
  const { p, f } = levelOf(bounds, level);
  let runs = 0;
  let rootsStarted = 0;
  let pruned = 0;
  while (work.length > 0 && runs < maxRuns) {
    const item = work.pop()!;
    if (item.root === true) rootsStarted += 1;
    const chooser = new PrefixChooser(item);
    const guide = reduction?.guide(chooser, item);
    const execution = program(guide ?? chooser, item);
    runs += 1;
    const choices = chooser.choices;
    const picks = choices.map((c) => c.picked);
    if (execution.failed) {
      const fired = item.faults.slice();
      return {
        runs,
        pushes,
        failure: { execution, tape: picks, faults: fired, level },
        rest: work,
        rootsStarted,
        pruned,
      };
    }
    const verdict = guide?.finish();
    const push = (q: number, next: WorkItem) => {
      if (q === level) work.push(next);
      else pushes.push([q, { ...next, root: true }]);
    };
    const chained = verdict?.children !== undefined && verdict.sibling !== undefined ? verdict : null;
    if (chained !== null) {
      // The next sibling first, so that the run's own children (pushed after it) are explored before it.
      const s = chained.sibling!();
      pruned += s.pruned;
      if (s.next !== null) {
        const next = picks.slice(0, s.next.d);
        next.push(s.next.i);
        push(level, { tape: next, faults: item.faults, evalStart: item.evalStart, data: s.next.data });
      }
    }
    // Decisions after the prefix in time order: evaluations [e, E_d) come before choice d.
    let e = item.evalStart;
    const evaluationChildren = (until: number, d: number) => {
      for (; e < until; e += 1) {
        if (f >= bounds.faults) continue;
        push(levelIndex(bounds, p, f + 1), {
          tape: picks.slice(0, d),
          faults: [...item.faults, e],
          evalStart: e + 1,
        });
      }
    };
    for (let d = item.tape.length; d < choices.length; d += 1) {
      const c = choices[d]!;
      evaluationChildren(c.evaluationsBefore, d);
      if (chained !== null) {
        // Every alternative at one choice costs the same (the run's pick is the last actor when enabled).
        const alt = c.picked === 0 ? 1 : 0;
        if (alt >= c.enabled.length) continue;
        const q = p + (preempts(c, alt) ? 1 : 0);
        if (q > bounds.preemptions) continue;
        const { first, pruned: np } = chained.children!(d);
        pruned += np;
        if (first === null) continue;
        const next = picks.slice(0, d);
        next.push(first.i);
        push(levelIndex(bounds, q, f), {
          tape: next,
          faults: item.faults,
          evalStart: c.evaluationsBefore,
          data: first.data,
        });
        continue;
      }
      for (let i = c.enabled.length - 1; i >= 0; i -= 1) {
        if (i === c.picked) continue;
        const q = p + (preempts(c, i) ? 1 : 0);
        if (q > bounds.preemptions) continue;
        const next = picks.slice(0, d);
        next.push(i);
        const kept = verdict === undefined ? {} : verdict.child(d, i);
        if (kept === undefined) {
          pruned += 1;
          continue;
        }
        push(levelIndex(bounds, q, f), {
          tape: next,
          faults: item.faults,
          evalStart: c.evaluationsBefore,
          ...(kept.data === undefined ? {} : { data: kept.data }),
        });
      }
    }
    evaluationChildren(chooser.evaluations, choices.length);
    onRun?.({ runs, stack: work.length, pushes: pushes.length, rootsStarted });
  }
  return { runs, pushes, failure: null, rest: work, rootsStarted, pruned };
}

/** The state of a search between two chunks: what a corpus keeps. */
export interface Frontier {
  /** The level being explored (levelCount when the search is over). */
  readonly level: number;
  /** One stack per level (bottom to top). */
  readonly stacks: readonly (readonly WorkItem[])[];
  /** Schedules run per level. */
  readonly byLevel: readonly number[];
  /** Root items of the current level (for the estimate), and how many of them were started. */
  readonly roots: number;
  readonly rootsStarted: number;
  /** Schedules skipped as equivalent to explored ones. */
  readonly pruned: number;
}

/** The frontier before the first run. */
export function initialFrontier(bounds: Bounds): Frontier {
  const n = levelCount(bounds);
  return {
    level: 0,
    stacks: Array.from({ length: n }, (_, i) =>
      i === 0 ? [{ tape: [], faults: [], evalStart: 0, root: true as const }] : [],
    ),
    byLevel: Array.from({ length: n }, () => 0),
    roots: 1,
    rootsStarted: 0,
    pruned: 0,
  };
}

/**
 * The frontier after `chunk` ran from the top of the current level's stack (its `rest` replacing
 * the part of the stack it took: `taken` items from the top), moving to the next non-empty level when
 * this one is done.
 */
export function advance<E>(
  front: Frontier,
  bounds: Bounds,
  taken: number,
  chunk: Pick<ChunkResult<E>, 'runs' | 'pushes' | 'rest' | 'rootsStarted' | 'pruned'>,
): Frontier {
  const stacks = front.stacks.map((s) => s.slice());
  const cur = stacks[front.level]!;
  // Item by item: a spread of a long stack would overflow the call's arguments.
  cur.length -= taken;
  for (const item of chunk.rest) cur.push(item);
  for (const [q, item] of chunk.pushes) stacks[q]!.push(item);
  const byLevel = front.byLevel.slice();
  byLevel[front.level] = byLevel[front.level]! + chunk.runs;
  return settle(
    {
      ...front,
      stacks,
      byLevel,
      rootsStarted: front.rootsStarted + chunk.rootsStarted,
      pruned: front.pruned + chunk.pruned,
    },
    bounds,
  );
}

/** Move past empty levels: the level explored next, with its root count. */
export function settle(front: Frontier, bounds: Bounds): Frontier {
  let level = front.level;
  if (front.stacks[level]?.length !== 0) return front;
  level += 1;
  while (level < levelCount(bounds) && front.stacks[level]!.length === 0) level += 1;
  const roots = level < levelCount(bounds) ? front.stacks[level]!.length : 0;
  return { ...front, level, roots, rootsStarted: 0 };
}

/** Schedules run over all levels. */
export function schedulesOf(front: Pick<Frontier, 'byLevel'>): number {
  return front.byLevel.reduce((a, b) => a + b, 0);
}

/** Prefixes waiting over all levels. */
export function queuedOf(front: Pick<Frontier, 'stacks'>): number {
  return front.stacks.reduce((a, s) => a + s.length, 0);
}

/** Schedules per preemption count (faults summed). */
export function byPreemptionsOf(bounds: Bounds, byLevel: readonly number[], upTo: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < byLevel.length && i <= upTo; i += 1) {
    const { p } = levelOf(bounds, i);
    out[p] = (out[p] ?? 0) + byLevel[i]!;
  }
  return out;
}
