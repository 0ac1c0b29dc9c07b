// memory-pressure: more BO data than RAM on an xe-style device. Writer tasks create BOs, populate them
// (running direct reclaim when the page allocator fails) and fill every page with known content; some
// BOs are marked purgeable. A kswapd task reclaims in the background (pool shrinker, then the BO
// shrinker: purge pass, backup pass). Reader tasks mmap every BO and touch every page through the CPU
// fault handler: a backed-up BO is restored by the fault, and restores are interrupted at seeded points
// (-EINTR → the fault returns NOPAGE → the reader touches the page again and the restore resumes).
// Every page a reader sees must hold the writer's content (or zeros for a purged BO). At the end every
// BO is put and nothing may be left: no frame, no swap slot, no BO. Options drive more of the pool and
// the shrinker: write-combined tts (`ttCaching`), and writers inside memalloc_nofs_save() (`nofsWriters`)
// whose direct reclaim has no __GFP_FS, so the xe shrinker may only purge for them.
// Under injected faults (a campaign's fault plan) the kernel's error paths are legitimate outcomes and
// are counted, not reported: a BO whose creation fails, while a fault fires, with an error a fault site
// can cause; a CPU fault that ends in VM_FAULT_SIGBUS once any fault has fired in the run
// (ttm_bo_vm_fault_reserved turns every populate error other than -EINTR/-ERESTARTSYS/-EAGAIN into
// SIGBUS). A fault's effect outlives its call: a failed backup write leaves the rest of a tt resident in
// a partially backed-up tt, which no shrinker takes again (ttm_bo_shrink_suitable wants a populated tt),
// so a later populate can run out of memory for real.

import type { Rng } from '../../engine/prng.ts';
import { SwapSpace } from '../../kernel/backup.ts';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitReserved,
  ttmBoPopulate,
  ttmBoPut,
  ttmBoReserve,
  ttmBoUnreserve,
} from '../../kernel/bo.ts';
import { type CpuMapping, ttmBoMmapObj, ttmBoVmClose, ttmBoVmFault } from '../../kernel/bo_vm.ts';
import { type Caching, PAGE_SIZE, TTM_PL_SYSTEM } from '../../kernel/constants.ts';
import { currentPlace } from '../../kernel/content.ts';
import { TtmGlobal } from '../../kernel/device.ts';
import type { KGen } from '../../kernel/env.ts';
import { EBUSY, EFAULT, EINTR, ENOMEM, ENOSPC, ERESTARTSYS, errnoName } from '../../kernel/errno.ts';
import type { FaultHook } from '../../kernel/faults.ts';
import { operationCtx, place, placementOf } from '../../kernel/placement.ts';
import { Ram } from '../../kernel/ram.ts';
import { reclaim, XeShrinker } from '../../kernel/shrinker.ts';
import { createSimDevice, type SimDevice } from '../../kernel/simdrv.ts';
import { dataStats, PageData, stepCounter } from '../data_checks.ts';
import type { Breach, Scenario, Workload } from '../scenario.ts';
import type { Sim } from '../sim.ts';
import { LIFECYCLE, Lifecycle, lifecycleStats } from './lifecycle.ts';

export interface MemoryPressureConfig {
  readonly ramPages: number;
  readonly swapPages: number;
  readonly writers: number;
  readonly bosPerWriter: number;
  readonly boPages: number;
  readonly readers: number;
  /** Every n-th BO of a writer is marked purgeable. */
  readonly purgeableEvery: number;
  /** kswapd wakes this many times, 1 ms apart, and reclaims when free RAM is under the watermark. */
  readonly kswapdWakeups: number;
  readonly watermarkPages: number;
  /** Caching of the device's tts (xe: write-combined for scanout and other uncached-CPU BOs). Default cached. */
  readonly ttCaching?: Caching;
  /**
   * The first n writers populate from a GFP_NOFS context (as a driver does while the filesystem waits on
   * it): their direct reclaim may purge but not back up (xe_shrinker_scan's can_backup). Default 0.
   */
  readonly nofsWriters?: number;
}

const DEFAULTS: MemoryPressureConfig = {
  ramPages: 512,
  swapPages: 4096,
  writers: 2,
  bosPerWriter: 5,
  boPages: 64,
  readers: 2,
  purgeableEvery: 4,
  kswapdWakeups: 40,
  watermarkPages: 96,
};

/** Attempts at a populate or a page access before a task gives up (a liveness bound, reported). */
const MAX_ATTEMPTS = 64;

/**
 * The errors the fault sites make kernel calls return: -ENOMEM (page.alloc, resource.alloc,
 * backup.write), -ENOSPC (backup.write), -EFAULT (iommu.map through ttm_pool_map), -EINTR and
 * -ERESTARTSYS (restore.interrupt, signal.wait), -EBUSY (fence.timeout).
 */
