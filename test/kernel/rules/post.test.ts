// Tests of src/kernel/rules_post.ts, the postconditions of exported TTM functions: for each rule, the state
// a correct return leaves passes, and a hand-made state that breaks exactly that rule is recorded on the
// world as its first broken rule, with the rule's id, the actor and the message.

import { describe, expect, test } from 'vitest';
import { SwapSpace } from '../../../src/kernel/backup.ts';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitValidate,
  ttmBoPin,
  ttmBoReserve,
  ttmBoSetBulkMove,
} from '../../../src/kernel/bo.ts';
import {
  PAGE_SIZE,
  TTM_PL_SYSTEM,
  TTM_PL_TT,
  TTM_PL_VRAM,
  TTM_TT_FLAG_BACKED_UP,
  TTM_TT_FLAG_PRIV_POPULATED,
  TTM_TT_FLAG_SWAPPED,
} from '../../../src/kernel/constants.ts';
import { TtmGlobal } from '../../../src/kernel/device.ts';
import {
  EALREADY,
  EBUSY,
  EDEADLK,
  EINVAL,
  ENOMEM,
  ENOSPC,
  ERESTARTSYS,
  errnoName,
} from '../../../src/kernel/errno.ts';
import { listMoveTail } from '../../../src/kernel/list.ts';
import { place, placementOf } from '../../../src/kernel/placement.ts';
import { Ram } from '../../../src/kernel/ram.ts';
import { LruBulkMove } from '../../../src/kernel/resource.ts';
import { KERNEL_RULES } from '../../../src/kernel/rules.ts';
import {
  POSTCONDITION_RULES,
  postBoPopulate,
  postDeviceInit,
  postInitReserved,
  postInitValidate,
  postMove,
  postPin,
  postPoolAlloc,
  postPrepareHibernation,
  postReserve,
  postReserveSlowpath,
  postResourceAlloc,
  postResourceFree,
  postTtBackup,
  postTtCreate,
  postTtPopulate,
  postTtRestore,
  postTtSwapout,
  postUnpin,
  postValidate,
} from '../../../src/kernel/rules_post.ts';
import { createSimDevice, type SimDevice } from '../../../src/kernel/simdrv.ts';
import { runSync, SyncEnv } from '../../../src/kernel/sync.ts';
import { WwAcquireCtx } from '../../../src/kernel/ww_mutex.ts';

interface World {
  readonly env: SyncEnv;
  readonly global: TtmGlobal;
  readonly dev: SimDevice;
  /** 2 pages in VRAM. */
  readonly vram: BufferObject;
  /** 3 pages in TT, populated. */
  readonly tt: BufferObject;
}

function world(): World {
  const env = new SyncEnv();
  const global = new TtmGlobal(new Ram(512), new SwapSpace(64));
  const dev = createSimDevice(env, global, 'device:0', {
    vramBytes: 32 * PAGE_SIZE,
    ttBytes: 32 * PAGE_SIZE,
  });
  const make = (memType: number, pages: number): BufferObject => {
    const bo = newBufferObject(dev.bdev, pages * PAGE_SIZE);
    const p = placementOf(place(memType));
    expect(runSync(env, ttmBoInitValidate(dev.bdev, bo, 'device', p, 1, false, null))).toBe(0);
    return bo;
  };
  const vram = make(TTM_PL_VRAM, 2);
  const tt = make(TTM_PL_TT, 3);
  expect(global.ruleBroken).toBeNull();
  return { env, global, dev, vram, tt };
}

/** The world's first broken rule as id, actor, message; null if none. */
function broken(g: TtmGlobal): { id: string; actor: string; message: string } | null {
  const b = g.ruleBroken;
  return b === null ? null : { id: b.rule.id, actor: b.actor, message: b.message };
}

const CUR = 'task:kunit';

