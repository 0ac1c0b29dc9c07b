// Bounded-exhaustive exploration: every schedule of a run with at most P preemptions (iterative context
// bounding, as in CHESS: Musuvathi and Qadeer, "Iterative context bounding for systematic testing of
// multithreaded programs", PLDI 2007). Mirrors no kernel file: it drives the choice points of
// src/engine/scheduler.ts (a real choice is a step with two or more enabled actors; tasks yield only
// where the model yields) through a Chooser, as src/explore/choice_points.ts does.
//
// A schedule is the sequence of picks at a run's real choices. A pick preempts when the actor that was
// delivered last is still enabled and another one is picked (the definition choice_points.ts marks).
// The default policy, which never preempts, keeps running the last actor while it is enabled and
// otherwise takes the first enabled actor (sorted ids). A schedule is explored by running the scenario
// with a prefix of picks followed by the default policy.
//
// Work lists, one per preemption count: a run whose prefix has p preemptions has exactly p (the default
// policy adds none). At every choice after its prefix, each alternative to the default pick gives a new
// prefix (the run's picks up to that choice, then the alternative), queued at p or p + 1 preemptions
// depending on whether the alternative preempts, and dropped above P. Every schedule with at most P
// preemptions is explored exactly once: it is generated only from the run that follows it up to its last
// departure from the default policy and the default policy after (by induction on that departure's
// position). The lists are emptied in order of preemptions, so the first failing schedule has the fewest
// preemptions of all failing schedules within the bound.

import type { Chooser } from '../engine/strategy.ts';
import { scenarioHash, TOKEN_VERSION } from '../engine/token.ts';
import type { Scenario } from '../sim/scenario.ts';
import { type RunResult, runScenario } from './run.ts';

/** The outcome of one run under a guide: failed when any check failed. */
export interface Execution {
  readonly failed: boolean;
}

/** A deterministic program: one run under the given chooser (asked at every real choice). */
export type Program<E extends Execution> = (guide: Chooser) => E;

/** One real choice as the run made it. */
export interface ChoiceRecord {
  /** The enabled actors, sorted by id. */
  readonly enabled: readonly string[];
  /** The actor delivered last before the choice ('' before the first delivery). */
  readonly last: string;
  /** Index into `enabled` of the actor picked. */
  readonly picked: number;
}

/** True when picking `enabled[i]` preempts the last actor (still enabled, not picked). */
export function preempts(c: Pick<ChoiceRecord, 'enabled' | 'last'>, i: number): boolean {
  return c.enabled[i] !== c.last && c.enabled.includes(c.last);
}

/** The index the default policy picks: the last actor while it is enabled, else the first enabled. */
export function defaultPick(enabled: readonly string[], last: string): number {
  const i = enabled.indexOf(last);
  return i < 0 ? 0 : i;
}

/** Follows a prefix of picks, then the default policy; records every choice. */
export class PrefixChooser implements Chooser {
  readonly choices: ChoiceRecord[] = [];
  private last = '';

  constructor(private readonly prefix: readonly number[]) {}

  register(): void {}
  posted(): void {}
  delivered(id: string): void {
    this.last = id;
  }
  /** @throws Error when the prefix does not fit the run (the program is not deterministic: a simulator bug). */
  pick(enabled: readonly string[]): number {
    const at = this.choices.length;
    const picked = at < this.prefix.length ? this.prefix[at]! : defaultPick(enabled, this.last);
    if (picked >= enabled.length) {
      throw new Error(
        `verify: pick ${picked} at choice ${at} of a run with ${enabled.length} enabled actors`,
      );
    }
    this.choices.push({ enabled: enabled.slice(), last: this.last, picked });
    return picked;
  }
  chosen(): void {}
  priorityOf(): number | undefined {
    return undefined;
  }
}

export interface BoundedSearchOptions {
  /** P: the most preemptions a schedule may have (≥ 0). */
  readonly preemptions: number;
  /** Stop after this many schedules (the result is then incomplete). */
  readonly maxSchedules?: number;
  /** Called after every run with the counts so far. */
  readonly onProgress?: (p: SearchProgress) => void;
}

export interface SearchProgress {
  readonly schedules: number;
  /** Preemption count of the work list being emptied. */
  readonly level: number;
  /** Prefixes waiting, over all lists. */
  readonly queued: number;
}

export interface Counterexample<E> {
  readonly execution: E;
  /** Its picks at every real choice (a tape). */
  readonly tape: readonly number[];
  readonly preemptions: number;
}

export interface SearchResult<E> {
  /** Schedules run (each a distinct schedule). */
  readonly schedules: number;
  /** Schedules run with exactly p preemptions, p = 0..P (up to the failure, if any). */
  readonly byPreemptions: readonly number[];
  /** True when every schedule within the bound was run (no failure, no schedule limit hit). */
  readonly complete: boolean;
  readonly counterexample: Counterexample<E> | null;
}

