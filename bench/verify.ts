// Bounded-exhaustive search (src/explore/verify.ts) measured, in parts (all by default):
// - catalogue: for each mutation of the catalogue, the smallest preemption bound at which `verify` finds
//   it (bounds 0..maxP, each search capped at --cap schedules, with --faults F) and the time taken;
// - counts: the schedules of small, abba-ww and calibrate at P = 0 and 1 (capped the same way: a capped
//   count is a lower bound);
// - largest: the largest built-in scenario `ttm-sim verify --preemptions 1 --workers 2` certifies within
//   --budget seconds (600 by default), trying --candidates in the order given (by their P = 0 counts,
//   smallest first) and stopping at the first that does not finish; each try keeps a corpus in a
//   temporary directory, so the try that ran out of time says how far it got;
// - workers: the same search with --workers 1 and 2 (JSON equal apart from time), with both times.
// Times are wall clock on whatever machine runs it; the results go to --out as JSON.
//
// Usage: npm run bench:verify [-- --part catalogue,counts,largest,workers --cap N --max-p P --faults F
//        --candidates a,b,c --budget S --out FILE]

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MUTATIONS } from '../src/explore/mutations.ts';
import { verify } from '../src/explore/verify.ts';
import type { Scenario } from '../src/sim/scenario.ts';
import { findScenario } from '../src/sim/scenarios/index.ts';
import { stressVariants } from '../src/sim/scenarios/stress.ts';

const { values } = parseArgs({
  options: {
    part: { type: 'string' },
    cap: { type: 'string' },
    'max-p': { type: 'string' },
    faults: { type: 'string' },
    candidates: { type: 'string' },
    budget: { type: 'string' },
    out: { type: 'string' },
  },
});
const parts = new Set((values.part ?? 'catalogue,counts,largest,workers').split(','));
const cap = Number(values.cap ?? '2000');
const maxP = Number(values['max-p'] ?? '2');
const faults = Number(values.faults ?? '0');
const budget = Number(values.budget ?? '600');
// The built-in scenarios certified at P = 0 within 2,000 schedules, by their P = 0 counts (README
// "Every schedule up to a bound"), then those with more.
const candidates = (
  values.candidates ?? 'stress-pte,abba-ww,upload-race,hot-unplug,calibrate,pool-dma32,bulk-lru,move-race'
).split(',');
const BIN = join(import.meta.dirname, '../bin/ttm-sim.js');

function scenarioOf(name: string): Scenario | undefined {
  return findScenario(name) ?? stressVariants().find((s) => s.name === name);
}

const out: Record<string, unknown> = { cap, maxP, faults };

if (parts.has('catalogue')) {
  const rows: Record<string, unknown>[] = [];
  for (const m of MUTATIONS) {
    const scenario = scenarioOf(m.scenario);
    if (scenario === undefined) {
      rows.push({ mutation: m.name, scenario: m.scenario, note: 'scenario not found' });
      continue;
    }
    let row: Record<string, unknown> = { mutation: m.name, scenario: m.scenario, found: null };
    let total = 0;
    for (let p = 0; p <= maxP; p += 1) {
      const t0 = performance.now();
      const r = verify({ scenario, preemptions: p, faults, mutations: [m.name], maxSchedules: cap });
      total += performance.now() - t0;
      if (r.counterexample !== null) {
        row = {
          ...row,
          found: p,
          faults: r.counterexample.faults,
          schedules: r.schedules,
          check: r.counterexample.failure.id,
          seconds: total / 1000,
        };
        break;
      }
      row = {
        ...row,
        [`P${p}`]: r.complete ? `certified (${r.schedules})` : `none in ${r.schedules}`,
        seconds: total / 1000,
      };
    }
    rows.push(row);
    console.log(JSON.stringify(row));
  }
  out.rows = rows;
}

if (parts.has('counts')) {
  const counts: Record<string, unknown>[] = [];
  for (const name of ['small', 'abba-ww', 'calibrate']) {
    for (let p = 0; p <= 1; p += 1) {
      const t0 = performance.now();
      const r = verify({ scenario: scenarioOf(name)!, preemptions: p, faults, maxSchedules: cap });
      const row = {
        scenario: name,
        preemptions: p,
        schedules: r.schedules,
        pruned: r.pruned,
        complete: r.complete,
        seconds: (performance.now() - t0) / 1000,
      };
      counts.push(row);
      console.log(JSON.stringify(row));
    }
  }
  out.counts = counts;
}

/**
 * `ttm-sim verify ARGS --json`, interrupted (SIGINT) after `seconds`: its JSON (verdict 'interrupted'
 * then), read until it exits (spawnSync would stop reading at its timeout and lose what it prints).
 */
function cli(args: readonly string[], seconds: number) {
  const t0 = performance.now();
  return new Promise<{ code: number | null; wall: number; json: Record<string, unknown> | null }>((done) => {
    const child = spawn(process.execPath, [BIN, 'verify', ...args, '--json'], {
      env: { ...process.env, TTM_SIM_FROM_SOURCE: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += String(d);
    });
    const timer = setTimeout(() => child.kill('SIGINT'), seconds * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      let json: Record<string, unknown> | null = null;
      try {
        json = JSON.parse(stdout) as Record<string, unknown>;
      } catch {
        json = null;
      }
      done({ code, wall: (performance.now() - t0) / 1000, json });
    });
  });
}

if (parts.has('largest')) {
  const tries: Record<string, unknown>[] = [];
  for (const name of candidates) {
    const dir = mkdtempSync(join(tmpdir(), 'ttm-sim-verify-bench-'));
    const r = await cli(
      ['--scenario', name, '--preemptions', '1', '--workers', '2', '--corpus', dir],
      budget,
    );
    let saved: { frontier?: { byLevel?: number[] } } | null = null;
    try {
      saved = JSON.parse(readFileSync(join(dir, 'verify.json'), 'utf8'));
    } catch {
      saved = null;
    }
    rmSync(dir, { recursive: true, force: true });
    const row = {
      scenario: name,
      exit: r.code,
      verdict: r.json?.verdict ?? null,
      schedules: r.json?.schedules ?? saved?.frontier?.byLevel?.reduce((a, b) => a + b, 0) ?? null,
      byPreemptions: r.json?.byPreemptions ?? null,
      seconds: r.json?.seconds ?? null,
      wall: r.wall,
    };
    tries.push(row);
    console.log(JSON.stringify(row));
    if (row.verdict !== 'certificate') break;
  }
  out.largest = tries;
}

if (parts.has('workers')) {
  const rows: Record<string, unknown>[] = [];
  for (const args of [
    ['--scenario', 'abba-ww', '--preemptions', '1'],
    ['--scenario', 'upload-race', '--preemptions', '1'],
  ]) {
    const one = await cli(args, budget);
    const two = await cli([...args, '--workers', '2'], budget);
    const strip = (j: Record<string, unknown> | null) => {
      if (j === null) return null;
      const { seconds: _s, ...rest } = j;
      return JSON.stringify(rest);
    };
    const row = {
      args: args.join(' '),
      schedules: one.json?.schedules ?? null,
      equal: strip(one.json) !== null && strip(one.json) === strip(two.json),
      seconds1: one.json?.seconds ?? null,
      seconds2: two.json?.seconds ?? null,
    };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
  out.workers = rows;
}

if (values.out !== undefined) writeFileSync(values.out, `${JSON.stringify(out, null, 2)}\n`);