describe('POSTCONDITION_RULES', () => {
  test('twenty return checks with upstream text, all in KERNEL_RULES', () => {
    expect(POSTCONDITION_RULES.map((r) => r.id)).toEqual([
      'bo.reserve.post-locked',
      'bo.reserve.post-already',
      'bo.reserve.post-not-taken',
      'bo.pin.post',
      'bo.unpin.post',
      'bo.validate.post-ok',
      'bo.validate.post-pinned',
      'bo.init.post',
      'bo.init-validate.post',
      'bo.populate.post',
      'tt.create.post',
      'pool.alloc.post',
      'pool.alloc.post-caching',
      'tt.populate.post',
      'tt.swapout.post',
      'tt.backup.post',
      'tt.restore.post',
      'resource.alloc.post',
      'resource.free.post',
      'bo.move.post',
      'device.init.post',
      'device.prepare-hibernation.post',
    ]);
    for (const r of POSTCONDITION_RULES) {
      expect(r.when).toBe('return');
      expect(KERNEL_RULES).toContain(r);
      for (const u of r.upstream) expect(u.text).not.toContain('\n');
    }
  });
});

describe('reservation', () => {
  test('0 with the resv unlocked → post-locked; 0 while locked by the caller → holds', () => {
    const w = world();
    expect(postReserve(w.vram, null, false, 0)).toBe(0);
    expect(broken(w.global)).toEqual({
      id: 'bo.reserve.post-locked',
      actor: 'bo:0',
      message: `ttm_bo_reserve / ttm_bo_reserve_slowpath returning 0: the calling task holds the BO’s resv, with the ticket it passed: ${CUR} got 0 for bo:0, whose resv is unlocked`,
    });
    const v = world();
    expect(runSync(v.env, ttmBoReserve(v.vram, false, true, null))).toBe(0);
    postReserve(v.vram, null, true, 0);
    expect(broken(v.global)).toBeNull();
  });

  test('-EALREADY without the ticket holding it → post-already', () => {
    const w = world();
    const ticket = new WwAcquireCtx(3, CUR);
    expect(runSync(w.env, ttmBoReserve(w.vram, false, true, null))).toBe(0);
    postReserve(w.vram, ticket, false, -EALREADY);
    expect(broken(w.global)).toEqual({
      id: 'bo.reserve.post-already',
      actor: 'bo:0',
      message: `ttm_bo_reserve returning -EALREADY: the BO’s resv is held with the ticket passed: ${CUR} got -EALREADY for bo:0, whose resv is held by ${CUR} without a ticket`,
    });
  });

  test('-EDEADLK / -ERESTARTSYS while the caller holds the lock, -EBUSY on a free lock → post-not-taken', () => {
    for (const ret of [-EDEADLK, -ERESTARTSYS]) {
      const w = world();
      expect(runSync(w.env, ttmBoReserve(w.tt, false, true, null))).toBe(0);
      postReserve(w.tt, null, false, ret);
      expect(broken(w.global)?.id).toBe('bo.reserve.post-not-taken');
      expect(broken(w.global)?.message).toContain(
        `${CUR} got ${errnoName(ret)} for bo:1, whose resv is held by ${CUR}`,
      );
    }
    const w = world();
    postReserve(w.vram, null, true, -EBUSY);
    expect(broken(w.global)).toEqual({
      id: 'bo.reserve.post-not-taken',
      actor: 'bo:0',
      message: `ttm_bo_reserve returning -EDEADLK or -ERESTARTSYS (and the slowpath -ERESTARTSYS): the calling task does not hold the BO’s resv; -EBUSY: it was held by someone, or a ticket was passed with no_wait: ${CUR} got -EBUSY for bo:0, whose resv is unlocked`,
    });
    const v = world();
    postReserve(v.vram, new WwAcquireCtx(1, CUR), true, -EBUSY);
    expect(broken(v.global)).toBeNull();
  });

  test('the slowpath: 0 unlocked → post-locked; -ERESTARTSYS holding it → post-not-taken', () => {
    const w = world();
    const ticket = new WwAcquireCtx(5, CUR);
    postReserveSlowpath(w.vram, ticket, 0);
    expect(broken(w.global)?.id).toBe('bo.reserve.post-locked');
    const v = world();
    expect(v.vram.resv.lock.attempt(CUR, ticket, true)).toBe(0);
    postReserveSlowpath(v.vram, ticket, 0);
    expect(broken(v.global)).toBeNull();
    postReserveSlowpath(v.vram, ticket, -ERESTARTSYS);
    expect(broken(v.global)?.message).toContain(
      `${CUR} got -ERESTARTSYS for bo:0, whose resv is held by ${CUR} with ticket 5`,
    );
  });
});

