// Tests of src/kernel/rules/page_allocator.ts: pages go back to the page allocator write-back
// (page.free.wb), ttm_global_init's default limits (global.init.limits) and the pool shrinker's scan
// target (pool.shrinker-scan.target); and of the frame check every access to simulated RAM makes. What
// the model does holds each rule; breaking exactly one records it with its id, actor and message.

import { describe, expect, test } from 'vitest';
import { runScenario } from '../../../src/explore/run.ts';
import { TtmGlobal } from '../../../src/kernel/device.ts';
import { Iommu } from '../../../src/kernel/iommu.ts';
import { PATCH_POOL_APPLY_CACHING_DIVIDE, ttmPoolAlloc, ttmPoolFree } from '../../../src/kernel/pool.ts';
import { ttmPoolShrinkerScan, typeGive } from '../../../src/kernel/pool_type.ts';
import { Ram } from '../../../src/kernel/ram.ts';
import {
  PAGE_ALLOCATOR_RULES,
  postGlobalInit,
  postPoolShrinkerScan,
} from '../../../src/kernel/rules/page_allocator.ts';
import { KERNEL_RULES } from '../../../src/kernel/rules.ts';
import { runSync } from '../../../src/kernel/sync.ts';
import { SCENARIOS } from '../../../src/sim/scenarios/index.ts';
import { intrCtx, newTt, world } from '../page_fixtures.ts';
import { expectBroken, expectNoneBroken } from './fixtures.ts';

describe('PAGE_ALLOCATOR_RULES', () => {
  test('three return checks with one-line upstream text, all in KERNEL_RULES', () => {
    expect(PAGE_ALLOCATOR_RULES.map((r) => [r.id, r.when])).toEqual([
      ['page.free.wb', 'return'],
      ['global.init.limits', 'return'],
      ['pool.shrinker-scan.target', 'return'],
    ]);
    for (const r of PAGE_ALLOCATOR_RULES) {
      expect(KERNEL_RULES).toContain(r);
      for (const u of r.upstream) expect(u.text).not.toContain('\n');
    }
  });
});

describe('page.free.wb', () => {
  test('write-combined and uncached tts populated, freed and shrunk out of the pools: every frame goes back write-back', () => {
    const t = world({ ramPages: 256 });
    for (const caching of ['write_combined', 'uncached', 'cached'] as const) {
      const a = newTt(t, 8, caching);
      expect(runSync(t.env, ttmPoolAlloc(t.bdev.pool, a.tt, intrCtx()))).toBe(0);
      ttmPoolFree(t.bdev.pool, a.tt);
    }
    const mgr = t.global.poolMgr;
    expect(mgr.allocatedPages).toBe(16);
    expect(ttmPoolShrinkerScan(mgr, 1000)).toBe(16);
    expect(t.global.ram.usedPages).toBe(0);
    expectNoneBroken(t.global);
  });

  test('a write-combined block handed back to the page allocator as it is', () => {
    const g = new TtmGlobal(new Ram(64));
    const p = g.ram.allocPages(2);
    expect(p).toBe(4);
    g.ram.setCaching(p, 4, 'wb');
    g.ram.setCaching(p + 2, 1, 'wc');
    g.ram.freeBlock(p);
    expectBroken(g, 'page.free.wb', 'ram');
    expect(g.ruleBroken?.message).toBe(
      'every page frame given back to the page allocator has write-back caching in the linear map (whoever set it WC or UC set it back first): frame 6 of the 4-frame block at 4 is wc',
    );
  });
});

describe('global.init.limits', () => {
  test('1000 pages of RAM: pool and tt limits 500, DMA32 limit 1000', () => {
    const g = new TtmGlobal(new Ram(1000));
    expect([g.poolMgr.pagePoolSize, g.ttmPagesLimit, g.ttmDma32PagesLimit]).toEqual([500, 500, 1000]);
    expectNoneBroken(g);
  });

  test('RAM above 2 GiB: the DMA32 limit stops at 2 GiB (524288 pages)', () => {
    const g = new TtmGlobal(new Ram(600_000));
    expect([g.ttmPagesLimit, g.ttmDma32PagesLimit]).toEqual([300_000, 524_288]);
    expectNoneBroken(g);
  });

  test('a ttm_pages_limit of a third of RAM', () => {
    const g = new TtmGlobal(new Ram(1000));
    g.ttmPagesLimit = 333;
    postGlobalInit(g, 1000);
    expectBroken(g, 'global.init.limits', 'global');
    expect(g.ruleBroken?.message).toBe(
      'ttm_global_init sets page_pool_size and ttm_pages_limit to half of RAM, and ttm_dma32_pages_limit to RAM capped at 2 GiB: 1000 pages of RAM: page_pool_size 500, ttm_pages_limit 333, ttm_dma32_pages_limit 1000 (want 500, 500, 1000)',
    );
  });
});

