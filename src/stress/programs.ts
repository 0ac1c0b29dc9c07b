// The programs stress threads run, written as generators that yield at every visible operation
// boundary: the code between two yields is one atomic segment that touches the hardware state only
// through the Hw API. A program yields NEXT to let others run, or BLOCK when it cannot go on until the
// state changes (a resv lock held by another, a fence not signalled, a swap read not done): then the
// thread sleeps (Atomics.wait on the epoch word in stress mode) and its next segment re-checks.
// Mirrors: the CPU fault path (ttm_bo_vm.c: ttm_bo_vm_reserve trylock + VM_FAULT_RETRY, populate,
// vmf_insert_pfn_prot leaving a present PTE alone), a drm_exec-style bind (ww tickets, Wait-Die,
// -EDEADLK back-off, GPU PTEs, a fence per BO), the shrinker's trylock-only backup (ttm_bo_shrink),
// the resumable restore (ttm_pool_restore_and_alloc keeping tt->restore across -EINTR), an
// interruptible fence wait (dma_fence_wait -ERESTARTSYS), and the signal sender.
// Simplifies: a fault maps one page per call (no prefault), a bind's GPU work completes when the fence
// thread signals it, restore reads one page per swap request.

import { EALREADY, EDEADLK, EINTR, ENOMEM, ERESTARTSYS } from '../kernel/errno.ts';
import { pteInsertOutcome } from '../kernel/mm_memory.ts';
import { waitDieBacksOff } from '../kernel/ww_mutex.ts';
import type { Hw } from './hw.ts';
import { B, C, E, F, P, PLAIN_HOLDER, SLEEP_FENCE, SLEEP_IO, T } from './layout.ts';
import { type Role, roles } from './roles.ts';

export const NEXT = 0;
export const BLOCK = 1;
export type Yield = typeof NEXT | typeof BLOCK;
export type Program = Generator<Yield, void, void>;

/** Mutations of the programs (src/explore/mutations_stress.ts describes them). */
export const MUTATION_PTE_CHECK_THEN_STORE = 'stress-pte-check-then-store';
export const MUTATION_RESTORE_NO_RESUME = 'stress-restore-no-resume';
export const MUTATION_WAIT_NO_CLEANUP = 'stress-wait-no-cleanup';
export const MUTATION_WW_NO_BACKOFF = 'stress-ww-no-backoff';

/** What a program sees: the hardware, its thread number and role, every role, and the mutations on. */
export interface Ctx {
  readonly hw: Hw;
  readonly t: number;
  readonly role: Role;
  readonly all: readonly Role[];
  readonly mutations: ReadonlySet<string>;
}

export function program(hw: Hw, t: number, mutations: ReadonlySet<string>): Program {
  const all = roles(hw.lay.cfg);
  const c: Ctx = { hw, t, role: all[t]!, all, mutations };
  switch (c.role.kind) {
    case 'fault':
      return faulter(c);
    case 'bind':
      return binder(c);
    case 'reclaim':
      return reclaimer(c);
    case 'fence':
      return fenceSignaller(c);
    case 'wait':
      return fenceWaiter(c);
    case 'signal-wait':
      return signalSender(c, SLEEP_FENCE);
    case 'signal-restore':
      return signalSender(c, SLEEP_IO);
    case 'io':
      return swapDevice(c);
  }
}

function tw(c: Ctx, word: number, t = c.t): number {
  return c.hw.lay.thread(t, word);
}

/** Threads of `kind` have all finished (or stopped). */
function allDone(c: Ctx, kind: Role['kind']): boolean {
  return c.all.every((r, t) => r.kind !== kind || c.hw.get(tw(c, T.DONE, t)) === 1);
}

// ---- resv lock words ---------------------------------------------------------------------------

const WOULD_WAIT = 1;

