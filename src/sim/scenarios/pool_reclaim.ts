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
import { type DeviceFuncs, TtmGlobal } from '../../kernel/device.ts';
import type { KGen } from '../../kernel/env.ts';
import { ENOMEM, errnoName } from '../../kernel/errno.ts';
import type { FaultHook } from '../../kernel/faults.ts';
import { operationCtx, place, placementOf } from '../../kernel/placement.ts';
import { SHRINK_STOP, ttmPoolShrinkerScan } from '../../kernel/pool_type.ts';
import { Ram } from '../../kernel/ram.ts';
import { createSimDevice, type SimDevice } from '../../kernel/simdrv.ts';
import { ttmTtInit } from '../../kernel/tt.ts';
import type { Breach, Scenario, Workload } from '../scenario.ts';
import type { Sim } from '../sim.ts';
import { LIFECYCLE, Lifecycle, type LifecycleCounters, lifecycleStats } from './lifecycle.ts';
import { oneWorldWorkload } from './race_common.ts';
import { Completion, checkErrno } from './swap_checks.ts';

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
    config: { scenario: 'pool-reclaim', ...cfg, lifecycle: LIFECYCLE },
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
      global.faultHook = countingFaultHook(global.faultHook, c);
      const dev = createSimDevice(sim.env, global, 'device:0', {
        vramBytes: 16 * PAGE_SIZE,
        ttBytes: 16 * PAGE_SIZE,
      });
      const run = new PoolReclaimRun(cfg, sim, global, dev, c);
      dev.bdev.funcs = poolReclaimFuncs(dev.bdev.funcs, run.cachedBos);
      // The core mm's shrinkers in direct reclaim: here only TTM's page pool (ttm_pool_shrinker_scan).
      global.directReclaim = directReclaimOf(global, c);
      // Suspend halfway (the holder's BOs alive, the pools warm), resume, teardown: ttm_pool_fini and
      // ttm_pool_mgr_fini give the pooled pages back.
      const lc = new Lifecycle(sim, [{ global, devices: [dev], bos: run.all }], { hibernate: false });
      run.lc = lc;

      lc.worker('holder', () => run.holder());
      for (let s = 0; s < cfg.streamers; s += 1)
        lc.worker(`streamer${s}`, () => run.streamer(`task:streamer${s}`));
      const bigSizes = Array.from({ length: cfg.bigBos }, () => rng.int(cfg.minBigPages, cfg.maxBigPages));
      lc.worker('allocator', () => run.allocator(bigSizes));
      lc.start();

      return oneWorldWorkload(
        global,
        run.all,
        () => statsOf(c, global, lc.c),
        () => [...run.breaches, ...lc.check()],
      );
    },
  };
}

/**
 * The fault hook `adopted`, counting the faults that fire into `c`. Returned, not written as an arrow
 * function in the assignment: see resvObserver in kernel/resv.ts.
 */
function countingFaultHook(adopted: FaultHook | null, c: Counters): FaultHook {
  return (site, where) => {
    const fired = adopted?.(site, where) ?? false;
    if (fired) c.faultsFired += 1;
    return fired;
  };
}

/** The driver's funcs of `base` with tts cached for the BOs in `cachedBos`, write-combined otherwise. */
function poolReclaimFuncs(base: DeviceFuncs, cachedBos: WeakSet<BufferObject>): DeviceFuncs {
  return {
    ...base,
    ttmTtCreate(bo, pageFlags) {
      return ttmTtInit(bo, pageFlags, cachedBos.has(bo) ? 'cached' : 'write_combined', 0);
    },
  };
}

/** Direct reclaim of `global`'s page allocator, counted into `c` (returned, as countingFaultHook is). */
function directReclaimOf(global: TtmGlobal, c: Counters): (pages: number) => KGen<number> {
  return (pages) => poolShrink(global, c, pages);
}

/** Direct reclaim: the pool shrinker asked for `pages`; the pages it freed. */
// biome-ignore lint/correctness/useYield: the pool shrinker never sleeps; the hook's type is a KGen.
function* poolShrink(global: TtmGlobal, c: Counters, pages: number): KGen<number> {
  c.directReclaims += 1;
  const freed = ttmPoolShrinkerScan(global.poolMgr, pages, global.mutations);
  if (freed === SHRINK_STOP) return 0;
  c.reclaimedPages += freed;
  return freed;
}

/**
 * One run: its world, counters, breaches and BOs, and the tasks' bodies. The bodies are generator
 * methods of this class rather than generator closures made in the build, which kept the whole run
 * alive through young-generation collections (see RaceRun in race.ts).
 */
