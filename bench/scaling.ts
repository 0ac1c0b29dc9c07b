// Campaign scaling: the same sliced campaign (default: vram-pressure, 4000 schedules in 2 slices, faults
// mixed) run three ways in one process: its slices one after another on the main thread (no pool, the
// reference), on a Piscina pool of 1 worker thread, and on a pool of 2. Prints schedules/s of each, the
// ratio 2 workers / 1 worker (target ≥ 1.7 on a 2-core machine) and whether the three runs merged to
// the same report body (they must: a slice is a function of the options, K and N alone). Every thread
// is warmed first: it loads the sources (through tsx, about 180 ms a thread) and runs a throwaway
// campaign of 36 schedules on other seeds (compiling the hot code of every arm, fault mode, oracle and
// the coverage), so neither thread start-up nor JIT warm-up is timed: they are paid once per thread,
// whatever the campaign's length. The load average, and the cores each run kept busy (the process's
// CPU time over wall-clock time), are printed: on a shared machine they explain a ratio below target.
//
//   npm run bench:scaling [-- --scenario NAME] [--schedules N] [--shards N] [--json]

import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { mergedJson } from '../src/cli/campaign_report.ts';
import { tuneHeap } from '../src/engine/heap_tuning.ts';
import { calibrate } from '../src/explore/campaign.ts';
import { mergeShards } from '../src/explore/shard.ts';
import {
  runShardsHere,
  runShardsOnPool,
  type ShardOutcome,
  type ShardTask,
  shardTasks,
  warmUp,
} from '../src/explore/shard_run.ts';
import { resolveScenario } from '../src/sim/scenario_file.ts';
import type { WarmTask } from '../workers/campaign.worker.ts';
import { createPool } from '../workers/pool.ts';

// The settings the ttm-sim command runs with (src/engine/heap_tuning.ts).
tuneHeap();

const { values } = parseArgs({
  options: {
    scenario: { type: 'string' },
    schedules: { type: 'string' },
    shards: { type: 'string' },
    json: { type: 'boolean' },
  },
});
const SCENARIO = values.scenario ?? 'vram-pressure';
const SCHEDULES = Number(values.schedules ?? 4000);
const SHARDS = Number(values.shards ?? 2);

/** Schedules of the throwaway campaign each thread runs before it is timed. */
const WARM_SCHEDULES = 36;

const resolved = resolveScenario(SCENARIO);
if (!resolved.ok) throw new Error(resolved.reason);
const calibration = calibrate(resolved.scenario, 0n, []);
await warmUp(SCENARIO, WARM_SCHEDULES);
const tasks: ShardTask[] = shardTasks(
  {
    scenario: SCENARIO,
    baseSeed: '0',
    schedules: SCHEDULES,
    mutations: [],
    faults: 'mixed',
    shrink: true,
    calibration,
  },
  SHARDS,
);

interface Measured {
  readonly name: string;
  readonly ms: number;
  /** CPU time of the whole process during the run, ms. */
  readonly cpuMs: number;
  readonly rate: number;
  readonly report: string;
  /** Wall-clock time of each slice, ms. */
  readonly slices: readonly number[];
}

/** The merged report body without its wall-clock values (shrinking times). */
function reportOf(outcomes: readonly ShardOutcome[]): string {
  const m = mergeShards(outcomes.map((o) => ({ source: `shard ${o.record.shard}`, data: o.record })));
  if (!m.ok) throw new Error(m.reason);
  const json = mergedJson(m.merged) as { failures: { shrunk: { ms: number } | null }[] };
  for (const f of json.failures) if (f.shrunk !== null) f.shrunk.ms = 0;
  return JSON.stringify(json);
}

async function measure(name: string, run: () => Promise<ShardOutcome[]>): Promise<Measured> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const outcomes = await run();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  // CPU time of every thread of the process: how many cores the run actually got.
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const done = outcomes.reduce((a, o) => a + o.ranNow, 0);
  if (done !== SCHEDULES) throw new Error(`${name}: ran ${done} schedules, not ${SCHEDULES}`);
  const slices = outcomes.map((o) => o.elapsedMs);
  const m = { name, ms, cpuMs, rate: (done * 1000) / ms, report: reportOf(outcomes), slices };
  process.stderr.write(`${name}: ${(ms / 1000).toFixed(1)} s\n`);
  return m;
}

async function onPool(threads: number): Promise<Measured> {
  const pool = createPool('campaign.worker.ts', threads);
  try {
    await Promise.all(Array.from({ length: threads }, () => pool.run({ warmMs: 300 } satisfies WarmTask)));
    return await measure(`${threads} worker${threads === 1 ? '' : 's'}`, () => runShardsOnPool(pool, tasks));
  } finally {
    await pool.destroy();
  }
}

const load = loadavg().map((x) => x.toFixed(2));
const here = await measure('main thread', () => runShardsHere(tasks));
const one = await onPool(1);
const two = await onPool(2);
const ratio = two.rate / one.rate;
const same = here.report === one.report && one.report === two.report;

console.log(
  `campaign scaling: ${SCENARIO}, ${SCHEDULES} schedules in ${SHARDS} slices, faults mixed (load average before: ${load.join(' ')})`,
);
for (const m of [here, one, two]) {
  console.log(
    `  ${m.name.padEnd(12)} ${(m.ms / 1000).toFixed(1).padStart(6)} s  ${m.rate.toFixed(1).padStart(7)} schedules/s  CPU ${(m.cpuMs / 1000).toFixed(1)} s = ${(m.cpuMs / m.ms).toFixed(2)} cores busy  (slices: ${m.slices.map((x) => `${(x / 1000).toFixed(1)} s`).join(', ')})`,
  );
}
console.log(`  1 worker / main thread: ${(one.rate / here.rate).toFixed(2)} (the pool's own cost)`);
console.log(
  `  2 workers / 1 worker:   ${ratio.toFixed(2)} (target ≥ 1.7) — ${ratio >= 1.7 ? 'met' : 'NOT met'}`,
);
console.log(`  same report from all three runs: ${same ? 'yes' : 'NO (a determinism bug)'}`);
if (values.json) {
  console.log(
    JSON.stringify({
      scenario: SCENARIO,
      schedules: SCHEDULES,
      shards: SHARDS,
      loadavg: loadavg(),
      runs: [here, one, two].map(({ name, ms, cpuMs, rate, slices }) => ({ name, ms, cpuMs, rate, slices })),
      ratio,
      same,
    }),
  );
}