/** dma_resv_trylock: the word goes from 0 to PLAIN_HOLDER + t. */
function trylock(c: Ctx, b: number): boolean {
  const lay = c.hw.lay;
  if (c.hw.cas(lay.bo(b, B.RESV), 0, PLAIN_HOLDER + c.t) !== 0) return false;
  c.hw.set(lay.bo(b, B.RESV_THREAD), c.t + 1);
  c.hw.add(tw(c, T.HELD), 1);
  return true;
}

function unlock(c: Ctx, b: number): void {
  const lay = c.hw.lay;
  c.hw.set(lay.bo(b, B.RESV_THREAD), 0);
  c.hw.set(lay.bo(b, B.RESV), 0);
  c.hw.add(tw(c, T.HELD), -1);
}

/**
 * ww_mutex_lock with ticket `stamp` while holding `held` locks: 0, -EALREADY, -EDEADLK (Wait-Die: the
 * holder has an older ticket and the caller holds locks, so it must back off), or WOULD_WAIT (the
 * holder is younger or has no ticket, or the caller holds nothing yet: it sleeps on the lock).
 */
function wwLock(c: Ctx, b: number, stamp: number, held: number): number {
  const lay = c.hw.lay;
  const old = c.hw.cas(lay.bo(b, B.RESV), 0, stamp);
  if (old === 0) {
    c.hw.set(lay.bo(b, B.RESV_THREAD), c.t + 1);
    c.hw.add(tw(c, T.HELD), 1);
    return 0;
  }
  if (old === stamp) return -EALREADY;
  // A plain holder (no ticket) is no context Wait-Die compares with.
  if (waitDieBacksOff(stamp, held, old < PLAIN_HOLDER ? old : null)) return -EDEADLK;
  return WOULD_WAIT;
}

/** Sleep on resv lock b until the state changes (the lock word is what the caller re-checks). */
function* sleepOnLock(c: Ctx, b: number): Generator<Yield, void, void> {
  c.hw.note(tw(c, T.WAITING_ON), b + 1);
  yield BLOCK;
  c.hw.note(tw(c, T.WAITING_ON), 0);
}

/** dma_resv_lock without a ticket: trylock, else sleep until the holder lets go. */
function* lockPlain(c: Ctx, b: number): Generator<Yield, void, void> {
  while (!trylock(c, b)) yield* sleepOnLock(c, b);
}

// ---- pages -------------------------------------------------------------------------------------

/**
 * Make every page of BO b resident, holding its resv: a backed-up BO is restored first (resumable,
 * interruptible), the other pages get fresh frames. Returns 0, -ENOMEM or -EINTR (restore
 * interrupted: the caller unlocks and refaults, the restore state stays for the next attempt).
 */
function* populate(c: Ctx, b: number, interruptible: boolean): Generator<Yield, number, void> {
  const { hw } = c;
  const lay = hw.lay;
  const r = yield* restore(c, b, interruptible);
  if (r < 0) return r;
  for (let p = 0; p < lay.cfg.pages; p++) {
    if (hw.get(lay.page(b, p, P.PAGE)) !== 0) continue;
    // A page populated before and neither resident nor backed up lost its content: it comes back zeroed.
    const content = hw.get(lay.page(b, p, P.EVER)) === 1 ? 0 : lay.content(b, p);
    const f = hw.allocFrame(b, p, content);
    if (f < 0) return -ENOMEM;
    hw.set(lay.page(b, p, P.PAGE), f + 1);
    hw.set(lay.page(b, p, P.EVER), 1);
  }
  return 0;
}

/**
 * ttm_pool_restore_and_alloc: bring back every backed-up page of BO b, one page per segment, resuming
 * where an interrupted attempt stopped (pages already restored have dropped their backup: handle 0,
 * "nothing to do"). With the swap device (signal shape) each page read is an interruptible sleep.
 * Returns 0, -ENOMEM, or -EINTR when a signal is pending.
 */
