// The execution context kernel code runs in: who `current` is, how blocking is expressed, and where the
// statechart mirror is told about edges. Kernel functions that may sleep are generators: they yield a
// `Wait` and are resumed with its result, so the same code runs under the synchronous KUnit runner
// (src/kernel/sync.ts) and as a task interleaved by the simulator's scheduler.

import type { DmaFence } from './fence.ts';
import type { DmaResv, DmaResvUsage } from './resv.ts';
import type { WwAcquireCtx, WwMutex } from './ww_mutex.ts';

/** What a sleeping kernel path waits for. Every yield is also a scheduling point. */
export type Wait =
  /** Sleep on a ww_mutex (dma_resv_lock*). Resumed with 0, -EALREADY, -EDEADLK or -EINTR. */
  | {
      readonly kind: 'lock';
      readonly mutex: WwMutex;
      readonly ctx: WwAcquireCtx | null;
      readonly interruptible: boolean;
      readonly slow: boolean;
    }
  /**
   * dma_resv_wait_timeout / dma_fence_wait_timeout: wait until every fence of `usage` or stricter is
   * signalled. Resumed with 1 (signalled), 0 (timed out) or -ERESTARTSYS (signal, interruptible only).
   */
  | {
      readonly kind: 'fences';
      readonly fences: readonly DmaFence[];
      readonly interruptible: boolean;
      readonly timeoutMs: number | null;
    }
  /** A preemption point at a visible operation that does not block. Resumed with 0. */
  | { readonly kind: 'yield'; readonly label: string }
  /** Sleep for virtual milliseconds (msleep); resumed with 0. Only test and workload tasks sleep. */
  | { readonly kind: 'sleep'; readonly ms: number };

/** A kernel path that may sleep: yields waits, receives their results, returns T. */
export type KGen<T> = Generator<Wait, T, number>;

/** An edge the kernel took on an object, sent to that object's statechart. */
export interface MirrorEvent {
  readonly type: string;
  readonly [key: string]: string | number | boolean | null;
}

export type ObjKind =
  | 'device'
  | 'manager'
  | 'bo'
  | 'resource'
  | 'resv'
  | 'fence'
  | 'tt'
  | 'pool'
  | 'swap'
  | 'iommu'
  | 'shrinker';

export interface KernelEnv {
  /** systemId of the task running kernel code now (the kernel's `current`). */
  current(): string;
  /** Allocate the next number of an id family (`bo`, `res`, `fence-ctx`, `ticket`). */
  nextId(family: string): number;
  /** Report an edge taken by object `id` of kind `kind`. */
  emit(kind: ObjKind, id: string, event: MirrorEvent): void;
  /** A fence was created for asynchronous GPU work; the environment decides when it signals. */
  submit(fence: DmaFence): void;
  /** Queue `bo`'s delayed-delete work on its device's workqueue. */
  queueWork(deviceId: string, work: () => KGen<void>, label: string): void;
}

/** Helper for `yield* dmaResvWait(...)`-style code: wait for some fences. */
export function* waitFences(
  fences: readonly DmaFence[],
  interruptible: boolean,
  timeoutMs: number | null,
): KGen<number> {
  const pending = fences.filter((f) => !f.signaled);
  if (pending.length === 0) return 1;
  return yield { kind: 'fences', fences: pending, interruptible, timeoutMs };
}

export type { DmaResv, DmaResvUsage };
