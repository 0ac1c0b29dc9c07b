// A task: a simulated thread running a kernel path (an ioctl, a kworker item, a KUnit kthread). Its body
// is a kernel generator; every Wait it yields is a scheduling point. Locks are attempted in the task's
// next step (so other tasks can run in between), a sleeping lock or fence wait parks the task until the
// waker's message is delivered, and a signal interrupts interruptible waits as the kernel does.

import type { TaskEvent } from '../../machines/task.machine.ts';
import type { Scheduler } from '../engine/scheduler.ts';
import type { Envelope, SimActor } from '../engine/types.ts';
import type { KGen, Wait } from '../kernel/env.ts';
import { EINTR, ERESTARTSYS } from '../kernel/errno.ts';
import type { FaultSite } from '../kernel/faults.ts';
import type { DmaFence } from '../kernel/fence.ts';
import { WOULD_BLOCK, type WwMutex, type WwWaiter } from '../kernel/ww_mutex.ts';
import type { Chart } from './mirror.ts';

// The task chart's parameterless events, made once (one per transition would be garbage per step).
const TASK_START: TaskEvent = { type: 'task.start' };
const TASK_RESUME: TaskEvent = { type: 'task.resume' };
const TASK_PREEMPT: TaskEvent = { type: 'task.preempt' };
const TASK_EXIT: TaskEvent = { type: 'task.exit' };

export type TaskStatus = 'ready' | 'runnable' | 'running' | 'blocked' | 'sleeping' | 'done';

/** Lets a task tell the world it is running kernel code now (the kernel's `current`). */
export interface TaskHost {
  readonly scheduler: Scheduler;
  setCurrent(task: string | null): void;
  /** Told about every event the task sends its chart (benchmark logging). */
  chartEvent(task: string, event: TaskEvent): void;
  /** The task's chart took `event` in state `from` (coverage). */
  taskTransition(task: string, from: string, event: string): void;
  /** The run's fault plan at a task-level fault site: true when this evaluation fails. */
  fault(site: FaultSite, where: string): boolean;
  /** A new task chart (machines/task.machine.ts) for the task `id`. */
  taskChart(id: string): Chart;
}

export class TaskActor implements SimActor {
  status: TaskStatus = 'ready';
  result: unknown = undefined;
  /** What a blocked task waits for (`lock bo:3`, `fence fence:1.2`), for liveness reports. */
  blockedOn: string | null = null;
  /** The ww_mutex a blocked task sleeps on (for waits-for cycles in liveness reports). */
  blockedMutex: WwMutex | null = null;
  signalPending = false;
  /** Steps this task ran. */
  steps = 0;
  private gen: KGen<unknown> | null = null;
  private wait: Wait | null = null;
  /** The fences a task blocked in a fence wait sleeps on (none otherwise), for the viewer's state panel. */
  waitingFences(): readonly DmaFence[] {
    return this.status === 'blocked' && this.wait?.kind === 'fences' ? this.wait.fences : [];
  }
  private waiter: WwWaiter | null = null;
  private unregister: (() => void)[] = [];
  private timer: number | null = null;
  private waitSeq = 0;
  private readonly chart: Chart;

  constructor(
    readonly id: string,
    private readonly host: TaskHost,
    private readonly body: () => KGen<unknown>,
  ) {
    this.chart = host.taskChart(id);
  }

  state(): string {
    return this.chart.state;
  }

  deliver(env: Envelope): void {
    const msg = env.msg;
    switch (msg.type) {
      case 'task.run':
        this.onRun();
        break;
      case 'bo.reserved':
        if (this.wait?.kind === 'lock' && this.waiter !== null) {
          this.waiter = null;
          this.finishWait(msg.errno);
        }
        break;
      case 'fence.signaled':
        if (this.wait?.kind === 'fences' && this.wait.fences.every((f) => f.signaled)) this.finishWait(1);
        break;
      case 'timer.fire':
        if (msg.timer === this.waitSeq && this.wait !== null) {
          this.timer = null;
          this.finishWait(0);
        }
        break;
      case 'task.signal':
        this.onSignal();
        break;
      default:
        throw new Error(`${this.id}: unexpected message ${msg.type}`);
    }
  }

  private onRun(): void {
    if (this.gen === null) {
      this.gen = this.body();
      this.transition(TASK_START);
      this.run(0);
      return;
    }
    const w = this.wait;
    if (w?.kind === 'lock') {
      this.attemptLock(w);
      return;
    }
    if (w?.kind === 'yield') {
      this.wait = null;
      this.transition(TASK_RESUME);
      this.run(0);
    }
  }