function* restore(c: Ctx, b: number, interruptible: boolean): Generator<Yield, number, void> {
  const { hw } = c;
  const lay = hw.lay;
  const swapDevice = lay.cfg.shape === 'signal';
  const restored: number[] = [];
  for (let p = 0; p < lay.cfg.pages; p++) {
    const handle = hw.get(lay.page(b, p, P.BACKUP));
    if (handle === 0) continue;
    if (hw.get(lay.bo(b, B.RESTORER)) !== c.t + 1) hw.set(lay.bo(b, B.RESTORER), c.t + 1);
    if (swapDevice) {
      const req = lay.code(b, p) + 1;
      hw.set(C.IO_REQ, req);
      hw.set(tw(c, T.SLEEP), SLEEP_IO);
      for (;;) {
        yield BLOCK;
        if (hw.get(C.IO_DONE) === req) break;
        if (interruptible && hw.get(tw(c, T.FLAG)) === 1) return interrupted(c, b, restored);
      }
      hw.set(tw(c, T.SLEEP), 0);
    } else if (interruptible && hw.get(tw(c, T.FLAG)) === 1) {
      return interrupted(c, b, restored);
    }
    const f = hw.allocFrame(b, p, handle);
    if (f < 0) return -ENOMEM;
    hw.set(lay.page(b, p, P.PAGE), f + 1);
    hw.set(lay.page(b, p, P.BACKUP), 0);
    restored.push(p);
    yield NEXT;
  }
  if (hw.get(lay.bo(b, B.RESTORER)) !== 0) hw.set(lay.bo(b, B.RESTORER), 0);
  return 0;
}

/**
 * A signal ended a restore: consume it, cancel the swap read, keep what was restored (the kernel keeps
 * tt->restore so that the next attempt resumes). The mutation frees the pages this attempt restored,
 * whose backup copies are already dropped: they are lost.
 */
function interrupted(c: Ctx, b: number, restored: readonly number[]): number {
  const { hw } = c;
  const lay = hw.lay;
  hw.set(tw(c, T.FLAG), 0);
  hw.set(tw(c, T.SLEEP), 0);
  hw.set(C.IO_REQ, 0);
  hw.add(C.RESTORE_INTR, 1);
  if (c.mutations.has(MUTATION_RESTORE_NO_RESUME)) {
    for (const p of restored) {
      const f = hw.get(lay.page(b, p, P.PAGE)) - 1;
      hw.zapCpu(b, p, f);
      hw.set(lay.page(b, p, P.GPU_PTE), 0);
      hw.set(lay.page(b, p, P.PAGE), 0);
      hw.freeFrame(f);
    }
  }
  hw.set(lay.bo(b, B.RESTORER), 0);
  return -EINTR;
}

// ---- programs ----------------------------------------------------------------------------------

/** ttm_bo_vm_fault on every page of the role's BO through its mapping. */
function* faulter(c: Ctx): Program {
  const b = c.role.bos[0]!;
  const pages = c.hw.lay.cfg.pages;
  for (let i = 0; i < pages; i++) {
    const ret = yield* faultPage(c, c.role.mapping, b, (i + c.t) % pages);
    c.hw.set(tw(c, T.ERRNO), ret);
    yield NEXT;
  }
}

/**
 * One fault: a PTE already present means another thread won (VM_FAULT_NOPAGE); otherwise trylock
 * the resv (contended: wait for the holder, then refault: VM_FAULT_RETRY), populate, and install the
 * PTE by compareExchange: the loser of an install race finds it present and goes on. An interrupted
 * restore unlocks and refaults. Returns 0 or -ENOMEM.
 */
