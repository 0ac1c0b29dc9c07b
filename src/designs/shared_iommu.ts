// Design `shared-iommu` (Daniel Vetter's objection in seed 001: "iommus are commonly shared between
// devices and I presume that two ttm drivers sitting behind the same iommu and fighting over its
// resources can lead to some hilarious outcomes"): devices behind one IOVA space bind their tts to it
// when they move into TT (DYNAMIC, dma_bind.ts) and answer IOVA exhaustion with TTM-style LRU eviction.
// `evict=own` (default): each device evicts only its own BOs, as two independent TTMs would; `evict=any`:
// the eviction sees every device's BOs in the IOVA space (an IOMMU-aware LRU, what "awareness of the
// upper layers" would need). The shared-iommu scenario sets two devices on one IOVA space.
// What the kernel did instead: TTM has no IOVA model; dma_map_page failing is -EFAULT and populate or
// validate fails (reference §1.11, §5(b)); IOVA is never reclaimed by evicting BOs.

import type { TtmGlobal } from '../kernel/device.ts';
import { DmaBinder, type EvictScope } from './dma_bind.ts';
import { DESIGN_SHARED_IOMMU, designValue } from './spec.ts';

export const EVICT_SCOPES: readonly EvictScope[] = ['own', 'any'];

/** The binder of a world with the shared-iommu design on, else null. */
export function sharedIommuBinder(global: TtmGlobal): DmaBinder | null {
  const v = designValue(global.designs, DESIGN_SHARED_IOMMU, 'own');
  if (v === undefined) return null;
  return new DmaBinder(global, 'dynamic', v as EvictScope);
}
