// The swapout / shrink paths (src/kernel/swap.ts): ttm_bo_swapout's callback rules and error funnel,
// LRU and bulk-move placement of swapped BOs, ttm_device_swapout's manager order, ttm_global_swapout's
// round-robin, the page-limit swapout from ttm_tt_populate, and ttm_bo_shrink / _suitable / _avoid_wait.

import { describe, expect, test } from 'vitest';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitReserved,
  ttmBoPin,
  ttmBoPopulate,
  ttmBoReserve,
  ttmBoSetBulkMove,
  ttmBoUnreserve,
} from '../../src/kernel/bo.ts';
import {
  PAGE_SIZE,
  TTM_PL_SYSTEM,
  TTM_PL_TT,
  TTM_PL_VRAM,
  TTM_TT_FLAG_EXTERNAL,
  TTM_TT_FLAG_SWAPPED,
} from '../../src/kernel/constants.ts';
import type { DeviceFuncs } from '../../src/kernel/device.ts';
import { EBUSY, EINTR, EMULTIHOP, ENOMEM, ERESTARTSYS } from '../../src/kernel/errno.ts';
import { DmaFence } from '../../src/kernel/fence.ts';
import { type OperationCtx, operationCtx, place, placementOf } from '../../src/kernel/placement.ts';
import {
  LruBulkMove,
  listNameOf,
  ttmResourceAlloc,
  ttmResourceManagerSetUsed,
} from '../../src/kernel/resource.ts';
import { DmaResv, DmaResvUsage } from '../../src/kernel/resv.ts';
import {
  ttmBoShrink,
  ttmBoShrinkAvoidWait,
  ttmBoShrinkSuitable,
  ttmBoSwapout,
  ttmDeviceSwapout,
  ttmGlobalSwapout,
} from '../../src/kernel/swap.ts';
import { runSync, type SyncHooks } from '../../src/kernel/sync.ts';
import { kunitBo, mockManagerInit, type TestDevice, testDevice, ttmDevFuncs } from '../kunit/fixtures.ts';
import { contents, fill, newTt, populate, world, xeFuncs } from './page_fixtures.ts';

interface BoOpts {
  readonly memType?: number;
  readonly busy?: boolean;
  readonly bulk?: LruBulkMove;
  /** The shared resv of a bulk move's BOs (ttm_lru_bulk_move_add: one resv per range). */
  readonly resv?: DmaResv;
  readonly populated?: boolean;
}

/** A device BO validated into `memType` (default SYSTEM) with a populated, filled tt; unreserved. */
function placedBo(t: TestDevice, pages: number, opts: BoOpts = {}): { bo: BufferObject; data: number[] } {
  const bo = newBufferObject(t.bdev, pages * PAGE_SIZE);
  const ctx = operationCtx();
  const placement = placementOf(place(opts.memType ?? TTM_PL_SYSTEM));
  const resv = opts.resv ?? null;
  if (resv !== null) expect(resv.trylock(t.env.current())).toBe(true);
  expect(
    runSync(t.env, ttmBoInitReserved(t.bdev, bo, 'device', placement, PAGE_SIZE, ctx, null, resv, null)),
  ).toBe(0);
  if (opts.bulk !== undefined) ttmBoSetBulkMove(bo, opts.bulk);
  let data: number[] = [];
  if (opts.populated ?? true) {
    expect(runSync(t.env, ttmBoPopulate(bo, ctx))).toBe(0);
    data = fill(t, bo.ttm!, bo.id);
  }
  if (opts.busy) {
    expect(bo.resv.reserveFences(1)).toBe(0);
    bo.resv.addFence(new DmaFence(1000 + t.env.nextId('fence-ctx'), 1), DmaResvUsage.WRITE);
  }
  ttmBoUnreserve(bo);
  return { bo, data };
}

function swapout(
  t: TestDevice,
  memType = TTM_PL_SYSTEM,
  target = 1,
  ctx: OperationCtx = operationCtx(),
  hooks: SyncHooks = {},
): number {
  return runSync(t.env, ttmBoSwapout(t.bdev, ctx, t.bdev.manager(memType)!, target), hooks);
}

function lock(t: TestDevice, bo: BufferObject): void {
  expect(runSync(t.env, ttmBoReserve(bo, false, false, null))).toBe(0);
}

function isSwapped(bo: BufferObject): boolean {
  return (bo.ttm!.pageFlags & TTM_TT_FLAG_SWAPPED) !== 0;
}

