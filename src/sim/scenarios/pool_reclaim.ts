// pool-reclaim: the TTM page pool as the only shrinker of a small machine. Streamers populate small
// write-combined BOs and put them: their pages stay in the pool's global WC types (page_pool_size is half
// of RAM) instead of going back to the system. An allocator populates large cached BOs, which the pool
// cannot serve: once RAM runs out, each order-0 allocation enters direct reclaim, which runs the pool
// shrinker with the pages still missing as its target, and tries again while reclaim frees something.
// A populate may fail with -ENOMEM only when RAM and the pools together could not have held it; at the
// end every BO is put and nothing may be left (no BO, no frame once the pools are drained, no lock).

import type { Rng } from '../../engine/prng.ts';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitReserved,
  ttmBoPopulate,
  ttmBoPut,
  ttmBoUnreserve,
} from '../../kernel/bo.ts';
import { PAGE_SIZE, TTM_PL_SYSTEM } from '../../kernel/constants.ts';
import { TtmGlobal } from '../../kernel/device.ts';
import type { KGen } from '../../kernel/env.ts';
import { ENOMEM, errnoName } from '../../kernel/errno.ts';
import { operationCtx, place, placementOf } from '../../kernel/placement.ts';
import { SHRINK_STOP, ttmPoolShrinkerScan } from '../../kernel/pool.ts';
import { Ram } from '../../kernel/ram.ts';
import { createSimDevice } from '../../kernel/simdrv.ts';
import { ttmTtInit } from '../../kernel/tt.ts';
import type { Breach, Scenario, Workload } from '../scenario.ts';
import type { Sim } from '../sim.ts';
import { Completion, checkErrno, leakChecks } from './swap_checks.ts';

export interface PoolReclaimConfig {
  readonly ramPages: number;
  /** Long-lived write-combined BOs (pages) a holder keeps until the end. */
  readonly heldBos: number;
  readonly heldPages: number;
  readonly streamers: number;
  /** Rounds per streamer: each populates `batch` one-page WC BOs, then puts them. */
  readonly rounds: number;
  readonly batch: number;
  /** Large cached BOs the allocator populates one after the other (each put before the next). */
  readonly bigBos: number;
  readonly minBigPages: number;
  readonly maxBigPages: number;
}

const DEFAULTS: PoolReclaimConfig = {
  ramPages: 96,
  heldBos: 2,
  heldPages: 8,
  streamers: 2,
  rounds: 2,
  batch: 20,
  bigBos: 3,
  minBigPages: 66,
  maxBigPages: 76,
};

const SYSTEM_ONLY = placementOf(place(TTM_PL_SYSTEM));

interface Counters {
  streamed: number;
  bigPopulated: number;
  bigFailed: number;
  directReclaims: number;
  reclaimedPages: number;
  faultsFired: number;
}

