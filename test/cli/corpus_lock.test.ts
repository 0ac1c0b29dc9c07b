// A campaign locks its corpus directory (src/cli/corpus_lock.ts): a second campaign on it is refused at
// once with the holder's pid, a lock left by a killed campaign is taken over and the campaign resumes,
// a lock from another host counts while its holder refreshes it, and a pid reused by another process is
// not taken for the holder. The live holders are real ttm-sim processes; the rest runs in this process.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import { EXIT_CODE } from '../../src/engine/types.ts';
import { cli } from './in_process.ts';

const BIN = join(import.meta.dirname, '../../bin/ttm-sim.js');

const CAMPAIGN = ['fuzz', '--scenario', 'vram-pressure', '--faults', 'off', '--no-shrink'];

/** Resolve when `cond` holds (polled), or fail after `ms`; the child's exit fails it too. */
async function until(cond: () => boolean, child: ChildProcess, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (child.exitCode !== null) throw new Error(`the campaign exited early with ${child.exitCode}`);
    if (Date.now() > end) throw new Error('timed out waiting for the campaign');
    await sleep(50);
  }
}

function startCampaign(dir: string): ChildProcess {
  return spawn(process.execPath, [BIN, ...CAMPAIGN, '--time-budget', '120s', '--corpus', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r(child.exitCode);
    else child.on('exit', (code) => r(code));
  });
}

function startOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

describe('a campaign locks its corpus directory', () => {
  test('a second campaign on a live one is refused at once with the holder pid; the first saves on Ctrl-C', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttm-sim-lock-'));
    const child = startCampaign(dir);
    try {
      await until(() => existsSync(join(dir, 'campaign.json')), child, 60_000);
      const lock = JSON.parse(readFileSync(join(dir, 'campaign.lock'), 'utf8'));
      expect(lock).toEqual({ pid: child.pid, host: hostname(), start: startOf(child.pid!) });
      const second = await cli([...CAMPAIGN, '--schedules', '5', '--corpus', dir]);
      expect(second).toEqual({
        code: EXIT_CODE.badInput,
        stdout: '',
        stderr: `ttm-sim: --corpus: ${join(dir, 'campaign.lock')} is held by the campaign of pid ${child.pid}; wait for it to finish (or stop it with Ctrl-C), or use another --corpus directory\n`,
      });
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited(child)).toBe(130);
    // The first campaign saved its state and gave the lock back; nothing else is left.
    expect(readdirSync(dir)).toEqual(['campaign.json']);
    const saved = JSON.parse(readFileSync(join(dir, 'campaign.json'), 'utf8'));
    expect(saved.next).toBeGreaterThan(0);
  }, 120_000);

  test('a lock left by a killed campaign is taken over, and the campaign resumes where it was saved', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttm-sim-lock-'));
    const child = startCampaign(dir);
    try {
      await until(() => existsSync(join(dir, 'campaign.json')), child, 60_000);
    } finally {
      child.kill('SIGKILL');
    }
    await exited(child);
    expect(readdirSync(dir).sort()).toEqual(['campaign.json', 'campaign.lock']);
    const next = JSON.parse(readFileSync(join(dir, 'campaign.json'), 'utf8')).next as number;
    const r = await cli([...CAMPAIGN, '--schedules', String(next + 3), '--corpus', dir, '--json']);
    expect(r.code).toBe(EXIT_CODE.pass);
    const report = JSON.parse(r.stdout);
    expect({ resumedAt: report.resumedAt, schedules: report.schedules, ranNow: report.ranNow }).toEqual({
      resumedAt: next,
      schedules: next + 3,
      ranNow: 3,
    });
    expect(readdirSync(dir)).toEqual(['campaign.json']);
  }, 120_000);

  test('a lock of this pid with another start time (a reused pid) is stale: taken over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttm-sim-lock-'));
    const start = String(Number(startOf(process.pid)) + 1);
    writeFileSync(join(dir, 'campaign.lock'), JSON.stringify({ pid: process.pid, host: hostname(), start }));
    const r = await cli([
      'fuzz',
      '--scenario',
      'abba-ww',
      '--schedules',
      '2',
      '--faults',
      'off',
      '--corpus',
      dir,
    ]);
    expect(r.code).toBe(EXIT_CODE.pass);
    expect(readdirSync(dir)).toEqual(['campaign.json']);
  });

  test('a lock of a pid that no process has is stale; an unreadable lock file is too', async () => {
    for (const text of [JSON.stringify({ pid: 2 ** 22 + 1, host: hostname(), start: '1' }), '', '{"pid":']) {
      const dir = mkdtempSync(join(tmpdir(), 'ttm-sim-lock-'));
      writeFileSync(join(dir, 'campaign.lock'), text);
      const r = await cli([
        'fuzz',
        '--scenario',
        'abba-ww',
        '--schedules',
        '2',
        '--faults',
        'off',
        '--corpus',
        dir,
      ]);
      expect(r.code).toBe(EXIT_CODE.pass);
      expect(readdirSync(dir)).toEqual(['campaign.json']);
    }
  });

  test("taking over a dead holder's lock removes the temporary files it left, not a live process's", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttm-sim-lock-'));
    const dead = 2 ** 22 + 1; // above the largest pid Linux hands out (pid_max <= 2^22)
    writeFileSync(join(dir, 'campaign.lock'), JSON.stringify({ pid: dead, host: hostname(), start: '5' }));
    for (const name of [
      `.campaign.json.tmp-${dead}-3`,
      `campaign.lock.new-${dead}`,
      `.x.tmp-${process.pid}-1`,
    ]) {
      writeFileSync(join(dir, name), 'partial');
    }
    const r = await cli([
      'fuzz',
      '--scenario',
      'abba-ww',
      '--schedules',
      '2',
      '--faults',
      'off',
      '--corpus',
      dir,
    ]);
    expect(r.code).toBe(EXIT_CODE.pass);
    expect(readdirSync(dir).sort()).toEqual([`.x.tmp-${process.pid}-1`, 'campaign.json']);
  });

  test('a lock from another host holds while it is refreshed, and is stale after 60 s without', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttm-sim-lock-'));
    const lock = join(dir, 'shard-1-of-4.lock');
    writeFileSync(lock, JSON.stringify({ pid: 7, host: 'pod-3', start: '99' }));
    const args = ['fuzz', '--scenario', 'abba-ww', '--schedules', '8', '--faults', 'off', '--corpus', dir];
    const held = await cli([...args, '--shard', '1/4']);
    expect(held.code).toBe(EXIT_CODE.badInput);
    expect(held.stderr).toBe(
      `ttm-sim: --corpus: ${lock} is held by the campaign of pid 7 on host pod-3; wait for it to finish (or stop it with Ctrl-C), or use another --corpus directory\n`,
    );
    // Another slice of the same campaign in the same directory (the Kubernetes recipe) is not held.
    const other = await cli([...args, '--shard', '2/4']);
    expect(other.code).toBe(EXIT_CODE.pass);
    const old = new Date(Date.now() - 61_000);
    utimesSync(lock, old, old);
    const taken = await cli([...args, '--shard', '1/4']);
    expect(taken.code).toBe(EXIT_CODE.pass);
    expect(readdirSync(dir).sort()).toEqual(['shard-1-of-4.json', 'shard-2-of-4.json']);
  });
});
