// Start-up time of the installed command: `ttm-sim --version` and `ttm-sim scenarios`, run as a user
// runs them (node bin/ttm-sim.js, the compiled dist/), against `node -e 0` measured in the same run,
// interleaved so that a change of the machine's load touches all three alike. Target: each command
// within 0.3 s, or within 4× `node -e 0`.
//
// Usage: npm run bench:startup [-- --runs N] [--no-build] [--sources]
// The build runs first (scripts/build.mjs) unless --no-build: what is timed is the code as it is now.
// --sources adds, for comparison and not judged, `ttm-sim --version` run from the TypeScript sources
// through tsx (TTM_SIM_FROM_SOURCE=1), as the command ran before it was compiled.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin/ttm-sim.js');
const TARGET_S = 0.3;
const TARGET_RATIO = 4;

const { values } = parseArgs({
  options: { runs: { type: 'string' }, 'no-build': { type: 'boolean' }, sources: { type: 'boolean' } },
});
const runs = Number(values.runs ?? '15');
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`--runs must be a positive integer, got ${values.runs}`);

// The installed command's environment: dist/, never the sources.
const env = { ...process.env };
delete env.TTM_SIM_FROM_SOURCE;

if (values['no-build'] !== true) {
  const b = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(1);
}

interface Case {
  readonly name: string;
  readonly args: string[];
  readonly judged: boolean;
  readonly env: NodeJS.ProcessEnv;
}
const CASES: readonly Case[] = [
  { name: 'node -e 0', args: ['-e', '0'], judged: false, env },
  { name: 'ttm-sim --version', args: [BIN, '--version'], judged: true, env },
  { name: 'ttm-sim scenarios', args: [BIN, 'scenarios'], judged: true, env },
  ...(values.sources === true
    ? [
        {
          name: '--version (tsx)',
          args: [BIN, '--version'],
          judged: false,
          env: { ...env, TTM_SIM_FROM_SOURCE: '1' },
        },
      ]
    : []),
];

function timeOnce(c: Case): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, c.args, { env: c.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`node ${c.args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return s;
}

const samples: number[][] = CASES.map(() => []);
for (const c of CASES) timeOnce(c); // warm the file cache
for (let i = 0; i < runs; i++) for (const [k, c] of CASES.entries()) samples[k]?.push(timeOnce(c));

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

const base = median(samples[0] ?? []);
console.log(`start-up over ${runs} interleaved runs (median, min-max), node ${process.version}`);
let pass = true;
for (const [k, c] of CASES.entries()) {
  const xs = samples[k] ?? [];
  const m = median(xs);
  const ratio = m / base;
  const line = `  ${c.name.padEnd(18)} ${m.toFixed(3)} s  (${Math.min(...xs).toFixed(3)}-${Math.max(...xs).toFixed(3)})`;
  if (k === 0) {
    console.log(line);
    continue;
  }
  if (!c.judged) {
    console.log(`${line}  ${ratio.toFixed(2)}× node -e 0  (for comparison)`);
    continue;
  }
  const ok = m <= TARGET_S || ratio <= TARGET_RATIO;
  pass &&= ok;
  console.log(`${line}  ${ratio.toFixed(2)}× node -e 0  ${ok ? 'meets' : 'MISSES'} the target`);
}
console.log(
  `target: ≤ ${TARGET_S} s or ≤ ${TARGET_RATIO}× node -e 0: ${pass ? 'met by both commands' : 'missed'}`,
);
process.exitCode = pass ? 0 : 1;
