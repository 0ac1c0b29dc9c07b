// An IOMMU map failure surfaces as the kernel surfaces a dma_map_page failure: ttm_pool_alloc fails with
// -EFAULT, so validate into TT returns -EFAULT and a CPU fault that has to populate gets SIGBUS; nothing
// is left mapped or allocated.

import { describe, expect, test } from 'vitest';
import { newBufferObject, ttmBoInitReserved, ttmBoUnreserve, ttmBoValidate } from '../../src/kernel/bo.ts';
import { ttmBoMmapObj, ttmBoVmFault } from '../../src/kernel/bo_vm.ts';
import { PAGE_SIZE, TTM_PL_SYSTEM, TTM_PL_TT } from '../../src/kernel/constants.ts';
import { TtmGlobal } from '../../src/kernel/device.ts';
import { EFAULT } from '../../src/kernel/errno.ts';
import { operationCtx, place, placementOf } from '../../src/kernel/placement.ts';
import { createSimDevice } from '../../src/kernel/simdrv.ts';
import { runSync, SyncEnv } from '../../src/kernel/sync.ts';

function setup(iommuPages: number) {
  const env = new SyncEnv();
  const global = new TtmGlobal();
  const dev = createSimDevice(env, global, 'device:0', {
    vramBytes: 64 * PAGE_SIZE,
    ttBytes: 64 * PAGE_SIZE,
    iommuPages,
  });
  const bo = newBufferObject(dev.bdev, 8 * PAGE_SIZE);
  const sys = placementOf(place(TTM_PL_SYSTEM));
  expect(
    runSync(env, ttmBoInitReserved(dev.bdev, bo, 'device', sys, 1, operationCtx(), null, null, null)),
  ).toBe(0);
  return { env, global, dev, bo };
}

describe('IOMMU exhaustion as the kernel surfaces it', () => {
  test('ttm_bo_validate into TT with 4 IOVA pages for an 8-page BO → -EFAULT, no frame or IOVA left', () => {
    const { env, global, dev, bo } = setup(4);
    const used = global.ram.usedPages;
    expect(runSync(env, ttmBoValidate(bo, placementOf(place(TTM_PL_TT)), operationCtx()))).toBe(-EFAULT);
    expect(bo.resource!.memType).toBe(TTM_PL_SYSTEM);
    expect(dev.bdev.iommu!.usedPages).toBe(0);
    expect(dev.bdev.iommu!.mapFailures).toBeGreaterThan(0);
    expect(global.ram.usedPages).toBe(used);
    ttmBoUnreserve(bo);
  });

  test('ttm_bo_vm_fault on a SYSTEM BO whose populate cannot map → SIGBUS; with room the same fault maps', () => {
    const { env, dev, bo } = setup(4);
    ttmBoUnreserve(bo);
    const vma = ttmBoMmapObj(bo);
    if (typeof vma === 'number') throw new Error(`mmap failed ${vma}`);
    const flags = { allowRetry: true, retryNowait: false, interruptible: true };
    expect(runSync(env, ttmBoVmFault(vma, 0, flags))).toBe('SIGBUS');
    expect(vma.ptes.size).toBe(0);
    dev.bdev.iommu = null;
    expect(runSync(env, ttmBoVmFault(vma, 0, flags))).toBe('NOPAGE');
    expect(vma.ptes.size).toBe(8);
  });
});
