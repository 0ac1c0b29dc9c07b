// ww_mutex with the Wait-Die algorithm (kernel/locking/ww_mutex.h, reservation_ww_class is DEFINE_WD_CLASS).
// Simplified: ownership is handed directly to the first waiter on unlock (no optimistic spinning), which
// is one of the orders the kernel allows and keeps every grant a visible, scheduled event.

import { EALREADY, EDEADLK } from './errno.ts';

/** Returned by `attempt` when the caller has to sleep. Never reaches kernel code. */
export const WOULD_BLOCK = 1;

/**
 * Wait-Die's decision, written once for the kernel model and the stress programs (src/stress/programs.ts):
 * a context that holds locks (`acquired` > 0) and meets an older context (a smaller stamp: the lock's
 * holder, or a waiter queued before it) must back off with -EDEADLK. kernel/locking/ww_mutex.h,
 * __ww_mutex_check_kill: "if (hold_ctx && __ww_ctx_less(ctx, hold_ctx))" kills the caller, and
 * __ww_mutex_kill returns -EDEADLK only "if (ww_ctx->acquired > 0)". `otherStamp` null: no context.
 */
export function waitDieBacksOff(stamp: number, acquired: number, otherStamp: number | null): boolean {
  return acquired > 0 && otherStamp !== null && otherStamp < stamp;
}

/** struct ww_acquire_ctx: a ticket; lower stamp = older = wins. */
export class WwAcquireCtx {
  /** Number of ww_mutexes this context holds (ctx->acquired). */
  acquired = 0;

  constructor(
    readonly stamp: number,
    readonly task: string,
  ) {}
}

export interface WwHolder {
  readonly task: string;
  readonly ctx: WwAcquireCtx | null;
}

export interface WwWaiter {
  readonly task: string;
  readonly ctx: WwAcquireCtx | null;
  readonly interruptible: boolean;
  /** Resumes the sleeping task with 0 (lock handed over) or -EDEADLK (Wait-Die: back off). */
  readonly wake: (ret: number) => void;
}

export class WwMutex {
  holder: WwHolder | null = null;
  private readonly waiters: WwWaiter[] = [];
  /** Told about every ownership change (the resv statechart). */
  observer: ((holder: WwHolder | null, waiters: number) => void) | null = null;

  constructor(readonly id: string) {}

  get isLocked(): boolean {
    return this.holder !== null;
  }

  get waiterTasks(): readonly string[] {
    return this.waiters.map((w) => w.task);
  }

  /** The sleepers in queue order, read-only (the Wait-Die oracles look at their tickets). */
  get queued(): readonly WwWaiter[] {
    return this.waiters;
  }

  /** ww_mutex_trylock(lock, NULL): true if taken. */
  trylock(task: string): boolean {
    if (this.holder !== null) return false;
    this.grant({ task, ctx: null });
    return true;
  }

  /**
   * The non-sleeping part of ww_mutex_lock[_slow]: take the lock if free; otherwise decide between
   * -EALREADY (this context holds it), -EDEADLK (Wait-Die: a context holding other locks meets an older
   * holder or an older waiter) and WOULD_BLOCK. The slow path never dies.
   */
  attempt(task: string, ctx: WwAcquireCtx | null, slow: boolean): number {
    if (ctx !== null && this.holder !== null && this.holder.ctx === ctx) return -EALREADY;
    if (this.holder === null) {
      this.grant({ task, ctx });
      return 0;
    }
    if (ctx !== null && !slow && this.mustDie(ctx)) return -EDEADLK;
    return WOULD_BLOCK;
  }

  /**
   * Queue a sleeper as __ww_mutex_add_waiter does: plain waiters at the tail (FIFO); a context waiter
   * goes in front of the younger context waiters that follow the last older one, leaving plain waiters
   * where they are (so they are not starved).
   */
  enqueue(waiter: WwWaiter): void {
    let at = this.waiters.length;
    if (waiter.ctx !== null) {
      const stamp = waiter.ctx.stamp;
      for (let i = this.waiters.length - 1; i >= 0; i -= 1) {
        const ctx = this.waiters[i]!.ctx;
        if (ctx === null) continue;
        if (ctx.stamp < stamp) break;
        at = i;
      }
    }
    this.waiters.splice(at, 0, waiter);
    this.observer?.(this.holder, this.waiters.length);
  }

  /** Remove a sleeper that gave up (signal). Returns false if it was not queued (already woken). */
  remove(waiter: WwWaiter): boolean {
    const at = this.waiters.indexOf(waiter);
    if (at < 0) return false;
    this.waiters.splice(at, 1);
    this.observer?.(this.holder, this.waiters.length);
    return true;
  }

  /** ww_mutex_unlock: release, hand over to the first waiter, then kill younger waiters that hold locks. */
  unlock(): void {
    const holder = this.holder;
    if (holder === null) throw new Error(`ww_mutex ${this.id}: unlock of an unlocked mutex`);
    if (holder.ctx !== null) holder.ctx.acquired -= 1;
    this.holder = null;
    const next = this.waiters.shift();
    if (next === undefined) {
      this.observer?.(null, 0);
      return;
    }
    this.grant({ task: next.task, ctx: next.ctx });
    next.wake(0);
    this.dieYoungerWaiters();
  }

  private grant(holder: WwHolder): void {
    this.holder = holder;
    if (holder.ctx !== null) holder.ctx.acquired += 1;
    this.observer?.(holder, this.waiters.length);
  }

  private mustDie(ctx: WwAcquireCtx): boolean {
    if (waitDieBacksOff(ctx.stamp, ctx.acquired, this.holder?.ctx?.stamp ?? null)) return true;
    return this.waiters.some((w) => waitDieBacksOff(ctx.stamp, ctx.acquired, w.ctx?.stamp ?? null));
  }

  /** __ww_mutex_check_waiters for Wait-Die: waiters younger than the new holder that hold locks die. */
  private dieYoungerWaiters(): void {
    const hold = this.holder?.ctx ?? null;
    if (hold === null) return;
    for (const w of [...this.waiters]) {
      if (w.ctx !== null && waitDieBacksOff(w.ctx.stamp, w.ctx.acquired, hold.stamp)) {
        this.remove(w);
        w.wake(-EDEADLK);
      }
    }
  }
}
