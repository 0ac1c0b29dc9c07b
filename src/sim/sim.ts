// The simulated world of one run: the scheduler and trace of the engine, the kernel environment the
// kernel model runs in (who is `current`, ids, fences, work items), the statecharts mirroring every
// kernel object, the task actors, and the GPU rings that signal fences. A run is a pure function of
// (seed, strategy, tape, workload).

import { installDesigns } from '../designs/install.ts';
import { Rng } from '../engine/prng.ts';
import { Scheduler } from '../engine/scheduler.ts';
import type { Chooser } from '../engine/strategy.ts';
import type { StrategyName, StrategyParams } from '../engine/token.ts';
import { Trace } from '../engine/trace.ts';
import type { Effect, Envelope, SimActor } from '../engine/types.ts';
import type { TtmGlobal } from '../kernel/device.ts';
import type { KernelEnv, KGen, MirrorEvent, ObjKind } from '../kernel/env.ts';
import type { FaultHook, FaultSite } from '../kernel/faults.ts';
import type { DmaFence } from '../kernel/fence.ts';
import { type Chart, Mirror } from './mirror.ts';
import { TaskActor, type TaskHost } from './task.ts';

export interface SimOptions {
  readonly seed: bigint;
  readonly strategy?: StrategyName;
  /** The strategy's parameters: required for 'pct' (depth, k), absent for the others. */
  readonly strategyParams?: StrategyParams;
  readonly tape?: readonly number[];
  /** Keep the trace lines in memory (for writing them out or comparing runs). */
  readonly keepTrace?: boolean;
  /** Keep every statechart event (for the benchmark's raw replay). */
  readonly keepMirrorLog?: boolean;
  /**
   * Run every statechart as a real XState actor instead of through its machine's transition table
   * (same states, effects and trace; the reference the tables are checked against, and slower).
   */
  readonly xstateActors?: boolean;
  /** Named mutations (historical kernel bugs) scenarios switch on in the worlds they build. */
  readonly mutations?: readonly string[];
  /** Design specs (src/designs) switched on in the worlds scenarios build; none is today's kernel. */
  readonly designs?: readonly string[];
  /** Candidate fixes of known kernel bugs switched on in the worlds scenarios build (TtmGlobal.patches). */
  readonly patches?: readonly string[];
  /** A chooser replacing the strategy's (see SchedulerOptions.guide). */
  readonly guide?: Chooser;
  /** Keep the actor picked at every real choice. */
  readonly recordChosen?: boolean;
  /**
   * Workload actors left out of the run (`task:NAME`, `signal:N`): a task spawned under an omitted id never
   * runs and a timed signal under one is never sent. Shrinking uses this to drop tasks and messages.
   */
  readonly omit?: readonly string[];
}

/**
 * The fault hook of `sim`, returned from a function rather than written as an arrow-function field: the
 * project runs under tsx, whose keepNames gives every arrow stored in a field or property its name with
 * a defineProperty call, a runtime call per function and per run.
 */
function faultHookOf(sim: Sim): FaultHook {
  return (site, where) => sim.fault(site, where);
}

/** SIGTERM, the signal the KUnit reserve test sends; any signal interrupts interruptible waits alike. */
export const SIGTERM = 15;

/** A GPU ring: signals the fences submitted to it, one per delivered message, in order. */
class RingActor implements SimActor {
  private readonly fences = new Map<string, DmaFence>();

  constructor(
    readonly id: string,
    private readonly mirror: Mirror,
    private readonly scheduler: Scheduler,
  ) {}

  submit(fence: DmaFence): void {
    this.fences.set(fence.id, fence);
    this.mirror.emit('ring', this.id, { type: 'ring.submit' });
  }

  state(): string {
    return this.mirror.state(this.id) ?? 'idle';
  }

