// Campaigns across cores and machines as a user runs them: fuzz --workers, fuzz --shard K/N run
// separately and merged with corpus merge (the same report), subsets and --all, --out, Ctrl-C on a
// pool with the shards resumed, and the one-line refusals of bad input.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, test } from 'vitest';
import { EXIT_CODE } from '../../src/engine/types.ts';

const BIN = join(import.meta.dirname, '../../bin/ttm-sim.js');
const root = mkdtempSync(join(tmpdir(), 'ttm-sim-merge-'));
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

const CAMPAIGN = ['fuzz', '--scenario', 'abba-deadlock', '--schedules', '30', '--faults', 'off'];

/** The report body: without the lines of what a run measured or where files are, shrink times zeroed. */
function body(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^ {2}(run|corpus|merged|written) /.test(l))
    .join('\n')
    .replace(/faults? \([0-9.]+ s/g, 'faults (0.0 s');
}

/** The JSON report body: without `run`, `corpus`, `sources`, `out`, shrink times zeroed. */
function jsonBody(text: string): unknown {
  const { run: _r, corpus: _c, sources: _s, out: _o, ...rest } = JSON.parse(text);
  for (const f of rest.failures) if (f.shrunk !== null) f.shrunk.ms = 0;
  return rest;
}

describe('ttm-sim fuzz --workers / --shard and corpus merge', () => {
  const A = join(root, 'pool');
  const B = join(root, 'shard0');
  const C = join(root, 'shard1');

  test('fuzz --workers 2 prints the report that corpus merge prints for --shard 0/2 and --shard 1/2 run apart', () => {
    const pool = cli(...CAMPAIGN, '--workers', '2', '--corpus', A);
    expect(pool.code).toBe(EXIT_CODE.liveness);
    expect(readdirSync(A).sort()).toEqual(['shard-0-of-2.json', 'shard-1-of-2.json']);
    const s0 = cli(...CAMPAIGN, '--shard', '0/2', '--corpus', B);
    const s1 = cli(...CAMPAIGN, '--shard', '1/2', '--corpus', C, '--json');
    expect([s0.code, s1.code]).toEqual([EXIT_CODE.liveness, EXIT_CODE.liveness]);
    expect(s0.stdout.split('\n').slice(0, 2)).toEqual([
      'ttm-sim fuzz abba-deadlock: 15 schedules in shard 0 of 2, portfolio, faults off, base seed 0',
      '  shards      0: 15 of 15 schedules; missing 1',
    ]);
    expect(JSON.parse(s1.stdout).failures[0]).toMatchObject({ schedule: 9, count: 3 });
    // Given in either order, the merge prints the same bytes, and the body is the pool's.
    const merged = cli('corpus', 'merge', C, B);
    expect(merged.code).toBe(EXIT_CODE.liveness);
    expect(cli('corpus', 'merge', B, C).stdout).toBe(merged.stdout);
    expect(body(merged.stdout)).toBe(body(pool.stdout));
    expect(body(pool.stdout).split('\n').slice(0, 5)).toEqual([
      'ttm-sim fuzz abba-deadlock: 30 schedules in shards 0,1 of 2, portfolio, faults off, base seed 0',
      '  shards      0: 15 of 15 · 1: 15 of 15 schedules',
      '  stopped     all schedules run',
      '  calibrated  k = 5 choices, n = 2 actors, 6 steps, 0 fault sites per run; step budget 2000',
      '  arms        random 6 (2 failed) · pct:1:5 6 · pct:2:5 6 (1 failed) · pct:3:5 4 · pos 4 (3 failed) · cover 4 (1 failed)',
    ]);
    expect(body(pool.stdout)).toContain(
      '  1. liveness: liveness.deadlock on task:ab (first at schedule 0, random; 7 schedules)\n',
    );
    expect(pool.stdout).toMatch(
      /\n {2}run {9}30 schedules in [0-9.]+ s \([0-9.]+ schedules\/s\) on 2 worker threads\n/,
    );
    expect(merged.stdout).toContain(
      `\n  merged      ${join(B, 'shard-0-of-2.json')}, ${join(C, 'shard-1-of-2.json')}\n`,
    );
    // JSON: the same body from the pool's directory and from the two apart.
    const fromPool = cli('corpus', 'merge', A, '--json');
    const apart = cli('corpus', 'merge', B, C, '--json');
    expect(jsonBody(apart.stdout)).toEqual(jsonBody(fromPool.stdout));
    expect(JSON.parse(apart.stdout)).toMatchObject({
      schedules: 30,
      complete: true,
      coverage: { triples: 17, pairs: 24, corpus: 6 },
      shards: { count: 2, missing: [] },
    });
  });

  test('corpus merge: a subset names the missing shard; --all refuses it; --out collects the shards', () => {
    const one = cli('corpus', 'merge', B);
    expect(one.code).toBe(EXIT_CODE.liveness);
    expect(one.stdout).toContain('\n  stopped     15 of 30 schedules run; shard 1 missing\n');
    expectBadInput(
      cli('corpus', 'merge', B, '--all'),
      "corpus merge: shard 1 of 2 missing (have 0); merge every shard's directory, or drop --all",
    );
    const D = join(root, 'collected');
    const out = cli('corpus', 'merge', B, C, '--all', '--out', D);
    expect(out.code).toBe(EXIT_CODE.liveness);
    expect(readdirSync(D).sort()).toEqual(['shard-0-of-2.json', 'shard-1-of-2.json']);
    expect(readFileSync(join(D, 'shard-1-of-2.json'), 'utf8')).toBe(
      readFileSync(join(C, 'shard-1-of-2.json'), 'utf8'),
    );
    expect(body(cli('corpus', 'merge', D).stdout)).toBe(body(out.stdout));
    expectBadInput(
      cli('corpus', 'merge', B, D),
      // Named in path order, whatever order they were given in.
      `corpus merge: shard 0 of 2 is given twice (${join(D, 'shard-0-of-2.json')}, ${join(B, 'shard-0-of-2.json')}); pass each shard once`,
    );
  });

  test('corpus merge and fuzz --shard: bad input is one line naming the problem, exit 2', () => {
    const E = join(root, 'seed5');
    expect(cli(...CAMPAIGN, '--seed', '5', '--shard', '1/2', '--corpus', E, '--no-shrink').code).toBe(
      EXIT_CODE.liveness,
    );
    expectBadInput(
      cli('corpus', 'merge', B, E),
      `corpus merge: ${join(E, 'shard-1-of-2.json')} belongs to another campaign than ${join(B, 'shard-0-of-2.json')} (baseSeed "5", not "0"); merge the shards of one campaign`,
    );
    const empty = join(root, 'empty');
    mkdirSync(empty);
    expectBadInput(
      cli('corpus', 'merge', empty),
      `corpus merge: ${empty} holds no shard files (shard-K-of-N.json); they are written by 'fuzz --shard K/N --corpus DIR' and 'fuzz --workers N --corpus DIR'`,
    );
    expectBadInput(
      cli('corpus', 'merge', join(root, 'nope')),
      `corpus merge: cannot read directory ${join(root, 'nope')}: ENOENT`,
    );
    expectBadInput(
      cli('corpus', 'merge'),
      'corpus merge: no directory given; usage: ttm-sim corpus merge DIR... (the corpus directories of the shards)',
    );
    expectBadInput(
      cli('corpus', 'join', B),
      `corpus: expected the subcommand merge, got "join"; see 'ttm-sim corpus --help'`,
    );
    expectBadInput(
      cli(...CAMPAIGN, '--shard', '2/2'),
      '--shard K must be below N (slices are numbered 0..N-1), got "2/2"',
    );
    expectBadInput(
      cli(...CAMPAIGN, '--shard', 'half'),
      '--shard must be K/N with N in 1..10000 (e.g. 0/4), got "half"',
    );
    expectBadInput(
      cli(...CAMPAIGN, '--shard', '0/2', '--workers', '2'),
      "--shard K/N runs one slice on this thread; it takes neither --workers nor --shards (run the other slices elsewhere and merge them with 'ttm-sim corpus merge')",
    );
    expectBadInput(cli(...CAMPAIGN, '--workers', '0'), '--workers must be a positive integer, got "0"');
    expectBadInput(
      cli(...CAMPAIGN, '--shard', '0/3', '--corpus', B),
      `--corpus: ${join(B, 'shard-0-of-2.json')} is a shard of a campaign cut into another number of shards than 3; use another --corpus directory or the same shard count`,
    );
  });
});

