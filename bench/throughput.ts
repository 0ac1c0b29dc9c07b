// Exploration throughput on one core: schedules per second of whole runs, next to the limits of the stack
// underneath measured in the same process on the same work.
//
// Rows, each a fixed number of schedules timed after a warm-up (best of --rounds). Every rate is given
// twice: per second of this process's CPU time (user + system: one core's worth of work, what the
// targets are about, and steadier on a shared machine) and per second of wall-clock time.
// 1. `small` (1 device, 3 BOs, ~30 deliveries) bare: runScenario without oracles, coverage or faults.
// 2. `small` as a campaign: runOne of the default portfolio with per-step oracles, coverage and the
//    default 'mixed' faults (what `ttm-sim fuzz` does per schedule, without shrinking or saving).
// 3. `calibrate` (the two calibrator shapes, no device) bare, as bench/calibrators.ts times it.
// 4. `small` bare watched through run$ (src/explore/run.ts: every delivery and step's trace line to a
//    subscriber), and bare with the run's streams made but nobody subscribed: what a run pays for the
//    public observable when nobody watches (a property test per step) next to when somebody does.
// Limits, measured on the same runs:
// - XState: every statechart event of those runs (kept with keepMirrorLog, creations included) sent
//   again with plain `createActor` + `actor.send` to fresh actors of the same machines; its events/s
//   divided by the events of one schedule is the most schedules/s a design that sends every event
//   through an XState actor can reach.
// - Bare scheduler: the engine's scheduler and trace (random choices, one trace line recorded per step,
//   the hash not read, as in a campaign run) delivering the same number of messages per schedule between trivial actors, without any
//   kernel model or statechart: the engine's own ceiling.
// Ratios are run / limit, all measured in this process.
//
// Usage: npm run bench:throughput [-- --schedules N --rounds R]

import { parseArgs } from 'node:util';
import { type AnyActorRef, createActor } from 'xstate';
import { tuneHeap } from '../src/engine/heap_tuning.ts';
import { Rng } from '../src/engine/prng.ts';
import { Scheduler } from '../src/engine/scheduler.ts';
import { Trace } from '../src/engine/trace.ts';
import type { Envelope, SimActor } from '../src/engine/types.ts';
import {
  type CampaignOptions,
  calibrate,
  campaignMaxSteps,
  newState,
  portfolio,
  runOne,
} from '../src/explore/campaign.ts';
import { run$, runScenario } from '../src/explore/run.ts';
import { MACHINES } from '../src/sim/mirror.ts';
import type { Scenario } from '../src/sim/scenario.ts';
import { findScenario } from '../src/sim/scenarios/index.ts';

// The settings the ttm-sim command runs with (src/engine/heap_tuning.ts).
tuneHeap();

const { values } = parseArgs({ options: { schedules: { type: 'string' }, rounds: { type: 'string' } } });
const SCHEDULES = Number(values.schedules ?? 2000);
const ROUNDS = Number(values.rounds ?? 3);
const TARGET = 10_000;

function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Milliseconds of CPU time this process has used (user + system). */
function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** A rate per second of CPU time and per second of wall-clock time. */
interface Rate {
  readonly cpu: number;
  readonly wall: number;
}

/** Best rates of `rounds` rounds of `n` calls of `one(i)` (after a warm-up), `units` counted per call. */
function rate(n: number, one: (i: number) => void, units = 1): Rate {
  for (let i = 0; i < Math.min(n, 500); i += 1) one(1_000_000 + i);
  let cpu = Number.POSITIVE_INFINITY;
  let wall = Number.POSITIVE_INFINITY;
  for (let r = 0; r < ROUNDS; r += 1) {
    const c0 = cpuNow();
    const t0 = now();
    for (let i = 0; i < n; i += 1) one(r * n + i);
    wall = Math.min(wall, now() - t0);
    cpu = Math.min(cpu, cpuNow() - c0);
  }
  return { cpu: ((n * units) / cpu) * 1000, wall: ((n * units) / wall) * 1000 };
}

type Log = NonNullable<ReturnType<typeof runScenario>['sim']['mirror']['log']>;