describe('ttm_bo_swapout', () => {
  test('ttm_bo_swapout: populated idle SYSTEM BO → its 4 pages, SWAPPED with the content in swap, CPU mappings zapped, resource on unevictable', () => {
    const t = world();
    const { bo } = placedBo(t, 4);
    const unmaps = bo.unmapCount;
    expect(swapout(t)).toBe(4);
    expect(isSwapped(bo)).toBe(true);
    expect(bo.ttm!.isPopulated()).toBe(false);
    expect(bo.ttm!.swapStorage!.slots.size).toBe(4);
    expect(bo.unmapCount).toBe(unmaps + 1);
    expect(listNameOf(bo.resource!)).toBe('unevictable');
    expect(t.global.ram.usedPages).toBe(0);
    expect(t.global.ttmPagesAllocated).toBe(0);
    expect(bo.resv.isLocked()).toBe(false);
  });

  const skipRows: readonly { name: string; setup: (t: TestDevice) => BufferObject }[] = [
    {
      name: 'pinned',
      setup: (t) => {
        const { bo } = placedBo(t, 2);
        lock(t, bo);
        ttmBoPin(bo);
        ttmBoUnreserve(bo);
        return bo;
      },
    },
    {
      name: 'not eviction_valuable to the driver',
      setup: (t) => {
        t.bdev.funcs = { ...ttmDevFuncs, evictionValuable: () => false } satisfies DeviceFuncs;
        return placedBo(t, 2).bo;
      },
    },
    {
      name: 'without a tt',
      setup: (t) => {
        const bo = kunitBo(t, 2 * PAGE_SIZE);
        const res = ttmResourceAlloc(bo, place(TTM_PL_SYSTEM));
        if (typeof res === 'number') throw new Error('alloc');
        bo.resource = res;
        return bo;
      },
    },
    { name: 'with an unpopulated tt', setup: (t) => placedBo(t, 2, { populated: false }).bo },
    {
      name: 'with an EXTERNAL tt',
      setup: (t) => {
        const { bo } = placedBo(t, 2);
        bo.ttm!.pageFlags |= TTM_TT_FLAG_EXTERNAL;
        return bo;
      },
    },
    {
      name: 'already SWAPPED (its pages back without swapin)',
      setup: (t) => {
        const { bo } = placedBo(t, 2);
        bo.ttm!.pageFlags |= TTM_TT_FLAG_SWAPPED;
        return bo;
      },
    },
    {
      name: 'locked by another task (trylock only)',
      setup: (t) => {
        const { bo } = placedBo(t, 2);
        expect(bo.resv.trylock('task:other')).toBe(true);
        return bo;
      },
    },
  ];
  for (const row of skipRows) {
    test(`ttm_bo_swapout: BO ${row.name} → skipped (-EBUSY in the callback), 0 pages`, () => {
      const t = world();
      const bo = row.setup(t);
      const populated = bo.ttm?.isPopulated() ?? false;
      expect(swapout(t)).toBe(0);
      expect(bo.ttm?.isPopulated() ?? false).toBe(populated);
      expect(bo.ttm?.swapStorage ?? null).toBeNull();
    });
  }

  test('ttm_bo_swapout: zombie BO → cleaned up instead (tt and resource gone), counts its pages', () => {
    const t = world();
    const { bo } = placedBo(t, 3);
    bo.deleted = true;
    expect(swapout(t)).toBe(3);
    expect(bo.ttm).toBeNull();
    expect(bo.resource).toBeNull();
    expect(t.global.ram.usedPages).toBe(0);
    expect(t.global.swap.usedPages).toBe(0);
  });

  test('ttm_bo_swapout: BO in TT → moved to SYSTEM first (evict), then swapped out', () => {
    const t = world();
    const ttMan = mockManagerInit(t.bdev, TTM_PL_TT, 1 << 20);
    const { bo } = placedBo(t, 2, { memType: TTM_PL_TT });
    expect(swapout(t, TTM_PL_TT)).toBe(2);
    expect(bo.resource!.memType).toBe(TTM_PL_SYSTEM);
    expect(ttMan.usage).toBe(0);
    expect(isSwapped(bo)).toBe(true);
    expect(listNameOf(bo.resource!)).toBe('unevictable');
  });

  test('ttm_bo_swapout: BO in VRAM whose move to SYSTEM needs a hop → -EMULTIHOP (driver bug), SYSTEM resource freed, BO untouched', () => {
    const t = world();
    mockManagerInit(t.bdev, TTM_PL_VRAM, 1 << 20);
    const { bo } = placedBo(t, 2, { memType: TTM_PL_VRAM });
    expect(swapout(t, TTM_PL_VRAM)).toBe(-EMULTIHOP);
    expect(t.bdev.manager(TTM_PL_SYSTEM)!.usage).toBe(0);
    expect(bo.resource!.memType).toBe(TTM_PL_VRAM);
    expect(bo.ttm!.isPopulated()).toBe(true);
    // ttm_bo_swapout_cb: WARN(ret == -EMULTIHOP, "Unexpected multihop in swapout - likely driver bug.")
    expect(t.global.ruleBroken?.rule.id).toBe('bo.swapout.no-multihop');
    expect(t.global.ruleBroken?.actor).toBe(bo.id);
  });

  test('ttm_bo_swapout: busy BO with no_wait_gpu → skipped, 0; allowed to wait → waits, then swapped', () => {
    const t = world();
    const { bo } = placedBo(t, 2, { busy: true });
    expect(swapout(t, TTM_PL_SYSTEM, 1, operationCtx({ noWaitGpu: true }))).toBe(0);
    expect(bo.ttm!.isPopulated()).toBe(true);
    const hooks: SyncHooks = {
      onFenceWait: (fences) => {
        for (const f of fences) f.signal();
      },
    };
    expect(swapout(t, TTM_PL_SYSTEM, 1, operationCtx(), hooks)).toBe(2);
    expect(isSwapped(bo)).toBe(true);
  });

  test('ttm_bo_swapout: signal while waiting for a busy BO → -ERESTARTSYS ends the walk', () => {
    const t = world();
    placedBo(t, 2, { busy: true });
    expect(swapout(t, TTM_PL_SYSTEM, 1, operationCtx({ interruptible: true }), { signalPending: true })).toBe(
      -ERESTARTSYS,
    );
  });

  test('ttm_bo_swapout: swap space full → -ENOSPC counted as -EBUSY, 0; BO still populated and on its LRU', () => {
    const t = world({ swapPages: 1 });
    const { bo, data } = placedBo(t, 2);
    expect(swapout(t)).toBe(0);
    expect(bo.ttm!.isPopulated()).toBe(true);
    expect(contents(t, bo.ttm!)).toEqual(data);
    expect(listNameOf(bo.resource!)).toBe('lru0');
    expect(t.global.swap.usedPages).toBe(0);
  });

  test('ttm_bo_swapout: swapout fails for BOs of a bulk move → the walk ends (no endless revisit), LRU order and bulk range unchanged', () => {
    const t = world({ swapPages: 0 });
    const bulk = new LruBulkMove();
    const resv = new DmaResv('resv:vm', t.env);
    const a = placedBo(t, 1, { bulk, resv }).bo;
    const b = placedBo(t, 1, { bulk, resv }).bo;
    const pos = bulk.pos[TTM_PL_SYSTEM]![0]!;
    expect([pos.first, pos.last]).toEqual([a.resource, b.resource]);
    expect(swapout(t)).toBe(0);
    expect([pos.first, pos.last]).toEqual([a.resource, b.resource]);
  });

  test('ttm_bo_swapout: BO of a bulk move swapped → leaves the bulk range, goes to unevictable; ttm_bo_populate brings it back', () => {
    const t = world();
    const bulk = new LruBulkMove();
    const resv = new DmaResv('resv:vm', t.env);
    const a = placedBo(t, 2, { bulk, resv });
    const b = placedBo(t, 2, { bulk, resv });
    const pos = bulk.pos[TTM_PL_SYSTEM]![0]!;
    expect(swapout(t)).toBe(2);
    expect([pos.first, pos.last]).toEqual([b.bo.resource, b.bo.resource]);
    expect(listNameOf(a.bo.resource!)).toBe('unevictable');
    lock(t, a.bo);
    expect(runSync(t.env, ttmBoPopulate(a.bo, operationCtx()))).toBe(0);
    ttmBoUnreserve(a.bo);
    expect(contents(t, a.bo.ttm!)).toEqual(a.data);
    expect(listNameOf(a.bo.resource!)).toBe('lru0');
    expect([pos.first, pos.last]).toEqual([b.bo.resource, a.bo.resource]);
  });

  test('ttm_bo_swapout: target 5 pages, BOs of 2 → three BOs swapped (6 pages), LRU order', () => {
    const t = world();
    const bos = [1, 2, 3, 4].map(() => placedBo(t, 2).bo);
    expect(swapout(t, TTM_PL_SYSTEM, 5)).toBe(6);
    expect(bos.map(isSwapped)).toEqual([true, true, true, false]);
  });
});

