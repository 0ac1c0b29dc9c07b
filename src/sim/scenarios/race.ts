// race: a scenario composed from a declarative config. It names devices (each its own TTM world: RAM,
// swap, an amdgpu- or xe-style device with VRAM and TT), buffer objects created on them before the run
// (with known content in every page, optionally pinned), and racing tasks, one actor each:
// - fault: mmap a BO and touch every page through the CPU fault handler, checking what each PTE maps;
// - exec: reserve several BOs with one ww ticket (backing off on -EDEADLK through the slowpath), validate
//   them into their placements, fence them with a GPU job, optionally hold the reservations a while
//   (a long ioctl), unreserve;
// - reclaim: the pool shrinker, the xe BO shrinker (with the pool shrinker first) or ttm_global_swapout;
// - put: the owner's last user reference goes (after unpinning); busy BOs become zombies whose delayed
//   delete runs in kworker tasks the model spawns;
// - signal: a signal to a named task after a virtual delay, interrupting its interruptible waits;
// - evict: ttm_resource_manager_evict_all of VRAM or TT (suspend-style).
// GPU rings signal the fences. Every task holds its own reference on the BOs it uses and drops it when
// it is done; when every task has finished, a teardown task puts the BOs no put task took care of. The
// run checks that every page a fault mapped held the BO's content, that userspace saw only the errors
// it may see, and that nothing is left: no BO, no byte of VRAM or TT, no frame, no swap slot, no lock.
// The config's types, defaults and rules are in race_config.ts; this file builds and runs it.

import type { Rng } from '../../engine/prng.ts';
import { SwapSpace } from '../../kernel/backup.ts';
import {
  type BufferObject,
  newBufferObject,
  ttmBoGet,
  ttmBoInitReserved,
  ttmBoPin,
  ttmBoPopulate,
  ttmBoPut,
  ttmBoReserve,
  ttmBoUnpin,
  ttmBoUnreserve,
  ttmBoValidate,
  ttmResourceManagerEvictAll,
} from '../../kernel/bo.ts';
import {
  type CpuMapping,
  ttmBoMmapObj,
  ttmBoVmClose,
  ttmBoVmFault,
  type VmFault,
} from '../../kernel/bo_vm.ts';
import {
  memTypeName,
  TTM_PL_FLAG_FALLBACK,
  TTM_PL_SYSTEM,
  TTM_PL_TT,
  TTM_PL_VRAM,
} from '../../kernel/constants.ts';
import { currentPlace } from '../../kernel/content.ts';
import { TtmGlobal } from '../../kernel/device.ts';
import type { KGen } from '../../kernel/env.ts';
import { EINTR, ENOMEM, ERESTARTSYS, errnoName } from '../../kernel/errno.ts';
import { operationCtx, type Placement, place, placementOf } from '../../kernel/placement.ts';
import { SHRINK_STOP, ttmPoolShrinkerScan } from '../../kernel/pool_type.ts';
import { Ram } from '../../kernel/ram.ts';
import { DmaResvUsage, wwAcquireInit } from '../../kernel/resv.ts';
import { reclaim, XeShrinker } from '../../kernel/shrinker.ts';
import { createSimDevice, type SimDevice } from '../../kernel/simdrv.ts';
import { ttmGlobalSwapout } from '../../kernel/swap.ts';
import { runSync } from '../../kernel/sync.ts';
import { PageData } from '../data_checks.ts';
import type { Breach, Scenario, SometimesGoal, Workload } from '../scenario.ts';
import type { Sim } from '../sim.ts';
import { LIFECYCLE, Lifecycle } from './lifecycle.ts';
import { VALIDATE_ERRNOS } from './race_common.ts';
import {
  type BoPlacement,
  DEFAULT_RACE_CONFIG,
  type EvictTask,
  type ExecTask,
  type FaultTask,
  type PutTask,
  type RaceBo,
  type RaceConfig,
  type RaceDevice,
  type RaceTask,
  type ReclaimTask,
  raceAllocFlags,
  raceProblems,
  type SignalTask,
  type TaskKind,
} from './race_config.ts';
import { reserveAll } from './reserve.ts';

// The config is part of the scenario's surface: importers of the scenario find it here too.
export * from './race_config.ts';

// ---------------------------------------------------------------------------------------------------
// The scenario

