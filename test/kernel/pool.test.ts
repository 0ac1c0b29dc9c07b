// ttm_pool.c (src/kernel/pool.ts): allocation orders and fallback, pool reuse, caching batches, DMA
// addresses (direct, IOMMU, coherent), every error path of ttm_pool_alloc giving back exactly what it
// took, ttm_pool_free's clearing and page_pool_size, the round-robin pool shrinker and ttm_pool_fini.

import { describe, expect, test } from 'vitest';
import { TTM_TT_FLAG_BACKED_UP, TTM_TT_FLAG_ZERO_ALLOC } from '../../src/kernel/constants.ts';
import { EFAULT, EINVAL, ENOMEM } from '../../src/kernel/errno.ts';
import { Iommu } from '../../src/kernel/iommu.ts';
import { ttmPoolAlloc, ttmPoolFree } from '../../src/kernel/pool.ts';
import {
  NUMA_NO_NODE,
  Pool,
  SHRINK_EMPTY,
  SHRINK_STOP,
  TTM_ALLOCATION_POOL_USE_DMA_ALLOC,
  ttmPoolFini,
  ttmPoolShrink,
  ttmPoolShrinkerCount,
  ttmPoolShrinkerScan,
} from '../../src/kernel/pool_type.ts';
import { runSync } from '../../src/kernel/sync.ts';
import type { Tt } from '../../src/kernel/tt.ts';
import type { TestDevice } from '../kunit/fixtures.ts';
import { frames, intrCtx, newTt, poolAlloc, world } from './page_fixtures.ts';

function runAlloc(t: TestDevice, pool: Pool, tt: Tt): number {
  return runSync(t.env, ttmPoolAlloc(pool, tt, intrCtx()));
}

