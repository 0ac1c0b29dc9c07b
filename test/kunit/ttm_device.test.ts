// Port of drivers/gpu/drm/ttm/tests/ttm_device_test.c (KUnit suite "ttm_device"): 5 cases, one of them
// parameterised with 4 rows (8 Vitest tests). Suite init is ttm_test_devices_init: a DRM device only, each
// case initialises its own ttm devices.

import { describe, expect, test } from 'vitest';
import { NR_PAGE_ORDERS, TTM_PL_SYSTEM } from '../../src/kernel/constants.ts';
import { ttmDeviceFini } from '../../src/kernel/device.ts';
import { EINVAL } from '../../src/kernel/errno.ts';
import { listEmpty } from '../../src/kernel/list.ts';
import {
  CACHINGS,
  TTM_ALLOCATION_POOL_USE_DMA_ALLOC,
  TTM_ALLOCATION_POOL_USE_DMA32,
} from '../../src/kernel/pool_type.ts';
import { sysManagerFunc } from '../../src/kernel/resource.ts';
import { newTtmDevice, testDevicesBasic, ttmDevFuncs, ttmDeviceKunitInit } from './fixtures.ts';

interface DeviceCase {
  readonly description: string;
  readonly allocFlags: number;
  readonly poolsInitExpected: boolean;
}

const ttmDeviceCases: readonly DeviceCase[] = [
  { description: 'No DMA allocations, no DMA32 required', allocFlags: 0, poolsInitExpected: false },
  {
    description: 'DMA allocations, DMA32 required',
    allocFlags: TTM_ALLOCATION_POOL_USE_DMA_ALLOC | TTM_ALLOCATION_POOL_USE_DMA32,
    poolsInitExpected: true,
  },
  {
    description: 'No DMA allocations, DMA32 required',
    allocFlags: TTM_ALLOCATION_POOL_USE_DMA32,
    poolsInitExpected: false,
  },
  {
    description: 'DMA allocations, no DMA32 required',
    allocFlags: TTM_ALLOCATION_POOL_USE_DMA_ALLOC,
    poolsInitExpected: true,
  },
];

describe('ttm_device', () => {
  test('ttm_device_init_basic: init on a DRM device → 0, KUnit funcs, wq, enabled use_tt SYSTEM manager', () => {
    const priv = testDevicesBasic();
    const ttmDev = newTtmDevice(priv);

    expect(ttmDeviceKunitInit(priv, ttmDev, false, false)).toBe(0);

    expect(ttmDev.funcs).toBe(ttmDevFuncs);
    expect(ttmDev.wq).not.toBeNull();
    const sysMan = ttmDev.manager(TTM_PL_SYSTEM);
    expect(sysMan).not.toBeNull();
    expect(sysMan!.useTt).toBe(true);
    expect(sysMan!.useType).toBe(true);
    expect(sysMan!.func).toBe(sysManagerFunc);
    expect(ttmDev.devMapping).toBe(priv.drm.anonMapping);

    ttmDeviceFini(ttmDev);
  });

  test('ttm_device_init_multiple: three devices on one DRM device → 0 each, 3 on the global device list', () => {
    const priv = testDevicesBasic();
    const numDev = 3;
    const ttmDevs = Array.from({ length: numDev }, () => newTtmDevice(priv));

    for (const ttmDev of ttmDevs) {
      expect(ttmDeviceKunitInit(priv, ttmDev, false, false)).toBe(0);
      expect(ttmDev.devMapping).toBe(priv.drm.anonMapping);
      expect(ttmDev.wq).not.toBeNull();
      expect(ttmDev.funcs).toBe(ttmDevFuncs);
      expect(ttmDev.manager(TTM_PL_SYSTEM)).not.toBeNull();
    }

    // list_count_nodes(&ttm_devs[0].device_list): the other two devices plus the global list head.
    expect(priv.global.deviceList.length).toBe(numDev);
    expect(priv.global.deviceList).toEqual(ttmDevs);

    for (const ttmDev of ttmDevs) ttmDeviceFini(ttmDev);
    expect(priv.global.deviceList.length).toBe(0);
  });

  test('ttm_device_fini_basic: fini → SYSTEM manager disabled, lru[0] empty, man_drv[SYSTEM] NULL', () => {
    const priv = testDevicesBasic();
    const ttmDev = newTtmDevice(priv);
    expect(ttmDeviceKunitInit(priv, ttmDev, false, false)).toBe(0);

    const man = ttmDev.manager(TTM_PL_SYSTEM);
    expect(man).not.toBeNull();
    expect(man!.useType).toBe(true);

    ttmDeviceFini(ttmDev);

    expect(man!.useType).toBe(false);
    expect(listEmpty(man!.lru[0]!)).toBe(true);
    expect(ttmDev.manager(TTM_PL_SYSTEM)).toBeNull();
  });

  test('ttm_device_init_no_vma_man: DRM device without a vma offset manager → -EINVAL', () => {
    const priv = testDevicesBasic();
    const ttmDev = newTtmDevice(priv);

    // Let's pretend there's no VMA manager allocated.
    const vmaMan = priv.drm.vmaOffsetManager;
    priv.drm.vmaOffsetManager = null;

    expect(ttmDeviceKunitInit(priv, ttmDev, false, false)).toBe(-EINVAL);
    // The early return leaves the device untouched and off the device list.
    expect(ttmDev.manager(TTM_PL_SYSTEM)).toBeNull();
    expect(ttmDev.wq).toBeNull();
    expect(priv.global.deviceList.length).toBe(0);

    // Bring the manager back for a graceful cleanup.
    priv.drm.vmaOffsetManager = vmaMan;
  });

  test.each(ttmDeviceCases)(
    'ttm_device_init_pools: $description → pool on the device with these alloc_flags',
    (params) => {
      const priv = testDevicesBasic();
      const ttmDev = newTtmDevice(priv);

      const err = ttmDeviceKunitInit(
        priv,
        ttmDev,
        (params.allocFlags & TTM_ALLOCATION_POOL_USE_DMA_ALLOC) !== 0,
        (params.allocFlags & TTM_ALLOCATION_POOL_USE_DMA32) !== 0,
      );
      expect(err).toBe(0);

      const pool = ttmDev.pool;
      expect(pool.dev).toBe(priv.dev);
      expect(pool.allocFlags).toBe(params.allocFlags);

      for (const [i, caching] of CACHINGS.entries()) {
        for (let j = 0; j < NR_PAGE_ORDERS; j += 1) {
          const pt = pool.caching[i]!.orders[j] ?? null;
          if (params.poolsInitExpected) {
            expect(pt).not.toBeNull();
            expect(pt!.pool).toBe(pool);
            expect(pt!.caching).toBe(caching);
            expect(pt!.order).toBe(j);
            // The C test checks list_empty() on a struct copy, i.e. that the page list head was
            // initialised; here: the type's free-page list exists and holds nothing yet.
            if (pool.useDmaAlloc) expect(pt!.pages).toEqual([]);
          } else {
            // Without DMA allocations and without a NUMA node no per-device pool type is initialised.
            expect(pt).toBeNull();
          }
        }
      }

      ttmDeviceFini(ttmDev);
    },
  );
});
