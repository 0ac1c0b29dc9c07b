// Shared fixtures of the page-model tests (pool, backup, tt, swap): a test device in a world with a chosen
// RAM and swap size, tts on KUnit BOs, page contents written and read frame by frame, and an xe-like
// driver whose tts are EXTERNAL | EXTERNAL_MAPPABLE with a backup file and whose populate restores a
// backed-up tt.

import { expect } from 'vitest';
import { BackupHandle, SwapSpace } from '../../src/kernel/backup.ts';
import type { BufferObject } from '../../src/kernel/bo.ts';
import {
  type Caching,
  TTM_TT_FLAG_EXTERNAL,
  TTM_TT_FLAG_EXTERNAL_MAPPABLE,
} from '../../src/kernel/constants.ts';
import { type DeviceFuncs, TtmGlobal } from '../../src/kernel/device.ts';
import type { KGen } from '../../src/kernel/env.ts';
import { type OperationCtx, operationCtx } from '../../src/kernel/placement.ts';
import { ttmPoolAlloc } from '../../src/kernel/pool.ts';
import { pageContent, Ram } from '../../src/kernel/ram.ts';
import { runSync, SyncEnv } from '../../src/kernel/sync.ts';
import {
  type Tt,
  ttmSgTtInit,
  ttmTtClearBackedUp,
  ttmTtInit,
  ttmTtPopulate,
  ttmTtRestore,
  ttmTtSetupBackup,
} from '../../src/kernel/tt.ts';
import { kunitBo, type TestDevice, testDevice, ttmDevFuncs } from '../kunit/fixtures.ts';

export interface WorldOpts {
  readonly ramPages?: number;
  readonly swapPages?: number;
  readonly funcs?: DeviceFuncs;
}

/** A KUnit test device in a world of `ramPages` frames and `swapPages` swap slots. */
export function world(opts: WorldOpts = {}): TestDevice {
  const global = new TtmGlobal(new Ram(opts.ramPages ?? 4096), new SwapSpace(opts.swapPages ?? 4096));
  return testDevice(opts.funcs ?? ttmDevFuncs, new SyncEnv(), global);
}

/** An interruptible ctx, as KUnit's simple_ctx. */
export function intrCtx(): OperationCtx {
  return operationCtx({ interruptible: true });
}

/** A tt of `pages` pages over a fresh KUnit BO (ttm_tt_init, or ttm_sg_tt_init with a dma_address array). */
export function newTt(
  t: TestDevice,
  pages: number,
  caching: Caching = 'cached',
  flags = 0,
  withDma = false,
): { bo: BufferObject; tt: Tt } {
  const bo = kunitBo(t, pages * 4096);
  const tt = withDma ? ttmSgTtInit(bo, flags, caching) : ttmTtInit(bo, flags, caching, 0);
  return { bo, tt };
}

/** The frames of a tt's page array (throws on a handle or a hole). */
export function frames(tt: Tt): number[] {
  return (tt.pages ?? []).map((p, i) => {
    if (typeof p !== 'number') throw new Error(`${tt.id}: slot ${i} holds no page`);
    return p;
  });
}

/** Write owner-specific content into every page of a populated tt; returns it per page index. */
export function fill(t: TestDevice, tt: Tt, owner: string, version = 0): number[] {
  const ram = t.global.ram;
  return frames(tt).map((pfn, i) => {
    const v = pageContent(owner, i, version);
    ram.write(pfn, v);
    return v;
  });
}

/** The content of every page of a populated tt, frame by frame. */
export function contents(t: TestDevice, tt: Tt): number[] {
  return frames(tt).map((pfn) => t.global.ram.read(pfn));
}

/** What each slot of a tt holds: 'page', 'handle' or 'null'. */
export function slotKinds(tt: Tt): string[] {
  return (tt.pages ?? []).map((p) => (p instanceof BackupHandle ? 'handle' : p === null ? 'null' : 'page'));
}

/** ttm_pool_alloc on one thread. */
export function poolAlloc(t: TestDevice, tt: Tt, ctx: OperationCtx = intrCtx()): number {
  return runSync(t.env, ttmPoolAlloc(t.bdev.pool, tt, ctx));
}

/** ttm_tt_populate on one thread. */
export function populate(t: TestDevice, tt: Tt | null, ctx: OperationCtx = operationCtx()): number {
  return runSync(t.env, ttmTtPopulate(t.bdev, tt, ctx));
}

/** xe_ttm_tt_populate: restore a backed-up tt, else forget a purge and allocate. */
function* xeTtPopulate(
  bdev: Parameters<NonNullable<DeviceFuncs['ttmTtPopulate']>>[0],
  tt: Tt,
  ctx: OperationCtx,
): KGen<number> {
  if (tt.isBackedUp()) return yield* ttmTtRestore(bdev, tt, ctx);
  ttmTtClearBackedUp(tt);
  return yield* ttmPoolAlloc(bdev.pool, tt, ctx);
}

/** An xe-like driver: EXTERNAL | EXTERNAL_MAPPABLE tts (not counted, shrinkable) restored by populate. */
export const xeFuncs: DeviceFuncs = {
  ...ttmDevFuncs,
  ttmTtCreate: (bo, pageFlags) => {
    const tt = ttmTtInit(bo, pageFlags | TTM_TT_FLAG_EXTERNAL | TTM_TT_FLAG_EXTERNAL_MAPPABLE, 'cached', 0);
    expect(ttmTtSetupBackup(tt)).toBe(0);
    return tt;
  },
  ttmTtPopulate: xeTtPopulate,
};

/** A shrinkable (EXTERNAL | EXTERNAL_MAPPABLE) tt with a backup file, populated and filled. */
export function shrinkableTt(
  t: TestDevice,
  pages: number,
  caching: Caching = 'cached',
): { bo: BufferObject; tt: Tt; data: number[] } {
  const { bo, tt } = newTt(t, pages, caching, TTM_TT_FLAG_EXTERNAL | TTM_TT_FLAG_EXTERNAL_MAPPABLE);
  expect(ttmTtSetupBackup(tt)).toBe(0);
  expect(populate(t, tt)).toBe(0);
  const data = fill(t, tt, bo.id);
  return { bo, tt, data };
}
