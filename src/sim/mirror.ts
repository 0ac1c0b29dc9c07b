// Keeps one statechart per kernel object in step with the kernel model. The kernel reports every edge it
// takes (KernelEnv.emit); the mirror sends it to the object's XState actor and records the state change
// as an effect of the current step. An edge the chart does not accept is a simulator bug and is kept as
// a violation (the run's outcome becomes `crash`).

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
import type { Coverage } from '../explore/coverage.ts';
import type { MirrorEvent, ObjKind } from '../kernel/env.ts';

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

/**
 * Canonical state string of a snapshot value: the active leaf paths in document order, dotted and
 * space-separated (`lifecycle.initialized placement.placed.vram pin.unpinned`).
 */
export function stateString(value: unknown): string {
  if (typeof value === 'string') return value;
  const paths: string[] = [];
  flatten(value, '', paths);
  return paths.join(' ');
}

function flatten(value: unknown, prefix: string, out: string[]): void {
  if (typeof value === 'string') {
    out.push(prefix + value);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value)) flatten(child, `${prefix}${key}.`, out);
}

interface Entry {
  readonly actor: AnyActorRef;
  state: string;
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

export interface Violation {
  readonly actor: string;
  readonly event: string;
  readonly state: string;
}

export class Mirror {
  private readonly actors = new Map<string, Entry>();
  readonly violations: Violation[] = [];
  /** Events seen per type (statistics for summaries). */
  readonly counts = new Map<string, number>();
  /** Where taken transitions are counted, when a campaign measures coverage. */
  coverage: Coverage | null = null;
  /** Every event sent, in order (the benchmark replays them on fresh actors). */
  readonly log: { id: string; kind: ObjKind | 'ring' | 'task'; event: MirrorEvent }[] | null;

  constructor(
    private readonly onEffect: (effect: Effect) => void,
    keepLog = false,
    /** Virtual clock per actor: delayed transitions, if a chart ever has one, run on scheduler time. */
    private readonly clockFor: ((id: string) => XStateClock) | null = null,
  ) {
    this.log = keepLog ? [] : null;
  }

  /** Send `event` to `id`'s statechart, creating it on first use. */
  emit(kind: ObjKind | 'ring', id: string, event: MirrorEvent): void {
    this.log?.push({ id, kind, event });
    this.counts.set(event.type, (this.counts.get(event.type) ?? 0) + 1);
    let entry = this.actors.get(id);
    if (entry === undefined) {
      const input = event.type === 'bo.create' ? { size: event.size } : {};
      const actor = createActor(MACHINES[kind], {
        input,
        systemId: id,
        ...(this.clockFor === null ? {} : { clock: this.clockFor(id) }),
      }).start();
      entry = { actor, state: stateString(actor.getSnapshot().value) };
      this.actors.set(id, entry);
    }
    // Creation events only bring the chart into being (in its initial state).
    if (event.type === 'bo.create') return;
    const before = entry.actor.getSnapshot();
    entry.actor.send(event);
    const after = entry.actor.getSnapshot();
    if (after === before && !before.can(event))
      this.violations.push({ actor: id, event: event.type, state: entry.state });
    const from = entry.state;
    entry.state = stateString(after.value);
    this.coverage?.hit(kind, id, from, event.type);
    this.onEffect(effectOf(id, event, from, entry.state));
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
    return this.actors.get(id)?.actor.getSnapshot();
  }

  ids(): string[] {
    return [...this.actors.keys()];
  }

  stop(): void {
    for (const e of this.actors.values()) e.actor.stop();
  }
}
