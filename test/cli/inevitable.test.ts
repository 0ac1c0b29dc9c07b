// `ttm-sim inevitable` as a user runs it: the text and JSON reports on a catalogue mutation's token, the
// exit code of the run analysed, --help, and bad input as one line with exit code 2.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { EXIT_CODE } from '../../src/engine/types.ts';

const BIN = join(import.meta.dirname, '../../bin/ttm-sim.js');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** memory-pressure --seed 129 --mutation pool-restore-stale-state (random strategy): fails tt.restore.post. */
const STALE = 'AQAAAAAAAACBANoN4sb8GS-BFo7RgAFi2C0CARhwb29sLXJlc3RvcmUtc3RhbGUtc3RhdGUD7Y4d';
/** memory-pressure --seed 1: passes. */
const PASSING = 'AQAAAAAAAAABANoN4sb8GS-BFo7RgAFi2C0AKo-HVw';

describe('ttm-sim inevitable', () => {
  test('the token is the one `run` prints for the mutation, and the passing one passes', () => {
    const r = cli(
      'run',
      '--scenario',
      'memory-pressure',
      '--seed',
      '129',
      '--mutation',
      'pool-restore-stale-state',
      '--json',
    );
    expect((JSON.parse(r.stdout) as { token: string }).token).toBe(STALE);
    const p = cli('run', '--scenario', 'memory-pressure', '--seed', '1', '--json');
    expect((JSON.parse(p.stdout) as { token: string }).token).toBe(PASSING);
  });

  test('text: both steps, the runs it took, the cuts probed and the run around step 64', () => {
    const r = cli('inevitable', STALE);
    expect(r.code).toBe(EXIT_CODE.correctness);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(
      'ttm-sim inevitable: memory-pressure --seed 129 --strategy random --mutation pool-restore-stale-state',
    );
    expect(lines[3]).toBe(
      '  run             166 steps, 32 choices; 20 continuations per cut (each up to 3320 steps), certain at ≥ 95 % (19 of 20)',
    );
    expect(lines[4]).toBe(
      '  last avoidable  step 64 (choice 21 of 32): the run picked task:kswapd of task:kswapd, task:reader0, task:reader1, task:writer0, task:writer1; with that pick kept every continuation failed',
    );
    expect(lines[6]).toBe(
      "  certain after   step 64 (choice 21): once the run's pick there (task:kswapd) is kept, ≥ 95 % of the continuations fail the same way",
    );
    expect(lines[7]).toBe('  runs            55 (the failing run twice, 53 continuations over 6 cuts)');
    expect(lines.slice(10, 16)).toEqual([
      '        0  step      0  2/4',
      '       16  step     16  1/3',
      '       20  step     63  1/3',
      '       21  step     64  1/3',
      '       22  step     65  20/20',
      '       24  step     67  20/20',
    ]);
    expect(lines).toContain('  ▶   64  task:kswapd  fence.signaled  blocked → sleeping');
  });

  test('--json with --tails 1: one object, probes and runs as bisection drew them', () => {
    const r = cli('inevitable', STALE, '--tails', '1', '--json');
    expect(r.code).toBe(EXIT_CODE.correctness);
    const v = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(v)).toEqual([
      'signature',
      'failure',
      'steps',
      'choices',
      'tails',
      'threshold',
      'tailMaxSteps',
      'lastAvoidable',
      'certainAfter',
      'probes',
      'runs',
    ]);
    expect(v.tails).toBe(1);
    expect(v.signature).toBe('tt.restore.post | tt | populated | ');
    const probes = v.probes as { kept: number; tails: number }[];
    expect(probes.every((p) => p.tails === 1)).toBe(true);
    expect(v.runs).toBe(2 + probes.length);
  });

  test('--help names the options and the threshold', () => {
    const r = cli('inevitable', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(
      'Usage: ttm-sim inevitable TOKEN [--tails N] [--json] [--scenario FILE]',
    );
    expect(r.stdout).toContain('--tails N         continuations per cut, 1..10000 (default 20)');
    expect(r.stdout).toContain('at least 95 % of the continuations fail the same way');
    expect(cli('--help').stdout).toContain('inevitable the step where a failure became certain');
  });

  test('view --inevitable embeds both steps and the run’s preemptions for the timeline', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ttm-inevitable-')), 'stale.html');
    const r = cli('view', STALE, '--out', out, '--inevitable');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(EXIT_CODE.correctness);
    expect(r.stdout).toBe(`wrote ${out}: 166 steps, outcome correctness\n`);
    const html = readFileSync(out, 'utf8');
    const json = /<script id="run-data" type="application\/json">(.*?)<\/script>/s.exec(html)![1]!;
    const data = JSON.parse(json) as { inevitable: unknown; preemptions: unknown };
    expect(data.inevitable).toEqual({ avoidableStep: 64, certainStep: 64, tails: 20, runs: 55 });
    expect(data.preemptions).toEqual([6, 8, 9, 10, 15, 16, 64, 69, 70, 72]);
    // Without --inevitable: the preemptions only.
    const plain = cli('view', STALE, '--out', out);
    expect(plain.code).toBe(EXIT_CODE.correctness);
    const d2 = JSON.parse(
      /<script id="run-data" type="application\/json">(.*?)<\/script>/s.exec(readFileSync(out, 'utf8'))![1]!,
    ) as { inevitable: unknown; preemptions: unknown };
    expect(d2.inevitable).toBeNull();
    expect(d2.preemptions).toEqual([6, 8, 9, 10, 15, 16, 64, 69, 70, 72]);
  });

  test.each([
    ['no token', ['inevitable'], 'inevitable: missing TOKEN'],
    [
      'a token with characters outside base64url',
      ['inevitable', 'not*a*token'],
      'bad token: token contains characters outside base64url',
    ],
    [
      'a truncated token',
      ['inevitable', STALE.slice(0, -3)],
      'bad token: token is truncated: 54 bytes, at least 57 expected',
    ],
    [
      "a passing run's token",
      ['inevitable', PASSING],
      "inevitable: the token's run passes; there is no failure to date",
    ],
    ['two tokens', ['inevitable', STALE, STALE], 'inevitable: expected one TOKEN, got 2 arguments'],
    ['--tails 0', ['inevitable', STALE, '--tails', '0'], '--tails must be an integer in 1..10000, got "0"'],
    [
      '--tails 10001',
      ['inevitable', STALE, '--tails', '10001'],
      '--tails must be an integer in 1..10000, got "10001"',
    ],
    [
      '--tails -3',
      ['inevitable', STALE, '--tails', '-3'],
      '--tails must be an integer in 1..10000, got "-3"',
    ],
    [
      '--tails 2.5',
      ['inevitable', STALE, '--tails', '2.5'],
      '--tails must be an integer in 1..10000, got "2.5"',
    ],
    [
      '--tails many',
      ['inevitable', STALE, '--tails', 'many'],
      '--tails must be an integer in 1..10000, got "many"',
    ],
    [
      '--tails without a value',
      ['inevitable', STALE, '--tails'],
      "inevitable: Option '--tails <value>' argument missing",
    ],
    ['an unknown option', ['inevitable', STALE, '--bogus'], "inevitable: Unknown option '--bogus'"],
    [
      'view --inevitable of a passing run',
      ['view', PASSING, '--out', join(tmpdir(), 'ttm-never-written.html'), '--inevitable'],
      "view --inevitable: the token's run passes; there is no failure to date",
    ],
    [
      'view --tails without --inevitable',
      ['view', STALE, '--out', join(tmpdir(), 'ttm-never-written.html'), '--tails', '5'],
      'view: --tails counts the continuations of --inevitable; add --inevitable',
    ],
    [
      'view --inevitable --tails 0',
      ['view', STALE, '--out', join(tmpdir(), 'ttm-never-written.html'), '--inevitable', '--tails', '0'],
      '--tails must be an integer in 1..10000, got "0"',
    ],
  ])('bad input, %s: one line, exit 2', (_label, args, mentions) => {
    const r = cli(...args);
    expect(r.code).toBe(EXIT_CODE.badInput);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(mentions);
  });
});