/** Run every schedule of `program` with at most `opts.preemptions` preemptions, fewest first. */
export function boundedSearch<E extends Execution>(
  program: Program<E>,
  opts: BoundedSearchOptions,
): SearchResult<E> {
  const bound = opts.preemptions;
  if (!Number.isInteger(bound) || bound < 0)
    throw new RangeError(`verify: bound ${bound} is not an integer ≥ 0`);
  const work: number[][][] = Array.from({ length: bound + 1 }, (_, p) => (p === 0 ? [[]] : []));
  const byPreemptions: number[] = [];
  let schedules = 0;
  let queued = 1;
  for (let level = 0; level <= bound; level += 1) {
    byPreemptions.push(0);
    const list = work[level]!;
    for (let prefix = list.pop(); prefix !== undefined; prefix = list.pop()) {
      queued -= 1;
      if (opts.maxSchedules !== undefined && schedules >= opts.maxSchedules) {
        return { schedules, byPreemptions, complete: false, counterexample: null };
      }
      const chooser = new PrefixChooser(prefix);
      const execution = program(chooser);
      schedules += 1;
      byPreemptions[level] = byPreemptions[level]! + 1;
      const picks = chooser.choices.map((c) => c.picked);
      if (execution.failed) {
        return {
          schedules,
          byPreemptions,
          complete: false,
          counterexample: { execution, tape: picks, preemptions: level },
        };
      }
      // Alternatives after the prefix, shallowest choice pushed first so the deepest is run next.
      for (let d = prefix.length; d < chooser.choices.length; d += 1) {
        const c = chooser.choices[d]!;
        for (let i = c.enabled.length - 1; i >= 0; i -= 1) {
          if (i === c.picked) continue;
          const q = level + (preempts(c, i) ? 1 : 0);
          if (q > bound) continue;
          const next = picks.slice(0, d);
          next.push(i);
          work[q]!.push(next);
          queued += 1;
        }
      }
      opts.onProgress?.({ schedules, level, queued });
    }
  }
  return { schedules, byPreemptions, complete: true, counterexample: null };
}

export interface VerifyInput {
  readonly scenario: Scenario;
  readonly preemptions: number;
  /** Mutations switched on (catalogue names, NAME=VALUE for a parameter). */
  readonly mutations?: readonly string[];
  /** The workload's seed (what the scenario draws when it is built); the schedule is the search's. */
  readonly seed?: bigint;
  readonly maxSchedules?: number;
  readonly onProgress?: (p: SearchProgress) => void;
}

export interface VerifyResult {
  readonly scenario: string;
  readonly scenarioHash: string;
  /** The token format the counterexample is written in. */
  readonly tokenVersion: number;
  readonly seed: string;
  readonly mutations: readonly string[];
  readonly preemptions: number;
  readonly schedules: number;
  readonly byPreemptions: readonly number[];
  /** Schedules skipped as equivalent to explored ones (no reduction: 0). */
  readonly pruned: number;
  readonly complete: boolean;
  /** The first failing schedule, fewest preemptions first. */
  readonly counterexample: {
    readonly token: string;
    readonly preemptions: number;
    readonly outcome: RunResult['outcome'];
    readonly failure: NonNullable<RunResult['failure']>;
    readonly steps: number;
    readonly choices: number;
  } | null;
}

/** Every schedule of a built-in or file scenario with at most P preemptions (see the header). */
export function verify(input: VerifyInput): VerifyResult {
  const seed = input.seed ?? 0n;
  const mutations = input.mutations ?? [];
  const program: Program<RunResult & Execution> = (guide) => {
    const r = runScenario(input.scenario, { seed, strategy: 'fifo', guide, mutations });
    return Object.assign(r, { failed: r.outcome !== 'pass' });
  };
  const found = boundedSearch(program, {
    preemptions: input.preemptions,
    ...(input.maxSchedules === undefined ? {} : { maxSchedules: input.maxSchedules }),
    ...(input.onProgress === undefined ? {} : { onProgress: input.onProgress }),
  });
  const cx = found.counterexample;
  return {
    scenario: input.scenario.name,
    scenarioHash: scenarioHash(input.scenario.config),
    tokenVersion: TOKEN_VERSION,
    seed: seed.toString(),
    mutations,
    preemptions: input.preemptions,
    schedules: found.schedules,
    byPreemptions: found.byPreemptions,
    pruned: 0,
    complete: found.complete,
    counterexample:
      cx === null
        ? null
        : {
            token: cx.execution.token,
            preemptions: cx.preemptions,
            outcome: cx.execution.outcome,
            failure: cx.execution.failure!,
            steps: cx.execution.steps,
            choices: cx.execution.choices,
          },
  };
}