  deliver(env: Envelope): void {
    if (env.msg.type !== 'fence.signal') throw new Error(`${this.id}: unexpected message ${env.msg.type}`);
    const fence = this.fences.get(env.msg.fence);
    if (fence === undefined) throw new Error(`${this.id}: unknown fence ${env.msg.fence}`);
    // A job runs only once its dependencies signalled: the ring finishes it after them.
    const dep = fence.pendingDep();
    if (dep !== null) {
      dep.onSignal(ringRetry(this.scheduler, this.id, fence.id));
      return;
    }
    this.fences.delete(env.msg.fence);
    fence.signal();
    this.mirror.emit('ring', this.id, { type: 'ring.signal' });
  }
}

/** Posts a ring its job's signal again once the dependency it waited for signalled (see faultHookOf). */
function ringRetry(scheduler: Scheduler, ring: string, fence: string): () => void {
  return () => scheduler.post(ring, ring, { type: 'fence.signal', fence });
}

/** Sends a signal to a task when its timer fires. */
class SignalSender implements SimActor {
  constructor(
    readonly id: string,
    private readonly scheduler: Scheduler,
    private readonly target: string,
  ) {}

  state(): string {
    return 'armed';
  }

  deliver(env: Envelope): void {
    if (env.msg.type !== 'timer.fire') throw new Error(`${this.id}: unexpected message ${env.msg.type}`);
    this.scheduler.post(this.id, this.target, { type: 'task.signal', signo: SIGTERM });
  }
}

export class Sim implements TaskHost {
  readonly rng: Rng;
  readonly trace: Trace;
  readonly scheduler: Scheduler;
  readonly mirror: Mirror;
  readonly env: KernelEnv;
  readonly mutations: ReadonlySet<string>;
  readonly designs: ReadonlySet<string>;
  readonly patches: ReadonlySet<string>;
  /**
   * The run's fault plan as the kernel model asks it (null: no fault injection). Set after the scenario
   * is built: faults belong to the run, not to the setup.
   */
  faultHook: FaultHook | null = null;
  /** Workload actors spawned or armed so far that shrinking may leave out (no kernel workers). */
  readonly omittable: string[] = [];
  private readonly omit: ReadonlySet<string>;
  private readonly tasks = new Map<string, TaskActor>();
  private readonly omitted = new Map<string, TaskActor>();
  private readonly rings = new Map<number, RingActor>();
  private readonly counters = new Map<string, number>();
  private current: string | null = null;
  /**
   * The fault hook every adopted world calls, made once with the Sim: made inside `adopt` and stored
   * into the world there, it kept whole runs reachable through young-generation collections (a loop of
   * Sim + TtmGlobal + adopt: new-space survival 22 % → 0.1 % with this field; node --trace-gc-nvp).
   */
  private readonly faultHookFn: FaultHook = faultHookOf(this);
  private workers = 0;
  private senders = 0;

  constructor(opts: SimOptions) {
    this.rng = Rng.fromSeed(opts.seed);
    this.trace = new Trace({ keepLines: opts.keepTrace ?? false });
    this.scheduler = new Scheduler({
      rng: this.rng.fork('scheduler'),
      strategy: opts.strategy ?? 'random',
      ...(opts.strategyParams === undefined ? {} : { strategyParams: opts.strategyParams }),
      trace: this.trace,
      ...(opts.tape === undefined ? {} : { tape: opts.tape }),
      ...(opts.guide === undefined ? {} : { guide: opts.guide }),
      ...(opts.recordChosen === true ? { recordChosen: true } : {}),
    });
    this.mirror = new Mirror(
      (e: Effect) => this.scheduler.note(e),
      opts.keepMirrorLog ?? false,
      (id) => this.scheduler.clockFor(id),
      opts.xstateActors ?? false,
    );
    this.env = this.makeEnv();
    this.mutations = new Set(opts.mutations ?? []);
    this.omit = new Set(opts.omit ?? []);
    this.designs = new Set(opts.designs ?? []);
    this.patches = new Set(opts.patches ?? []);
  }

  setCurrent(task: string | null): void {
    this.current = task;
  }

  taskTransition(task: string, from: string, event: string): void {
    this.mirror.taskTransition(task, from, event);
  }

