// Each rule of src/kernel/rules/ttm_pool.ts and ttm_device.ts broken on purpose, alone.

import { describe, expect, test } from 'vitest';
import { ttmBoMmapObj, ttmBoVmAccess, ttmBoVmReserve } from '../../../src/kernel/bo_vm.ts';
import { TTM_PL_TT, TTM_TT_FLAG_BACKED_UP } from '../../../src/kernel/constants.ts';
import { Device, TtmGlobal, ttmDeviceInit, ttmSetDriverManager } from '../../../src/kernel/device.ts';
import { EINVAL } from '../../../src/kernel/errno.ts';
import { place } from '../../../src/kernel/placement.ts';
import { ttmPoolAlloc, ttmPoolRestoreAndAlloc } from '../../../src/kernel/pool.ts';
import { ttmPoolBackup, ttmPoolDropBackedUp } from '../../../src/kernel/pool_backup.ts';
import {
  NUMA_NO_NODE,
  Pool,
  TTM_ALLOCATION_POOL_USE_DMA_ALLOC,
  ttmPoolMgrFini,
} from '../../../src/kernel/pool_type.ts';
import {
  RangeManager,
  ttmResourceManagerInit,
  ttmResourceManagerSetUsed,
} from '../../../src/kernel/resource.ts';
import { runSync, SyncEnv } from '../../../src/kernel/sync.ts';
import { kunitBo, PAGE_SIZE, ttmDevFuncs } from '../../kunit/fixtures.ts';
import { intrCtx, newTt, populate, world } from '../page_fixtures.ts';
import { expectBroken, placeBo } from './fixtures.ts';

describe('ttm_pool.c', () => {
  test('pool.alloc.unpopulated: the pool fills a tt that is populated already', () => {
    const t = world();
    const { tt } = newTt(t, 2);
    expect(populate(t, tt)).toBe(0);
    runSync(t.env, ttmPoolAlloc(t.bdev.pool, tt, intrCtx()));
    expectBroken(t.global, 'pool.alloc.unpopulated', tt.id);
  });

  test('pool.alloc.dma-needs-dev: a pool without a device fills DMA addresses', () => {
    const t = world();
    const pool = new Pool(null, NUMA_NO_NODE, 0, t.global, t.bdev);
    const { tt } = newTt(t, 1, 'cached', 0, true);
    runSync(t.env, ttmPoolAlloc(pool, tt, intrCtx()));
    expectBroken(t.global, 'pool.alloc.dma-needs-dev', tt.id);
  });

  test('pool.alloc.not-backed-up: ttm_pool_alloc of a backed-up tt → -EINVAL', () => {
    const t = world();
    const { tt } = newTt(t, 1);
    tt.pageFlags |= TTM_TT_FLAG_BACKED_UP;
    expect(runSync(t.env, ttmPoolAlloc(t.bdev.pool, tt, intrCtx()))).toBe(-EINVAL);
    expectBroken(t.global, 'pool.alloc.not-backed-up', tt.id);
  });

  test('pool.restore-and-alloc.backed-up: restore of a tt that was never backed up → -EINVAL', () => {
    const t = world();
    const { tt } = newTt(t, 1);
    expect(runSync(t.env, ttmPoolRestoreAndAlloc(t.bdev.pool, tt, intrCtx()))).toBe(-EINVAL);
    expectBroken(t.global, 'pool.restore-and-alloc.backed-up', tt.id);
  });

  test('pool.drop-backed-up.backed-up: drop of a tt that is not backed up', () => {
    const t = world();
    const { tt } = newTt(t, 1);
    ttmPoolDropBackedUp(tt);
    expectBroken(t.global, 'pool.drop-backed-up.backed-up', tt.id);
  });

  test('pool.drop-backed-up.caching-divide: an interrupted restore whose divide lies past its committed pages', () => {
    const t = world();
    const { tt } = newTt(t, 4);
    tt.pageFlags |= TTM_TT_FLAG_BACKED_UP;
    tt.restore = {
      pool: t.bdev.pool,
      snapshotAlloc: { pages: 1, cachingDivide: 3, dmaAddr: false, remainingPages: 3, ttCaching: 'cached' },
      allocedPage: 0,
      firstDma: 0,
      allocedPages: 1,
      restoredPages: 1,
      pageCaching: 'cached',
      order: 0,
    };
    ttmPoolDropBackedUp(tt);
    expectBroken(t.global, 'pool.drop-backed-up.caching-divide', tt.id);
    expect(t.global.ruleBroken?.message).toBe(
      "an interrupted restore's caching divide lies within the pages it has committed: divide 3, 1 pages committed",
    );
  });

  test('pool.backup.not-backed-up: ttm_pool_backup of a tt backed up already → -EINVAL', () => {
    const t = world();
    const { tt } = newTt(t, 1);
    tt.pageFlags |= TTM_TT_FLAG_BACKED_UP;
    expect(ttmPoolBackup(t.bdev.pool, tt, { purge: false, writeback: false })).toBe(-EINVAL);
    expectBroken(t.global, 'pool.backup.not-backed-up', tt.id);
  });

  test('pool.init.dma-alloc-needs-dev: a coherent-DMA pool without a device', () => {
    const t = world();
    new Pool(null, NUMA_NO_NODE, TTM_ALLOCATION_POOL_USE_DMA_ALLOC, t.global, t.bdev);
    expectBroken(t.global, 'pool.init.dma-alloc-needs-dev', t.bdev.id);
  });

  test('pool.mgr-fini.shrinker-list-empty: the global pools go while a device pool is still registered', () => {
    const t = world();
    new Pool({}, NUMA_NO_NODE, TTM_ALLOCATION_POOL_USE_DMA_ALLOC, t.global, t.bdev);
    ttmPoolMgrFini(t.global.poolMgr, t.global);
    expectBroken(t.global, 'pool.mgr-fini.shrinker-list-empty', 'pool');
  });
});