export function poolReclaim(overrides: Partial<PoolReclaimConfig> = {}, name = 'pool-reclaim'): Scenario {
  const cfg: PoolReclaimConfig = { ...DEFAULTS, ...overrides };
  return {
    name,
    summary: `${cfg.ramPages} pages of RAM, ${cfg.streamers} streamers pooling one-page WC BOs, ${cfg.bigBos} large cached BOs populated through direct reclaim of the page pool`,
    config: { scenario: 'pool-reclaim', ...cfg },
    sometimes: [
      { id: 'directReclaims', description: 'an allocation ran direct reclaim' },
      { id: 'bigFailed', description: 'a large populate failed: RAM and pools were short' },
    ],
    build(sim: Sim, rng: Rng): Workload {
      const global = new TtmGlobal(new Ram(cfg.ramPages));
      sim.adopt(global);
      // No swapout here: the page limit is all of RAM.
      global.ttmPagesLimit = cfg.ramPages;
      global.ttmDma32PagesLimit = cfg.ramPages;
      const c: Counters = {
        streamed: 0,
        bigPopulated: 0,
        bigFailed: 0,
        directReclaims: 0,
        reclaimedPages: 0,
        faultsFired: 0,
      };
      // Injected faults (a campaign's fault plan) may fail an allocation for reasons of their own.
      const adopted = global.faultHook;
      global.faultHook = (site, where) => {
        const fired = adopted?.(site, where) ?? false;
        if (fired) c.faultsFired += 1;
        return fired;
      };
      const dev = createSimDevice(sim.env, global, 'device:0', {
        vramBytes: 16 * PAGE_SIZE,
        ttBytes: 16 * PAGE_SIZE,
      });
      const cachedBos = new WeakSet<BufferObject>();
      const base = dev.bdev.funcs;
      dev.bdev.funcs = {
        ...base,
        ttmTtCreate: (bo, pageFlags) =>
          ttmTtInit(bo, pageFlags, cachedBos.has(bo) ? 'cached' : 'write_combined', 0),
      };
      // The core mm's shrinkers in direct reclaim: here only TTM's page pool (ttm_pool_shrinker_scan).
      // biome-ignore lint/correctness/useYield: the pool shrinker never sleeps; the hook's type is a KGen.
      global.directReclaim = function* (pages: number): KGen<number> {
        c.directReclaims += 1;
        const freed = ttmPoolShrinkerScan(global.poolMgr, pages, global.mutations);
        if (freed === SHRINK_STOP) return 0;
        c.reclaimedPages += freed;
        return freed;
      };
      const breaches: Breach[] = [];
      const all: BufferObject[] = [];

      /** A new SYSTEM BO of `pages` with a populated tt, unreserved; null when that failed. */
      const create = function* (who: string, pages: number, cached: boolean): KGen<BufferObject | null> {
        const bo = newBufferObject(dev.bdev, pages * PAGE_SIZE);
        if (cached) cachedBos.add(bo);
        all.push(bo);
        const ctx = operationCtx({ interruptible: true });
        const ret = yield* ttmBoInitReserved(dev.bdev, bo, 'device', SYSTEM_ONLY, 1, ctx, null, null, null);
        checkErrno(ret, `creating ${bo.id}`, who, breaches);
        if (ret !== 0) return null;
        const faultsBefore = c.faultsFired;
        const p = yield* ttmBoPopulate(bo, ctx);
        checkErrno(p, `populating ${bo.id}`, who, breaches);
        if (p === -ENOMEM && c.faultsFired === faultsBefore) {
          // The populate gave back what it had allocated: had reclaim freed what was asked, RAM and the
          // pools would have held the whole BO.
          const free = global.ram.freeCount;
          const pooled = global.poolMgr.allocatedPages;
          if (free + pooled >= pages) {
            breaches.push({
              id: 'correctness.reclaim',
              actor: who,
              message: `populating ${bo.id} (${pages} pages) failed with ${errnoName(p)} although ${free} free and ${pooled} pooled pages could hold it`,
            });
          }
        }
        ttmBoUnreserve(bo);
        if (p !== 0) {
          yield* ttmBoPut(bo);
          return null;
        }
        return bo;
      };

      const held: BufferObject[] = [];
      const workDone = new Completion(sim.env, 'work-done');
      let working = cfg.streamers + 1;
      const finished = (): void => {
        working -= 1;
        if (working === 0) workDone.complete();
      };
      sim.spawn('holder', function* () {
        for (let i = 0; i < cfg.heldBos; i += 1) {
          const bo = yield* create('task:holder', cfg.heldPages, false);
          if (bo !== null) held.push(bo);
        }
        // Kept until everyone else is done.
        yield* workDone.wait();
        for (const bo of held) yield* ttmBoPut(bo);
        return 0;
      });

      // The pools are warm once every streamer has put its first batch.
      const poolWarm = new Completion(sim.env, 'pool-warm');
      let warming = cfg.streamers;
      for (let s = 0; s < cfg.streamers; s += 1) {
        const who = `task:streamer${s}`;
        sim.spawn(`streamer${s}`, function* () {
          for (let round = 0; round < cfg.rounds; round += 1) {
            const bos: BufferObject[] = [];
            for (let i = 0; i < cfg.batch; i += 1) {
              const bo = yield* create(who, 1, false);
              if (bo !== null) bos.push(bo);
            }
            c.streamed += bos.length;
            // Put: the pages go to the pool's write-combined order-0 type.
            for (const bo of bos) yield* ttmBoPut(bo);
            if (round === 0) {
              warming -= 1;
              if (warming === 0) poolWarm.complete();
            }
          }
          if (cfg.rounds === 0) poolWarm.complete();
          finished();
          return 0;
        });
      }

      const bigSizes = Array.from({ length: cfg.bigBos }, () => rng.int(cfg.minBigPages, cfg.maxBigPages));
      sim.spawn('allocator', function* () {
        yield* poolWarm.wait();
        for (const pages of bigSizes) {
          yield { kind: 'yield', label: 'allocator' };
          const bo = yield* create('task:allocator', pages, true);
          if (bo === null) {
            c.bigFailed += 1;
            continue;
          }
          c.bigPopulated += 1;
          yield* ttmBoPut(bo);
        }
        finished();
        return 0;
      });

      return {
        stats: () => ({ ...c, pooledPages: global.poolMgr.allocatedPages, boCount: global.boCount }),
        check: () => [...breaches, ...leakChecks(dev, global, all)],
        describe: () =>
          all.map((bo) => `${bo.id} ${bo.size / PAGE_SIZE} pages: ${bo.destroyed ? 'destroyed' : 'alive'}`),
        worlds: () => [global],
      };
    },
  };
}