/** Statechart events and deliveries of `n` bare schedules, with their event logs. */
function profile(s: Scenario, n: number): { logs: Log[]; events: number; steps: number } {
  const logs: Log[] = [];
  let events = 0;
  let steps = 0;
  for (let i = 0; i < n; i += 1) {
    const r = runScenario(s, { seed: BigInt(i), oracles: false, keepMirrorLog: true });
    logs.push(r.sim.mirror.log!);
    events += r.sim.mirror.log!.length;
    steps += r.steps;
  }
  return { logs, events: events / n, steps: steps / n };
}

/** Events/s of plain XState: fresh actors per run, every logged event sent in order. */
function xstateEventsPerSecond(logs: readonly Log[]): Rate {
  const events = logs.reduce((a, l) => a + l.length, 0);
  return rate(
    1,
    () => {
      for (const log of logs) {
        const actors = new Map<string, AnyActorRef>();
        for (const { id, kind, event } of log) {
          let a = actors.get(id);
          if (a === undefined) {
            const input = event.type === 'bo.create' ? { size: event.size } : {};
            a = createActor(MACHINES[kind]!, { input }).start();
            actors.set(id, a);
          }
          if (event.type !== 'bo.create') a.send(event);
        }
      }
    },
    events,
  );
}

/** An actor that answers each message by posting one to a peer until the run's budget is spent. */
class PingActor implements SimActor {
  constructor(
    readonly id: string,
    private readonly sched: () => Scheduler,
    private readonly peers: readonly string[],
    private readonly budget: { left: number },
  ) {}
  state(): string {
    return 'up';
  }
  deliver(env: Envelope): void {
    if (this.budget.left <= 0) return;
    this.budget.left -= 1;
    const to = this.peers[env.seq % this.peers.length]!;
    this.sched().post(this.id, to, { type: 'task.run' });
  }
}

/** One schedule of the bare engine: `actors` trivial actors, `deliveries` messages, a hashed trace. */
function bareSchedule(seed: number, actors: number, deliveries: number): number {
  const trace = new Trace({ keepLines: false });
  const sched = new Scheduler({
    rng: Rng.fromSeed(BigInt(seed)).fork('scheduler'),
    strategy: 'random',
    trace,
  });
  const ids = Array.from({ length: actors }, (_, i) => `task:${i}`);
  const budget = { left: deliveries - actors };
  for (const id of ids) sched.register(new PingActor(id, () => sched, ids, budget));
  for (const id of ids) sched.post('engine', id, { type: 'task.run' });
  sched.run(deliveries * 2);
  // Like a campaign run, the trace's hash is not read (its lines are recorded, formatted on demand).
  return sched.steps;
}

function campaignRate(s: Scenario, n: number): Rate {
  const opts: CampaignOptions = {
    scenario: s,
    baseSeed: 0n,
    schedules: Number.MAX_SAFE_INTEGER,
    shrink: false,
  };
  const state = newState(opts, calibrate(s, 0n, []));
  const arms = portfolio();
  const maxSteps = campaignMaxSteps(opts, state.calibration);
  return rate(n, () => {
    runOne(opts, state, arms, maxSteps, now);
  });
}

const small = findScenario('small')!;
const calib = findScenario('calibrate')!;
const smallProfile = profile(small, 300);
const calibProfile = profile(calib, 300);

const smallBare = rate(SCHEDULES, (i) => runScenario(small, { seed: BigInt(i), oracles: false }));
const smallCampaign = campaignRate(small, SCHEDULES);
let watchedEvents = 0;
const smallWatched = rate(SCHEDULES, (i) => {
  run$(small, { seed: BigInt(i), oracles: false }).subscribe(() => {
    watchedEvents += 1;
  });
});
const smallUnwatched = rate(SCHEDULES, (i) =>
  runScenario(small, {
    seed: BigInt(i),
    oracles: false,
    watch: (sim) => {
      // The streams exist, nobody subscribes: each step tests `observed` and emits nothing.
      void sim.scheduler.steps$;
      void sim.scheduler.deliveries$;
    },
  }),
);
const calibBare = rate(SCHEDULES, (i) => runScenario(calib, { seed: BigInt(i), oracles: false }));
const xstateSmall = xstateEventsPerSecond(smallProfile.logs);
const xstateCalib = xstateEventsPerSecond(calibProfile.logs);
const smallSteps = Math.round(smallProfile.steps);
const calibSteps = Math.round(calibProfile.steps);
const bareSmall = rate(SCHEDULES, (i) => bareSchedule(i, 5, smallSteps));
const bareCalib = rate(SCHEDULES, (i) => bareSchedule(i, 5, calibSteps));

