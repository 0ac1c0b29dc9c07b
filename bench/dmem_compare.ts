// What dmem cgroups change for each cgroup of the dmem-compare workload (src/sim/scenarios/dmem.ts), as
// README "dmem cgroups" shows it: the same schedules as `ttm-sim compare --scenario dmem-compare
// --designs kernel,dmem:protect=none,dmem` (seeds B..B+N-1, random strategy, no faults), with the
// scenario's per-cgroup statistics summed over them: frames whose BOs were all in VRAM, BOs left in TT
// by a validate, submits that failed, charges that hit the background's dmem.max, evictions.
//
// Usage: npx tsx bench/dmem_compare.ts [--schedules N] [--seed B]

import { parseArgs } from 'node:util';
import { runScenario } from '../src/explore/run.ts';
import { findScenario } from '../src/sim/scenarios/index.ts';

const KEYS = [
  'fgFramesInVram',
  'fgInTt',
  'bgFramesInVram',
  'bgInTt',
  'submitFailures',
  'bgLimitHits',
  'evictions',
] as const;
const HEADERS = [
  'design',
  'fg frames in VRAM',
  'fg BOs in TT',
  'bg frames in VRAM',
  'bg BOs in TT',
  'failed submits',
  'bg max hits',
  'evictions',
  'broke',
];
const DESIGNS: readonly (readonly string[])[] = [[], ['dmem:protect=none'], ['dmem']];

const { values } = parseArgs({ options: { schedules: { type: 'string' }, seed: { type: 'string' } } });
const schedules = Number(values.schedules ?? 20);
const base = BigInt(values.seed ?? 0);
const scenario = findScenario('dmem-compare');
if (scenario === undefined) throw new Error('no dmem-compare scenario');

const rows: string[][] = [];
for (const designs of DESIGNS) {
  const sum: Record<string, number> = Object.fromEntries(KEYS.map((k) => [k, 0]));
  let broke = 0;
  for (let i = 0; i < schedules; i += 1) {
    const r = runScenario(scenario, { seed: base + BigInt(i), strategy: 'random', designs: [...designs] });
    if (r.outcome !== 'pass') broke += 1;
    for (const k of KEYS) sum[k] = (sum[k] ?? 0) + (r.stats[k] ?? 0);
  }
  rows.push([designs[0] ?? 'kernel', ...KEYS.map((k) => String(sum[k])), String(broke)]);
}
const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: readonly string[]) => `| ${r.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
console.log(
  `dmem-compare, ${schedules} schedules per design (seeds ${base}..${base + BigInt(schedules - 1)}, random, no faults)`,
);
console.log(line(HEADERS));
console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
for (const r of rows) console.log(line(r));
