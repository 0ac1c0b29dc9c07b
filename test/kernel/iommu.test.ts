// The IOVA space: runs of frames map to contiguous IOVA ranges; exhaustion, fragmentation and injected
// faults fail with -EFAULT; several devices share one space; unmapping twice is a bug; IOVA page 0 is
// never handed out (iommu_dma_init_domain: "base_pfn = max_t(unsigned long, 1, base >> order);").

import { describe, expect, test } from 'vitest';
import { EFAULT } from '../../src/kernel/errno.ts';
import { Iommu } from '../../src/kernel/iommu.ts';

describe('iommu', () => {
  test('dma_map_page: a 4-frame run gets IOVA 1 (page 0 is never handed out), then 5; translate finds every frame', () => {
    const io = new Iommu('iommu:0', 16);
    expect(io.map('device:0', [100, 101, 102, 103])).toBe(1);
    expect(io.map('device:0', [7, 9])).toBe(5);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((p) => io.translate(p))).toEqual([
      undefined,
      100,
      101,
      102,
      103,
      7,
      9,
      undefined,
    ]);
    expect(io.usedPages).toBe(6);
  });

  test('dma_map_page: IOVA space exhausted → -EFAULT, counted as a map failure', () => {
    const io = new Iommu('iommu:0', 8);
    expect(io.map('device:0', [1, 2, 3, 4, 5, 6, 7, 8])).toBe(1);
    expect(io.map('device:0', [9])).toBe(-EFAULT);
    expect(io.mapFailures).toBe(1);
  });

  test('dma_map_page: fragmented IOVA space (8 pages free in two holes of 4) → 8-page run fails with -EFAULT', () => {
    const io = new Iommu('iommu:0', 16);
    const iovas = [0, 1, 2, 3].map((i) => io.map('device:0', [i * 4, i * 4 + 1, i * 4 + 2, i * 4 + 3]));
    expect(iovas).toEqual([1, 5, 9, 13]);
    io.unmap(5);
    io.unmap(13);
    expect(io.usedPages).toBe(8);
    expect(io.map('device:0', [1, 2, 3, 4, 5, 6, 7, 8])).toBe(-EFAULT);
    expect(io.map('device:0', [1, 2, 3, 4])).toBe(5);
  });

  test('two devices share one IOVA space: the second device gets what the first left', () => {
    const io = new Iommu('iommu:0', 8);
    expect(io.map('device:0', [1, 2, 3, 4, 5, 6])).toBe(1);
    expect(io.map('device:1', [7, 8, 9])).toBe(-EFAULT);
    expect(io.map('device:1', [7, 8])).toBe(7);
    expect(io.mappingsOf('device:1')).toEqual([{ iova: 7, device: 'device:1', pfns: [7, 8] }]);
  });

  test('injected map faults: the next 2 maps fail with -EFAULT whatever the space, the third succeeds', () => {
    const io = new Iommu('iommu:0', 64);
    io.failNextMaps = 2;
    expect([io.map('d', [1]), io.map('d', [2]), io.map('d', [3])]).toEqual([-EFAULT, -EFAULT, 1]);
    expect(io.mapFailures).toBe(2);
  });

  test('dma_unmap_page of an IOVA that is not mapped (double unmap) throws', () => {
    const io = new Iommu('iommu:0', 8);
    const iova = io.map('d', [1, 2]);
    io.unmap(iova);
    expect(() => io.unmap(iova)).toThrow('iommu:0: unmap of IOVA 1, which is not mapped');
    expect(io.mappingCount).toBe(0);
  });

  test('IOVA page 0 is never a mapping: after unmapping everything the first map gets 1 again, and all 8 pages still fit', () => {
    const io = new Iommu('iommu:0', 8);
    const a = io.map('d', [1, 2, 3]);
    const b = io.map('d', [4]);
    expect([a, b]).toEqual([1, 4]);
    io.unmap(a);
    io.unmap(b);
    expect(io.map('d', [5])).toBe(1);
    expect(io.map('d', [6, 7, 8, 9, 10, 11, 12])).toBe(2);
    expect(io.usedPages).toBe(8);
    expect(io.translate(0)).toBeUndefined();
    expect(io.map('d', [13])).toBe(-EFAULT);
  });
});
