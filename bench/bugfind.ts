// The bug-finding table: for every mutation of the catalogue and every search arm (the default
// portfolio and each strategy alone), how many schedules a campaign needs to its first failure, median
// over several base seeds; and for the portfolio's failures, the time to shrink them and whether the
// shrunk token keeps the failure signature. Hunts run on Piscina worker threads (one per core).
// Targets (issue: race hunting): the portfolio finds every mutation within 10,000 schedules with a median
// of at most 500; every failure shrinks, keeping its signature, in at most 10 s.
//
//   npm run bench:bugfind [-- --seeds N] [--arm-seeds N] [--arm-cap N] [--only NAME,...]

import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { tuneHeap } from '../src/engine/heap_tuning.ts';
import { MUTATIONS } from '../src/explore/mutations.ts';
import type { Hunt, HuntResult } from '../workers/hunt.worker.ts';
import { createPool } from '../workers/pool.ts';

// The settings the ttm-sim command runs with (src/engine/heap_tuning.ts).
tuneHeap();

const { values } = parseArgs({
  options: {
    seeds: { type: 'string' },
    'arm-seeds': { type: 'string' },
    'arm-cap': { type: 'string' },
    only: { type: 'string' },
    json: { type: 'boolean' },
  },
});
const PORTFOLIO_SEEDS = Number(values.seeds ?? 10);
const PORTFOLIO_CAP = 10_000;
const ARM_SEEDS = Number(values['arm-seeds'] ?? 5);
const ARM_CAP = Number(values['arm-cap'] ?? 500);
const ARMS = ['random', 'pct:1', 'pct:2', 'pct:3', 'pos', 'cover'];
const only = values.only?.split(',');
const mutations = MUTATIONS.filter((m) => only === undefined || only.includes(m.name));

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median where a miss counts as +∞ (it needed more than the cap). */
function medianWithMisses(rs: readonly HuntResult[]): number {
  return median(rs.map((r) => r.schedules ?? Number.POSITIVE_INFINITY));
}

function cell(rs: readonly HuntResult[], cap: number, expected: string): string {
  const found = rs.filter((r) => r.schedules !== null).length;
  const med = medianWithMisses(rs);
  const m = Number.isFinite(med) ? String(med) : `>${cap}`;
  // '!': some first failure had another check id than the mutation's (another symptom, or a false alarm).
  const other = rs.some((r) => r.id !== null && r.id !== expected) ? '!' : '';
  return found === rs.length ? `${m}${other}` : `${m}${other} (${found}/${rs.length})`;
}

const threads = Math.max(1, availableParallelism());
const pool = createPool('hunt.worker.ts', threads);
const t0 = Date.now();
const rows: {
  name: string;
  detectedBy: string;
  scenario: string;
  portfolio: HuntResult[];
  arms: Record<string, HuntResult[]>;
}[] = [];
const jobs: Promise<void>[] = [];
for (const m of mutations) {
  const spec = m.param === undefined ? m.name : `${m.name}=${m.param.default}`;
  const row = {
    name: spec,
    detectedBy: m.detectedBy,
    scenario: m.scenario,
    portfolio: [] as HuntResult[],
    arms: {} as Record<string, HuntResult[]>,
  };
  rows.push(row);
  const run = (arm: string, seed: number, cap: number, shrink: boolean) =>
    pool.run({
      scenario: m.scenario,
      mutations: [spec],
      arm,
      baseSeed: String(seed * 1_000_003),
      cap,
      shrink,
    } satisfies Hunt) as Promise<HuntResult>;
  for (let b = 0; b < PORTFOLIO_SEEDS; b++) {
    jobs.push(run('portfolio', b, PORTFOLIO_CAP, true).then((r) => void row.portfolio.push(r)));
  }
  for (const arm of ARMS) {
    row.arms[arm] = [];
    for (let b = 0; b < ARM_SEEDS; b++) {
      jobs.push(run(arm, b, ARM_CAP, false).then((r) => void row.arms[arm]!.push(r)));
    }
  }
}
let done = 0;
for (const j of jobs) {
  j.then(() => {
    done += 1;
    if (done % 20 === 0 || done === jobs.length) process.stderr.write(`\r${done}/${jobs.length} hunts`);
  });
}
await Promise.all(jobs);
process.stderr.write('\n');
await pool.destroy();

const header = [
  'mutation',
  'scenario',
  `portfolio (median, ${PORTFOLIO_SEEDS} seeds)`,
  'max',
  ...ARMS.map((a) => `${a}`),
];
const table = rows.map((r) => {
  const ps = r.portfolio.map((x) => x.schedules ?? Number.POSITIVE_INFINITY);
  return [
    r.name,
    r.scenario,
    cell(r.portfolio, PORTFOLIO_CAP, r.detectedBy),
    Number.isFinite(Math.max(...ps)) ? String(Math.max(...ps)) : `>${PORTFOLIO_CAP}`,
    ...ARMS.map((a) => cell(r.arms[a]!, ARM_CAP, r.detectedBy)),
  ];
});
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
console.log(
  `bug finding: schedules to the first failure (arms: median over ${ARM_SEEDS} seeds, capped at ${ARM_CAP}; "(f/n)": found in f of n)`,
);
console.log(line(header));
for (const row of table) console.log(line(row));

const allFound = rows.every((r) => r.portfolio.every((x) => x.schedules !== null));
const mismatched = rows.flatMap((r) =>
  r.portfolio
    .filter((x) => x.id !== null && x.id !== r.detectedBy)
    .map((x) => `${r.name}: ${x.id} (${x.token})`),
);
const worstMedian = Math.max(...rows.map((r) => medianWithMisses(r.portfolio)));
const shrinks = rows.flatMap((r) => r.portfolio.filter((x) => x.schedules !== null).map((x) => x.shrunk));
const shrinkKept = shrinks.filter((s) => s !== null).length;
const shrinkMax = Math.max(0, ...shrinks.map((s) => s?.ms ?? 0));
const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
console.log(
  `portfolio finds every mutation within ${PORTFOLIO_CAP} schedules: ${allFound ? 'yes' : 'no'} (target: yes) — ${verdict(allFound)}`,
);
console.log(
  `worst per-mutation median of the portfolio: ${worstMedian} (target ≤ 500) — ${verdict(worstMedian <= 500)}`,
);
console.log(
  `shrinking: ${shrinkKept} of ${shrinks.length} failures shrunk keeping their signature, slowest ${(shrinkMax / 1000).toFixed(1)} s (target: all, ≤ 10 s) — ${verdict(shrinkKept === shrinks.length && shrinkMax <= 10_000)}`,
);
if (mismatched.length > 0) console.log(`first failures with another check id:\n  ${mismatched.join('\n  ')}`);
console.log(`${jobs.length} hunts on ${threads} threads in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
if (values.json)
  console.log(
    JSON.stringify({ rows, allFound, worstMedian, shrinkKept, shrinks: shrinks.length, shrinkMax }),
  );
