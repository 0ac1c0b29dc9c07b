// ttm_tt.c (src/kernel/tt.ts): creation flags, populate with the global page accounting and its limit,
// every error of populate / swapout / swapin / backup / restore / setup_backup, fini and destroy giving
// every frame and swap page back, and the fixed caching of a populated tt.

import { describe, expect, test } from 'vitest';
import { newBufferObject, ttmBoInitReserved, ttmBoPopulate, ttmBoUnreserve } from '../../src/kernel/bo.ts';
import {
  PAGE_SIZE,
  TTM_PL_SYSTEM,
  TTM_TT_FLAG_BACKED_UP,
  TTM_TT_FLAG_EXTERNAL,
  TTM_TT_FLAG_SWAPPED,
  TTM_TT_FLAG_ZERO_ALLOC,
} from '../../src/kernel/constants.ts';
import { TtmGlobal } from '../../src/kernel/device.ts';
import { EBUSY, EINTR, EINVAL, EIO, ENOMEM, ENOSPC, ERESTARTSYS } from '../../src/kernel/errno.ts';
import { DmaFence } from '../../src/kernel/fence.ts';
import { operationCtx, place, placementOf } from '../../src/kernel/placement.ts';
import { NUMA_NO_NODE, Pool, TTM_ALLOCATION_POOL_USE_DMA32 } from '../../src/kernel/pool_type.ts';
import { Ram } from '../../src/kernel/ram.ts';
import { DmaResvUsage } from '../../src/kernel/resv.ts';
import { runSync } from '../../src/kernel/sync.ts';
import {
  ttmTtBackup,
  ttmTtClearBackedUp,
  ttmTtCreate,
  ttmTtDestroy,
  ttmTtFini,
  ttmTtPagesLimit,
  ttmTtPopulate,
  ttmTtRestore,
  ttmTtSetCaching,
  ttmTtSetupBackup,
  ttmTtSwapin,
  ttmTtSwapout,
  ttmTtUnpopulate,
} from '../../src/kernel/tt.ts';
import { kunitBo, type TestDevice } from '../kunit/fixtures.ts';
import {
  contents,
  fill,
  frames,
  intrCtx,
  newTt,
  populate,
  shrinkableTt,
  slotKinds,
  world,
  xeFuncs,
} from './page_fixtures.ts';

/** A device BO validated into SYSTEM with a populated tt, unreserved, idle unless `busy`. */
function systemBo(t: TestDevice, pages: number, busy = false): ReturnType<typeof newBufferObject> {
  const bo = newBufferObject(t.bdev, pages * PAGE_SIZE);
  const ctx = operationCtx();
  const placement = placementOf(place(TTM_PL_SYSTEM));
  expect(
    runSync(t.env, ttmBoInitReserved(t.bdev, bo, 'device', placement, PAGE_SIZE, ctx, null, null, null)),
  ).toBe(0);
  expect(runSync(t.env, ttmBoPopulate(bo, ctx))).toBe(0);
  if (busy) {
    expect(bo.resv.reserveFences(1)).toBe(0);
    bo.resv.addFence(new DmaFence(t.env.nextId('fence-ctx') + 100, 1), DmaResvUsage.WRITE);
  }
  ttmBoUnreserve(bo);
  return bo;
}