describe('ttm-sim corpus --help, fuzz --help', () => {
  test('corpus --help teaches merge; fuzz --help names --workers, --shards and --shard', () => {
    const corpus = cli('corpus', '--help');
    expect(corpus.code).toBe(0);
    expect(corpus.stdout.split('\n')[0]).toBe(
      'Usage: ttm-sim corpus merge DIR... [--all] [--out DIR] [--json]',
    );
    const fuzz = cli('fuzz', '--help');
    expect(fuzz.stdout).toContain('                    [--workers W [--shards N] | --shard K/N]\n');
    expect(fuzz.stdout).toContain(
      '  --shard K/N       run slice K (0..N-1) of the campaign alone, on this thread',
    );
    expect(cli('--help').stdout).toContain(
      '  corpus     merge the shards of a campaign run apart     ttm-sim corpus merge shard-0/ shard-1/\n',
    );
  });
});

describe('ttm-sim fuzz --workers: Ctrl-C', () => {
  function waitExit(child: ChildProcess): Promise<number | null> {
    return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  test('SIGINT stops every shard, saves its file, exits 130; the same command resumes each shard', async () => {
    const X = join(root, 'interrupted');
    const args = ['fuzz', '--scenario', 'vram-pressure', '--workers', '2', '--corpus', X];
    const child = spawn(process.execPath, [BIN, ...args, '--schedules', '100000'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout!.on('data', (d) => {
      stdout += d;
    });
    const exited = waitExit(child);
    // Each shard writes its file after its first 2 s; interrupt once both are there.
    for (let i = 0; i < 600; i++) {
      if (existsSync(join(X, 'shard-0-of-2.json')) && existsSync(join(X, 'shard-1-of-2.json'))) break;
      await sleep(100);
    }
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stdout).toMatch(/; interrupted \(run the same command to resume\)\n {2}corpus /);
    const report = JSON.parse(cli('corpus', 'merge', X, '--json').stdout);
    const ran = report.shards.present.map((p: { ran: number }) => p.ran) as number[];
    expect(stdout).toContain(
      `  stopped     ${ran[0]! + ran[1]!} of 100000 schedules run; shard 0 ran ${ran[0]} of its 50000, shard 1 ran ${ran[1]} of its 50000 (run them again to resume)\n`,
    );
    // Resume with a count that leaves each shard one more schedule than the furthest one ran.
    const total = 2 * Math.max(...ran) + 2;
    const again = cli(...args, '--schedules', String(total), '--json');
    expect(again.code).toBe(EXIT_CODE.pass);
    const r = JSON.parse(again.stdout);
    expect([r.complete, r.schedules, r.run.resumed]).toEqual([true, total, ran[0]! + ran[1]!]);
    expect(r.run.ranNow).toBe(total - ran[0]! - ran[1]!);
  });
});
