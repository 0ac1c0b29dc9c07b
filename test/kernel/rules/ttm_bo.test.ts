// Each rule of src/kernel/rules/ttm_bo.ts (ttm_bo.c, ttm_bo.h) broken on purpose, alone.

import { describe, expect, test } from 'vitest';
import {
  ttmBoAssignMem,
  ttmBoEvict,
  ttmBoEvictionValuable,
  ttmBoInitReserved,
  ttmBoMoveToLruTail,
  ttmBoPin,
  ttmBoPopulate,
  ttmBoPut,
  ttmBoReserve,
  ttmBoSetBulkMove,
  ttmBoUnpin,
  ttmBoValidate,
  ttmBoWaitCtx,
} from '../../../src/kernel/bo.ts';
import { TTM_PL_SYSTEM, TTM_PL_TT } from '../../../src/kernel/constants.ts';
import type { DeviceFuncs } from '../../../src/kernel/device.ts';
import type { KGen } from '../../../src/kernel/env.ts';
import { EBUSY, EIO } from '../../../src/kernel/errno.ts';
import { DmaFence } from '../../../src/kernel/fence.ts';
import { operationCtx, place, placementOf } from '../../../src/kernel/placement.ts';
import { LruBulkMove, ttmResourceAlloc } from '../../../src/kernel/resource.ts';
import { DmaResv, DmaResvUsage } from '../../../src/kernel/resv.ts';
import { runSync } from '../../../src/kernel/sync.ts';
import { WwAcquireCtx } from '../../../src/kernel/ww_mutex.ts';
import { kunitBo, mockManagerInit, PAGE_SIZE, testDevice, ttmDevFuncs } from '../../kunit/fixtures.ts';
import { expectBroken, expectNoneBroken, placeBo } from './fixtures.ts';

/** A driver whose move always fails with -EIO (an error ttm_bo_validate's kerneldoc does not list). */
function* failingMove(): KGen<number> {
  yield { kind: 'yield', label: 'move' };
  return -EIO;
}
const eioFuncs: DeviceFuncs = { ...ttmDevFuncs, move: failingMove };

function lockedBo(t: ReturnType<typeof testDevice>, pages = 1) {
  const bo = kunitBo(t, pages * PAGE_SIZE);
  expect(bo.resv.trylock(t.env.current())).toBe(true);
  return bo;
}

describe('ttm_bo.c lock assertions', () => {
  test('bo.move-to-lru-tail.resv-held: ttm_bo_move_to_lru_tail on an unreserved BO', () => {
    const t = testDevice();
    const bo = kunitBo(t, PAGE_SIZE);
    placeBo(bo, place(TTM_PL_SYSTEM));
    ttmBoMoveToLruTail(bo);
    expectBroken(t.global, 'bo.move-to-lru-tail.resv-held', bo.id);
    expect(t.global.ruleBroken?.message).toBe(
      `ttm_bo_move_to_lru_tail is called with the BO reserved by the calling task: ${bo.id}/resv is unlocked, not by task:kunit`,
    );
  });

  test('bo.set-bulk-move.resv-held: ttm_bo_set_bulk_move on a BO reserved by another task', () => {
    const t = testDevice();
    const bo = kunitBo(t, PAGE_SIZE);
    expect(bo.resv.trylock('task:other')).toBe(true);
    ttmBoSetBulkMove(bo, new LruBulkMove());
    expectBroken(t.global, 'bo.set-bulk-move.resv-held', bo.id);
  });

  test('bo.evict.resv-held: ttm_bo_evict of an unreserved BO', () => {
    const t = testDevice();
    const bo = kunitBo(t, PAGE_SIZE);
    placeBo(bo, place(TTM_PL_SYSTEM));
    runSync(t.env, ttmBoEvict(bo, operationCtx()));
    expectBroken(t.global, 'bo.evict.resv-held', bo.id);
  });

  test('bo.eviction-valuable.resv-held: ttm_bo_eviction_valuable of an unreserved BO', () => {
    const t = testDevice();
    const bo = kunitBo(t, PAGE_SIZE);
    placeBo(bo, place(TTM_PL_SYSTEM));
    expect(ttmBoEvictionValuable(bo, place(TTM_PL_SYSTEM))).toBe(true);
    expectBroken(t.global, 'bo.eviction-valuable.resv-held', bo.id);
  });

  test('bo.validate.resv-held: ttm_bo_validate of an unreserved BO', () => {
    const t = testDevice();
    const bo = kunitBo(t, PAGE_SIZE);
    placeBo(bo, place(TTM_PL_SYSTEM));
    expect(runSync(t.env, ttmBoValidate(bo, placementOf(place(TTM_PL_SYSTEM)), operationCtx()))).toBe(0);
    expectBroken(t.global, 'bo.validate.resv-held', bo.id);
  });

  test('bo.populate.resv-held: ttm_bo_populate of an unreserved BO', () => {
    const t = testDevice();
    const bo = kunitBo(t, PAGE_SIZE);
    expect(runSync(t.env, ttmBoPopulate(bo, operationCtx()))).toBe(0);
    expectBroken(t.global, 'bo.populate.resv-held', bo.id);
  });

  test('bo.init-reserved.resv-held: ttm_bo_init_reserved given a resv nobody holds', () => {
    const t = testDevice();
    const bo = kunitBo(t, PAGE_SIZE);
    const resv = new DmaResv('resv:shared', t.env);
    runSync(
      t.env,
      ttmBoInitReserved(
        t.bdev,
        bo,
        'device',
        placementOf(place(TTM_PL_SYSTEM)),
        0,
        operationCtx(),
        null,
        resv,
        null,
      ),
    );
    expectBroken(t.global, 'bo.init-reserved.resv-held', bo.id);
  });

  test('bo.init-reserved.trylock: ttm_bo_init_reserved of a BO whose own resv another task holds', () => {
    const t = testDevice();
    const bo = kunitBo(t, PAGE_SIZE);
    expect(bo.ownResv.trylock('task:other')).toBe(true);
    runSync(
      t.env,
      ttmBoInitReserved(
        t.bdev,
        bo,
        'device',
        placementOf(place(TTM_PL_SYSTEM)),
        0,
        operationCtx(),
        null,
        null,
        null,
      ),
    );
    expectBroken(t.global, 'bo.init-reserved.trylock', bo.id);
  });
});

