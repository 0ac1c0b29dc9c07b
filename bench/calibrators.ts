// The calibrator bugs (scenario `calibrate`) found by ttm-sim's strategies and by fast-check's
// `fc.scheduler()`, measured in one process:
//
// 1. Schedules to the first failure: for each base seed b in 0..9, ttm-sim runs schedule i with seed
//    b·1,000,000 + i until one fails; fast-check runs `fc.check` with seed b and `endOnFailure` (no
//    shrinking) and its `numRuns` is the failing run's index. The table shows the median over the base
//    seeds; a base seed that reaches the cap counts as not found, and a cell stops early once half of the
//    base seeds hit the cap (its median is then "not found" whatever the others give).
// 2. Schedules per second with the bug off (the same shapes, unmutated), a fixed number of schedules
//    timed after a warm-up, per tool and calibrator.
//
// PCT's k is the largest choice count seen in calibration runs of the mutated scenario (random and pos,
// seeds outside the measured ones). With k = L, pct:3 cannot find the starvation: its two change points
// are distinct choices in [1, L], all of which the failing run spends in the long task, so one of them
// demotes it before its last step (pct:2 finds it when its one point is choice L: p = 1/(2L)). pct:1
// never finds the lost update (no change point: each worker runs to its end). The same bug in both tools: the fig-5 shape is a task of L scheduled
// steps and a task of one step (p = 2^-L when each choice between the two is uniform); the lost update is
// three workers that each start, read a counter, reach a scheduling point and write it + 1 (with the bug
// off: the read-modify-write under a mutex, the lock attempt being a scheduling point too).
//
// Usage: npm run bench:calibrators [-- --cap N --bases B --rate-schedules N]

import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { tuneHeap } from '../src/engine/heap_tuning.ts';
import type { StrategyName, StrategyParams } from '../src/engine/strategy.ts';
import { runScenario } from '../src/explore/run.ts';
import { calibrate, LOST_UPDATE, STARVATION } from '../src/sim/scenarios/calibrate.ts';
import { findScenario } from '../src/sim/scenarios/index.ts';

// The settings the ttm-sim command runs with (src/engine/heap_tuning.ts).
tuneHeap();

const { values } = parseArgs({
  options: {
    cap: { type: 'string' },
    bases: { type: 'string' },
    'rate-schedules': { type: 'string' },
  },
});
const CAP = Number(values.cap ?? 100_000);
const BASES = Number(values.bases ?? 10);
const RATE_SCHEDULES = Number(values['rate-schedules'] ?? 10_000);
const TARGET_FEWER = 10;
const TARGET_RATE = 1;

const scenario = findScenario('calibrate')!;

interface Calibrator {
  readonly label: string;
  /** The mutation spec for ttm-sim. */
  readonly mutation: string;
  /** The same bug as a fast-check property over `fc.scheduler()`; `bug` false = the bug off. */
  readonly fastCheck: (bug: boolean) => fc.IAsyncPropertyWithHooks<[fc.Scheduler]>;
  /** ttm-sim's scenario with the same shape and the bug off. */
  readonly off: ReturnType<typeof calibrate>;
}

/** Fig-5: a task releasing L scheduled steps and a task releasing one; a bug when the long one ends first. */
function fig5Property(steps: number, bug: boolean): fc.IAsyncPropertyWithHooks<[fc.Scheduler]> {
  return fc.asyncProperty(fc.scheduler(), async (s) => {
    let briefRan = false;
    let starved = false;
    const long = async () => {
      for (let i = 0; i < steps; i += 1) await s.schedule(Promise.resolve(), 'long');
      if (!briefRan) starved = true;
    };
    const brief = async () => {
      await s.schedule(Promise.resolve(), 'brief');
      briefRan = true;
    };
    const done = Promise.all([long(), brief()]);
    await s.waitIdle();
    await done;
    return !(bug && starved);
  });
}

/**
 * Lost update: three workers × (start, read, scheduling point, write). With the bug off each takes a
 * mutex first (a scheduling point; a worker finding it held sleeps until the holder hands it over).
 */
