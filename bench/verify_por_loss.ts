// Where the sleep-set reduction of `verify --reduce` (src/explore/verify_por.ts) is lost: for a
// scenario and a bound, the first N schedules of the reduced search, counting for every alternative
// queued whether the pick of its choice sleeps in it or the bound's condition refused it (and whether
// only because the pick stays enabled after its step), and for every sleeping actor woken by a
// conflicting step the slots the two steps share, by kind (the field's class and name, the container's
// kind, inbox, chart, timers). `tsx bench/verify_por_loss.ts --scenario small --preemptions 0 --cap 500
// [--top 25] [--json]`. Results for the README in bench/results/verify_por.json (`loss`).

import { recordedRun } from '../src/explore/footprint_run.ts';
import { boundedSearch } from '../src/explore/verify.ts';
import { newSleepStats, SleepSetGuide } from '../src/explore/verify_por.ts';
import type { PrefixChooser, Program, Reduction, WorkItem } from '../src/explore/verify_search.ts';
import type { Scenario } from '../src/sim/scenario.ts';
import { findScenario } from '../src/sim/scenarios/index.ts';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : def;
};

/** A slot's kind: numbers (slot and object ids) dropped, so that the slots of one field of every object of a class count together. */
export function kindOf(name: string): string {
  if (name.startsWith('inbox:')) return 'inbox';
  return name.replace(/#\d+/g, '').replace(/\d+/g, 'N');
}

export interface LossReport {
  readonly scenario: string;
  readonly preemptions: number;
  readonly cap: number;
  readonly schedules: number;
  readonly complete: boolean;
  readonly queued: number;
  readonly pickSleeps: number;
  readonly boundRefused: number;
  readonly boundByContinuing: number;
  readonly pickOther: number;
  readonly prunedAsleep: number;
  readonly prunedCut: number;
  readonly wokenByConflict: number;
  readonly wokenByOwnStep: number;
  readonly unrecordedRuns: number;
  /** Conflicting slot kinds, most frequent first: [kind, wake-ups]. */
  readonly conflicts: readonly (readonly [string, number])[];
}

export function measureLoss(name: string, scenario: Scenario, preemptions: number, cap: number): LossReport {
  const stats = newSleepStats();
  let names: string[] = [];
  stats.name = (slot) => kindOf(/^\d+$/.test(slot) ? (names[Number(slot)] ?? `slot${slot}`) : slot);
  const reduction: Reduction = {
    guide(inner: PrefixChooser, item: WorkItem) {
      return new SleepSetGuide(inner, item, true, stats);
    },
  };
  const program: Program<{ failed: boolean }> = (guide) => {
    const r = recordedRun(
      scenario,
      { seed: 0n, strategy: 'fifo', mutations: [] },
      guide as SleepSetGuide<PrefixChooser>,
      false,
      (n) => {
        names = n;
      },
    );
    return { failed: r.result.outcome !== 'pass' };
  };
  const r = boundedSearch(program, { preemptions, maxSchedules: cap, reduction });
  const conflicts = [...stats.conflicts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return {
    scenario: name,
    preemptions,
    cap,
    schedules: r.schedules,
    complete: r.complete,
    queued: stats.queued,
    pickSleeps: stats.pickSleeps,
    boundRefused: stats.boundRefused,
    boundByContinuing: stats.boundByContinuing,
    pickOther: stats.pickOther,
    prunedAsleep: stats.prunedAsleep,
    prunedCut: stats.prunedCut,
    wokenByConflict: stats.wokenByConflict,
    wokenByOwnStep: stats.wokenByOwnStep,
    unrecordedRuns: stats.unrecordedRuns,
    conflicts,
  };
}

if (process.argv[1]?.endsWith('verify_por_loss.ts')) {
  const name = opt('--scenario', 'small');
  const scenario = findScenario(name);
  if (scenario === undefined) throw new Error(`no scenario ${name}`);
  const report = measureLoss(name, scenario, Number(opt('--preemptions', '0')), Number(opt('--cap', '500')));
  if (args.includes('--json')) console.log(JSON.stringify(report));
  else {
    const top = Number(opt('--top', '25'));
    const { conflicts, ...counts } = report;
    console.log(counts);
    for (const [k, n] of conflicts.slice(0, top)) console.log(`${String(n).padStart(7)}  ${k}`);
  }
}
