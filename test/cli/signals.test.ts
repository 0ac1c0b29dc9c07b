// Signals as a user sends them: SIGINT (Ctrl-C) and SIGTERM (a job engine stopping a pod) stop a
// campaign between two schedules, save its corpus and print its report, with 130 and 143 as the exit
// code when nothing was found; `stress` prints the report of the runs done.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, test } from 'vitest';
import { EXIT_CODE } from '../../src/engine/types.ts';

const BIN = join(import.meta.dirname, '../../bin/ttm-sim.js');
const root = mkdtempSync(join(tmpdir(), 'ttm-sim-signals-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function start(args: readonly string[]): {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
  progressed: Promise<void>;
} {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // The first progress line on stderr: the command is past its start-up, running.
  const progressed = new Promise<void>((resolve) => child.stderr!.once('data', () => resolve()));
  return { child, out: () => stdout, exited, progressed };
}

async function waitFor(path: string): Promise<void> {
  for (let i = 0; i < 600 && !existsSync(path); i++) await sleep(100);
}

describe('stop signals', () => {
  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    test(`fuzz on this thread: ${signal} saves the corpus, prints the report, exits ${code}; the same command resumes`, async () => {
      const dir = join(root, `fuzz-${signal}`);
      const args = ['fuzz', '--scenario', 'vram-pressure', '--corpus', dir];
      const run = start([...args, '--schedules', '100000', '--json']);
      // The corpus is written after the first 2 s of schedules; stop the campaign once it is there.
      await waitFor(join(dir, 'campaign.json'));
      run.child.kill(signal);
      expect(await run.exited).toBe(code);
      const report = JSON.parse(run.out());
      expect(report.stopped).toBe('interrupted');
      const saved = JSON.parse(readFileSync(join(dir, 'campaign.json'), 'utf8'));
      expect(saved.next).toBe(report.schedules);
      expect(report.schedules).toBeGreaterThan(0);
      // Resumed with one schedule more than the interrupted run made: it runs exactly that one.
      const again = spawnSync(
        process.execPath,
        [BIN, ...args, '--schedules', String(report.schedules + 1), '--json'],
        { encoding: 'utf8' },
      );
      expect(again.status).toBe(EXIT_CODE.pass);
      expect(JSON.parse(again.stdout)).toMatchObject({ stopped: 'done', schedules: report.schedules + 1 });
    });
  }

  test('fuzz --workers 2: SIGTERM raises every slice stop flag, each slice saves its file, exit 143', async () => {
    const dir = join(root, 'sliced');
    const run = start([
      'fuzz',
      '--scenario',
      'vram-pressure',
      '--workers',
      '2',
      '--corpus',
      dir,
      '--schedules',
      '100000',
    ]);
    await waitFor(join(dir, 'shard-0-of-2.json'));
    await waitFor(join(dir, 'shard-1-of-2.json'));
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(143);
    expect(run.out()).toMatch(/; interrupted \(run the same command to resume\)\n {2}corpus /);
  });

  test('a suite: SIGTERM stops the running campaign with its corpus saved; exit 143', async () => {
    const dir = join(root, 'suite');
    const run = start([
      'fuzz',
      '--scenario',
      'vram-pressure',
      '--scenario',
      'small',
      '--corpus',
      dir,
      '--schedules',
      '200000',
      '--json',
    ]);
    await waitFor(join(dir, 'vram-pressure', 'campaign.json'));
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(143);
    const report = JSON.parse(run.out());
    expect(report.run.stopped).toBe('interrupted');
    expect(report.complete).toBe(false);
  });

  test('stress: Ctrl-C after the run in progress prints the report of the runs done and exits 130', async () => {
    // Without a terminal, a progress line every tenth of the runs: the first says the loop is running.
    const run = start(['stress', '--scenario', 'stress-pte', '--runs', '1000', '--json']);
    await run.progressed;
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    const report = JSON.parse(run.out());
    expect(report).toMatchObject({
      scenario: 'stress-pte',
      runs: 1000,
      interrupted: 'SIGINT',
      failures: 0,
    });
    expect(report.ran).toBeGreaterThan(0);
    expect(report.ran).toBeLessThan(1000);
    expect(report.segmentsPerRun).toBeGreaterThan(0);
  });

  test('stress: SIGTERM gives the same partial report in words, exit 143', async () => {
    const run = start(['stress', '--scenario', 'stress-pte', '--runs', '1000']);
    await run.progressed;
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(143);
    const lines = run.out().split('\n');
    expect(lines[0]).toBe('ttm-sim stress --scenario stress-pte --threads 4 --runs 1000');
    expect(lines[1]).toMatch(
      /^ {2}runs {10}\d+ of 1000 \(interrupted by SIGTERM\) in [0-9.]+ s, 0 failing \(0 signatures\)$/,
    );
    expect(lines.at(-2)).toBe('  no failure');
  });
});
