// abba-deadlock: two tasks each lock two BOs' reservations in opposite order with plain dma_resv_lock
// (no ww ticket). Some schedules deadlock, which is exactly why TTM's exec paths lock several BOs with one
// ww_acquire_ctx (Wait-Die turns the cycle into -EDEADLK). With --ticket the same tasks use tickets and
// back off, and every schedule finishes.

import type { Rng } from '../../engine/prng.ts';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitValidate,
  ttmBoReserve,
  ttmBoReserveSlowpath,
  ttmBoUnreserve,
} from '../../kernel/bo.ts';
import { TTM_PL_VRAM } from '../../kernel/constants.ts';
import { TtmGlobal } from '../../kernel/device.ts';
import type { KGen } from '../../kernel/env.ts';
import { EDEADLK } from '../../kernel/errno.ts';
import { place, placementOf } from '../../kernel/placement.ts';
import { wwAcquireInit } from '../../kernel/resv.ts';
import { createSimDevice } from '../../kernel/simdrv.ts';
import { runSync } from '../../kernel/sync.ts';
import type { Scenario, Workload } from '../scenario.ts';
import type { Sim } from '../sim.ts';

export function abbaDeadlock(withTickets: boolean, name: string): Scenario {
  return {
    name,
    summary: withTickets
      ? 'two tasks lock two BOs in opposite order with ww tickets: Wait-Die backs one off, never deadlocks'
      : 'two tasks lock two BOs in opposite order without ww tickets: some schedules deadlock (exit 3)',
    config: { scenario: 'abba', withTickets },
    build(sim: Sim, _rng: Rng): Workload {
      const global = new TtmGlobal();
      sim.adopt(global);
      const dev = createSimDevice(sim.env, global, 'device:0', { vramBytes: 64 * 1024, ttBytes: 64 * 1024 });
      const bos = [0, 1].map(() => {
        const bo = newBufferObject(dev.bdev, 4096);
        const ret = runSync(
          sim.env,
          ttmBoInitValidate(dev.bdev, bo, 'device', placementOf(place(TTM_PL_VRAM)), 1, false, null),
        );
        if (ret !== 0) throw new Error(`abba: BO creation failed ${ret}`);
        return bo;
      });
      let backoffs = 0;
      const lockPair = function* (first: BufferObject, second: BufferObject): KGen<number> {
        if (!withTickets) {
          yield* ttmBoReserve(first, false, false, null);
          yield* ttmBoReserve(second, false, false, null);
          ttmBoUnreserve(second);
          ttmBoUnreserve(first);
          return 0;
        }
        const ticket = wwAcquireInit(sim.env);
        yield* ttmBoReserve(first, false, false, ticket);
        let ret = yield* ttmBoReserve(second, false, false, ticket);
        let a = first;
        let b = second;
        while (ret === -EDEADLK) {
          backoffs += 1;
          a.resv.unlock();
          yield* ttmBoReserveSlowpath(b, false, ticket);
          [a, b] = [b, a];
          ret = yield* ttmBoReserve(b, false, false, ticket);
        }
        ttmBoUnreserve(b);
        ttmBoUnreserve(a);
        return 0;
      };
      const [x, y] = bos as [BufferObject, BufferObject];
      sim.spawn('ab', () => lockPair(x, y));
      sim.spawn('ba', () => lockPair(y, x));
      return {
        stats: () => ({ backoffs, boCount: global.boCount }),
        check: () => [],
        describe: () =>
          bos.map(
            (bo) => `${bo.id}: ${bo.resv.isLocked() ? `locked by ${bo.resv.lock.holder?.task}` : 'unlocked'}`,
          ),
        worlds: () => [global],
      };
    },
  };
}