describe('ttm_tt create and accounting', () => {
  test('ttm_tt_create: device BO with zero_alloc → ZERO_ALLOC; kernel BO → no flag; sg BO → EXTERNAL', () => {
    const t = world();
    const flags = (['device', 'kernel', 'sg'] as const).map((type) => {
      const bo = kunitBo(t, PAGE_SIZE);
      bo.type = type;
      expect(bo.resv.trylock(t.env.current())).toBe(true);
      expect(ttmTtCreate(bo, true)).toBe(0);
      return bo.ttm!.pageFlags;
    });
    expect(flags).toEqual([TTM_TT_FLAG_ZERO_ALLOC, 0, TTM_TT_FLAG_EXTERNAL]);
  });

  test('ttm_tt limits: ttm_pages_limit = totalram / 2, DMA32 limit = min(totalram, 2 GiB of pages)', () => {
    const small = new TtmGlobal(new Ram(1000));
    expect(ttmTtPagesLimit(small)).toBe(500);
    expect(small.ttmDma32PagesLimit).toBe(1000);
    const big = new TtmGlobal(new Ram(2_000_000));
    expect(ttmTtPagesLimit(big)).toBe(1_000_000);
    expect(big.ttmDma32PagesLimit).toBe(524_288);
  });

  test('ttm_tt_populate: counted in ttm_pages_allocated while populated; EXTERNAL tts are not counted', () => {
    const t = world();
    const g = t.global;
    const { tt } = newTt(t, 3);
    const { tt: ext } = newTt(t, 5, 'cached', TTM_TT_FLAG_EXTERNAL);
    expect(populate(t, tt)).toBe(0);
    expect(populate(t, ext)).toBe(0);
    expect(g.ttmPagesAllocated).toBe(3);
    expect(g.ttmDma32PagesAllocated).toBe(0);
    expect(g.ram.usedPages).toBe(8);
    ttmTtUnpopulate(t.bdev, tt);
    ttmTtUnpopulate(t.bdev, ext);
    expect(g.ttmPagesAllocated).toBe(0);
    expect(g.ram.usedPages).toBe(0);
  });

  test('ttm_tt_populate: DMA32 pool → also counted in ttm_dma32_pages_allocated', () => {
    const t = world();
    t.bdev.pool = new Pool({}, NUMA_NO_NODE, TTM_ALLOCATION_POOL_USE_DMA32, t.global, t.bdev);
    const { tt } = newTt(t, 2);
    expect(populate(t, tt)).toBe(0);
    expect(t.global.ttmDma32PagesAllocated).toBe(2);
    ttmTtUnpopulate(t.bdev, tt);
    expect(t.global.ttmDma32PagesAllocated).toBe(0);
  });

  test('ttm_tt_populate: over ttm_pages_limit (and the DMA32 limit) with nothing to swap out → allocates anyway', () => {
    const t = world();
    t.bdev.pool = new Pool({}, NUMA_NO_NODE, TTM_ALLOCATION_POOL_USE_DMA32, t.global, t.bdev);
    t.global.ttmPagesLimit = 2;
    t.global.ttmDma32PagesLimit = 1;
    const { tt } = newTt(t, 4);
    expect(populate(t, tt)).toBe(0);
    expect(tt.isPopulated()).toBe(true);
    expect(t.global.ttmPagesAllocated).toBe(4);
  });

  test('ttm_tt_populate: the allocation fails → -ENOMEM, counters reverted, not populated', () => {
    const t = world({ ramPages: 8 });
    const { tt } = newTt(t, 16);
    expect(populate(t, tt)).toBe(-ENOMEM);
    expect(tt.isPopulated()).toBe(false);
    expect(t.global.ttmPagesAllocated).toBe(0);
    expect(t.global.ram.usedPages).toBe(0);
  });

  test('ttm_tt_populate: over the limit, the swapout waits for a busy BO and a signal arrives → -ERESTARTSYS, counters reverted', () => {
    const t = world();
    systemBo(t, 2, true);
    t.global.ttmPagesLimit = 3;
    const { tt } = newTt(t, 2);
    const ret = runSync(t.env, ttmTtPopulate(t.bdev, tt, intrCtx()), { signalPending: true });
    expect(ret).toBe(-ERESTARTSYS);
    expect(t.global.ttmPagesAllocated).toBe(2);
    expect(tt.isPopulated()).toBe(false);
  });

  test('ttm_tt_populate: BACKED_UP tt and no driver populate → -EINVAL from ttm_pool_alloc, counters reverted', () => {
    const t = world();
    const { tt } = newTt(t, 2, 'cached', TTM_TT_FLAG_BACKED_UP);
    expect(populate(t, tt)).toBe(-EINVAL);
    expect(t.global.ttmPagesAllocated).toBe(0);
  });
});

