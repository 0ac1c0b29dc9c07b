// The race-hunting commands as a user runs them: fuzz (report, JSON, corpus, exit codes), shrink,
// mutations, and the --mutation / --faults options of run.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { EXIT_CODE } from '../../src/engine/types.ts';
import { MUTATIONS } from '../../src/explore/mutations.ts';

const BIN = join(import.meta.dirname, '../../bin/ttm-sim.js');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectBadInput(r: ReturnType<typeof cli>, message: string) {
  expect(r.code).toBe(EXIT_CODE.badInput);
  expect(r.stdout).toBe('');
  expect(r.stderr).toBe(`ttm-sim: ${message}\n`);
}

describe('ttm-sim fuzz', () => {
  test('finds the abba deadlock, reports token and shrunk token, exits with the liveness code', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttm-sim-fuzz-'));
    const r = cli(
      'fuzz',
      '--scenario',
      'abba-deadlock',
      '--schedules',
      '30',
      '--faults',
      'off',
      '--corpus',
      dir,
      '--json',
    );
    expect(r.code).toBe(EXIT_CODE.liveness);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({
      scenario: 'abba-deadlock',
      stopped: 'done',
      schedules: 30,
      ranNow: 30,
      coverage: { triples: 17, pairs: 24, corpus: 3 },
      pctMissBound: null,
    });
    expect(report.failures).toHaveLength(1);
    expect(report.failures[0]).toMatchObject({
      id: 'liveness.deadlock',
      schedule: 0,
      token: 'AQAAAAAAAAAAAIYBF__MW-JCntGnDblP4cYA2Dgx5w',
      shrunk: { token: 'AQAAAAAAAAAAAYYBF__MW-JCntGnDblP4cYBBQABAQAAj_eGqQ', preemptions: 2 },
    });
    // The corpus holds the failure; running the same command again resumes (nothing left to run).
    const saved = JSON.parse(readFileSync(join(dir, 'campaign.json'), 'utf8'));
    expect(saved.next).toBe(30);
    expect(saved.failures[0].token).toBe('AQAAAAAAAAAAAIYBF__MW-JCntGnDblP4cYA2Dgx5w');
    const again = JSON.parse(
      cli(
        'fuzz',
        '--scenario',
        'abba-deadlock',
        '--schedules',
        '30',
        '--faults',
        'off',
        '--corpus',
        dir,
        '--json',
      ).stdout,
    );
    expect([again.resumedAt, again.ranNow, again.failures.length]).toEqual([30, 0, 1]);
  });

  test('a green campaign prints the PCT miss bounds with n and k', () => {
    const r = cli('fuzz', '--scenario', 'abba-ww', '--schedules', '60', '--faults', 'off');
    expect(r.code).toBe(EXIT_CODE.pass);
    expect(r.stdout).toContain('  failures    none\n');
    expect(r.stdout).toContain(
      '  confidence  d=1: P(a depth-1 bug was missed) ≤ 0.0563 after 10 pct:1 schedules (n=4, k=19: p ≥ 1/(n·k^0) per schedule)\n',
    );
    expect(r.stdout).toContain(
      '  arms        random 10 · pct:1:19 10 · pct:2:19 10 · pct:3:19 10 · pos 10 · cover 10\n',
    );
    // Not a terminal: the progress goes to stderr as whole lines.
    expect(r.stderr).toMatch(
      /^\[#{24}\] 60\/60 schedules {2}[0-9.]+\/s {2}0 failure\(s\) {2}coverage \d+ triples, \d+ pairs\n$/,
    );
  });

  test('bad options: one line naming the problem, exit 2', () => {
    expectBadInput(
      cli('fuzz', '--faults', 'some'),
      '--faults must be one of off, uniform, buggify, mixed, got "some"',
    );
    expectBadInput(
      cli('fuzz', '--time-budget', '5x'),
      '--time-budget must be a duration such as 90s, 10m or 1h, got "5x"',
    );
    expectBadInput(cli('fuzz', '--schedules', '0'), '--schedules must be a positive integer, got "0"');
    expectBadInput(
      cli('fuzz', '--mutation', 'nope'),
      "--mutation: unknown mutation 'nope'; 'ttm-sim mutations' lists them",
    );
  });
});