const INJECTABLE_ERRORS: ReadonlySet<number> = new Set([
  -ENOMEM,
  -ENOSPC,
  -EFAULT,
  -EINTR,
  -ERESTARTSYS,
  -EBUSY,
]);

interface Counters {
  populated: number;
  directReclaims: number;
  kswapdReclaims: number;
  faults: number;
  refaults: number;
  signalsArmed: number;
  pagesChecked: number;
  givenUp: number;
  /** Injected faults that fired in this world. */
  faultsFired: number;
  /** BO creations that failed with an injectable error while a fault fired (the BO is gone). */
  createFailures: number;
  /** CPU faults that returned VM_FAULT_SIGBUS after a fault fired (the access is not retried). */
  faultErrors: number;
  /** Direct reclaims run from a GFP_NOFS context (purge only). */
  nofsReclaims: number;
}

export function memoryPressure(
  overrides: Partial<MemoryPressureConfig> = {},
  name = 'memory-pressure',
): Scenario {
  const cfg: MemoryPressureConfig = { ...DEFAULTS, ...overrides };
  const bos = cfg.writers * cfg.bosPerWriter;
  return {
    name,
    summary: `${bos} BOs × ${cfg.boPages} pages in ${cfg.ramPages} pages of RAM (xe-style): populate under pressure, reclaim (purge, backup), fault-driven restore interrupted by signals`,
    config: { scenario: 'memory-pressure', ...cfg, lifecycle: LIFECYCLE },
    sometimes: [
      { id: 'directReclaims', description: 'an allocation ran direct reclaim' },
      { id: 'kswapdReclaims', description: 'kswapd reclaimed' },
      { id: 'purgedPages', description: 'reclaim purged pages of a purgeable BO' },
      { id: 'backedUpPages', description: 'reclaim backed pages up to shmem' },
      { id: 'refaults', description: 'a CPU fault had to be retried' },
    ],
    build(sim: Sim, rng: Rng): Workload {
      const global = new TtmGlobal(new Ram(cfg.ramPages), new SwapSpace(cfg.swapPages));
      sim.adopt(global);
      const dev = createSimDevice(sim.env, global, 'device:0', {
        vramBytes: 64 * PAGE_SIZE,
        ttBytes: 64 * PAGE_SIZE,
        style: 'xe',
        ...(cfg.ttCaching === undefined ? {} : { ttCaching: cfg.ttCaching }),
      });
      const shrinker = new XeShrinker(dev);
      // The shrinkers this world's page allocator runs in direct reclaim (no GPU waits there).
      const run = new MemoryPressureRun(cfg, sim, rng, global, dev, shrinker);
      global.directReclaim = directReclaimOf(run);
      run.data = new PageData(run.breaches, stepCounter(sim));
      // Count the injected faults, so that a kernel error path they cause is told from a breach.
      global.faultHook = countingFaultHook(global.faultHook, run.c);
      // Suspend halfway (xe: VRAM and TT evicted; xe's tts are EXTERNAL, so TTM's hibernation swapout
      // has nothing to do: the xe shrinker backs them up), resume, teardown once every BO was put.
      const lc = new Lifecycle(sim, [{ global, devices: [dev], bos: run.all }], { hibernate: false });
      run.lc = lc;
      for (let w = 0; w < cfg.writers; w += 1)
        lc.worker(`writer${w}`, () => run.writer(w < (cfg.nofsWriters ?? 0)));
      lc.worker('kswapd', () => run.kswapd());
      for (let r = 0; r < cfg.readers; r += 1) lc.worker(`reader${r}`, () => run.reader(`task:reader${r}`));
      lc.release = () => run.release();
      lc.start();
      // Methods, not arrow properties: under tsx, keepNames names every arrow stored in a property with
      // a defineProperty call (a runtime call per function per run).
      return {
        stats() {
          return statsOf(run);
        },
        check() {
          return [...run.breaches, ...lc.check()];
        },
        describe() {
          return run.all.map((bo) => `${bo.id}: ${bo.destroyed ? 'destroyed' : 'alive'}`);
        },
        worlds() {
          return [global];
        },
      };
    },
  };
}

/**
 * Direct reclaim of the world's page allocator: the xe shrinkers, no GPU waits. A task inside a
 * memalloc_nofs_save() section reclaims without __GFP_FS and __GFP_IO (current_gfp_context). Returned,
 * not written as an arrow function in the assignment: see resvObserver in kernel/resv.ts.
 */
function directReclaimOf(run: MemoryPressureRun): (pages: number) => KGen<number> {
  return (pages) => {
    const fs = !run.nofsTasks.has(run.sim.env.current());
    return reclaim(run.dev, run.shrinker, { nrToScan: pages, gfpFs: fs, gfpIo: false, kswapd: false });
  };
}