const PLACEMENTS: Readonly<Record<BoPlacement, Placement>> = {
  vram: placementOf(place(TTM_PL_VRAM)),
  tt: placementOf(place(TTM_PL_TT)),
  'vram-or-tt': placementOf(place(TTM_PL_VRAM), place(TTM_PL_TT, TTM_PL_FLAG_FALLBACK)),
  system: placementOf(place(TTM_PL_SYSTEM)),
};

/**
 * The pass at whose start a repeating task is frozen for the suspend (src/sim/scenarios/lifecycle.ts):
 * half its passes run before the suspend, the rest after the resume. A task of one pass is frozen after it.
 */
function frozenAt(repeat: number): number {
  return Math.ceil(repeat / 2);
}

/** Faults of one page access before it gives up (a liveness bound; never reached in a passing run). */
const MAX_FAULTS = 32;

interface Counters {
  faults: number;
  refaults: number;
  pagesChecked: number;
  sigbus: number;
  execs: number;
  execFailures: number;
  backoffs: number;
  interrupted: number;
  signalsHandled: number;
  reclaims: number;
  reclaimedPages: number;
  evictAlls: number;
  evictErrors: number;
  puts: number;
}

interface World {
  readonly cfg: RaceDevice;
  readonly global: TtmGlobal;
  readonly dev: SimDevice;
  readonly shrinker: XeShrinker | null;
  readonly bos: BufferObject[];
}

interface LiveBo {
  readonly cfg: RaceBo;
  readonly bo: BufferObject;
  readonly world: World;
}

function summaryOf(cfg: RaceConfig): string {
  const kinds = new Map<string, number>();
  for (const t of cfg.tasks) kinds.set(t.kind, (kinds.get(t.kind) ?? 0) + 1);
  const tasks = [...kinds].map(([k, n]) => `${n} ${k}`).join(', ');
  return `${cfg.devices.length} device(s), ${cfg.bos.length} BOs, racing tasks: ${tasks}`;
}

function goalsOf(cfg: RaceConfig): SometimesGoal[] {
  const has = (k: TaskKind) => cfg.tasks.some((t) => t.kind === k);
  const goals: SometimesGoal[] = [];
  if (cfg.tasks.filter((t) => t.kind === 'exec').length > 1)
    goals.push({
      id: 'backoffs',
      description: 'a ww reservation backed off with -EDEADLK and took the slowpath',
    });
  if (has('exec') || has('evict')) goals.push({ id: 'evictions', description: 'a BO was evicted' });
  if (has('fault')) goals.push({ id: 'refaults', description: 'a CPU fault had to be taken again' });
  if (has('signal')) goals.push({ id: 'interrupted', description: 'a signal interrupted a wait' });
  if (has('reclaim')) goals.push({ id: 'reclaimedPages', description: 'reclaim freed or swapped out pages' });
  if (has('put')) goals.push({ id: 'zombies', description: 'a busy BO was put and became a zombie' });
  return goals;
}

/** The `race` scenario of `cfg` (a complete config: see RACE_DEFAULTS and raceProblems). */
export function race(cfg: RaceConfig = DEFAULT_RACE_CONFIG, name = 'race'): Scenario {
  const problems = raceProblems(cfg);
  if (problems.length > 0) {
    const p = problems[0]!;
    throw new Error(`race: ${p.path.join('.')}: ${p.problem}; ${p.fix}`);
  }
  const goals = goalsOf(cfg);
  return {
    name,
    summary: summaryOf(cfg),
    config: {
      scenario: 'race',
      lifecycle: LIFECYCLE,
      devices: cfg.devices.map((d) => ({ ...d })),
      bos: cfg.bos.map((b) => ({ ...b })),
      tasks: cfg.tasks.map((t) => (t.kind === 'exec' ? { ...t, bos: [...t.bos] } : { ...t })),
    },
    ...(goals.length === 0 ? {} : { sometimes: goals }),
    build: (sim: Sim, _rng: Rng): Workload => buildRace(cfg, sim),
  };
}

/**
 * One run of a race config: its worlds, BOs, counters and breaches, and the bodies of its tasks.
 * The task bodies are generator methods of this class, not generator closures made in the build: a
 * generator function made per run gets a hidden class of its own on its first call, allocated in the
 * old generation, and that class kept the function's scope (the whole run) alive through every
 * young-generation collection until the next full one. With closures, every run of `small` survived
 * into the old generation and garbage collection took about a third of the run.
 */
