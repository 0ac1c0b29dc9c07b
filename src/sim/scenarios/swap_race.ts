// swap-race: ttm_global_swapout under a small TTM page limit (ttm_pages_limit) on an amdgpu-style device,
// whose tts TTM counts and swaps out whole. Every populate over the limit runs the swapout walk in the
// allocating task, while other tasks destroy the BOs it walks over:
// - a hog fills SYSTEM with populated BOs, and a reaper puts them one by one (their tts are destroyed
//   as the walk meets them);
// - clients create BOs in TT (a new BO's TT resource is on the LRU while its tt is being populated and
//   the BO has no resource yet), fence them with GPU jobs, validate them into TT again (swapping them
//   back in) and put them;
// - a stalled job keeps one BO busy after its last reference is gone: a zombie on the SYSTEM LRU whose
//   fence signals only once every other task finished, so every swapout that reaches it waits 15 s
//   and gives up on it.
// At the end every BO is put and nothing may be left: no BO, no byte of TT or VRAM, no swap slot, no
// frame, no lock; ttm_bo_validate and populate return only errors userspace may see.

import type { Rng } from '../../engine/prng.ts';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitReserved,
  ttmBoPopulate,
  ttmBoPut,
  ttmBoReserve,
  ttmBoUnreserve,
  ttmBoValidate,
} from '../../kernel/bo.ts';
import { PAGE_SIZE, TTM_PL_SYSTEM, TTM_PL_TT } from '../../kernel/constants.ts';
import { TtmGlobal } from '../../kernel/device.ts';
import type { KGen } from '../../kernel/env.ts';
import { DmaFence } from '../../kernel/fence.ts';
import { operationCtx, type Placement, place, placementOf } from '../../kernel/placement.ts';
import { Ram } from '../../kernel/ram.ts';
import { DmaResvUsage } from '../../kernel/resv.ts';
import { createSimDevice, type SimDevice } from '../../kernel/simdrv.ts';
import { dataStats, PageData, stepCounter } from '../data_checks.ts';
import type { Breach, Scenario, Workload } from '../scenario.ts';
import type { Sim } from '../sim.ts';
import { LIFECYCLE, Lifecycle, lifecycleStats } from './lifecycle.ts';
import { oneWorldWorkload } from './race_common.ts';
import { Completion, checkErrno } from './swap_checks.ts';

export interface SwapRaceConfig {
  readonly ramPages: number;
  /** ttm_pages_limit: populated tt pages above it make ttm_tt_populate swap other BOs out. */
  readonly pagesLimit: number;
  /** Populated SYSTEM BOs the hog creates (swap candidates) and the reaper puts. */
  readonly hogBos: number;
  readonly hogPages: number;
  readonly clients: number;
  readonly bosPerClient: number;
  readonly minBoPages: number;
  readonly maxBoPages: number;
  /** Pages of the BO whose GPU job stalls until the end (the busy zombie). */
  readonly stalledPages: number;
  /**
   * The device's IOVA space in pages: populated tts are DMA-mapped through it, so a swapout or a
   * destroyed zombie unmaps what a populate mapped.
   */
  readonly iovaPages: number;
}

const DEFAULTS: SwapRaceConfig = {
  ramPages: 1024,
  pagesLimit: 16,
  hogBos: 4,
  hogPages: 4,
  clients: 2,
  bosPerClient: 2,
  minBoPages: 2,
  maxBoPages: 6,
  stalledPages: 8,
  iovaPages: 256,
};

const SYSTEM_ONLY: Placement = placementOf(place(TTM_PL_SYSTEM));
const TT_ONLY: Placement = placementOf(place(TTM_PL_TT));

interface Counters {
  created: number;
  createFailures: number;
  revalidated: number;
  swapins: number;
  validateFailures: number;
  reaped: number;
}