function lostUpdateProperty(bug: boolean): fc.IAsyncPropertyWithHooks<[fc.Scheduler]> {
  return fc.asyncProperty(fc.scheduler(), async (s) => {
    let counter = 0;
    let held = false;
    const sleepers: (() => void)[] = [];
    const lock = async () => {
      await s.schedule(Promise.resolve(), 'lock');
      if (!held) {
        held = true;
        return;
      }
      await new Promise<void>((wake) => sleepers.push(wake));
    };
    const unlock = () => {
      const next = sleepers.shift();
      if (next === undefined) held = false;
      else next();
    };
    const worker = async (w: number) => {
      await s.schedule(Promise.resolve(), `start ${w}`);
      if (!bug) await lock();
      const seen = counter;
      await s.schedule(Promise.resolve(), `read ${w}`);
      counter = seen + 1;
      if (!bug) unlock();
    };
    const done = Promise.all([worker(0), worker(1), worker(2)]);
    await s.waitIdle();
    await done;
    return counter === 3;
  });
}

const CALIBRATORS: readonly Calibrator[] = [
  {
    label: 'starvation L=10',
    mutation: `${STARVATION}=10`,
    fastCheck: (bug) => fig5Property(10, bug),
    off: calibrate({ shape: 'starvation', starvationSteps: 10 }),
  },
  {
    label: 'starvation L=14',
    mutation: `${STARVATION}=14`,
    fastCheck: (bug) => fig5Property(14, bug),
    off: calibrate({ shape: 'starvation' }),
  },
  {
    label: 'lost update',
    mutation: LOST_UPDATE,
    fastCheck: (bug) => lostUpdateProperty(bug),
    off: calibrate({ shape: 'lost-update' }),
  },
];

function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

interface Cell {
  /** Schedules to the first failure per base seed; null = not found within the cap. */
  readonly perBase: (number | null)[];
  /** Median over the base seeds; null when not found (half or more of them capped). */
  readonly median: number | null;
  readonly ms: number;
}

/** Median of the values, a null (not found) ranking above every number; null when the median is. */
function median(xs: readonly (number | null)[]): number | null {
  const sorted = [...xs].sort((a, b) => (a ?? Number.POSITIVE_INFINITY) - (b ?? Number.POSITIVE_INFINITY));
  const n = sorted.length;
  const lo = sorted[(n - 1) >> 1]!;
  const hi = sorted[n >> 1]!;
  return lo === null || hi === null ? null : (lo + hi) / 2;
}

/** Base seeds in order, stopping once half of BASES are capped (the median is then decided). */
async function cell(find: (base: number) => number | null | Promise<number | null>): Promise<Cell> {
  const t0 = now();
  const perBase: (number | null)[] = [];
  let capped = 0;
  for (let b = 0; b < BASES; b += 1) {
    const n = await find(b);
    perBase.push(n);
    if (n === null) capped += 1;
    if (capped * 2 >= BASES) break;
  }
  const full = [...perBase, ...Array<null>(BASES - perBase.length).fill(null)];
  return { perBase, median: median(full), ms: now() - t0 };
}

interface Strategy {
  readonly label: string;
  readonly name: StrategyName;
  readonly depth?: number;
}

const STRATEGIES: readonly Strategy[] = [
  { label: 'random', name: 'random' },
  { label: 'pct:1', name: 'pct', depth: 1 },
  { label: 'pct:2', name: 'pct', depth: 2 },
  { label: 'pct:3', name: 'pct', depth: 3 },
  { label: 'pos', name: 'pos' },
];

/** The largest choice count of 100 random and 100 pos runs of the mutated scenario (seeds ≥ 10^9). */
function calibrateK(mutation: string): number {
  let k = 1;
  for (const strategy of ['random', 'pos'] as const) {
    for (let i = 0; i < 100; i += 1) {
      const r = runScenario(scenario, { seed: 1_000_000_000n + BigInt(i), strategy, mutations: [mutation] });
      k = Math.max(k, r.choices);
    }
  }
  return k;
}

