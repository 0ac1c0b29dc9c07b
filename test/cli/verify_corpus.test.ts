// `ttm-sim verify` split across worker threads and kept in a corpus: --workers 1 and 2 print the same
// JSON apart from the time (a certificate and a counterexample); a search stopped by --max-schedules and
// resumed from its corpus (on another thread count) prints what the uninterrupted search prints; a
// finished corpus prints its result again; a corpus of another search is refused naming the field; a
// search stopped by SIGINT saves its frontier and exits 130, and resuming it gives the uninterrupted
// result; --faults counts and the certificate's bounds.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, test } from 'vitest';
import { EXIT_CODE } from '../../src/engine/types.ts';

const BIN = join(import.meta.dirname, '../../bin/ttm-sim.js');
const root = mkdtempSync(join(tmpdir(), 'ttm-sim-verify-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, TTM_SIM_FROM_SOURCE: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The JSON a run printed, without its time. */
function untimed(stdout: string): Record<string, unknown> {
  const { seconds, ...rest } = JSON.parse(stdout) as Record<string, unknown>;
  expect(typeof seconds).toBe('number');
  return rest;
}

describe('verify --workers', () => {
  test('W = 1 and W = 2: the same certificate and the same counterexample', () => {
    const cert = ['verify', '--scenario', 'abba-ww', '--preemptions', '1', '--json'];
    const one = cli(...cert);
    const two = cli(...cert, '--workers', '2');
    expect(one.code).toBe(EXIT_CODE.pass);
    expect(two.code).toBe(EXIT_CODE.pass);
    expect(untimed(two.stdout)).toEqual(untimed(one.stdout));
    expect(untimed(one.stdout)).toMatchObject({
      verdict: 'certificate',
      schedules: 400,
      byPreemptions: [32, 368],
      byFaults: [400],
      pruned: 0,
    });
    const cx = [
      'verify',
      '--scenario',
      'calibrate',
      '--preemptions',
      '2',
      '--mutation',
      'calibrator-lost-update',
    ];
    const a = cli(...cx, '--json');
    const b = cli(...cx, '--json', '--workers', '2');
    expect(a.code).toBe(EXIT_CODE.correctness);
    expect(b.code).toBe(EXIT_CODE.correctness);
    expect(untimed(b.stdout)).toEqual(untimed(a.stdout));
    expect(untimed(a.stdout)).toMatchObject({ schedules: 7, byPreemptions: [6, 1] });
  }, 300_000);
});

describe('verify --reduce', () => {
  test('the sleep-set reduction: the same result on 1 or 2 threads and resumed from a corpus', () => {
    const args = ['verify', '--scenario', 'calibrate', '--preemptions', '1', '--reduce', '--json'];
    const one = cli(...args);
    expect(one.code).toBe(EXIT_CODE.pass);
    const whole = untimed(one.stdout);
    expect(whole).toMatchObject({
      verdict: 'certificate',
      schedules: 2_550,
      byPreemptions: [120, 2_430],
      pruned: 1_307,
      reduce: true,
    });
    expect(untimed(cli(...args, '--workers', '2').stdout)).toEqual(whole);
    // Stopped after 1,000 schedules on 2 threads (prefixes carry their sleep sets), resumed on one.
    const dir = join(root, 'reduce');
    const part = cli(...args, '--workers', '2', '--max-schedules', '1000', '--corpus', dir);
    expect(untimed(part.stdout)).toMatchObject({ verdict: 'incomplete', schedules: 1_000 });
    expect(untimed(cli(...args, '--corpus', dir).stdout)).toEqual(whole);
  }, 300_000);
});

describe('verify --corpus', () => {
  test('stopped by --max-schedules, resumed on 2 threads: the uninterrupted result; then printed again', () => {
    const dir = join(root, 'abba');
    const base = ['verify', '--scenario', 'abba-ww', '--preemptions', '1', '--json', '--corpus', dir];
    const part = cli(...base, '--max-schedules', '150');
    expect(part.code).toBe(EXIT_CODE.pass);
    expect(untimed(part.stdout)).toMatchObject({
      verdict: 'incomplete',
      schedules: 150,
      byPreemptions: [32, 118],
    });
    const saved = JSON.parse(readFileSync(join(dir, 'verify.json'), 'utf8'));
    expect(saved).toMatchObject({
      format: 'ttm-sim-verify/1',
      scenario: 'abba-ww',
      preemptions: 1,
      faults: 0,
      result: null,
      frontier: { level: 1, byLevel: [32, 118] },
    });
    expect(existsSync(join(dir, 'verify.lock'))).toBe(false);
    const rest = cli(...base, '--workers', '2');
    expect(rest.code).toBe(EXIT_CODE.pass);
    const whole = untimed(cli('verify', '--scenario', 'abba-ww', '--preemptions', '1', '--json').stdout);
    expect(untimed(rest.stdout)).toEqual(whole);
    // Finished: the same command prints the stored result and runs nothing.
    const again = cli(...base);
    expect(untimed(again.stdout)).toEqual(whole);
    // Another search in the same directory: refused, naming the field, the corpus left as it was.
    const before = readFileSync(join(dir, 'verify.json'), 'utf8');
    const other = cli('verify', '--scenario', 'abba-ww', '--preemptions', '2', '--corpus', dir);
    expect(other.code).toBe(EXIT_CODE.badInput);
    expect(other.stdout).toBe('');
    expect(other.stderr).toBe(
      `ttm-sim: --corpus: ${dir}/verify.json is a search of another preemptions (--preemptions: 1 there, 2 here); use another --corpus directory or the same options\n`,
    );
    expect(readFileSync(join(dir, 'verify.json'), 'utf8')).toBe(before);
  }, 300_000);

  test('SIGINT saves the frontier and exits 130, SIGTERM 143; resuming gives the uninterrupted result', async () => {
    const dir = join(root, 'sigint');
    const args = ['verify', '--scenario', 'calibrate', '--preemptions', '2', '--json', '--corpus', dir];
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, TTM_SIM_FROM_SOURCE: '1' },
    });
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += String(d);
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // The first save comes after the first piece: interrupt once the corpus exists.
    for (let i = 0; i < 600 && !existsSync(join(dir, 'verify.json')); i += 1) {
      await sleep(50);
    }
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const stopped = JSON.parse(stdout) as { verdict: string; schedules: number };
    expect(stopped.verdict).toBe('interrupted');
    expect(stopped.schedules).toBeGreaterThan(0);
    expect(stopped.schedules).toBeLessThan(119_670);
    const saved = JSON.parse(readFileSync(join(dir, 'verify.json'), 'utf8'));
    expect(saved.result).toBeNull();
    expect(saved.frontier.byLevel.reduce((a: number, b: number) => a + b, 0)).toBe(stopped.schedules);
    // SIGTERM on the resumed search: the same, with 143.
    const term = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, TTM_SIM_FROM_SOURCE: '1' },
    });
    let termOut = '';
    term.stdout.on('data', (d) => {
      termOut += String(d);
    });
    const termExit = new Promise<number | null>((resolve) => term.on('exit', (code) => resolve(code)));
    const before = readFileSync(join(dir, 'verify.json'), 'utf8');
    for (let i = 0; i < 600 && readFileSync(join(dir, 'verify.json'), 'utf8') === before; i += 1)
      await sleep(50);
    term.kill('SIGTERM');
    expect(await termExit).toBe(143);
    const termed = JSON.parse(termOut) as { verdict: string; schedules: number };
    expect(termed.verdict).toBe('interrupted');
    expect(termed.schedules).toBeGreaterThan(stopped.schedules);
    const resumed = cli(...args);
    expect(resumed.code).toBe(EXIT_CODE.pass);
    expect(untimed(resumed.stdout)).toMatchObject({
      verdict: 'certificate',
      schedules: 119_670,
      byPreemptions: [120, 5_196, 114_354],
      complete: true,
    });
  }, 300_000);
});