  fault(site: FaultSite, where: string): boolean {
    return this.faultHook?.(site, where) ?? false;
  }

  taskChart(id: string): Chart {
    return this.mirror.chart('task', id, {});
  }

  chartEvent(task: string, event: { readonly type: string }): void {
    if (this.mirror.log !== null) this.mirror.record(task, event as MirrorEvent);
  }

  /** Start a task running `body`; it takes its first step when the scheduler picks it. */
  spawn(name: string, body: () => KGen<unknown>): TaskActor {
    const id = `task:${name}`;
    const task = new TaskActor(id, this, body);
    if (!name.startsWith('kworker/')) this.omittable.push(id);
    // An omitted task is built (the scenario may look at it) but never registered: it never runs.
    if (this.omit.has(id)) {
      this.omitted.set(name, task);
      return task;
    }
    this.tasks.set(name, task);
    this.scheduler.register(task);
    this.scheduler.post('engine', id, { type: 'task.run' });
    return task;
  }

  task(name: string): TaskActor {
    const t = this.tasks.get(name) ?? this.omitted.get(name);
    if (t === undefined) throw new Error(`no task named ${name}`);
    return t;
  }

  allTasks(): TaskActor[] {
    return [...this.tasks.values()];
  }

  /** Deliver a signal to task `name` now (as a message from the engine). */
  signal(name: string): void {
    if (this.omitted.has(name)) return;
    this.scheduler.post('engine', this.task(name).id, { type: 'task.signal', signo: SIGTERM });
  }

  /** Deliver a signal to task `name` after `ms` virtual milliseconds. */
  signalAfter(name: string, ms: number): void {
    const sender = new SignalSender(`signal:${this.senders++}`, this.scheduler, this.task(name).id);
    this.omittable.push(sender.id);
    // A signal to a task that is left out is left out with it.
    if (this.omit.has(sender.id) || this.omitted.has(name)) return;
    this.scheduler.register(sender);
    this.scheduler.sleep(sender.id, ms, { type: 'timer.fire', timer: 0 });
  }

  /**
   * Connect a TTM world a scenario built to this run: switch on the run's mutations and designs in it
   * and route its fault sites to the run's fault plan. Every scenario calls this for every world it
   * creates, before it creates devices (the designs' probes run at device creation).
   */
  adopt(global: TtmGlobal): void {
    global.mutations = this.mutations;
    global.designs = this.designs;
    global.patches = this.patches;
    installDesigns(global);
    global.faultHook = this.faultHookFn;
  }

  /** Run until nothing is pending or `maxSteps` steps were taken. */
  run(maxSteps = 1_000_000): { steps: number; quiescent: boolean } {
    return this.scheduler.run(maxSteps);
  }

  /** The kernel's view of the run (methods, not arrow properties: see faultHookOf). */
  private makeEnv(): KernelEnv {
    const sim = this;
    return {
      current() {
        return sim.current ?? 'engine';
      },
      nextId(family) {
        const n = sim.counters.get(family) ?? 0;
        sim.counters.set(family, n + 1);
        return n;
      },
      emit(kind: ObjKind, id: string, event: MirrorEvent) {
        sim.mirror.emit(kind, id, event);
      },
      submit(fence) {
        sim.ring(fence.context).submit(fence);
        sim.postSignal(fence);
      },
      queueWork(deviceId, work) {
        sim.spawn(`kworker/${deviceId}:${sim.workers++}`, work);
      },
    };
  }

  private ring(context: number): RingActor {
    let ring = this.rings.get(context);
    if (ring === undefined) {
      ring = new RingActor(`gpu:${context}`, this.mirror, this.scheduler);
      this.rings.set(context, ring);
      this.scheduler.register(ring);
    }
    return ring;
  }

  private postSignal(fence: DmaFence): void {
    this.scheduler.post(this.current ?? 'engine', `gpu:${fence.context}`, {
      type: 'fence.signal',
      fence: fence.id,
    });
  }
}
