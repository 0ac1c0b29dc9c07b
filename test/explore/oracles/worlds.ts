// Hand-built worlds the oracle tests break one rule at a time: an amdgpu-style simulated device with BOs
// in VRAM, TT, pinned, pooled pages and CPU mappings, and an xe-style device with a backed-up BO.

import { expect } from 'vitest';
import { SwapSpace } from '../../../src/kernel/backup.ts';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitValidate,
  ttmBoPin,
  ttmBoPopulate,
  ttmBoPut,
  ttmBoReserve,
  ttmBoUnreserve,
} from '../../../src/kernel/bo.ts';
import { type CpuMapping, ttmBoMmapObj, ttmBoVmFault } from '../../../src/kernel/bo_vm.ts';
import { PAGE_SIZE, TTM_PL_SYSTEM, TTM_PL_TT, TTM_PL_VRAM } from '../../../src/kernel/constants.ts';
import { TtmGlobal } from '../../../src/kernel/device.ts';
import { operationCtx, place, placementOf } from '../../../src/kernel/placement.ts';
import { pageContent, Ram } from '../../../src/kernel/ram.ts';
import { createSimDevice, type SimDevice } from '../../../src/kernel/simdrv.ts';
import { ttmBoShrink } from '../../../src/kernel/swap.ts';
import { runSync, SyncEnv } from '../../../src/kernel/sync.ts';

const FIRST = { allowRetry: true, retryNowait: false, interruptible: true };

export interface AmdWorld {
  readonly env: SyncEnv;
  readonly global: TtmGlobal;
  readonly dev: SimDevice;
  /** Unpinned, in VRAM, mmapped with iomem PTEs. */
  readonly vramBo: BufferObject;
  /** In TT with a populated write-combined tt, mmapped with page PTEs. */
  readonly ttBo: BufferObject;
  /** Pinned in VRAM. */
  readonly pinned: BufferObject;
  readonly vramVma: CpuMapping;
  readonly ttVma: CpuMapping;
}

/** An amdgpu-style world: BOs in VRAM and TT, one pinned, two mmapped and faulted, WC pages pooled. */
export function amdWorld(): AmdWorld {
  const env = new SyncEnv();
  const global = new TtmGlobal(new Ram(1024), new SwapSpace(256));
  const dev = createSimDevice(env, global, 'device:0', {
    vramBytes: 64 * PAGE_SIZE,
    ttBytes: 64 * PAGE_SIZE,
    ttCaching: 'write_combined',
  });
  const make = (memType: number, pages: number): BufferObject => {
    const bo = newBufferObject(dev.bdev, pages * PAGE_SIZE);
    const ret = runSync(
      env,
      ttmBoInitValidate(dev.bdev, bo, 'device', placementOf(place(memType)), 1, false, null),
    );
    expect(ret).toBe(0);
    return bo;
  };
  const vramBo = make(TTM_PL_VRAM, 4);
  const ttBo = make(TTM_PL_TT, 4);
  const pinned = make(TTM_PL_VRAM, 2);
  expect(runSync(env, ttmBoReserve(pinned, false, true, null))).toBe(0);
  ttmBoPin(pinned);
  ttmBoUnreserve(pinned);
  // A TT BO put while idle: its write-combined pages go to the global WC pool, cleared.
  runSync(env, ttmBoPut(make(TTM_PL_TT, 2)));
  const vramVma = ttmBoMmapObj(vramBo) as CpuMapping;
  const ttVma = ttmBoMmapObj(ttBo) as CpuMapping;
  expect(runSync(env, ttmBoVmFault(vramVma, 0, FIRST))).toBe('NOPAGE');
  expect(runSync(env, ttmBoVmFault(ttVma, 0, FIRST))).toBe('NOPAGE');
  return { env, global, dev, vramBo, ttBo, pinned, vramVma, ttVma };
}

export interface XeWorld {
  readonly env: SyncEnv;
  readonly global: TtmGlobal;
  readonly bo: BufferObject;
}

/** An xe-style world: one 4-page BO in SYSTEM, populated, filled, then backed up by ttm_bo_shrink. */
export function xeWorld(): XeWorld {
  const env = new SyncEnv();
  const global = new TtmGlobal(new Ram(256), new SwapSpace(64));
  const dev = createSimDevice(env, global, 'device:0', {
    vramBytes: 16 * PAGE_SIZE,
    ttBytes: 16 * PAGE_SIZE,
    style: 'xe',
  });
  const bo = newBufferObject(dev.bdev, 4 * PAGE_SIZE);
  const sys = placementOf(place(TTM_PL_SYSTEM));
  expect(runSync(env, ttmBoInitValidate(dev.bdev, bo, 'device', sys, 1, false, null))).toBe(0);
  expect(runSync(env, ttmBoReserve(bo, false, true, null))).toBe(0);
  expect(runSync(env, ttmBoPopulate(bo, operationCtx()))).toBe(0);
  for (const [i, pfn] of (bo.ttm!.pages as number[]).entries())
    global.ram.write(pfn, pageContent(bo.id, i, 1));
  const flags = { purge: false, writeback: false, allowMove: true };
  expect(runSync(env, ttmBoShrink(operationCtx(), bo, flags))).toBe(4);
  ttmBoUnreserve(bo);
  return { env, global, bo };
}