describe('pinning', () => {
  test('pin: the resource left on the VRAM LRU → post; pin_count not bumped → post', () => {
    const w = world();
    expect(runSync(w.env, ttmBoReserve(w.vram, false, true, null))).toBe(0);
    ttmBoPin(w.vram);
    postPin(w.vram, 0);
    expect(broken(w.global)).toBeNull();
    listMoveTail(w.vram.resource!.lru, w.dev.vram.lru[0]!);
    postPin(w.vram, 0);
    expect(broken(w.global)).toEqual({
      id: 'bo.pin.post',
      actor: 'bo:0',
      message:
        'after ttm_bo_pin: pin_count is one more than before and the BO’s resource (if any) is on the device’s unevictable list: its resource res:0 is on device:0/man2 lru0',
    });
    const v = world();
    postPin(v.vram, 0);
    expect(broken(v.global)?.message).toContain('pin_count went from 0 to 0');
  });

  test('unpin: 1 → 0 with the resource still on the unevictable list → post; at 0 it stays 0', () => {
    const w = world();
    expect(runSync(w.env, ttmBoReserve(w.vram, false, true, null))).toBe(0);
    ttmBoPin(w.vram);
    w.vram.pinCount = 0;
    postUnpin(w.vram, 1);
    expect(broken(w.global)).toEqual({
      id: 'bo.unpin.post',
      actor: 'bo:0',
      message:
        'after ttm_bo_unpin: pin_count is one less than before (unchanged at 0); on reaching 0 an evictable BO’s resource is at its LRU tail: on its manager’s lru[priority], or for a BO in a bulk move the last of its bulk range (wherever that range is): unpinned, but its resource res:0 is on the unevictable list',
    });
    const v = world();
    postUnpin(v.vram, 0);
    expect(broken(v.global)).toBeNull();
    // A BO in a bulk move: its resource must end as the last of its range, wherever that range is.
    const u = world();
    const bulk = new LruBulkMove();
    expect(runSync(u.env, ttmBoReserve(u.vram, false, true, null))).toBe(0);
    ttmBoPin(u.vram);
    ttmBoSetBulkMove(u.vram, bulk);
    u.vram.pinCount = 0;
    postUnpin(u.vram, 1);
    expect(broken(u.global)?.message).toContain(
      'unpinned, but its resource res:0 is not the last of its bulk range (on the unevictable list)',
    );
    v.vram.pinCount = 2;
    postUnpin(v.vram, 2);
    expect(broken(v.global)?.message).toContain('pin_count went from 2 to 2');
  });
});

describe('validation and initialisation', () => {
  test('validate 0: VRAM resource for a TT placement → not compatible; SYSTEM without a tt; no resource; empty placement keeping one', () => {
    const w = world();
    postValidate(w.vram, placementOf(place(TTM_PL_VRAM)), null, 0);
    expect(broken(w.global)).toBeNull();
    postValidate(w.vram, placementOf(place(TTM_PL_TT)), null, 0);
    expect(broken(w.global)).toEqual({
      id: 'bo.validate.post-ok',
      actor: 'bo:0',
      message:
        'ttm_bo_validate returning 0: with no placement the BO has no resource; otherwise its resource is compatible with the placement, and a BO in SYSTEM has a tt: res:0 (type 2, flags 0x0, start 0) is not compatible with the placement',
    });
    const v = world();
    postValidate(v.vram, { placement: [] }, null, 0);
    expect(broken(v.global)?.message).toContain('empty placement, but bo:0 keeps res:0');
    const u = world();
    u.tt.resource = null;
    postValidate(u.tt, placementOf(place(TTM_PL_TT)), null, 0);
    expect(broken(u.global)?.message).toContain('bo:1 has no resource');
  });

  test('validate error on a pinned BO whose resource changed → post-pinned; unchanged → holds', () => {
    const w = world();
    w.vram.pinCount = 1;
    const before = w.vram.resource;
    postValidate(w.vram, placementOf(place(TTM_PL_TT)), before, -EINVAL);
    expect(broken(w.global)).toBeNull();
    postValidate(w.vram, placementOf(place(TTM_PL_TT)), w.tt.resource, -EINVAL);
    expect(broken(w.global)).toEqual({
      id: 'bo.validate.post-pinned',
      actor: 'bo:0',
      message: `ttm_bo_validate returning an error for a pinned BO: its resource is the one it had (a pinned BO is never moved): returned -EINVAL with pin_count 1, but its resource went from res:1 to res:0`,
    });
  });

  test('init_reserved 0 without holding the own resv, an error with the BO alive → bo.init.post', () => {
    const w = world();
    postInitReserved(w.vram, true, 0);
    expect(broken(w.global)).toEqual({
      id: 'bo.init.post',
      actor: 'bo:0',
      message: `ttm_bo_init_reserved returning 0: the BO has a reference and, without a resv passed, the calling task holds its own resv; an error: the BO was put (destroyed, or a zombie): bo:0's own resv is unlocked, not by ${CUR}`,
    });
    const v = world();
    postInitReserved(v.vram, true, -ENOMEM);
    expect(broken(v.global)?.message).toContain(
      `returned -ENOMEM, but bo:0 is neither destroyed nor a zombie (kref 1)`,
    );
  });

  test('init_validate 0 still holding the own resv → bo.init-validate.post', () => {
    const w = world();
    postInitValidate(w.vram, true, 0);
    expect(broken(w.global)).toBeNull();
    expect(runSync(w.env, ttmBoReserve(w.vram, false, true, null))).toBe(0);
    postInitValidate(w.vram, true, 0);
    expect(broken(w.global)).toEqual({
      id: 'bo.init-validate.post',
      actor: 'bo:0',
      message: `ttm_bo_init_validate returning 0: without a resv passed the BO is unreserved again; an error: the BO was put (destroyed, or a zombie): ${CUR} still holds bo:0's own resv`,
    });
  });
});

