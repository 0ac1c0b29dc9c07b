// The TTM_ALLOCATION_* flags of include/drm/ttm/ttm_allocation.h (src/kernel/allocation.ts): their values,
// ttm_device_init keeping them in ttm_device's alloc_flags and handing them to the device's pool,
// ttm_bo_validate's -ENOSPC with TTM_ALLOCATION_PROPAGATE_ENOSPC (-ENOMEM without), and the direct
// reclaim ttm_pool_alloc_page allows each order under a pool's beneficial order.

import { describe, expect, test } from 'vitest';
import {
  TTM_ALLOCATION_POOL_BENEFICIAL_ORDER,
  TTM_ALLOCATION_POOL_USE_DMA_ALLOC,
  TTM_ALLOCATION_POOL_USE_DMA32,
  TTM_ALLOCATION_PROPAGATE_ENOSPC,
} from '../../src/kernel/allocation.ts';
import { SwapSpace } from '../../src/kernel/backup.ts';
import { newBufferObject, ttmBoInitReserved, ttmBoValidate } from '../../src/kernel/bo.ts';
import { MAX_PAGE_ORDER, PAGE_SIZE, TTM_PL_SYSTEM, TTM_PL_VRAM } from '../../src/kernel/constants.ts';
import { Device, TtmGlobal, ttmDeviceInit } from '../../src/kernel/device.ts';
import { ENOMEM, ENOSPC } from '../../src/kernel/errno.ts';
import { operationCtx, place, placementOf } from '../../src/kernel/placement.ts';
import { poolAllocReclaim, ttmPoolAlloc } from '../../src/kernel/pool.ts';
import { Ram } from '../../src/kernel/ram.ts';
import { runSync, SyncEnv } from '../../src/kernel/sync.ts';
import { mockManagerInit, ttmDevFuncs } from '../kunit/fixtures.ts';
import { frames, intrCtx, newTt } from './page_fixtures.ts';

/** A device of a world of `ramPages` frames, initialised with these extra TTM_ALLOCATION_* flags. */
function deviceWith(allocFlags: number | undefined, ramPages = 4096) {
  const env = new SyncEnv();
  const global = new TtmGlobal(new Ram(ramPages), new SwapSpace(0));
  const bdev = new Device(`device:${env.nextId('device')}`, env, ttmDevFuncs);
  const args = { dev: {}, mapping: {}, vmaManager: { nodes: 0 }, useDmaAlloc: false, useDma32: false };
  const ret = ttmDeviceInit(global, bdev, allocFlags === undefined ? args : { ...args, allocFlags });
  expect(ret).toBe(0);
  return { env, global, bdev, drm: { vmaOffsetManager: { nodes: 0 }, anonMapping: {} } };
}

/** A 2 MiB BO in SYSTEM validated into a 1 MiB VRAM mock manager: no place, nothing to evict. */
function validateTooBig(allocFlags: number | undefined): number {
  const t = deviceWith(allocFlags);
  mockManagerInit(t.bdev, TTM_PL_VRAM, 1 << 20);
  const bo = newBufferObject(t.bdev, 2 << 20);
  const init = runSync(
    t.env,
    ttmBoInitReserved(
      t.bdev,
      bo,
      'device',
      placementOf(place(TTM_PL_SYSTEM)),
      PAGE_SIZE,
      operationCtx(),
      null,
      null,
      () => {},
    ),
  );
  expect(init).toBe(0);
  const ret = runSync(t.env, ttmBoValidate(bo, placementOf(place(TTM_PL_VRAM)), operationCtx()));
  expect(bo.resource!.memType).toBe(TTM_PL_SYSTEM);
  bo.resv.unlock();
  return ret;
}