function ttmFirstFailure(mutation: string, strategy: StrategyName, params: StrategyParams | undefined) {
  return (base: number): number | null => {
    for (let i = 0; i < CAP; i += 1) {
      const seed = BigInt(base) * 1_000_000n + BigInt(i);
      const r = runScenario(scenario, {
        seed,
        strategy,
        ...(params === undefined ? {} : { strategyParams: params }),
        mutations: [mutation],
      });
      if (r.failure !== null) return i + 1;
    }
    return null;
  };
}

function fastCheckFirstFailure(c: Calibrator) {
  return async (base: number): Promise<number | null> => {
    const d = await fc.check(c.fastCheck(true), { seed: base, numRuns: CAP, endOnFailure: true });
    return d.failed ? d.numRuns : null;
  };
}

function ttmRate(c: Calibrator): number {
  const run = (n: number, from: number) => {
    for (let i = 0; i < n; i += 1) runScenario(c.off, { seed: BigInt(from + i) });
  };
  run(Math.min(2000, RATE_SCHEDULES), 0);
  const t0 = now();
  run(RATE_SCHEDULES, 1_000_000);
  return (RATE_SCHEDULES / (now() - t0)) * 1000;
}

async function fastCheckRate(c: Calibrator): Promise<number> {
  const prop = c.fastCheck(false);
  await fc.check(prop, { seed: 0, numRuns: Math.min(2000, RATE_SCHEDULES) });
  const t0 = now();
  const d = await fc.check(prop, { seed: 1, numRuns: RATE_SCHEDULES });
  const ms = now() - t0;
  if (d.failed) throw new Error(`fast-check ${c.label}: the bug-off property failed`);
  return (RATE_SCHEDULES / ms) * 1000;
}

interface Row {
  readonly calibrator: string;
  readonly k: number;
  readonly ttm: Record<string, Cell>;
  readonly fastCheck: Cell;
  readonly ttmRate: number;
  readonly fastCheckRate: number;
}

const show = (x: number | null) => (x === null ? 'not found' : String(x));
const pad = (s: string, n: number) => s.padStart(n);

const rows: Row[] = [];
const tStart = now();
for (const c of CALIBRATORS) {
  const k = calibrateK(c.mutation);
  const ttm: Record<string, Cell> = {};
  for (const s of STRATEGIES) {
    const params = s.depth === undefined ? undefined : { depth: s.depth, k: Math.max(k, s.depth - 1) };
    ttm[s.label] = await cell(ttmFirstFailure(c.mutation, s.name, params));
  }
  const fastCheck = await cell(fastCheckFirstFailure(c));
  rows.push({
    calibrator: c.label,
    k,
    ttm,
    fastCheck,
    ttmRate: ttmRate(c),
    fastCheckRate: await fastCheckRate(c),
  });
}
const totalMs = now() - tStart;

const cols = [...STRATEGIES.map((s) => s.label), 'fast-check'];
console.log(
  `schedules to first failure, median over ${BASES} base seeds (cap ${CAP}); schedules/s with the bug off (${RATE_SCHEDULES} schedules)`,
);
console.log(
  `${'calibrator'.padEnd(16)}${pad('k', 4)}${cols.map((c) => pad(c, 11)).join('')}${pad('ttm-sim/s', 11)}${pad('fast-check/s', 14)}`,
);
for (const r of rows) {
  const cells = [...STRATEGIES.map((s) => r.ttm[s.label]!.median), r.fastCheck.median];
  console.log(
    `${r.calibrator.padEnd(16)}${pad(String(r.k), 4)}${cells.map((x) => pad(show(x), 11)).join('')}${pad(r.ttmRate.toFixed(0), 11)}${pad(r.fastCheckRate.toFixed(0), 14)}`,
  );
}
console.log('per base seed (schedules to first failure; - = not run, the cell was decided):');
for (const r of rows) {
  for (const [label, cellOf] of [
    ...STRATEGIES.map((s) => [s.label, r.ttm[s.label]!] as const),
    ['fast-check', r.fastCheck] as const,
  ]) {
    const xs = Array.from({ length: BASES }, (_, b) =>
      b < cellOf.perBase.length ? show(cellOf.perBase[b]!) : '-',
    );
    console.log(`  ${r.calibrator} ${label}: ${xs.join(' ')} (${(cellOf.ms / 1000).toFixed(1)} s)`);
  }
}

