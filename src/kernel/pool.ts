// ttm_pool.c, allocating and freeing a tt's pages: ttm_pool_alloc, ttm_pool_restore_and_alloc (with
// struct ttm_pool_tt_restore, resumable) and ttm_pool_free. Pages come from the simulated RAM in naturally
// aligned 2^order blocks (order = min(MAX_PAGE_ORDER, fls(remaining)), lowered on failure), preferably
// from a pool type of the tt's caching and that order (pool_type.ts). WB→WC/UC transitions are staged
// behind a caching divide and applied in batches (set_pages_array_*, counted by the RAM). Pages are
// DMA-mapped per block (DMA-alloc pools: a fixed address from allocation; otherwise through the device's
// IOMMU, -EFAULT on failure, or the frame number when directly mapped).
// Simplified: x86 only, no gfp flags beyond ZERO_ALLOC and DMA32 pool selection. Of direct reclaim only
// the order-0 form is run (retried while it makes progress); a higher order's single __GFP_NORETRY
// attempt is not, so a pool's beneficial order (poolAllocReclaim) changes no allocation of the model.
// Freed entries of tt->pages and tt->dma_address are set to null (the kernel leaves stale pointers
// behind). Nothing here sleeps except the restore's cond_resched points and direct reclaim.
// Deviation(direct-reclaim-in-pool): the page allocator's direct reclaim is run by the pool around its
// page allocation (the world's directReclaim hook, order 0, a bounded number of rounds), not inside
// alloc_pages.
// Deviation(no-memcg): pool pages are charged to no memory cgroup.
// Deviation(freed-slots-null): freed entries of tt->pages and tt->dma_address become null.
// The backup of a tt and the drop of a backed-up one are in pool_backup.ts.

import { BackupHandle, ttmBackupCopyPage, ttmBackupDrop } from './backup.ts';
import { type Caching, MAX_PAGE_ORDER, TTM_TT_FLAG_ZERO_ALLOC } from './constants.ts';
import type { KGen } from './env.ts';
import { EFAULT, EINTR, EINVAL, ENOMEM } from './errno.ts';
import type { OperationCtx } from './placement.ts';
import {
  freePage,
  mgrOf,
  type Pool,
  type PoolDma,
  type PoolType,
  type TtmPoolManager,
  ttmPoolPageOrder,
  ttmPoolSelectType,
  ttmPoolShrink,
  typeGive,
  typeTake,
} from './pool_type.ts';
import type { PageCaching, Ram } from './ram.ts';
import { warnOn } from './rules/check.ts';
import { checkErrnoReturn, POOL_ALLOC_RETURNS } from './rules/errno_returns.ts';
import { notePoolFallback, postPoolFirst } from './rules/pool_types.ts';
import {
  POOL_ALLOC_DMA_DEV,
  POOL_ALLOC_NOT_BACKED_UP,
  POOL_ALLOC_UNPOPULATED,
  POOL_RESTORE_BACKED_UP,
} from './rules/ttm_pool.ts';
import { postPoolAlloc } from './rules_post.ts';
import type { Tt } from './tt.ts';

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
export function poolUnmap(pool: Pool, dmaAddr: number): void {
  if (pool.useDmaAlloc) return;
  pool.iommu?.unmap(dmaAddr);
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

export function pagesOf(tt: Tt): (number | BackupHandle | null)[] {
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
    // x86 returns here ("return set_pages_array_wc(alloc->caching_divide, num_pages);"): the caller
    // moves the divide only once it commits a page of consistent caching. When the DMA map of that page
    // fails in between, the staged pages are WC/UC below no divide, and the error path frees them as
    // cached: to the system without set_pages_wb (README "Write-combined pages freed as cached after a
    // failed DMA map"). The candidate fix moves the divide here, as the non-x86 path does.
    if (tt.global?.patches.has(PATCH_POOL_APPLY_CACHING_DIVIDE)) alloc.cachingDivide = alloc.pages;
    return 0;
  }
  alloc.cachingDivide = alloc.pages;
  return 0;
}

/**
 * A candidate fix of ttm_pool_apply_caching on x86: move caching_divide past the pages whose caching it
 * has just changed, so that an allocation failing before the next commit frees them with the tt's
 * caching (pooled, or set back to write-back) instead of as cached.
 */
