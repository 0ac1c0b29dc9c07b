// Port of drivers/gpu/drm/ttm/tests/ttm_tt_test.c (KUnit suite "ttm_tt"): 15 cases, one of them
// parameterised with 2 rows (16 Vitest tests). Suite init is ttm_test_devices_all_init: a DRM device and
// an initialised ttm device (KUnit device funcs, no DMA alloc, no DMA32); BO_SIZE is 4 KiB.

import { describe, expect, test } from 'vitest';
import { shmemFileSetup } from '../../src/kernel/backup.ts';
import type { BoType } from '../../src/kernel/constants.ts';
import {
  PAGE_SIZE,
  TTM_TT_FLAG_PRIV_POPULATED,
  TTM_TT_FLAG_SWAPPED,
  TTM_TT_FLAG_ZERO_ALLOC,
} from '../../src/kernel/constants.ts';
import type { DeviceFuncs } from '../../src/kernel/device.ts';
import { EINVAL, ENOMEM } from '../../src/kernel/errno.ts';
import { operationCtx } from '../../src/kernel/placement.ts';
import { ttmPoolAlloc } from '../../src/kernel/pool.ts';
import { dmaResvLock } from '../../src/kernel/resv.ts';
import { runSync } from '../../src/kernel/sync.ts';
import {
  ttmSgTtInit,
  ttmTtCreate,
  ttmTtDestroy,
  ttmTtFini,
  ttmTtInit,
  ttmTtPopulate,
  ttmTtSwapin,
  ttmTtSwapout,
  ttmTtUnpopulate,
} from '../../src/kernel/tt.ts';
import { kunitBo, type TestDevice, testDevice, ttmDevFuncs } from './fixtures.ts';

const BO_SIZE = 4096;
const SZ_4K = 4096;
const SZ_8K = 8192;

/** ttm_tt_init_basic_cases. */
const ttmTtInitBasicCases = [
  { description: 'Page-aligned size', size: SZ_4K, extraPagesNum: 0 },
  { description: 'Extra pages requested', size: SZ_4K, extraPagesNum: 1 },
] as const;

/** dma_resv_lock(bo->base.resv, NULL); ttm_tt_create(bo, false); dma_resv_unlock. */
function createLocked(t: TestDevice, bo: ReturnType<typeof kunitBo>): number {
  expect(runSync(t.env, dmaResvLock(bo.resv, null, false))).toBe(0);
  const err = ttmTtCreate(bo, false);
  bo.resv.unlock();
  return err;
}

