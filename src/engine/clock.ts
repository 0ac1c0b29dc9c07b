// Virtual time for the simulator: a binary min-heap of timers ordered by (due, seq).
// Real timers would make a run depend on the host's speed and on the event loop; virtual time only
// moves when the scheduler pops the next timer, so time is part of the deterministic step sequence.
// XState's SimulatedClock re-sorts every flush and has no tie order (stack-notes §1.1); here equal
// deadlines fire in scheduling order because seq (the timer id) grows with every schedule.
// `clockFor(owner)` adapts this clock to XState's `clock` actor option, whose method names happen to
// be setTimeout/clearTimeout; no real timer is ever used.

import type { ActorOptions, AnyActorLogic } from 'xstate';

/** The clock object XState 5 accepts in `createActor(logic, { clock })` (the type is not exported). */
export type XStateClock = NonNullable<ActorOptions<AnyActorLogic>['clock']>;

/** A timer popped from the clock: run `fn` to fire it. */
export interface DueTimer {
  readonly id: number;
  readonly owner: string;
  readonly due: number;
  readonly fn: () => void;
}

interface Timer extends DueTimer {
  cancelled: boolean;
}

/** (due, seq) order; the id is the seq. */
function before(a: Timer, b: Timer): boolean {
  return a.due < b.due || (a.due === b.due && a.id < b.id);
}

/** Virtual milliseconds and the timers waiting on them. */
export class VirtualClock {
  private time = 0;
  private seq = 0;
  private readonly heap: Timer[] = [];
  private readonly live = new Map<number, Timer>();

  /** Current virtual time in ms; starts at 0 and never decreases. */
  now(): number {
    return this.time;
  }

  /** Number of timers scheduled and neither fired nor cancelled. */
  pending(): number {
    return this.live.size;
  }

  /**
   * Schedule `fn` at now + delayMs on behalf of `owner`; returns the timer id (ids start at 1).
   * Negative delays count as 0.
   * @throws RangeError when delayMs is NaN or infinite.
   */
  schedule(owner: string, delayMs: number, fn: () => void): number {
    if (!Number.isFinite(delayMs)) {
      throw new RangeError(`timer delay must be a finite number of ms, got ${delayMs} (owner ${owner})`);
    }
    this.seq += 1;
    const timer: Timer = { id: this.seq, owner, due: this.time + Math.max(0, delayMs), fn, cancelled: false };
    this.live.set(timer.id, timer);
    this.push(timer);
    return timer.id;
  }

  /** Cancel a pending timer; returns false when it already fired, was cancelled, or never existed. */
  cancel(id: number): boolean {
    const timer = this.live.get(id);
    if (timer === undefined) return false;
    // Lazy deletion: the heap entry is skipped when it reaches the top.
    timer.cancelled = true;
    this.live.delete(id);
    this.compactIfSparse();
    return true;
  }

  /** Due time of the earliest pending timer, or undefined when none is pending. */
  nextDue(): number | undefined {
    this.dropCancelledHead();
    return this.heap[0]?.due;
  }

  /** Remove the earliest pending timer and advance now to its due time; undefined when none. */
  popDue(): DueTimer | undefined {
    this.dropCancelledHead();
    const head = this.pop();
    if (head === undefined) return undefined;
    this.live.delete(head.id);
    if (head.due > this.time) this.time = head.due;
    return head;
  }

  /** An XState `clock` whose timers are owned by `owner` and run on this virtual clock. */
  clockFor(owner: string): XStateClock {
    return {
      setTimeout: (fn: () => void, ms: number): number => this.schedule(owner, ms, fn),
      clearTimeout: (id: unknown): void => {
        if (typeof id === 'number') this.cancel(id);
      },
    };
  }

  private dropCancelledHead(): void {
    while (this.heap[0]?.cancelled === true) this.pop();
  }

  /** Rebuild without cancelled entries once they outnumber live ones (bounds heap growth). */
  private compactIfSparse(): void {
    if (this.heap.length < 64 || this.live.size * 2 > this.heap.length) return;
    const kept = this.heap.filter((t) => !t.cancelled);
    this.heap.length = 0;
    for (const t of kept) this.push(t);
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    let i = heap.push(timer) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!before(timer, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = timer;
  }

  private pop(): Timer | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    this.siftDown(last);
    return top;
  }

  /** Place `timer` at the root and move it down to its place. */
  private siftDown(timer: Timer): void {
    const heap = this.heap;
    const n = heap.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && before(heap[r]!, heap[l]!) ? r : l;
      const c = heap[child]!;
      if (!before(c, timer)) break;
      heap[i] = c;
      i = child;
    }
    heap[i] = timer;
  }
}
