// dma_resv (drivers/dma-buf/dma-resv.c): the reservation object of a BO: a ww_mutex plus the fences of
// the GPU work that uses the BO, each with a usage (KERNEL < WRITE < READ < BOOKKEEP).

import type { TtmGlobal } from './device.ts';
import type { KernelEnv, KGen } from './env.ts';
import { ENOMEM } from './errno.ts';
import type { FaultSource } from './faults.ts';
import type { DmaFence } from './fence.ts';
import { assertHeld, warnOn } from './rules/check.ts';
import { RESV_ADD_FENCE_HELD, RESV_ADD_FENCE_SLOT, RESV_RESERVE_FENCES_HELD } from './rules/dma_resv.ts';
import { postAddFenceSameContext } from './rules/dma_resv_fences.ts';
import { checkWaitReturn } from './rules/errno_waits.ts';
import { postResvLock } from './rules/ww_lock.ts';
import { postWwKill } from './rules/ww_mutex_kill.ts';
import { WwAcquireCtx, type WwHolder, WwMutex } from './ww_mutex.ts';

export enum DmaResvUsage {
  KERNEL = 0,
  WRITE = 1,
  READ = 2,
  BOOKKEEP = 3,
}

interface ResvFence {
  fence: DmaFence;
  usage: DmaResvUsage;
}

/**
 * Reports the lock's holder changes of resv `id` to its statechart. Made here rather than written as an
 * arrow function in the constructor: a closure stored into a property in the function that creates it
 * kept whole runs alive through young-generation collections while the code was still interpreted.
 */
function resvObserver(env: KernelEnv, id: string): (holder: WwHolder | null, waiters: number) => void {
  return (holder, waiters) =>
    env.emit(
      'resv',
      id,
      holder === null ? { type: 'resv.unlocked' } : { type: 'resv.locked', by: holder.task, waiters },
    );
}

export class DmaResv {
  readonly lock: WwMutex;
  private fences: ResvFence[] = [];
  /** Fence slots reserved by dma_resv_reserve_fences (since the resv was locked) and not yet used. */
  slotsReserved = 0;
  /** obj->fences != NULL: a dma_resv_reserve_fences succeeded once (the list stays when slots are reset). */
  fenceListAllocated = false;
  /** Fault injection: the next reserve_fences fails with -ENOMEM (used by tests of error paths). */
  failNextReserve = false;

  constructor(
    readonly id: string,
    private readonly env: KernelEnv | null = null,
    /** The world whose rules the resv's users are held to (null: a resv of unit tests, not judged). */
    private readonly global: TtmGlobal | null = null,
  ) {
    this.lock = new WwMutex(id);
    if (env !== null) this.lock.observer = resvObserver(env, id);
  }

  /** The world whose rules this resv's users are held to. */
  get world(): TtmGlobal | null {
    return this.global;
  }

  /** dma_resv_locking_ctx: the ww ticket that holds this resv, if any. */
  lockingCtx(): WwAcquireCtx | null {
    return this.lock.holder?.ctx ?? null;
  }

  isLocked(): boolean {
    return this.lock.isLocked;
  }

  /** dma_resv_trylock. */
  trylock(task: string): boolean {
    return this.lock.trylock(task);
  }

  /**
   * dma_resv_unlock. The slots reserved under this lock are given up, as CONFIG_DEBUG_MUTEXES's
   * dma_resv_reset_max_fences does, so that a fence added in a later locked section needs its own.
   */
  unlock(): void {
    this.slotsReserved = 0;
    this.lock.unlock();
  }

  /** dma_resv_reserve_fences: at least `n` free slots from now until the resv is unlocked. 0 or -ENOMEM. */
  reserveFences(n: number): number {
    if (this.env !== null)
      assertHeld(this.global, RESV_RESERVE_FENCES_HELD, this.lock, this.env.current(), this.id);
    if (this.failNextReserve) {
      this.failNextReserve = false;
      return -ENOMEM;
    }
    this.slotsReserved = Math.max(this.slotsReserved, n);
    this.fenceListAllocated = true;
    return 0;
  }

