// ttm_pool.c, the pool types and their manager: struct ttm_pool_type (the free blocks of one caching and
// order), struct ttm_pool (ttm_pool_init, ttm_pool_fini, ttm_pool_select_type), the module globals of
// ttm_pool_mgr_init (the global WC/UC and DMA32 types, the shrinker list, allocated_pages,
// page_pool_size) and the pool shrinker (ttm_pool_shrink, ttm_pool_shrinker_count/scan). Freed pages are
// cleared and pooled (per device for DMA-alloc pools, all three cachings; otherwise WC/UC only, in the
// global types; cached pages are never pooled) and the shrinker frees pooled blocks round-robin.
// Deviation(no-numa): a pool type's list_lru is one list (FIFO), not one per NUMA node.
// Simplified: x86 only (no highmem, no NUMA: list_lru is one list per type, FIFO). ttm_pool_shrink frees
// one block per call (the 2025 list_lru version frees up to nr_to_free blocks of one type). The pool
// shrinker rwsem is implicit: nothing here sleeps.
// Allocation and freeing of a tt's pages are in pool.ts, backup and drop of a backed-up tt in
// pool_backup.ts.

import { TTM_ALLOCATION_POOL_USE_DMA_ALLOC, TTM_ALLOCATION_POOL_USE_DMA32 } from './allocation.ts';
import { type Caching, MAX_PAGE_ORDER, NR_PAGE_ORDERS } from './constants.ts';
import type { Device, TtmGlobal } from './device.ts';
import type { Iommu } from './iommu.ts';
import type { Ram } from './ram.ts';
import { warnOn } from './rules/check.ts';
import { postPoolShrinkerScan } from './rules/page_allocator.ts';
import { POOL_INIT_TYPES } from './rules/pool_types.ts';
import { POOL_INIT_DMA_ALLOC_DEV, POOL_MGR_FINI_SHRINKER_LIST } from './rules/ttm_pool.ts';

export { TTM_ALLOCATION_POOL_USE_DMA_ALLOC, TTM_ALLOCATION_POOL_USE_DMA32 } from './allocation.ts';
export const NUMA_NO_NODE = -1;

export const CACHINGS: readonly Caching[] = ['cached', 'write_combined', 'uncached'];

/** TTM_SHRINKER_BATCH: (1 << (MAX_PAGE_ORDER / 2)) * NR_PAGE_ORDERS = 352. */
export const TTM_SHRINKER_BATCH = (1 << (MAX_PAGE_ORDER >> 1)) * NR_PAGE_ORDERS;
/** Shrinker return values (~0UL and ~0UL - 1 in the kernel; 32-bit here). */
export const SHRINK_STOP = 0xffff_ffff;
export const SHRINK_EMPTY = 0xffff_fffe;

/** struct ttm_pool_type: the free blocks of one (caching, order); `pool` is null for the global types. */
export class PoolType {
  /** Free blocks (first frame of each block), oldest first. */
  readonly pages: number[] = [];

  constructor(
    readonly pool: Pool | null,
    readonly caching: Caching,
    readonly order: number,
  ) {}
}

/**
 * The module globals of ttm_pool.c for one world (ttm_pool_mgr_init): the global WC/UC pool types (also
 * for DMA32), the shrinker list they and the DMA pools' types are on, `allocated_pages` (pages sitting in
 * pool types) and `page_pool_size`. Also the fault-injection knobs of the pool code.
 */
export class TtmPoolManager {
  readonly globalWriteCombined: PoolType[] = [];
  readonly globalUncached: PoolType[] = [];
  readonly globalDma32WriteCombined: PoolType[] = [];
  readonly globalDma32Uncached: PoolType[] = [];
  /** shrinker_list: ttm_pool_shrink takes the first type and rotates it to the tail. */
  readonly shrinkerList: PoolType[] = [];
  /** allocated_pages: pages in pool types. */
  allocatedPages = 0;
  /** Told the pooled page count after every change (the pool's statechart). */
  observer: ((op: string, pooledPages: number) => void) | null = null;
  /** Fault injection: this many more kzalloc of a struct ttm_pool_tt_restore fail (-ENOMEM). */
  failNextRestoreAllocs = 0;
  /** Fault injection: this many more set_pages_array_wc/uc calls fail (-ENOMEM). */
  failNextSetCaching = 0;
  /**
   * backup_fault_inject (debugfs): while positive, each ttm_pool_backup backs up only half the pages
   * and each interruptible restore step fails with -EINTR, consuming one count per hit.
   */
  backupFaultInject = 0;
  /** The world these globals belong to (set by its TtmGlobal): where a broken rule is recorded. */
  world: TtmGlobal | null = null;
  private nextDmaId = 1;

