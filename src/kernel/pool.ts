// ttm_pool.c: the page allocator behind ttm_tt. Pages come from the simulated RAM in naturally aligned
// 2^order blocks (order = min(MAX_PAGE_ORDER, fls(remaining)), lowered on failure), preferably from a
// pool type of the tt's caching and that order. Freed pages are cleared and pooled (per device for
// DMA-alloc pools, all three cachings; otherwise WC/UC only, in the global types of the world's
// TtmPoolManager; cached pages are never pooled) and the pool shrinker frees pooled blocks round-robin.
// WB→WC/UC transitions are staged behind a caching divide and applied in batches (set_pages_array_*,
// counted by the RAM). Pages are DMA-mapped per block (DMA-alloc pools: a fixed address from allocation;
// otherwise through the device's IOMMU, -EFAULT on failure, or the frame number when directly mapped).
// Also the per-page backup of a tt (ttm_pool_backup: purge or back up, partial allowed), the resumable
// restore (ttm_pool_restore_and_alloc with struct ttm_pool_tt_restore) and ttm_pool_drop_backed_up.
// Simplified: x86 only (no highmem, no NUMA: list_lru is one list per type, FIFO), no gfp flags beyond
// ZERO_ALLOC and DMA32 pool selection, no beneficial order. ttm_pool_shrink frees one block per call
// (the 2025 list_lru version frees up to nr_to_free blocks of one type). Freed entries of tt->pages and
// tt->dma_address are set to null (the kernel leaves stale pointers behind). The pool shrinker rwsem is
// implicit: nothing here sleeps except the restore's cond_resched points.

import {
  BackupHandle,
  ttmBackupBackupPage,
  ttmBackupBytesAvail,
  ttmBackupCopyPage,
  ttmBackupDrop,
} from './backup.ts';
import { type Caching, MAX_PAGE_ORDER, NR_PAGE_ORDERS, TTM_TT_FLAG_ZERO_ALLOC } from './constants.ts';
import type { Device, TtmGlobal } from './device.ts';
import type { KGen } from './env.ts';
import { EBUSY, EFAULT, EINTR, EINVAL, ENOMEM } from './errno.ts';
import type { Iommu } from './iommu.ts';
import type { OperationCtx } from './placement.ts';
import type { PageCaching, Ram } from './ram.ts';
import { warnOn } from './rules/check.ts';
import {
  POOL_ALLOC_DMA_DEV,
  POOL_ALLOC_NOT_BACKED_UP,
  POOL_ALLOC_UNPOPULATED,
  POOL_BACKUP_NOT_BACKED_UP,
  POOL_DROP_BACKED_UP,
  POOL_DROP_CACHING_DIVIDE,
  POOL_INIT_DMA_ALLOC_DEV,
  POOL_MGR_FINI_SHRINKER_LIST,
  POOL_RESTORE_BACKED_UP,
} from './rules/ttm_pool.ts';
import { postPoolAlloc } from './rules_post.ts';
import type { Tt } from './tt.ts';

