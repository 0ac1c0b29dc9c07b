// The oracles that judge a stress run, the same functions in both modes: `checkStep` runs after every
// segment (under the linearization lock in stress mode, after each replayed segment in the
// deterministic mode) and records the first violation in the state itself; `judge` reads the final
// state. So a run and the replay of its ticket log, ending in the same state, get the same verdict.
// Checks: exactly one install per present CPU PTE (installs − zaps), no CPU or GPU PTE to a freed or
// foreign frame, no IOMMU mapping of a free frame, no double free, no leaked frame, page content
// preserved across backup and restore, the ww Wait-Die rule (a ticket that holds locks never decides
// to sleep on a lock held by an older ticket: it must back off with -EDEADLK), no thread exits holding
// a resv lock, and at the end no lock held and no fence unsignalled.

import type { Hw } from './hw.ts';
import { B, C, E, F, type Layout, P, PLAIN_HOLDER, type StressConfig, T } from './layout.ts';
import { roleOf } from './roles.ts';

export const STEP_ORACLES = [
  'pte.install-once',
  'pte.stale',
  'gpu.stale',
  'frames.double-free',
  'iommu.stale',
  'frames.leak',
  'content.lost',
  'ww.wait-die',
  'resv.held-at-exit',
] as const;

interface Found {
  readonly code: number;
  readonly arg: number;
  readonly arg2: number;
}

function found(id: (typeof STEP_ORACLES)[number], arg: number, arg2 = 0): Found {
  return { code: STEP_ORACLES.indexOf(id) + 1, arg, arg2 };
}

/** Record the first violation after thread t's segment (later ones are consequences). */
export function checkStep(hw: Hw, t: number): void {
  if (hw.get(C.FAIL_CODE) !== 0) return;
  const v = firstViolation(hw.lay, hw.w, t);
  if (v === null) return;
  hw.note(C.FAIL_CODE, v.code);
  hw.note(C.FAIL_THREAD, t + 1);
  hw.note(C.FAIL_ARG, v.arg);
  hw.note(C.FAIL_ARG2, v.arg2);
}

function firstViolation(lay: Layout, w: Int32Array, t: number): Found | null {
  const { bos, pages, mappings, frames } = lay.cfg;
  const live = (f: number, b: number, p: number): boolean =>
    f >= 0 && f < frames && w[lay.frame(f, F.STATE)] === 1 && w[lay.frame(f, F.OWNER)] === lay.code(b, p) + 1;
  for (let m = 0; m < mappings; m++) {
    for (let b = 0; b < bos; b++) {
      for (let p = 0; p < pages; p++) {
        const pte = w[lay.pte(m, b, p, E.PTE)]!;
        const net = w[lay.pte(m, b, p, E.INSTALLS)]! - w[lay.pte(m, b, p, E.ZAPS)]!;
        const at = (m * bos + b) * pages + p;
        if (net !== (pte === 0 ? 0 : 1)) return found('pte.install-once', at, net);
        if (pte !== 0 && !live(pte - 1, b, p)) return found('pte.stale', at, pte - 1);
      }
    }
  }
  for (let b = 0; b < bos; b++) {
    for (let p = 0; p < pages; p++) {
      const gpu = w[lay.page(b, p, P.GPU_PTE)]!;
      if (gpu !== 0 && !live(gpu - 1, b, p)) return found('gpu.stale', lay.code(b, p), gpu - 1);
    }
  }
  if (w[C.DOUBLE_FREE] !== 0) return found('frames.double-free', w[C.DOUBLE_FREE]!);
  for (let f = 0; f < frames; f++) {
    const state = w[lay.frame(f, F.STATE)];
    if (state === 0 && w[lay.frame(f, F.IOMMU)] !== 0) return found('iommu.stale', f);
    const owner = w[lay.frame(f, F.OWNER)]! - 1;
    if (state === 1) {
      const b = Math.floor(owner / pages);
      const p = owner % pages;
      if (owner < 0 || w[lay.page(b, p, P.PAGE)] !== f + 1) return found('frames.leak', f, owner);
    }
  }
  for (let b = 0; b < bos; b++) {
    for (let p = 0; p < pages; p++) {
      if (w[lay.page(b, p, P.EVER)] !== 1) continue;
      const page = w[lay.page(b, p, P.PAGE)]!;
      const held = page === 0 ? w[lay.page(b, p, P.BACKUP)]! : w[lay.frame(page - 1, F.CONTENT)]!;
      if (held !== lay.content(b, p)) return found('content.lost', lay.code(b, p), held);
    }
  }
  for (let u = 0; u < lay.cfg.threads; u++) {
    const waitDie = waitDieBreach(lay, w, u);
    if (waitDie !== null) return waitDie;
  }
  if (w[lay.thread(t, T.DONE)] === 1 && w[lay.thread(t, T.ABORTED)] === 0) {
    for (let b = 0; b < bos; b++) {
      if (w[lay.bo(b, B.RESV_THREAD)] === t + 1) return found('resv.held-at-exit', b);
    }
  }
  return null;
}

