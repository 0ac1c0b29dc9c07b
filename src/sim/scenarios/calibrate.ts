// calibrate: two synthetic bugs whose probability under each strategy is known, so they measure the
// search itself rather than the kernel model (the calibrator mutations of src/explore/mutations_calibrators.ts).
//
// Starvation (`calibrator-starvation=L`, the fig-5 shape of the PCT paper): task `starve-long` takes L
// steps (L − 1 scheduling points), task `starve-brief` takes one. The bug is the order in which the long
// task runs all L of its steps before the brief one runs at all: under a uniform random choice between the
// two that happens with probability 2^−L; PCT finds it at depth 1 (the long task just needs the higher
// priority). The ids sort the brief task first, so `fifo` runs it first and never shows the bug.
//
// Lost update (`calibrator-lost-update`): three workers each read a shared counter, reach a scheduling
// point and write the value read + 1. Unmutated, each read-modify-write holds a kernel mutex (a plain
// ww_mutex without a ticket: a sleeping lock, so a waiter is not runnable); mutated, the lock is left out
// and two workers that both read before either writes lose an update: a depth-2 bug.
//
// Which shapes a run builds: the starvation shape when its mutation is on, the lost-update shape when
// its mutation is on, and both (unmutated, L = 14) when neither is on; `shape` forces one of them and
// `starvationSteps` sets L with the mutation off (the benchmark times one calibrator with its bug off).
// Nothing here creates a TTM world: the only statecharts are the tasks' own.

import type { Rng } from '../../engine/prng.ts';
import { mutationValue } from '../../explore/mutations.ts';
import type { KGen } from '../../kernel/env.ts';
import { WwMutex } from '../../kernel/ww_mutex.ts';
import type { Breach, Scenario, Workload } from '../scenario.ts';
import type { Sim } from '../sim.ts';

export const STARVATION = 'calibrator-starvation';
export const LOST_UPDATE = 'calibrator-lost-update';
/** Steps of the long task when the starvation mutation gives no value or is off. */
export const STARVATION_STEPS_DEFAULT = 14;
export const LOST_UPDATE_WORKERS = 3;

export type CalibrateShape = 'starvation' | 'lost-update';

export interface CalibrateOptions {
  /** Build only this shape, whatever the mutations; by default the mutations decide (see above). */
  readonly shape?: CalibrateShape;
  /** Steps of the long task when the starvation mutation is off (default 14). */
  readonly starvationSteps?: number;
}

export function calibrate(opts: CalibrateOptions = {}, name = 'calibrate'): Scenario {
  return {
    name,
    summary:
      'calibrators: a task starved for L steps (calibrator-starvation=L, p = 2^-L under random) and a lost update of 3 workers (calibrator-lost-update)',
    config: {
      scenario: 'calibrate',
      shape: opts.shape ?? 'auto',
      starvationSteps: opts.starvationSteps ?? STARVATION_STEPS_DEFAULT,
    },
    build(sim: Sim, _rng: Rng): Workload {
      const starveL = mutationValue(sim.mutations, STARVATION);
      const lostOn = mutationValue(sim.mutations, LOST_UPDATE) !== undefined;
      const auto = starveL === undefined && !lostOn;
      const withStarvation =
        opts.shape === undefined ? auto || starveL !== undefined : opts.shape === 'starvation';
      const withLost = opts.shape === undefined ? auto || lostOn : opts.shape === 'lost-update';
      const parts: Shape[] = [];
      if (withStarvation)
        parts.push(
          starvation(sim, starveL ?? opts.starvationSteps ?? STARVATION_STEPS_DEFAULT, starveL !== undefined),
        );
      if (withLost) parts.push(lostUpdate(sim, lostOn));
      return {
        stats: () => Object.assign({}, ...parts.map((p) => p.stats())),
        check: () => parts.map((p) => p.check()).filter((b): b is Breach => b !== null),
        describe: () => parts.map((p) => p.describe()),
        worlds: () => [],
      };
    },
  };
}

interface Shape {
  readonly stats: () => Record<string, number>;
  readonly check: () => Breach | null;
  readonly describe: () => string;
}

/** The fig-5 shape: `starve-long` runs L steps, `starve-brief` one; a bug when mutated and long ran first. */
function starvation(sim: Sim, steps: number, mutated: boolean): Shape {
  let briefRan = false;
  let starved = false;
  sim.spawn('starve-long', function* (): KGen<void> {
    for (let i = 1; i < steps; i += 1) yield { kind: 'yield', label: 'starve.step' };
    if (!briefRan) starved = true;
  });
  // biome-ignore lint/correctness/useYield: the brief task is one step, with no scheduling point inside
  sim.spawn('starve-brief', function* (): KGen<void> {
    briefRan = true;
  });
  return {
    stats: () => ({ starvationSteps: steps, starved: starved ? 1 : 0 }),
    check: () =>
      mutated && starved
        ? {
            id: 'calibrator.starvation',
            message: `task:starve-long ran all ${steps} of its steps before task:starve-brief ran at all`,
            actor: 'task:starve-brief',
          }
        : null,
    describe: () =>
      `starvation: L=${steps}, ${starved ? 'the long task ran first' : 'the brief task ran in time'}${mutated ? '' : ' (not a bug: mutation off)'}`,
  };
}

/** Three workers × read / scheduling point / write; under a mutex unless mutated. */
function lostUpdate(sim: Sim, mutated: boolean): Shape {
  let counter = 0;
  const mutex = new WwMutex('mutex:counter');
  for (let w = 0; w < LOST_UPDATE_WORKERS; w += 1) {
    sim.spawn(`lost-${w}`, function* (): KGen<void> {
      if (!mutated) yield { kind: 'lock', mutex, ctx: null, interruptible: false, slow: false };
      const seen = counter;
      yield { kind: 'yield', label: 'counter.read' };
      counter = seen + 1;
      if (!mutated) mutex.unlock();
    });
  }
  return {
    stats: () => ({ counter }),
    check: () =>
      counter === LOST_UPDATE_WORKERS
        ? null
        : {
            id: 'calibrator.lost-update',
            message: `counter is ${counter} after ${LOST_UPDATE_WORKERS} increments: ${LOST_UPDATE_WORKERS - counter} lost`,
          },
    describe: () =>
      `lost update: counter ${counter}/${LOST_UPDATE_WORKERS}${mutated ? ' (unlocked)' : ' (locked)'}`,
  };
}
