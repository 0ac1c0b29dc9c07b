// abba-deadlock: two tasks each lock two BOs' reservations in opposite order with plain dma_resv_lock
// (no ww ticket). Some schedules deadlock, which is exactly why TTM's exec paths lock several BOs with one
// ww_acquire_ctx (Wait-Die turns the cycle into -EDEADLK). With --ticket the same tasks use tickets and
// back off, and every schedule finishes.

import type { Rng } from '../../engine/prng.ts';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitValidate,
  ttmBoPut,
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
import { LIFECYCLE, Lifecycle, lifecycleStats } from './lifecycle.ts';

export function abbaDeadlock(withTickets: boolean, name: string): Scenario {
  return {
    name,
    summary: withTickets
      ? 'two tasks lock two BOs in opposite order with ww tickets: Wait-Die backs one off, never deadlocks'
      : 'two tasks lock two BOs in opposite order without ww tickets: some schedules deadlock (exit 3)',
    config: withTickets
      ? { scenario: 'abba', withTickets, lifecycle: LIFECYCLE }
      : { scenario: 'abba', withTickets },
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
      // With tickets every schedule finishes: the world lives its whole life (each task locks the pair
      // again after the resume; the BOs are put before the teardown). Without, the deadlock is the point.
      const lc = withTickets
        ? new Lifecycle(sim, [{ global, devices: [dev], bos }], { hibernate: false })
        : null;
      run.lc = lc;
      if (lc === null) {
        sim.spawn('ab', () => run.lockPair(x, y));
        sim.spawn('ba', () => run.lockPair(y, x));
      } else {
        lc.worker('ab', () => run.lockPairTwice(x, y));
        lc.worker('ba', () => run.lockPairTwice(y, x));
        lc.release = () => putAll(bos);
        lc.start();
      }
      // Methods, not arrow properties: under tsx, keepNames names every arrow stored in a property with
      // a defineProperty call (a runtime call per function per run).
      return {
        stats() {
          return lc === null
            ? { backoffs: run.backoffs, boCount: global.boCount }
            : { backoffs: run.backoffs, boCount: global.boCount, ...lifecycleStats(lc.c) };
        },
        check() {
          return lc === null ? [] : lc.check();
        },
        describe() {
          return bos.map(
            (bo) => `${bo.id}: ${bo.resv.isLocked() ? `locked by ${bo.resv.lock.holder?.task}` : 'unlocked'}`,
          );
        },
        worlds() {
          return [global];
        },
        shared() {
          return [run];
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
/** The scenario's own references, put at the end of its life. */
function* putAll(bos: readonly BufferObject[]): KGen<void> {
  for (const bo of bos) yield* ttmBoPut(bo);
}

class AbbaRun {
  backoffs = 0;
  lc: Lifecycle | null = null;

  constructor(
    readonly sim: Sim,
    readonly withTickets: boolean,
  ) {}

  /** The pair locked before the suspend and again after the resume. */
  *lockPairTwice(first: BufferObject, second: BufferObject): KGen<number> {
    yield* this.lockPair(first, second);
    yield* this.lc!.freezePoint();
    return yield* this.lockPair(first, second);
  }

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