/** Thread u decided to sleep (it saw the current epoch) holding locks, on a lock an older ticket holds. */
function waitDieBreach(lay: Layout, w: Int32Array, u: number): Found | null {
  const at = (word: number): number => w[lay.thread(u, word)]!;
  if (at(T.BLOCKED) !== 1 || at(T.OBSERVED) !== w[C.EPOCH]) return null;
  const stamp = at(T.STAMP);
  const on = at(T.WAITING_ON) - 1;
  if (stamp === 0 || on < 0 || at(T.HELD) === 0) return null;
  const holder = w[lay.bo(on, B.RESV)]!;
  if (holder === 0 || holder >= PLAIN_HOLDER || holder >= stamp) return null;
  return found('ww.wait-die', u * 65536 + on, holder * 65536 + stamp);
}

export type VerdictKind = 'pass' | 'correctness' | 'liveness' | 'crash';

export interface Verdict {
  readonly kind: VerdictKind;
  /** Oracle id (`pte.install-once`, `liveness.stuck`…); '' for a pass. */
  readonly id: string;
  /** The thread the failure names, or null. */
  readonly thread: number | null;
  readonly message: string;
}

/** The correctness failures of a final state: the first per-segment violation, then end-of-run checks. */
export function breaches(lay: Layout, w: Int32Array): Verdict[] {
  const out: Verdict[] = [];
  const code = w[C.FAIL_CODE]!;
  if (code !== 0) {
    const t = w[C.FAIL_THREAD]! - 1;
    const id = STEP_ORACLES[code - 1]!;
    out.push({
      kind: 'correctness',
      id,
      thread: t,
      message: describe(lay, id, w[C.FAIL_ARG]!, w[C.FAIL_ARG2]!),
    });
  }
  for (let b = 0; b < lay.cfg.bos; b++) {
    const holder = w[lay.bo(b, B.RESV_THREAD)]!;
    if (holder !== 0) {
      out.push({
        kind: 'correctness',
        id: 'resv.held',
        thread: holder - 1,
        message: `bo ${b}: its resv lock is still held at the end of the run`,
      });
    }
    const emitted = w[lay.bo(b, B.FENCE_EMITTED)]!;
    const signaled = w[lay.bo(b, B.FENCE_SIGNALED)]!;
    if (signaled < emitted) {
      out.push({
        kind: 'correctness',
        id: 'fence.unsignaled',
        thread: null,
        message: `bo ${b}: fence ${emitted} emitted, only ${signaled} signalled at the end of the run`,
      });
    }
  }
  return out;
}

