// Stress workloads in the deterministic mode: one task per stress thread, running the thread's program
// (src/stress/programs.ts) one segment per task step over a plain buffer with the stress layout. A
// BLOCK waits, as a stress thread sleeps on the epoch word, until some segment has changed the state
// (the epoch moved): a fence per epoch, signalled by the segment that moves it. A blocked task that
// stayed runnable would spin under an unfair strategy (PCT) while the task that could unblock it never
// runs: a livelock of the simulation, not of the threads. Stress threads, likewise, run a segment after
// a BLOCK only once the epoch moved, so any schedule of these tasks is a possible linearization of the
// real threads, and the ticket log of a real-thread run, fed in as the chooser, replays that run exactly. A thread stopped by a detected deadlock parks
// on a fence nobody signals, so the run ends with the deadlocked tasks unfinished (a liveness failure).

import type { Rng } from '../../engine/prng.ts';
import type { KGen } from '../../kernel/env.ts';
import { DmaFence } from '../../kernel/fence.ts';
import { Hw } from '../../stress/hw.ts';
import {
  C,
  initState,
  Layout,
  type StressConfig,
  type StressShape,
  stateHash,
  T,
} from '../../stress/layout.ts';
import { breaches, taskName } from '../../stress/oracles.ts';
import { type Program, program } from '../../stress/programs.ts';
import { MAX_THREADS, MIN_THREADS, roleOf, STRESS_DEFAULTS, stressConfig } from '../../stress/roles.ts';
import { runSegment, type SegmentOutcome } from '../../stress/segment.ts';
import type { Scenario, Workload } from '../scenario.ts';
import type { Sim } from '../sim.ts';

const SUMMARY: Record<StressShape, string> = {
  pte: 'threads fault the same pages of one BO: PTE installs by compareExchange, losers find the PTE present',
  bind: 'ww-ticket binds of two BOs each (Wait-Die back-off), faults, a trylock reclaimer and a fence thread',
  signal:
    'a fence wait and a swap-in restore interrupted by signals (-ERESTARTSYS, -EINTR), resumed by a refault',
};

/** The scenario name of a stress config: `stress-<shape>`, plus `-t<threads>`/`-p<pages>` off the defaults. */
export function stressName(cfg: StressConfig): string {
  const base = STRESS_DEFAULTS[cfg.shape];
  const t = cfg.threads === base.threads ? '' : `-t${cfg.threads}`;
  const p = cfg.pages === base.pages ? '' : `-p${cfg.pages}`;
  return `stress-${cfg.shape}${t}${p}`;
}

export function stressScenario(cfg: StressConfig): Scenario {
  return {
    name: stressName(cfg),
    summary: `stress (real threads: 'ttm-sim stress'): ${SUMMARY[cfg.shape]}`,
    config: { ...cfg, backedUp: [...cfg.backedUp] },
    build(sim: Sim, _rng: Rng): Workload {
      const run = new StressRun(cfg);
      const { lay, w } = run;
      for (let t = 0; t < cfg.threads; t++) {
        const prog = program(run.hw, t, sim.mutations);
        sim.spawn(`${roleOf(cfg, t).kind}:${t}`, () => run.thread(t, prog));
      }
      // Methods, not arrow properties: under tsx, keepNames names every arrow stored in a property with
      // a defineProperty call (a runtime call per function per run).
      return {
        stats() {
          return {
            segments: w[C.TICKET]!,
            stateHash: stateHash(w),
            allocs: w[C.ALLOCS]!,
            frees: w[C.FREES]!,
            backoffs: w[C.BACKOFFS]!,
            restoreInterrupts: w[C.RESTORE_INTR]!,
            waitInterrupts: w[C.WAIT_INTR]!,
          };
        },
        check() {
          return breaches(lay, w).map((v) => ({
            id: v.id,
            message: v.message,
            ...(v.thread === null ? {} : { actor: taskName(cfg, v.thread) }),
          }));
        },
        describe() {
          return Array.from({ length: cfg.threads }, (_, t) => threadLine(cfg, lay, w, t));
        },
        worlds() {
          return [];
        },
      };
    },
  };
}

/**
 * One run of a stress config: the buffer, its epoch fences and the threads' body. The body is a
 * generator method of this class rather than a generator closure made in the build, which kept the
 * whole run alive through young-generation collections (see RaceRun in race.ts).
 */
class StressRun {
  readonly lay: Layout;
  readonly w: Int32Array;
  readonly hw: Hw;
  readonly parked = new DmaFence(0, 0, 'fence:stress.parked');
  /** The epoch the state was in when `moved` was made. */
  epoch: number;
  /** The fence of the current epoch: signalled (and replaced) by the segment that moves the epoch. */
  moved = new DmaFence(0, 1, 'fence:stress.epoch');

  constructor(cfg: StressConfig) {
    this.lay = new Layout(cfg);
    this.w = new Int32Array(this.lay.words);
    initState(this.lay, this.w);
    this.hw = new Hw(this.lay, this.w);
    this.epoch = this.w[C.EPOCH]!;
  }

  /** One segment of thread `t`; when it moved the epoch, the epoch's fence is signalled and replaced. */
  segment(t: number, prog: Program): SegmentOutcome {
    const w = this.w;
    const out = runSegment(this.hw, t, prog);
    if (w[C.EPOCH] !== this.epoch) {
      this.epoch = w[C.EPOCH]!;
      const done = this.moved;
      this.moved = new DmaFence(0, 1, 'fence:stress.epoch');
      done.signal();
    }
    return out;
  }

  /** Thread `t`: its program one segment per step; a BLOCK waits until the epoch moved. */
  *thread(t: number, prog: Program): KGen<number> {
    const w = this.w;
    for (;;) {
      const out = this.segment(t, prog);
      if (out === 'done') return 0;
      if (out === 'stopped') {
        yield { kind: 'fences', fences: [this.parked], interruptible: false, timeoutMs: null };
        return 0;
      }
      if (out === 'block' && w[this.lay.thread(t, T.OBSERVED)] === w[C.EPOCH]) {
        yield { kind: 'fences', fences: [this.moved], interruptible: false, timeoutMs: null };
      } else {
        yield { kind: 'yield', label: out === 'block' ? 'stress.block' : 'stress.segment' };
      }
    }
  }
}

/** The describe line of thread `t`. */
function threadLine(cfg: StressConfig, lay: Layout, w: Int32Array, t: number): string {
  const installs = w[lay.thread(t, T.INSTALLS)]!;
  const present = w[lay.thread(t, T.PRESENT)]!;
  const interrupted = w[lay.thread(t, T.INTERRUPTED)]!;
  const errno = w[lay.thread(t, T.ERRNO)]!;
  return `${taskName(cfg, t)}: installs ${installs}, present ${present}, interrupted ${interrupted}, errno ${errno}`;
}

/** The built-in stress scenarios: each shape at its default size. */
export function stressScenarios(): Scenario[] {
  return (['pte', 'bind', 'signal'] as const).map((s) => stressScenario(STRESS_DEFAULTS[s]));
}

/** Every thread count of every shape (what `ttm-sim stress --threads N` can run), for token lookup. */
export function stressVariants(): Scenario[] {
  const out: Scenario[] = [];
  for (const shape of ['pte', 'bind', 'signal'] as const) {
    for (let n = MIN_THREADS[shape]; n <= MAX_THREADS; n++) {
      if (n !== STRESS_DEFAULTS[shape].threads) out.push(stressScenario(stressConfig(shape, n)));
    }
  }
  return out;
}