export const PATCH_POOL_APPLY_CACHING_DIVIDE = 'pool-apply-caching-divide';

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
export function splitForSwap(pool: Pool | null, ram: Ram, p: number): void {
  const order = pool === null ? ram.getPrivate(p) : ttmPoolPageOrder(pool, p);
  if (order === 0) return;
  ram.splitBlock(p);
  for (let i = 0; i < 1 << order; i += 1) ram.setPrivate(p + i, 0);
}

/** ttm_pool_unmap_and_free: unmap and pool or free one block; returns its page count. */
export function unmapAndFree(
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
export function freeRange(
  pool: Pool | null,
  ram: Ram,
  tt: Tt,
  caching: Caching,
  start: number,
  end: number,
): void {
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
 * successful restore" (2026, drm-misc-next for 7.3; linux-7.2.y carries it as a46ab76b6cf5, its mainline
 * hash was not found), whose Fixes: tag names b63d715b8090 "drm/ttm/pool, drm/ttm/tt: Provide a helper to
 * shrink pages", the commit that brought the resumable restore in.
 */
export const MUTATION_RESTORE_STALE_STATE = 'pool-restore-stale-state';

/** How many times one order-0 allocation may go through direct reclaim before it fails. */
const DIRECT_RECLAIM_ROUNDS = 16;

/**
 * The direct reclaim ttm_pool_alloc_page's gfp flags allow an allocation of `order`: 'retry' for order 0
 * (GFP_USER: reclaim, and the page allocator retries while it makes progress), 'noretry' for a higher
 * order (__GFP_NORETRY: one reclaim attempt, not run by the model), 'none' above the pool's beneficial
 * order ("if (beneficial_order && order > beneficial_order)" clears __GFP_DIRECT_RECLAIM, 7e9c548d3709).
 */
export function poolAllocReclaim(pool: Pool, order: number): 'retry' | 'noretry' | 'none' {
  const beneficial = pool.beneficialOrder;
  if (beneficial !== 0 && order > beneficial) return 'none';
  return order === 0 ? 'retry' : 'noretry';
}

/** Direct reclaim of the world's page allocator (TtmGlobal.directReclaim): pages freed, 0 without one. */
function* directReclaim(pool: Pool, pages: number): KGen<number> {
  const hook = pool.global?.directReclaim ?? null;
  if (hook === null) return 0;
  return yield* hook(pages);
}

/** ttm_pool_restore_valid: is a restore ongoing for the block allocated last? */
export function restoreValid(restore: PoolTtRestore | null): restore is PoolTtRestore {
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
      notePoolFallback(tt, pt, allowPools, order);
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
        poolAllocReclaim(pool, order) === 'retry' &&
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
  const ret = postPoolAlloc(tt, yield* poolAllocInner(pool, tt, ctx, allocStateInit(tt), null));
  postPoolFirst(pool.global, tt, tt.id);
  return checkErrnoReturn(pool.global, POOL_ALLOC_RETURNS, tt.id, ret);
}

/**
 * ttm_pool_restore_and_alloc: fill a BACKED_UP tt with new pages, copying in the backed-up content
 * (dropping each handle once copied) and the content of pages that were never backed up. Resumable:
 * after an error the state stays in `tt.restore` and the next call continues exactly there. Returns 0,
 * -EINVAL when the tt is not backed up, -ENOMEM (restore state or pages), -EFAULT (DMA mapping), -EINTR
 * (signal while reading back, interruptible ctx) or a read error of the backup.
 * A resume that completes the last block applies the staged caching change of that tail, frees the
 * restore state (`tt.restore` = null) and returns 0, as "drm/ttm: Drop tt->restore after successful
 * restore" does (before it, `tt.restore` stayed set: the mutation above).
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
      // as "drm/ttm: Drop tt->restore after successful restore" does. Without it the state stays behind,
      // and the tt's next restore (after another backup) returns 0 at once with nothing read back.
      // Deviation(restore-drop-before-caching): the state is dropped before the caching is applied;
      // the upstream fix applies the caching first and keeps tt->restore when that fails.
      if (pool.global?.mutations.has(MUTATION_RESTORE_STALE_STATE)) return 0;
      tt.restore = null;
      return applyCaching(mgrOf(pool), tt, alloc);
    }
  }
  const ret = yield* poolAllocInner(pool, tt, ctx, alloc, restore);
  postPoolFirst(pool.global, tt, tt.id);
  return ret;
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