  /**
   * dma_resv_add_fence: a later fence of the same context replaces the earlier one (whatever the usage,
   * the stricter usage wins); otherwise the fence takes a reserved slot.
   */
  addFence(fence: DmaFence, usage: DmaResvUsage): void {
    if (this.env !== null)
      assertHeld(this.global, RESV_ADD_FENCE_HELD, this.lock, this.env.current(), this.id);
    const same = this.fences.find((f) => f.fence.context === fence.context && fence.context !== 0);
    if (same !== undefined) {
      const old = same.fence;
      if (fence.seqno >= same.fence.seqno) same.fence = fence;
      same.usage = Math.min(same.usage, usage);
      postAddFenceSameContext(this.global, this.id, old, same.fence);
      return;
    }
    const noSlot = this.slotsReserved === 0 && !this.fences.some((f) => f.fence.signaled);
    warnOn(
      this.global,
      RESV_ADD_FENCE_SLOT,
      noSlot,
      this.id,
      noSlot ? `${fence.id} added with no slot reserved` : '',
    );
    this.fences.push({ fence, usage });
    if (this.slotsReserved > 0) this.slotsReserved -= 1;
  }

  /** Fences whose usage is `usage` or stricter (dma_resv_iter with that usage). */
  fencesFor(usage: DmaResvUsage): DmaFence[] {
    this.prune();
    return this.fences.filter((f) => f.usage <= usage).map((f) => f.fence);
  }

  /** dma_resv_test_signaled. */
  testSignaled(usage: DmaResvUsage): boolean {
    return this.fencesFor(usage).every((f) => f.signaled);
  }

  /** dma_resv_copy_fences: make `this` hold the same fences as `src`. */
  copyFences(src: DmaResv): number {
    if (this.failNextReserve) {
      this.failNextReserve = false;
      return -ENOMEM;
    }
    this.fences = src.fences.map((f) => ({ fence: f.fence, usage: f.usage }));
    return 0;
  }

  get fenceCount(): number {
    return this.fences.length;
  }

  /** Drop signalled fences (the kernel drops them lazily too). */
  private prune(): void {
    if (this.fences.some((f) => f.fence.signaled)) this.fences = this.fences.filter((f) => !f.fence.signaled);
  }
}

/**
 * dma_resv_reserve_fences as TTM calls it: one evaluation of the 'resv.reserve' fault site of the world
 * (`faults`, null: none), then the reservation. 0 or -ENOMEM (the fence list could not grow; nothing
 * reserved).
 */
export function dmaResvReserveFences(
  resv: DmaResv,
  n: number,
  faults: FaultSource | null,
  where: string,
): number {
  if (faults?.injectFault('resv.reserve', where)) return -ENOMEM;
  return resv.reserveFences(n);
}

/**
 * dma_resv_copy_fences(dst, src) with the world's 'resv.copy' fault site: 0, or -ENOMEM (the copied
 * fence list could not be allocated; `dst` keeps its fences).
 */
export function dmaResvCopyFences(
  dst: DmaResv,
  src: DmaResv,
  faults: FaultSource | null,
  where: string,
): number {
  if (faults?.injectFault('resv.copy', where)) return -ENOMEM;
  return dst.copyFences(src);
}

/** dma_resv_lock[_interruptible] / _slow: sleeps through the environment. */
export function* dmaResvLock(
  resv: DmaResv,
  ctx: WwAcquireCtx | null,
  interruptible: boolean,
  slow = false,
): KGen<number> {
  const ret: number = yield { kind: 'lock', mutex: resv.lock, ctx, interruptible, slow };
  postResvLock(resv.world, resv.id, ret, ctx !== null, interruptible, slow);
  postWwKill(resv.world, resv.id, ret, ctx);
  return ret;
}

/** dma_resv_wait_timeout: 1 when idle, 0 on timeout, -ERESTARTSYS when interrupted. */
export function* dmaResvWaitTimeout(
  resv: DmaResv,
  usage: DmaResvUsage,
  interruptible: boolean,
  timeoutMs: number | null,
): KGen<number> {
  const pending = resv.fencesFor(usage).filter((f) => !f.signaled);
  if (pending.length === 0) return 1;
  const ret: number = yield { kind: 'fences', fences: pending, interruptible, timeoutMs };
  return checkWaitReturn(resv.world, resv.id, interruptible, timeoutMs, ret);
}

/** ww_acquire_init: a new ticket for `task`; tickets taken later are younger. */
export function wwAcquireInit(env: KernelEnv): WwAcquireCtx {
  return new WwAcquireCtx(env.nextId('ticket'), env.current());
}
