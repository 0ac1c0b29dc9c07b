import { describe, expect, test } from 'vitest';
import { ttmBoReserve, ttmBoUnreserve } from '../../src/kernel/bo.ts';
import { EDEADLK, ERESTARTSYS } from '../../src/kernel/errno.ts';
import { DmaFence } from '../../src/kernel/fence.ts';
import { DmaResvUsage, dmaResvWaitTimeout, wwAcquireInit } from '../../src/kernel/resv.ts';
import { Sim } from '../../src/sim/sim.ts';
import { kunitBo, testDevice, ttmDevFuncs } from '../kunit/fixtures.ts';

describe('Sim tasks', () => {
  test('ttm_bo_reserve: interruptible ticketed wait on a held resv, signal → -ERESTARTSYS', () => {
    const sim = new Sim({ seed: 1n });
    const t = testDevice(ttmDevFuncs, sim.env);
    const bo = kunitBo(t, 8192);
    sim.spawn('main', function* () {
      const ret = yield* ttmBoReserve(bo, false, false, null);
      yield { kind: 'sleep', ms: 20 };
      ttmBoUnreserve(bo);
      return ret;
    });
    sim.spawn('victim', function* () {
      yield { kind: 'sleep', ms: 0 };
      const ticket = wwAcquireInit(sim.env);
      return yield* ttmBoReserve(bo, true, false, ticket);
    });
    sim.signalAfter('victim', 1);
    const r = sim.run();
    expect(r.quiescent).toBe(true);
    expect(sim.task('main').result).toBe(0);
    expect(sim.task('victim').result).toBe(-ERESTARTSYS);
    expect(bo.resv.isLocked()).toBe(false);
  });

  test('dma_resv_wait_timeout: fence signalled by a second task after 20 ms → 1', () => {
    const sim = new Sim({ seed: 7n });
    const t = testDevice(ttmDevFuncs, sim.env);
    const bo = kunitBo(t, 4096);
    const fence = new DmaFence(sim.env.nextId('fence-ctx'), 1);
    bo.resv.reserveFences(1);
    bo.resv.addFence(fence, DmaResvUsage.BOOKKEEP);
    sim.spawn('waiter', () => dmaResvWaitTimeout(bo.resv, DmaResvUsage.BOOKKEEP, true, 15_000));
    sim.spawn('kthread', function* () {
      yield { kind: 'sleep', ms: 20 };
      fence.signal();
      return 0;
    });
    expect(sim.run().quiescent).toBe(true);
    expect(sim.task('waiter').result).toBe(1);
    expect(sim.scheduler.now()).toBe(20);
  });

  test('ww_mutex Wait-Die: two tickets locking two BOs in opposite order → the younger gets -EDEADLK', () => {
    for (let seed = 0n; seed < 40n; seed += 1n) {
      const sim = new Sim({ seed });
      const t = testDevice(ttmDevFuncs, sim.env);
      const a = kunitBo(t, 4096);
      const b = kunitBo(t, 4096);
      const outcomes: number[] = [];
      const body = (first: typeof a, second: typeof a) =>
        function* () {
          const ticket = wwAcquireInit(sim.env);
          let ret = yield* ttmBoReserve(first, true, false, ticket);
          ret = yield* ttmBoReserve(second, true, false, ticket);
          outcomes.push(ret);
          if (ret === -EDEADLK) {
            ttmBoUnreserve(first);
            return ret;
          }
          ttmBoUnreserve(second);
          ttmBoUnreserve(first);
          return ret;
        };
      sim.spawn('t1', body(a, b));
      sim.spawn('t2', body(b, a));
      expect(sim.run().quiescent).toBe(true);
      expect(outcomes.filter((o) => o === 0).length).toBeGreaterThanOrEqual(1);
      expect(outcomes.every((o) => o === 0 || o === -EDEADLK)).toBe(true);
      expect(a.resv.isLocked() || b.resv.isLocked()).toBe(false);
    }
  });
});