describe('ttm_pool alloc', () => {
  test('ttm_pool_alloc: 7-page tt → blocks of order 2, 1, 0; head private = order, tails 0', () => {
    const t = world();
    const { tt } = newTt(t, 7, 'uncached');
    expect(poolAlloc(t, tt)).toBe(0);
    const ram = t.global.ram;
    expect(frames(tt).map((p) => ram.getPrivate(p))).toEqual([2, 0, 0, 0, 1, 0, 0]);
    expect(ram.blockOrder(tt.pages![0] as number)).toBe(2);
    expect(ram.blockOrder(tt.pages![4] as number)).toBe(1);
    expect(ram.blockOrder(tt.pages![6] as number)).toBe(0);
    expect(ram.usedPages).toBe(7);
  });

  test('ttm_pool_alloc: order-2 block unavailable once → falls back to order 1 for the whole tt', () => {
    const t = world();
    const { tt } = newTt(t, 4, 'cached');
    t.global.ram.failNextAllocs = 1;
    expect(poolAlloc(t, tt)).toBe(0);
    const ram = t.global.ram;
    expect(frames(tt).map((p) => ram.getPrivate(p))).toEqual([1, 0, 1, 0]);
    expect(ram.usedPages).toBe(4);
  });

  test('ttm_pool_alloc: BACKED_UP tt → -EINVAL, nothing allocated', () => {
    const t = world();
    const { tt } = newTt(t, 2, 'cached', TTM_TT_FLAG_BACKED_UP);
    expect(poolAlloc(t, tt)).toBe(-EINVAL);
    expect(t.global.ram.usedPages).toBe(0);
  });

  test('ttm_pool_alloc: cached tt, RAM runs out at order 0 → -ENOMEM, every page freed, slots empty', () => {
    const t = world({ ramPages: 32 });
    const { tt } = newTt(t, 40, 'cached');
    expect(poolAlloc(t, tt)).toBe(-ENOMEM);
    expect(t.global.ram.usedPages).toBe(0);
    expect(tt.pages!.every((p) => p === null)).toBe(true);
    expect(t.global.poolMgr.allocatedPages).toBe(0);
  });

  test('ttm_pool_alloc: uncached tt, only system pages (staged, still write-back) then -ENOMEM → freed as cached, no caching change', () => {
    const t = world({ ramPages: 32 });
    const ram = t.global.ram;
    const { tt } = newTt(t, 40, 'uncached');
    expect(poolAlloc(t, tt)).toBe(-ENOMEM);
    expect(ram.usedPages).toBe(0);
    expect(ram.cachingChanges).toBe(0);
    expect(t.global.poolMgr.allocatedPages).toBe(0);
  });

  test('ttm_pool_alloc: uncached tt, staged system pages applied when a pooled UC page arrives, then -ENOMEM → the applied range goes back uncached (pooled), nothing freed twice', () => {
    const t = world({ ramPages: 32 });
    const ram = t.global.ram;
    const mgr = t.global.poolMgr;
    // One uncached page into the global uncached order-0 type.
    const { tt: first } = newTt(t, 1, 'uncached');
    expect(poolAlloc(t, first)).toBe(0);
    ttmPoolFree(t.bdev.pool, first);
    expect(mgr.globalUncached[0]!.pages).toHaveLength(1);
    const changesBefore = ram.cachingChanges;

    // 40 pages: orders 4, 3, 2, 1 from the system (30 staged), then the pooled UC page (applies the 30).
    const { tt } = newTt(t, 40, 'uncached');
    expect(poolAlloc(t, tt)).toBe(-ENOMEM);
    expect(ram.cachingChanges).toBe(changesBefore + 1);
    // [0, caching_divide) was uncached: pooled in the uncached types, cleared, still UC.
    expect(mgr.allocatedPages).toBe(31);
    expect(ram.usedPages).toBe(31);
    const pooled = [...mgr.globalUncached.flatMap((pt) => pt.pages.map((p) => [p, pt.order] as const))];
    for (const [p, order] of pooled) {
      for (let i = 0; i < 1 << order; i += 1) {
        expect(ram.getCaching(p + i)).toBe('uc');
        expect(ram.read(p + i)).toBe(0);
      }
    }
    expect(tt.pages!.every((p) => p === null)).toBe(true);
    // The shrinker gives everything back, write-back again.
    expect(ttmPoolShrinkerScan(mgr, 1000)).toBe(31);
    expect(ram.usedPages).toBe(0);
    for (let pfn = 1; pfn < 32; pfn += 1) expect(ram.getCaching(pfn)).toBe('wb');
  });

  test('ttm_pool_alloc: set_pages_array_uc fails at the end → -ENOMEM, the staged pages freed as cached', () => {
    const t = world();
    const ram = t.global.ram;
    t.global.poolMgr.failNextSetCaching = 1;
    const { tt } = newTt(t, 4, 'uncached');
    expect(poolAlloc(t, tt)).toBe(-ENOMEM);
    expect(ram.usedPages).toBe(0);
    expect(ram.cachingChanges).toBe(0);
    expect(t.global.poolMgr.allocatedPages).toBe(0);
  });

  test('ttm_pool_alloc: IOMMU full on the second block → -EFAULT, first block unmapped and freed, failed block freed', () => {
    const t = world();
    const iommu = new Iommu('iommu0', 4);
    t.bdev.iommu = iommu;
    const { tt } = newTt(t, 6, 'cached', 0, true);
    expect(poolAlloc(t, tt)).toBe(-EFAULT);
    expect(iommu.mapFailures).toBe(1);
    expect(iommu.mappingCount).toBe(0);
    expect(t.global.ram.usedPages).toBe(0);
    expect(tt.dmaAddress!.every((a) => a === null)).toBe(true);
  });

  test('ttm_pool_alloc: injected map failure on the first block → -EFAULT, nothing left allocated', () => {
    const t = world();
    const iommu = new Iommu('iommu0', 64);
    t.bdev.iommu = iommu;
    iommu.failNextMaps = 1;
    const { tt } = newTt(t, 3, 'write_combined', 0, true);
    expect(poolAlloc(t, tt)).toBe(-EFAULT);
    expect(t.global.ram.usedPages).toBe(0);
    expect(iommu.mappingCount).toBe(0);
  });

  test('ttm_pool_alloc: tt with dma_address on an IOMMU device → one mapping per block, addresses translate to the tt frames; free unmaps', () => {
    const t = world();
    const iommu = new Iommu('iommu0', 64);
    t.bdev.iommu = iommu;
    const { tt } = newTt(t, 6, 'cached', 0, true);
    expect(poolAlloc(t, tt)).toBe(0);
    expect(iommu.mappingCount).toBe(2);
    const pfns = frames(tt);
    tt.dmaAddress!.forEach((addr, i) => {
      expect(iommu.translate(addr!)).toBe(pfns[i]);
    });
    ttmPoolFree(t.bdev.pool, tt);
    expect(iommu.mappingCount).toBe(0);
    expect(t.global.ram.usedPages).toBe(0);
  });

  test('ttm_pool_alloc: direct-mapped device → DMA address = frame number', () => {
    const t = world();
    const { tt } = newTt(t, 5, 'cached', 0, true);
    expect(poolAlloc(t, tt)).toBe(0);
    expect(tt.dmaAddress).toEqual(frames(tt));
  });

  test('ttm_pool_alloc: DMA-alloc pool → a fixed DMA address per block, kept while pooled and reused', () => {
    const t = world();
    const iommu = new Iommu('iommu0', 64);
    t.bdev.iommu = iommu;
    const pool = new Pool({}, NUMA_NO_NODE, TTM_ALLOCATION_POOL_USE_DMA_ALLOC, t.global, t.bdev);
    const { tt } = newTt(t, 4, 'write_combined', 0, true);
    expect(runAlloc(t, pool, tt)).toBe(0);
    const addrs = [...tt.dmaAddress!];
    const pfns = frames(tt);
    expect(iommu.mappingCount).toBe(1);
    ttmPoolFree(pool, tt);
    // Pooled: still mapped (coherent memory keeps its address).
    expect(iommu.mappingCount).toBe(1);
    const { tt: again } = newTt(t, 4, 'write_combined', 0, true);
    expect(runAlloc(t, pool, again)).toBe(0);
    expect(frames(again)).toEqual(pfns);
    expect(again.dmaAddress).toEqual(addrs);
    ttmPoolFree(pool, again);
    ttmPoolFini(pool);
    expect(iommu.mappingCount).toBe(0);
    expect(t.global.ram.usedPages).toBe(0);
  });

  test('ttm_pool_alloc: DMA-alloc pool whose IOMMU is full → coherent allocation fails at every order → -ENOMEM', () => {
    const t = world();
    t.bdev.iommu = new Iommu('iommu0', 0);
    const pool = new Pool({}, NUMA_NO_NODE, TTM_ALLOCATION_POOL_USE_DMA_ALLOC, t.global, t.bdev);
    const { tt } = newTt(t, 2, 'cached');
    expect(runAlloc(t, pool, tt)).toBe(-ENOMEM);
    expect(t.global.ram.usedPages).toBe(0);
  });

  test('ttm_pool_alloc: system pages keep their old content without ZERO_ALLOC and are cleared with it', () => {
    const t = world();
    const ram = t.global.ram;
    const { tt: a } = newTt(t, 1, 'cached');
    expect(poolAlloc(t, a)).toBe(0);
    const pfn = a.pages![0] as number;
    ram.write(pfn, 0xdead);
    ttmPoolFree(t.bdev.pool, a);
    const { tt: b } = newTt(t, 1, 'cached');
    expect(poolAlloc(t, b)).toBe(0);
    expect(b.pages![0]).toBe(pfn);
    expect(ram.read(pfn)).toBe(0xdead);
    ttmPoolFree(t.bdev.pool, b);
    const { tt: c } = newTt(t, 1, 'cached', TTM_TT_FLAG_ZERO_ALLOC);
    expect(poolAlloc(t, c)).toBe(0);
    expect(c.pages![0]).toBe(pfn);
    expect(ram.read(pfn)).toBe(0);
  });

  test('ttm_pool_alloc: uncached tt from the system → one batched caching change; from the pool → none', () => {
    const t = world();
    const ram = t.global.ram;
    const { tt } = newTt(t, 7, 'uncached');
    expect(poolAlloc(t, tt)).toBe(0);
    expect(ram.cachingChanges).toBe(1);
    for (const p of frames(tt)) expect(ram.getCaching(p)).toBe('uc');
    ttmPoolFree(t.bdev.pool, tt);
    const { tt: again } = newTt(t, 7, 'uncached');
    expect(poolAlloc(t, again)).toBe(0);
    expect(ram.cachingChanges).toBe(1);
    expect(t.global.poolMgr.allocatedPages).toBe(0);
  });
});

