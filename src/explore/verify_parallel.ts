// The bounded-exhaustive search split across worker threads by subtrees, with the result of the search
// on one thread whatever the number of threads or the order in which they finish. Mirrors no kernel file.
//
// A level's schedules are run in a fixed order: the pre-order of the subtrees of its stack's items, top
// first (src/explore/verify_search.ts). A piece is a part of the stack (a contiguous segment, whose order
// is a contiguous part of the level's order); running it for at most some schedules gives a chunk of
// results and the stack left, which is cut into new pieces that follow the chunk in the order. So the
// level's work is a tree whose pre-order is the level's order: a finished piece is its chunk followed by
// its children. Pieces run on any thread in any order; the results are read only along the pre-order:
// - the committed prefix is the longest run of finished chunks from the start; the level is done when
//   every piece is, and its pushes to higher levels are appended in pre-order, as one thread would;
// - the counterexample is the first failure in pre-order, taken once every piece before it finished (a
//   failure later in the order only stops the pieces after it from being started);
// - a schedule limit, a stop request or a corpus save keep the committed prefix only: the frontier is
//   then the stack the one-thread search would have at that point (the pieces after the prefix give
//   back the segments they started from), so resuming it gives the same result.

import {
  type Bounds,
  type ChunkResult,
  type Found,
  type Frontier,
  levelCount,
  settle,
  type WorkItem,
} from './verify_search.ts';

/** Runs a piece: at most `maxRuns` schedules of the order of `stack` at `level`. */
export type ChunkRunner<E> = (
  level: number,
  stack: readonly WorkItem[],
  maxRuns: number,
) => Promise<ChunkResult<E>>;

interface Piece<E> {
  readonly stack: readonly WorkItem[];
  state: 'pending' | 'running' | 'done';
  result: ChunkResult<E> | null;
  children: Piece<E>[];
}

export interface ParallelOptions {
  /** Pieces running at once (the worker threads, or more to keep them busy). */
  readonly inFlight: number;
  /** Most schedules a piece runs before it hands its stack back (to be cut and shared). */
  readonly sliceRuns: number | (() => number);
  /** Stop after this many schedules in all (the frontier keeps the rest). */
  readonly maxSchedules?: number;
  /** Checked after every finished piece: true stops the search with its committed frontier. */
  readonly stopRequested?: () => boolean;
  /** Told the committed frontier after every finished piece (a corpus saves it when it likes). */
  readonly onCommit?: (front: () => Frontier, runningEstimate: LevelEstimate) => void;
}

/** What finished pieces after the committed prefix ran (not in the committed frontier yet). */
export interface LevelEstimate {
  /** Schedules they ran. */
  readonly runs: number;
  /** Root prefixes of the level they started. */
  readonly rootsStarted: number;
}

export type SearchEnd<E> =
  | { readonly kind: 'complete'; readonly front: Frontier }
  | { readonly kind: 'failed'; readonly front: Frontier; readonly failure: Found<E> }
  | { readonly kind: 'limit'; readonly front: Frontier }
  | { readonly kind: 'stopped'; readonly front: Frontier };

/** Cut a stack (bottom to top) into at most `n` segments, in the order's sequence: the top one first. */
export function cutStack(stack: readonly WorkItem[], n: number): WorkItem[][] {
  const k = Math.max(1, Math.min(n, stack.length));
  const out: WorkItem[][] = [];
  let end = stack.length;
  for (let i = 0; i < k; i += 1) {
    const size = Math.ceil(end / (k - i));
    out.push(stack.slice(end - size, end));
    end -= size;
  }
  return out.filter((s) => s.length > 0);
}

function pieces<E>(stacks: WorkItem[][]): Piece<E>[] {
  return stacks.map((stack) => ({ stack, state: 'pending', result: null, children: [] }));
}

/** The pieces in pre-order (a finished piece stands for its chunk, followed by its children). */
function preorder<E>(list: readonly Piece<E>[], out: Piece<E>[] = []): Piece<E>[] {
  for (const p of list) {
    out.push(p);
    if (p.state === 'done') preorder(p.children, out);
  }
  return out;
}

/**
 * The frontier after the first `count` pieces of `order` (all finished) and, when given, the partial
 * chunk `cut` of the piece after them; every later piece gives back its segment. Finished pieces after
 * the prefix give back theirs too, so their children are skipped.
 */
