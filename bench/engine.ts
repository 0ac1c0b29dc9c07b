// Engine throughput against raw XState, measured in one process on the same work.
//
// 1. The engine runs the default scenario for a range of seeds: messages delivered per second, each
//    delivery including the kernel model, the statechart updates it causes, the trace line and its hash.
// 2. Raw: every statechart event those runs sent (kept in order) is sent again with plain
//    `actor.send` to fresh actors of the same machines, with nothing else: the stack's own limit.
// The ratio compares statechart events per second of wall time, engine vs raw (target ≥ 0.5).
//
// Usage: npm run bench [-- --seeds N --rounds R]

import { parseArgs } from 'node:util';
import { type AnyActorRef, createActor } from 'xstate';
import { tuneHeap } from '../src/engine/heap_tuning.ts';
import { runScenario } from '../src/explore/run.ts';
import { MACHINES } from '../src/sim/mirror.ts';
import { DEFAULT_SCENARIO, findScenario } from '../src/sim/scenarios/index.ts';

// The settings the ttm-sim command runs with (src/engine/heap_tuning.ts).
tuneHeap();

const { values } = parseArgs({ options: { seeds: { type: 'string' }, rounds: { type: 'string' } } });
const seeds = Number(values.seeds ?? 200);
const rounds = Number(values.rounds ?? 3);
const scenario = findScenario(DEFAULT_SCENARIO)!;

type Log = NonNullable<ReturnType<typeof runScenario>['sim']['mirror']['log']>;

function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function engineRound(keepLog: boolean): { ms: number; messages: number; events: number; logs: Log[] } {
  const logs: Log[] = [];
  let messages = 0;
  let events = 0;
  const t0 = now();
  for (let s = 0; s < seeds; s += 1) {
    const r = runScenario(scenario, { seed: BigInt(s), keepMirrorLog: keepLog, oracles: false });
    messages += r.steps;
    if (keepLog) {
      const log = r.sim.mirror.log!;
      events += log.length;
      logs.push(log);
    }
  }
  return { ms: now() - t0, messages, events, logs };
}

function rawRound(logs: readonly Log[]): { ms: number; events: number } {
  let events = 0;
  const t0 = now();
  for (const log of logs) {
    const actors = new Map<string, AnyActorRef>();
    for (const { id, kind, event } of log) {
      let a = actors.get(id);
      if (a === undefined) {
        const input = event.type === 'bo.create' ? { size: event.size } : {};
        a = createActor(MACHINES[kind]!, { input }).start();
        actors.set(id, a);
        if (event.type === 'bo.create') continue;
      }
      a.send(event);
      events += 1;
    }
  }
  return { ms: now() - t0, events };
}

// The logged runs give the event stream; timing uses runs without logging (what users run).
const logged = engineRound(true);
const eventsPerRun = logged.events;
let bestEngine = Number.POSITIVE_INFINITY;
let bestRaw = Number.POSITIVE_INFINITY;
let messages = 0;
let rawEvents = 0;
for (let i = 0; i < rounds; i += 1) {
  const e = engineRound(false);
  messages = e.messages;
  bestEngine = Math.min(bestEngine, e.ms);
  const r = rawRound(logged.logs);
  rawEvents = r.events;
  bestRaw = Math.min(bestRaw, r.ms);
}

const engineMsgs = (messages / bestEngine) * 1000;
// Both rates count the same events: the ones actually sent (creation events only create the actor).
const engineEvents = (rawEvents / bestEngine) * 1000;
const rawRate = (rawEvents / bestRaw) * 1000;
const rows = [
  ['scenario', `${DEFAULT_SCENARIO}, seeds 0..${seeds - 1}, best of ${rounds} rounds`],
  [
    'engine messages delivered',
    `${messages} in ${bestEngine.toFixed(0)} ms = ${engineMsgs.toFixed(0)} msg/s`,
  ],
  [
    'statechart events in those runs',
    `${rawEvents} sent (${(rawEvents / messages).toFixed(2)} per message), ${eventsPerRun - rawEvents} creations`,
  ],
  ['engine, statechart events/s', engineEvents.toFixed(0)],
  [
    'raw actor.send, same machines and events',
    `${rawEvents} in ${bestRaw.toFixed(0)} ms = ${rawRate.toFixed(0)} events/s`,
  ],
  ['ratio engine / raw (target >= 0.5)', (engineEvents / rawRate).toFixed(2)],
];
const width = Math.max(...rows.map((r) => r[0]!.length));
for (const [k, v] of rows) process.stdout.write(`${k!.padEnd(width)}  ${v}\n`);
