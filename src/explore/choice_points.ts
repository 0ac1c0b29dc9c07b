// The choice points of a run: at which trace step each real choice (two or more enabled actors) was
// made, what was enabled, what was picked, and whether it preempted the actor that ran last although
// that actor could go on (the preemptions shrinking minimises, src/explore/shrink.ts). Mirrors no
// kernel file: it reads the schedule src/engine/scheduler.ts recorded in the run's tape.
// The run is taken again with its recorded tape followed by a chooser instead of the scheduler's tape
// reader: the chooser is asked at every real choice and so sees the enabled set, and it picks exactly
// what the tape says, so the run (trace, token, outcome) is the recorded one byte for byte.

import type { Chooser } from '../engine/strategy.ts';
import type { TraceLine } from '../engine/trace.ts';
import type { Scenario } from '../sim/scenario.ts';
import { exactReplayOptions, type RunOptions, type RunResult, runScenario } from './run.ts';

/** One real choice of a run. */
export interface ChoicePoint {
  /** Choice number (index in the tape). */
  readonly choice: number;
  /** Trace step at which the chosen actor's message was delivered. */
  readonly step: number;
  /** The enabled actors, sorted by id (as the scheduler offers them). */
  readonly enabled: readonly string[];
  /** The actor picked. */
  readonly picked: string;
  /** The actor that ran last was enabled and another one was picked. */
  readonly preempted: boolean;
}

/** Follows a tape exactly and records what the scheduler offered at each choice. */
class TapeFollower implements Chooser {
  readonly offered: { readonly deliveries: number; readonly enabled: readonly string[] }[] = [];
  readonly picked: string[] = [];
  readonly lastBefore: string[] = [];
  /** True once the tape ran out or named an index outside the enabled set. */
  diverged = false;
  private deliveries = 0;
  private last = '';
  private at = 0;

  constructor(private readonly tape: readonly number[]) {}

  register(): void {}
  posted(): void {}
  delivered(id: string): void {
    this.last = id;
    this.deliveries += 1;
  }
  pick(enabled: readonly string[]): number {
    this.offered.push({ deliveries: this.deliveries, enabled: enabled.slice() });
    this.lastBefore.push(this.last);
    const entry = this.tape[this.at];
    this.at += 1;
    if (entry === undefined || entry >= enabled.length) {
      this.diverged = true;
      return 0;
    }
    return entry;
  }
  chosen(id: string): void {
    this.picked.push(id);
  }
  priorityOf(): number | undefined {
    return undefined;
  }
}

/** Trace steps of the delivered messages, in order (timer expiries are steps but not deliveries). */
export function deliverySteps(lines: readonly TraceLine[]): number[] {
  const out: number[] = [];
  for (const l of lines) if (!(l.event === 'timer' && l.src === 'clock')) out.push(l.step);
  return out;
}

export interface ChoiceReplay {
  /** The run taken again (trace kept): the recorded run, byte for byte. */
  readonly run: RunResult;
  readonly lines: readonly TraceLine[];
  readonly points: readonly ChoicePoint[];
}

/**
 * Take the run of `options` (a recorded run: its `tape` and planned faults, see `exactReplayOptions`)
 * again and list its choice points.
 * @throws Error when the tape does not fit the run (a simulator bug: a tape replays its run exactly).
 */
export function choicePoints(scenario: Scenario, options: RunOptions, tape: readonly number[]): ChoiceReplay {
  const follower = new TapeFollower(tape);
  const { tape: _t, ...rest } = options;
  const run = runScenario(scenario, { ...rest, strategy: 'fifo', guide: follower, keepTrace: true });
  if (follower.diverged || follower.picked.length !== tape.length) {
    throw new Error(
      `choice points: the tape of ${tape.length} choices did not replay (${follower.picked.length} choices made)`,
    );
  }
  const lines = (run.trace ?? []).map((l) => JSON.parse(l) as TraceLine);
  const delivered = deliverySteps(lines);
  const points = follower.offered.map((o, c): ChoicePoint => {
    const picked = follower.picked[c]!;
    const last = follower.lastBefore[c]!;
    return {
      choice: c,
      step: delivered[o.deliveries] ?? lines.length,
      enabled: o.enabled,
      picked,
      preempted: picked !== last && o.enabled.includes(last),
    };
  });
  return { run, lines, points };
}

/**
 * The choice points of the run `options` describe, whatever chose its schedule: the run is taken once to
 * record its tape and the faults that fired, then again through `choicePoints`.
 */
export function choicePointsOf(scenario: Scenario, options: RunOptions): ChoiceReplay {
  const first = runScenario(scenario, { ...options, keepTrace: false });
  return choicePoints(
    scenario,
    exactReplayOptions(options, first.sim.scheduler.tape, first.faultsFired),
    first.sim.scheduler.tape,
  );
}

/** Trace steps at which an actor was preempted (another ran although it could have gone on). */
export function preemptionSteps(points: readonly ChoicePoint[]): number[] {
  return points.filter((p) => p.preempted).map((p) => p.step);
}