  constructor(
    readonly ram: Ram,
    /** page_pool_size: default totalram / 2. */
    public pagePoolSize: number,
  ) {
    for (let i = 0; i < NR_PAGE_ORDERS; i += 1) {
      this.globalWriteCombined.push(this.typeInit(null, 'write_combined', i));
      this.globalUncached.push(this.typeInit(null, 'uncached', i));
      this.globalDma32WriteCombined.push(this.typeInit(null, 'write_combined', i));
      this.globalDma32Uncached.push(this.typeInit(null, 'uncached', i));
    }
  }

  /** ttm_pool_type_init: a type on the shrinker list's tail. */
  typeInit(pool: Pool | null, caching: Caching, order: number): PoolType {
    const pt = new PoolType(pool, caching, order);
    this.shrinkerList.push(pt);
    return pt;
  }

  /** An identifier for a struct ttm_pool_dma (what a DMA pool's page->private points at). */
  dmaId(): number {
    const id = this.nextDmaId;
    this.nextDmaId += 1;
    return id;
  }
}

/** struct ttm_pool_dma: a coherent allocation's DMA address and order. */
export interface PoolDma {
  readonly id: number;
  readonly addr: number;
  readonly order: number;
  readonly iommu: Iommu | null;
}

export class Pool {
  /** caching[i].orders[j], initialised only for the types ttm_pool_select_type would return. */
  readonly caching: { orders: (PoolType | null)[] }[] = CACHINGS.map(() => ({
    orders: new Array<PoolType | null>(NR_PAGE_ORDERS).fill(null),
  }));
  /** The ttm_pool_dma of each block a DMA-alloc pool handed out, by first frame. */
  readonly dma = new Map<number, PoolDma>();

  /**
   * ttm_pool_init. `global` gives the RAM and the global pool types; `bdev` the IOMMU DMA goes through
   * (the kernel's pool->dev). Pools without a world cannot allocate.
   */
  constructor(
    readonly dev: object | null,
    readonly nid: number,
    readonly allocFlags: number,
    readonly global: TtmGlobal | null = null,
    readonly bdev: Device | null = null,
  ) {
    warnOn(
      global,
      POOL_INIT_DMA_ALLOC_DEV,
      dev === null && (allocFlags & TTM_ALLOCATION_POOL_USE_DMA_ALLOC) !== 0,
      bdev?.id ?? 'pool',
      '',
    );
    // DMA-alloc pools keep per-device types for every caching; other per-device types exist only with a
    // NUMA node (x86 WC/UC), which the simulated devices do not have.
    if (this.useDmaAlloc) {
      for (const [i, caching] of CACHINGS.entries()) {
        for (let order = 0; order < NR_PAGE_ORDERS; order += 1) {
          this.caching[i]!.orders[order] =
            global === null
              ? new PoolType(this, caching, order)
              : global.poolMgr.typeInit(this, caching, order);
        }
      }
    }
    postPoolInit(this);
  }

  get useDmaAlloc(): boolean {
    return (this.allocFlags & TTM_ALLOCATION_POOL_USE_DMA_ALLOC) !== 0;
  }

  get useDma32(): boolean {
    return (this.allocFlags & TTM_ALLOCATION_POOL_USE_DMA32) !== 0;
  }

  /**
   * ttm_pool_beneficial_order (ttm_pool_internal.h): the low byte of alloc_flags, the highest order the
   * device benefits from (0: none given). As an unsigned int since 6e3f4514e3b4 ("drm/ttm: Fix
   * ttm_pool_beneficial_order() return type"); before it a bool, so any beneficial order read as 1.
   */
  get beneficialOrder(): number {
    return this.allocFlags & 0xff;
  }

  /** The IOMMU the pool's device maps through (null: direct mapping, DMA address = frame number). */
  get iommu(): Iommu | null {
    return this.bdev?.iommu ?? null;
  }

  /** ttm_pool_fini. */
  fini(): void {
    ttmPoolFini(this);
  }
}

/** The pool manager of the pool's world (a pool without one cannot allocate). */
export function mgrOf(pool: Pool): TtmPoolManager {
  const g = pool.global;
  if (g === null) throw new Error('ttm_pool: pool has no world (ttm_pool_init without a TtmGlobal)');
  return g.poolMgr;
}

/** ttm_pool_free_page: back to write-back caching, then to the system (DMA pools: unmap and free). */
export function freePage(pool: Pool | null, ram: Ram, caching: Caching, order: number, p: number): void {
  if (caching !== 'cached') ram.setCaching(p, 1 << order, 'wb');
  if (ram.blockOrder(p) !== order) {
    throw new Error(`ttm_pool_free_page: frame ${p} is not an allocated block of order ${order}`);
  }
  if (pool === null || !pool.useDmaAlloc) {
    ram.freeBlock(p);
    return;
  }
  const dma = pool.dma.get(p);
  if (dma === undefined) throw new Error(`ttm_pool_free_page: frame ${p} has no ttm_pool_dma`);
  pool.dma.delete(p);
  dma.iommu?.unmap(dma.addr);
  ram.freeBlock(p);
}

