// One run of a scenario with every step's footprint recorded (src/explore/footprint.ts) and reported
// to the guide after the step (src/explore/verify_por.ts's sleep sets), plus a canonical hash of the
// state a run ends in (what the reduction must preserve). Mirrors no kernel file.
//
// A step's footprint is what was touched between its delivery and the end of the step (before the
// per-step checks, whose reads are not needed: see verify_por.ts). Timer steps (a timer fires only when
// no actor is enabled, so nothing is asleep then) are not reported. The recorder is attached once the
// scenario is built, before the first step, and detached when the run ends, whatever the outcome.

import { createHash } from 'node:crypto';
import type { Chooser } from '../engine/strategy.ts';
import { ChartTable } from '../sim/chart_table.ts';
import type { Scenario, Workload } from '../sim/scenario.ts';
import type { Sim } from '../sim/sim.ts';
import { FootprintRecorder } from './footprint.ts';
import { type RunOptions, type RunResult, runScenario } from './run.ts';
import type { FootprintSink } from './verify_por.ts';

/** What a recorded run gives besides its result. */
export interface RecordedRun {
  readonly result: RunResult;
  /** Canonical hash of everything reachable from the worlds and the scenario's shared objects at the end. */
  readonly stateHash: string;
}

/** Containers of the engine's bookkeeping: the Maps and Sets in the fields of `roots` and of their fields. */
function bookkeeping(roots: readonly object[]): object[] {
  const out: object[] = [];
  const fieldsOf = (o: object): unknown[] => Object.keys(o).map((k) => (o as Record<string, unknown>)[k]);
  for (const r of roots) {
    for (const v of fieldsOf(r)) {
      if (v instanceof Map || v instanceof Set) out.push(v);
      else if (v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v)) {
        for (const w of fieldsOf(v)) if (w instanceof Map || w instanceof Set) out.push(w);
      }
    }
  }
  return out;
}

/**
 * Run `scenario` under `opts` with `guide` choosing and told every step's footprint. The options'
 * own guide and onStep are replaced.
 */
export function recordedRun(
  scenario: Scenario,
  opts: Omit<RunOptions, 'guide' | 'onStep'>,
  guide: Chooser & FootprintSink,
  hashState = false,
  debugNames: ((names: string[]) => void) | null = null,
): RecordedRun {
  const rec = new FootprintRecorder();
  if (debugNames !== null) {
    rec.names = [];
    debugNames(rec.names);
  }
  let workload: Workload | null = null;
  let roots: object[] = [];
  /** The engine's objects: neither instrumented nor part of the state hash. */
  let engine: object[] = [];
  let actor = '';
  let open = false;
  const chooser: Chooser = {
    register(id) {
      guide.register(id);
      rec.touchName(`inbox:${id}`, true);
    },
    posted(to) {
      guide.posted(to);
      rec.touchName(`inbox:${to}`, true);
    },
    delivered(id) {
      guide.delivered(id);
      actor = id;
      open = true;
      rec.begin();
      rec.touchName(`inbox:${id}`, true);
    },
    pick(enabled) {
      return guide.pick(enabled);
    },
    chosen(id) {
      guide.chosen(id);
    },
    priorityOf(id) {
      return guide.priorityOf(id);
    },
  };
  const wrapped: Scenario = {
    ...scenario,
    build(sim, rng) {
      workload = scenario.build(sim, rng);
      return workload;
    },
  };
  let result: RunResult;
  const restore: (() => void)[] = [];
  try {
    result = runScenario(wrapped, {
      ...opts,
      guide: chooser,
      onStep(sim, worlds, steps) {
        if (steps === 0) {
          rec.attach();
          restore.push(quietWhile(rec, ChartTable.prototype, ['start', 'step', 'snapshot']));
          hookSim(sim, rec);
          rec.exclude(...bookkeeping([sim.scheduler, sim.trace, sim.mirror]));
          engine = [sim, sim.scheduler, sim.trace, sim.mirror, ...sim.allTasks()];
          rec.leaveAlone(...engine);
          // Without the scenario's list of what its tasks share, state kept in closures is not seen.
          if (workload?.shared === undefined) guide.unrecorded?.();
          roots = [...worlds, ...(workload?.shared?.() ?? [])];
          for (const r of roots) rec.adopt(r);
          nameEngineContainers(rec, [
            ['sim', sim],
            ['scheduler', sim.scheduler],
            ['mirror', sim.mirror],
            ...sim.allTasks().map((t) => [`task:${t.id}`, t] as [string, object]),
          ]);
          return;
        }
        if (open) {
          open = false;
          guide.touched(actor, rec.end());
        }
      },
    });
  } finally {
    rec.detach();
    for (const r of restore) r();
  }
  return { result, stateHash: hashState ? stateHash(roots, engine) : '' };
}

/**
 * Name the containers the engine's objects hold (Sim's id counters and tables, the rings' fence maps, the
 * tasks' own tables), up to three levels down, by their path from `roots`: the same name in every run.
 * Containers already adopted keep their numbers; those met later are UNTRACKED (footprint.ts).
 */
