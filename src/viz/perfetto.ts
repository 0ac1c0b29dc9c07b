// Chrome / Perfetto Trace Event JSON of a run (open it in ui.perfetto.dev or chrome://tracing).
// Process "actors" has one thread (track) per actor; every delivered message is a complete slice
// ('X') on its receiver's track, and the edges the kernel took on other objects during that step are
// slices on theirs; a flow arrow ('s' → 'f') joins the step that sent a message to the step that
// delivered it; counter tracks ('C') follow memory usage (each manager's bytes; pooled pages, swap and
// IOVA pages); a failing check is a global instant ('i').
// Time is virtual: step k spans [k·10 µs, k·10 µs + 10 µs), so one token always gives the same bytes.
// A stress run (src/stress: real threads, replayed in the deterministic mode with one task per thread)
// also gets process "worker threads": one track per thread, a slice per segment the thread ran (its
// task's steps, in ticket-log order), and a flow arrow from the segment that moved the epoch to each
// segment of a blocked thread it woke (Atomics.notify on the EPOCH word).

import type { TraceLine } from '../engine/trace.ts';
import type { Failure } from '../engine/types.ts';
import { memTypeName } from '../kernel/constants.ts';
import type { StressConfig } from '../stress/layout.ts';
import { taskName } from '../stress/oracles.ts';
import { roleOf } from '../stress/roles.ts';

export const STEP_US = 10;

export interface TraceEvent {
  readonly name: string;
  readonly ph: 'X' | 'M' | 'C' | 'i' | 's' | 'f';
  readonly pid: number;
  readonly tid: number;
  readonly ts?: number;
  readonly dur?: number;
  readonly cat?: string;
  readonly id?: number;
  readonly bp?: 'e';
  readonly s?: 'g' | 'p' | 't';
  readonly args?: Record<string, unknown>;
}

/** A worker thread of a stress run and the task that stands for it in the deterministic mode. */
export interface WorkerTrack {
  /** The task's systemId (`task:bind:0`). */
  readonly actor: string;
  /** The track's name (`thread 0 (bind)`). */
  readonly name: string;
}

export interface PerfettoInput {
  readonly lines: readonly TraceLine[];
  readonly failure: Failure | null;
  /**
   * The trace line the failure belongs to (RunResult.failureStep). `failure.step` is a line index for
   * per-step checks but a count of steps for what is judged after the run, so the instant is placed by
   * this when it is given.
   */
  readonly failureStep?: number | null;
  readonly token: string;
  readonly traceSha256: string;
  /** Worker threads of a stress run (see `workerTracks`); none for other runs. */
  readonly workers?: readonly WorkerTrack[];
}

const ACTORS_PID = 1;
const COUNTERS_PID = 2;
const WORKERS_PID = 3;

/** The worker threads of a scenario whose config is a stress config (src/stress/layout.ts); [] otherwise. */
export function workerTracks(config: unknown): WorkerTrack[] {
  const c = config as Partial<StressConfig> | null;
  if (c === null || typeof c !== 'object' || c.scenario !== 'stress' || typeof c.threads !== 'number')
    return [];
  const cfg = c as StressConfig;
  return Array.from({ length: cfg.threads }, (_, t) => ({
    actor: taskName(cfg, t),
    name: `thread ${t} (${roleOf(cfg, t).kind})`,
  }));
}

function kindOf(actor: string): string {
  const colon = actor.indexOf(':');
  return colon < 0 ? actor : actor.slice(0, colon);
}

/** `device:0/man2` → `device:0 vram`; other manager ids as they are. */
function counterName(manager: string): string {
  const m = /^(.*)\/man(\d+)$/.exec(manager);
  return m === null ? manager : `${m[1]} ${memTypeName(Number(m[2]))} bytes`;
}