/** ttm_pool_page_order: the order of a block the pool handed out. */
export function ttmPoolPageOrder(pool: Pool, p: number): number {
  if (pool.useDmaAlloc) {
    const dma = pool.dma.get(p);
    if (dma === undefined) throw new Error(`ttm_pool_page_order: frame ${p} has no ttm_pool_dma`);
    return dma.order;
  }
  return mgrOf(pool).ram.getPrivate(p);
}

/** ttm_pool_type_give: clear the pages and pool the block. */
export function typeGive(pt: PoolType, mgr: TtmPoolManager, p: number): void {
  const nr = 1 << pt.order;
  for (let i = 0; i < nr; i += 1) mgr.ram.clear(p + i);
  pt.pages.push(p);
  mgr.allocatedPages += nr;
  mgr.observer?.('give', mgr.allocatedPages);
}

/** ttm_pool_type_take: the oldest pooled block, or null. */
export function typeTake(pt: PoolType, mgr: TtmPoolManager): number | null {
  const p = pt.pages.shift();
  if (p === undefined) return null;
  mgr.allocatedPages -= 1 << pt.order;
  mgr.observer?.('take', mgr.allocatedPages);
  return p;
}

/** ttm_pool_type_fini: off the shrinker list, every pooled block freed. */
function typeFini(pt: PoolType, mgr: TtmPoolManager): void {
  const at = mgr.shrinkerList.indexOf(pt);
  if (at >= 0) mgr.shrinkerList.splice(at, 1);
  for (let p = pt.pages.shift(); p !== undefined; p = pt.pages.shift()) {
    mgr.allocatedPages -= 1 << pt.order;
    freePage(pt.pool, mgr.ram, pt.caching, pt.order, p);
  }
  mgr.observer?.('fini', mgr.allocatedPages);
}

/**
 * Mutation: pools of DMA32 devices share the global write-combined and uncached types with every other
 * device, so a DMA32 device is handed pooled pages another device allocated above 4 GiB — the global
 * pool before "drm/ttm: fix DMA32 handling in the global page pool" (3e3e59ef0cbe, 2020).
 */
export const MUTATION_POOL_DMA32_SHARED = 'pool-dma32-shared';

/**
 * pool.init.types on return of ttm_pool_init: a DMA-allocating pool has its own type of that pool,
 * caching and order in every slot; any other pool (no NUMA node in the model) has none, its blocks go to
 * the global types.
 */
export function postPoolInit(pool: Pool): void {
  const wrong = wrongPoolTypeSlot(pool);
  warnOn(pool.global, POOL_INIT_TYPES, wrong !== null, pool.bdev?.id ?? 'pool', wrong ?? '');
}

/** The first slot of `pool.caching` that ttm_pool_init should have set up differently, in words, or null. */
function wrongPoolTypeSlot(pool: Pool): string | null {
  for (const [i, caching] of CACHINGS.entries()) {
    for (let order = 0; order < NR_PAGE_ORDERS; order += 1) {
      const pt = pool.caching[i]!.orders[order] ?? null;
      if (!pool.useDmaAlloc) {
        if (pt !== null) return `a pool without use_dma_alloc has its own ${caching} type of order ${order}`;
      } else if (pt === null || pt.pool !== pool || pt.caching !== caching || pt.order !== order) {
        return `the ${caching} slot of order ${order} holds ${pt === null ? 'no type' : `the ${pt.caching} type of order ${pt.order}`}`;
      }
    }
  }
  return null;
}

/** ttm_pool_select_type: the type pages of (caching, order) are pooled in, or null (not pooled). */
export function ttmPoolSelectType(pool: Pool, caching: Caching, order: number): PoolType | null {
  if (pool.useDmaAlloc) return pool.caching[CACHINGS.indexOf(caching)]!.orders[order] ?? null;
  const global = pool.global;
  if (global === null) return null;
  const mgr = global.poolMgr;
  const dma32 = pool.useDma32 && !global.mutations.has(MUTATION_POOL_DMA32_SHARED);
  switch (caching) {
    case 'write_combined':
      return (dma32 ? mgr.globalDma32WriteCombined : mgr.globalWriteCombined)[order]!;
    case 'uncached':
      return (dma32 ? mgr.globalDma32Uncached : mgr.globalUncached)[order]!;
    default:
      return null;
  }
}

/**
 * ttm_pool_shrink: take the first type on the shrinker list, rotate it to the tail, free one block of
 * it. Returns the pages freed (0 when that type was empty).
 */