class PoolReclaimRun {
  readonly breaches: Breach[] = [];
  readonly all: BufferObject[] = [];
  /** BOs whose tts are cached (the allocator's large BOs). */
  readonly cachedBos = new WeakSet<BufferObject>();
  /** The holder's BOs, kept until everyone else is done. */
  readonly held: BufferObject[] = [];
  readonly workDone: Completion;
  /** The streamers and the allocator not finished yet. */
  working: number;
  /** The pools are warm once every streamer has put its first batch. */
  readonly poolWarm: Completion;
  /** Streamers that have not put their first batch yet. */
  warming: number;
  lc!: Lifecycle;

  constructor(
    readonly cfg: PoolReclaimConfig,
    readonly sim: Sim,
    readonly global: TtmGlobal,
    readonly dev: SimDevice,
    readonly c: Counters,
  ) {
    this.workDone = new Completion(sim.env, 'work-done');
    this.working = cfg.streamers + 1;
    this.poolWarm = new Completion(sim.env, 'pool-warm');
    this.warming = cfg.streamers;
  }

  finished(): void {
    this.working -= 1;
    if (this.working === 0) this.workDone.complete();
  }

  /** A new SYSTEM BO of `pages` with a populated tt, unreserved; null when that failed. */
  *create(who: string, pages: number, cached: boolean): KGen<BufferObject | null> {
    const { c, global, breaches } = this;
    const bdev = this.dev.bdev;
    const bo = newBufferObject(bdev, pages * PAGE_SIZE);
    if (cached) this.cachedBos.add(bo);
    this.all.push(bo);
    const ctx = operationCtx({ interruptible: true });
    const ret = yield* ttmBoInitReserved(bdev, bo, 'device', SYSTEM_ONLY, 1, ctx, null, null, null);
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
  }

  *holder(): KGen<number> {
    for (let i = 0; i < this.cfg.heldBos; i += 1) {
      const bo = yield* this.create('task:holder', this.cfg.heldPages, false);
      if (bo !== null) this.held.push(bo);
    }
    // Kept until everyone else is done (frozen for the suspend first: the others finish after it).
    yield* this.lc.freezePoint();
    yield* this.workDone.wait();
    for (const bo of this.held) yield* ttmBoPut(bo);
    return 0;
  }

  /** A streamer (`who`): rounds of one-page WC BOs populated, then put (their pages go to the pool). */
  *streamer(who: string): KGen<number> {
    const cfg = this.cfg;
    for (let round = 0; round < cfg.rounds; round += 1) {
      if (round === Math.ceil(cfg.rounds / 2)) yield* this.lc.freezePoint();
      const bos: BufferObject[] = [];
      for (let i = 0; i < cfg.batch; i += 1) {
        const bo = yield* this.create(who, 1, false);
        if (bo !== null) bos.push(bo);
      }
      this.c.streamed += bos.length;
      // Put: the pages go to the pool's write-combined order-0 type.
      for (const bo of bos) yield* ttmBoPut(bo);
      if (round === 0) {
        this.warming -= 1;
        if (this.warming === 0) this.poolWarm.complete();
      }
    }
    if (cfg.rounds === 0) this.poolWarm.complete();
    this.finished();
    return 0;
  }

  /** The allocator: once the pools are warm, a large cached BO of each size, populated and put. */
  *allocator(bigSizes: readonly number[]): KGen<number> {
    yield* this.poolWarm.wait();
    for (const [i, pages] of bigSizes.entries()) {
      if (i === Math.ceil(bigSizes.length / 2)) yield* this.lc.freezePoint();
      yield { kind: 'yield', label: 'allocator' };
      const bo = yield* this.create('task:allocator', pages, true);
      if (bo === null) {
        this.c.bigFailed += 1;
        continue;
      }
      this.c.bigPopulated += 1;
      yield* ttmBoPut(bo);
    }
    this.finished();
    return 0;
  }
}

/**
 * The run's statistics: counters, pooled pages, BOs left. One object literal of fixed shape, not the
 * parts spread together: see statsOf in race.ts.
 */
function statsOf(c: Counters, global: TtmGlobal, life: LifecycleCounters): Record<string, number> {
  return {
    streamed: c.streamed,
    bigPopulated: c.bigPopulated,
    bigFailed: c.bigFailed,
    directReclaims: c.directReclaims,
    reclaimedPages: c.reclaimedPages,
    faultsFired: c.faultsFired,
    pooledPages: global.poolMgr.allocatedPages,
    boCount: global.boCount,
    ...lifecycleStats(life),
  };
}
