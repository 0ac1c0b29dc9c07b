// Port of drivers/gpu/drm/ttm/tests/ttm_resource_test.c (KUnit suite "ttm_resource"): 8 cases, one of
// them parameterised with 4 rows (11 Vitest tests). Suite init is ttm_test_devices_all: a DRM device and
// an initialised ttm device (SYSTEM manager only).

import { describe, expect, test } from 'vitest';
import type { BufferObject } from '../../src/kernel/bo.ts';
import { ttmBoPin, ttmBoUnpin } from '../../src/kernel/bo.ts';
import {
  TTM_MAX_BO_PRIORITY,
  TTM_NUM_MEM_TYPES,
  TTM_PL_FLAG_TOPDOWN,
  TTM_PL_SYSTEM,
  TTM_PL_VRAM,
} from '../../src/kernel/constants.ts';
import { ttmSetDriverManager } from '../../src/kernel/device.ts';
import { listEmpty, listIsSingular, listUnlinked } from '../../src/kernel/list.ts';
import { type Place, place } from '../../src/kernel/placement.ts';
import {
  lruResources,
  type ManagerFunc,
  Resource,
  ResourceManager,
  TTM_NUM_MOVE_FENCES,
  ttmResourceAlloc,
  ttmResourceFini,
  ttmResourceInit,
  ttmResourceManagerInit,
  ttmResourceManagerSetUsed,
  ttmResourceManagerUsage,
} from '../../src/kernel/resource.ts';
import { dmaResvLock } from '../../src/kernel/resv.ts';
import { runSync } from '../../src/kernel/sync.ts';
import { kunitBo, type TestDevice, testDevice } from './fixtures.ts';

const RES_SIZE = 4 * 1024; // SZ_4K
const SZ_16K = 16 * 1024;
const TTM_PRIV_DUMMY_REG = TTM_NUM_MEM_TYPES - 1;

interface ResourceCase {
  readonly description: string;
  readonly memType: number;
  readonly flags: number;
}

const ttmResourceCases: readonly ResourceCase[] = [
  { description: 'Init resource in TTM_PL_SYSTEM', memType: TTM_PL_SYSTEM, flags: 0 },
  { description: 'Init resource in TTM_PL_VRAM', memType: TTM_PL_VRAM, flags: 0 },
  { description: 'Init resource in a private placement', memType: TTM_PRIV_DUMMY_REG, flags: 0 },
  {
    description: 'Init resource in TTM_PL_SYSTEM, set placement flags',
    memType: TTM_PL_SYSTEM,
    flags: TTM_PL_FLAG_TOPDOWN,
  },
];

function noFunc(): never {
  throw new Error('ttm_resource_manager_mock_funcs has no callbacks');
}

/** ttm_resource_manager_mock_funcs = { }: every callback is NULL. */
const ttmResourceManagerMockFuncs: ManagerFunc = { alloc: noFunc, free: noFunc };

interface Mocks {
  readonly t: TestDevice;
  readonly bo: BufferObject;
  readonly place: Place;
}

/** ttm_resource_test_init (ttm_test_devices_all) + ttm_init_test_mocks: a 4 KiB BO and a place. */
function initTestMocks(memType: number, flags: number): Mocks {
  const t = testDevice();
  return { t, bo: kunitBo(t, RES_SIZE), place: place(memType, flags) };
}

/** ttm_init_test_manager: a 16 KiB manager with use_tt = false and no callbacks, registered and enabled. */
function initTestManager(t: TestDevice, memType: number): ResourceManager {
  const man = new ResourceManager(t.bdev, memType, false, 0, ttmResourceManagerMockFuncs);
  ttmResourceManagerInit(man, SZ_16K);
  ttmSetDriverManager(t.bdev, memType, man);
  ttmResourceManagerSetUsed(man, true);
  return man;
}

/** kunit_kzalloc(sizeof(struct ttm_resource)) for `bo` at `p`, filled in by ttm_resource_init. */
function newResource(t: TestDevice, bo: BufferObject, p: Place): Resource {
  return new Resource(`res:${t.env.nextId('res')}`, bo, p);
}

