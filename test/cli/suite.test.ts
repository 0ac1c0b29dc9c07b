// `ttm-sim fuzz` as a suite, as a user runs it: the default suite's scenarios, the combined report's
// line per scenario and failures in full, the exit code of the worst outcome, --json, a suite stopped
// by Ctrl-C and resumed from --corpus ending as one that ran through, --workers and --shard slices
// merged by `corpus merge` into the same report whatever the order, and the refusals of bad input.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { EXIT_CODE } from '../../src/engine/types.ts';
import { CHECK_CATALOGUE } from '../../src/explore/check_catalogue.ts';
import { defaultSuite } from '../../src/explore/suite.ts';
import { SCENARIOS } from '../../src/sim/scenarios/index.ts';

const BIN = join(import.meta.dirname, '../../bin/ttm-sim.js');
const root = mkdtempSync(join(tmpdir(), 'ttm-sim-suite-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectBadInput(r: ReturnType<typeof cli>, message: string) {
  expect(r.code).toBe(EXIT_CODE.badInput);
  expect(r.stdout).toBe('');
  expect(r.stderr).toBe(`ttm-sim: ${message}\n`);
}

/** A suite of three quick scenarios; calibrate fails (correctness), abba-deadlock deadlocks (liveness). */
const SUITE = [
  'fuzz',
  '--scenario',
  'calibrate',
  '--scenario',
  'abba-deadlock',
  '--scenario',
  'stress-pte',
  '--schedules',
  '32',
  '--faults',
  'off',
];
const LOST_UPDATE = ['--mutation', 'calibrator-lost-update'];

/** The report body: without the lines of what a run measured or where files are, shrink times zeroed. */
function body(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^ {2}(run|corpus|merged|written) /.test(l))
    .join('\n')
    .replace(/faults? \([0-9.]+ s/g, 'faults (0.0 s');
}

/** The text of the report line labelled `label`, its continuation lines joined back into one. */
function paragraph(lines: readonly string[], label: string): string {
  const at = lines.findIndex((l) => l.startsWith(`  ${label.padEnd(12)}`));
  expect(at).toBeGreaterThanOrEqual(0);
  const out = [lines[at]!.slice(14)];
  for (let i = at + 1; i < lines.length && lines[i]!.startsWith(' '.repeat(14)); i++)
    out.push(lines[i]!.slice(14));
  return out.join(' ');
}

/** The JSON report body: without `run`, `corpus`, `sources`, `out`, shrink times zeroed. */
function jsonBody(text: string): string {
  const { run: _r, corpus: _c, sources: _s, out: _o, ...rest } = JSON.parse(text);
  for (const c of rest.scenarios) for (const f of c.failures ?? []) if (f.shrunk !== null) f.shrunk.ms = 0;
  return JSON.stringify(rest);
}

describe('ttm-sim fuzz: the suite', () => {
  test('a line per scenario, every failure in full, the exit code of the worst outcome', () => {
    const r = cli(...SUITE, ...LOST_UPDATE);
    expect(r.code).toBe(EXIT_CODE.correctness);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 6)).toEqual([
      'ttm-sim fuzz: 32 schedules of 3 scenarios, 2 distinct failures',
      "  workload    the 3 scenarios named ('npx ttm-sim scenarios' describes each). 32 schedules in equal shares",
      '              (11 or 10 each), each one interleaving from its own seed (base seed 0), drawn in turn by a',
      '              random walk, PCT (aimed at bugs needing 1, 2 or 3 preemptions), POS, and mutation of earlier',
      '              interleavings that reached new states; no faults injected. Bugs put back:',
      '              calibrator-lost-update.',
    ]);
    expect(lines[6]).toBe(
      '    scenario       schedules  failures       transitions  orderings  rare cases reached',
    );
    expect(lines[7]).toMatch(/^ {4}calibrate {10}11\/11 {2}1 correctness +\d+ +\d+ {2}-$/);
    expect(lines[8]).toMatch(/^ {4}abba-deadlock {6}11\/11 {2}1 liveness +\d+ +\d+ {2}-$/);
    expect(lines[9]).toMatch(/^ {4}stress-pte {9}10\/10 {2}none +\d+ +\d+ {2}-$/);
    // What every schedule was checked against, counted from the catalogue of checks.
    const n = (source: string) => CHECK_CATALOGUE.filter((c) => c.source === source).length;
    expect(paragraph(lines, 'checked')).toBe(
      `${n('kernel')} of the kernel's own rules (WARN_ONs, lock assertions, kerneldoc contracts) where the modelled code states them; ${n('oracle')} invariants of its state after every step; ${n('data')} checks on every read that data is what was written; ${n('end')} end checks after every run (no BO, page, swap slot, lock or fence left; every task finished). 'npx ttm-sim oracles' lists each with its upstream source.`,
    );
    // Faults are off: no error path was opened by an injected fault.
    expect(r.stdout).toContain(
      '\n  error paths no faults injected (--faults off): only the paths the workloads take on their own\n',
    );
    expect(r.stdout).toContain(
      '\n  found       2 distinct failures in calibrate, abba-deadlock; the worst is correctness (calibrate):\n  calibrate:\n',
    );
    expect(r.stdout).toMatch(
      /\n {4}1\. correctness: calibrator\.lost-update, first at schedule \d+ \(seed \d+\), in \d+ schedules?\n/,
    );
    expect(r.stdout).toMatch(/\n {2}abba-deadlock:\n {4}1\. liveness: liveness\.deadlock on task:/);
    // Token and shrunk token of both failures.
    expect(r.stdout.match(/\n {7}token {3}[A-Za-z0-9_-]+\n/g)).toHaveLength(2);
    const shrunk = [...r.stdout.matchAll(/\n {7}shrunk {2}([A-Za-z0-9_-]+)\n/g)].map((m) => m[1]);
    expect(shrunk).toHaveLength(2);
    // What next: the first failure's shrunk token to look at, and the commands to run more.
    const next = lines.slice(
      lines.findIndex((l) => l.startsWith('  next ')),
      -2,
    );
    expect(next).toEqual([
      `  next        see the first failure step by step, its preemptions marked: npx ttm-sim shrink ${shrunk[0]}`,
      `              draw it (statecharts, timeline): npx ttm-sim view ${shrunk[0]} --out failure.html`,
      '              run longer (or add --workers N to use N cores): npx ttm-sim fuzz --scenario calibrate --scenario abba-deadlock --scenario stress-pte --faults off --mutation calibrator-lost-update --schedules 320',
      '              one scenario in depth: npx ttm-sim fuzz --scenario calibrate --faults off --mutation calibrator-lost-update --schedules 1000',
      `              every scenario expected to pass (${defaultSuite().length} of ${SCENARIOS.length}): npx ttm-sim fuzz --faults off`,
      '              the one that fails by design: npx ttm-sim fuzz --scenario shared-iommu-retry',
    ]);
    expect(lines.at(-2)).toMatch(
      /^ {2}run {9}32 schedules in [0-9.]+ s \([0-9.]+ schedules\/s\) on the main thread$/,
    );
    // No campaign jargon: the report speaks of schedules, checks and failures.
    expect(r.stdout).not.toMatch(/\b(arms?|tapes?|corpus|k =|n =)\b/);
    // Without the mutation only the deadlock is left: the liveness code.
    const live = cli(...SUITE, '--no-shrink');
    expect(live.code).toBe(EXIT_CODE.liveness);
    expect(live.stdout).toContain('; the worst is liveness (abba-deadlock):\n');
  });

  test('--json: one object, a member per scenario, the worst outcome', () => {
    const r = cli(...SUITE, ...LOST_UPDATE, '--no-shrink', '--json');
    expect(r.code).toBe(EXIT_CODE.correctness);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({
      suite: {
        scenarios: ['calibrate', 'abba-deadlock', 'stress-pte'],
        schedules: 32,
        split: 'equal',
        shards: null,
      },
      worst: 'correctness',
      complete: true,
      schedules: 32,
      failures: 2,
      run: { stopped: 'done', ranNow: 32, resumed: 0, threads: 0 },
      corpus: null,
    });
    // Faults off: no site fired anywhere.
    expect(report.faultSites.fired).toEqual({});
    expect(
      report.scenarios.map((c: Record<string, unknown>) => [c.scenario, c.share, c.schedules, c.outcome]),
    ).toEqual([
      ['calibrate', 11, 11, 'correctness'],
      ['abba-deadlock', 11, 11, 'liveness'],
      ['stress-pte', 10, 10, 'pass'],
    ]);
  });

  test('without --scenario: the default suite, every built-in scenario expected to pass', () => {
    const n = defaultSuite().length;
    const r = cli('fuzz', '--schedules', String(n), '--faults', 'off', '--no-shrink', '--json');
    const report = JSON.parse(r.stdout);
    expect(report.scenarios.map((c: { scenario: string }) => c.scenario)).toEqual(defaultSuite());
    expect(report.scenarios.map((c: { schedules: number }) => c.schedules)).toEqual(Array(n).fill(1));
    const worst = report.worst as keyof typeof EXIT_CODE;
    expect(r.code).toBe(EXIT_CODE[worst]);
  });

  test('Ctrl-C stops the suite with its corpus saved; the same command resumes it and ends as one that ran through', async () => {
    // calibrate fails at once; memory-pressure's campaign takes long enough to be cut.
    const suite = ['fuzz', '--scenario', 'calibrate', '--scenario', 'memory-pressure', '--schedules', '30'];
    const args = [...suite, ...LOST_UPDATE, '--faults', 'off', '--no-shrink', '--json'];
    const through = cli(...args);
    const dir = join(root, 'interrupted');
    args.push('--corpus', dir);
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout!.on('data', (d) => {
      stdout += d;
    });
    // The first failure (calibrate's, the first scenario) is printed on stderr as it is found: stop then.
    await new Promise<void>((resolve) => {
      child.stderr!.on('data', (d: Buffer) => {
        if (d.toString().includes('failure calibrator.lost-update in calibrate')) resolve();
      });
    });
    child.kill('SIGINT');
    const code = await waitExit(child);
    expect(code).toBe(EXIT_CODE.correctness);
    const cut = JSON.parse(stdout);
    expect(cut.run.stopped).toBe('interrupted');
    expect(cut.complete).toBe(false);
    expect(cut.schedules).toBeLessThan(30);
    const again = cli(...args);
    expect(again.code).toBe(EXIT_CODE.correctness);
    expect(JSON.parse(again.stdout).run).toMatchObject({ stopped: 'done', resumed: cut.schedules });
    expect(jsonBody(again.stdout)).toBe(jsonBody(through.stdout));
  });

  test('--workers 2 prints the report corpus merge prints for --shard 0/2 and --shard 1/2 run apart', () => {
    const A = join(root, 'pool');
    const B = join(root, 'shard0');
    const C = join(root, 'shard1');
    const pool = cli(...SUITE, ...LOST_UPDATE, '--workers', '2', '--corpus', A);
    expect(pool.code).toBe(EXIT_CODE.correctness);
    expect(readdirSync(join(A, 'calibrate')).sort()).toEqual(['shard-0-of-2.json', 'shard-1-of-2.json']);
    expect(pool.stdout).toMatch(
      /\n {2}run {9}32 schedules in [0-9.]+ s \([0-9.]+ schedules\/s\) on 2 worker threads\n/,
    );
    const s0 = cli(...SUITE, ...LOST_UPDATE, '--shard', '0/2', '--corpus', B);
    const s1 = cli(...SUITE, ...LOST_UPDATE, '--shard', '1/2', '--corpus', C);
    expect([s0.code, s1.code]).toEqual([EXIT_CODE.correctness, EXIT_CODE.correctness]);
    const head = s0.stdout.split('\n');
    expect(head[0]).toBe('ttm-sim fuzz: 17 schedules of 3 scenarios, shard 0 of 2 only, 2 distinct failures');
    expect(head[2]).toBe(
      '              (11 or 10 each), in shard 0 of 2, each one interleaving from its own seed (base seed 0), drawn',
    );
    expect(paragraph(head, 'stopped')).toBe(
      '17 of 32 schedules run; calibrate ran 6 of 11 (shard 1 missing), abba-deadlock ran 6 of 11 (shard 1 missing), stress-pte ran 5 of 10 (shard 1 missing)',
    );
    const merged = cli('corpus', 'merge', C, B);
    expect(merged.code).toBe(EXIT_CODE.correctness);
    expect(cli('corpus', 'merge', B, C).stdout).toBe(merged.stdout);
    expect(body(merged.stdout)).toBe(body(pool.stdout));
    expect(body(pool.stdout).split('\n').slice(0, 3)).toEqual([
      'ttm-sim fuzz: 32 schedules of 3 scenarios, 2 distinct failures',
      "  workload    the 3 scenarios named ('npx ttm-sim scenarios' describes each). 32 schedules in equal shares",
      '              (11 or 10 each), in shards 0,1 of 2, each one interleaving from its own seed (base seed 0),',
    ]);
    expect(jsonBody(cli('corpus', 'merge', B, C, '--json').stdout)).toBe(
      jsonBody(cli('corpus', 'merge', A, '--json').stdout),
    );
    // --out gathers the slices into one directory that merges alone; --all refuses a missing slice.
    const D = join(root, 'gathered');
    expect(cli('corpus', 'merge', B, C, '--out', D).code).toBe(EXIT_CODE.correctness);
    expect(body(cli('corpus', 'merge', D).stdout)).toBe(body(pool.stdout));
    expectBadInput(
      cli('corpus', 'merge', B, '--all'),
      "corpus merge: slices missing: calibrate 1; abba-deadlock 1; stress-pte 1 of 2; merge every slice's directory, or drop --all",
    );
  });

  test('bad input: a corpus of another suite, a suite directory merged with a campaign one', () => {
    const dir = join(root, 'other');
    expect(cli(...SUITE, '--schedules', '3', '--no-shrink', '--corpus', dir).code).toBe(EXIT_CODE.liveness);
    expectBadInput(
      cli(...SUITE, '--schedules', '3', '--no-shrink', '--corpus', dir, '--seed', '7'),
      `--corpus: ${join(dir, 'suite.json')} belongs to another suite (baseSeed "0", this one "7"); use another --corpus directory or the same options`,
    );
    expectBadInput(
      cli('corpus', 'merge', dir),
      `corpus merge: ${dir} holds an unsliced suite (one campaign.json per scenario), there is nothing to merge; 'ttm-sim fuzz --corpus ${dir}' with the same options prints its report`,
    );
    const single = join(root, 'single');
    cli('fuzz', '--scenario', 'calibrate', '--schedules', '4', '--shard', '0/2', '--corpus', single);
    const sliced = join(root, 'sliced-suite');
    cli(...SUITE, '--schedules', '3', '--no-shrink', '--shard', '0/2', '--corpus', sliced);
    expectBadInput(
      cli('corpus', 'merge', sliced, single),
      `corpus merge: ${single} holds no suite.json while another directory holds a suite; merge the directories of one suite`,
    );
  });
});

function waitExit(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}