describe('ttm_pool free and shrink', () => {
  test('ttm_pool_free: pages are cleared before they go to a pool type', () => {
    const t = world();
    const ram = t.global.ram;
    const { tt } = newTt(t, 4, 'write_combined');
    expect(poolAlloc(t, tt)).toBe(0);
    const pfns = frames(tt);
    for (const p of pfns) ram.write(p, 0xbeef);
    ttmPoolFree(t.bdev.pool, tt);
    expect(t.global.poolMgr.globalWriteCombined[2]!.pages).toEqual([pfns[0]]);
    for (const p of pfns) expect(ram.read(p)).toBe(0);
    expect(tt.pages!.every((p) => p === null)).toBe(true);
  });

  test('ttm_pool_free: cached pages of a non-DMA pool go back to the system, never to a pool', () => {
    const t = world();
    const { tt } = newTt(t, 4, 'cached');
    expect(poolAlloc(t, tt)).toBe(0);
    ttmPoolFree(t.bdev.pool, tt);
    expect(t.global.poolMgr.allocatedPages).toBe(0);
    expect(t.global.ram.usedPages).toBe(0);
  });

  test('ttm_pool_free: pooled pages above page_pool_size → shrunk back below it, write-back again', () => {
    const t = world();
    const mgr = t.global.poolMgr;
    mgr.pagePoolSize = 4;
    const { tt } = newTt(t, 8, 'uncached');
    expect(poolAlloc(t, tt)).toBe(0);
    const pfns = frames(tt);
    ttmPoolFree(t.bdev.pool, tt);
    expect(mgr.allocatedPages).toBe(0);
    expect(t.global.ram.usedPages).toBe(0);
    for (const p of pfns) expect(t.global.ram.getCaching(p)).toBe('wb');
  });

  test('ttm_pool_shrink: round-robin over the shrinker list, one block per call', () => {
    const t = world();
    const mgr = t.global.poolMgr;
    const tts: Tt[] = [];
    for (const [pages, caching] of [
      [1, 'write_combined'],
      [1, 'uncached'],
      [1, 'uncached'],
      [2, 'uncached'],
    ] as const) {
      const { tt } = newTt(t, pages, caching);
      expect(poolAlloc(t, tt)).toBe(0);
      tts.push(tt);
    }
    for (const tt of tts) ttmPoolFree(t.bdev.pool, tt);
    expect(mgr.allocatedPages).toBe(5);
    // Shrinker list: wc[0], uc[0], dma32 wc[0], dma32 uc[0], wc[1], uc[1], ...
    const freed = Array.from({ length: 10 }, () => ttmPoolShrink(mgr));
    expect(freed).toEqual([1, 1, 0, 0, 0, 2, 0, 0, 0, 0]);
    expect(mgr.allocatedPages).toBe(1);
    // The second uncached order-0 block comes at the next turn of uc[0].
    const more: number[] = [];
    while (mgr.allocatedPages > 0) more.push(ttmPoolShrink(mgr));
    expect(more.filter((n) => n > 0)).toEqual([1]);
    expect(more).toHaveLength(mgr.shrinkerList.length - 10 + 2);
    expect(t.global.ram.usedPages).toBe(0);
  });

  test('ttm_pool_shrinker_count / scan: pooled pages or SHRINK_EMPTY; scan frees up to the target, SHRINK_STOP when empty', () => {
    const t = world();
    const mgr = t.global.poolMgr;
    expect(ttmPoolShrinkerCount(mgr)).toBe(SHRINK_EMPTY);
    const tts = [1, 1, 4].map((pages) => newTt(t, pages, 'uncached').tt);
    for (const tt of tts) expect(poolAlloc(t, tt)).toBe(0);
    for (const tt of tts) ttmPoolFree(t.bdev.pool, tt);
    expect(ttmPoolShrinkerCount(mgr)).toBe(6);
    expect(ttmPoolShrinkerScan(mgr, 1)).toBe(1);
    expect(ttmPoolShrinkerCount(mgr)).toBe(5);
    // The round-robin reaches uc[2] (4 pages) before coming back to uc[0]: one block overshoots.
    expect(ttmPoolShrinkerScan(mgr, 2)).toBe(4);
    expect(ttmPoolShrinkerCount(mgr)).toBe(1);
    // Fewer pages pooled than asked for: stops when the pools are empty.
    expect(ttmPoolShrinkerScan(mgr, 2)).toBe(1);
    expect(ttmPoolShrinkerCount(mgr)).toBe(SHRINK_EMPTY);
    expect(ttmPoolShrinkerScan(mgr, 2)).toBe(SHRINK_STOP);
    expect(t.global.ram.usedPages).toBe(0);
  });

  test('ttm_pool_fini: a DMA pool frees its pooled pages and its types leave the shrinker list', () => {
    const t = world();
    const mgr = t.global.poolMgr;
    const globalTypes = mgr.shrinkerList.length;
    const pool = new Pool({}, NUMA_NO_NODE, TTM_ALLOCATION_POOL_USE_DMA_ALLOC, t.global, t.bdev);
    expect(mgr.shrinkerList.length).toBe(globalTypes + 33);
    const { tt } = newTt(t, 3, 'cached');
    expect(runAlloc(t, pool, tt)).toBe(0);
    ttmPoolFree(pool, tt);
    expect(mgr.allocatedPages).toBe(3);
    ttmPoolFini(pool);
    expect(mgr.allocatedPages).toBe(0);
    expect(mgr.shrinkerList.length).toBe(globalTypes);
    expect(pool.dma.size).toBe(0);
    expect(t.global.ram.usedPages).toBe(0);
  });
});