describe('verify --faults', () => {
  test('abba-ww at P = 0 and F = 1: every single failing fault site of its 32 schedules', () => {
    const r = cli('verify', '--scenario', 'abba-ww', '--preemptions', '0', '--faults', '1');
    expect(r.code).toBe(EXIT_CODE.pass);
    expect(r.stdout.split('\n').slice(0, 5)).toEqual([
      'ttm-sim verify --scenario abba-ww --preemptions 0 --faults 1 --seed 0',
      '  certificate     no check failed in any schedule with <= 0 preemptions and <= 1 faults',
      '  scenario hash   2f3da02d30cc013acd3860ed111ff7be',
      '  model version   ttm-sim 0.1.0, token format 1',
      '  schedules       1472 (1472 with 0; 32 with 0 faults, 1440 with 1 fault), 0 pruned',
    ]);
  }, 300_000);

  test('a counterexample with one fault at P = 0 (without faults it needs a preemption); its token replays it', () => {
    const r = cli(
      'verify',
      '--scenario',
      'upload-race',
      '--preemptions',
      '0',
      '--faults',
      '1',
      '--mutation',
      'pool-alloc-error-double-free',
      '--json',
    );
    expect(r.code).toBe(EXIT_CODE.crash);
    const out = JSON.parse(r.stdout) as { counterexample: { token: string } };
    expect(out).toMatchObject({
      verdict: 'counterexample',
      schedules: 89,
      byPreemptions: [89],
      byFaults: [32, 57],
      counterexample: {
        preemptions: 0,
        faults: 1,
        faultsFired: ['page.alloc@tt:5'],
        failure: { id: 'crash.exception', message: 'iommu:device:0: unmap of IOVA 6, which is not mapped' },
        steps: 24,
        choices: 25,
      },
    });
    const replay = cli('replay', out.counterexample.token, '--json');
    expect(replay.code).toBe(EXIT_CODE.crash);
    expect(JSON.parse(replay.stdout)).toMatchObject({
      failure: { message: 'iommu:device:0: unmap of IOVA 6, which is not mapped' },
    });
  }, 300_000);
});