export function toPerfetto(input: PerfettoInput): string {
  const actors = new Set<string>();
  for (const line of input.lines) {
    actors.add(line.actor);
    for (const e of line.effects ?? []) actors.add(e.actor);
  }
  const tids = new Map([...actors].sort().map((a, i) => [a, i + 1] as const));
  const events: TraceEvent[] = [
    { name: 'process_name', ph: 'M', pid: ACTORS_PID, tid: 0, args: { name: 'actors' } },
    { name: 'process_name', ph: 'M', pid: COUNTERS_PID, tid: 0, args: { name: 'memory' } },
  ];
  for (const [actor, tid] of tids)
    events.push({ name: 'thread_name', ph: 'M', pid: ACTORS_PID, tid, args: { name: actor } });
  /** Step → actor that took it, to anchor flow starts on the sender's slice. */
  const stepActor = new Map<number, string>();
  for (const line of input.lines) stepActor.set(line.step, line.actor);
  let flow = 0;
  for (const line of input.lines) {
    const ts = line.step * STEP_US;
    const tid = tids.get(line.actor)!;
    events.push({
      name: line.event,
      ph: 'X',
      cat: kindOf(line.actor),
      pid: ACTORS_PID,
      tid,
      ts,
      dur: STEP_US,
      args: {
        step: line.step,
        t_ms: line.t,
        src: line.src,
        from: line.from,
        to: line.to,
        ...(line.payload === undefined ? {} : { payload: line.payload }),
      },
    });
    if (line.sent !== undefined && line.sent >= 0 && stepActor.get(line.sent) === line.src) {
      flow += 1;
      const srcTid = tids.get(line.src)!;
      events.push({
        name: line.event,
        ph: 's',
        cat: 'message',
        pid: ACTORS_PID,
        tid: srcTid,
        ts: line.sent * STEP_US + STEP_US / 2,
        id: flow,
      });
      events.push({
        name: line.event,
        ph: 'f',
        bp: 'e',
        cat: 'message',
        pid: ACTORS_PID,
        tid,
        ts: ts + 1,
        id: flow,
      });
    }
    (line.effects ?? []).forEach((e, i) => {
      events.push({
        name: e.event,
        ph: 'X',
        cat: `effect.${kindOf(e.actor)}`,
        pid: ACTORS_PID,
        tid: tids.get(e.actor)!,
        ts: ts + (i * STEP_US) / Math.max(1, (line.effects ?? []).length),
        dur: STEP_US / Math.max(1, (line.effects ?? []).length),
        args: {
          step: line.step,
          by: line.actor,
          from: e.from,
          to: e.to,
          ...(e.data === undefined ? {} : { data: e.data }),
        },
      });
      if (e.event === 'man.usage' && typeof e.data?.usage === 'number') {
        events.push({
          name: counterName(e.actor),
          ph: 'C',
          pid: COUNTERS_PID,
          tid: 0,
          ts,
          args: { bytes: e.data.usage },
        });
      }
      if (e.event === 'mem.usage' && typeof e.data?.pages === 'number') {
        events.push({
          name: `${e.actor} pages`,
          ph: 'C',
          pid: COUNTERS_PID,
          tid: 0,
          ts,
          args: { pages: e.data.pages },
        });
      }
    });
  }
  flow = workerEvents(input.lines, input.workers ?? [], events, flow);
  if (input.failure !== null) {
    const f = input.failure;
    events.push({
      name: f.id,
      ph: 'i',
      s: 'g',
      pid: ACTORS_PID,
      tid: f.actor === undefined ? 0 : (tids.get(f.actor) ?? 0),
      ts: (input.failureStep ?? f.step) * STEP_US,
      args: { kind: f.kind, message: f.message },
    });
  }
  return `${JSON.stringify({
    traceEvents: events,
    displayTimeUnit: 'ns',
    otherData: { token: input.token, traceSha256: input.traceSha256, timeUnit: 'virtual: one step = 10 µs' },
  })}\n`;
}

/**
 * The "worker threads" process: a track per thread, a slice per step of its task (`segment` for a step
 * of the thread's program, the event's name for a wake-up), and a flow from the step that sent a
 * wake-up (the segment that moved the epoch, on its own thread's track) to the woken thread's step.
 * Returns the last flow id used.
 */
function workerEvents(
  lines: readonly TraceLine[],
  workers: readonly WorkerTrack[],
  events: TraceEvent[],
  firstFlow: number,
): number {
  if (workers.length === 0) return firstFlow;
  const tidOf = new Map(workers.map((w, i) => [w.actor, i + 1] as const));
  events.push({ name: 'process_name', ph: 'M', pid: WORKERS_PID, tid: 0, args: { name: 'worker threads' } });
  workers.forEach((w, i) => {
    events.push({ name: 'thread_name', ph: 'M', pid: WORKERS_PID, tid: i + 1, args: { name: w.name } });
  });
  const stepTid = new Map<number, number>();
  for (const line of lines) {
    const tid = tidOf.get(line.actor);
    if (tid !== undefined) stepTid.set(line.step, tid);
  }
  let flow = firstFlow;
  let segments = 0;
  for (const line of lines) {
    const tid = tidOf.get(line.actor);
    if (tid === undefined) continue;
    const ts = line.step * STEP_US;
    const own = line.src === line.actor || line.src === 'engine';
    events.push({
      name: own ? 'segment' : line.event,
      ph: 'X',
      cat: 'worker',
      pid: WORKERS_PID,
      tid,
      ts,
      dur: STEP_US,
      args: { step: line.step, order: segments, from: line.from, to: line.to },
    });
    segments += 1;
    const waker = line.sent === undefined ? undefined : stepTid.get(line.sent);
    if (!own && waker !== undefined && waker !== tid && line.sent !== undefined) {
      flow += 1;
      const name = `wake ${line.src}`;
      events.push({
        name,
        ph: 's',
        cat: 'wakeup',
        pid: WORKERS_PID,
        tid: waker,
        ts: line.sent * STEP_US + STEP_US / 2,
        id: flow,
      });
      events.push({ name, ph: 'f', bp: 'e', cat: 'wakeup', pid: WORKERS_PID, tid, ts: ts + 1, id: flow });
    }
  }
  return flow;
}