describe('ttm_device_swapout and ttm_global_swapout', () => {
  test('ttm_device_swapout: one BO per call, SYSTEM manager before TT; 0 when nothing is left', () => {
    const t = world();
    mockManagerInit(t.bdev, TTM_PL_TT, 1 << 20);
    const inTt = placedBo(t, 3, { memType: TTM_PL_TT }).bo;
    const inSys = placedBo(t, 2).bo;
    const ctx = operationCtx();
    expect(runSync(t.env, ttmDeviceSwapout(t.bdev, ctx))).toBe(2);
    expect(isSwapped(inSys)).toBe(true);
    expect(runSync(t.env, ttmDeviceSwapout(t.bdev, ctx))).toBe(3);
    expect(isSwapped(inTt)).toBe(true);
    expect(runSync(t.env, ttmDeviceSwapout(t.bdev, ctx))).toBe(0);
  });

  test('ttm_global_swapout: devices in list order; the one that swapped moves to the tail (round-robin); 0 when none can', () => {
    const t0 = world();
    const t1 = testDevice(ttmDevFuncs, t0.env, t0.global);
    const list = t0.global.deviceList;
    expect(list).toEqual([t0.bdev, t1.bdev]);
    const b0 = [placedBo(t0, 1).bo, placedBo(t0, 1).bo];
    const b1 = placedBo(t1, 2).bo;
    const ctx = operationCtx();
    expect(runSync(t0.env, ttmGlobalSwapout(t0.global, ctx))).toBe(1);
    expect(isSwapped(b0[0]!)).toBe(true);
    expect(list).toEqual([t1.bdev, t0.bdev]);
    expect(runSync(t0.env, ttmGlobalSwapout(t0.global, ctx))).toBe(2);
    expect(isSwapped(b1)).toBe(true);
    expect(list).toEqual([t0.bdev, t1.bdev]);
    expect(runSync(t0.env, ttmGlobalSwapout(t0.global, ctx))).toBe(1);
    expect(list).toEqual([t1.bdev, t0.bdev]);
    // t1 has nothing left: t0 is tried next, has nothing either.
    expect(runSync(t0.env, ttmGlobalSwapout(t0.global, ctx))).toBe(0);
    expect(list).toEqual([t1.bdev, t0.bdev]);
  });

  test('ttm_tt_populate: over ttm_pages_limit → ttm_global_swapout swaps LRU-first BOs out until under it, then allocates', () => {
    const t = world();
    const a = placedBo(t, 2);
    const b = placedBo(t, 2);
    const c = placedBo(t, 2);
    expect(t.global.ttmPagesAllocated).toBe(6);
    t.global.ttmPagesLimit = 7;
    const { tt } = newTt(t, 4);
    expect(populate(t, tt)).toBe(0);
    // 10 > 7: a out (8), still > 7: b out (6).
    expect([a, b, c].map((x) => isSwapped(x.bo))).toEqual([true, true, false]);
    expect(t.global.ttmPagesAllocated).toBe(6);
    expect(tt.isPopulated()).toBe(true);
    // Their content comes back on the next populate.
    lock(t, a.bo);
    expect(runSync(t.env, ttmBoPopulate(a.bo, operationCtx()))).toBe(0);
    ttmBoUnreserve(a.bo);
    expect(contents(t, a.bo.ttm!)).toEqual(a.data);
  });
});