class RaceRun {
  readonly c: Counters = {
    faults: 0,
    refaults: 0,
    pagesChecked: 0,
    sigbus: 0,
    execs: 0,
    execFailures: 0,
    backoffs: 0,
    interrupted: 0,
    signalsHandled: 0,
    reclaims: 0,
    reclaimedPages: 0,
    evictAlls: 0,
    evictErrors: 0,
    puts: 0,
  };
  readonly breaches: Breach[] = [];
  readonly worlds = new Map<string, World>();
  readonly live = new Map<string, LiveBo>();
  /** BOs a put task puts (teardown puts the others). */
  readonly putByTask: ReadonlySet<string>;
  /** Tasks (other than signals) not finished yet. */
  running: number;
  signals = 0;
  /** Counts a ww backoff (given to reserveAll; made once per run, not per reservation). */
  readonly onBackoff: () => void = backoffCounter(this.c);
  /** The worlds' whole life (suspend, resume, teardown): set once the worlds are built. */
  lc!: Lifecycle;
  /** What every page of every BO must hold, and the checks on every read (src/sim/data_checks.ts). */
  readonly data: PageData;

  constructor(
    readonly cfg: RaceConfig,
    readonly sim: Sim,
  ) {
    this.putByTask = new Set(cfg.tasks.flatMap((t) => (t.kind === 'put' ? [t.bo] : [])));
    this.data = new PageData(this.breaches, stepsOf(sim));
    this.running = cfg.tasks.filter((t) => t.kind !== 'signal').length;
  }

  allowed(ret: number, who: string, what: string): void {
    if (ret === 0 || VALIDATE_ERRNOS.has(ret)) return;
    this.breaches.push({
      id: 'correctness.errno',
      actor: who,
      message: `${what} returned ${errnoName(ret)}, which userspace never sees`,
    });
  }

  /** Back in userspace: a pending signal is handled there (and the interrupted call restarted). */
  returnToUser(task: string): void {
    const t = this.sim.task(task);
    if (!t.signalPending) return;
    t.signalPending = false;
    this.c.signalsHandled += 1;
  }

  /** The owner's reference goes: unpin first (the owner pinned it), then put. */
  *ownerPut(lb: LiveBo): KGen<void> {
    if (lb.cfg.pinned) {
      const ret = yield* ttmBoReserve(lb.bo, false, false, null);
      if (ret !== 0)
        throw new Error(`race: uninterruptible reserve of ${lb.bo.id} returned ${errnoName(ret)}`);
      ttmBoUnpin(lb.bo);
      ttmBoUnreserve(lb.bo);
    }
    yield* ttmBoPut(lb.bo);
    this.c.puts += 1;
  }

  *teardown(): KGen<number> {
    for (const b of this.cfg.bos)
      if (!this.putByTask.has(b.name)) yield* this.ownerPut(this.live.get(b.name)!);
    return 0;
  }

  finished(): void {
    this.running -= 1;
    if (this.running === 0) this.lc.worker('teardown', () => this.teardown());
  }

  // -- fault --------------------------------------------------------------------------------------

  /**
   * A user read of a mapped page: the PTE must map memory the BO owns, holding what the BO last wrote
   * (src/sim/data_checks.ts). On a writing pass the user then writes the page's next word through it.
   */
  checkPte(lb: LiveBo, vma: CpuMapping, page: number, who: string, write: boolean): void {
    const pte = vma.ptes.get(page)!;
    this.c.pagesChecked += 1;
    if (pte.kind === 'page' && !lb.world.global.ram.isAllocated(pte.pfn)) {
      this.breaches.push({
        id: 'correctness.content',
        actor: who,
        message: `"${lb.cfg.name}" (${lb.bo.id}) page ${page} maps page frame ${pte.pfn}, which is free`,
      });
      return;
    }
    this.data.verifyPte(lb.bo, pte, page, who);
    if (write) this.data.cpuWritePte(lb.bo, pte, page);
  }