export function swapRace(overrides: Partial<SwapRaceConfig> = {}, name = 'swap-race'): Scenario {
  const cfg: SwapRaceConfig = { ...DEFAULTS, ...overrides };
  return {
    name,
    summary: `${cfg.clients} clients × ${cfg.bosPerClient} TT BOs, ${cfg.hogBos} SYSTEM BOs reaped, a stalled zombie, ttm_pages_limit ${cfg.pagesLimit} pages: global swapout racing BO destruction`,
    config: { scenario: 'swap-race', ...cfg, lifecycle: LIFECYCLE },
    sometimes: [
      { id: 'swapouts', description: 'a populate over the page limit swapped a BO out' },
      { id: 'swapins', description: 'a swapped-out BO was validated back in' },
      { id: 'zombies', description: 'a busy BO became a zombie' },
    ],
    build(sim: Sim, rng: Rng): Workload {
      const global = new TtmGlobal(new Ram(cfg.ramPages));
      sim.adopt(global);
      global.ttmPagesLimit = cfg.pagesLimit;
      global.ttmDma32PagesLimit = cfg.pagesLimit;
      const dev = createSimDevice(sim.env, global, 'device:0', {
        vramBytes: 64 * PAGE_SIZE,
        ttBytes: 256 * PAGE_SIZE,
        iommuPages: cfg.iovaPages,
      });
      const run = new SwapRaceRun(cfg, sim, dev);
      run.data = new PageData(run.breaches, stepCounter(sim));
      // Hibernation (the scenario models swap): the clients freeze between creating their BOs and using
      // them again, so the suspend swaps them out and the resumed clients swap them back in.
      const lc = new Lifecycle(sim, [{ global, devices: [dev], bos: run.all }], { hibernate: true });
      run.lc = lc;

      // The stalled job: its BO is put while the job runs and stays a busy zombie until the end.
      lc.worker('stall', () => run.stall());
      lc.worker('hog', () => run.hog());
      lc.worker('reaper', () => run.reaper());
      for (let client = 0; client < cfg.clients; client += 1) {
        const sizes = Array.from({ length: cfg.bosPerClient }, () => rng.int(cfg.minBoPages, cfg.maxBoPages));
        lc.worker(`client${client}`, () => run.client(`task:client${client}`, sizes));
      }
      lc.start();

      return oneWorldWorkload(
        global,
        run.all,
        () => statsOf(run, global),
        () => [...run.breaches, ...lc.check()],
      );
    },
  };
}

/**
 * One run: its device, counters, breaches, BOs and completions, and the tasks' bodies. The bodies are
 * generator methods of this class rather than generator closures made in the build, which kept the
 * whole run alive through young-generation collections (see RaceRun in race.ts).
 */
class SwapRaceRun {
  readonly c: Counters = {
    created: 0,
    createFailures: 0,
    revalidated: 0,
    swapins: 0,
    validateFailures: 0,
    reaped: 0,
  };
  readonly breaches: Breach[] = [];
  /** What every page must hold, and the checks on every read (src/sim/data_checks.ts). */
  data!: PageData;
  readonly all: BufferObject[] = [];
  /** The hog's BOs, populated: the reaper puts them. */
  readonly hogs: BufferObject[] = [];
  readonly hogsReady: Completion;
  readonly othersDone: Completion;
  /** The hog, the reaper and the clients not finished yet. */
  running: number;
  lc!: Lifecycle;

  constructor(
    readonly cfg: SwapRaceConfig,
    readonly sim: Sim,
    readonly dev: SimDevice,
  ) {
    this.hogsReady = new Completion(sim.env, 'hogs-ready');
    this.othersDone = new Completion(sim.env, 'others-done');
    this.running = cfg.clients + 2;
  }

  finished(): void {
    this.running -= 1;
    if (this.running === 0) this.othersDone.complete();
  }

  /** A new BO validated into `placement` (interruptible); returned reserved, or null. */
  *create(who: string, pages: number, placement: Placement): KGen<BufferObject | null> {
    const bdev = this.dev.bdev;
    const bo = newBufferObject(bdev, pages * PAGE_SIZE);
    this.all.push(bo);
    const ctx = operationCtx({ interruptible: true });
    const ret = yield* ttmBoInitReserved(bdev, bo, 'device', placement, 1, ctx, null, null, null);
    checkErrno(ret, `creating ${bo.id}`, who, this.breaches);
    if (ret !== 0) {
      this.c.createFailures += 1;
      return null;
    }
    this.c.created += 1;
    this.data.trackNew(bo);
    return bo;
  }

