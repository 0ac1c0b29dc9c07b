// Page contents travel with moves: a GPU copy TT→VRAM, the VRAM→TT→SYSTEM bounce of an eviction, and a
// CPU copy between device memory and a tt keep every page's word; dropping the backing store does not.

import { describe, expect, test } from 'vitest';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitReserved,
  ttmBoUnreserve,
  ttmBoValidate,
} from '../../src/kernel/bo.ts';
import { ttmBoPipelineGutting } from '../../src/kernel/bo_util.ts';
import { TTM_PL_SYSTEM, TTM_PL_TT, TTM_PL_VRAM } from '../../src/kernel/constants.ts';
import { currentPlace, readPage, writePage } from '../../src/kernel/content.ts';
import { TtmGlobal } from '../../src/kernel/device.ts';
import { operationCtx, place, placementOf } from '../../src/kernel/placement.ts';
import { pageContent } from '../../src/kernel/ram.ts';
import { createSimDevice } from '../../src/kernel/simdrv.ts';
import { runSync, SyncEnv } from '../../src/kernel/sync.ts';

const PAGES = 4;

function setup() {
  const env = new SyncEnv();
  const dev = createSimDevice(env, new TtmGlobal(), 'device:0', { vramBytes: 64 * 4096, ttBytes: 64 * 4096 });
  const bo = newBufferObject(dev.bdev, PAGES * 4096);
  const ctx = operationCtx();
  expect(
    runSync(
      env,
      ttmBoInitReserved(dev.bdev, bo, 'device', placementOf(place(TTM_PL_TT)), 1, ctx, null, null, null),
    ),
  ).toBe(0);
  return { env, dev, bo };
}

function fill(bo: BufferObject): number[] {
  const where = currentPlace(bo)!;
  return Array.from({ length: PAGES }, (_, i) => {
    const word = pageContent(bo.id, i, 1);
    expect(writePage(bo, where, i, word)).toBe(true);
    return word;
  });
}

function contents(bo: BufferObject): (number | null)[] {
  const where = currentPlace(bo)!;
  return Array.from({ length: PAGES }, (_, i) => readPage(bo, where, i));
}

describe('page contents across moves (simulated amdgpu-like driver)', () => {
  test('ttm_bo_validate TT → VRAM (GPU copy) → SYSTEM (bounce through TT): every page keeps its word', () => {
    const { env, bo } = setup();
    const words = fill(bo);
    expect(runSync(env, ttmBoValidate(bo, placementOf(place(TTM_PL_VRAM)), operationCtx()))).toBe(0);
    expect(bo.resource!.memType).toBe(TTM_PL_VRAM);
    // The GPU copy moves the data when its job runs: nothing has arrived before its fence signals.
    expect(env.submitted.length).toBe(1);
    expect(contents(bo)).toEqual([0, 0, 0, 0]);
    env.submitted[0]!.signal();
    expect(contents(bo)).toEqual(words);
    const ctx = operationCtx();
    // The bounce's copy to TT runs when its fence signals, before the unbind to SYSTEM (which waits).
    const signalCopies = {
      onFenceWait: (fs: readonly { signal(): boolean }[]) => {
        for (const f of fs) f.signal();
      },
    };
    expect(runSync(env, ttmBoValidate(bo, placementOf(place(TTM_PL_SYSTEM)), ctx), signalCopies)).toBe(0);
    expect(bo.resource!.memType).toBe(TTM_PL_SYSTEM);
    expect(ctx.bytesMoved).toBe(2 * PAGES * 4096);
    for (const f of env.submitted) f.signal();
    expect(contents(bo)).toEqual(words);
    ttmBoUnreserve(bo);
  });

  test('ttm_bo_pipeline_gutting of an idle BO: the resource is gone and the tt is unpopulated (no data)', () => {
    const { env, bo } = setup();
    fill(bo);
    const tt = bo.ttm!;
    expect(runSync(env, ttmBoPipelineGutting(bo))).toBe(0);
    expect(bo.resource).toBeNull();
    expect(tt.isPopulated()).toBe(false);
    expect(
      Array.from({ length: PAGES }, (_, i) => readPage(bo, { res: { memType: TTM_PL_TT } as never, tt }, i)),
    ).toEqual([null, null, null, null]);
    ttmBoUnreserve(bo);
  });
});