  *access(lb: LiveBo, vma: CpuMapping, page: number, task: string, write: boolean): KGen<boolean> {
    const who = `task:${task}`;
    let allowRetry = true;
    for (let attempt = 0; attempt < MAX_FAULTS; attempt += 1) {
      if (vma.ptes.has(page)) {
        this.checkPte(lb, vma, page, who, write);
        return true;
      }
      this.c.faults += 1;
      const ret = yield* ttmBoVmFaultOf(vma, page, allowRetry);
      if (ret === 'SIGBUS') {
        this.c.sigbus += 1;
        return false;
      }
      if (ret === 'OOM') {
        this.breaches.push({
          id: 'correctness.fault-oom',
          actor: who,
          message: `fault on "${lb.cfg.name}" (${lb.bo.id}) page ${page} returned VM_FAULT_OOM: the OOM killer runs for a TTM fault`,
        });
        return false;
      }
      if (vma.ptes.has(page)) continue;
      // RETRY: the core mm takes the fault again (FAULT_FLAG_TRIED) unless a signal sends it back to
      // userspace first; NOPAGE without a PTE: back in userspace, the access faults afresh.
      const pending = this.sim.task(task).signalPending;
      if (ret === 'RETRY' && !pending) {
        allowRetry = false;
      } else {
        this.c.refaults += 1;
        if (pending) this.c.interrupted += 1;
        this.returnToUser(task);
        allowRetry = true;
      }
    }
    this.breaches.push({
      id: 'correctness.fault-stuck',
      actor: who,
      message: `"${lb.cfg.name}" (${lb.bo.id}) page ${page} still unmapped after ${MAX_FAULTS} faults`,
    });
    return false;
  }

  *faultTask(t: FaultTask): KGen<number> {
    if (t.delayMs > 0) yield { kind: 'sleep', ms: t.delayMs };
    const lb = this.live.get(t.bo)!;
    for (let r = 0; r < t.repeat; r += 1) {
      if (r === frozenAt(t.repeat)) yield* this.lc.freezePoint();
      const vma = ttmBoMmapObj(lb.bo);
      if (typeof vma === 'number') throw new Error(`race: mmap of ${lb.bo.id} returned ${errnoName(vma)}`);
      // Every second pass writes each page after reading it (the next pass reads those words back).
      const write = r % 2 === 1;
      for (let page = 0; page < lb.bo.numPages; page += 1) {
        if (!(yield* this.access(lb, vma, page, t.name, write))) break;
      }
      yield* ttmBoVmClose(vma);
      this.returnToUser(t.name);
    }
    yield* this.lc.freezePoint();
    yield* ttmBoPut(lb.bo);
    this.finished();
    return 0;
  }

  // -- exec ---------------------------------------------------------------------------------------

  *execTask(t: ExecTask): KGen<number> {
    if (t.delayMs > 0) yield { kind: 'sleep', ms: t.delayMs };
    const who = `task:${t.name}`;
    const lbs = t.bos.map((n) => this.live.get(n)!);
    const bos = lbs.map((lb) => lb.bo);
    const dev = lbs[0]!.world.dev;
    for (let r = 0; r < t.repeat; r += 1) {
      if (r === frozenAt(t.repeat)) yield* this.lc.freezePoint();
      const ticket = wwAcquireInit(this.sim.env);
      const locked = yield* reserveAll(bos, ticket, this.onBackoff);
      if (typeof locked === 'number') {
        if (locked === -ERESTARTSYS || locked === -EINTR) this.c.interrupted += 1;
        else this.allowed(locked, who, 'reserving the submission');
        this.c.execFailures += 1;
        this.returnToUser(t.name);
        continue;
      }
      const ctx = operationCtx({ interruptible: true });
      let failed = false;
      for (const lb of lbs) {
        // A pinned BO stays where it is (amdgpu_cs_bo_validate skips pinned BOs).
        if (lb.bo.pinCount > 0) continue;
        const ret = yield* ttmBoValidate(lb.bo, PLACEMENTS[lb.cfg.placement], ctx);
        if (ret === -ERESTARTSYS || ret === -EINTR) this.c.interrupted += 1;
        this.allowed(ret, who, `ttm_bo_validate of "${lb.cfg.name}" (${lb.bo.id})`);
        if (ret !== 0) {
          failed = true;
          break;
        }
      }
      if (failed) {
        this.c.execFailures += 1;
      } else {
        const job = dev.gfxRing.emit();
        // The job reads and writes every page of its BOs once their fences signalled.
        this.data.gpuJob(bos, job, who);
        for (const bo of bos) {
          bo.resv.reserveFences(1);
          bo.resv.addFence(job, DmaResvUsage.WRITE);
        }
        this.c.execs += 1;
      }
      if (t.holdMs > 0) yield { kind: 'sleep', ms: t.holdMs };
      for (const bo of bos) ttmBoUnreserve(bo);
      this.returnToUser(t.name);
    }
    yield* this.lc.freezePoint();
    for (const bo of bos) yield* ttmBoPut(bo);
    this.finished();
    return 0;
  }

