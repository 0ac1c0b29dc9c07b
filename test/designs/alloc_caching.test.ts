// Tests of the alloc-ops design (seed 000) and the caching design (seeds 003, 004): the probe's choice
// per platform, the coherent backend's fixed DMA address, per-device pooling across cachings and -EBUSY
// backup; shootdowns when a page changes caching and none when the pool serves it; the coherence probe
// refusing the driver load.

import { describe, expect, it } from 'vitest';
import { PLATFORMS, platformFacts, probeAllocBackend } from '../../src/designs/alloc_backend.ts';
import { runScenario } from '../../src/explore/run.ts';
import { type Caching, TTM_PL_SYSTEM, TTM_PL_TT } from '../../src/kernel/constants.ts';
import { EBUSY, ENODEV } from '../../src/kernel/errno.ts';
import { CACHINGS } from '../../src/kernel/pool_type.ts';
import { DriverLoadRefused } from '../../src/kernel/simdrv.ts';
import { ttmTtBackup, ttmTtUnpopulate } from '../../src/kernel/tt.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';
import { designWorld, moveTo, sysBo } from './fixtures.ts';

describe('alloc-ops: the probe and the coherent backend', () => {
  it('probeAllocBackend: bare-metal → generic; xen-pv, encrypted, dma-mask → dma-coherent', () => {
    expect(PLATFORMS.map((p) => probeAllocBackend(platformFacts(p)).name)).toEqual([
      'generic',
      'dma-coherent',
      'dma-coherent',
      'dma-coherent',
    ]);
  });

  it('createSimDevice: the pool is DMA-alloc under xen-pv, not under bare-metal nor without the design', () => {
    expect(designWorld(['alloc-ops']).dev.bdev.pool.useDmaAlloc).toBe(true);
    expect(designWorld(['alloc-ops:platform=bare-metal']).dev.bdev.pool.useDmaAlloc).toBe(false);
    expect(designWorld([]).dev.bdev.pool.useDmaAlloc).toBe(false);
  });

  it('ttm_tt_populate (coherent): the DMA address is fixed: freed to the device pool and handed out again, same frames, same IOVAs, no new map', () => {
    const w = designWorld(['alloc-ops'], { iommuPages: 64 });
    const bo = sysBo(w, 4);
    expect(moveTo(w, bo, TTM_PL_TT)).toBe(0);
    const tt = bo.ttm!;
    const pages = [...(tt.pages ?? [])];
    const addrs = [...(tt.dmaAddress ?? [])];
    const iommu = w.dev.bdev.iommu!;
    expect(iommu.mappingCount).toBe(1);
    ttmTtUnpopulate(w.dev.bdev, tt);
    expect(w.global.poolMgr.allocatedPages).toBe(4);
    expect(iommu.mappingCount).toBe(1);
    expect(moveTo(w, bo, TTM_PL_SYSTEM)).toBe(0);
    expect(moveTo(w, bo, TTM_PL_TT)).toBe(0);
    expect(tt.pages).toEqual(pages);
    expect(tt.dmaAddress).toEqual(addrs);
    expect(iommu.mappingCount).toBe(1);
    expect(iommu.mapFailures).toBe(0);
  });

  it('ttm_pool_free: coherent pages are pooled per device for all three cachings; generic pools only WC/UC, globally', () => {
    const pooled = (designs: string[], caching: Caching) => {
      const w = designWorld(designs, { ttCaching: caching });
      const bo = sysBo(w, 4);
      expect(moveTo(w, bo, TTM_PL_TT)).toBe(0);
      ttmTtUnpopulate(w.dev.bdev, bo.ttm!);
      const own = w.dev.bdev.pool.caching[CACHINGS.indexOf(caching)]!.orders[2];
      return [own?.pages.length ?? null, w.global.poolMgr.allocatedPages];
    };
    expect(CACHINGS.map((c) => pooled(['alloc-ops'], c))).toEqual([
      [1, 4],
      [1, 4],
      [1, 4],
    ]);
    expect(CACHINGS.map((c) => pooled([], c))).toEqual([
      [null, 0],
      [null, 4],
      [null, 4],
    ]);
  });

  it('ttm_tt_backup of a coherent tt → -EBUSY, nothing backed up; generic → 4 pages backed up', () => {
    const backup = (designs: string[]) => {
      const w = designWorld(designs, { style: 'xe' });
      const bo = sysBo(w, 4);
      expect(moveTo(w, bo, TTM_PL_TT)).toBe(0);
      expect(moveTo(w, bo, TTM_PL_SYSTEM)).toBe(0);
      return [
        ttmTtBackup(w.dev.bdev, bo.ttm!, { purge: false, writeback: false }),
        w.global.counters.pagesBackedUp,
      ];
    };
    expect(backup(['alloc-ops:platform=encrypted'])).toEqual([-EBUSY, 0]);
    expect(backup([])).toEqual([4, 4]);
  });
});

describe('caching: placement-dependent caching and the coherence probe', () => {
  it('ttm_bo_validate TT ↔ SYSTEM of a WC tt: 1 shootdown to populate, then 1 per move under the design; 1 in all without it', () => {
    const shootdowns = (designs: string[]) => {
      const w = designWorld(designs, { ttCaching: 'write_combined' });
      const bo = sysBo(w, 4);
      const seen: number[] = [];
      for (const to of [TTM_PL_TT, TTM_PL_SYSTEM, TTM_PL_TT, TTM_PL_SYSTEM]) {
        expect(moveTo(w, bo, to)).toBe(0);
        seen.push(w.global.ram.cachingChanges);
      }
      return [seen, bo.ttm!.caching];
    };
    expect(shootdowns(['caching'])).toEqual([[1, 2, 3, 4], 'cached']);
    expect(shootdowns([])).toEqual([[1, 1, 1, 1], 'write_combined']);
  });

  it('ttm_tt_populate from the WC pool: no shootdown when the pool serves the pages', () => {
    const w = designWorld(['caching'], { ttCaching: 'write_combined' });
    const a = sysBo(w, 4);
    expect(moveTo(w, a, TTM_PL_TT)).toBe(0);
    ttmTtUnpopulate(w.dev.bdev, a.ttm!);
    expect(w.global.poolMgr.allocatedPages).toBe(4);
    const before = w.global.ram.cachingChanges;
    const b = sysBo(w, 4);
    expect(moveTo(w, b, TTM_PL_TT)).toBe(0);
    expect(w.global.ram.cachingChanges).toBe(before);
    expect(w.global.poolMgr.allocatedPages).toBe(0);
  });

  it('createSimDevice with caching:coherent=no → DriverLoadRefused, -ENODEV; a run → design.driver-not-loaded', () => {
    let err: unknown = null;
    try {
      designWorld(['caching:coherent=no']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DriverLoadRefused);
    expect((err as DriverLoadRefused).errno).toBe(-ENODEV);
    const r = runScenario(findScenario('vram-pressure')!, { seed: 1n, designs: ['caching:coherent=no'] });
    expect(r.failure).toEqual({
      kind: 'correctness',
      id: 'design.driver-not-loaded',
      message:
        'device:0: the driver refused to load: dma_streaming_is_coherent() is false, probe returned -ENODEV',
      step: 0,
      actor: 'device:0',
    });
    expect(designWorld(['caching:coherent=yes']).dev.bdev.id).toBe('device:0');
  });
});