/** The verdict of a final state: log overflow, then liveness (a deadlock stopped the run), then breaches. */
export function judge(lay: Layout, w: Int32Array): Verdict {
  if (w[C.OVERFLOW] !== 0) {
    return {
      kind: 'crash',
      id: 'crash.log-overflow',
      thread: null,
      message: `the run took more segments than the ticket log holds; it cannot be replayed`,
    };
  }
  if (w[C.ABORT] !== 0) {
    const stuck: number[] = [];
    for (let t = 0; t < lay.cfg.threads; t++) if (w[lay.thread(t, T.ABORTED)] === 1) stuck.push(t);
    const names = stuck.map((t) => taskName(lay.cfg, t)).join(', ');
    return {
      kind: 'liveness',
      id: 'liveness.stuck',
      thread: stuck[0] ?? null,
      message: `deadlock: ${stuck.length} thread(s) wait for a change no live thread can make: ${names} (found by ${taskName(lay.cfg, w[C.DEADLOCK_BY]! - 1)})`,
    };
  }
  return breaches(lay, w)[0] ?? { kind: 'pass', id: '', thread: null, message: '' };
}

/** The task a thread runs as in the deterministic mode: `task:<role>:<thread>`. */
export function taskName(cfg: StressConfig, t: number): string {
  return `task:${roleOf(cfg, t).kind}:${t}`;
}

/**
 * The failure signature, as `signatureOf` in src/sim/run.ts builds it for the replay: id | actor class
 * (the task name without its thread number) | the task's state when judged (a thread stopped by a
 * deadlock is blocked, any other has exited) | the errno the message names.
 */
export function signature(cfg: StressConfig, v: Verdict): string | null {
  if (v.kind === 'pass') return null;
  const actor = v.thread === null ? '' : `task:${roleOf(cfg, v.thread).kind}`;
  const state = v.thread === null ? '' : v.kind === 'liveness' ? 'blocked' : 'exited';
  const errno = /-E[A-Z0-9]+/.exec(v.message)?.[0] ?? '';
  return [v.id, actor, state, errno].join(' | ');
}

function describe(lay: Layout, id: string, arg: number, arg2: number): string {
  const { bos, pages } = lay.cfg;
  const page = (code: number): string => `bo ${Math.floor(code / pages)} page ${code % pages}`;
  switch (id) {
    case 'pte.install-once': {
      const m = Math.floor(arg / (bos * pages));
      return `mapping ${m}, ${page(arg % (bos * pages))}: installs − zaps = ${arg2} for one PTE (it was installed over a present PTE)`;
    }
    case 'pte.stale':
      return `a CPU PTE of mapping ${Math.floor(arg / (bos * pages))}, ${page(arg % (bos * pages))} points at frame ${arg2}, which that page does not own`;
    case 'gpu.stale':
      return `the GPU PTE of ${page(arg)} points at frame ${arg2}, which that page does not own`;
    case 'frames.double-free':
      return `${arg} frame(s) freed twice`;
    case 'iommu.stale':
      return `frame ${arg} is free but still IOMMU-mapped`;
    case 'frames.leak':
      return `frame ${arg} is allocated to ${arg2 < 0 ? 'nobody' : page(arg2)} but no page holds it (leaked)`;
    case 'content.lost':
      return `${page(arg)} lost its content: it holds ${arg2} instead of ${lay.content(Math.floor(arg / pages), arg % pages)} after backup/restore`;
    case 'ww.wait-die': {
      const [u, on, holder, stamp] = [
        Math.floor(arg / 65536),
        arg % 65536,
        Math.floor(arg2 / 65536),
        arg2 % 65536,
      ];
      return `${taskName(lay.cfg, u)} with ticket ${stamp} holds locks and sleeps on bo ${on}, held by the older ticket ${holder}, instead of backing off with -EDEADLK`;
    }
    case 'resv.held-at-exit':
      return `a thread returned holding the resv lock of bo ${arg} (an interrupted wait did not clean up)`;
    default:
      return id;
  }
}
