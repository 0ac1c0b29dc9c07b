// The ttm-sim command with the priority strategies: `run --strategy pct:D[:K]` and `pos` print tokens
// that carry the strategy and its parameters and replay to the same SHA-256; bad forms are bad input
// with one line listing the valid forms; the run help documents them.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { decodeToken } from '../../src/engine/token.ts';
import { EXIT_CODE } from '../../src/engine/types.ts';

const BIN = join(import.meta.dirname, '../../bin/ttm-sim.js');
const PCT2_SEED1_SHA = 'c039cc702832112ce00467859ae431af57a9578ad143d8b02774cca83a514e34';
const POS_SEED1_SHA = '92583b26bcc762d1dbb5624f13162a919e0ba483006fcd6430f1c727c6f855d9';
const FORMS = 'random, fifo, pos, pct:D or pct:D:K (D in 1..3, K in 1..1000000000, default 1000)';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(...args: string[]) {
  const r = cli(...args, '--json');
  return { code: r.code, value: JSON.parse(r.stdout) as Record<string, unknown> };
}

function expectBadInput(r: ReturnType<typeof cli>, line: string) {
  expect(r.code).toBe(EXIT_CODE.badInput);
  expect(r.stdout).toBe('');
  expect(r.stderr).toBe(`ttm-sim: ${line}\n`);
}

describe('ttm-sim run --strategy pct / pos', () => {
  const pct = json('run', '--scenario', 'vram-pressure', '--seed', '1', '--strategy', 'pct:2');
  const token = String(pct.value.token);

  test('run --strategy pct:2 --json: vram-pressure seed 1 → exit 0, pct:2:1000, 334 steps, pinned SHA-256', () => {
    expect(pct.code).toBe(0);
    expect(pct.value).toMatchObject({
      strategy: 'pct:2:1000',
      steps: 334,
      choices: 310,
      outcome: 'pass',
      traceSha256: PCT2_SEED1_SHA,
    });
  });

  test('run --strategy pct:2: token → version 1, strategy pct, depth 2, k 1000, 46 characters', () => {
    const d = decodeToken(token);
    expect(d.ok && d.token).toMatchObject({
      version: 1,
      seed: 1n,
      strategy: 'pct',
      strategyParams: { depth: 2, k: 1000 },
    });
    expect(token).toHaveLength(46);
  });

  test('replay: token of a pct:2 run → same SHA-256 and steps, title names pct:2:1000', () => {
    const r = json('replay', token);
    expect(r.code).toBe(0);
    expect(r.value).toMatchObject({ strategy: 'pct:2:1000', steps: 334, traceSha256: PCT2_SEED1_SHA });
    expect(cli('replay', token).stdout.split('\n')[0]).toBe(
      'ttm-sim replay: vram-pressure --seed 1 --strategy pct:2:1000',
    );
  });

  test('selfcheck: token of a pct:2 run → two runs identical, exit 0', () => {
    const r = cli('selfcheck', token);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`selfcheck: 2 runs identical, 334 steps, sha256 ${PCT2_SEED1_SHA}\n`);
  });

  test('run --strategy pos | pct:1:50 | pct:3: replay of each token → the SHA-256 of the run', () => {
    const shas: Record<string, string> = {};
    for (const form of ['pos', 'pct:1:50', 'pct:3']) {
      const run = json('run', '--seed', '1', '--strategy', form);
      expect(run.code).toBe(0);
      const replay = json('replay', String(run.value.token));
      expect(replay.value.traceSha256).toBe(run.value.traceSha256);
      expect(replay.value.strategy).toBe(run.value.strategy);
      shas[String(run.value.strategy)] = String(run.value.traceSha256);
    }
    expect(Object.keys(shas)).toEqual(['pos', 'pct:1:50', 'pct:3:1000']);
    expect(shas.pos).toBe(POS_SEED1_SHA);
    expect(new Set(Object.values(shas)).size).toBe(3);
  });

  test('run --strategy pct:2 without --json → title names pct:2:1000', () => {
    const r = cli('run', '--seed', '1', '--strategy', 'pct:2');
    expect(r.stdout.split('\n')[0]).toBe('ttm-sim run vram-pressure --seed 1 --strategy pct:2:1000');
    expect(r.stdout).toContain(`sha256 ${PCT2_SEED1_SHA}`);
  });

  test('run --help → lists every strategy form, the default K and the PCT bound', () => {
    const r = cli('run', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('[--strategy S]');
    for (const form of ['random ', 'fifo ', 'pos ', 'pct:D ', 'pct:D:K ', 'default 1000', '1/(n*K^(D-1))']) {
      expect(r.stdout).toContain(form);
    }
  });
});

describe('ttm-sim run --strategy: bad input (exit 2, one line listing the valid forms)', () => {
  test('run --strategy dfs → exit 2, the forms line', () =>
    expectBadInput(cli('run', '--strategy', 'dfs'), `--strategy must be one of ${FORMS}, got "dfs"`));

  test('run --strategy pct | pct:x | random:1 → exit 2, the forms line', () => {
    for (const bad of ['pct', 'pct:x', 'random:1']) {
      expectBadInput(cli('run', '--strategy', bad), `--strategy must be one of ${FORMS}, got "${bad}"`);
    }
  });

  test('run --strategy pct:4 → exit 2, the forms line and the depth range', () =>
    expectBadInput(
      cli('run', '--strategy', 'pct:4'),
      `--strategy must be one of ${FORMS}, got "pct:4": pct depth must be an integer in 1..3, got 4`,
    ));

  test('run --strategy pct:3:1 → exit 2, the forms line and the k range', () =>
    expectBadInput(
      cli('run', '--strategy', 'pct:3:1'),
      `--strategy must be one of ${FORMS}, got "pct:3:1": pct k must be an integer in 2..1000000000 for depth 3, got 1`,
    ));

  test('replay: pct token with depth byte 9, re-checksummed → exit 2, bad strategy parameters', () => {
    const pctToken = String(json('run', '--seed', '1', '--strategy', 'pct:2').value.token);
    const bytes = Buffer.from(pctToken, 'base64url');
    const body = Buffer.from(bytes.subarray(0, bytes.length - 4));
    body[27] = 9;
    const sum = createHash('sha256').update(body).digest().subarray(0, 4);
    const bad = Buffer.concat([body, sum]).toString('base64url');
    expectBadInput(
      cli('replay', bad),
      'bad token: token has bad strategy parameters: pct depth must be an integer in 1..3, got 9',
    );
  });
});