  // -- reclaim, evict, put --------------------------------------------------------------------------

  *reclaimTask(t: ReclaimTask): KGen<number> {
    if (t.delayMs > 0) yield { kind: 'sleep', ms: t.delayMs };
    const w = this.worlds.get(t.device)!;
    for (let r = 0; r < t.repeat; r += 1) {
      if (r === frozenAt(t.repeat)) yield* this.lc.freezePoint();
      this.c.reclaims += 1;
      let freed = 0;
      if (t.mode === 'pool') {
        yield { kind: 'yield', label: 'race.pool-shrink' };
        const n = ttmPoolShrinkerScan(w.global.poolMgr, t.pages, w.global.mutations);
        if (n !== SHRINK_STOP) freed = n;
      } else if (t.mode === 'shrinker') {
        // kswapd: the pool shrinker, then the BO shrinker (purge pass, backup pass).
        freed = yield* reclaim(w.dev, w.shrinker!, {
          nrToScan: t.pages,
          gfpFs: true,
          gfpIo: true,
          kswapd: true,
        });
      } else {
        // debugfs tt_shrink: ttm_global_swapout until enough pages went or nothing more could.
        while (freed < t.pages) {
          const n = yield* ttmGlobalSwapout(w.global, operationCtx());
          if (n <= 0) {
            this.allowed(n, `task:${t.name}`, 'ttm_global_swapout');
            break;
          }
          freed += n;
        }
      }
      this.c.reclaimedPages += freed;
      this.returnToUser(t.name);
    }
    yield* this.lc.freezePoint();
    this.finished();
    return 0;
  }

  *evictTask(t: EvictTask): KGen<number> {
    if (t.delayMs > 0) yield { kind: 'sleep', ms: t.delayMs };
    const w = this.worlds.get(t.device)!;
    const man = t.mem === 'vram' ? w.dev.vram : w.dev.tt;
    for (let r = 0; r < t.repeat; r += 1) {
      if (r === frozenAt(t.repeat)) yield* this.lc.freezePoint();
      this.c.evictAlls += 1;
      const ret = yield* ttmResourceManagerEvictAll(w.dev.bdev, man);
      if (ret !== 0) {
        this.c.evictErrors += 1;
        this.allowed(ret, `task:${t.name}`, `ttm_resource_manager_evict_all of ${t.mem}`);
      }
      this.returnToUser(t.name);
    }
    yield* this.lc.freezePoint();
    this.finished();
    return 0;
  }

  *putTask(t: PutTask): KGen<number> {
    if (t.delayMs > 0) yield { kind: 'sleep', ms: t.delayMs };
    yield* this.ownerPut(this.live.get(t.bo)!);
    // Frozen after the put: a zombie's delayed delete races the suspend.
    yield* this.lc.freezePoint();
    this.finished();
    return 0;
  }

  /**
   * A task's body: its start delay, its work, then `finished` (the teardown once it is the last). Each
   * kind's generator does all three itself rather than under a wrapper generator: every resume of a
   * task passes through each `yield*` level above it.
   */
  bodyOf(t: Exclude<RaceTask, SignalTask>): KGen<number> {
    switch (t.kind) {
      case 'fault':
        return this.faultTask(t);
      case 'exec':
        return this.execTask(t);
      case 'reclaim':
        return this.reclaimTask(t);
      case 'evict':
        return this.evictTask(t);
      case 'put':
        return this.putTask(t);
    }
  }
}