const per = (r: Rate, d: number): Rate => ({ cpu: r.cpu / d, wall: r.wall / d });
const xLimitSmall = per(xstateSmall, smallProfile.events);
const xLimitCalib = per(xstateCalib, calibProfile.events);
const f = (x: number) => x.toFixed(0);
const both = (r: Rate, unit = 'schedules/s') => `${f(r.cpu)} ${unit} CPU, ${f(r.wall)} wall`;
const ratio = (a: Rate, b: Rate) => `${(a.cpu / b.cpu).toFixed(2)} CPU, ${(a.wall / b.wall).toFixed(2)} wall`;
const rows: [string, string][] = [
  [
    'small: shape',
    `${smallProfile.steps.toFixed(1)} deliveries, ${smallProfile.events.toFixed(1)} statechart events per schedule (300 seeds)`,
  ],
  ['small bare (no oracles, coverage, faults)', both(smallBare)],
  ['small campaign (oracles, coverage, mixed faults)', both(smallCampaign)],
  ['small bare, run$ streams made, nobody subscribed', both(smallUnwatched)],
  ['small bare, watched through run$ (every event)', both(smallWatched)],
  [
    'calibrate: shape',
    `${calibProfile.steps.toFixed(1)} deliveries, ${calibProfile.events.toFixed(1)} statechart events per schedule`,
  ],
  ['calibrate bare', both(calibBare)],
  [
    'limit: raw XState createActor+send (small)',
    `${both(xstateSmall, 'events/s')} / ${smallProfile.events.toFixed(1)} = ${both(xLimitSmall)}`,
  ],
  [
    'limit: raw XState createActor+send (calibrate)',
    `${both(xstateCalib, 'events/s')} / ${calibProfile.events.toFixed(1)} = ${both(xLimitCalib)}`,
  ],
  ['limit: bare scheduler+trace, small-sized', `${both(bareSmall)} (${smallSteps} deliveries, 5 actors)`],
  ['limit: bare scheduler+trace, calibrate-sized', `${both(bareCalib)} (${calibSteps} deliveries)`],
  ['ratio small bare / XState limit', ratio(smallBare, xLimitSmall)],
  ['ratio small bare / bare scheduler', ratio(smallBare, bareSmall)],
  ['ratio small campaign / small bare', ratio(smallCampaign, smallBare)],
  ['ratio small unwatched (streams made) / small bare', ratio(smallUnwatched, smallBare)],
  ['ratio small watched through run$ / small bare', ratio(smallWatched, smallBare)],
  ['ratio calibrate bare / XState limit', ratio(calibBare, xLimitCalib)],
  ['ratio calibrate bare / bare scheduler', ratio(calibBare, bareCalib)],
  [
    `target >= ${TARGET} schedules/s (small bare, CPU)`,
    smallBare.cpu >= TARGET
      ? 'met'
      : `NOT met (${f(smallBare.cpu)}, short by ${(TARGET / smallBare.cpu).toFixed(2)}x)`,
  ],
];
const width = Math.max(...rows.map((r) => r[0].length));
process.stdout.write(`${SCHEDULES} schedules per row, best of ${ROUNDS} rounds, one process, one core\n`);
for (const [k, v] of rows) process.stdout.write(`${k.padEnd(width)}  ${v}\n`);
const j = (r: Rate) => ({ cpu: Math.round(r.cpu), wall: Math.round(r.wall) });
process.stdout.write(
  `${JSON.stringify({
    schedules: SCHEDULES,
    rounds: ROUNDS,
    smallDeliveries: smallProfile.steps,
    smallEvents: smallProfile.events,
    smallBare: j(smallBare),
    smallCampaign: j(smallCampaign),
    smallUnwatched: j(smallUnwatched),
    smallWatched: j(smallWatched),
    watchedEventsTotal: watchedEvents,
    calibrateBare: j(calibBare),
    xstateLimitSmall: j(xLimitSmall),
    xstateLimitCalibrate: j(xLimitCalib),
    bareSchedulerSmall: j(bareSmall),
    bareSchedulerCalibrate: j(bareCalib),
  })}\n`,
);