/** The fault hook `adopted`, counting the faults that fire into `c` (returned, as directReclaimOf is). */
function countingFaultHook(adopted: FaultHook | null, c: Counters): FaultHook {
  return (site, where) => {
    const fired = adopted?.(site, where) ?? false;
    if (fired) c.faultsFired += 1;
    return fired;
  };
}

/**
 * One run: its world, counters, breaches and BOs, and the tasks' bodies. The bodies are generator
 * methods of this class rather than generator closures made in the build, which kept the whole run
 * alive through young-generation collections (see RaceRun in race.ts).
 */
class MemoryPressureRun {
  readonly c: Counters = {
    populated: 0,
    directReclaims: 0,
    kswapdReclaims: 0,
    faults: 0,
    refaults: 0,
    signalsArmed: 0,
    pagesChecked: 0,
    givenUp: 0,
    faultsFired: 0,
    createFailures: 0,
    faultErrors: 0,
    nofsReclaims: 0,
  };
  readonly breaches: Breach[] = [];
  /** What every page must hold, and the checks on every read (src/sim/data_checks.ts). */
  data!: PageData;
  readonly all: BufferObject[] = [];
  readonly written = new Set<BufferObject>();
  /** Tasks inside a memalloc_nofs_save() section: their allocations reclaim as GFP_NOFS. */
  readonly nofsTasks = new Set<string>();
  /** Writers and readers not finished yet. */
  running: number;
  /** Writers not finished yet. */
  writing: number;
  lc!: Lifecycle;

  constructor(
    readonly cfg: MemoryPressureConfig,
    readonly sim: Sim,
    readonly rng: Rng,
    readonly global: TtmGlobal,
    readonly dev: SimDevice,
    readonly shrinker: XeShrinker,
  ) {
    this.running = cfg.writers + cfg.readers;
    this.writing = cfg.writers;
  }

