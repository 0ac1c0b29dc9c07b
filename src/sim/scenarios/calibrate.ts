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

/**
 * The value of mutation `name` among a run's mutation specs (`NAME` or `NAME=VALUE`): undefined when it
 * is off, `bare` for a spec without a value (the catalogue's default, src/explore/mutations_calibrators.ts).
 */
function specValue(specs: ReadonlySet<string>, name: string, bare: number): number | undefined {
  for (const s of specs) {
    if (s === name) return bare;
    if (s.startsWith(`${name}=`)) return Number(s.slice(name.length + 1));
  }
  return undefined;
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
      const starveL = specValue(sim.mutations, STARVATION, STARVATION_STEPS_DEFAULT);
      const lostOn = specValue(sim.mutations, LOST_UPDATE, 0) !== undefined;
      const auto = starveL === undefined && !lostOn;
      const withStarvation =
        opts.shape === undefined ? auto || starveL !== undefined : opts.shape === 'starvation';
      const withLost = opts.shape === undefined ? auto || lostOn : opts.shape === 'lost-update';
      const starve = withStarvation
        ? starvation(sim, starveL ?? opts.starvationSteps ?? STARVATION_STEPS_DEFAULT, starveL !== undefined)
        : null;
      const lost = withLost ? lostUpdate(sim, lostOn) : null;
      const parts: Shape[] = [];
      if (starve !== null) parts.push(starve);
      if (lost !== null) parts.push(lost);
      // Methods, not arrow properties: under tsx, keepNames names every arrow stored in a property with
      // a defineProperty call (a runtime call per function per run).
      return {
        stats() {
          return statsOf(starve, lost);
        },
        check() {
          return parts.map((p) => p.check()).filter((b): b is Breach => b !== null);
        },
        describe() {
          return parts.map((p) => p.describe());
        },
        worlds() {
          return [];
        },
        shared() {
          return parts;
        },
      };
    },
  };
}

interface Shape {
  stats(): Record<string, number>;
  check(): Breach | null;
  describe(): string;
}

/**
 * The statistics of the shapes built, starvation's first. One object literal of fixed shape for each
 * combination, not the shapes' own statistics merged: see statsOf in race.ts.
 */
function statsOf(starve: StarvationShape | null, lost: LostUpdateShape | null): Record<string, number> {
  if (starve !== null && lost !== null) {
    return { starvationSteps: starve.steps, starved: starve.starved ? 1 : 0, counter: lost.counter };
  }
  return starve?.stats() ?? lost?.stats() ?? {};
}

/** The fig-5 shape: `starve-long` runs L steps, `starve-brief` one; a bug when mutated and long ran first. */
function starvation(sim: Sim, steps: number, mutated: boolean): StarvationShape {
  const shape = new StarvationShape(steps, mutated);
  sim.spawn('starve-long', () => shape.long());
  sim.spawn('starve-brief', () => shape.brief());
  return shape;
}

/**
 * The starvation shape of one run. Its task bodies are generator methods of this class rather than
 * generator closures made per run, which kept the whole run alive through young-generation
 * collections (see RaceRun in race.ts).
 */
class StarvationShape implements Shape {
  briefRan = false;
  starved = false;

  constructor(
    readonly steps: number,
    readonly mutated: boolean,
  ) {}

  *long(): KGen<void> {
    for (let i = 1; i < this.steps; i += 1) yield { kind: 'yield', label: 'starve.step' };
    if (!this.briefRan) this.starved = true;
  }

  // biome-ignore lint/correctness/useYield: the brief task is one step, with no scheduling point inside
  *brief(): KGen<void> {
    this.briefRan = true;
  }

  stats(): Record<string, number> {
    return { starvationSteps: this.steps, starved: this.starved ? 1 : 0 };
  }

  check(): Breach | null {
    return this.mutated && this.starved
      ? {
          id: 'calibrator.starvation',
          message: `task:starve-long ran all ${this.steps} of its steps before task:starve-brief ran at all`,
          actor: 'task:starve-brief',
        }
      : null;
  }

  describe(): string {
    return `starvation: L=${this.steps}, ${this.starved ? 'the long task ran first' : 'the brief task ran in time'}${this.mutated ? '' : ' (not a bug: mutation off)'}`;
  }
}

/** Three workers × read / scheduling point / write; under a mutex unless mutated. */
function lostUpdate(sim: Sim, mutated: boolean): LostUpdateShape {
  const shape = new LostUpdateShape(mutated);
  for (let w = 0; w < LOST_UPDATE_WORKERS; w += 1) sim.spawn(`lost-${w}`, () => shape.worker());
  return shape;
}

/** The lost-update shape of one run; its workers' body is a generator method (see StarvationShape). */
class LostUpdateShape implements Shape {
  counter = 0;
  readonly mutex = new WwMutex('mutex:counter');

  constructor(readonly mutated: boolean) {}

  *worker(): KGen<void> {
    if (!this.mutated)
      yield { kind: 'lock', mutex: this.mutex, ctx: null, interruptible: false, slow: false };
    const seen = this.counter;
    yield { kind: 'yield', label: 'counter.read' };
    this.counter = seen + 1;
    if (!this.mutated) this.mutex.unlock();
  }

  stats(): Record<string, number> {
    return { counter: this.counter };
  }

  check(): Breach | null {
    const counter = this.counter;
    return counter === LOST_UPDATE_WORKERS
      ? null
      : {
          id: 'calibrator.lost-update',
          message: `counter is ${counter} after ${LOST_UPDATE_WORKERS} increments: ${LOST_UPDATE_WORKERS - counter} lost`,
        };
  }

  describe(): string {
    return `lost update: counter ${this.counter}/${LOST_UPDATE_WORKERS}${this.mutated ? ' (unlocked)' : ' (locked)'}`;
  }
}
