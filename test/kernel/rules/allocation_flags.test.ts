// Tests of src/kernel/rules/allocation_flags.ts: ttm_device_init's pool uses DMA allocations and DMA32
// exactly as the driver asked (device.init.pool-flags). Every combination holds on the model; a pool whose
// flags say otherwise breaks exactly that rule, recorded with its id, actor and message.

import { describe, expect, test } from 'vitest';
import { SwapSpace } from '../../../src/kernel/backup.ts';
import { Device, TtmGlobal, ttmDeviceInit } from '../../../src/kernel/device.ts';
import { NUMA_NO_NODE, Pool, TTM_ALLOCATION_POOL_USE_DMA32 } from '../../../src/kernel/pool_type.ts';
import { Ram } from '../../../src/kernel/ram.ts';
import { ALLOCATION_FLAG_RULES, postDevicePoolFlags } from '../../../src/kernel/rules/allocation_flags.ts';
import { KERNEL_RULES } from '../../../src/kernel/rules.ts';
import { SyncEnv } from '../../../src/kernel/sync.ts';
import { ttmDevFuncs } from '../../kunit/fixtures.ts';
import { expectBroken, expectNoneBroken } from './fixtures.ts';

function device(useDmaAlloc: boolean, useDma32: boolean) {
  const env = new SyncEnv();
  const global = new TtmGlobal(new Ram(256), new SwapSpace(0));
  const bdev = new Device(`device:${env.nextId('device')}`, env, ttmDevFuncs);
  const ret = ttmDeviceInit(global, bdev, {
    dev: {},
    mapping: {},
    vmaManager: { nodes: 0 },
    useDmaAlloc,
    useDma32,
  });
  expect(ret).toBe(0);
  return { global, bdev };
}

describe('ALLOCATION_FLAG_RULES', () => {
  test('one return check with one-line upstream text, in KERNEL_RULES', () => {
    expect(ALLOCATION_FLAG_RULES.map((r) => [r.id, r.when])).toEqual([['device.init.pool-flags', 'return']]);
    for (const r of ALLOCATION_FLAG_RULES) {
      expect(KERNEL_RULES).toContain(r);
      for (const u of r.upstream) expect(u.text).not.toContain('\n');
    }
  });
});

describe('device.init.pool-flags', () => {
  test('each of the four combinations of use_dma_alloc and use_dma32 gives a pool that uses exactly those', () => {
    for (const dmaAlloc of [false, true]) {
      for (const dma32 of [false, true]) {
        const { global, bdev } = device(dmaAlloc, dma32);
        expect([bdev.pool.useDmaAlloc, bdev.pool.useDma32]).toEqual([dmaAlloc, dma32]);
        expectNoneBroken(global);
      }
    }
  });

  test('a device that asked for coherent DMA allocations only, with a DMA32 pool', () => {
    const { global, bdev } = device(true, false);
    bdev.pool = new Pool({}, NUMA_NO_NODE, TTM_ALLOCATION_POOL_USE_DMA32, global, bdev);
    postDevicePoolFlags(global, bdev, true, false);
    expectBroken(global, 'device.init.pool-flags', bdev.id);
    expect(global.ruleBroken?.message).toBe(
      "after ttm_device_init the device's pool uses coherent DMA allocations exactly when the driver asked for use_dma_alloc, and GFP_DMA32 exactly when it asked for use_dma32: asked use_dma_alloc true, use_dma32 false; the pool (alloc_flags 0x200) uses DMA alloc false, DMA32 true",
    );
  });
});
