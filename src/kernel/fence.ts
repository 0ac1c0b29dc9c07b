// dma_fence (drivers/dma-buf/dma-fence.c): a one-shot completion event of GPU work, ordered within its
// context (timeline) by seqno. Simplified: no callbacks beyond waiters, error set only at signal time.

import type { KernelEnv } from './env.ts';

export class DmaFence {
  signaled = false;
  error = 0;
  /**
   * The fences the job behind this one waits for before it runs (a GPU scheduler's job dependencies,
   * drm_sched_job_add_implicit_dependencies): the ring signals it only after every one of them.
   */
  deps: readonly DmaFence[] | null = null;
  /** The fence emitted before this one on its timeline: a ring completes its jobs in order. */
  prev: DmaFence | null = null;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly context: number,
    readonly seqno: number,
    /** Stable id for traces: `fence:<context>.<seqno>`. */
    readonly id: string = `fence:${context}.${seqno}`,
  ) {}

  /** dma_fence_signal: wake every waiter once. Signalling twice is a no-op (returns false). */
  signal(error = 0): boolean {
    if (this.signaled) return false;
    this.signaled = true;
    this.error = error;
    // A signalled fence keeps no other alive.
    this.deps = null;
    this.prev = null;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
    return true;
  }

  /** Register a wake-up; returns a function that unregisters it (for interrupted waits). */
  onSignal(wake: () => void): () => void {
    if (this.signaled) {
      wake();
      return () => {};
    }
    this.waiters.add(wake);
    return () => this.waiters.delete(wake);
  }

  /** The first dependency not signalled yet, or null when the job may run. */
  pendingDep(): DmaFence | null {
    if (this.prev !== null && !this.prev.signaled) return this.prev;
    const deps = this.deps;
    if (deps === null) return null;
    for (const d of deps) if (!d.signaled) return d;
    return null;
  }

  get waiterCount(): number {
    return this.waiters.size;
  }
}

/** dma_fence_is_later: same context, newer seqno. */
export function dmaFenceIsLater(f1: DmaFence, f2: DmaFence): boolean {
  if (f1.context !== f2.context) return false;
  return f1.seqno > f2.seqno;
}

/** A fence timeline (fence context) such as one GPU ring: fences signal in creation order. */
export class FenceTimeline {
  private seqno = 0;
  private last: DmaFence | null = null;
  readonly context: number;

  constructor(
    readonly env: KernelEnv,
    readonly name: string,
  ) {
    this.context = env.nextId('fence-ctx');
  }

  /** Create the next fence of this timeline and hand it to the environment to be signalled later. */
  emit(): DmaFence {
    this.seqno += 1;
    const fence = new DmaFence(this.context, this.seqno);
    if (this.last !== null && !this.last.signaled) fence.prev = this.last;
    this.last = fence;
    this.env.submit(fence);
    return fence;
  }

  /** An already signalled fence (the kernel's dma_fence_get_stub). */
  static signaled(): DmaFence {
    const f = new DmaFence(0, 0, 'fence:signaled');
    f.signal();
    return f;
  }
}