function buildRace(cfg: RaceConfig, sim: Sim): Workload {
  const run = new RaceRun(cfg, sim);
  const { worlds, live } = run;
  cfg.devices.forEach((d, i) => {
    const global = new TtmGlobal(new Ram(d.ramPages), new SwapSpace(d.swapPages));
    sim.adopt(global);
    const dev = createSimDevice(sim.env, global, `device:${i}`, {
      vramBytes: d.vramKiB * 1024,
      ttBytes: d.ttKiB * 1024,
      style: d.style,
      ttCaching: d.caching,
      allocFlags: raceAllocFlags(d),
    });
    const shrinker = d.style === 'xe' ? new XeShrinker(dev) : null;
    if (shrinker !== null) {
      // Direct reclaim of this world's page allocator (no GPU waits there).
      global.directReclaim = directReclaimOf(dev, shrinker);
    }
    worlds.set(d.name, { cfg: d, global, dev, shrinker, bos: [] });
  });

  // The BOs, created before the run, every page written with its known content.
  cfg.bos.forEach((b, i) => {
    const world = worlds.get(b.device)!;
    const bo = createBo(sim, world, b, i, run.data);
    world.bos.push(bo);
    live.set(b.name, { cfg: b, bo, world });
  });

  const runners = cfg.tasks.filter((t): t is Exclude<RaceTask, SignalTask> => t.kind !== 'signal');
  // Every task holds its own references on the BOs it uses (as another process's handle would).
  for (const t of runners) {
    if (t.kind === 'fault') ttmBoGet(live.get(t.bo)!.bo);
    if (t.kind === 'exec') for (const n of t.bos) ttmBoGet(live.get(n)!.bo);
  }
  // Suspend (with hibernation: every race device has a swap space), resume and teardown of every world.
  run.lc = new Lifecycle(
    sim,
    [...worlds.values()].map((w) => ({ global: w.global, devices: [w.dev], bos: w.bos })),
    { hibernate: true },
  );
  for (const t of runners) run.lc.worker(t.name, () => run.bodyOf(t));
  if (run.running === 0) run.lc.worker('teardown', () => run.teardown());
  run.lc.start();
  for (const t of cfg.tasks) {
    if (t.kind !== 'signal') continue;
    for (let k = 1; k <= t.repeat; k += 1) {
      sim.signalAfter(t.target, t.afterMs * k);
      run.signals += 1;
    }
  }

  const allBos = [...live.values()];
  // Methods, not arrow properties: the project runs under tsx, whose keepNames names every arrow
  // stored in a property with a defineProperty call (a runtime call per function per run).
  return {
    stats() {
      return statsOf(run);
    },
    check() {
      return [...run.breaches, ...run.lc.check()];
    },
    describe() {
      return allBos.map(describeBo);
    },
    worlds() {
      return [...worlds.values()].map((w) => w.global);
    },
    shared() {
      return [run];
    },
  };
}

/** ttm_bo_vm_fault with the flags of a first (retryable) or a retried access. */
function ttmBoVmFaultOf(vma: CpuMapping, page: number, allowRetry: boolean): KGen<VmFault> {
  return ttmBoVmFault(vma, page, { allowRetry, retryNowait: false, interruptible: true });
}

/** A BO of the config could not be created before the run: `path` names it in the config. */
export class RaceSetupError extends Error {
  constructor(
    readonly path: readonly (string | number)[],
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`race: ${path.join('.')}: ${problem}; ${fix}`);
  }
}

/**
 * Create BO `index` of the config in its placement (pinned if asked), populate it and write every
 * page's content. Throws RaceSetupError when it does not fit next to the BOs created before it.
 */
function createBo(sim: Sim, world: World, b: RaceBo, index: number, data: PageData): BufferObject {
  const bdev = world.dev.bdev;
  const bo = newBufferObject(bdev, b.kib * 1024);
  const ctx = operationCtx();
  const ret = runSync(
    sim.env,
    ttmBoInitReserved(bdev, bo, 'device', PLACEMENTS[b.placement], 1, ctx, null, null, null),
  );
  if (ret !== 0) setupFailed(world, b, index, 'creating', ret);
  const pop = runSync(sim.env, ttmBoPopulate(bo, ctx));
  if (pop !== 0) setupFailed(world, b, index, 'populating', pop);
  if (currentPlace(bo) === null) setupFailed(world, b, index, 'placing', 0);
  // The first content comes from a GPU upload job: it runs once the BO's fences signalled (a move its
  // creation caused, the manager's move fence of memory an eviction freed), reads the fresh pages (zeros
  // from the page allocator; fresh VRAM is not judged) and writes every page.
  data.trackNew(bo);
  const job = world.dev.gfxRing.emit();
  data.gpuJob([bo], job, 'task:setup');
  if (bo.resv.reserveFences(1) !== 0) setupFailed(world, b, index, 'fencing', -ENOMEM);
  bo.resv.addFence(job, DmaResvUsage.WRITE);
  if (b.pinned) ttmBoPin(bo);
  ttmBoUnreserve(bo);
  return bo;
}