describe('ttm_bo_pin / ttm_bo_unpin', () => {
  test('bo.pin.resv-held: pin without the resv', () => {
    const t = testDevice();
    const bo = kunitBo(t, PAGE_SIZE);
    ttmBoPin(bo);
    expectBroken(t.global, 'bo.pin.resv-held', bo.id);
  });

  test('bo.pin.kref: pin of a BO without references', () => {
    const t = testDevice();
    const bo = lockedBo(t);
    bo.kref = 0;
    ttmBoPin(bo);
    expectBroken(t.global, 'bo.pin.kref', bo.id);
    expect(bo.pinCount).toBe(1);
  });

  test('bo.unpin.resv-held: unpin without the resv', () => {
    const t = testDevice();
    const bo = kunitBo(t, PAGE_SIZE);
    bo.pinCount = 1;
    ttmBoUnpin(bo);
    expectBroken(t.global, 'bo.unpin.resv-held', bo.id);
  });

  test('bo.unpin.kref: unpin of a BO without references', () => {
    const t = testDevice();
    const bo = lockedBo(t);
    bo.pinCount = 1;
    bo.kref = 0;
    ttmBoUnpin(bo);
    expectBroken(t.global, 'bo.unpin.kref', bo.id);
  });

  test('bo.unpin.pinned: unpin of an unpinned BO changes nothing', () => {
    const t = testDevice();
    const bo = lockedBo(t);
    ttmBoUnpin(bo);
    expectBroken(t.global, 'bo.unpin.pinned', bo.id);
    expect(bo.pinCount).toBe(0);
  });
});

describe('ttm_bo_release', () => {
  test('bo.release.unpinned: the last put of a pinned BO', () => {
    const t = testDevice();
    const bo = kunitBo(t, PAGE_SIZE);
    bo.pinCount = 1;
    runSync(t.env, ttmBoPut(bo));
    expectBroken(t.global, 'bo.release.unpinned', bo.id);
  });

  test('bo.release.no-bulk-move: the last put of a BO still in a bulk move', () => {
    const t = testDevice();
    const bo = kunitBo(t, PAGE_SIZE);
    bo.bulkMove = new LruBulkMove();
    runSync(t.env, ttmBoPut(bo));
    expectBroken(t.global, 'bo.release.no-bulk-move', bo.id);
  });

  test('bo.individualize-resv.trylock: a dying BO on a shared resv whose own resv another task holds', () => {
    const t = testDevice();
    const shared = new DmaResv('resv:shared', t.env);
    const bo = kunitBo(t, PAGE_SIZE, shared);
    expect(bo.ownResv.trylock('task:other')).toBe(true);
    runSync(t.env, ttmBoPut(bo));
    expectBroken(t.global, 'bo.individualize-resv.trylock', bo.id);
    expect(t.global.ruleBroken?.message).toBe(
      "ttm_bo_individualize_resv takes the BO's own reservation object with a trylock that cannot fail: held by task:other",
    );
  });
});