export function ttmPoolShrink(mgr: TtmPoolManager): number {
  const pt = mgr.shrinkerList.shift();
  if (pt === undefined) return 0;
  mgr.shrinkerList.push(pt);
  const p = typeTake(pt, mgr);
  if (p === null) return 0;
  freePage(pt.pool, mgr.ram, pt.caching, pt.order, p);
  return 1 << pt.order;
}

/** ttm_pool_shrinker_count: pooled pages, or SHRINK_EMPTY. */
export function ttmPoolShrinkerCount(mgr: TtmPoolManager): number {
  return mgr.allocatedPages > 0 ? mgr.allocatedPages : SHRINK_EMPTY;
}

/**
 * Mutation: the pool shrinker's scan stops as soon as one ttm_pool_shrink freed something (one block),
 * whatever the shrinker core asked for, so reclaim gets far less than it needs from a pool full of small
 * blocks — the loop before "drm/ttm: Respect the shrinker core free target" (eac21f8ebeb4, 2025).
 */
export const MUTATION_POOL_SHRINKER_ONE_BLOCK = 'pool-shrinker-one-block';

const NO_MUTATIONS: ReadonlySet<string> = new Set();

/**
 * ttm_pool_shrinker_scan: shrink until `nrToScan` pages are freed or the pools are empty; or SHRINK_STOP.
 * `mutations` are the world's (TtmGlobal.mutations) when the shrinker runs as reclaim.
 */
export function ttmPoolShrinkerScan(
  mgr: TtmPoolManager,
  nrToScan: number,
  mutations: ReadonlySet<string> = NO_MUTATIONS,
): number {
  const ret = shrinkerScan(mgr, nrToScan, mutations);
  postPoolShrinkerScan(mgr, nrToScan, ret === SHRINK_STOP ? 0 : ret);
  return ret;
}

/** The loop of ttm_pool_shrinker_scan. */
function shrinkerScan(mgr: TtmPoolManager, nrToScan: number, mutations: ReadonlySet<string>): number {
  const oneBlock = mutations.has(MUTATION_POOL_SHRINKER_ONE_BLOCK);
  let freed = 0;
  let idle = 0;
  do {
    const n = ttmPoolShrink(mgr);
    freed += n;
    idle = n === 0 ? idle + 1 : 0;
    if (idle > mgr.shrinkerList.length) {
      throw new Error(`ttm_pool_shrinker_scan: ${mgr.allocatedPages} pages counted but no type holds any`);
    }
    if (oneBlock && freed > 0) break;
  } while (freed < nrToScan && mgr.allocatedPages > 0);
  return freed > 0 ? freed : SHRINK_STOP;
}

/** ttm_pool_fini: free the pages of the pool's own types and take them off the shrinker list. */
export function ttmPoolFini(pool: Pool): void {
  const mgr = pool.global?.poolMgr ?? null;
  for (const [i, caching] of CACHINGS.entries()) {
    for (let order = 0; order < NR_PAGE_ORDERS; order += 1) {
      const pt = pool.caching[i]!.orders[order] ?? null;
      if (pt === null || ttmPoolSelectType(pool, caching, order) !== pt) continue;
      if (mgr === null) pt.pages.length = 0;
      else typeFini(pt, mgr);
    }
  }
}

/** The global pool types of a world's pool manager, in the order ttm_pool_mgr_init sets them up. */
function globalTypes(mgr: TtmPoolManager): PoolType[] {
  const out: PoolType[] = [];
  for (let i = 0; i < NR_PAGE_ORDERS; i += 1) {
    out.push(
      mgr.globalWriteCombined[i]!,
      mgr.globalUncached[i]!,
      mgr.globalDma32WriteCombined[i]!,
      mgr.globalDma32Uncached[i]!,
    );
  }
  return out;
}

/**
 * ttm_pool_mgr_fini (from ttm_global_release when the world's last device goes): free the pages of the
 * global types and take them off the shrinker list. The list must then be empty (upstream WARN_ONs;
 * the end-of-run checks report a pool type left on it).
 */
export function ttmPoolMgrFini(mgr: TtmPoolManager, global: TtmGlobal | null = null): void {
  for (const pt of globalTypes(mgr)) typeFini(pt, mgr);
  const left = mgr.shrinkerList.length;
  warnOn(global, POOL_MGR_FINI_SHRINKER_LIST, left > 0, 'pool', left > 0 ? `${left} pool type(s) left` : '');
}

/**
 * ttm_pool_mgr_init's part that runs again when a device is initialised after the world's last device
 * went (ttm_global_init with ttm_glob_use_count back at 1): the global types return to the shrinker list.
 */
export function ttmPoolMgrReinit(mgr: TtmPoolManager): void {
  for (const pt of globalTypes(mgr)) if (!mgr.shrinkerList.includes(pt)) mgr.shrinkerList.push(pt);
}