function* faultPage(c: Ctx, m: number, b: number, p: number): Generator<Yield, number, void> {
  const { hw } = c;
  const lay = hw.lay;
  const pte = lay.pte(m, b, p, E.PTE);
  for (;;) {
    if (hw.get(pte) !== 0) {
      hw.add(tw(c, T.PRESENT), 1);
      return 0;
    }
    // handle_pte_fault saw pte_none; the handler runs from here.
    yield NEXT;
    if (!trylock(c, b)) {
      yield* sleepOnLock(c, b);
      continue;
    }
    const r = yield* populate(c, b, true);
    if (r < 0) {
      unlock(c, b);
      if (r !== -EINTR) return r;
      hw.add(tw(c, T.INTERRUPTED), 1);
      hw.set(tw(c, T.INTR_ERRNO), r);
      yield NEXT;
      continue;
    }
    const f = hw.get(lay.page(b, p, P.PAGE)) - 1;
    if (c.mutations.has(MUTATION_PTE_CHECK_THEN_STORE)) {
      // The pte_none seen before the handler ran is taken as still true: load + store, no re-check.
      hw.set(pte, f + 1);
      hw.add(lay.pte(m, b, p, E.INSTALLS), 1);
      hw.add(tw(c, T.INSTALLS), 1);
    } else if (pteInsertOutcome(hw.cas(pte, 0, f + 1) !== 0) === 'install') {
      // The exchange stores only where the PTE still reads none: the rule and the store are one atomic.
      hw.add(lay.pte(m, b, p, E.INSTALLS), 1);
      hw.add(tw(c, T.INSTALLS), 1);
    } else {
      hw.add(tw(c, T.PRESENT), 1);
    }
    unlock(c, b);
    return 0;
  }
}

/** An exec ioctl: lock the role's BOs with one ww ticket, populate, write GPU PTEs, add a fence. */
function* binder(c: Ctx): Program {
  const { hw } = c;
  const lay = hw.lay;
  for (let round = 0; round < lay.cfg.rounds; round++) {
    const stamp = hw.add(C.STAMP, 1) + 1;
    hw.set(tw(c, T.STAMP), stamp);
    let order = [...c.role.bos];
    const held: number[] = [];
    while (held.length < order.length) {
      const b = order.find((x) => !held.includes(x))!;
      const r = wwLock(c, b, stamp, held.length);
      if (r === 0) {
        held.push(b);
        yield NEXT;
        continue;
      }
      if (r === -EDEADLK && !c.mutations.has(MUTATION_WW_NO_BACKOFF)) {
        // Wait-Die: the younger ticket dies: unlock everything, then sleep on the contended lock first.
        for (const h of held) unlock(c, h);
        held.length = 0;
        hw.add(C.BACKOFFS, 1);
        hw.set(tw(c, T.ERRNO), -EDEADLK);
        order = [b, ...order.filter((x) => x !== b)];
      }
      yield* sleepOnLock(c, b);
    }
    let ret = 0;
    for (const b of held) {
      ret = yield* populate(c, b, false);
      if (ret < 0) break;
      for (let p = 0; p < lay.cfg.pages; p++) {
        hw.set(lay.page(b, p, P.GPU_PTE), hw.get(lay.page(b, p, P.PAGE)));
      }
      yield NEXT;
    }
    for (const b of held) {
      if (ret === 0) hw.add(lay.bo(b, B.FENCE_EMITTED), 1);
      unlock(c, b);
    }
    hw.set(tw(c, T.STAMP), 0);
    hw.set(tw(c, T.ERRNO), ret);
    yield NEXT;
  }
}

/** The shrinker: trylock each BO, skip busy ones (unsignalled fence), back up every resident page. */
function* reclaimer(c: Ctx): Program {
  const { hw } = c;
  const lay = hw.lay;
  for (let pass = 0; pass < lay.cfg.rounds; pass++) {
    for (const b of c.role.bos) {
      if (trylock(c, b)) {
        const idle = hw.get(lay.bo(b, B.FENCE_SIGNALED)) >= hw.get(lay.bo(b, B.FENCE_EMITTED));
        if (idle) for (let p = 0; p < lay.cfg.pages; p++) hw.backupPage(b, p);
        unlock(c, b);
      }
      yield NEXT;
    }
  }
}