// The headline ratios, at L = 14: fast-check's median over ttm-sim's best strategy, and random alone.
const l14 = rows.find((r) => r.calibrator === 'starvation L=14')!;
const best = STRATEGIES.map((s) => ({ label: s.label, median: l14.ttm[s.label]!.median }))
  .filter((x): x is { label: string; median: number } => x.median !== null)
  .sort((a, b) => a.median - b.median)[0];
const fcL14 = l14.fastCheck.median;
const fewer = best === undefined || fcL14 === null ? null : fcL14 / best.median;
const fewerRandom = fcL14 === null || l14.ttm.random!.median === null ? null : fcL14 / l14.ttm.random!.median;
const verdict = (x: number | null, target: number) =>
  x === null
    ? 'cannot tell (not found)'
    : x >= target
      ? 'met'
      : `NOT met (short by ${(target / x).toFixed(2)}×)`;
console.log(
  `fewer schedules at L=14: ${fewer === null ? 'n/a' : `${fewer.toFixed(1)}×`} (ttm-sim ${best?.label ?? 'none'} ${show(best?.median ?? null)} vs fast-check ${show(fcL14)}; target ≥ ${TARGET_FEWER}×: ${verdict(fewer, TARGET_FEWER)})`,
);
const perStrategy = STRATEGIES.map((s) => {
  const m = l14.ttm[s.label]!.median;
  return `${s.label} ${m === null || fcL14 === null ? 'n/a (not found)' : `${(fcL14 / m).toFixed(fcL14 / m < 10 ? 2 : 0)}×`}`;
});
console.log(`fewer schedules at L=14 per strategy: ${perStrategy.join(', ')}`);
console.log(
  `fewer schedules at L=14, random vs fast-check (same uniform choice): ${fewerRandom === null ? 'n/a' : `${fewerRandom.toFixed(2)}×`} (not a target: both draw p = 2^-14)`,
);
for (const r of rows) {
  const ratio = r.ttmRate / r.fastCheckRate;
  console.log(
    `schedules/s ratio (${r.calibrator}): ${ratio.toFixed(2)} (ttm-sim ${r.ttmRate.toFixed(0)}/s vs fast-check ${r.fastCheckRate.toFixed(0)}/s; target ≥ ${TARGET_RATE}: ${verdict(ratio, TARGET_RATE)})`,
  );
}
console.log(
  JSON.stringify({
    cap: CAP,
    bases: BASES,
    rateSchedules: RATE_SCHEDULES,
    totalSeconds: Number((totalMs / 1000).toFixed(1)),
    fewerAtL14: fewer,
    fewerAtL14Strategy: best?.label ?? null,
    fewerAtL14Random: fewerRandom,
    fewerAtL14PerStrategy: Object.fromEntries(
      STRATEGIES.map((s) => {
        const m = l14.ttm[s.label]!.median;
        return [s.label, m === null || fcL14 === null ? null : fcL14 / m];
      }),
    ),
    rows: rows.map((r) => ({
      calibrator: r.calibrator,
      k: r.k,
      ttm: Object.fromEntries(
        Object.entries(r.ttm).map(([s, c]) => [
          s,
          { median: c.median, perBase: c.perBase, ms: Math.round(c.ms) },
        ]),
      ),
      fastCheck: { median: r.fastCheck.median, perBase: r.fastCheck.perBase, ms: Math.round(r.fastCheck.ms) },
      ttmSchedulesPerSecond: Math.round(r.ttmRate),
      fastCheckSchedulesPerSecond: Math.round(r.fastCheckRate),
      ratePerSecondRatio: Number((r.ttmRate / r.fastCheckRate).toFixed(3)),
    })),
  }),
);