  /** Populate a reserved BO's tt (what a CPU fault or a driver's kmap does). */
  *populate(who: string, bo: BufferObject): KGen<void> {
    const ret = yield* ttmBoPopulate(bo, operationCtx({ interruptible: true }));
    checkErrno(ret, `populating ${bo.id}`, who, this.breaches);
  }

  *stall(): KGen<number> {
    const bo = yield* this.create('task:stall', this.cfg.stalledPages, SYSTEM_ONLY);
    if (bo !== null) {
      yield* this.populate('task:stall', bo);
      const job = new DmaFence(this.sim.env.nextId('fence-ctx'), 1, 'fence:stalled-job');
      if (bo.resv.reserveFences(1) === 0) bo.resv.addFence(job, DmaResvUsage.WRITE);
      ttmBoUnreserve(bo);
      yield* ttmBoPut(bo);
      // The zombie stays busy through the suspend.
      yield* this.lc.freezePoint();
      yield* this.othersDone.wait();
      job.signal();
    }
    return 0;
  }

  *hog(): KGen<number> {
    for (let i = 0; i < this.cfg.hogBos; i += 1) {
      const bo = yield* this.create('task:hog', this.cfg.hogPages, SYSTEM_ONLY);
      if (bo === null) continue;
      yield* this.populate('task:hog', bo);
      ttmBoUnreserve(bo);
      this.hogs.push(bo);
    }
    this.hogsReady.complete();
    this.finished();
    return 0;
  }

  *reaper(): KGen<number> {
    yield* this.hogsReady.wait();
    for (const [i, bo] of this.hogs.entries()) {
      if (i === Math.ceil(this.hogs.length / 2)) yield* this.lc.freezePoint();
      yield { kind: 'yield', label: 'reaper' };
      yield* ttmBoPut(bo);
      this.c.reaped += 1;
    }
    this.finished();
    return 0;
  }

  /** A client (`who`): BOs of `sizes` pages created in TT and fenced, validated again, put. */
  *client(who: string, sizes: readonly number[]): KGen<number> {
    const { c, dev } = this;
    const bos: BufferObject[] = [];
    for (const pages of sizes) {
      const bo = yield* this.create(who, pages, TT_ONLY);
      if (bo === null) continue;
      const job = dev.gfxRing.emit();
      // The GPU job reads and writes every page once the BO's fences signalled.
      this.data.gpuJob([bo], job, who);
      if (bo.resv.reserveFences(1) === 0) bo.resv.addFence(job, DmaResvUsage.WRITE);
      ttmBoUnreserve(bo);
      bos.push(bo);
    }
    yield* this.lc.freezePoint();
    // Use every BO again: a swapped-out one comes back in (populate over the limit once more).
    for (const bo of bos) {
      if ((yield* ttmBoReserve(bo, true, false, null)) !== 0) continue;
      if (bo.ttm?.isSwapped()) c.swapins += 1;
      const ret = yield* ttmBoValidate(bo, TT_ONLY, operationCtx({ interruptible: true }));
      checkErrno(ret, `validating ${bo.id}`, who, this.breaches);
      if (ret === 0) {
        c.revalidated += 1;
        const job = dev.gfxRing.emit();
        this.data.gpuJob([bo], job, who);
        if (bo.resv.reserveFences(1) === 0) bo.resv.addFence(job, DmaResvUsage.WRITE);
      } else {
        c.validateFailures += 1;
      }
      ttmBoUnreserve(bo);
    }
    for (const bo of bos) {
      yield { kind: 'yield', label: 'client.put' };
      yield* ttmBoPut(bo);
    }
    this.finished();
    return 0;
  }
}

/**
 * The run's statistics: counters, what the statecharts saw, BOs left. One object literal of fixed shape,
 * not the parts spread together: see statsOf in race.ts.
 */
function statsOf(run: SwapRaceRun, global: TtmGlobal): Record<string, number> {
  const c = run.c;
  const m = run.sim.mirror;
  return {
    created: c.created,
    createFailures: c.createFailures,
    revalidated: c.revalidated,
    swapins: c.swapins,
    validateFailures: c.validateFailures,
    reaped: c.reaped,
    swapouts: m.count('tt.swapout'),
    zombies: m.count('bo.zombie'),
    boCount: global.boCount,
    ...dataStats(run.data),
    ...lifecycleStats(run.lc.c),
  };
}
