// ttm_pool.c, the structure part: the per-device pool with its per-(caching, order) types.
// Page allocation in this slice is a frame counter; pooling and the shrinker build on this structure.

import { type Caching, NR_PAGE_ORDERS } from './constants.ts';

export const TTM_ALLOCATION_POOL_USE_DMA_ALLOC = 1 << 0;
export const TTM_ALLOCATION_POOL_USE_DMA32 = 1 << 1;
export const NUMA_NO_NODE = -1;

export const CACHINGS: readonly Caching[] = ['cached', 'write_combined', 'uncached'];

/** struct ttm_pool_type: the free pages of one (caching, order). */
export class PoolType {
  /** Free blocks (first frame of each block). */
  readonly pages: number[] = [];

  constructor(
    readonly pool: Pool,
    readonly caching: Caching,
    readonly order: number,
  ) {}
}

export class Pool {
  /** caching[i].orders[j], initialised only for the types ttm_pool_select_type would return. */
  readonly caching: { orders: (PoolType | null)[] }[] = CACHINGS.map(() => ({
    orders: new Array<PoolType | null>(NR_PAGE_ORDERS).fill(null),
  }));
  private nextFrame = 1;
  private framesOut = 0;

  constructor(
    readonly dev: object | null,
    readonly nid: number,
    readonly allocFlags: number,
  ) {
    // DMA-alloc pools keep per-device types for every caching; other per-device types exist only with a
    // NUMA node (x86 WC/UC), which the simulated devices do not have.
    const perDevice = (allocFlags & TTM_ALLOCATION_POOL_USE_DMA_ALLOC) !== 0;
    if (!perDevice) return;
    for (const [i, caching] of CACHINGS.entries()) {
      for (let order = 0; order < NR_PAGE_ORDERS; order += 1) {
        this.caching[i]!.orders[order] = new PoolType(this, caching, order);
      }
    }
  }

  get useDmaAlloc(): boolean {
    return (this.allocFlags & TTM_ALLOCATION_POOL_USE_DMA_ALLOC) !== 0;
  }

  /** Pages currently handed out to tts. */
  get pagesInUse(): number {
    return this.framesOut;
  }

  takeFrame(): number {
    this.framesOut += 1;
    const f = this.nextFrame;
    this.nextFrame += 1;
    return f;
  }

  giveFrame(_frame: number): void {
    this.framesOut -= 1;
  }

  /** ttm_pool_fini: free every pooled page of every type. */
  fini(): void {
    for (const c of this.caching) for (const t of c.orders) if (t !== null) t.pages.length = 0;
  }
}
