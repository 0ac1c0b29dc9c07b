// Which program each thread of a stress workload runs, as a pure function of the config (so a config
// hash names the programs too), and the default configs of the three shapes.
//   pte     every thread faults the same pages of one BO through one mapping: PTE install races
//   bind    binders lock two BOs each with ww tickets in rotating order (Wait-Die, -EDEADLK back-off),
//           faulters map pages, a reclaimer backs idle BOs up, a fence thread signals the binds' fences
//   signal  a bind, a fence wait on its BO that a signal interrupts (-ERESTARTSYS) before the GPU
//           finishes, a fault on a backed-up BO whose restore a signal interrupts (-EINTR) while the
//           swap device stalls, and later faults that resume it

import type { StressConfig, StressShape } from './layout.ts';

export type RoleKind =
  | 'fault'
  | 'bind'
  | 'reclaim'
  | 'fence'
  | 'wait'
  | 'signal-wait'
  | 'signal-restore'
  | 'io';

export interface Role {
  readonly kind: RoleKind;
  /** BOs the program works on (bind: in locking order). */
  readonly bos: readonly number[];
  /** The CPU mapping a fault goes through. */
  readonly mapping: number;
}

/** Fewest threads a shape needs (every role of the signal shape once). */
export const MIN_THREADS: Record<StressShape, number> = { pte: 2, bind: 3, signal: 7 };
export const MAX_THREADS = 8;

export const STRESS_DEFAULTS: Record<StressShape, StressConfig> = {
  pte: {
    scenario: 'stress',
    shape: 'pte',
    threads: 4,
    bos: 1,
    pages: 2,
    mappings: 1,
    frames: 4,
    rounds: 1,
    backedUp: [],
  },
  bind: {
    scenario: 'stress',
    shape: 'bind',
    threads: 6,
    bos: 3,
    pages: 2,
    mappings: 2,
    frames: 8,
    rounds: 3,
    backedUp: [],
  },
  signal: {
    scenario: 'stress',
    shape: 'signal',
    threads: 7,
    bos: 2,
    pages: 3,
    mappings: 1,
    frames: 8,
    rounds: 1,
    backedUp: [1],
  },
};

/** The default config of `shape` with `threads` threads (checked by the caller against MIN/MAX). */
export function stressConfig(shape: StressShape, threads: number, pages?: number): StressConfig {
  const base = STRESS_DEFAULTS[shape];
  const p = pages ?? base.pages;
  return { ...base, threads, pages: p, frames: base.bos * p + 2 };
}

export function roleOf(cfg: StressConfig, t: number): Role {
  const all = (kind: RoleKind, bos: number[], mapping = 0): Role => ({ kind, bos, mapping });
  switch (cfg.shape) {
    case 'pte':
      return all('fault', [0], t % cfg.mappings);
    case 'bind': {
      if (t === cfg.threads - 1) return all('fence', []);
      const rest = cfg.threads >= 4 ? cfg.threads - 2 : cfg.threads - 1;
      if (t === rest) return all('reclaim', range(cfg.bos));
      const binders = Math.max(2, rest - 1);
      if (t < binders) return all('bind', [t % cfg.bos, (t + 1) % cfg.bos]);
      const k = t - binders;
      return all('fault', [k % cfg.bos], k % cfg.mappings);
    }
    case 'signal': {
      const fixed: Role[] = [
        all('bind', [0]),
        all('wait', [0]),
        all('signal-wait', []),
        all('fault', [1]),
        all('signal-restore', []),
        all('io', []),
        all('fence', []),
      ];
      return fixed[t] ?? all('fault', [1]);
    }
  }
}

export function roles(cfg: StressConfig): Role[] {
  return range(cfg.threads).map((t) => roleOf(cfg, t));
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