describe('ttm_tt swapout and swapin', () => {
  test('ttm_tt_swapout: → num_pages, content in swap, frames freed, SWAPPED and unpopulated, uncounted', () => {
    const t = world();
    const { bo, tt } = newTt(t, 4);
    expect(populate(t, tt)).toBe(0);
    fill(t, tt, bo.id);
    expect(ttmTtSwapout(t.bdev, tt)).toBe(4);
    expect(tt.pageFlags & TTM_TT_FLAG_SWAPPED).toBeTruthy();
    expect(tt.isPopulated()).toBe(false);
    expect(tt.swapStorage!.slots.size).toBe(4);
    expect(t.global.ram.usedPages).toBe(0);
    expect(t.global.ttmPagesAllocated).toBe(0);
  });

  test('ttm_tt_swapout: shmem file creation fails → -ENOMEM, tt unchanged', () => {
    const t = world();
    const { tt } = newTt(t, 2);
    expect(populate(t, tt)).toBe(0);
    const before = frames(tt);
    t.global.swap.failNextCreates = 1;
    expect(ttmTtSwapout(t.bdev, tt)).toBe(-ENOMEM);
    expect(tt.isPopulated()).toBe(true);
    expect(frames(tt)).toEqual(before);
    expect(tt.swapStorage).toBeNull();
  });

  test('ttm_tt_swapout: swap full at the fourth page → -ENOSPC, tt unchanged, no swap page kept', () => {
    const t = world({ swapPages: 3 });
    const { bo, tt } = newTt(t, 5);
    expect(populate(t, tt)).toBe(0);
    const data = fill(t, tt, bo.id);
    expect(ttmTtSwapout(t.bdev, tt)).toBe(-ENOSPC);
    expect(tt.isPopulated()).toBe(true);
    expect(tt.pageFlags & TTM_TT_FLAG_SWAPPED).toBe(0);
    expect(contents(t, tt)).toEqual(data);
    expect(t.global.swap.usedPages).toBe(0);
  });

  test('ttm_tt_populate: SWAPPED tt → pages allocated and swapped in, content intact, storage released, SWAPPED cleared', () => {
    const t = world();
    const { bo, tt } = newTt(t, 3);
    expect(populate(t, tt)).toBe(0);
    const data = fill(t, tt, bo.id);
    expect(ttmTtSwapout(t.bdev, tt)).toBe(3);
    expect(populate(t, tt)).toBe(0);
    expect(contents(t, tt)).toEqual(data);
    expect(tt.swapStorage).toBeNull();
    expect(tt.pageFlags & TTM_TT_FLAG_SWAPPED).toBe(0);
    expect(t.global.swap.usedPages).toBe(0);
  });

  test('ttm_tt_populate: SWAPPED tt whose swap read fails → -EIO, unpopulated again, still SWAPPED with its storage, uncounted', () => {
    const t = world();
    const { bo, tt } = newTt(t, 3);
    expect(populate(t, tt)).toBe(0);
    const data = fill(t, tt, bo.id);
    expect(ttmTtSwapout(t.bdev, tt)).toBe(3);
    t.global.swap.failReads.push(-EIO);
    expect(populate(t, tt)).toBe(-EIO);
    expect(tt.isPopulated()).toBe(false);
    expect(tt.pageFlags & TTM_TT_FLAG_SWAPPED).toBeTruthy();
    expect(tt.swapStorage).not.toBeNull();
    expect(t.global.ram.usedPages).toBe(0);
    expect(t.global.ttmPagesAllocated).toBe(0);
    expect(populate(t, tt)).toBe(0);
    expect(contents(t, tt)).toEqual(data);
  });

  test('ttm_tt_swapin: a destination page missing → -ENOMEM, storage kept', () => {
    const t = world();
    const { tt } = newTt(t, 2);
    expect(populate(t, tt)).toBe(0);
    expect(ttmTtSwapout(t.bdev, tt)).toBe(2);
    expect(ttmTtSwapin(tt)).toBe(-ENOMEM);
    expect(tt.swapStorage).not.toBeNull();
  });
});