describe('ttm_device.c and ttm_bo_vm.c', () => {
  test('device.init.vma-manager: ttm_device_init without a vma offset manager → -EINVAL', () => {
    const g = new TtmGlobal();
    const bdev = new Device('device:9', new SyncEnv(), ttmDevFuncs);
    const ret = ttmDeviceInit(g, bdev, {
      dev: {},
      mapping: {},
      vmaManager: null,
      useDmaAlloc: false,
      useDma32: false,
    });
    expect(ret).toBe(-EINVAL);
    expect(g.ruleBroken?.rule.id).toBe('device.init.vma-manager');
    expect(g.ruleBroken?.actor).toBe('device:9');
  });

  test('bo-vm.reserve.returns: the lock wait claims success while another task holds the resv → 0 unreserved', () => {
    const t = world();
    const bo = kunitBo(t, PAGE_SIZE);
    expect(bo.resv.trylock('task:other')).toBe(true);
    const gen = ttmBoVmReserve(bo, { allowRetry: false, retryNowait: false, interruptible: true });
    expect(gen.next(0).value).toMatchObject({ kind: 'lock' });
    expect(gen.next(0)).toEqual({ done: true, value: null });
    expectBroken(t.global, 'bo-vm.reserve.returns', bo.id);
  });

  test('bo-vm.access-kmap.not-iomem: ttm_bo_vm_access of a TT BO whose manager has no tts (io memory)', () => {
    const t = world();
    const tt = new RangeManager(t.bdev, TTM_PL_TT, false, 1 << 20);
    ttmResourceManagerInit(tt, 1 << 20);
    ttmSetDriverManager(t.bdev, TTM_PL_TT, tt);
    ttmResourceManagerSetUsed(tt, true);
    const bo = kunitBo(t, PAGE_SIZE);
    placeBo(bo, place(TTM_PL_TT));
    const vma = ttmBoMmapObj(bo);
    if (typeof vma === 'number') throw new Error(`mmap ${vma}`);
    runSync(t.env, ttmBoVmAccess(vma, 0, 8, false, []));
    expectBroken(t.global, 'bo-vm.access-kmap.not-iomem', bo.id);
  });
});
