// The hardware state of stress mode as one flat Int32Array (a SharedArrayBuffer when real threads share
// it, a plain ArrayBuffer in the deterministic replay): page frames with content and IOMMU mapping, the
// CPU page tables of every mapping of every BO, the GPU page table, the BOs' resv lock words and fence
// seqnos, per-thread interrupt flags and bookkeeping, and a control block (start barrier, the global
// linearization lock, the ticket counter and the ticket log of the observed interleaving).
// Mirrors no kernel file: it is the part of the machine that kernel code shares between CPUs. It
// simplifies: one frame per 4 KiB page, one content word per page, IOMMU = a mapped flag per frame.

/** The shapes of stress workloads (src/stress/roles.ts assigns each thread its program). */
export const STRESS_SHAPES = ['pte', 'bind', 'signal'] as const;
export type StressShape = (typeof STRESS_SHAPES)[number];

/** Everything that shapes a stress workload; it is the scenario config, so its hash identifies it. */
export interface StressConfig {
  readonly scenario: 'stress';
  readonly shape: StressShape;
  readonly threads: number;
  readonly bos: number;
  readonly pages: number;
  /** CPU mappings (VMAs) of every BO, each with its own page table. */
  readonly mappings: number;
  readonly frames: number;
  /** Binds per binder thread and passes per reclaim thread. */
  readonly rounds: number;
  /** BOs whose pages start backed up (their content only in the backup store). */
  readonly backedUp: readonly number[];
}

/** Ticket log entries a run may take; a run that would need more stops with `crash.log-overflow`. */
export const LOG_CAP = 1 << 16;

/** Control words. */
export const C = {
  /** Start barrier: threads that arrived; the main thread sets GO once all have. */
  READY: 0,
  GO: 1,
  /** The linearization lock: 0 free, thread + 1 while a segment runs. */
  LIN: 2,
  /** Next ticket: the number of segments run so far. */
  TICKET: 3,
  /** Bumped by every segment that changed the hardware state: what blocked threads wait on. */
  EPOCH: 4,
  /** Set when every live thread is blocked on a condition nothing can change any more, or on overflow. */
  ABORT: 5,
  OVERFLOW: 6,
  /** ww_acquire_ctx stamps handed out (the next ticket's stamp is this + 1). */
  STAMP: 7,
  /** The first violation a per-segment oracle saw: oracle code, thread + 1, argument, argument 2. */
  FAIL_CODE: 8,
  FAIL_THREAD: 9,
  FAIL_ARG: 10,
  FAIL_ARG2: 11,
  /** Frees of a frame that was already free. */
  DOUBLE_FREE: 12,
  /** The swap device: the read requested (page code + 1, 0 none) and the last one completed. */
  IO_REQ: 13,
  IO_DONE: 14,
  /** Restores a signal interrupted (-EINTR), fence waits a signal interrupted (-ERESTARTSYS). */
  RESTORE_INTR: 15,
  WAIT_INTR: 16,
  /** Thread + 1 of the thread that found the deadlock. */
  DEADLOCK_BY: 17,
  /** Wait-Die back-offs (-EDEADLK) taken. */
  BACKOFFS: 18,
  /** Frames allocated and freed, in total. */
  ALLOCS: 19,
  FREES: 20,
  SIZE: 32,
} as const;

/** Per-thread words. */
export const T = {
  DONE: 0,
  /** 1 while the thread waits for the state to change (its last segment yielded BLOCK). */
  BLOCKED: 1,
  /** EPOCH as the thread saw it when it blocked. */
  OBSERVED: 2,
  /** The cooperative interrupt flag: a signal is pending. */
  FLAG: 3,
  /** What an interruptible sleeper sleeps on (SLEEP_*), 0 when not in an interruptible sleep. */
  SLEEP: 4,
  /** The thread's ww ticket stamp (0: none) and the resv locks it holds. */
  STAMP: 5,
  HELD: 6,
  /** bo + 1 of the resv lock the thread sleeps on, 0 when none. */
  WAITING_ON: 7,
  /** Role counters: PTE installs, PTEs found present, interrupted returns, the last errno returned. */
  INSTALLS: 8,
  PRESENT: 9,
  INTERRUPTED: 10,
  ERRNO: 11,
  /** 1 when the thread stopped because of ABORT instead of finishing. */
  ABORTED: 12,
  /** The errno of the thread's last return that a signal caused (-EINTR, -ERESTARTSYS), 0 if none. */
  INTR_ERRNO: 13,
  SIZE: 16,
} as const;