describe('ttm_tt backup and restore', () => {
  test('ttm_tt_backup: no backup file → 0, nothing done', () => {
    const t = world();
    const { tt } = newTt(t, 2);
    expect(populate(t, tt)).toBe(0);
    expect(ttmTtBackup(t.bdev, tt, { purge: false, writeback: false })).toBe(0);
    expect(tt.isPopulated()).toBe(true);
  });

  test('ttm_tt_backup: error on the first page → that error, still populated; partial (swap full after 2 of 4) → 2, BACKED_UP, unpopulated; no swap left → -EBUSY', () => {
    const t = world({ swapPages: 2 });
    const { tt: first } = shrinkableTt(t, 1);
    t.global.swap.failWrites.push(-ENOMEM);
    expect(ttmTtBackup(t.bdev, first, { purge: false, writeback: true })).toBe(-ENOMEM);
    expect(first.isPopulated()).toBe(true);
    expect(first.isBackedUp()).toBe(false);
    const { tt } = shrinkableTt(t, 4);
    expect(ttmTtBackup(t.bdev, tt, { purge: false, writeback: false })).toBe(2);
    expect(tt.pageFlags & TTM_TT_FLAG_BACKED_UP).toBeTruthy();
    expect(tt.isPopulated()).toBe(false);
    expect(ttmTtBackup(t.bdev, first, { purge: false, writeback: false })).toBe(-EBUSY);
    expect(first.isPopulated()).toBe(true);
  });

  test('ttm_tt_populate with a restoring driver: backed-up tt → restored, populated, not BACKED_UP, content intact', () => {
    const t = world({ funcs: xeFuncs });
    const { tt, data } = shrinkableTt(t, 6);
    expect(ttmTtBackup(t.bdev, tt, { purge: false, writeback: false })).toBe(6);
    expect(populate(t, tt)).toBe(0);
    expect(tt.isPopulated()).toBe(true);
    expect(tt.isBackedUp()).toBe(false);
    expect(contents(t, tt)).toEqual(data);
    expect(t.global.swap.usedPages).toBe(0);
  });

  test('ttm_tt_restore: -EINTR → still BACKED_UP; resumed → 0, BACKED_UP cleared', () => {
    const t = world();
    const { tt, data } = shrinkableTt(t, 4);
    expect(ttmTtBackup(t.bdev, tt, { purge: false, writeback: false })).toBe(4);
    t.global.swap.interruptAfterReads = 1;
    expect(runSync(t.env, ttmTtRestore(t.bdev, tt, intrCtx()))).toBe(-EINTR);
    expect(tt.isBackedUp()).toBe(true);
    expect(runSync(t.env, ttmTtRestore(t.bdev, tt, intrCtx()))).toBe(0);
    expect(tt.isBackedUp()).toBe(false);
    expect(contents(t, tt)).toEqual(data);
  });

  test('ttm_tt_clear_backed_up: purged tt → the driver forgets it and populate allocates fresh pages', () => {
    const t = world({ funcs: xeFuncs });
    const { tt } = shrinkableTt(t, 2);
    expect(ttmTtBackup(t.bdev, tt, { purge: true, writeback: false })).toBe(2);
    expect(slotKinds(tt)).toEqual(['null', 'null']);
    ttmTtClearBackedUp(tt);
    expect(tt.isBackedUp()).toBe(false);
    expect(populate(t, tt)).toBe(0);
    expect(slotKinds(tt)).toEqual(['page', 'page']);
  });

  test('ttm_tt_setup_backup: not EXTERNAL_MAPPABLE → -EINVAL; shmem creation fails → -ENOMEM; a second call replaces the file', () => {
    const t = world();
    const { tt: plain } = newTt(t, 1);
    expect(ttmTtSetupBackup(plain)).toBe(-EINVAL);
    expect(plain.backup).toBeNull();
    const { tt } = shrinkableTt(t, 1);
    const first = tt.backup!;
    t.global.swap.failNextCreates = 1;
    expect(ttmTtSetupBackup(tt)).toBe(-ENOMEM);
    expect(tt.backup).toBe(first);
    expect(ttmTtSetupBackup(tt)).toBe(0);
    expect(tt.backup).not.toBe(first);
    expect(first.released).toBe(true);
  });
});

describe('ttm_tt fini, destroy, caching', () => {
  test('ttm_tt_fini: swapped tt → swap storage released', () => {
    const t = world();
    const { tt } = newTt(t, 3);
    expect(populate(t, tt)).toBe(0);
    expect(ttmTtSwapout(t.bdev, tt)).toBe(3);
    ttmTtFini(tt);
    expect(t.global.swap.usedPages).toBe(0);
    expect(tt.swapStorage).toBeNull();
  });

  test('ttm_tt_fini: partially backed-up tt → handles dropped, resident pages freed, backup file released', () => {
    const t = world({ swapPages: 2 });
    const { tt } = shrinkableTt(t, 5);
    expect(ttmTtBackup(t.bdev, tt, { purge: false, writeback: false })).toBe(2);
    const file = tt.backup!;
    ttmTtFini(tt);
    expect(t.global.swap.drops).toBe(2);
    expect(t.global.ram.usedPages).toBe(0);
    expect(file.released).toBe(true);
    expect(tt.backup).toBeNull();
  });

  test('ttm_tt_destroy: populated uncached tt → unpopulated, every frame back (after the pool shrinker), uncounted', () => {
    const t = world();
    const { tt } = newTt(t, 5, 'uncached');
    expect(populate(t, tt)).toBe(0);
    ttmTtDestroy(t.bdev, tt);
    expect(tt.destroyed).toBe(true);
    expect(t.global.ttmPagesAllocated).toBe(0);
    expect(t.global.poolMgr.allocatedPages).toBe(5);
    t.global.poolMgr.pagePoolSize = 0;
    const { tt: other } = newTt(t, 1, 'cached');
    expect(populate(t, other)).toBe(0);
    ttmTtDestroy(t.bdev, other);
    expect(t.global.ram.usedPages).toBe(0);
    expect(() => ttmTtDestroy(t.bdev, tt)).toThrow(/destroyed twice/);
  });

  test('ttm_tt caching: fixed while populated (model refuses the change), free to change when unpopulated', () => {
    const t = world();
    const { tt } = newTt(t, 1, 'cached');
    ttmTtSetCaching(tt, 'write_combined');
    expect(tt.caching).toBe('write_combined');
    expect(populate(t, tt)).toBe(0);
    expect(() => ttmTtSetCaching(tt, 'uncached')).toThrow(/caching change/);
    ttmTtUnpopulate(t.bdev, tt);
    ttmTtSetCaching(tt, 'uncached');
    expect(tt.caching).toBe('uncached');
  });
});