describe('ttm_resource', () => {
  test.each(ttmResourceCases)(
    'ttm_resource_init_basic: $description → fields set, usage += 4096, lru[prio] singular',
    (params) => {
      const { t, bo, place: p } = initTestMocks(params.memType, params.flags);
      if (params.memType > TTM_PL_SYSTEM) initTestManager(t, params.memType);

      const res = newResource(t, bo, p);
      const man = t.bdev.manager(p.memType)!;
      const expectedUsage = man.usage + RES_SIZE;

      expect(listEmpty(man.lru[bo.priority]!)).toBe(true);

      ttmResourceInit(bo, p, res);

      expect(res.start).toBe(0);
      expect(res.size).toBe(RES_SIZE);
      expect(res.memType).toBe(p.memType);
      expect(res.placement).toBe(p.flags);
      expect(res.bo).toBe(bo);

      expect(res.bus.addr).toBeNull();
      expect(res.bus.offset).toBe(0);
      expect(res.bus.isIomem).toBe(false);
      expect(res.bus.caching).toBe('cached');
      expect(man.usage).toBe(expectedUsage);

      expect(listIsSingular(man.lru[bo.priority]!)).toBe(true);
      expect(lruResources(man.lru[bo.priority]!)).toEqual([res]);

      ttmResourceFini(man, res);
    },
  );

  test('ttm_resource_init_pinned: resource of a pinned BO → on the unevictable list; unpin + fini → empty', () => {
    const { t, bo, place: p } = initTestMocks(TTM_PL_SYSTEM, 0);
    const man = t.bdev.manager(p.memType)!;

    const res = newResource(t, bo, p);
    expect(listEmpty(t.bdev.unevictable)).toBe(true);

    expect(runSync(t.env, dmaResvLock(bo.resv, null, false))).toBe(0);
    ttmBoPin(bo);
    ttmResourceInit(bo, p, res);
    expect(listIsSingular(t.bdev.unevictable)).toBe(true);
    expect(lruResources(t.bdev.unevictable)).toEqual([res]);
    expect(listEmpty(man.lru[bo.priority]!)).toBe(true);

    ttmBoUnpin(bo);
    ttmResourceFini(man, res);
    bo.resv.unlock();

    expect(listEmpty(t.bdev.unevictable)).toBe(true);
  });

  test('ttm_resource_fini_basic: init then fini → resource off every list, usage 0', () => {
    const { t, bo, place: p } = initTestMocks(TTM_PL_SYSTEM, 0);
    const man = t.bdev.manager(p.memType)!;

    const res = newResource(t, bo, p);
    ttmResourceInit(bo, p, res);
    expect(man.usage).toBe(RES_SIZE);
    ttmResourceFini(man, res);

    // list_empty(&res->lru.link): the node points at itself.
    expect(listUnlinked(res.lru)).toBe(true);
    expect(man.usage).toBe(0);
  });

  test('ttm_resource_manager_init_basic: 16 KiB manager → bdev, size, usage 0, 8 empty eviction-fence slots, LRUs empty', () => {
    const t = testDevice();
    const man = new ResourceManager(t.bdev, TTM_PL_VRAM, false, 0, ttmResourceManagerMockFuncs);

    ttmResourceManagerInit(man, SZ_16K);

    expect(man.bdev).toBe(t.bdev);
    expect(man.size).toBe(SZ_16K);
    expect(man.usage).toBe(0);
    // Since "drm/ttm: rework pipelined eviction fence handling": every one of the TTM_NUM_MOVE_FENCES
    // slots is NULL (the older form asserted man->move NULL and &man->move_lock not NULL; the simulator
    // has no spinlock to point at).
    expect(man.evictionFences.length).toBe(TTM_NUM_MOVE_FENCES);
    for (let i = 0; i < TTM_NUM_MOVE_FENCES; i += 1) expect(man.evictionFences[i]).toBeNull();
    expect(man.lru.length).toBe(TTM_MAX_BO_PRIORITY);
    for (let i = 0; i < TTM_MAX_BO_PRIORITY; i += 1) expect(listEmpty(man.lru[i]!)).toBe(true);
  });

  test('ttm_resource_manager_usage_basic: one 4 KiB resource in SYSTEM → usage 4096', () => {
    const { t, bo, place: p } = initTestMocks(TTM_PL_SYSTEM, TTM_PL_FLAG_TOPDOWN);

    const res = newResource(t, bo, p);
    const man = t.bdev.manager(p.memType)!;

    ttmResourceInit(bo, p, res);
    const actualUsage = ttmResourceManagerUsage(man);

    expect(actualUsage).toBe(RES_SIZE);

    ttmResourceFini(man, res);
    expect(ttmResourceManagerUsage(man)).toBe(0);
  });

  test('ttm_resource_manager_set_used_basic: SYSTEM manager in use → set_used(false) → not in use', () => {
    const t = testDevice();
    const man = t.bdev.manager(TTM_PL_SYSTEM)!;
    expect(man.useType).toBe(true);

    ttmResourceManagerSetUsed(man, false);
    expect(man.useType).toBe(false);
  });

  test('ttm_sys_man_alloc_basic: SYSTEM func->alloc → 0, 4 KiB resource in SYSTEM owned by the BO', () => {
    const memType = TTM_PL_SYSTEM;
    const { t, bo, place: p } = initTestMocks(memType, 0);

    const man = t.bdev.manager(memType)!;
    const ret = man.func.alloc(man, bo, p);

    // func->alloc returns 0 and the resource through its out parameter; here the resource itself.
    expect(ret).toBeInstanceOf(Resource);
    const res = ret as Resource;
    expect(res.size).toBe(RES_SIZE);
    expect(res.memType).toBe(memType);
    expect(res.bo).toBe(bo);

    ttmResourceFini(man, res);
  });

  test('ttm_sys_man_free_basic: SYSTEM func->free → lru[prio] empty, usage 0', () => {
    const memType = TTM_PL_SYSTEM;
    const { t, bo, place: p } = initTestMocks(memType, 0);

    const res = ttmResourceAlloc(bo, p);
    expect(res).toBeInstanceOf(Resource);

    const man = t.bdev.manager(memType)!;
    expect(lruResources(man.lru[bo.priority]!)).toEqual([res]);
    expect(man.usage).toBe(RES_SIZE);
    man.func.free(man, res as Resource);

    expect(listEmpty(man.lru[bo.priority]!)).toBe(true);
    expect(man.usage).toBe(0);
  });
});