/** The GPU: signals every emitted fence (in the signal shape only once the fence wait has ended). */
function* fenceSignaller(c: Ctx): Program {
  const { hw } = c;
  const lay = hw.lay;
  for (;;) {
    if (lay.cfg.shape === 'signal' && !allDone(c, 'wait')) {
      yield BLOCK;
      continue;
    }
    let signalled = false;
    for (let b = 0; b < lay.cfg.bos; b++) {
      const emitted = hw.get(lay.bo(b, B.FENCE_EMITTED));
      if (hw.get(lay.bo(b, B.FENCE_SIGNALED)) < emitted) {
        hw.set(lay.bo(b, B.FENCE_SIGNALED), emitted);
        signalled = true;
        break;
      }
    }
    if (signalled) {
      yield NEXT;
      continue;
    }
    if (allDone(c, 'bind')) return;
    yield BLOCK;
  }
}

/**
 * ttm_bo_wait_ctx on the role's BO, interruptible, holding its resv: 1 when the fence signals, or
 * -ERESTARTSYS when a signal arrives first; then the resv is unlocked (the mutation forgets that on
 * the signal path).
 */
function* fenceWaiter(c: Ctx): Program {
  const { hw } = c;
  const lay = hw.lay;
  const b = c.role.bos[0]!;
  while (hw.get(lay.bo(b, B.FENCE_EMITTED)) === 0) yield BLOCK;
  yield* lockPlain(c, b);
  const target = hw.get(lay.bo(b, B.FENCE_EMITTED));
  if (hw.get(lay.bo(b, B.FENCE_SIGNALED)) < target) {
    hw.set(tw(c, T.SLEEP), SLEEP_FENCE);
    for (;;) {
      yield BLOCK;
      if (hw.get(lay.bo(b, B.FENCE_SIGNALED)) >= target) break;
      if (hw.get(tw(c, T.FLAG)) === 1) {
        hw.set(tw(c, T.FLAG), 0);
        hw.set(tw(c, T.SLEEP), 0);
        hw.add(C.WAIT_INTR, 1);
        hw.add(tw(c, T.INTERRUPTED), 1);
        hw.set(tw(c, T.ERRNO), -ERESTARTSYS);
        hw.set(tw(c, T.INTR_ERRNO), -ERESTARTSYS);
        if (!c.mutations.has(MUTATION_WAIT_NO_CLEANUP)) unlock(c, b);
        return;
      }
    }
    hw.set(tw(c, T.SLEEP), 0);
  }
  hw.set(tw(c, T.ERRNO), 1);
  unlock(c, b);
}

/**
 * Sends a signal (sets the interrupt flag; stress mode's Atomics.notify wakes the sleeper) to the
 * first thread found in an interruptible sleep of `kind`: a fence wait, or a swap read of a page after
 * the first (the restore is then half done).
 */
function* signalSender(c: Ctx, kind: number): Program {
  const { hw } = c;
  const lay = hw.lay;
  for (;;) {
    for (let t = 0; t < lay.cfg.threads; t++) {
      if (hw.get(tw(c, T.SLEEP, t)) !== kind) continue;
      if (kind === SLEEP_IO && (hw.get(C.IO_REQ) - 1) % lay.cfg.pages === 0) continue;
      hw.set(tw(c, T.FLAG, t), 1);
      return;
    }
    yield BLOCK;
  }
}

/**
 * The swap device: completes the requested page read. It stalls on every page after the first until a
 * restore has been interrupted (a slow disk under a signal), and stops when every faulter is done.
 */
function* swapDevice(c: Ctx): Program {
  const { hw } = c;
  const lay = hw.lay;
  for (;;) {
    const req = hw.get(C.IO_REQ);
    const ready = (req - 1) % lay.cfg.pages === 0 || hw.get(C.RESTORE_INTR) >= 1;
    if (req !== 0 && hw.get(C.IO_DONE) !== req && ready) {
      hw.set(C.IO_DONE, req);
      yield NEXT;
      continue;
    }
    if (allDone(c, 'fault')) return;
    yield BLOCK;
  }
}

/** A frame's words, for oracles and reports. */
export function frameOf(hw: Hw, f: number): { state: number; owner: number; content: number } {
  const lay = hw.lay;
  return {
    state: hw.get(lay.frame(f, F.STATE)),
    owner: hw.get(lay.frame(f, F.OWNER)),
    content: hw.get(lay.frame(f, F.CONTENT)),
  };
}
