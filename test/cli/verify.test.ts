// `ttm-sim verify` as a user runs it: a certificate (text and JSON) on the unmutated calibrate scenario,
// the lost-update calibrator's counterexample at one preemption whose token replays the failure, an
// incomplete search, --help, and bad input as one line with exit code 2.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { EXIT_CODE } from '../../src/engine/types.ts';

const BIN = join(import.meta.dirname, '../../bin/ttm-sim.js');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('ttm-sim verify', () => {
  test('certificate for calibrate at P = 1: every schedule, counted per preemption', () => {
    const r = cli('verify', '--scenario', 'calibrate', '--preemptions', '1');
    expect(r.code).toBe(EXIT_CODE.pass);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 5)).toEqual([
      'ttm-sim verify --scenario calibrate --preemptions 1 --seed 0',
      '  certificate     no check failed in any schedule with <= 1 preemptions and <= 0 faults',
      '  scenario hash   6235be96d0f325d268e41e627d00136f',
      '  model version   ttm-sim 0.1.0, token format 1',
      '  schedules       5316 (120 with 0, 5196 with 1), 0 pruned',
    ]);
    expect(lines[5]).toMatch(/^ {2}time {12}\d+(\.\d+)? s$/);
  });

  test('--json: the lost update at one preemption, its token replays the failure', () => {
    const r = cli(
      'verify',
      '--scenario',
      'calibrate',
      '--preemptions',
      '2',
      '--mutation',
      'calibrator-lost-update',
      '--json',
    );
    expect(r.code).toBe(EXIT_CODE.correctness);
    const out = JSON.parse(r.stdout) as Record<string, unknown> & { counterexample: { token: string } };
    expect(out).toMatchObject({
      verdict: 'counterexample',
      scenario: 'calibrate',
      mutations: ['calibrator-lost-update'],
      preemptions: 2,
      faults: 0,
      schedules: 7,
      byPreemptions: [6, 1],
      byFaults: [7],
      complete: false,
      counterexample: {
        preemptions: 1,
        faults: 0,
        faultsFired: [],
        outcome: 'correctness',
        failure: { id: 'calibrator.lost-update', message: 'counter is 2 after 3 increments: 1 lost' },
        steps: 6,
        choices: 5,
      },
    });
    const replay = cli('replay', out.counterexample.token, '--json');
    expect(replay.code).toBe(EXIT_CODE.correctness);
    expect(JSON.parse(replay.stdout)).toMatchObject({ failure: { id: 'calibrator.lost-update' } });
  });

  test('--max-schedules stops the search: incomplete, no certificate, exit 0', () => {
    const r = cli('verify', '--scenario', 'small', '--preemptions', '0', '--max-schedules', '3', '--json');
    expect(r.code).toBe(EXIT_CODE.pass);
    expect(JSON.parse(r.stdout)).toMatchObject({
      verdict: 'incomplete',
      schedules: 3,
      byPreemptions: [3],
      complete: false,
    });
  });

  test('--help and bad input', () => {
    const h = cli('verify', '--help');
    expect(h.code).toBe(0);
    expect(h.stdout.split('\n')[0]).toBe(
      'Usage: ttm-sim verify --scenario S --preemptions P [--faults F] [--workers W] [--corpus DIR]',
    );
    const bad = cli('verify', '--scenario', 'calibrate', '--preemptions', '11');
    expect(bad).toEqual({
      code: EXIT_CODE.badInput,
      stdout: '',
      stderr:
        'ttm-sim: --preemptions must be an integer in 0..10 (the most preemptions a schedule may have), got "11"\n',
    });
  });
});
