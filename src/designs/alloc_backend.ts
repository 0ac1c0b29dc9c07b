// Design `alloc-ops` (seed 000, Konrad Rzeszutek Wilk, Mar 2011): a pluggable page-allocation backend,
// an ops table {probe, alloc, free} with a DMA-coherent backend (dma_alloc_coherent, for Xen PV) and a
// generic one (alloc_page + dma_map_page), the first backend whose probe accepts the platform chosen
// when the device is set up. Consequences of the coherent backend (reference §1.11, §5(a)): each page
// has a DMA address fixed for its lifetime, pages are pooled per device for all three cachings, and
// they cannot be backed up (ttm_pool_backup: -EBUSY).
// What the kernel did instead: no ops table and no runtime probe inside TTM; ttm_pool has a mode bit
// (use_dma_alloc, TTM_ALLOCATION_POOL_USE_DMA_ALLOC) the driver sets from drm_need_swiotlb() (Xen PV,
// memory encryption, a DMA mask below the top of memory). The backends here are that mode: alloc and
// free are ttm_pool_alloc / ttm_pool_free on a pool whose mode the chosen backend sets.
// Simplified: the platform is a design parameter, not discovered; one backend per device (no per-page
// switching, which did not land either).

import type { TtmGlobal } from '../kernel/device.ts';
import type { KGen } from '../kernel/env.ts';
import type { OperationCtx } from '../kernel/placement.ts';
import { ttmPoolAlloc, ttmPoolFree } from '../kernel/pool.ts';
import { type Pool, TTM_ALLOCATION_POOL_USE_DMA_ALLOC } from '../kernel/pool_type.ts';
import type { Tt } from '../kernel/tt.ts';
import { DESIGN_ALLOC_OPS, designValue } from './spec.ts';

export const PLATFORMS = ['bare-metal', 'xen-pv', 'encrypted', 'dma-mask'] as const;
export type Platform = (typeof PLATFORMS)[number];
export const DEFAULT_PLATFORM: Platform = 'xen-pv';

/** What a probe looks at: drm_need_swiotlb's inputs. */
export interface PlatformFacts {
  /** xen_pv_domain(). */
  readonly xenPv: boolean;
  /** cc_platform_has(CC_ATTR_MEM_ENCRYPT). */
  readonly memEncrypt: boolean;
  /** The device's DMA mask, in address bits. */
  readonly dmaBits: number;
  /** Bits needed to address the top of iomem / RAM. */
  readonly memTopBits: number;
}

export function platformFacts(p: Platform): PlatformFacts {
  return {
    xenPv: p === 'xen-pv',
    memEncrypt: p === 'encrypted',
    dmaBits: p === 'dma-mask' ? 32 : 64,
    memTopBits: 36,
  };
}

/** struct ttm_page_alloc_ops. */
export interface PageAllocOps {
  readonly name: 'dma-coherent' | 'generic';
  /** Does this backend take the device on this platform? */
  probe(f: PlatformFacts): boolean;
  /** ttm_pool flags the backend runs the pool with. */
  readonly poolFlags: number;
  /** Fill a tt (0, -ENOMEM, -EFAULT: ttm_pool_alloc's results). */
  alloc(pool: Pool, tt: Tt, ctx: OperationCtx): KGen<number>;
  free(pool: Pool, tt: Tt): void;
}

/** ttm_page_alloc_dma: dma_alloc_coherent pages, pooled per device. */
export const ttmPageAllocDma: PageAllocOps = {
  name: 'dma-coherent',
  probe: (f) => f.xenPv || f.memEncrypt || f.dmaBits < f.memTopBits,
  poolFlags: TTM_ALLOCATION_POOL_USE_DMA_ALLOC,
  alloc: ttmPoolAlloc,
  free: ttmPoolFree,
};

/** ttm_page_alloc_generic: alloc_page + dma_map_page; probes true everywhere (the fallback). */
export const ttmPageAllocGeneric: PageAllocOps = {
  name: 'generic',
  probe: () => true,
  poolFlags: 0,
  alloc: ttmPoolAlloc,
  free: ttmPoolFree,
};

/** alloc_backends[]: probed in order, the first that accepts wins. */
export const ALLOC_BACKENDS: readonly PageAllocOps[] = [ttmPageAllocDma, ttmPageAllocGeneric];

/** ttm_page_alloc_init's loop: the backend for a platform. */
export function probeAllocBackend(f: PlatformFacts): PageAllocOps {
  for (const b of ALLOC_BACKENDS) if (b.probe(f)) return b;
  return ttmPageAllocGeneric;
}

/** The backend a device of this world gets, or null when the design is off (the driver decides). */
export function allocOpsBackend(global: TtmGlobal): PageAllocOps | null {
  const v = designValue(global.designs, DESIGN_ALLOC_OPS, DEFAULT_PLATFORM);
  if (v === undefined) return null;
  return probeAllocBackend(platformFacts(v as Platform));
}