describe('ttm-sim shrink', () => {
  test('prints the shrunk trace with its preemptions marked; the token replays', () => {
    const r = cli('shrink', 'AQAAAAAAAAAAAIYBF__MW-JCntGnDblP4cYA2Dgx5w');
    expect(r.code).toBe(EXIT_CODE.liveness);
    expect(r.stdout).toContain('  shrunk      6 → 6 steps, 2 → 2 preemptions, 0 → 0 faults (12 runs,');
    expect(r.stdout).toContain('  left out    nothing (of 2 tasks and timed signals)\n');
    expect(r.stdout).toContain('  replays     yes, same signature\n');
    expect(r.stdout).toContain('  token       AQAAAAAAAAAAAYYBF__MW-JCntGnDblP4cYBBQABAQAAj_eGqQ\n');
    expect(r.stdout).toContain('▶    1  task:ba  task.run  ready → runnable\n');
    expect(r.stdout).toContain('▶    3  task:ab  task.run  runnable  [bo:0/resv resv.locked]\n');
    const replay = cli('replay', 'AQAAAAAAAAAAAYYBF__MW-JCntGnDblP4cYBBQABAQAAj_eGqQ', '--json');
    expect(JSON.parse(replay.stdout).failure.id).toBe('liveness.deadlock');
  });

  test('a shrunk token that leaves tasks out replays with the same failure', () => {
    const token =
      'AQAAAAAAAACBAdoN4sb8GS-BFo7RgAFi2C0TFAAAAAAAAAAAAAAAAAAAAAAAAAAAARhwb29sLXJlc3RvcmUtc3RhbGUtc3RhdGUBDHRhc2s6cmVhZGVyMAH3xtc';
    const r = cli('replay', token, '--json');
    expect(r.code).toBe(EXIT_CODE.correctness);
    expect(JSON.parse(r.stdout).failure).toMatchObject({ id: 'tt.restore.post', step: 163, actor: 'tt:1' });
  });

  test('a passing token has nothing to shrink', () => {
    const token = JSON.parse(cli('run', '--scenario', 'abba-ww', '--json').stdout).token as string;
    expectBadInput(
      cli('shrink', token),
      "shrink: this token's run passes; shrink needs the token of a failing run",
    );
  });
});

describe('mutations and run --mutation / --faults', () => {
  test('mutations --json lists the catalogue', () => {
    const r = cli('mutations', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(JSON.stringify(MUTATIONS)));
  });

  test('run --mutation puts the bug back and the token carries it', () => {
    const r = JSON.parse(
      cli(
        'run',
        '--scenario',
        'memory-pressure',
        '--seed',
        '129',
        '--mutation',
        'pool-restore-stale-state',
        '--json',
      ).stdout,
    );
    expect(r.outcome).toBe('correctness');
    expect(r.failure).toMatchObject({ id: 'tt.restore.post', step: 165, actor: 'tt:1' });
    const replay = JSON.parse(cli('replay', r.token, '--json').stdout);
    expect([replay.traceSha256, replay.failure.id]).toEqual([r.traceSha256, 'tt.restore.post']);
  });

  test('run --mutation rejects unknown names and values for flags without a parameter', () => {
    expectBadInput(
      cli('run', '--mutation', 'nope'),
      "--mutation: unknown mutation 'nope'; 'ttm-sim mutations' lists them",
    );
    expectBadInput(
      cli('run', '--mutation', 'pool-restore-stale-state=3'),
      "--mutation: mutation 'pool-restore-stale-state' takes no value; pass just 'pool-restore-stale-state'",
    );
    expectBadInput(
      cli('run', '--faults', 'often'),
      '--faults must be one of off, uniform, buggify, got "often"',
    );
  });
});
