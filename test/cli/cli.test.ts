// The ttm-sim command as a user runs it: exit codes, one-line errors without stack traces, JSON output,
// trace files whose bytes hash to the reported SHA-256, replay and selfcheck of tokens.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { encodeToken } from '../../src/engine/token.ts';
import { EXIT_CODE } from '../../src/engine/types.ts';
import { SCENARIOS } from '../../src/sim/scenarios/index.ts';

const BIN = join(import.meta.dirname, '../../bin/ttm-sim.js');
const SEED1_SHA = 'd9614473c06a341bacaf1c2ebbc434d463357830c0d7a70eeb64a99d24ce31d1';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(...args: string[]) {
  const r = cli(...args, '--json');
  return { code: r.code, value: JSON.parse(r.stdout) as Record<string, unknown> };
}

/** Base64url token bytes → mutated bytes with a recomputed checksum (to reach the later checks). */
function reseal(token: string, mutate: (bytes: Buffer) => void): string {
  const bytes = Buffer.from(token, 'base64url');
  const body = bytes.subarray(0, bytes.length - 4);
  mutate(body);
  const sum = createHash('sha256').update(body).digest().subarray(0, 4);
  return Buffer.concat([body, sum]).toString('base64url');
}

function expectBadInput(r: ReturnType<typeof cli>, mentions: string) {
  expect(r.code).toBe(EXIT_CODE.badInput);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^ttm-sim: /);
  expect(lines[0]).toContain(mentions);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('ttm-sim run / replay / selfcheck', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ttm-sim-cli-'));
  const first = json('run', '--scenario', 'vram-pressure', '--seed', '1', '--trace', join(dir, 'a.jsonl'));
  const token = String(first.value.token);

  test('run --json: exit 0 and one object with token, seed, steps, outcome, traceSha256', () => {
    expect(first.code).toBe(0);
    expect(first.value.seed).toBe('1');
    expect(first.value.steps).toBe(419);
    expect(first.value.outcome).toBe('pass');
    expect(first.value.traceSha256).toBe(SEED1_SHA);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  test('run --trace: the file is the canonical JSONL whose SHA-256 is the reported one', () => {
    const bytes = readFileSync(join(dir, 'a.jsonl'));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(SEED1_SHA);
    expect(bytes.toString('utf8').trimEnd().split('\n')).toHaveLength(419);
  });

  test('replay TOKEN: same steps and trace SHA-256, same trace bytes', () => {
    const r = json('replay', token, '--trace', join(dir, 'b.jsonl'));
    expect(r.code).toBe(0);
    expect(r.value.traceSha256).toBe(SEED1_SHA);
    expect(r.value.steps).toBe(419);
    expect(readFileSync(join(dir, 'b.jsonl'))).toEqual(readFileSync(join(dir, 'a.jsonl')));
  });

  test('selfcheck TOKEN: two runs identical → exit 0', () => {
    const r = cli('selfcheck', token);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`selfcheck: 2 runs identical, 419 steps, sha256 ${SEED1_SHA}\n`);
  });

  test('run without --json prints the summary with outcome, steps and token', () => {
    const r = cli('run', '--seed', '1');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('outcome     pass');
    expect(r.stdout).toContain('steps       419');
    expect(r.stdout).toContain(`token       ${token}`);
  });

  test('a deadlocking schedule is a liveness failure: exit 3 with the waits-for cycle', () => {
    const r = json('run', '--scenario', 'abba-deadlock', '--seed', '0');
    expect(r.code).toBe(EXIT_CODE.liveness);
    expect(r.value.outcome).toBe('liveness');
    expect(r.value.failure).toMatchObject({
      id: 'liveness.deadlock',
      message:
        'deadlock: task:ab waits for bo:1/resv held by task:ba → task:ba waits for bo:0/resv held by task:ab',
    });
  });

  test('scenarios --json lists every built-in scenario with its hash', () => {
    const r = cli('scenarios', '--json');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { name: string; hash: string }[];
    expect(rows.map((x) => x.name)).toEqual(SCENARIOS.map((s) => s.name));
    expect(rows.slice(0, 5).map((x) => x.name)).toEqual([
      'vram-pressure',
      'vram-pressure-large',
      'abba-deadlock',
      'abba-ww',
      'memory-pressure',
    ]);
    for (const row of rows) expect(row.hash).toMatch(/^[0-9a-f]{8}$/);
  });

  test('exit codes: 0 pass, 1 correctness, 2 bad input, 3 liveness, 4 crash', () => {
    expect(EXIT_CODE).toEqual({ pass: 0, correctness: 1, badInput: 2, liveness: 3, crash: 4 });
  });
});