function frontierAt<E>(
  front: Frontier,
  roots: readonly Piece<E>[],
  count: number,
  cut: { readonly piece: Piece<E>; readonly chunk: ChunkResult<E> } | null,
): Frontier {
  const order = preorder(roots);
  const stacks = front.stacks.map((s) => s.slice());
  let runs = 0;
  let rootsStarted = 0;
  let pruned = 0;
  for (let i = 0; i < count; i += 1) {
    const r = order[i]!.result!;
    runs += r.runs;
    pruned += r.pruned;
    rootsStarted += r.rootsStarted;
    for (const [q, item] of r.pushes) stacks[q]!.push(item);
  }
  const segments: (readonly WorkItem[])[] = [];
  if (cut !== null) {
    runs += cut.chunk.runs;
    pruned += cut.chunk.pruned;
    rootsStarted += cut.chunk.rootsStarted;
    for (const [q, item] of cut.chunk.pushes) stacks[q]!.push(item);
    segments.push(cut.chunk.rest);
  }
  // The pieces after the prefix, a finished one standing for its whole subtree.
  const skip = new Set<Piece<E>>();
  const mark = (p: Piece<E>) => {
    for (const c of p.children) {
      skip.add(c);
      mark(c);
    }
  };
  // A cut piece's partial chunk stands for its subtree: the children its whole chunk left are skipped.
  if (cut !== null) mark(cut.piece);
  for (let i = count + (cut === null ? 0 : 1); i < order.length; i += 1) {
    const p = order[i]!;
    if (skip.has(p)) continue;
    segments.push(p.stack);
    mark(p);
  }
  const level: WorkItem[] = [];
  // Item by item: a spread of a long segment would overflow the call's arguments.
  for (let i = segments.length - 1; i >= 0; i -= 1) for (const item of segments[i]!) level.push(item);
  stacks[front.level] = level;
  const byLevel = front.byLevel.slice();
  byLevel[front.level] = byLevel[front.level]! + runs;
  return {
    ...front,
    stacks,
    byLevel,
    rootsStarted: front.rootsStarted + rootsStarted,
    pruned: front.pruned + pruned,
  };
}

/** Explore from `start` to the end of the bounds (or a failure, the limit, a stop) with `run` for pieces. */
export async function searchParallel<E>(
  start: Frontier,
  bounds: Bounds,
  run: ChunkRunner<E>,
  opts: ParallelOptions,
): Promise<SearchEnd<E>> {
  let front = settle(start, bounds);
  const total = () => front.byLevel.reduce((a, b) => a + b, 0);
  while (front.level < levelCount(bounds)) {
    const level = front.level;
    // Segments no longer than a slice (a longer one could not finish in one): less to copy to a thread.
    const slice = () => (typeof opts.sliceRuns === 'number' ? opts.sliceRuns : opts.sliceRuns());
    const cut = (stack: readonly WorkItem[]) =>
      pieces<E>(cutStack(stack, Math.max(opts.inFlight, Math.ceil(stack.length / Math.max(1, slice())))));
    const roots = cut(front.stacks[level]!);
    const limit = opts.maxSchedules === undefined ? undefined : opts.maxSchedules - total();
    if (limit !== undefined && limit <= 0) return { kind: 'limit', front };
    let running = 0;
    let wake: (() => void) | null = null;
    let crash: unknown = null;
    const launch = (p: Piece<E>, maxRuns: number) => {
      p.state = 'running';
      running += 1;
      run(level, p.stack, maxRuns).then(
        (result) => {
          p.result = result;
          p.state = 'done';
          if (result.failure === null && result.rest.length > 0) {
            p.children = cut(result.rest);
          }
          running -= 1;
          wake?.();
        },
        (err: unknown) => {
          crash ??= err;
          running -= 1;
          wake?.();
        },
      );
    };
    for (;;) {
      if (crash !== null) throw crash;
      const order = preorder(roots);
      // The committed prefix.
      let count = 0;
      let committed = 0;
      while (count < order.length && order[count]!.state === 'done') {
        const r = order[count]!.result!;
        if (r.failure !== null) break;
        if (limit !== undefined && committed + r.runs >= limit) break;
        committed += r.runs;
        count += 1;
      }
      const next = order[count];
      if (next === undefined) {
        front = settle(frontierAt(front, roots, count, null), bounds);
        break;
      }
      if (next.state === 'done') {
        const r = next.result!;
        if (r.failure !== null && (limit === undefined || committed + r.runs <= limit)) {
          const f = frontierAt(front, roots, count, { piece: next, chunk: r });
          return { kind: 'failed', front: f, failure: r.failure };
        }
        // The limit falls inside this piece: run its first schedules again, up to the limit.
        const need = limit! - committed;
        const partial = r.runs === need ? r : await run(level, next.stack, need);
        const f = frontierAt(front, roots, count, { piece: next, chunk: partial });
        if (partial.failure !== null) return { kind: 'failed', front: f, failure: partial.failure };
        const after = settle(f, bounds);
        return { kind: after.level >= levelCount(bounds) ? 'complete' : 'limit', front: after };
      }
      // Finished pieces after the committed prefix: run, not yet in the frontier.
      const est = order
        .slice(count)
        .reduce(
          (a, p) =>
            p.state === 'done'
              ? { runs: a.runs + p.result!.runs, rootsStarted: a.rootsStarted + p.result!.rootsStarted }
              : a,
          { runs: 0, rootsStarted: 0 },
        );
      opts.onCommit?.(() => frontierAt(front, roots, count, null), est);
      if (opts.stopRequested?.() === true) {
        return { kind: 'stopped', front: frontierAt(front, roots, count, null) };
      }
      // Start pieces in order, none after a failure, none past the limit.
      let before = 0;
      for (const p of order) {
        if (running >= opts.inFlight) break;
        if (p.state === 'done') {
          if (p.result!.failure !== null) break;
          before += p.result!.runs;
          continue;
        }
        if (limit !== undefined && before >= limit) break;
        if (p.state === 'pending') {
          const runs = slice();
          launch(p, limit === undefined ? runs : Math.min(runs, limit - before));
        }
      }
      if (running === 0) throw new Error('verify: no piece running and the level is not done');
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = null;
    }
  }
  return { kind: 'complete', front };
}
