// Each rule of src/kernel/rules/ttm_bo_util.ts broken on purpose, alone.

import { describe, expect, test } from 'vitest';
import { ttmLruWalkForEvict } from '../../../src/kernel/bo.ts';
import { ttmBoMoveMemcpy, ttmBoMoveSyncCleanup } from '../../../src/kernel/bo_util.ts';
import { TTM_PL_SYSTEM } from '../../../src/kernel/constants.ts';
import type { KGen } from '../../../src/kernel/env.ts';
import { EINVAL } from '../../../src/kernel/errno.ts';
import { DmaFence } from '../../../src/kernel/fence.ts';
import { operationCtx, place } from '../../../src/kernel/placement.ts';
import { ttmResourceAlloc } from '../../../src/kernel/resource.ts';
import { DmaResvUsage } from '../../../src/kernel/resv.ts';
import { ttmBoShrink } from '../../../src/kernel/swap.ts';
import { runSync } from '../../../src/kernel/sync.ts';
import { ttmTtCreate } from '../../../src/kernel/tt.ts';
import { kunitBo, PAGE_SIZE } from '../../kunit/fixtures.ts';
import { world, xeFuncs } from '../page_fixtures.ts';
import { expectBroken, placeBo } from './fixtures.ts';

function* skip(): KGen<number> {
  yield { kind: 'yield', label: 'skip' };
  return 0;
}

describe('ttm_bo_util.c', () => {
  test('bo-util.move-memcpy.src-mem: ttm_bo_move_memcpy of a BO without a resource → -EINVAL', () => {
    const t = world();
    const bo = kunitBo(t, PAGE_SIZE);
    expect(bo.resv.trylock(t.env.current())).toBe(true);
    const dst = ttmResourceAlloc(bo, place(TTM_PL_SYSTEM));
    if (typeof dst === 'number') throw new Error(`alloc ${dst}`);
    expect(runSync(t.env, ttmBoMoveMemcpy(bo, operationCtx(), dst))).toBe(-EINVAL);
    expectBroken(t.global, 'bo-util.move-memcpy.src-mem', bo.id);
  });

  test('bo-util.move-sync-cleanup.idle: ttm_bo_move_sync_cleanup of a BO that stays busy → WARN, nothing assigned', () => {
    const t = world();
    const bo = kunitBo(t, PAGE_SIZE);
    expect(bo.resv.trylock(t.env.current())).toBe(true);
    const old = placeBo(bo, place(TTM_PL_SYSTEM));
    expect(bo.resv.reserveFences(1)).toBe(0);
    bo.resv.addFence(new DmaFence(901, 1), DmaResvUsage.WRITE);
    const dst = ttmResourceAlloc(bo, place(TTM_PL_SYSTEM));
    if (typeof dst === 'number') throw new Error(`alloc ${dst}`);
    // The 15 s wait times out (runSync answers a timed wait on an unsignalled fence with 0).
    runSync(t.env, ttmBoMoveSyncCleanup(bo, dst));
    expectBroken(t.global, 'bo-util.move-sync-cleanup.idle', bo.id);
    expect(bo.resource).toBe(old);
  });

  test('bo-util.lru-walk-trylock.resv-held: a walk allowed to evict its ctx resv meets it held by another task', () => {
    const t = world();
    const bo = kunitBo(t, PAGE_SIZE);
    placeBo(bo, place(TTM_PL_SYSTEM));
    expect(bo.resv.trylock('task:other')).toBe(true);
    const walk = {
      ctx: operationCtx({ resv: bo.resv, allowResEvict: true }),
      ticket: null,
      trylockOnly: true,
    };
    runSync(t.env, ttmLruWalkForEvict(walk, t.bdev.manager(TTM_PL_SYSTEM)!, 1, skip));
    expectBroken(t.global, 'bo-util.lru-walk-trylock.resv-held', bo.id);
  });

  test('bo-util.shrink.resv-held: ttm_bo_shrink of an unreserved BO', () => {
    const t = world({ funcs: xeFuncs });
    const bo = kunitBo(t, 2 * PAGE_SIZE);
    expect(bo.resv.trylock(t.env.current())).toBe(true);
    expect(ttmTtCreate(bo, false)).toBe(0);
    placeBo(bo, place(TTM_PL_SYSTEM));
    bo.resv.unlock();
    runSync(t.env, ttmBoShrink(operationCtx(), bo, { purge: true, writeback: false, allowMove: false }));
    expectBroken(t.global, 'bo-util.shrink.resv-held', bo.id);
  });
});