describe('populate, swapout, backup, restore', () => {
  test('bo populate 0 with an unpopulated tt, and a swapped-in BO left on the unevictable list → bo.populate.post', () => {
    const w = world();
    postBoPopulate(w.tt, false, 0);
    expect(broken(w.global)).toBeNull();
    w.tt.ttm!.pageFlags &= ~TTM_TT_FLAG_PRIV_POPULATED;
    postBoPopulate(w.tt, false, 0);
    expect(broken(w.global)).toEqual({
      id: 'bo.populate.post',
      actor: 'bo:1',
      message:
        'ttm_bo_populate returning 0: the tt (if any) is populated and neither swapped nor backed up, and a resource swapped out at the call is back off the unevictable list unless pinned; an error: the tt is not populated: tt:0 is not populated',
    });
    const v = world();
    listMoveTail(v.tt.resource!.lru, v.dev.bdev.unevictable);
    postBoPopulate(v.tt, false, 0);
    expect(broken(v.global)).toBeNull();
    postBoPopulate(v.tt, true, 0);
    expect(broken(v.global)?.message).toContain(
      'tt:0 was swapped in, but res:1 is still on the unevictable list',
    );
  });

  test('tt create: 0 without a tt, an error with one → tt.create.post', () => {
    const w = world();
    postTtCreate(w.tt, 0);
    expect(broken(w.global)).toBeNull();
    postTtCreate(w.vram, 0);
    expect(broken(w.global)).toEqual({
      id: 'tt.create.post',
      actor: 'bo:0',
      message:
        'ttm_tt_create returning 0: the BO has a tt (an sg BO’s is EXTERNAL); an error: it has none: bo:0 has no tt',
    });
    const v = world();
    postTtCreate(v.tt, -ENOMEM);
    expect(broken(v.global)?.message).toContain('returned -ENOMEM, but bo:1 has tt:0');
  });

  test('pool alloc: 0 with an empty slot → pool.alloc.post; an error is not judged', () => {
    const w = world();
    const tt = w.tt.ttm!;
    postPoolAlloc(tt, 0);
    tt.pages![0] = null;
    postPoolAlloc(tt, -ENOMEM);
    expect(broken(w.global)).toBeNull();
    postPoolAlloc(tt, 0);
    expect(broken(w.global)).toEqual({
      id: 'pool.alloc.post',
      actor: 'tt:0',
      message:
        'ttm_pool_alloc returning 0: every page slot of the tt holds a page and, with a dma_address array, every slot has a DMA address: tt:0 slot 0 holds no page',
    });
  });

  test('pool alloc: 0 with a page of another caching than the tt asks for → pool.alloc.post-caching', () => {
    const w = world();
    const tt = w.tt.ttm!;
    const ram = w.global.ram;
    const frame = tt.pages![1] as number;
    expect(tt.caching).toBe('cached');
    postPoolAlloc(tt, 0);
    expect(broken(w.global)).toBeNull();
    ram.setCaching(frame, 1, 'wc');
    postPoolAlloc(tt, -ENOMEM);
    expect(broken(w.global)).toBeNull();
    postPoolAlloc(tt, 0);
    expect(broken(w.global)).toEqual({
      id: 'pool.alloc.post-caching',
      actor: 'tt:0',
      message: `ttm_pool_alloc returning 0: every page of the tt has the CPU caching the tt asks for (write-back for cached, write-combined, uncached): the caching deferred while allocating was applied: tt:0 (cached) slot 1: page frame ${frame} is wc, not wb`,
    });
  });

  test('prepare hibernation: 0 with a populated TT BO left → device.prepare-hibernation.post; locked or an error is not judged', () => {
    const w = world();
    const bdev = w.dev.bdev;
    // The TT BO's resv held by some task: the walk's trylock would have skipped it.
    expect(w.tt.resv.trylock('task:other')).toBe(true);
    expect(postPrepareHibernation(bdev, 0)).toBe(0);
    w.tt.resv.unlock();
    postPrepareHibernation(bdev, -ENOSPC);
    expect(broken(w.global)).toBeNull();
    expect(postPrepareHibernation(bdev, 0)).toBe(0);
    expect(broken(w.global)).toEqual({
      id: 'device.prepare-hibernation.post',
      actor: 'device:0',
      message:
        'ttm_device_prepare_hibernation returning 0: no BO listed on the device’s use_tt managers is left that ttm_bo_swapout_cb would swap out (unpinned, with a populated tt neither EXTERNAL nor SWAPPED); not judged: a zombie or a BO whose resv another task holds (the walk trylocks), and a BO whose swapout in this call failed with -ENOMEM or -ENOSPC (non-fatal: -EBUSY) or with -EBUSY (a timed-out wait: the walk skips it): bo:1 (res:1, memory type 1) still holds populated tt:0',
    });
  });

  test('tt populate: 0 with a hole or SWAPPED, an error while populated → tt.populate.post', () => {
    const w = world();
    const tt = w.tt.ttm!;
    postTtPopulate(tt, 0);
    expect(broken(w.global)).toBeNull();
    tt.pages![2] = null;
    postTtPopulate(tt, 0);
    expect(broken(w.global)).toEqual({
      id: 'tt.populate.post',
      actor: 'tt:0',
      message:
        'ttm_tt_populate returning 0: the tt is PRIV_POPULATED, not SWAPPED or BACKED_UP, and every page slot holds a page; an error: it is not populated: tt:0 slot 2 holds no page',
    });
    const v = world();
    v.tt.ttm!.pageFlags |= TTM_TT_FLAG_SWAPPED;
    postTtPopulate(v.tt.ttm, 0);
    expect(broken(v.global)?.message).toContain('tt:0 is PRIV_POPULATED|SWAPPED');
    const u = world();
    postTtPopulate(u.tt.ttm, -ENOMEM);
    expect(broken(u.global)?.message).toContain(`returned -ENOMEM, but tt:0 is populated`);
  });

  test('swapout: a count with the tt still populated, an error that left it SWAPPED → tt.swapout.post', () => {
    const w = world();
    const tt = w.tt.ttm!;
    postTtSwapout(tt, true, 3);
    expect(broken(w.global)).toEqual({
      id: 'tt.swapout.post',
      actor: 'tt:0',
      message:
        'ttm_tt_swapout returning num_pages: the tt is SWAPPED, unpopulated, holds no page and has swap storage; an error: it is still populated and not SWAPPED: tt:0 is PRIV_POPULATED without swap storage',
    });
    const v = world();
    postTtSwapout(v.tt.ttm!, true, -ENOSPC);
    expect(broken(v.global)).toBeNull();
    v.tt.ttm!.pageFlags |= TTM_TT_FLAG_SWAPPED;
    postTtSwapout(v.tt.ttm!, true, -ENOSPC);
    expect(broken(v.global)?.message).toContain(`returned -ENOSPC, but tt:0 is PRIV_POPULATED|SWAPPED`);
  });

  test('backup: a positive count with the tt still populated → tt.backup.post', () => {
    const w = world();
    postTtBackup(w.tt.ttm!, 0);
    postTtBackup(w.tt.ttm!, -EBUSY);
    expect(broken(w.global)).toBeNull();
    postTtBackup(w.tt.ttm!, 3);
    expect(broken(w.global)).toEqual({
      id: 'tt.backup.post',
      actor: 'tt:0',
      message:
        'ttm_tt_backup returning a positive count: the tt is BACKED_UP and unpopulated: returned 3, but tt:0 is PRIV_POPULATED',
    });
  });

  test('restore: 0 still BACKED_UP, an error no longer BACKED_UP → tt.restore.post', () => {
    const w = world();
    const tt = w.tt.ttm!;
    postTtRestore(tt, 0);
    expect(broken(w.global)).toBeNull();
    tt.pageFlags |= TTM_TT_FLAG_BACKED_UP;
    postTtRestore(tt, 0);
    expect(broken(w.global)).toEqual({
      id: 'tt.restore.post',
      actor: 'tt:0',
      message:
        'ttm_tt_restore returning 0: the tt is no longer BACKED_UP and keeps no restore state; an error: it is still BACKED_UP: tt:0 is still BACKED_UP',
    });
    const v = world();
    postTtRestore(v.tt.ttm!, -ENOMEM);
    expect(broken(v.global)?.message).toContain(`returned -ENOMEM, but tt:0 is no longer BACKED_UP`);
  });
});

