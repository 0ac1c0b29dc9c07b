// Rules about the TTM_ALLOCATION_* flags (include/drm/ttm/ttm_allocation.h) a driver gives
// ttm_device_init: each pool flag is a bit of its own, so the pool ttm_device_init sets up uses coherent
// DMA allocations exactly when the driver asked for them and GFP_DMA32 exactly when it asked for that
// (ttm_pool_internal.h reads each from pool->alloc_flags). Checked where src/kernel/device.ts mirrors
// ttm_device_init.

import type { Device, TtmGlobal } from '../device.ts';
import { type KernelRule, kernelRule, warnOn } from './check.ts';

export const DEVICE_INIT_POOL_FLAGS = kernelRule(
  'device.init.pool-flags',
  'return',
  "after ttm_device_init the device's pool uses coherent DMA allocations exactly when the driver asked for use_dma_alloc, and GFP_DMA32 exactly when it asked for use_dma32",
  [
    {
      file: 'drivers/gpu/drm/ttm/ttm_device.c',
      func: 'ttm_device_init',
      text: 'ttm_pool_init(&bdev->pool, dev, use_dma_alloc, use_dma32);',
    },
    {
      file: 'drivers/gpu/drm/ttm/ttm_pool_internal.h',
      func: 'ttm_pool_uses_dma_alloc',
      text: 'return pool->alloc_flags & TTM_ALLOCATION_POOL_USE_DMA_ALLOC;',
    },
    {
      file: 'drivers/gpu/drm/ttm/ttm_pool_internal.h',
      func: 'ttm_pool_uses_dma32',
      text: 'return pool->alloc_flags & TTM_ALLOCATION_POOL_USE_DMA32;',
    },
  ],
);

/** device.init.pool-flags once ttm_device_init set up `bdev`'s pool for a driver that asked as given. */
export function postDevicePoolFlags(
  g: TtmGlobal,
  bdev: Device,
  useDmaAlloc: boolean,
  useDma32: boolean,
): void {
  const pool = bdev.pool;
  const got = [pool.useDmaAlloc, pool.useDma32];
  const broken = got[0] !== useDmaAlloc || got[1] !== useDma32;
  warnOn(
    g,
    DEVICE_INIT_POOL_FLAGS,
    broken,
    bdev.id,
    broken
      ? `asked use_dma_alloc ${useDmaAlloc}, use_dma32 ${useDma32}; the pool (alloc_flags 0x${pool.allocFlags.toString(16)}) uses DMA alloc ${got[0]}, DMA32 ${got[1]}`
      : '',
  );
}

/** The rules of this module. */
export const ALLOCATION_FLAG_RULES: readonly KernelRule[] = [DEVICE_INIT_POOL_FLAGS];
