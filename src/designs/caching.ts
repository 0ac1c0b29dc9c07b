// Design `caching` (seeds 003 and 004, Thomas Hellström 2006 / 2019): the caching mode of a tt follows
// its placement — write-combined (the driver's GPU caching) while bound in TT, write-back (cached) in
// SYSTEM — so a move between them changes the caching of populated pages, each change a
// set_pages_array_* call with its TLB shootdown (counted by the Ram). Pools exist to avoid that cost:
// a tt populated in a caching the pool holds gets pages already in that caching, with no shootdown.
// And the driver asks `dma_streaming_is_coherent(dev)` at load: TTM's model (map arbitrary pages,
// switch their caching, no dma_sync calls) only works where streaming DMA is coherent, so elsewhere the
// driver does not load (-ENODEV).
// What the kernel did instead: the caching of a tt is fixed when the driver creates it; changing it on a
// populated tt is refused since "drm/ttm: stop dangerous caching attribute change" (2020); the
// coherence probe never landed (Christoph Hellwig: "Hell no."); drivers use drm_arch_can_wc_memory().
// Simplified: x86 semantics only; the probe's answer is a design parameter (coherent=yes|no).

import type { Caching } from '../kernel/constants.ts';
import type { TtmGlobal } from '../kernel/device.ts';
import { ENODEV } from '../kernel/errno.ts';
import type { PageCaching } from '../kernel/ram.ts';
import type { Tt } from '../kernel/tt.ts';
import { DESIGN_CACHING, designValue } from './spec.ts';

export const COHERENT_VALUES = ['yes', 'no'] as const;

/** Is the caching design on in this world? */
export function cachingDesignOn(global: TtmGlobal | null): boolean {
  return global !== null && designValue(global.designs, DESIGN_CACHING, 'yes') !== undefined;
}

/** dma_streaming_is_coherent(dev), as the platform answers it (the design's `coherent` parameter). */
export function dmaStreamingIsCoherent(global: TtmGlobal): boolean {
  return designValue(global.designs, DESIGN_CACHING, 'yes') !== 'no';
}

/** The driver's load-time check: 0, or -ENODEV where TTM's coherence assumption does not hold. */
export function cachingDriverProbe(global: TtmGlobal): number {
  if (!cachingDesignOn(global)) return 0;
  return dmaStreamingIsCoherent(global) ? 0 : -ENODEV;
}

function pageCaching(c: Caching): PageCaching {
  return c === 'cached' ? 'wb' : c === 'write_combined' ? 'wc' : 'uc';
}

/**
 * ttm_tt_set_caching of the old TTM: give a populated tt's resident pages the new caching with one
 * set_pages_array_* call (one shootdown when any page changes) and record it as the tt's caching, so the
 * pages go back to the pool type of the caching they have. Returns the pages changed; a tt in the middle
 * of a restore, or not populated, is left alone (0).
 */
export function ttmTtSetPlacementCaching(global: TtmGlobal, tt: Tt, caching: Caching): number {
  if (tt.caching === caching) return 0;
  if (!tt.isPopulated() || tt.restore !== null) return 0;
  const pfns = (tt.pages ?? []).filter((p): p is number => typeof p === 'number');
  global.ram.setCachingPages(pfns, pageCaching(caching));
  tt.caching = caching;
  return pfns.length;
}
