// Keeps one statechart per kernel object in step with the kernel model. The kernel reports every edge it
// takes (KernelEnv.emit); the mirror sends it to the object's XState actor and records the state change
// as an effect of the current step. An edge the chart does not accept is a simulator bug and is kept as
// a violation (the run's outcome becomes `crash`).
// A chart is stepped through its machine's derived transition table (src/sim/chart_table.ts) unless the
// mirror is asked for real XState actors (`xstateActors`, the reference the tables are checked against)
// or the machine uses something the table does not model; both give the same states, effects and
// violations, and `snapshot(id)` is an XState snapshot either way.

import { type AnyActorRef, type AnyStateMachine, createActor } from 'xstate';
import {
  dmaResvMachine,
  gpuRingMachine,
  iommuMachine,
  shrinkerMachine,
  swapMachine,
  taskMachine,
  ttmBoMachine,
  ttmDeviceMachine,
  ttmPoolMachine,
  ttmResourceMachine,
  ttmResourceManagerMachine,
  ttmTtMachine,
} from '../../machines/index.ts';
import type { XStateClock } from '../engine/clock.ts';
import type { Effect } from '../engine/types.ts';
import type { MirrorEvent, ObjKind } from '../kernel/env.ts';
import { type ChartState, type ChartTable, chartTable, stateString } from './chart_table.ts';

export { stateString } from './chart_table.ts';

/**
 * Where a run counts the statechart transitions it takes (a campaign's coverage, src/explore/coverage.ts):
 * told at the start of each run and at every transition.
 */
export interface TransitionCounter {
  beginRun(): void;
  /** Actor `id`, a `machine` chart, took `event` in `state`. */
  hit(machine: string, id: string, state: string, event: string): void;
}

/** The statechart of each kind of simulated object. */
export const MACHINES: Record<ObjKind | 'ring' | 'task', AnyStateMachine> = {
  device: ttmDeviceMachine,
  manager: ttmResourceManagerMachine,
  bo: ttmBoMachine,
  resource: ttmResourceMachine,
  resv: dmaResvMachine,
  fence: gpuRingMachine,
  ring: gpuRingMachine,
  task: taskMachine,
  tt: ttmTtMachine,
  pool: ttmPoolMachine,
  swap: swapMachine,
  iommu: iommuMachine,
  shrinker: shrinkerMachine,
};

/** One statechart instance: the current state string, and `send` reporting whether it refused the event. */
export interface Chart {
  readonly state: string;
  /** Send `event`; true when the chart refused it (XState: unchanged snapshot and `!can(event)`). */
  send(event: { readonly type: string }): boolean;
  /** The chart's XState snapshot (value and context). */
  snapshot(): unknown;
  stop(): void;
}

/** A chart stepped through its machine's transition table. */
class TableChart implements Chart {
  private readonly s: ChartState;
  constructor(
    private readonly table: ChartTable,
    input: unknown,
  ) {
    this.s = table.start(input);
  }
  get state(): string {
    return this.s.config.state;
  }
  send(event: { readonly type: string }): boolean {
    return this.table.step(this.s, event);
  }
  snapshot(): unknown {
    return this.table.snapshot(this.s);
  }
  stop(): void {}
}

/** A chart run by a real XState actor. */
class ActorChart implements Chart {
  state: string;
  constructor(private readonly actor: AnyActorRef) {
    this.state = stateString(actor.getSnapshot().value);
  }
  send(event: { readonly type: string }): boolean {
    const before = this.actor.getSnapshot();
    this.actor.send(event);
    const after = this.actor.getSnapshot();
    this.state = stateString(after.value);
    return after === before && !before.can(event);
  }
  snapshot(): unknown {
    return this.actor.getSnapshot();
  }
  stop(): void {
    this.actor.stop();
  }
}

/**
 * A new chart of `machine` for the object `id`: table-stepped unless `xstateActors` or the machine has no
 * table. `clockFor` gives a real actor its virtual clock (only a real actor can have delayed transitions).
 */
export function newChart(
  machine: AnyStateMachine,
  id: string,
  input: unknown,
  xstateActors: boolean,
  clockFor: ((id: string) => XStateClock) | null,
): Chart {
  const table = xstateActors ? null : chartTable(machine);
  if (table !== null) return new TableChart(table, input);
  return new ActorChart(
    createActor(machine, {
      input,
      systemId: id,
      ...(clockFor === null ? {} : { clock: clockFor(id) }),
    }).start(),
  );
}

