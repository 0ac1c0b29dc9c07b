// From a real-thread run to the deterministic mode. `replayLog` runs the same programs in this thread on
// a plain buffer, one segment per ticket-log entry, in log order: the state it ends in is the stress
// run's, word for word. `replayToken` does the same through runScenario, with a chooser that picks at
// every choice the task whose thread the log names next; the recorded choices become the tape of a
// 'fifo' token, which `ttm-sim replay` runs like any other.

import type { Chooser } from '../engine/strategy.ts';
import { stressScenario } from '../sim/scenarios/stress.ts';
import { Hw } from '../stress/hw.ts';
import { initState, Layout, type StressConfig } from '../stress/layout.ts';
import { judge, signature, taskName, type Verdict } from '../stress/oracles.ts';
import { program } from '../stress/programs.ts';
import { runSegment } from '../stress/segment.ts';
import { type RunResult, runScenario } from './run.ts';

export interface LogReplay {
  readonly state: Int32Array;
  readonly verdict: Verdict;
  readonly signature: string | null;
  /** Log entries naming a thread that had already finished (0 when the log is a real run's). */
  readonly misfits: number;
}

export function replayLog(
  cfg: StressConfig,
  mutations: readonly string[],
  log: readonly number[],
): LogReplay {
  const lay = new Layout(cfg);
  const w = new Int32Array(lay.words);
  initState(lay, w);
  const hw = new Hw(lay, w);
  const muts = new Set(mutations);
  const progs = Array.from({ length: cfg.threads }, (_, t) => program(hw, t, muts));
  const over = Array.from({ length: cfg.threads }, () => false);
  let misfits = 0;
  for (const t of log) {
    if (over[t] !== false) {
      misfits += 1;
      continue;
    }
    const out = runSegment(hw, t, progs[t]!);
    if (out === 'done' || out === 'stopped') over[t] = true;
  }
  const verdict = judge(lay, w);
  return { state: w, verdict, signature: signature(cfg, verdict), misfits };
}

/** Picks the task of the log's next thread; the log position is the number of task steps delivered. */
export class LogGuide implements Chooser {
  /** Choices at which the task the log names was not enabled. */
  misses = 0;
  private pos = 0;

  constructor(
    private readonly cfg: StressConfig,
    private readonly log: readonly number[],
  ) {}

  register(): void {}
  posted(): void {}
  delivered(): void {
    this.pos += 1;
  }
  pick(enabled: readonly string[]): number {
    const t = this.log[this.pos];
    const i = t === undefined ? -1 : enabled.indexOf(taskName(this.cfg, t));
    if (i >= 0) return i;
    this.misses += 1;
    return 0;
  }
  chosen(): void {}
  priorityOf(): number | undefined {
    return undefined;
  }
}

export interface TokenReplay {
  /** The guided run (its token carries the full tape under 'fifo'). */
  readonly guided: RunResult;
  /** The token run again from its tape alone, as `ttm-sim replay` does. */
  readonly again: RunResult;
  readonly misses: number;
}

/** Turn a ticket log into a token and check it: the guided run, then the token's own replay. */
export function replayToken(
  cfg: StressConfig,
  mutations: readonly string[],
  log: readonly number[],
  seed: bigint,
): TokenReplay {
  const scenario = stressScenario(cfg);
  const guide = new LogGuide(cfg, log);
  const guided = runScenario(scenario, { seed, strategy: 'fifo', guide, recordChosen: true, mutations });
  const again = runScenario(scenario, { seed, strategy: 'fifo', tape: guided.sim.scheduler.tape, mutations });
  return { guided, again, misses: guide.misses };
}