describe('TTM_ALLOCATION_* flags', () => {
  test('ttm_allocation.h values: BENEFICIAL_ORDER in the low byte, DMA_ALLOC BIT(8), DMA32 BIT(9), PROPAGATE_ENOSPC BIT(10)', () => {
    expect(TTM_ALLOCATION_POOL_BENEFICIAL_ORDER(9)).toBe(9);
    expect(TTM_ALLOCATION_POOL_BENEFICIAL_ORDER(0x109)).toBe(9);
    expect(TTM_ALLOCATION_POOL_USE_DMA_ALLOC).toBe(256);
    expect(TTM_ALLOCATION_POOL_USE_DMA32).toBe(512);
    expect(TTM_ALLOCATION_PROPAGATE_ENOSPC).toBe(1024);
  });

  test('ttm_device_init: alloc_flags kept on the device and given to its pool (beneficial order 9)', () => {
    const flags = TTM_ALLOCATION_PROPAGATE_ENOSPC | TTM_ALLOCATION_POOL_BENEFICIAL_ORDER(9);
    const t = deviceWith(flags);
    expect(t.bdev.allocFlags).toBe(1033);
    expect(t.bdev.pool.allocFlags).toBe(1033);
    expect(t.bdev.pool.beneficialOrder).toBe(9);
    expect(t.bdev.pool.useDmaAlloc).toBe(false);
    expect(t.bdev.pool.useDma32).toBe(false);
    const plain = deviceWith(undefined);
    expect(plain.bdev.allocFlags).toBe(0);
    expect(plain.bdev.pool.beneficialOrder).toBe(0);
  });

  test('ttm_bo_validate with no space even after evicting: -ENOMEM by default, -ENOSPC with PROPAGATE_ENOSPC', () => {
    expect(validateTooBig(undefined)).toBe(-ENOMEM);
    expect(validateTooBig(0)).toBe(-ENOMEM);
    expect(validateTooBig(TTM_ALLOCATION_POOL_BENEFICIAL_ORDER(9))).toBe(-ENOMEM);
    expect(validateTooBig(TTM_ALLOCATION_PROPAGATE_ENOSPC)).toBe(-ENOSPC);
  });

  test('ttm_pool_alloc_page direct reclaim by order: retry at 0, noretry above, none above the beneficial order', () => {
    const orders = Array.from({ length: MAX_PAGE_ORDER + 1 }, (_, i) => i);
    const none = deviceWith(undefined).bdev.pool;
    expect(orders.map((o) => poolAllocReclaim(none, o))).toEqual([
      'retry',
      ...Array<string>(MAX_PAGE_ORDER).fill('noretry'),
    ]);
    const amdgpu = deviceWith(TTM_ALLOCATION_POOL_BENEFICIAL_ORDER(9)).bdev.pool;
    expect(orders.map((o) => poolAllocReclaim(amdgpu, o))).toEqual([
      'retry',
      'noretry',
      'noretry',
      'noretry',
      'noretry',
      'noretry',
      'noretry',
      'noretry',
      'noretry',
      'noretry',
      'none',
    ]);
    // A beneficial order of 2: orders 3 and up lose __GFP_DIRECT_RECLAIM.
    const two = deviceWith(TTM_ALLOCATION_POOL_BENEFICIAL_ORDER(2)).bdev.pool;
    expect(orders.map((o) => poolAllocReclaim(two, o))).toEqual([
      'retry',
      'noretry',
      'noretry',
      ...Array<string>(MAX_PAGE_ORDER - 2).fill('none'),
    ]);
  });

  test('ttm_pool_alloc of 1,031 pages: the same blocks (orders 10, 2, 1, 0) with and without a beneficial order', () => {
    for (const flags of [
      undefined,
      TTM_ALLOCATION_POOL_BENEFICIAL_ORDER(9),
      TTM_ALLOCATION_POOL_BENEFICIAL_ORDER(2),
    ]) {
      const t = deviceWith(flags);
      const { tt } = newTt(t, 1031, 'cached');
      expect(runSync(t.env, ttmPoolAlloc(t.bdev.pool, tt, intrCtx()))).toBe(0);
      const ram = t.global.ram;
      const heads = frames(tt)
        .map((p, i) => [i, ram.getPrivate(p)] as const)
        .filter(([i]) => i === 0 || i === 1024 || i === 1028 || i === 1030);
      expect(heads).toEqual([
        [0, 10],
        [1024, 2],
        [1028, 1],
        [1030, 0],
      ]);
      expect(ram.usedPages).toBe(1031);
    }
  });
});