/** The trace effect of one statechart event: the event's non-type fields travel as `data`. */
function effectOf(actor: string, event: MirrorEvent, from: string, to: string): Effect {
  let data: Record<string, string | number | boolean | null> | undefined;
  for (const key in event) {
    if (key === 'type') continue;
    data ??= {};
    data[key] = event[key] ?? null;
  }
  return data === undefined
    ? { actor, event: event.type, from, to }
    : { actor, event: event.type, from, to, data };
}

/** Event types kept unfolded before they are counted anyway (bounds the memory of long runs). */
const RECENT_MAX = 4096;

export interface Violation {
  readonly actor: string;
  readonly event: string;
  readonly state: string;
}

export class Mirror {
  private readonly actors = new Map<string, Chart>();
  readonly violations: Violation[] = [];
  /**
   * Events seen per type: the types of recent events in arrival order, folded into `tally` (by type)
   * only when many have piled up or all counts are asked for. A count per event cost a hash-table update
   * on every statechart event; a run asks for a handful of counts once, at its end.
   */
  private readonly recent: string[] = [];
  private readonly tally = new Map<string, number>();
  /** Where taken transitions are counted, when a campaign measures coverage. */
  coverage: TransitionCounter | null = null;
  /** Every event sent, in order (the benchmark replays them on fresh actors). */
  readonly log: { id: string; kind: ObjKind | 'ring' | 'task'; event: MirrorEvent }[] | null;

  constructor(
    private readonly onEffect: (effect: Effect) => void,
    keepLog = false,
    /** Virtual clock per actor: delayed transitions, if a chart ever has one, run on scheduler time. */
    private readonly clockFor: ((id: string) => XStateClock) | null = null,
    /** Run every chart as a real XState actor instead of through its machine's table. */
    readonly xstateActors = false,
  ) {
    this.log = keepLog ? [] : null;
  }

  /** Send `event` to `id`'s statechart, creating it on first use. */
  emit(kind: ObjKind | 'ring', id: string, event: MirrorEvent): void {
    this.log?.push({ id, kind, event });
    const recent = this.recent;
    recent.push(event.type);
    if (recent.length >= RECENT_MAX) this.fold();
    let chart = this.actors.get(id);
    if (chart === undefined) {
      const input = event.type === 'bo.create' ? { size: event.size } : {};
      chart = this.chart(kind, id, input);
      this.actors.set(id, chart);
    }
    // Creation events only bring the chart into being (in its initial state).
    if (event.type === 'bo.create') return;
    const from = chart.state;
    if (chart.send(event)) this.violations.push({ actor: id, event: event.type, state: from });
    this.coverage?.hit(kind, id, from, event.type);
    this.onEffect(effectOf(id, event, from, chart.state));
  }

  /** Events of `type` seen so far. */
  count(type: string): number {
    let n = this.tally.get(type) ?? 0;
    const recent = this.recent;
    for (let i = 0; i < recent.length; i += 1) if (recent[i] === type) n += 1;
    return n;
  }

  /** Events seen per type (statistics for summaries), in order of first arrival. */
  get counts(): ReadonlyMap<string, number> {
    this.fold();
    return this.tally;
  }

  private fold(): void {
    const recent = this.recent;
    for (let i = 0; i < recent.length; i += 1) {
      const type = recent[i]!;
      this.tally.set(type, (this.tally.get(type) ?? 0) + 1);
    }
    recent.length = 0;
  }

  /** A new chart of `kind` for `id` (tasks own theirs: the mirror only makes it). */
  chart(kind: ObjKind | 'ring' | 'task', id: string, input: unknown): Chart {
    return newChart(MACHINES[kind], id, input, this.xstateActors, this.clockFor);
  }

  /** A task's own chart took `event` in state `from` (tasks own their charts; coverage wants them). */
  taskTransition(id: string, from: string, event: string): void {
    this.coverage?.hit('task', id, from, event);
  }

  /** Record an event a task sent to its own chart (tasks own their charts; the log wants them too). */
  record(id: string, event: MirrorEvent): void {
    this.log?.push({ id, kind: 'task', event });
  }

  state(id: string): string | undefined {
    return this.actors.get(id)?.state;
  }

  snapshot(id: string): unknown {
    return this.actors.get(id)?.snapshot();
  }

  ids(): string[] {
    return [...this.actors.keys()];
  }

  stop(): void {
    for (const c of this.actors.values()) c.stop();
  }
}
