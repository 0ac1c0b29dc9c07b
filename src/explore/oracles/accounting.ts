// Accounting invariants: a resource manager's usage (ttm_resource.c ttm_resource_init / _fini), the
// pool's allocated_pages and the clearing of pooled pages (ttm_pool.c ttm_pool_type_give), and the
// global page accounting of populated tts (ttm_tt.c ttm_tt_populate / ttm_tt_unpopulate:
// ttm_pages_allocated and ttm_dma32_pages_allocated).

import { PAGE_SIZE, TTM_TT_FLAG_EXTERNAL } from '../../kernel/constants.ts';
import type { TtmGlobal } from '../../kernel/device.ts';
import { fail, type Violation } from './types.ts';
import { allocatorOf, devicesOf, hex, listedResources, liveTts, poolTypeName, poolTypes } from './world.ts';

/**
 * accounting.manager: for every resource manager, `usage` equals the summed size of its live resources
 * (those on its LRUs or the device's unevictable list: ttm_resource_init lists every resource it
 * counts, ttm_resource_fini unlists it), and a manager with a range allocator holds exactly their pages.
 * Returns the first manager that disagrees, or null.
 */
export function checkManagerAccounting(g: TtmGlobal): Violation | null {
  const id = 'accounting.manager';
  for (const d of devicesOf(g)) {
    const listed = listedResources(d);
    for (const man of d.managers) {
      if (man === null) continue;
      let bytes = 0;
      let pages = 0;
      let n = 0;
      for (const l of listed) {
        if (l.res.memType !== man.memType) continue;
        bytes += l.res.size;
        pages += l.res.numPages;
        n += 1;
      }
      if (man.usage !== bytes) {
        return fail(id, man.id, `usage ${man.usage} B, but its ${n} live resources hold ${bytes} B`);
      }
      const mm = allocatorOf(man);
      if (mm !== null && mm.usedPages !== pages) {
        return fail(
          id,
          man.id,
          `the allocator holds ${mm.usedPages} pages (${mm.usedPages * PAGE_SIZE} B), but its ${n} live resources hold ${pages} pages`,
        );
      }
    }
  }
  return null;
}

/**
 * accounting.pool: `allocated_pages` equals the pages in the pool types' free lists; every pooled block
 * is an allocated RAM block of its type's order, and every pooled page reads 0 (ttm_pool_type_give
 * clears: no pooled page is reused without clearing). Returns the first breach, or null.
 */
export function checkPoolAccounting(g: TtmGlobal): Violation | null {
  const id = 'accounting.pool';
  const mgr = g.poolMgr;
  const ram = g.ram;
  const types = poolTypes(g);
  let pooled = 0;
  for (const pt of types) pooled += pt.pages.length << pt.order;
  if (pooled !== mgr.allocatedPages) {
    return fail(
      id,
      'pool',
      `allocated_pages is ${mgr.allocatedPages}, but the pool types hold ${pooled} pages`,
    );
  }
  for (const pt of types) {
    for (const p of pt.pages) {
      if (ram.blockOrder(p) !== pt.order) {
        return fail(
          id,
          'pool',
          `${poolTypeName(g, pt)} holds frame ${p}, which is not an allocated order-${pt.order} block`,
        );
      }
      for (let i = 0; i < 1 << pt.order; i += 1) {
        const v = ram.read(p + i);
        if (v !== 0) {
          return fail(
            id,
            'pool',
            `frame ${p + i} pooled in ${poolTypeName(g, pt)} holds ${hex(v)}: a pooled page would be reused without clearing`,
          );
        }
      }
    }
  }
  return null;
}

/**
 * accounting.tt-pages: ttm_pages_allocated counts the pages of every populated non-EXTERNAL tt, and
 * ttm_dma32_pages_allocated those of the tts of devices whose pool uses DMA32. ttm_tt_populate adds a
 * tt's pages before it allocates them (it may swap other BOs out and sleep in between, under the BO's
 * resv) and takes them back if it fails; ttm_tt_unpopulate subtracts them. So at a step boundary each
 * counter lies between the pages of the populated tts and that plus the pages of the unpopulated ones
 * whose BO's resv is held (a populate in progress). Returns the first counter out of its bounds, or null.
 */
export function checkTtPageAccounting(g: TtmGlobal): Violation | null {
  const id = 'accounting.tt-pages';
  let populated = 0;
  let inFlight = 0;
  let populated32 = 0;
  let inFlight32 = 0;
  for (const { tt, bo } of liveTts(g)) {
    if (tt.pageFlags & TTM_TT_FLAG_EXTERNAL) continue;
    const dma32 = bo.bdev.pool.useDma32;
    if (tt.isPopulated()) {
      populated += tt.numPages;
      if (dma32) populated32 += tt.numPages;
    } else if (bo.resv.isLocked()) {
      inFlight += tt.numPages;
      if (dma32) inFlight32 += tt.numPages;
    }
  }
  const all = g.ttmPagesAllocated;
  if (all < populated || all > populated + inFlight) {
    return fail(
      id,
      'ttm',
      `ttm_pages_allocated is ${all}, but populated non-EXTERNAL tts hold ${populated} pages${inFlight > 0 ? ` (and tts being populated under their resv ${inFlight} more)` : ''}`,
    );
  }
  const d32 = g.ttmDma32PagesAllocated;
  if (d32 < populated32 || d32 > populated32 + inFlight32) {
    return fail(
      id,
      'ttm',
      `ttm_dma32_pages_allocated is ${d32}, but populated non-EXTERNAL tts of DMA32 pools hold ${populated32} pages${inFlight32 > 0 ? ` (and tts being populated under their resv ${inFlight32} more)` : ''}`,
    );
  }
  return null;
}