  private attemptLock(w: Extract<Wait, { kind: 'lock' }>): void {
    this.transition(TASK_RESUME);
    if (w.interruptible && this.signalPending) {
      this.wait = null;
      this.run(-EINTR);
      return;
    }
    this.host.setCurrent(this.id);
    const r = w.mutex.attempt(this.id, w.ctx, w.slow);
    this.host.setCurrent(null);
    if (r !== WOULD_BLOCK) {
      this.wait = null;
      this.run(r);
      return;
    }
    // An injected signal arriving as the task goes to sleep on the lock: the wait ends with -EINTR.
    if (w.interruptible && this.host.fault('signal.wait', this.id)) {
      this.wait = null;
      this.run(-EINTR);
      return;
    }
    const sched = this.host.scheduler;
    const id = this.id;
    const mutex = w.mutex.id;
    // A method, not an arrow property: tsx's keepNames would name the arrow with a defineProperty call.
    const waiter: WwWaiter = {
      task: id,
      ctx: w.ctx,
      interruptible: w.interruptible,
      wake(ret) {
        sched.post(mutex, id, { type: 'bo.reserved', bo: mutex, errno: ret });
      },
    };
    this.waiter = waiter;
    w.mutex.enqueue(waiter);
    this.blockedMutex = w.mutex;
    this.block(`lock ${w.mutex.id}`);
  }

  private onSignal(): void {
    this.signalPending = true;
    const w = this.wait;
    if (w === null || !('interruptible' in w) || !w.interruptible) return;
    if (w.kind === 'lock') {
      if (this.waiter === null || !w.mutex.remove(this.waiter)) return;
      this.waiter = null;
      this.finishWait(-EINTR);
    } else {
      this.finishWait(-ERESTARTSYS);
    }
  }

  private finishWait(ret: number): void {
    for (const u of this.unregister) u();
    this.unregister = [];
    if (this.timer !== null) this.host.scheduler.cancelSleep(this.timer);
    this.timer = null;
    this.wait = null;
    this.blockedOn = null;
    this.blockedMutex = null;
    this.transition(TASK_RESUME);
    this.run(ret);
  }

  /** Run the body until it yields a wait that ends this step, or returns. */
  private run(input: number): void {
    const gen = this.gen;
    if (gen === null) return;
    this.status = 'running';
    this.steps += 1;
    this.host.setCurrent(this.id);
    try {
      let value = input;
      for (;;) {
        const r = gen.next(value);
        if (r.done) {
          this.status = 'done';
          this.result = r.value;
          this.transition(TASK_EXIT);
          return;
        }
        const next = this.park(r.value);
        if (next === null) return;
        value = next;
      }
    } finally {
      this.host.setCurrent(null);
    }
  }

  /** Handle a yielded wait: a number resumes at once, null ends the step. */
  private park(w: Wait): number | null {
    const sched = this.host.scheduler;
    this.wait = w;
    switch (w.kind) {
      case 'yield':
      case 'lock':
        this.status = 'runnable';
        this.transition(TASK_PREEMPT);
        sched.post(this.id, this.id, { type: 'task.run' });
        return null;
      case 'sleep':
        this.waitSeq += 1;
        this.timer = sched.sleep(this.id, w.ms, { type: 'timer.fire', timer: this.waitSeq });
        this.status = 'sleeping';
        this.transition({ type: 'task.sleep', ms: w.ms });
        return null;
      case 'fences': {
        if (w.fences.every((f) => f.signaled)) {
          this.wait = null;
          return 1;
        }
        if (w.interruptible && this.signalPending) {
          this.wait = null;
          return -ERESTARTSYS;
        }
        // Injected faults, one evaluation per site: a signal as the task goes to sleep (the wait is
        // interrupted, the signal handled by the ioctl's restart), or a timeout that expires first.
        if (w.interruptible && this.host.fault('signal.wait', this.id)) {
          this.wait = null;
          return -ERESTARTSYS;
        }
        if (w.timeoutMs !== null && this.host.fault('fence.timeout', this.id)) {
          this.wait = null;
          return 0;
        }
        for (const f of w.fences) {
          if (f.signaled) continue;
          this.unregister.push(
            f.onSignal(() => sched.post(f.id, this.id, { type: 'fence.signaled', fence: f.id })),
          );
        }
        if (w.timeoutMs !== null) {
          this.waitSeq += 1;
          this.timer = sched.sleep(this.id, w.timeoutMs, { type: 'timer.fire', timer: this.waitSeq });
        }
        this.block(`fence ${w.fences.map((f) => f.id).join(',')}`);
        return null;
      }
    }
  }

  private block(on: string): void {
    this.status = 'blocked';
    this.blockedOn = on;
    this.transition({ type: 'task.block', on });
  }

  private transition(event: TaskEvent): void {
    this.host.chartEvent(this.id, event);
    const from = this.chart.state;
    this.chart.send(event);
    this.host.taskTransition(this.id, from, event.type);
  }
}
