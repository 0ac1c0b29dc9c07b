// Port of drivers/gpu/drm/ttm/tests/ttm_bo_test.c (KUnit suite "ttm_bo"): 14 cases, one of them
// parameterised with 3 rows (16 Vitest tests). Suite init is ttm_test_devices_init (a DRM device only);
// the reservation cases run their BOs without a ttm device in C, here they get one because a simulated BO
// needs its device's kernel env. ttm_bo_reserve_interrupted runs as two tasks in the simulator.

import { describe, expect, test } from 'vitest';
import {
  type BufferObject,
  ttmBoPin,
  ttmBoPut,
  ttmBoReserve,
  ttmBoSetBulkMove,
  ttmBoUnpin,
  ttmBoUnreserve,
} from '../../src/kernel/bo.ts';
import { TTM_MAX_BO_PRIORITY, TTM_PL_SYSTEM } from '../../src/kernel/constants.ts';
import type { Device } from '../../src/kernel/device.ts';
import { EALREADY, EBUSY, EDEADLK, ERESTARTSYS } from '../../src/kernel/errno.ts';
import { DmaFence } from '../../src/kernel/fence.ts';
import { listEmpty } from '../../src/kernel/list.ts';
import { place } from '../../src/kernel/placement.ts';
import {
  LruBulkMove,
  lruResources,
  type Resource,
  ttmResourceAlloc,
  ttmResourceFree,
} from '../../src/kernel/resource.ts';
import { DmaResv, DmaResvUsage, dmaResvLock, wwAcquireInit } from '../../src/kernel/resv.ts';
import { runSync, type SyncEnv } from '../../src/kernel/sync.ts';
import { ttmTtCreate } from '../../src/kernel/tt.ts';
import { WwAcquireCtx } from '../../src/kernel/ww_mutex.ts';
import { Sim } from '../../src/sim/sim.ts';
import {
  kunitBo,
  newTtmDevice,
  type TestDevices,
  testDevice,
  testDevicesBasic,
  ttmDevFuncs,
  ttmDeviceKunitInit,
} from './fixtures.ts';

const BO_SIZE = 8 * 1024; // SZ_8K

interface ReserveCase {
  readonly description: string;
  readonly interruptible: boolean;
  readonly noWait: boolean;
}

const ttmBoReservedCases: readonly ReserveCase[] = [
  { description: 'Cannot be interrupted and sleeps', interruptible: false, noWait: false },
  { description: 'Cannot be interrupted, locks straight away', interruptible: false, noWait: true },
  { description: 'Can be interrupted, sleeps', interruptible: true, noWait: false },
];

interface KunitTtmDevice {
  readonly priv: TestDevices;
  readonly env: SyncEnv;
  readonly bdev: Device;
}

/** ttm_test_devices_init, then kunit_kzalloc + ttm_device_kunit_init(priv, ttm_dev, false, false) → 0. */
function kunitTtmDevice(): KunitTtmDevice {
  const priv = testDevicesBasic();
  const bdev = newTtmDevice(priv);
  expect(ttmDeviceKunitInit(priv, bdev, false, false)).toBe(0);
  return { priv, env: priv.env, bdev };
}

/** dma_resv_lock(resv, NULL) on the KUnit thread. */
function resvLock(env: SyncEnv, resv: DmaResv): void {
  expect(runSync(env, dmaResvLock(resv, null, false))).toBe(0);
}

/** ttm_resource_alloc that must succeed (KUNIT_ASSERT_EQ(err, 0)). */
function allocOk(bo: BufferObject, memType: number): Resource {
  const res = ttmResourceAlloc(bo, place(memType, 0));
  if (typeof res === 'number') throw new Error(`ttm_resource_alloc failed: ${res}`);
  return res;
}