export const SLEEP_FENCE = 1;
export const SLEEP_IO = 2;

/** Per-frame words. */
export const F = { STATE: 0, OWNER: 1, CONTENT: 2, IOMMU: 3, SIZE: 4 } as const;
/** Per-BO words. */
export const B = {
  RESV: 0,
  RESV_THREAD: 1,
  FENCE_EMITTED: 2,
  FENCE_SIGNALED: 3,
  RESTORER: 4,
  SIZE: 8,
} as const;
/** Per BO page: resident frame + 1, backup handle (the saved content; 0 none), ever populated, GPU PTE. */
export const P = { PAGE: 0, BACKUP: 1, EVER: 2, GPU_PTE: 3, SIZE: 4 } as const;
/** Per CPU PTE: the PTE (frame + 1, 0 none), installs and zaps. */
export const E = { PTE: 0, INSTALLS: 1, ZAPS: 2, SIZE: 3 } as const;

/** A resv lock word held without a ww ticket: PLAIN_HOLDER + thread. Stamps stay below it. */
export const PLAIN_HOLDER = 1 << 24;

export class Layout {
  readonly threadBase = C.SIZE;
  readonly frameBase: number;
  readonly boBase: number;
  readonly pageBase: number;
  readonly pteBase: number;
  readonly logBase: number;
  readonly words: number;

  constructor(readonly cfg: StressConfig) {
    this.frameBase = this.threadBase + cfg.threads * T.SIZE;
    this.boBase = this.frameBase + cfg.frames * F.SIZE;
    this.pageBase = this.boBase + cfg.bos * B.SIZE;
    this.pteBase = this.pageBase + cfg.bos * cfg.pages * P.SIZE;
    this.logBase = this.pteBase + cfg.mappings * cfg.bos * cfg.pages * E.SIZE;
    this.words = this.logBase + LOG_CAP;
  }

  thread(t: number, word: number): number {
    return this.threadBase + t * T.SIZE + word;
  }
  frame(f: number, word: number): number {
    return this.frameBase + f * F.SIZE + word;
  }
  bo(b: number, word: number): number {
    return this.boBase + b * B.SIZE + word;
  }
  page(b: number, p: number, word: number): number {
    return this.pageBase + (b * this.cfg.pages + p) * P.SIZE + word;
  }
  pte(m: number, b: number, p: number, word: number): number {
    return this.pteBase + ((m * this.cfg.bos + b) * this.cfg.pages + p) * E.SIZE + word;
  }
  log(ticket: number): number {
    return this.logBase + ticket;
  }
  /** A page's code: what owner words and swap reads name (`b * pages + p`). */
  code(b: number, p: number): number {
    return b * this.cfg.pages + p;
  }
  /** The content a page must hold forever: nonzero, distinct per page (no workload writes pages). */
  content(b: number, p: number): number {
    return 0x10000 * (b + 1) + p + 1;
  }
}

/** A fresh state: frames free, BOs unpopulated except `backedUp` ones, whose pages sit in the backup. */
export function initState(lay: Layout, w: Int32Array): void {
  w.fill(0);
  for (const b of lay.cfg.backedUp) {
    for (let p = 0; p < lay.cfg.pages; p++) {
      w[lay.page(b, p, P.BACKUP)] = lay.content(b, p);
      w[lay.page(b, p, P.EVER)] = 1;
    }
  }
}

/** Words that record real-thread timing only (barrier, lock): left out of state comparisons. */
const TIMING_WORDS: readonly number[] = [C.READY, C.GO, C.LIN];

/** FNV-1a over every word except the timing ones: equal for a stress run and its replay. */
export function stateHash(w: Int32Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < w.length; i++) {
    const v = TIMING_WORDS.includes(i) ? 0 : w[i]!;
    for (let k = 0; k < 4; k++) {
      h ^= (v >>> (8 * k)) & 0xff;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return h >>> 0;
}

/** The ticket log of a state: the thread of every segment, in linearization order. */
export function ticketLog(lay: Layout, w: Int32Array): number[] {
  const n = Math.min(w[C.TICKET]!, LOG_CAP);
  return Array.from(w.subarray(lay.logBase, lay.logBase + n));
}