  /**
   * Populate (resv held): on -ENOMEM run direct reclaim (no GPU waits) and try again. A task inside
   * memalloc_nofs_save() reclaims as GFP_NOFS: purge only, nothing written to shmem.
   */
  *populate(bo: BufferObject): KGen<number> {
    const nofs = this.nofsTasks.has(this.sim.env.current());
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const ret = yield* ttmBoPopulate(bo, operationCtx({ interruptible: true }));
      if (ret !== -ENOMEM) return ret;
      this.c.directReclaims += 1;
      if (nofs) this.c.nofsReclaims += 1;
      yield* reclaim(this.dev, this.shrinker, {
        nrToScan: this.cfg.boPages,
        gfpFs: !nofs,
        gfpIo: false,
        kswapd: false,
      });
    }
    return -ENOMEM;
  }

  /**
   * A writer: create, populate and fill its BOs, marking every n-th purgeable. `nofs`: the writer runs
   * inside memalloc_nofs_save() for its whole life (see populate).
   */
  *writer(nofs: boolean): KGen<number> {
    const { cfg, c, dev } = this;
    // memalloc_nofs_save() for the writer's whole life: every allocation it makes is GFP_NOFS.
    if (nofs) this.nofsTasks.add(this.sim.env.current());
    for (let i = 0; i < cfg.bosPerWriter; i += 1) {
      if (i === Math.ceil(cfg.bosPerWriter / 2)) yield* this.lc.freezePoint();
      const bo = newBufferObject(dev.bdev, cfg.boPages * PAGE_SIZE);
      this.all.push(bo);
      const sys = placementOf(place(TTM_PL_SYSTEM));
      const faultsBefore = c.faultsFired;
      const ret = yield* ttmBoInitReserved(dev.bdev, bo, 'device', sys, 1, operationCtx(), null, null, null);
      if (ret !== 0 && c.faultsFired > faultsBefore && INJECTABLE_ERRORS.has(ret)) {
        // ttm_bo_init_reserved put the BO on its error path: it is destroyed.
        c.createFailures += 1;
        continue;
      }
      if (ret !== 0) {
        this.breaches.push({
          id: 'correctness.create',
          actor: bo.id,
          message: `init failed ${errnoName(ret)}`,
        });
        continue;
      }
      const p = yield* this.populate(bo);
      if (p === 0) {
        c.populated += 1;
        const where = currentPlace(bo)!;
        // Fresh pages read zeros; then every page gets its data. A purgeable BO may lose it.
        this.data.track(bo, 'zero', (i + 1) % cfg.purgeableEvery === 0);
        for (let page = 0; page < cfg.boPages; page += 1) this.data.verifyAt(bo, where, page, 'task:writer');
        this.data.cpuWriteAll(bo, where);
        this.written.add(bo);
      } else {
        c.givenUp += 1;
      }
      ttmBoUnreserve(bo);
      if ((i + 1) % cfg.purgeableEvery === 0) dev.xe!.purgeable.add(bo);
    }
    this.writing -= 1;
    this.running -= 1;
    return 0;
  }

  *kswapd(): KGen<number> {
    const cfg = this.cfg;
    for (let i = 0; i < cfg.kswapdWakeups && this.running > 0; i += 1) {
      // kswapd is freezable (set_freezable): it stops for the suspend too.
      if (i === Math.ceil(cfg.kswapdWakeups / 2)) yield* this.lc.freezePoint();
      yield { kind: 'sleep', ms: 1 };
      if (this.global.ram.freeCount < cfg.watermarkPages) {
        this.c.kswapdReclaims += 1;
        yield* reclaim(this.dev, this.shrinker, {
          nrToScan: cfg.watermarkPages,
          gfpFs: true,
          gfpIo: true,
          kswapd: true,
        });
      }
    }
    return 0;
  }

  /** A user access to one page: fault until a PTE is there, then check what it maps. */
  *touch(vma: CpuMapping, page: number, who: string): KGen<void> {
    const c = this.c;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const pte = vma.ptes.get(page);
      if (pte !== undefined) {
        this.c.pagesChecked += 1;
        // What the PTE maps must be what the writer wrote, restored if it was backed up (or zeros
        // for a purged BO).
        this.data.verifyPte(vma.bo, pte, page, who);
        return;
      }
      c.faults += 1;
      const flags = { allowRetry: attempt === 0, retryNowait: false, interruptible: true };
      const ret = yield* ttmBoVmFault(vma, page, flags);
      if (ret === 'SIGBUS' && c.faultsFired > 0) {
        // The populate failed under injected faults: userspace gets SIGBUS for this access.
        c.faultErrors += 1;
        return;
      }
      if (ret === 'SIGBUS' || ret === 'OOM') {
        this.breaches.push({
          id: 'correctness.fault',
          actor: who,
          message: `${vma.bo.id} page ${page}: ${ret}`,
        });
        return;
      }
      if (vma.ptes.get(page) === undefined) c.refaults += 1;
    }
    c.givenUp += 1;
  }

  /** A reader (`who`): wait for the writers, then read every BO they wrote, in a seeded order. */
  *reader(who: string): KGen<number> {
    const { cfg, rng } = this;
    while (this.writing > 0) {
      yield* this.lc.freezePoint();
      yield { kind: 'sleep', ms: 1 };
    }
    const order = [...this.written];
    for (let i = order.length - 1; i > 0; i -= 1) {
      const j = rng.int(0, i);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const [i, bo] of order.entries()) {
      if (i === Math.ceil(order.length / 2)) yield* this.lc.freezePoint();
      const vma = ttmBoMmapObj(bo);
      if (typeof vma === 'number') continue;
      // A signal arrives during the next restore read: the fault is interrupted and resumed.
      if (rng.chance(1, 2)) {
        this.global.swap.interruptAfterReads = rng.int(0, cfg.boPages - 1);
        this.c.signalsArmed += 1;
      }
      for (let page = 0; page < cfg.boPages; page += 1) yield* this.touch(vma, page, who);
      yield* ttmBoVmClose(vma);
    }
    this.running -= 1;
    return 0;
  }

  /** Every writer and reader finished: drop the last references (the lifecycle then tears down). */
  *release(): KGen<void> {
    for (const bo of this.all) {
      if (bo.destroyed) continue;
      // Drop the last reference; busy or contended BOs go through delayed delete.
      const ret = yield* ttmBoReserve(bo, false, false, null);
      if (ret === 0) ttmBoUnreserve(bo);
      yield* ttmBoPut(bo);
    }
  }
}

/**
 * The run's statistics: counters, what the shrinker did, what is left. One object literal of fixed
 * shape, not the parts spread together: see statsOf in race.ts.
 */
function statsOf(run: MemoryPressureRun): Record<string, number> {
  const c = run.c;
  return {
    populated: c.populated,
    directReclaims: c.directReclaims,
    kswapdReclaims: c.kswapdReclaims,
    faults: c.faults,
    refaults: c.refaults,
    signalsArmed: c.signalsArmed,
    pagesChecked: c.pagesChecked,
    ...dataStats(run.data),
    givenUp: c.givenUp,
    faultsFired: c.faultsFired,
    createFailures: c.createFailures,
    faultErrors: c.faultErrors,
    ...((run.cfg.nofsWriters ?? 0) > 0 ? { nofsReclaims: c.nofsReclaims } : {}),
    purgedPages: run.shrinker.stats.purged,
    backedUpPages: run.shrinker.stats.backedUp,
    ramUsedPages: run.global.ram.usedPages,
    swapUsedPages: run.global.swap.usedPages,
    boCount: run.global.boCount,
    ...lifecycleStats(run.lc.c),
  };
}