describe('resources and devices', () => {
  test('resource alloc: a resource of the wrong size, usage moved on an error → resource.alloc.post', () => {
    const w = world();
    const res = w.vram.resource!;
    const usage = w.dev.vram.usage;
    postResourceAlloc(w.vram, TTM_PL_VRAM, 0, usage - res.size, res);
    expect(broken(w.global)).toBeNull();
    res.size += PAGE_SIZE;
    postResourceAlloc(w.vram, TTM_PL_VRAM, 0, usage - res.size, res);
    expect(broken(w.global)).toEqual({
      id: 'resource.alloc.post',
      actor: 'bo:0',
      message:
        'ttm_resource_alloc returning 0: the new resource is the BO’s size, of the place’s memory type and flags, belongs to the BO and is counted in its manager; an error: the manager’s usage is unchanged: res:0 has size 12288 for bo:0 of 8192',
    });
    const v = world();
    postResourceAlloc(v.vram, TTM_PL_VRAM, 0, v.dev.vram.usage - PAGE_SIZE, -ENOSPC);
    expect(broken(v.global)?.message).toContain(
      `returned -ENOSPC, but device:0/man2 usage went from 4096 to 8192`,
    );
  });

  test('resource free: still listed → resource.free.post', () => {
    const w = world();
    const res = w.vram.resource!;
    postResourceFree(w.vram, res, w.dev.vram.usage + res.size);
    expect(broken(w.global)).toEqual({
      id: 'resource.free.post',
      actor: 'res:0',
      message:
        'after ttm_resource_free: the resource is off every list and its manager’s usage dropped by its size: res:0 is still on device:0/man2 lru0',
    });
  });

  test('move: 0 with the BO keeping its old resource, an error with the new one assigned → bo.move.post', () => {
    const w = world();
    postMove(w.vram, w.vram.resource!, 0);
    expect(broken(w.global)).toBeNull();
    postMove(w.vram, w.tt.resource!, 0);
    expect(broken(w.global)).toEqual({
      id: 'bo.move.post',
      actor: 'bo:0',
      message:
        "ttm_bo_move_null, and ttm_bo_move_memcpy / ttm_bo_move_accel_cleanup returning 0: the BO’s resource is the new one and belongs to it; an error: the new resource is not the BO’s (the old data stays, the caller frees the new space): bo:0's resource is res:0, not res:1 (which belongs to bo:1)",
    });
    const v = world();
    postMove(v.vram, v.vram.resource!, -ENOMEM);
    expect(broken(v.global)?.message).toContain("returned -ENOMEM, but bo:0's resource is the new res:0");
  });

  test('device init: 0 with the device off the list, or without SYSTEM in use → device.init.post', () => {
    const w = world();
    postDeviceInit(w.global, w.dev.bdev, 0);
    expect(broken(w.global)).toBeNull();
    w.dev.bdev.manager(TTM_PL_SYSTEM)!.useType = false;
    postDeviceInit(w.global, w.dev.bdev, 0);
    expect(broken(w.global)).toEqual({
      id: 'device.init.post',
      actor: 'device:0',
      message:
        'ttm_device_init returning 0: the device is on the global device list with a SYSTEM manager in use: device:0 has no SYSTEM manager in use',
    });
  });
});