describe('ttm_bo.h and kerneldoc Returns:', () => {
  test('bo.reserve.no-wait-no-ticket: ttm_bo_reserve with no_wait and a ticket → -EBUSY', () => {
    const t = testDevice();
    const bo = kunitBo(t, PAGE_SIZE);
    const ticket = new WwAcquireCtx(1, t.env.current());
    expect(runSync(t.env, ttmBoReserve(bo, false, true, ticket))).toBe(-EBUSY);
    expectBroken(t.global, 'bo.reserve.no-wait-no-ticket', bo.id);
  });

  test('bo.reserve.returns: the lock wait answers -EIO → ttm_bo_reserve returns an errno it does not list', () => {
    const t = testDevice();
    const bo = kunitBo(t, PAGE_SIZE);
    const gen = ttmBoReserve(bo, true, false, null);
    expect(gen.next(0).value).toMatchObject({ kind: 'lock' });
    expect(gen.next(-EIO)).toEqual({ done: true, value: -EIO });
    expectBroken(t.global, 'bo.reserve.returns', bo.id);
    expect(t.global.ruleBroken?.message).toBe(
      'ttm_bo_reserve returns 0, -EDEADLK, -ERESTARTSYS, -EBUSY or -EALREADY: returned -EIO',
    );
  });

  test('bo.validate.returns: the driver move fails with -EIO → ttm_bo_validate returns it', () => {
    const t = testDevice(eioFuncs);
    mockManagerInit(t.bdev, TTM_PL_TT, 64 * PAGE_SIZE);
    const bo = lockedBo(t);
    placeBo(bo, place(TTM_PL_SYSTEM));
    expect(runSync(t.env, ttmBoValidate(bo, placementOf(place(TTM_PL_TT)), operationCtx()))).toBe(-EIO);
    expectBroken(t.global, 'bo.validate.returns', bo.id);
  });

  test('bo.wait-ctx.returns: the fence wait answers -EIO → ttm_bo_wait_ctx returns an errno it does not list', () => {
    // The wait's own answer is judged first where dma_resv_wait_timeout returns
    // (dma-resv.wait-timeout.returns) on a reservation of the world; a reservation shared from outside
    // any world (resv.world null) is not judged there, so ttm_bo_wait_ctx's own rule is the one recorded.
    for (const shared of [false, true]) {
      const t = testDevice();
      const bo = lockedBo(t);
      if (shared) {
        bo.resv = new DmaResv('resv:shared', t.env, null);
        expect(bo.resv.trylock(t.env.current())).toBe(true);
      }
      expect(bo.resv.reserveFences(1)).toBe(0);
      bo.resv.addFence(new DmaFence(900, 1), DmaResvUsage.WRITE);
      const gen = ttmBoWaitCtx(bo, operationCtx());
      expect(gen.next(0).value).toMatchObject({ kind: 'fences' });
      expect(gen.next(-EIO)).toEqual({ done: true, value: -EIO });
      if (shared) expectBroken(t.global, 'bo.wait-ctx.returns', bo.id);
      else expectBroken(t.global, 'dma-resv.wait-timeout.returns', bo.resv.id);
    }
  });

  test('bo.assign-mem.unplaced: ttm_bo_assign_mem over a resource the BO still has', () => {
    const t = testDevice();
    const bo = kunitBo(t, PAGE_SIZE);
    placeBo(bo, place(TTM_PL_SYSTEM));
    const res = ttmResourceAlloc(bo, place(TTM_PL_SYSTEM));
    if (typeof res === 'number') throw new Error(`alloc ${res}`);
    expectNoneBroken(t.global);
    ttmBoAssignMem(bo, res);
    expectBroken(t.global, 'bo.assign-mem.unplaced', bo.id);
  });
});