function nameEngineContainers(rec: FootprintRecorder, roots: readonly (readonly [string, object])[]): void {
  const seen = new Set<object>();
  const walk = (v: unknown, path: string, depth: number): void => {
    if (v === null || typeof v !== 'object' || seen.has(v) || depth > 3) return;
    seen.add(v);
    if (v instanceof Map) {
      rec.nameContainer(v, path);
      for (const [k, e] of v)
        if (typeof k === 'string' || typeof k === 'number') walk(e, `${path}[${k}]`, depth + 1);
      return;
    }
    if (v instanceof Set || v instanceof WeakMap || v instanceof WeakSet) {
      rec.nameContainer(v, path);
      return;
    }
    if (Array.isArray(v) || ArrayBuffer.isView(v) || typeof v === 'function') return;
    for (const k of Object.keys(v)) walk((v as Record<string, unknown>)[k], `${path}.${k}`, depth + 1);
  };
  for (const [name, r] of roots) walk(r, name, 0);
}

/**
 * While one of `methods` of `proto` runs, the containers it touches that are neither adopted nor named are
 * not recorded (FootprintRecorder.quiet): a chart table's step touches the chart's state (a statechart
 * the mirror keeps, written under `chart:<id>`, or a task's own) and the table's memo of plans, which
 * gives the same answer whatever it holds. Returns what puts the methods back.
 */
function quietWhile(rec: FootprintRecorder, proto: object, methods: readonly string[]): () => void {
  const saved: [string, PropertyDescriptor][] = [];
  for (const m of methods) {
    const desc = Object.getOwnPropertyDescriptor(proto, m);
    if (desc === undefined || typeof desc.value !== 'function') continue;
    saved.push([m, desc]);
    const orig = desc.value as (...a: unknown[]) => unknown;
    Object.defineProperty(proto, m, {
      ...desc,
      value(this: unknown, ...args: unknown[]) {
        rec.quiet += 1;
        try {
          return orig.apply(this, args);
        } finally {
          rec.quiet -= 1;
        }
      },
    });
  }
  return () => {
    for (const [m, desc] of saved) Object.defineProperty(proto, m, desc);
  };
}

/** Name the scheduler's timers, the statecharts' states and the Sim's counters in footprints. */
function hookSim(sim: Sim, rec: FootprintRecorder): void {
  const sched = sim.scheduler;
  const sleep = sched.sleep;
  const cancel = sched.cancelSleep;
  Object.defineProperty(sched, 'sleep', {
    value(this: typeof sched, ...args: Parameters<typeof sched.sleep>) {
      rec.touchName('timers', true);
      return sleep.apply(this, args);
    },
  });
  Object.defineProperty(sched, 'cancelSleep', {
    value(this: typeof sched, id: number) {
      rec.touchName('timers', true);
      return cancel.call(this, id);
    },
  });
  const mirror = sim.mirror;
  const emit = mirror.emit;
  Object.defineProperty(mirror, 'emit', {
    value(this: typeof mirror, ...args: Parameters<typeof mirror.emit>) {
      rec.touchName(`chart:${args[1]}`, true);
      rec.quiet += 1;
      try {
        return emit.apply(this, args);
      } finally {
        rec.quiet -= 1;
      }
    },
  });
  for (const field of ['workers', 'senders']) {
    let v = (sim as unknown as Record<string, unknown>)[field];
    Object.defineProperty(sim, field, {
      get() {
        rec.touchName(`sim.${field}`, false);
        return v;
      },
      set(x: unknown) {
        rec.touchName(`sim.${field}`, true);
        v = x;
      },
    });
  }
}

/**
 * A canonical hash of everything reachable from `roots` but `skip` (the engine's objects: step counts,
 * trace, tallies): objects numbered in the order a depth-first walk meets them, fields in key order,
 * Map and Set entries in insertion order, functions by name.
 */
export function stateHash(roots: readonly object[], skip: readonly object[] = []): string {
  const h = createHash('sha256');
  const ids = new Map<object, number>();
  for (const o of skip) ids.set(o, -1);
  const walk = (v: unknown, depth: number): void => {
    if (v === null || typeof v !== 'object') {
      if (typeof v === 'function') h.update(`f:${(v as { name?: string }).name ?? ''};`);
      else if (typeof v === 'bigint') h.update(`n:${v};`);
      else h.update(`${typeof v}:${String(v)};`);
      return;
    }
    const seen = ids.get(v);
    if (seen !== undefined) {
      h.update(`@${seen};`);
      return;
    }
    ids.set(v, ids.size);
    if (ArrayBuffer.isView(v)) {
      h.update(`T[${Array.from(v as unknown as ArrayLike<number>).join(',')}];`);
      return;
    }
    if (Array.isArray(v)) {
      h.update(`[${v.length}:`);
      for (const e of v) walk(e, depth + 1);
      h.update(']');
      return;
    }
    if (v instanceof Map) {
      h.update('M{');
      for (const [k, e] of v) {
        walk(k, depth + 1);
        walk(e, depth + 1);
      }
      h.update('}');
      return;
    }
    if (v instanceof Set) {
      h.update('S{');
      for (const e of v) walk(e, depth + 1);
      h.update('}');
      return;
    }
    if (v instanceof WeakMap || v instanceof WeakSet) {
      h.update('W;');
      return;
    }
    const tag = Object.prototype.toString.call(v);
    if (tag === '[object Generator]') {
      h.update('G;');
      return;
    }
    h.update(`{${(v as { constructor?: { name?: string } }).constructor?.name ?? ''}:`);
    for (const k of Object.keys(v).sort()) {
      h.update(`${k}=`);
      walk((v as Record<string, unknown>)[k], depth + 1);
    }
    h.update('}');
  };
  for (const r of roots) walk(r, 0);
  return h.digest('hex').slice(0, 32);
}