describe('ttm_bo', () => {
  test.each(ttmBoReservedCases)('ttm_bo_reserve_optimistic_no_ticket: $description → 0', (params) => {
    const t = testDevice();
    const bo = kunitBo(t, BO_SIZE);

    const err = runSync(t.env, ttmBoReserve(bo, params.interruptible, params.noWait, null));
    expect(err).toBe(0);
    expect(bo.resv.lock.holder).toEqual({ task: t.env.current(), ctx: null });

    bo.resv.unlock();
    expect(bo.resv.isLocked()).toBe(false);
  });

  test('ttm_bo_reserve_locked_no_sleep: resv already locked, no_wait reserve → -EBUSY', () => {
    const t = testDevice();
    const bo = kunitBo(t, BO_SIZE);

    // Let's lock it beforehand.
    resvLock(t.env, bo.resv);

    const err = runSync(t.env, ttmBoReserve(bo, false, true, null));
    bo.resv.unlock();

    expect(err).toBe(-EBUSY);
    expect(bo.resv.isLocked()).toBe(false);
  });

  test('ttm_bo_reserve_no_wait_ticket: no_wait reserve with a ww ticket → -EBUSY', () => {
    const t = testDevice();
    const ctx = wwAcquireInit(t.env);
    const bo = kunitBo(t, BO_SIZE);

    const err = runSync(t.env, ttmBoReserve(bo, false, true, ctx));
    expect(err).toBe(-EBUSY);
    // The ticket is refused before any locking is tried.
    expect(bo.resv.isLocked()).toBe(false);
    expect(ctx.acquired).toBe(0);
  });

  test('ttm_bo_reserve_double_resv: the same ticket reserves a BO twice → -EALREADY', () => {
    const t = testDevice();
    const ctx = wwAcquireInit(t.env);
    const bo = kunitBo(t, BO_SIZE);

    let err = runSync(t.env, ttmBoReserve(bo, false, false, ctx));
    expect(err).toBe(0);
    expect(bo.resv.lockingCtx()).toBe(ctx);

    err = runSync(t.env, ttmBoReserve(bo, false, false, ctx));
    expect(ctx.acquired).toBe(1);

    bo.resv.unlock();
    expect(ctx.acquired).toBe(0);

    expect(err).toBe(-EALREADY);
  });

  test('ttm_bo_reserve_interrupted: interruptible ticketed reserve on a held resv, SIGTERM → -ERESTARTSYS', () => {
    const sim = new Sim({ seed: 1n });
    const t = testDevice(ttmDevFuncs, sim.env);
    const bo = kunitBo(t, BO_SIZE);
    const thread = 'ttm-bo-reserve';

    // threaded_ttm_bo_reserve: arm the signal timer, then reserve interruptibly with a ticket.
    function* threadedTtmBoReserve() {
      const ctx = wwAcquireInit(sim.env);
      // mod_timer(&s_timer.timer, msecs_to_jiffies(100)) sets an absolute expiry that has already
      // passed, so SIGTERM arrives (almost) at once: after 1 virtual ms.
      sim.signalAfter(thread, 1);
      const err = yield* ttmBoReserve(bo, true, false, ctx);
      return { err, acquired: ctx.acquired };
    }

    sim.spawn('main', function* () {
      // Take a lock so the threaded reserve has to wait (mutex_lock on the ww_mutex base: no ticket).
      const locked = yield* dmaResvLock(bo.resv, null, false);
      // kthread_create + wake_up_process: the thread first runs once the lock is held.
      sim.spawn(thread, threadedTtmBoReserve);
      yield { kind: 'sleep', ms: 20 };
      // kthread_stop: the thread's return value (it has exited by now).
      const task = sim.task(thread);
      const stopped = task.status === 'done' ? task.result : null;
      bo.resv.unlock();
      return { locked, stopped };
    });

    const r = sim.run();
    expect(r.quiescent).toBe(true);
    expect(sim.scheduler.now()).toBe(20);
    expect(sim.task('main').status).toBe('done');
    expect(sim.task('main').result).toEqual({ locked: 0, stopped: { err: -ERESTARTSYS, acquired: 0 } });
    expect(sim.task(thread).result).toEqual({ err: -ERESTARTSYS, acquired: 0 });
    expect(bo.resv.isLocked()).toBe(false);
  });

  test('ttm_bo_reserve_deadlock: bo2 held by an older ticket, younger ticket holding bo1 reserves it → -EDEADLK', () => {
    const t = testDevice();
    const bo1 = kunitBo(t, BO_SIZE);
    const bo2 = kunitBo(t, BO_SIZE);

    const ctx1 = wwAcquireInit(t.env);
    // ww_mutex_base_lock(&bo2->base.resv->lock.base), then lock.ctx = &ctx2 with ctx2 = ctx1, stamp - 1:
    // the holder's ticket is older than ctx1.
    expect(bo2.resv.lock.trylock(t.env.current())).toBe(true);
    const ctx2 = new WwAcquireCtx(ctx1.stamp - 1, ctx1.task);
    bo2.resv.lock.holder = { task: t.env.current(), ctx: ctx2 };

    let err = runSync(t.env, ttmBoReserve(bo1, false, false, ctx1));
    expect(err).toBe(0);

    err = runSync(t.env, ttmBoReserve(bo2, false, false, ctx1));
    expect(err).toBe(-EDEADLK);
    expect(bo2.resv.lockingCtx()).toBe(ctx2);
    expect(ctx1.acquired).toBe(1);

    bo1.resv.unlock();
    expect(ctx1.acquired).toBe(0);
  });

  test('ttm_bo_unreserve_basic: two resources on lru[3], unreserve the BO of the first → it is last', () => {
    const memType = TTM_PL_SYSTEM;
    const boPrio = TTM_MAX_BO_PRIORITY - 1;
    const { env, bdev } = kunitTtmDevice();

    const bo = kunitBo({ bdev }, BO_SIZE);
    bo.priority = boPrio;

    const res1 = allocOk(bo, memType);
    bo.resource = res1;

    // Add a dummy resource to populate LRU.
    const res2 = allocOk(bo, memType);

    const man = bdev.manager(memType)!;
    expect(lruResources(man.lru[boPrio]!)).toEqual([res1, res2]);

    resvLock(env, bo.resv);
    ttmBoUnreserve(bo);

    expect(lruResources(man.lru[bo.priority]!).at(-1)).toBe(res1);
    expect(lruResources(man.lru[bo.priority]!)).toEqual([res2, res1]);
    expect(bo.resv.isLocked()).toBe(false);

    ttmResourceFree(bo, res2);
    ttmResourceFree(bo, res1);
    expect(listEmpty(man.lru[boPrio]!)).toBe(true);
  });

  test('ttm_bo_unreserve_pinned: pinned BO with two resources on unevictable, unreserve → its resource last', () => {
    const memType = TTM_PL_SYSTEM;
    const { env, bdev } = kunitTtmDevice();

    const bo = kunitBo({ bdev }, BO_SIZE);

    resvLock(env, bo.resv);
    ttmBoPin(bo);

    const res1 = allocOk(bo, memType);
    bo.resource = res1;

    // Add a dummy resource to the pinned list.
    const res2 = allocOk(bo, memType);
    expect(lruResources(bdev.unevictable).at(-1)).toBe(res2);
    expect(lruResources(bdev.unevictable)).toEqual([res1, res2]);

    ttmBoUnreserve(bo);
    expect(lruResources(bdev.unevictable).at(-1)).toBe(res1);
    expect(lruResources(bdev.unevictable)).toEqual([res2, res1]);
    expect(listEmpty(bdev.manager(memType)!.lru[bo.priority]!)).toBe(true);

    ttmResourceFree(bo, res1);
    ttmResourceFree(bo, res2);
    expect(listEmpty(bdev.unevictable)).toBe(true);
  });

  test('ttm_bo_unreserve_bulk: two BOs sharing a resv in one bulk move, unreserve the first → bulk last', () => {
    const memType = TTM_PL_SYSTEM;
    const boPriority = 0;
    const lruBulkMove = new LruBulkMove();
    const { env, bdev } = kunitTtmDevice();

    const resv = new DmaResv('resv:shared', env);

    const bo1 = kunitBo({ bdev }, BO_SIZE, resv);
    const bo2 = kunitBo({ bdev }, BO_SIZE, resv);

    resvLock(env, bo1.resv);
    ttmBoSetBulkMove(bo1, lruBulkMove);
    bo1.resv.unlock();

    const res1 = allocOk(bo1, memType);
    bo1.resource = res1;

    resvLock(env, bo2.resv);
    ttmBoSetBulkMove(bo2, lruBulkMove);
    bo2.resv.unlock();

    const res2 = allocOk(bo2, memType);
    bo2.resource = res2;

    const pos = lruBulkMove.pos[memType]![boPriority]!;
    expect(pos).toEqual({ first: res1, last: res2 });

    expect(runSync(env, ttmBoReserve(bo1, false, false, null))).toBe(0);
    ttmBoUnreserve(bo1);

    expect(pos.last).toBe(res1);
    expect(pos.first).toBe(res2);
    expect(lruResources(bdev.manager(memType)!.lru[boPriority]!)).toEqual([res2, res1]);

    ttmResourceFree(bo1, res1);
    ttmResourceFree(bo2, res2);
    expect(pos).toEqual({ first: null, last: null });
  });

  test('ttm_bo_put_basic: idle device BO with a SYSTEM resource and a tt, put → released and destroyed', () => {
    const memType = TTM_PL_SYSTEM;
    const { env, bdev } = kunitTtmDevice();

    const bo = kunitBo({ bdev }, BO_SIZE);
    bo.type = 'device';
    let destroyed = 0;
    bo.destroy = () => {
      destroyed += 1;
    };

    const res = allocOk(bo, memType);
    bo.resource = res;

    resvLock(env, bo.resv);
    const err = ttmTtCreate(bo, false);
    bo.resv.unlock();
    expect(err).toBe(0);
    const tt = bo.ttm!;
    expect(tt).not.toBeNull();

    runSync(env, ttmBoPut(bo));

    // Idle, own resv, not sg: destroyed at once (no zombie, no delayed delete).
    expect(bo.kref).toBe(0);
    expect(bo.deleted).toBe(false);
    expect(destroyed).toBe(1);
    expect(bo.destroyed).toBe(true);
    expect(bo.ttm).toBeNull();
    expect(tt.destroyed).toBe(true);
    expect(bo.resource).toBeNull();
    expect(res.freed).toBe(true);
    expect(bdev.manager(memType)!.usage).toBe(0);
    expect(listEmpty(bdev.manager(memType)!.lru[0]!)).toBe(true);
    expect(bo.resv.isLocked()).toBe(false);
    expect(env.work.length).toBe(0);
  });

  test('ttm_bo_put_shared_resv: BO on an external resv with a signalled BOOKKEEP fence, put → released', () => {
    const { env, bdev } = kunitTtmDevice();

    const externalResv = new DmaResv('resv:external', env);

    // dma_fence_init(fence, &mock_fence_ops, &fence_lock, 0, 0).
    const fence = new DmaFence(0, 0);

    resvLock(env, externalResv);
    expect(externalResv.reserveFences(1)).toBe(0);
    externalResv.addFence(fence, DmaResvUsage.BOOKKEEP);
    externalResv.unlock();

    fence.signal();

    const bo = kunitBo({ bdev }, BO_SIZE);
    bo.type = 'device';
    bo.resv = externalResv;
    let destroyed = 0;
    bo.destroy = () => {
      destroyed += 1;
    };

    runSync(env, ttmBoPut(bo));

    // ttm_bo_individualize_resv switched the BO to its own resv; the copied fence is signalled, so idle.
    expect(bo.resv).toBe(bo.ownResv);
    expect(bo.kref).toBe(0);
    expect(bo.deleted).toBe(false);
    expect(destroyed).toBe(1);
    expect(bo.destroyed).toBe(true);
    expect(bo.ownResv.isLocked()).toBe(false);
    expect(externalResv.isLocked()).toBe(false);
    expect(env.work.length).toBe(0);
  });

  test('ttm_bo_pin_basic: three lock/pin/unlock rounds → pin_count 3', () => {
    const { env, bdev } = kunitTtmDevice();
    const noPins = 3;

    const bo = kunitBo({ bdev }, BO_SIZE);

    for (let i = 0; i < noPins; i += 1) {
      resvLock(env, bo.resv);
      ttmBoPin(bo);
      bo.resv.unlock();
    }

    expect(bo.pinCount).toBe(noPins);
  });

  test('ttm_bo_pin_unpin_resource: pin → pin_count 1 and out of the bulk move; unpin → bulk last, pin_count 0', () => {
    const memType = TTM_PL_SYSTEM;
    const boPriority = 0;
    const lruBulkMove = new LruBulkMove();
    const { env, bdev } = kunitTtmDevice();

    const bo = kunitBo({ bdev }, BO_SIZE);

    const res = allocOk(bo, memType);
    bo.resource = res;

    resvLock(env, bo.resv);
    ttmBoSetBulkMove(bo, lruBulkMove);
    ttmBoPin(bo);
    bo.resv.unlock();

    const pos = lruBulkMove.pos[memType]![boPriority]!;

    expect(bo.pinCount).toBe(1);
    expect(pos.first).toBeNull();
    expect(pos.last).toBeNull();
    expect(lruResources(bdev.unevictable)).toEqual([res]);

    resvLock(env, bo.resv);
    ttmBoUnpin(bo);
    bo.resv.unlock();

    expect(pos.last).toBe(res);
    expect(pos.first).toBe(res);
    expect(bo.pinCount).toBe(0);

    ttmResourceFree(bo, res);
  });

  test('ttm_bo_multiple_pin_one_unpin: pin twice, unpin once → pin_count 1, still out of the bulk move', () => {
    const memType = TTM_PL_SYSTEM;
    const boPriority = 0;
    const lruBulkMove = new LruBulkMove();
    const { env, bdev } = kunitTtmDevice();

    const bo = kunitBo({ bdev }, BO_SIZE);

    const res = allocOk(bo, memType);
    bo.resource = res;

    resvLock(env, bo.resv);
    ttmBoSetBulkMove(bo, lruBulkMove);
    const pos = lruBulkMove.pos[memType]![boPriority]!;
    expect(pos).toEqual({ first: res, last: res });

    // Multiple pins.
    ttmBoPin(bo);
    ttmBoPin(bo);

    bo.resv.unlock();

    expect(bo.pinCount).toBe(2);
    expect(pos.first).toBeNull();
    expect(pos.last).toBeNull();

    resvLock(env, bo.resv);
    ttmBoUnpin(bo);
    bo.resv.unlock();

    expect(bo.pinCount).toBe(1);
    expect(pos.first).toBeNull();
    expect(pos.last).toBeNull();
    expect(lruResources(bdev.unevictable)).toEqual([res]);

    resvLock(env, bo.resv);
    ttmBoUnpin(bo);
    bo.resv.unlock();
    expect(bo.pinCount).toBe(0);
    expect(pos).toEqual({ first: res, last: res });

    ttmResourceFree(bo, res);
  });
});