export const TTM_ALLOCATION_POOL_USE_DMA_ALLOC = 1 << 0;
export const TTM_ALLOCATION_POOL_USE_DMA32 = 1 << 1;
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
interface PoolDma {
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
    if (!this.useDmaAlloc) return;
    for (const [i, caching] of CACHINGS.entries()) {
      for (let order = 0; order < NR_PAGE_ORDERS; order += 1) {
        this.caching[i]!.orders[order] =
          global === null
            ? new PoolType(this, caching, order)
            : global.poolMgr.typeInit(this, caching, order);
      }
    }
  }

  get useDmaAlloc(): boolean {
    return (this.allocFlags & TTM_ALLOCATION_POOL_USE_DMA_ALLOC) !== 0;
  }

  get useDma32(): boolean {
    return (this.allocFlags & TTM_ALLOCATION_POOL_USE_DMA32) !== 0;
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

function mgrOf(pool: Pool): TtmPoolManager {
  const g = pool.global;
  if (g === null) throw new Error('ttm_pool: pool has no world (ttm_pool_init without a TtmGlobal)');
  return g.poolMgr;
}

function pageCachingOf(caching: Caching): PageCaching {
  return caching === 'cached' ? 'wb' : caching === 'write_combined' ? 'wc' : 'uc';
}

function blockPfns(first: number, order: number): number[] {
  return Array.from({ length: 1 << order }, (_, i) => first + i);
}

/** __fls: index of the most significant set bit. */
function fls(n: number): number {
  return 31 - Math.clz32(n);
}

// ---------------------------------------------------------------------------------------------------
// Pages, pool types, DMA mapping

/**
 * ttm_pool_alloc_page: a block from RAM (DMA pools: coherent, mapped for its lifetime), or null. `where`
 * names the tt for the 'iommu.map' fault site of a coherent allocation through an IOMMU.
 */
function allocPage(pool: Pool, order: number, zero: boolean, where: string): number | null {
  const mgr = mgrOf(pool);
  const ram = mgr.ram;
  const p = ram.allocPages(order, pool.useDma32);
  if (p < 0) return null;
  const nr = 1 << order;
  for (let i = 0; i < nr; i += 1) ram.setPrivate(p + i, 0);
  if (!pool.useDmaAlloc) {
    if (zero) for (let i = 0; i < nr; i += 1) ram.clear(p + i);
    ram.setPrivate(p, order);
    return p;
  }
  // dma_alloc_attrs: zeroed memory with a DMA address fixed until it is freed.
  const iommu = pool.iommu;
  let addr = p;
  if (iommu !== null) {
    const injected = pool.global?.injectFault('iommu.map', where) ?? false;
    addr = iommu.map(pool.bdev?.id ?? 'pool', blockPfns(p, order), injected);
    if (addr < 0) {
      ram.freeBlock(p);
      return null;
    }
  }
  for (let i = 0; i < nr; i += 1) ram.clear(p + i);
  const dma: PoolDma = { id: mgr.dmaId(), addr, order, iommu };
  pool.dma.set(p, dma);
  ram.setPrivate(p, dma.id);
  return p;
}

/** ttm_pool_free_page: back to write-back caching, then to the system (DMA pools: unmap and free). */
function freePage(pool: Pool | null, ram: Ram, caching: Caching, order: number, p: number): void {
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

/**
 * ttm_pool_map: the block's DMA address (DMA pools: the fixed one), or -EFAULT (dma_mapping_error). A
 * map through an IOMMU is an evaluation of the 'iommu.map' fault site (`where` names the tt).
 */
function poolMap(pool: Pool, order: number, p: number, where: string): number {
  if (pool.useDmaAlloc) return pool.dma.get(p)!.addr;
  const iommu = pool.iommu;
  if (iommu === null) return p;
  const injected = pool.global?.injectFault('iommu.map', where) ?? false;
  const iova = iommu.map(pool.bdev?.id ?? 'pool', blockPfns(p, order), injected);
  return iova < 0 ? -EFAULT : iova;
}

/** ttm_pool_unmap: DMA pools unmap when the page is freed. */
function poolUnmap(pool: Pool, dmaAddr: number): void {
  if (pool.useDmaAlloc) return;
  pool.iommu?.unmap(dmaAddr);
}

/** ttm_pool_type_give: clear the pages and pool the block. */
function typeGive(pt: PoolType, mgr: TtmPoolManager, p: number): void {
  const nr = 1 << pt.order;
  for (let i = 0; i < nr; i += 1) mgr.ram.clear(p + i);
  pt.pages.push(p);
  mgr.allocatedPages += nr;
  mgr.observer?.('give', mgr.allocatedPages);
}

/** ttm_pool_type_take: the oldest pooled block, or null. */
function typeTake(pt: PoolType, mgr: TtmPoolManager): number | null {
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

// ---------------------------------------------------------------------------------------------------
// Allocation

/** struct ttm_pool_alloc_state, with indices into tt->pages / tt->dma_address instead of pointers. */
export interface PoolAllocState {
  /** Next tt page slot to fill. */
  pages: number;
  /** First slot whose page has a staged, not yet applied, WB → tt caching transition. */
  cachingDivide: number;
  /** The tt has a dma_address array to fill. */
  readonly dmaAddr: boolean;
  remainingPages: number;
  readonly ttCaching: Caching;
}

/** struct ttm_pool_tt_restore: the state that lets an interrupted restore resume where it stopped. */
export interface PoolTtRestore {
  pool: Pool;
  snapshotAlloc: PoolAllocState;
  /** The block most recently allocated, not yet committed into tt->pages. */
  allocedPage: number;
  firstDma: number;
  /** Pages committed into tt->pages by this restore. */
  allocedPages: number;
  /** Sub-pages of `allocedPage` restored so far. */
  restoredPages: number;
  pageCaching: Caching;
  order: number;
}

/** ttm_pool_alloc_state_init. */
function allocStateInit(tt: Tt): PoolAllocState {
  return {
    pages: 0,
    cachingDivide: 0,
    dmaAddr: tt.dmaAddress !== null,
    remainingPages: tt.numPages,
    ttCaching: tt.caching,
  };
}

function pagesOf(tt: Tt): (number | BackupHandle | null)[] {
  if (tt.pages === null) throw new Error(`ttm_pool: ${tt.id} has no page array`);
  return tt.pages;
}

/**
 * ttm_pool_apply_caching: set_pages_array_wc/uc on the staged slots [caching_divide, pages). The change
 * splits large pages of the linear map, which allocates page-table pages: an evaluation of the
 * 'page.alloc' fault site, failing with -ENOMEM as split_large_page does when alloc_pages returns NULL.
 */
function applyCaching(mgr: TtmPoolManager, tt: Tt, alloc: PoolAllocState): number {
  const num = alloc.pages - alloc.cachingDivide;
  if (num === 0) return 0;
  if (alloc.ttCaching !== 'cached') {
    if (mgr.failNextSetCaching > 0) {
      mgr.failNextSetCaching -= 1;
      return -ENOMEM;
    }
    if (tt.global?.injectFault('page.alloc', tt.id)) return -ENOMEM;
    const pages = pagesOf(tt).slice(alloc.cachingDivide, alloc.pages) as number[];
    mgr.ram.setCachingPages(pages, pageCachingOf(alloc.ttCaching));
    // x86 returns here: the caller moves the divide once it commits a page of consistent caching.
    return 0;
  }
  alloc.cachingDivide = alloc.pages;
  return 0;
}

/** ttm_pool_allocated_page_commit: fill tt->pages (and dma_address) from a block. */
function allocatedPageCommit(tt: Tt, p: number, firstDma: number, alloc: PoolAllocState, nr: number): void {
  const pages = pagesOf(tt);
  for (let i = 0; i < nr; i += 1) {
    pages[alloc.pages] = p + i;
    if (alloc.dmaAddr) tt.dmaAddress![alloc.pages] = firstDma + i;
    alloc.pages += 1;
  }
  alloc.remainingPages -= nr;
}

/** ttm_pool_page_allocated: map, then commit (or, when restoring, record for the restore commit). */
function pageAllocated(
  pool: Pool,
  tt: Tt,
  order: number,
  p: number,
  pageCaching: Caching,
  alloc: PoolAllocState,
  restore: PoolTtRestore | null,
): number {
  const consistent = pageCaching === alloc.ttCaching;
  if (consistent) {
    const r = applyCaching(mgrOf(pool), tt, alloc);
    if (r !== 0) return r;
  }
  let firstDma = 0;
  if (alloc.dmaAddr) {
    const addr = poolMap(pool, order, p, tt.id);
    if (addr < 0) return addr;
    firstDma = addr;
  }
  if (restore !== null) {
    restore.pool = pool;
    restore.order = order;
    restore.restoredPages = 0;
    restore.pageCaching = pageCaching;
    restore.firstDma = firstDma;
    restore.allocedPage = p;
    restore.snapshotAlloc = { ...alloc };
  } else {
    allocatedPageCommit(tt, p, firstDma, alloc, 1 << order);
    if (consistent) alloc.cachingDivide = alloc.pages;
  }
  return 0;
}

/** ttm_pool_split_for_swap: split a multi-order block so each page can be freed on its own. */
function splitForSwap(pool: Pool | null, ram: Ram, p: number): void {
  const order = pool === null ? ram.getPrivate(p) : ttmPoolPageOrder(pool, p);
  if (order === 0) return;
  ram.splitBlock(p);
  for (let i = 0; i < 1 << order; i += 1) ram.setPrivate(p + i, 0);
}

/** ttm_pool_unmap_and_free: unmap and pool or free one block; returns its page count. */
function unmapAndFree(
  pool: Pool | null,
  ram: Ram,
  page: number,
  dmaAddr: number | null,
  caching: Caching,
): number {
  let pt: PoolType | null = null;
  let order: number;
  if (pool !== null) {
    order = ttmPoolPageOrder(pool, page);
    if (dmaAddr !== null) poolUnmap(pool, dmaAddr);
    pt = ttmPoolSelectType(pool, caching, order);
  } else {
    order = ram.getPrivate(page);
  }
  if (pt !== null) typeGive(pt, mgrOf(pool!), page);
  else freePage(pool, ram, caching, order, page);
  return 1 << order;
}

/**
 * ttm_pool_free_range: free slots [start, end) of `tt` (pages of `caching`): handles are dropped from
 * the tt's backup, blocks unmapped and pooled or freed. `pool` null: shrunken pages, cached and unmapped.
 */
function freeRange(pool: Pool | null, ram: Ram, tt: Tt, caching: Caching, start: number, end: number): void {
  const pages = pagesOf(tt);
  let nr = 1;
  for (let i = start; i < end; i += nr) {
    const p = pages[i] ?? null;
    nr = 1;
    if (p instanceof BackupHandle) {
      if (p.handle !== 0) {
        if (tt.backup === null) throw new Error(`ttm_pool_free_range: ${tt.id} holds a handle but no backup`);
        ttmBackupDrop(tt.backup, p.handle);
      }
      pages[i] = null;
    } else if (p !== null) {
      nr = unmapAndFree(pool, ram, p, tt.dmaAddress?.[i] ?? null, caching);
      for (let j = i; j < i + nr; j += 1) {
        pages[j] = null;
        if (tt.dmaAddress !== null) tt.dmaAddress[j] = null;
      }
    }
  }
}

/**
 * ttm_pool_restore_commit: copy the backed-up (or still resident) content of the slots the restore's
 * block covers into it, dropping each handle once copied; then commit the block. On error (e.g. -EINTR)
 * the state is kept for a resume; a block none of whose pages was restored yet is freed.
 */
function* restoreCommit(
  restore: PoolTtRestore,
  tt: Tt,
  ctx: OperationCtx,
  alloc: PoolAllocState,
): KGen<number> {
  const mgr = mgrOf(restore.pool);
  const ram = mgr.ram;
  const pages = pagesOf(tt);
  const nr = 1 << restore.order;
  const first = alloc.pages;
  let ret = 0;
  for (let i = restore.restoredPages; i < nr; i += 1) {
    const p = pages[first + i] ?? null;
    if (p instanceof BackupHandle) {
      if (ctx.interruptible && mgr.backupFaultInject > 0) {
        mgr.backupFaultInject -= 1;
        ret = -EINTR;
        break;
      }
      // A signal pending as an interruptible read of a backed-up page starts (ttm_backup_copy_page):
      // an evaluation of the 'restore.interrupt' fault site; the restore stops here, resumable.
      if (
        p.handle !== 0 &&
        ctx.interruptible &&
        restore.pool.global?.injectFault('restore.interrupt', tt.id)
      ) {
        ret = -EINTR;
        break;
      }
      if (p.handle === 0) {
        restore.restoredPages += 1;
        continue;
      }
      if (tt.backup === null)
        throw new Error(`ttm_pool_restore_commit: ${tt.id} holds a handle but no backup`);
      // shmem_read_folio_gfp of the backed-up page: the 'backup.read' fault site.
      ret = restore.pool.global?.injectFault('backup.read', tt.id)
        ? -ENOMEM
        : ttmBackupCopyPage(tt.backup, ram, restore.allocedPage + i, p.handle, ctx.interruptible);
      if (ret !== 0) break;
      ttmBackupDrop(tt.backup, p.handle);
      if (restore.pool.global !== null) restore.pool.global.counters.pagesRestored += 1;
    } else if (p !== null) {
      // The old retained page is write-back cached (ttm_pool_backup made it so).
      splitForSwap(restore.pool, ram, p);
      ram.copy(restore.allocedPage + i, p);
      ram.freeBlock(p);
    }
    restore.restoredPages += 1;
    pages[first + i] = new BackupHandle(0);
    yield { kind: 'yield', label: 'pool.restore' };
  }
  if (ret !== 0) {
    if (restore.restoredPages === 0) {
      unmapAndFree(
        restore.pool,
        ram,
        restore.allocedPage,
        alloc.dmaAddr ? restore.firstDma : null,
        restore.pageCaching,
      );
      restore.restoredPages = nr;
    }
    return ret;
  }
  allocatedPageCommit(tt, restore.allocedPage, restore.firstDma, alloc, nr);
  if (restore.pageCaching === alloc.ttCaching) alloc.cachingDivide = alloc.pages;
  restore.snapshotAlloc = { ...alloc };
  restore.allocedPages += nr;
  return 0;
}

/**
 * Mutation: a restore that finishes inside its last block after being interrupted leaves tt->restore
 * (and the block's caching) behind — ttm_pool_restore_and_alloc before "drm/ttm: Drop tt->restore after
 * successful restore" (2026, Fixes b63d715b8090).
 */
export const MUTATION_RESTORE_STALE_STATE = 'pool-restore-stale-state';

/** How many times one order-0 allocation may go through direct reclaim before it fails. */
const DIRECT_RECLAIM_ROUNDS = 16;

/** Direct reclaim of the world's page allocator (TtmGlobal.directReclaim): pages freed, 0 without one. */
function* directReclaim(pool: Pool, pages: number): KGen<number> {
  const hook = pool.global?.directReclaim ?? null;
  if (hook === null) return 0;
  return yield* hook(pages);
}

/** ttm_pool_restore_valid: is a restore ongoing for the block allocated last? */
function restoreValid(restore: PoolTtRestore | null): restore is PoolTtRestore {
  return restore !== null && restore.restoredPages < 1 << restore.order;
}

/** __ttm_pool_alloc. */
function* poolAllocInner(
  pool: Pool,
  tt: Tt,
  ctx: OperationCtx,
  alloc: PoolAllocState,
  restore: PoolTtRestore | null,
): KGen<number> {
  warnOn(pool.global, POOL_ALLOC_UNPOPULATED, alloc.remainingPages === 0 || tt.isPopulated(), tt.id, '');
  warnOn(pool.global, POOL_ALLOC_DMA_DEV, alloc.dmaAddr && pool.dev === null, tt.id, '');
  const mgr = mgrOf(pool);
  const ram = mgr.ram;
  const zero = (tt.pageFlags & TTM_TT_FLAG_ZERO_ALLOC) !== 0;
  let pageCaching: Caching = tt.caching;
  let allowPools = true;
  let r = 0;
  let failed: { page: number; order: number } | null = null;
  let order = Math.min(MAX_PAGE_ORDER, fls(alloc.remainingPages));
  let reclaimRounds = 0;
  for (; alloc.remainingPages > 0; order = Math.min(order, fls(alloc.remainingPages))) {
    let p: number | null = null;
    let injected = false;
    const pt = ttmPoolSelectType(pool, pageCaching, order);
    if (pt !== null && allowPools) p = typeTake(pt, mgr);
    if (p === null) {
      // From the system; this also stops taking from pools until the order drops. Each system
      // allocation is an evaluation of the 'page.alloc' fault site: a fired fault is alloc_pages
      // (or dma_alloc_attrs) returning NULL.
      pageCaching = 'cached';
      allowPools = false;
      injected = pool.global?.injectFault('page.alloc', tt.id) ?? false;
      p = injected ? null : allocPage(pool, order, zero, tt.id);
    }
    if (p === null) {
      if (order > 0) {
        order -= 1;
        pageCaching = tt.caching;
        allowPools = true;
        continue;
      }
      // An order-0 GFP_USER allocation enters direct reclaim before it fails (the higher orders use
      // __GFP_NORETRY and do not): the page allocator runs the shrinkers and tries again while they
      // make progress. An injected NULL is alloc_pages' final answer, reclaim included.
      if (
        !injected &&
        reclaimRounds < DIRECT_RECLAIM_ROUNDS &&
        (yield* directReclaim(pool, alloc.remainingPages)) > 0
      ) {
        reclaimRounds += 1;
        continue;
      }
      r = -ENOMEM;
      break;
    }
    r = pageAllocated(pool, tt, order, p, pageCaching, alloc, restore);
    if (r !== 0) {
      failed = { page: p, order };
      break;
    }
    if (restoreValid(restore)) {
      r = yield* restoreCommit(restore, tt, ctx, alloc);
      if (r !== 0) break;
    }
  }
  if (r === 0) {
    r = applyCaching(mgr, tt, alloc);
    if (r === 0) {
      tt.restore = null;
      return 0;
    }
  }
  // error_free_page, error_free_all
  if (failed !== null) freePage(pool, ram, pageCaching, failed.order, failed.page);
  if (tt.restore !== null) return r;
  const cachingDivide = alloc.cachingDivide;
  const allocated = tt.numPages - alloc.remainingPages;
  const mutations = pool.global?.mutations;
  if (mutations?.has(MUTATION_POOL_ALLOC_ERROR_NO_UNMAP)) {
    freeAllocatedUnmapped(pool, ram, tt, allocated);
    return r;
  }
  if (mutations?.has(MUTATION_POOL_ALLOC_ERROR_DOUBLE_FREE) && cachingDivide > 0) {
    // ttm_pool_free_range walked tt->pages from slot 0 whatever its start page: the first call leaves
    // stale pointers (and DMA addresses) behind, and the second frees slots [0, allocated - divide)
    // again instead of [divide, allocated).
    const pages = pagesOf(tt);
    const stale = pages.slice(0, cachingDivide);
    const staleDma = tt.dmaAddress?.slice(0, cachingDivide) ?? null;
    freeRange(pool, ram, tt, tt.caching, 0, cachingDivide);
    for (let i = 0; i < cachingDivide; i += 1) {
      pages[i] = stale[i] ?? null;
      if (staleDma !== null) tt.dmaAddress![i] = staleDma[i] ?? null;
    }
    freeRange(pool, ram, tt, 'cached', 0, allocated - cachingDivide);
    return r;
  }
  freeRange(pool, ram, tt, tt.caching, 0, cachingDivide);
  freeRange(pool, ram, tt, 'cached', cachingDivide, allocated);
  return r;
}

/**
 * Mutation: the error path of ttm_pool_alloc frees the pages it allocated without DMA-unmapping them
 * (and with the tt's caching, whether or not it was applied): d099fc8f540a's error path, fixed by
 * "drm/ttm/pool: Fix ttm_pool_alloc error path" (379989e7cbdc, 2023). The IOVA ranges stay mapped to
 * frames that went back to the system.
 */
export const MUTATION_POOL_ALLOC_ERROR_NO_UNMAP = 'pool-alloc-error-no-unmap';

/**
 * Mutation: when ttm_pool_alloc fails after a caching divide (e.g. a caching change or a page allocation
 * failing under OOM), the second half of the two-step free starts at slot 0: the pages of the first
 * range are freed (and unmapped) twice. Fixed by "drm/ttm: Fix an invalid freeing on already freed page
 * in error path" (40510a941d27, 2024; Fixes 379989e7cbdc).
 */
export const MUTATION_POOL_ALLOC_ERROR_DOUBLE_FREE = 'pool-alloc-error-double-free';

/** The pre-379989e7cbdc error path: free every allocated block to the system, no DMA unmap, no pooling. */
function freeAllocatedUnmapped(pool: Pool, ram: Ram, tt: Tt, allocated: number): void {
  const pages = pagesOf(tt);
  let nr = 1;
  for (let i = 0; i < allocated; i += nr) {
    const p = pages[i];
    if (typeof p !== 'number') throw new Error(`ttm_pool_alloc error path: ${tt.id} slot ${i} holds no page`);
    const order = ttmPoolPageOrder(pool, p);
    nr = 1 << order;
    freePage(pool, ram, tt.caching, order, p);
    for (let j = i; j < i + nr; j += 1) {
      pages[j] = null;
      if (tt.dmaAddress !== null) tt.dmaAddress[j] = null;
    }
  }
}

/**
 * ttm_pool_alloc: fill `tt` with pages (and DMA addresses when it has a dma_address array). Returns 0,
 * -EINVAL for a BACKED_UP tt (use ttmPoolRestoreAndAlloc), -ENOMEM when even an order-0 page cannot be
 * had or a caching change fails, -EFAULT when DMA mapping fails. On error every page allocated so far is
 * given back, with the caching it has.
 */
export function* ttmPoolAlloc(pool: Pool, tt: Tt, ctx: OperationCtx): KGen<number> {
  if (warnOn(pool.global, POOL_ALLOC_NOT_BACKED_UP, tt.isBackedUp(), tt.id, '')) return -EINVAL;
  return postPoolAlloc(tt, yield* poolAllocInner(pool, tt, ctx, allocStateInit(tt), null));
}

/**
 * ttm_pool_restore_and_alloc: fill a BACKED_UP tt with new pages, copying in the backed-up content
 * (dropping each handle once copied) and the content of pages that were never backed up. Resumable:
 * after an error the state stays in `tt.restore` and the next call continues exactly there. Returns 0,
 * -EINVAL when the tt is not backed up, -ENOMEM (restore state or pages), -EFAULT (DMA mapping), -EINTR
 * (signal while reading back, interruptible ctx) or a read error of the backup.
 * Like the kernel, a resume that completes the last block returns 0 at once: `tt.restore` stays set and
 * the staged caching change of that tail is not applied.
 */
export function* ttmPoolRestoreAndAlloc(pool: Pool, tt: Tt, ctx: OperationCtx): KGen<number> {
  if (warnOn(pool.global, POOL_RESTORE_BACKED_UP, !tt.isBackedUp(), tt.id, '')) return -EINVAL;
  let restore = tt.restore;
  let alloc: PoolAllocState;
  if (restore === null) {
    alloc = allocStateInit(tt);
    const mgr = mgrOf(pool);
    if (mgr.failNextRestoreAllocs > 0) {
      mgr.failNextRestoreAllocs -= 1;
      return -ENOMEM;
    }
    // kzalloc of struct ttm_pool_tt_restore: the 'restore.alloc' fault site.
    if (pool.global?.injectFault('restore.alloc', tt.id)) return -ENOMEM;
    restore = {
      pool,
      snapshotAlloc: { ...alloc },
      allocedPage: 0,
      firstDma: 0,
      allocedPages: 0,
      restoredPages: 1,
      pageCaching: tt.caching,
      order: 0,
    };
    tt.restore = restore;
  } else {
    alloc = { ...restore.snapshotAlloc };
    if (restoreValid(restore)) {
      const ret = yield* restoreCommit(restore, tt, ctx, alloc);
      if (ret !== 0) {
        restore.snapshotAlloc = { ...alloc };
        return ret;
      }
    }
    if (alloc.remainingPages === 0) {
      // The resumed restore finished in its last block: drop the restore state and apply the caching,
      // as the upstream fix of b63d715b8090 does. Without it the state stays behind, and the tt's next
      // restore (after another backup) returns 0 at once with nothing read back.
      if (pool.global?.mutations.has(MUTATION_RESTORE_STALE_STATE)) return 0;
      tt.restore = null;
      return applyCaching(mgrOf(pool), tt, alloc);
    }
  }
  return yield* poolAllocInner(pool, tt, ctx, alloc, restore);
}

/**
 * ttm_pool_free: give the tt's pages back (pooled after clearing, or freed), dropping any handles; then
 * shrink the pools while they hold more than page_pool_size pages.
 */
export function ttmPoolFree(pool: Pool, tt: Tt): void {
  const mgr = mgrOf(pool);
  freeRange(pool, mgr.ram, tt, tt.caching, 0, tt.numPages);
  let idle = 0;
  while (mgr.allocatedPages > mgr.pagePoolSize) {
    idle = ttmPoolShrink(mgr) === 0 ? idle + 1 : 0;
    if (idle > mgr.shrinkerList.length) throw new Error('ttm_pool_free: pooled pages on no shrinker list');
  }
}

/**
 * ttm_pool_drop_backed_up: release everything a backed-up tt holds, in whatever state a restore left
 * it: the uncommitted restore block, the restored prefix (tt caching up to the divide, cached after),
 * then the remaining handles (dropped) and resident pages (freed). Every frame and handle goes once.
 */
export function ttmPoolDropBackedUp(tt: Tt): void {
  const global = tt.global;
  if (global === null) throw new Error(`ttm_pool_drop_backed_up: ${tt.id} has no world`);
  const ram = global.ram;
  warnOn(global, POOL_DROP_BACKED_UP, !tt.isBackedUp(), tt.id, '');
  const restore = tt.restore;
  let startPage = 0;
  if (restoreValid(restore)) {
    unmapAndFree(
      restore.pool,
      ram,
      restore.allocedPage,
      tt.dmaAddress !== null ? restore.firstDma : null,
      restore.pageCaching,
    );
    restore.restoredPages = 1 << restore.order;
  }
  if (restore !== null) {
    const mid = restore.snapshotAlloc.cachingDivide;
    startPage = restore.allocedPages;
    warnOn(
      global,
      POOL_DROP_CACHING_DIVIDE,
      mid > startPage,
      tt.id,
      mid > startPage ? `divide ${mid}, ${startPage} pages committed` : '',
    );
    freeRange(restore.pool, ram, tt, tt.caching, 0, mid);
    freeRange(restore.pool, ram, tt, 'cached', mid, restore.allocedPages);
    tt.restore = null;
  }
  freeRange(null, ram, tt, 'cached', startPage, tt.numPages);
}

export interface BackupFlags {
  /** Free the pages without backing them up (content lost). */
  readonly purge: boolean;
  /** Ask for immediate writeout to swap. */
  readonly writeback: boolean;
}

/**
 * ttm_pool_backup: back up or purge a populated tt page by page. Returns the pages backed up or freed,
 * -EINVAL for a tt already BACKED_UP, -EBUSY without swap space (unless purging) or for a DMA-alloc
 * pool. Pages go back to write-back caching and are unmapped first. A backup error after some pages
 * (swap full: -ENOSPC; injected -ENOMEM) stops there and still returns the positive count: the tt then
 * holds handles up to that page and resident pages after it. An error on the first page is returned.
 */
export function ttmPoolBackup(pool: Pool, tt: Tt, flags: BackupFlags): number {
  if (warnOn(pool.global, POOL_BACKUP_NOT_BACKED_UP, tt.isBackedUp(), tt.id, '')) return -EINVAL;
  const global = pool.global;
  if (global === null) throw new Error('ttm_pool_backup: pool has no world');
  const ram = global.ram;
  const mgr = global.poolMgr;
  if ((ttmBackupBytesAvail(global.swap) === 0 && !flags.purge) || pool.useDmaAlloc) return -EBUSY;
  const pages = pagesOf(tt);
  if (tt.caching !== 'cached') {
    // Anything returned to the system needs to be cached.
    ram.setCachingPages(
      pages.filter((p): p is number => typeof p === 'number'),
      'wb',
    );
  }
  let shrunken = 0;
  if (tt.dmaAddress !== null || flags.purge) {
    let nr = 1;
    for (let i = 0; i < tt.numPages; i += nr) {
      const page = pages[i] ?? null;
      if (typeof page !== 'number') {
        nr = 1;
        continue;
      }
      const order = ttmPoolPageOrder(pool, page);
      nr = 1 << order;
      if (tt.dmaAddress !== null) {
        const addr = tt.dmaAddress[i] ?? null;
        if (addr !== null) poolUnmap(pool, addr);
        for (let j = i; j < i + nr; j += 1) tt.dmaAddress[j] = null;
      }
      if (flags.purge) {
        shrunken += nr;
        ram.setPrivate(page, 0);
        ram.freeBlock(page);
        for (let j = i; j < i + nr; j += 1) pages[j] = null;
      }
    }
  }
  if (flags.purge) return shrunken;
  const backup = tt.backup;
  if (backup === null) throw new Error(`ttm_pool_backup: ${tt.id} has no backup file`);
  let numPages = tt.numPages;
  // Fault injection: pretend backing up only half of the pages.
  if (mgr.backupFaultInject > 0) {
    mgr.backupFaultInject -= 1;
    numPages = Math.ceil(numPages / 2);
  }
  let ret = 0;
  for (let i = 0; i < numPages; i += 1) {
    const page = pages[i] ?? null;
    if (typeof page !== 'number') continue;
    splitForSwap(pool, ram, page);
    // ttm_backup_backup_page failing (shmem -ENOMEM): an evaluation of the 'backup.write' fault site.
    const handle = global.injectFault('backup.write', tt.id)
      ? -ENOMEM
      : ttmBackupBackupPage(backup, ram, page, flags.writeback, i);
    if (handle < 0) {
      // Partially shrunken tts are allowed.
      ret = handle;
      break;
    }
    pages[i] = new BackupHandle(handle);
    ram.freeBlock(page);
    shrunken += 1;
    global.counters.pagesBackedUp += 1;
  }
  return shrunken > 0 ? shrunken : ret;
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