/**
 * Direct reclaim of an xe world's page allocator (no GPU waits there), made here rather than stored
 * where it is written (see resvObserver in src/kernel/resv.ts).
 */
function directReclaimOf(dev: SimDevice, shrinker: XeShrinker): (pages: number) => KGen<number> {
  return (pages) => reclaim(dev, shrinker, { nrToScan: pages, gfpFs: true, gfpIo: false, kswapd: false });
}

/** The run's step counter, for the messages of data checks (returned: see backoffCounter). */
function stepsOf(sim: Sim): () => number {
  return () => sim.scheduler.steps;
}

/** A function counting ww backoffs into `c` (returned, not assigned, so tsx's keepNames leaves it be). */
function backoffCounter(c: Counters): () => void {
  return () => {
    c.backoffs += 1;
  };
}

/** Creating BO `index` of the config failed (`what` it was doing, with `ret`). */
function setupFailed(world: World, b: RaceBo, index: number, what: string, ret: number): never {
  throw new RaceSetupError(
    ['bos', index],
    `${what} BO "${b.name}" (${b.kib} KiB, ${b.placement}) on device "${world.cfg.name}" failed with ${errnoName(ret)}: the BOs created before it leave no room`,
    'give the device more memory (vramKiB, ttKiB, ramPages), make the BOs smaller or pin fewer',
  );
}

/**
 * The run's statistics: its counters, the signals sent, what the statecharts saw and what is left in the
 * worlds. One object literal of fixed shape: spreading the parts together (23 properties) made V8 build
 * new hidden classes for the result in most runs, allocated in the old generation.
 */
function statsOf(run: RaceRun): Record<string, number> {
  const c = run.c;
  const l = run.lc.c;
  const m = run.sim.mirror;
  let boCount = 0;
  let swapUsedPages = 0;
  let backedUpPages = 0;
  for (const w of run.worlds.values()) {
    boCount += w.global.boCount;
    swapUsedPages += w.global.swap.usedPages;
    backedUpPages += w.shrinker?.stats.backedUp ?? 0;
  }
  return {
    faults: c.faults,
    refaults: c.refaults,
    pagesChecked: c.pagesChecked,
    sigbus: c.sigbus,
    execs: c.execs,
    execFailures: c.execFailures,
    backoffs: c.backoffs,
    interrupted: c.interrupted,
    signalsHandled: c.signalsHandled,
    reclaims: c.reclaims,
    reclaimedPages: c.reclaimedPages,
    evictAlls: c.evictAlls,
    evictErrors: c.evictErrors,
    puts: c.puts,
    signals: run.signals,
    evictions: m.count('bo.evicted'),
    moves: m.count('bo.moved'),
    ghosts: m.count('bo.ghost'),
    zombies: m.count('bo.zombie'),
    destroyed: m.count('bo.destroy'),
    backedUpPages,
    swapUsedPages,
    boCount,
    pagesVerified: run.data.stats.pagesVerified,
    cpuPagesWritten: run.data.stats.cpuPagesWritten,
    gpuJobs: run.data.stats.gpuJobs,
    gpuPagesWritten: run.data.stats.gpuPagesWritten,
    lifeFrozen: l.frozen,
    lifeBosAtSuspend: l.bosAtSuspend,
    lifeUsageAtSuspend: l.usageAtSuspend,
    lifeUsageAfterSuspend: l.usageAfterSuspend,
    lifeSuspends: l.suspends,
    lifeEvictAlls: l.evictAlls,
    lifeHibernations: l.hibernations,
    lifeSuspendErrors: l.suspendErrors,
    lifeResumes: l.resumes,
    lifeDrains: l.drains,
    lifeManagersFini: l.managersFini,
    lifeDevicesFini: l.devicesFini,
    lifeTeardowns: l.teardowns,
  };
}

function describeBo(lb: LiveBo): string {
  const bo = lb.bo;
  const where = bo.destroyed
    ? 'destroyed'
    : bo.resource === null
      ? 'no resource'
      : memTypeName(bo.resource.memType);
  const pinned = lb.cfg.pinned ? ', pinned' : '';
  return `${lb.cfg.name} (${bo.id}) ${lb.cfg.kib} KiB ${lb.cfg.placement}${pinned} on ${lb.world.cfg.name}: ${where}`;
}
