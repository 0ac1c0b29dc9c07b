// Reference bookkeeping the model's garbage-collected objects do not give for free: the dma_fence_get /
// dma_fence_put pairs of TTM's own paths (sampling a manager's move fence) and the dma_resv_init /
// dma_resv_fini pair of the reservation objects TTM itself creates (a ghost object's _resv, which holds
// the fences of the pipelined move). In the kernel an unbalanced get or a missing fini leaks the fence
// (and what it pins); here it stays listed in the world's ledger, and an end-of-run check names it.
// Fences and reservations held by BOs' own resvs are not counted (the model keeps no refcount there).

import type { TtmGlobal } from './device.ts';
import type { DmaFence } from './fence.ts';
import type { DmaResv } from './resv.ts';

/** What one world holds: fence references taken and not put, ghost resvs initialised and not finalised. */
export class FenceRefs {
  /** Fences with references from dma_fence_get not yet dropped, with their counts. */
  readonly fences = new Map<DmaFence, number>();
  /** Ghost reservation objects not yet finalised (dma_resv_fini), with the ghost's id. */
  readonly resvs = new Map<DmaResv, string>();
}

/**
 * The ledger of `global` (created on first use). It is kept on the world itself: a module-level WeakMap
 * keyed by the world made every run's ledger an ephemeron entry, which the young-generation collector
 * cannot drop, so whole runs survived into the old generation.
 */
export function fenceRefs(global: TtmGlobal): FenceRefs {
  let refs = global.fenceLedger;
  if (refs === null) {
    refs = new FenceRefs();
    global.fenceLedger = refs;
  }
  return refs;
}

/** dma_fence_get: take a reference on `fence` (NULL-safe, like the kernel's). Returns the fence. */
export function dmaFenceGet(global: TtmGlobal | null, fence: DmaFence | null): DmaFence | null {
  if (fence === null || global === null) return fence;
  const fences = fenceRefs(global).fences;
  fences.set(fence, (fences.get(fence) ?? 0) + 1);
  return fence;
}

/** dma_fence_put: drop a reference taken by dmaFenceGet. Dropping one that was never taken is a bug. */
export function dmaFencePut(global: TtmGlobal | null, fence: DmaFence | null): void {
  if (fence === null || global === null) return;
  const fences = fenceRefs(global).fences;
  const n = fences.get(fence);
  if (n === undefined) throw new Error(`dma_fence_put: ${fence.id} has no reference to drop`);
  if (n === 1) fences.delete(fence);
  else fences.set(fence, n - 1);
}

/** dma_resv_init of a reservation object TTM owns (a ghost's _resv); `owner` names its BO. */
export function dmaResvInit(global: TtmGlobal | null, resv: DmaResv, owner: string): void {
  if (global !== null) fenceRefs(global).resvs.set(resv, owner);
}

/** dma_resv_fini: the reservation object drops its fences. Finalising one twice is a bug. */
export function dmaResvFini(global: TtmGlobal | null, resv: DmaResv): void {
  if (global === null) return;
  if (!fenceRefs(global).resvs.delete(resv)) throw new Error(`dma_resv_fini: ${resv.id} finalised twice`);
}
