// POS, partial order sampling (Yuan, Yang, Gu, "Partial Order Aware Concurrency Sampling", CAV'18), over
// the scheduler's messages: every message gets a random priority when it is posted, and at every choice
// the enabled actor whose head message (the oldest in its FIFO inbox) has the highest priority runs.
// Ties, which need two equal 32-bit draws, go to the earlier actor id.
//
// How this relates to POS: POS also gives each pending event a random priority and runs the enabled
// event with the highest one, but after each step it re-draws the priorities of the events that race
// with the one just executed (same shared object, at least one a write). That reset-on-race rule is what
// its guarantee rests on: without it (the paper's BasicPOS), an event that drew a low priority keeps
// losing to everything it races with, so some orders of racing events get exponentially rare. Here the
// priorities are independent and drawn once, never reset: that is BasicPOS with messages as events. It
// simplifies away the race relation, which the scheduler cannot see: two deliveries race when the
// kernel model makes them touch the same BO, LRU, manager or lock, and only the model knows that.
// Messages to the same actor never race here (its inbox is FIFO: program order), so a message's priority
// matters only once it reaches the head of its inbox. The cost: POS's probability bound does not carry
// over; the strategy is a cheap, different sampler alongside random and PCT.

import type { Rng } from './prng.ts';
import type { Chooser } from './strategy.ts';

/** Priorities of one actor's pending messages, in inbox order, read from `head`. */
interface Queue {
  readonly priorities: number[];
  head: number;
}

export class Pos implements Chooser {
  private readonly queues = new Map<string, Queue>();

  constructor(private readonly rng: Rng) {}

  register(id: string): void {
    this.queues.set(id, { priorities: [], head: 0 });
  }

  /** Draw the priority of the message just posted to `to` (one 32-bit draw per message). */
  posted(to: string): void {
    this.queue(to).priorities.push(this.rng.int(0, 0xffff_ffff));
  }

  delivered(id: string): void {
    const q = this.queue(id);
    q.head += 1;
    if (q.head === q.priorities.length) {
      q.priorities.length = 0;
      q.head = 0;
    } else if (q.head >= 1024 && q.head * 2 >= q.priorities.length) {
      q.priorities.splice(0, q.head);
      q.head = 0;
    }
  }

  pick(enabled: readonly string[]): number {
    let best = 0;
    let bestPriority = -1;
    for (let i = 0; i < enabled.length; i++) {
      const p = this.priorityOf(enabled[i]!) ?? -1;
      if (p > bestPriority) {
        best = i;
        bestPriority = p;
      }
    }
    return best;
  }

  chosen(): void {}

  /** The priority of `id`'s head message; undefined when its inbox is empty. */
  priorityOf(id: string): number | undefined {
    const q = this.queues.get(id);
    return q?.priorities[q.head];
  }

  /**
   * The queue of a registered actor.
   * @throws Error when `id` was never registered (the scheduler registers before it posts).
   */
  private queue(id: string): Queue {
    const q = this.queues.get(id);
    if (q === undefined) throw new Error(`pos: no actor '${id}'`);
    return q;
  }
}