describe('ttm-sim charts', () => {
  test('charts --format scxml --out DIR: one file per machine, each the exporter output', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttm-sim-charts-'));
    const r = cli('charts', '--format', 'scxml', '--out', dir);
    expect(r.code).toBe(0);
    const names = [
      'ttm_bo',
      'dma_resv',
      'ttm_resource',
      'ttm_resource_manager',
      'ttm_device',
      'task',
      'gpu_ring',
      'ttm_tt',
      'ttm_pool',
      'swap',
      'iommu',
      'shrinker',
    ];
    expect(r.stdout).toBe(names.map((n) => `${join(dir, `${n}.scxml`)}\n`).join(''));
    expect(readFileSync(join(dir, 'dma_resv.scxml'), 'utf8')).toContain(
      '<scxml xmlns="http://www.w3.org/2005/07/scxml"',
    );
  });

  test('charts prints Mermaid by default, each chart headed by its name', () => {
    const r = cli('charts');
    expect(r.code).toBe(0);
    expect(
      r.stdout.startsWith(
        '%% ttm_bo: drivers/gpu/drm/ttm/ttm_bo.c\n---\nconfig:\n  layout: dagre\n---\nstateDiagram-v2\n',
      ),
    ).toBe(true);
    expect(r.stdout.match(/^stateDiagram-v2$/gm)).toHaveLength(12);
  });
});

describe('ttm-sim trace', () => {
  test('trace TOKEN --perfetto FILE writes Trace Event JSON, identical bytes on a second run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttm-sim-perfetto-'));
    const token = String(json('run', '--seed', '1').value.token);
    const a = cli('trace', token, '--perfetto', join(dir, 'a.json'));
    const b = cli('trace', token, '--perfetto', join(dir, 'b.json'));
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(`wrote ${join(dir, 'a.json')}: 419 steps, outcome pass\n`);
    const bytes = readFileSync(join(dir, 'a.json'));
    expect(bytes).toEqual(readFileSync(join(dir, 'b.json')));
    expect(b.code).toBe(0);
    expect(
      (JSON.parse(bytes.toString('utf8')) as { traceEvents: unknown[] }).traceEvents.length,
    ).toBeGreaterThan(419);
  });
});

describe('ttm-sim view', () => {
  test('view TOKEN --out FILE writes one HTML file embedding the run; a failing run keeps its exit code', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttm-sim-view-'));
    const token = String(json('run', '--scenario', 'abba-deadlock', '--seed', '0').value.token);
    const r = cli('view', token, '--out', join(dir, 'dead.html'));
    expect(r.code).toBe(EXIT_CODE.liveness);
    expect(r.stdout).toBe(`wrote ${join(dir, 'dead.html')}: 6 steps, outcome liveness\n`);
    const html = readFileSync(join(dir, 'dead.html'), 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain(token);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
  });
});

describe('ttm-sim bad input: one line on stderr, exit 2, no stack trace', () => {
  const good = encodeToken({ seed: 1n, strategy: 'random', scenarioHash: '95ef300a'.padEnd(32, '0') });

  test('unknown scenario', () => expectBadInput(cli('run', '--scenario', 'nope'), 'unknown scenario "nope"'));
  test('seed that is not a number', () => expectBadInput(cli('run', '--seed', 'abc'), '--seed must be'));
  test('seed of 2^64', () => expectBadInput(cli('run', '--seed', '18446744073709551616'), '--seed must be'));
  test('unknown strategy', () =>
    expectBadInput(cli('run', '--strategy', 'dfs'), '--strategy must be one of random, fifo'));
  test('unknown option', () => expectBadInput(cli('run', '--bogus'), "see 'ttm-sim run --help'"));
  test('unknown command', () => expectBadInput(cli('explore'), 'unknown command "explore"'));
  test('unknown chart format', () =>
    expectBadInput(cli('charts', '--format', 'dot'), '--format must be one of mermaid, scxml, json'));
  test('missing token', () => expectBadInput(cli('replay'), 'missing TOKEN'));
  test('view without --out', () => expectBadInput(cli('view', 'x'), '--out FILE.html is required'));
  test('trace without --perfetto', () =>
    expectBadInput(
      cli('trace', encodeToken({ seed: 1n, strategy: 'random', scenarioHash: '95ef300a'.padEnd(32, '0') })),
      '--perfetto FILE is required',
    ));
  test('truncated token', () => expectBadInput(cli('replay', good.slice(0, 12)), 'token is truncated'));
  test('bad checksum', () => {
    const mid = Math.floor(good.length / 2);
    const flipped = good.slice(0, mid) + (good[mid] === 'A' ? 'B' : 'A') + good.slice(mid + 1);
    expectBadInput(cli('replay', flipped), 'checksum');
  });
  test('wrong format version', () => {
    const v9 = reseal(good, (b) => {
      b[0] = 9;
    });
    expectBadInput(cli('replay', v9), 'token format version 9 is not supported');
  });
  test('token of another scenario', () => {
    const other = encodeToken({ seed: 1n, strategy: 'random', scenarioHash: '00'.repeat(16) });
    expectBadInput(cli('replay', other), 'the token is for scenario 00000000');
  });
  test('characters outside base64url', () => expectBadInput(cli('replay', 'not a token!'), 'base64url'));
});

describe('ttm-sim output into a closed pipe', () => {
  test('oracles | head -1: the reader closes the pipe → exit 0, nothing on stderr', () => {
    const r = spawnSync(
      'bash',
      ['-c', `"${process.execPath}" "${BIN}" oracles | head -1; echo "status \${PIPESTATUS[0]}"`],
      {
        encoding: 'utf8',
      },
    );
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('bo.move-to-lru-tail.resv-held  [kernel, call]');
    expect(lines.at(-1)).toBe('status 0');
    expect(r.stderr).toBe('');
  });
});