describe('pool.shrinker-scan.target', () => {
  function pooled(n: number): TtmGlobal {
    const g = new TtmGlobal(new Ram(64));
    const mgr = g.poolMgr;
    for (let i = 0; i < n; i += 1) {
      const p = g.ram.allocPages(0);
      g.ram.setCaching(p, 1, 'wc');
      typeGive(mgr.globalWriteCombined[0]!, mgr, p);
    }
    return g;
  }

  test('a scan for 2 of 4 pooled pages frees 2; a scan for 10 empties the pools', () => {
    const g = pooled(4);
    expect(ttmPoolShrinkerScan(g.poolMgr, 2)).toBe(2);
    expect(g.poolMgr.allocatedPages).toBe(2);
    expect(ttmPoolShrinkerScan(g.poolMgr, 10)).toBe(2);
    expect(g.poolMgr.allocatedPages).toBe(0);
    expectNoneBroken(g);
  });

  test('a scan that stops after one page of ten with pages still pooled', () => {
    const g = pooled(3);
    postPoolShrinkerScan(g.poolMgr, 10, 1);
    expectBroken(g, 'pool.shrinker-scan.target', 'pool');
    expect(g.ruleBroken?.message).toBe(
      'ttm_pool_shrinker_scan returns having freed at least nr_to_scan pages, or with no page left in any pool type: freed 1 of 10 pages with 3 still pooled',
    );
  });
});

describe('frames of simulated RAM', () => {
  test('reads, writes, clears and copies only through frame numbers of the RAM', () => {
    const ram = new Ram(16);
    ram.write(3, 0xdead_beef);
    ram.copy(4, 3);
    expect(ram.read(4)).toBe(0xdead_beef);
    const none = null as unknown as number;
    expect(() => ram.read(none)).toThrow('access to page frame null, which is not a frame of 16');
    expect(() => ram.write(none, 1)).toThrow('access to page frame null, which is not a frame of 16');
    expect(() => ram.clear(16)).toThrow('access to page frame 16, which is not a frame of 16');
    expect(() => ram.copy(2, -12)).toThrow('access to page frame -12, which is not a frame of 16');
    expect(() => ram.read(1.5)).toThrow('access to page frame 1.5, which is not a frame of 16');
  });
});

describe('write-combined pages freed as cached after a failed DMA map (a kernel bug the model keeps)', () => {
  /**
   * A write-combined tt of 6 pages with DMA addresses, on a device behind a 4-page IOMMU, with one
   * write-combined page pooled: the first block (order 2) comes from the system and is staged, the order-1
   * allocation fails (the second page.alloc evaluation), the pooled order-0 page is taken, which applies
   * WC to the staged block, and its DMA map finds the IOVA space full.
   */
  function failedPopulate(patches: readonly string[]) {
    const t = world({ ramPages: 64 });
    t.bdev.iommu = new Iommu('iommu:test', 4);
    t.global.patches = new Set(patches);
    const mgr = t.global.poolMgr;
    const pooled = t.global.ram.allocPages(0);
    t.global.ram.setCaching(pooled, 1, 'wc');
    typeGive(mgr.globalWriteCombined[0]!, mgr, pooled);
    let allocs = 0;
    t.global.faultHook = (site) => site === 'page.alloc' && ++allocs === 2;
    const a = newTt(t, 6, 'write_combined', 0, true);
    const ret = runSync(t.env, ttmPoolAlloc(t.bdev.pool, a.tt, intrCtx()));
    return { t, ret, pooled };
  }

  test('upstream: the staged block, already WC, goes back to the page allocator as cached', () => {
    const { t, ret } = failedPopulate([]);
    expect(ret).toBe(-14);
    expectBroken(t.global, 'page.free.wb', 'ram');
    expect(t.global.ruleBroken?.message).toBe(
      'every page frame given back to the page allocator has write-back caching in the linear map (whoever set it WC or UC set it back first): frame 4 of the 4-frame block at 4 is wc',
    );
  });

  test('with the candidate fix the divide moves with the caching: the block is pooled write-combined', () => {
    const { t, ret, pooled } = failedPopulate([PATCH_POOL_APPLY_CACHING_DIVIDE]);
    expect(ret).toBe(-14);
    expectNoneBroken(t.global);
    const mgr = t.global.poolMgr;
    expect(mgr.globalWriteCombined[2]!.pages).toEqual([4]);
    expect(mgr.globalWriteCombined[0]!.pages).toEqual([]);
    expect(t.global.ram.isAllocated(pooled)).toBe(false);
  });
});

describe('a pool shrinker scan that stops early, seen by the rule and by the workload', () => {
  const poolReclaim = SCENARIOS.find((s) => s.name === 'pool-reclaim')!;
  const opts = { seed: 0n, strategy: 'random' as const, mutations: ['pool-shrinker-one-block'] };

  test('pool.shrinker-scan.target fires at the scan that stopped', () => {
    const r = runScenario(poolReclaim, opts);
    expect([r.failure?.id, r.failure?.step]).toEqual(['pool.shrinker-scan.target', 95]);
  });

  test('with kernel rules cleared after every step, the populate that failed is correctness.reclaim', () => {
    const r = runScenario(poolReclaim, {
      ...opts,
      onStep: (_sim, worlds) => {
        for (const g of worlds) g.ruleBroken = null;
      },
    });
    expect(r.failure?.id).toBe('correctness.reclaim');
    expect(r.failure?.message).toBe(RECLAIM_MESSAGE);
  });
});

const RECLAIM_MESSAGE =
  'populating bo:42 (67 pages) failed with -ENOMEM although 64 free and 15 pooled pages could hold it';
