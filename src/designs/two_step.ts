// Design `two-step` (seed 001, Thomas Hellström, Jan 2012): a placement is (DMA type, memory type).
// Binding to TT first binds the tt to a DMA type — NONE (bare metal), DYNAMIC (streaming maps through
// the IOMMU), COHERENT (dma_alloc_coherent) or CMA — and only then to the GPU. A DMA OOM evicts BOs
// bound to the same DMA type (LRU order); evicting from DMA evicts from the GPU too, evicting from the
// GPU (TT → SYSTEM) keeps the DMA binding. DYNAMIC forbids CPU access: binding kills the CPU mappings,
// a CPU fault or kmap while bound is a violation (design.dynamic-cpu-access), and the first refault
// after the unbind does a dma_sync_*_for_cpu (counted). The mechanics live in dma_bind.ts.
// What the kernel did instead (reference §5(b)): struct ttm_place is still {fpfn, lpfn, mem_type,
// flags}; DMA mapping happens at populate (ttm_pool_map) or at the driver's move into TT (xe), map
// failure is -EFAULT, nothing is evicted for DMA space; no dma_sync calls, no DYNAMIC restriction.
// Simplified: one DMA type for every tt-backed BO of the world (the `type` parameter).
// Deviation(two-step-one-dma-type): the design's per-BO DMA type is one per world.

import type { TtmGlobal } from '../kernel/device.ts';
import { DmaBinder, type DmaType } from './dma_bind.ts';
import { DESIGN_TWO_STEP, designValue } from './spec.ts';

export const DEFAULT_DMA_TYPE: DmaType = 'dynamic';

/** The binder of a world with the two-step design on (DMA OOM evicts within the device), else null. */
export function twoStepBinder(global: TtmGlobal): DmaBinder | null {
  const v = designValue(global.designs, DESIGN_TWO_STEP, DEFAULT_DMA_TYPE);
  if (v === undefined) return null;
  return new DmaBinder(global, v as DmaType, 'own');
}
