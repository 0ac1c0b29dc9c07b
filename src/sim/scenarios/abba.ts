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
      const run = new AbbaRun(sim, withTickets);
      const [x, y] = bos as [BufferObject, BufferObject];
      sim.spawn('ab', () => run.lockPair(x, y));
      sim.spawn('ba', () => run.lockPair(y, x));
      // Methods, not arrow properties: under tsx, keepNames names every arrow stored in a property with
      // a defineProperty call (a runtime call per function per run).
      return {
        stats() {
          return { backoffs: run.backoffs, boCount: global.boCount };
        },
        check() {
          return [];
        },
        describe() {
          return bos.map(
            (bo) => `${bo.id}: ${bo.resv.isLocked() ? `locked by ${bo.resv.lock.holder?.task}` : 'unlocked'}`,
          );
        },
        worlds() {
          return [global];
        },
      };
    },
  };
}

/**
 * One run: the tasks' body and the backoffs counted. The body is a generator method of this class
 * rather than a generator closure made in the build, which kept the whole run alive through
 * young-generation collections (see RaceRun in race.ts).
 */
class AbbaRun {
  backoffs = 0;

  constructor(
    readonly sim: Sim,
    readonly withTickets: boolean,
  ) {}

  /** Lock `first`, then `second` (with a ww ticket, backing off on -EDEADLK), then unlock both. */
  *lockPair(first: BufferObject, second: BufferObject): KGen<number> {
    if (!this.withTickets) {
      yield* ttmBoReserve(first, false, false, null);
      yield* ttmBoReserve(second, false, false, null);
      ttmBoUnreserve(second);
      ttmBoUnreserve(first);
      return 0;
    }
    const ticket = wwAcquireInit(this.sim.env);
    yield* ttmBoReserve(first, false, false, ticket);
    let ret = yield* ttmBoReserve(second, false, false, ticket);
    let a = first;
    let b = second;
    while (ret === -EDEADLK) {
      this.backoffs += 1;
      a.resv.unlock();
      yield* ttmBoReserveSlowpath(b, false, ticket);
      [a, b] = [b, a];
      ret = yield* ttmBoReserve(b, false, false, ticket);
    }
    ttmBoUnreserve(b);
    ttmBoUnreserve(a);
    return 0;
  }
}
