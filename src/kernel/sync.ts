// Running kernel generators to completion on one thread, as a KUnit case does: waits that can be
// satisfied at once are, and a wait that would sleep forever is reported instead of hanging.
// Cases that need a second thread run in the simulator instead (src/sim).

import type { KernelEnv, KGen, MirrorEvent, ObjKind } from './env.ts';
import { EINTR, ERESTARTSYS } from './errno.ts';
import type { DmaFence } from './fence.ts';
import { WOULD_BLOCK } from './ww_mutex.ts';

/** Thrown when single-threaded kernel code would sleep with nobody left to wake it. */
export class WouldSleepForever extends Error {}

export interface SyncHooks {
  /** Called when a lock wait would sleep; may release the lock. */
  onLockContended?: () => void;
  /** Called when a fence wait would sleep; may signal fences. */
  onFenceWait?: (fences: readonly DmaFence[]) => void;
  /** A pending signal: interruptible waits return -EINTR / -ERESTARTSYS. */
  signalPending?: boolean;
}

/** A KernelEnv for single-threaded use: counters, recorded events and a work list. */
export class SyncEnv implements KernelEnv {
  readonly events: { kind: ObjKind; id: string; event: MirrorEvent }[] = [];
  readonly submitted: DmaFence[] = [];
  readonly work: { label: string; run: () => KGen<void> }[] = [];
  private readonly counters = new Map<string, number>();

  constructor(private readonly task = 'task:kunit') {}

  current(): string {
    return this.task;
  }

  nextId(family: string): number {
    const n = this.counters.get(family) ?? 0;
    this.counters.set(family, n + 1);
    return n;
  }

  emit(kind: ObjKind, id: string, event: MirrorEvent): void {
    this.events.push({ kind, id, event });
  }

  submit(fence: DmaFence): void {
    this.submitted.push(fence);
  }

  queueWork(_deviceId: string, work: () => KGen<void>, label: string): void {
    this.work.push({ label, run: work });
  }

  /** Run queued work items (delayed delete, ghost puts) until none is left. */
  flushWork(hooks: SyncHooks = {}): number {
    let n = 0;
    for (let item = this.work.shift(); item !== undefined; item = this.work.shift()) {
      runSync(this, item.run(), hooks);
      n += 1;
    }
    return n;
  }
}

/** Drive `gen` to completion. Throws WouldSleepForever if it must sleep and no hook helps. */
export function runSync<T>(env: KernelEnv, gen: KGen<T>, hooks: SyncHooks = {}): T {
  let input = 0;
  for (;;) {
    const step = gen.next(input);
    if (step.done) return step.value;
    const wait = step.value;
    if (wait.kind === 'yield' || wait.kind === 'sleep') {
      input = 0;
    } else if (wait.kind === 'lock') {
      if (wait.interruptible && hooks.signalPending) {
        input = -EINTR;
        continue;
      }
      let r = wait.mutex.attempt(env.current(), wait.ctx, wait.slow);
      if (r === WOULD_BLOCK && hooks.onLockContended !== undefined) {
        hooks.onLockContended();
        r = wait.mutex.attempt(env.current(), wait.ctx, wait.slow);
      }
      if (r === WOULD_BLOCK)
        throw new WouldSleepForever(`lock ${wait.mutex.id} is held by ${wait.mutex.holder?.task}`);
      input = r;
    } else {
      if (wait.interruptible && hooks.signalPending) {
        input = -ERESTARTSYS;
        continue;
      }
      if (wait.fences.some((f) => !f.signaled)) hooks.onFenceWait?.(wait.fences);
      if (wait.fences.every((f) => f.signaled)) input = 1;
      else if (wait.timeoutMs !== null) input = 0;
      else throw new WouldSleepForever(`fences ${wait.fences.map((f) => f.id).join(',')} never signal`);
    }
  }
}