describe('ttm_tt', () => {
  for (const params of ttmTtInitBasicCases) {
    test(`ttm_tt_init_basic: ${params.description} → 0, num_pages ${params.size / PAGE_SIZE + params.extraPagesNum}, ZERO_ALLOC, cached, no dma_address, no swap_storage`, () => {
      const t = testDevice();
      const pageFlags = TTM_TT_FLAG_ZERO_ALLOC;
      const numPages = params.size >> 12;
      const bo = kunitBo(t, params.size);

      const tt = ttmTtInit(bo, pageFlags, 'cached', params.extraPagesNum);

      expect(tt.numPages).toBe(numPages + params.extraPagesNum);
      expect(tt.pageFlags).toBe(pageFlags);
      expect(tt.caching).toBe('cached');
      expect(tt.dmaAddress).toBeNull();
      expect(tt.swapStorage).toBeNull();
    });
  }

  test('ttm_tt_init_misaligned: BO of 8 KiB + 1 → num_pages 3', () => {
    const t = testDevice();
    const size = SZ_8K;
    const numPages = (size + SZ_4K) >> 12;
    const bo = kunitBo(t, size);
    // Make the object size misaligned.
    bo.size += 1;

    const tt = ttmTtInit(bo, 0, 'cached', 0);
    expect(tt.numPages).toBe(numPages);
  });

  test('ttm_tt_fini_basic: pages non-NULL after init → NULL after fini', () => {
    const t = testDevice();
    const tt = ttmTtInit(kunitBo(t, BO_SIZE), 0, 'cached', 0);
    expect(tt.pages).not.toBeNull();

    ttmTtFini(tt);
    expect(tt.pages).toBeNull();
  });

  test('ttm_tt_fini_sg: ttm_sg_tt_init → dma_address non-NULL, NULL after fini', () => {
    const t = testDevice();
    const tt = ttmSgTtInit(kunitBo(t, BO_SIZE), 0, 'cached');
    expect(tt.dmaAddress).not.toBeNull();

    ttmTtFini(tt);
    expect(tt.dmaAddress).toBeNull();
  });

  test('ttm_tt_fini_shmem: swap_storage set to a shmem file → NULL after fini', () => {
    const t = testDevice();
    const tt = ttmTtInit(kunitBo(t, BO_SIZE), 0, 'cached', 0);
    const shmem = shmemFileSetup(t.global.swap, 'ttm swap', BO_SIZE / PAGE_SIZE);
    if (typeof shmem === 'number') throw new Error(`shmem_file_setup: ${shmem}`);
    tt.swapStorage = shmem;

    ttmTtFini(tt);
    expect(tt.swapStorage).toBeNull();
    expect(shmem.released).toBe(true);
  });

  test('ttm_tt_create_basic: device BO → 0, bo->ttm set', () => {
    const t = testDevice();
    const bo = kunitBo(t, BO_SIZE);
    bo.type = 'device';

    expect(createLocked(t, bo)).toBe(0);
    expect(bo.ttm).not.toBeNull();
  });

  test('ttm_tt_create_invalid_bo_type: type ttm_bo_type_sg + 1 → -EINVAL, no tt', () => {
    const t = testDevice();
    const bo = kunitBo(t, BO_SIZE);
    bo.type = 'sg+1' as BoType;

    expect(createLocked(t, bo)).toBe(-EINVAL);
    expect(bo.ttm).toBeNull();
  });

  test('ttm_tt_create_ttm_exists: BO already has a tt → 0, same tt kept', () => {
    const t = testDevice();
    const bo = kunitBo(t, BO_SIZE);
    const tt = ttmTtInit(bo, 0, 'cached', 0);
    bo.ttm = tt;

    expect(createLocked(t, bo)).toBe(0);
    expect(bo.ttm).toBe(tt);
  });

  test('ttm_tt_create_failed: driver ttm_tt_create returns NULL → -ENOMEM', () => {
    const t = testDevice();
    const bo = kunitBo(t, BO_SIZE);
    const ttmDevEmptyFuncs: DeviceFuncs = { ...ttmDevFuncs, ttmTtCreate: () => null };
    t.bdev.funcs = ttmDevEmptyFuncs;

    expect(createLocked(t, bo)).toBe(-ENOMEM);
  });

  test('ttm_tt_destroy_basic: create then ttm_tt_destroy → no crash', () => {
    const t = testDevice();
    const bo = kunitBo(t, BO_SIZE);
    expect(createLocked(t, bo)).toBe(0);
    expect(bo.ttm).not.toBeNull();

    ttmTtDestroy(t.bdev, bo.ttm);
  });

  test('ttm_tt_populate_null_ttm: NULL tt → -EINVAL', () => {
    const t = testDevice();
    expect(runSync(t.env, ttmTtPopulate(t.bdev, null, operationCtx()))).toBe(-EINVAL);
  });

  test('ttm_tt_populate_populated_ttm: populate twice → 0, pages[0] unchanged', () => {
    const t = testDevice();
    const tt = ttmTtInit(kunitBo(t, BO_SIZE), 0, 'cached', 0);
    const ctx = operationCtx();

    expect(runSync(t.env, ttmTtPopulate(t.bdev, tt, ctx))).toBe(0);
    const populatedPage = tt.pages![0];

    runSync(t.env, ttmTtPopulate(t.bdev, tt, ctx));
    expect(tt.pages![0]).toBe(populatedPage);
  });

  test('ttm_tt_unpopulate_basic: populated → ttm_tt_unpopulate → not populated', () => {
    const t = testDevice();
    const tt = ttmTtInit(kunitBo(t, BO_SIZE), 0, 'cached', 0);

    expect(runSync(t.env, ttmTtPopulate(t.bdev, tt, operationCtx()))).toBe(0);
    expect(tt.isPopulated()).toBe(true);

    ttmTtUnpopulate(t.bdev, tt);
    expect(tt.isPopulated()).toBe(false);
  });

  test('ttm_tt_unpopulate_empty_ttm: unpopulated tt → ttm_tt_unpopulate is a no-op', () => {
    const t = testDevice();
    const tt = ttmTtInit(kunitBo(t, BO_SIZE), 0, 'cached', 0);
    const before = t.global.ram.usedPages;

    ttmTtUnpopulate(t.bdev, tt);
    expect(tt.pageFlags & TTM_TT_FLAG_PRIV_POPULATED).toBe(0);
    expect(t.global.ram.usedPages).toBe(before);
  });

  test('ttm_tt_swapin_basic: populate, ttm_tt_swapout → 1 page, swap_storage, SWAPPED; ttm_pool_alloc + ttm_tt_swapin → 0, no storage, not SWAPPED', () => {
    const t = testDevice();
    const expectedNumPages = BO_SIZE >> 12;
    const ctx = operationCtx();
    const tt = ttmTtInit(kunitBo(t, BO_SIZE), 0, 'cached', 0);

    expect(runSync(t.env, ttmTtPopulate(t.bdev, tt, ctx))).toBe(0);
    expect(tt.isPopulated()).toBe(true);

    const numPages = ttmTtSwapout(t.bdev, tt);
    expect(numPages).toBe(expectedNumPages);
    expect(tt.swapStorage).not.toBeNull();
    expect(tt.pageFlags & TTM_TT_FLAG_SWAPPED).toBeTruthy();

    // Swapout depopulates the tt: allocate pages, then swap them in.
    expect(runSync(t.env, ttmPoolAlloc(t.bdev.pool, tt, ctx))).toBe(0);

    expect(ttmTtSwapin(tt)).toBe(0);
    expect(tt.swapStorage).toBeNull();
    expect(tt.pageFlags & TTM_TT_FLAG_SWAPPED).toBe(0);
  });
});