describe('ttm_bo_shrink', () => {
  function shrink(
    t: TestDevice,
    bo: BufferObject,
    flags: { purge?: boolean; allowMove?: boolean },
    ctx: OperationCtx = operationCtx(),
    hooks: SyncHooks = {},
  ): number {
    lock(t, bo);
    const ret = runSync(
      t.env,
      ttmBoShrink(ctx, bo, {
        purge: flags.purge ?? false,
        writeback: false,
        allowMove: flags.allowMove ?? true,
      }),
      hooks,
    );
    bo.resv.unlock();
    return ret;
  }

  test('ttm_bo_shrink: backup → page count, BACKED_UP, mappings zapped, on unevictable; populate (driver restore) → content back, back on the LRU', () => {
    const t = world({ funcs: xeFuncs });
    const { bo, data } = placedBo(t, 4);
    const unmaps = bo.unmapCount;
    expect(shrink(t, bo, {})).toBe(4);
    expect(bo.ttm!.isBackedUp()).toBe(true);
    expect(bo.unmapCount).toBe(unmaps + 1);
    expect(listNameOf(bo.resource!)).toBe('unevictable');
    expect(t.global.ram.usedPages).toBe(0);
    lock(t, bo);
    expect(runSync(t.env, ttmBoPopulate(bo, operationCtx()))).toBe(0);
    ttmBoUnreserve(bo);
    expect(contents(t, bo.ttm!)).toEqual(data);
    expect(listNameOf(bo.resource!)).toBe('lru0');
  });

  test('ttm_bo_shrink: purge → page count, frames freed, no swap used', () => {
    const t = world({ funcs: xeFuncs });
    const { bo } = placedBo(t, 3);
    expect(shrink(t, bo, { purge: true })).toBe(3);
    expect(t.global.ram.usedPages).toBe(0);
    expect(t.global.swap.usedPages).toBe(0);
  });

  test('ttm_bo_shrink: BO in TT with allow_move → validated to SYSTEM first, then backed up', () => {
    const t = world({ funcs: xeFuncs });
    const ttMan = mockManagerInit(t.bdev, TTM_PL_TT, 1 << 20);
    const { bo } = placedBo(t, 2, { memType: TTM_PL_TT });
    expect(shrink(t, bo, {})).toBe(2);
    expect(bo.resource!.memType).toBe(TTM_PL_SYSTEM);
    expect(ttMan.usage).toBe(0);
  });

  test('ttm_bo_shrink: the move to SYSTEM finds no space (-ENOMEM) → -EBUSY, nothing backed up', () => {
    const t = world({ funcs: xeFuncs });
    mockManagerInit(t.bdev, TTM_PL_TT, 1 << 20);
    const { bo } = placedBo(t, 2, { memType: TTM_PL_TT });
    ttmResourceManagerSetUsed(t.bdev.manager(TTM_PL_SYSTEM)!, false);
    expect(shrink(t, bo, {})).toBe(-EBUSY);
    expect(bo.ttm!.isPopulated()).toBe(true);
  });

  test('ttm_bo_shrink: backup fails on the first page (-ENOMEM) → -EBUSY; a signal (-EINTR) is passed through', () => {
    const t = world({ funcs: xeFuncs });
    const { bo } = placedBo(t, 2);
    t.global.swap.failWrites.push(-ENOMEM);
    expect(shrink(t, bo, {})).toBe(-EBUSY);
    t.global.swap.failWrites.push(-EINTR);
    expect(shrink(t, bo, {})).toBe(-EINTR);
    expect(bo.ttm!.isPopulated()).toBe(true);
    expect(listNameOf(bo.resource!)).toBe('lru0');
  });

  test('ttm_bo_shrink: tt without a backup file → 0 (the kernel WARNs), nothing done', () => {
    const t = world();
    const { bo } = placedBo(t, 2);
    expect(shrink(t, bo, {})).toBe(0);
    expect(bo.ttm!.isPopulated()).toBe(true);
  });

  test('ttm_bo_shrink: busy BO, wait interrupted → -ERESTARTSYS; no_wait_gpu → -EBUSY', () => {
    const t = world({ funcs: xeFuncs });
    const { bo } = placedBo(t, 2, { busy: true });
    expect(shrink(t, bo, {}, operationCtx({ interruptible: true }), { signalPending: true })).toBe(
      -ERESTARTSYS,
    );
    expect(shrink(t, bo, {}, operationCtx({ noWaitGpu: true }))).toBe(-EBUSY);
    expect(bo.ttm!.isPopulated()).toBe(true);
  });

  test('ttm_bo_shrink_suitable: populated idle → true; unpopulated, pinned, no tt → false; busy → only when the GPU may be waited for', () => {
    const t = world();
    const idle = placedBo(t, 1).bo;
    const busy = placedBo(t, 1, { busy: true }).bo;
    const unpopulated = placedBo(t, 1, { populated: false }).bo;
    const pinned = placedBo(t, 1).bo;
    lock(t, pinned);
    ttmBoPin(pinned);
    ttmBoUnreserve(pinned);
    const noTt = kunitBo(t, PAGE_SIZE);
    const wait = operationCtx();
    const noWait = operationCtx({ noWaitGpu: true });
    expect(ttmBoShrinkSuitable(idle, noWait)).toBe(true);
    expect(ttmBoShrinkSuitable(unpopulated, wait)).toBe(false);
    expect(ttmBoShrinkSuitable(pinned, wait)).toBe(false);
    expect(ttmBoShrinkSuitable(noTt, wait)).toBe(false);
    expect(ttmBoShrinkSuitable(busy, noWait)).toBe(false);
    expect(ttmBoShrinkSuitable(busy, wait)).toBe(true);
  });

  test('ttm_bo_shrink_avoid_wait: direct reclaim → true; kswapd → false', () => {
    expect(ttmBoShrinkAvoidWait()).toBe(true);
    expect(ttmBoShrinkAvoidWait(true)).toBe(false);
  });
});
