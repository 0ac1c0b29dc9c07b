// Tokens of a scenario file, end to end: a campaign of a file prints the command that looks at its
// failure with --scenario FILE, and that command works as printed; the token then goes through replay,
// selfcheck, shrink, trace, view and inevitable with the file. Without the file, or with a file of another
// configuration, the token is refused naming the hashes. A file that amounts to a built-in scenario
// gives the built-in's tokens, byte for byte.

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { describeHash, scenarioHash } from '../../src/engine/token.ts';
import { EXIT_CODE } from '../../src/engine/types.ts';
import { loadScenarioFile } from '../../src/sim/scenario_file.ts';

const BIN = join(import.meta.dirname, '../../bin/ttm-sim.js');
const EXAMPLE = 'examples/memory-small.json';
const dir = mkdtempSync(join(tmpdir(), 'ttm-sim-file-tokens-'));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function hashOf(path: string): string {
  const r = loadScenarioFile(path);
  if (!r.ok) throw new Error(r.reason);
  return scenarioHash(r.scenario.config);
}

/** The first failure of a short campaign of the example with the stale-restore bug put back. */
const FUZZ_TOKEN =
  'AQAAAAAAAAADAiJjqrapWdi7NHJ3h1NeWxwGAxYBGHBvb2wtcmVzdG9yZS1zdGFsZS1zdGF0ZScFCgEBAQcxAQUGBgEBAgcGNAkCAQIBCgEJAwkDAwEMFwEFAQsHAQv78yFf';

describe('a scenario file token through every command', () => {
  test('the example configures memory-pressure, not a built-in: its hash is its own', () => {
    expect(describeHash(hashOf(EXAMPLE))).toBe('2263aab6');
  });

  test('fuzz --scenario FILE prints a shrink command that works verbatim', () => {
    const fuzz = cli(
      'fuzz',
      '--scenario',
      EXAMPLE,
      '--schedules',
      '8',
      '--no-shrink',
      '--mutation',
      'pool-restore-stale-state',
    );
    expect(fuzz.code).toBe(EXIT_CODE.correctness);
    expect(fuzz.stdout).toContain(`     token   ${FUZZ_TOKEN}\n`);
    const line = fuzz.stdout.split('\n').find((l) => l.startsWith('     shrink  '));
    expect(line).toBe(`     shrink  ttm-sim shrink ${FUZZ_TOKEN} --scenario ${EXAMPLE}`);
    // Run it as printed (the words after 'ttm-sim').
    const words = line!.trim().split(/\s+/).slice(2);
    const shrink = cli(...words, '--json');
    expect(shrink.code).toBe(EXIT_CODE.correctness);
    const out = JSON.parse(shrink.stdout) as { replays: boolean; signature: string; token: string };
    expect(out.replays).toBe(true);
    expect(out.signature).toBe('tt.restore.post | tt | populated | ');
    // The shrunk token goes on like any other, with the file.
    const replay = cli('replay', out.token, '--scenario', EXAMPLE, '--json');
    expect(replay.code).toBe(EXIT_CODE.correctness);
    expect((JSON.parse(replay.stdout) as { failure: { id: string } }).failure.id).toBe('tt.restore.post');
  });

  test('a sharded campaign of the file prints the command with the file; merged from corpora, with FILE', () => {
    const args = [
      'fuzz',
      '--scenario',
      EXAMPLE,
      '--schedules',
      '8',
      '--no-shrink',
      '--mutation',
      'pool-restore-stale-state',
    ];
    const sliced =
      'AQAAAAAAAAAGAiJjqrapWdi7NHJ3h1NeWxwGAxYBGHBvb2wtcmVzdG9yZS1zdGFsZS1zdGF0ZRYbZR0IBAQGCgIOAgwHAwENBwMFBgQI2FtT8A';
    const workers = cli(...args, '--workers', '2');
    expect(workers.code).toBe(EXIT_CODE.correctness);
    expect(workers.stdout).toContain(`     shrink  ttm-sim shrink ${sliced} --scenario ${EXAMPLE}\n`);
    const a = join(dir, 'shard-a');
    const b = join(dir, 'shard-b');
    expect(cli(...args, '--shard', '0/2', '--corpus', a).code).toBe(EXIT_CODE.correctness);
    // Slice 1 (schedules 1, 3, 5, 7) passes: the failure is slice 0's schedule 6.
    expect(cli(...args, '--shard', '1/2', '--corpus', b).code).toBe(EXIT_CODE.pass);
    const merged = cli('corpus', 'merge', a, b);
    expect(merged.code).toBe(EXIT_CODE.correctness);
    expect(merged.stdout).toContain(`     shrink  ttm-sim shrink ${sliced} --scenario FILE\n`);
  });

  test('replay, selfcheck, trace and view take the token with --scenario FILE', () => {
    const replay = cli('replay', FUZZ_TOKEN, '--scenario', EXAMPLE, '--json');
    expect(replay.code).toBe(EXIT_CODE.correctness);
    const run = JSON.parse(replay.stdout) as { token: string; steps: number; traceSha256: string };
    expect(run.token).toBe(FUZZ_TOKEN);
    expect(run.steps).toBe(136);

    const self = cli('selfcheck', FUZZ_TOKEN, '--scenario', EXAMPLE, '--json');
    expect(self.code).toBe(EXIT_CODE.pass);
    const sc = JSON.parse(self.stdout) as { identical: boolean; traceSha256: string[] };
    expect(sc.identical).toBe(true);
    expect(sc.traceSha256).toEqual([run.traceSha256, run.traceSha256]);

    const perfetto = join(dir, 'run.json');
    const trace = cli('trace', FUZZ_TOKEN, '--scenario', EXAMPLE, '--perfetto', perfetto);
    expect(trace.code).toBe(EXIT_CODE.correctness);
    expect(trace.stdout).toBe(`wrote ${perfetto}: 136 steps, outcome correctness\n`);
    expect(readFileSync(perfetto, 'utf8')).toContain(FUZZ_TOKEN);

    const html = join(dir, 'run.html');
    const view = cli('view', FUZZ_TOKEN, '--scenario', EXAMPLE, '--out', html);
    expect(view.code).toBe(EXIT_CODE.correctness);
    expect(view.stdout).toBe(`wrote ${html}: 136 steps, outcome correctness\n`);
    expect(readFileSync(html, 'utf8')).toContain(FUZZ_TOKEN);
  });

  test('inevitable takes it too', () => {
    const r = cli('inevitable', FUZZ_TOKEN, '--scenario', EXAMPLE, '--tails', '2', '--json');
    expect(r.code).toBe(EXIT_CODE.correctness);
    const out = JSON.parse(r.stdout) as { signature: string; steps: number };
    expect([out.signature, out.steps]).toEqual(['tt.restore.post | tt | populated | ', 136]);
  });

  test('without the file, the token is refused with the way to give it', () => {
    for (const command of ['replay', 'selfcheck', 'shrink']) {
      const r = cli(command, FUZZ_TOKEN);
      expect(r.code).toBe(EXIT_CODE.badInput);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        `ttm-sim: the token is for scenario 2263aab6, which is none of this build's built-in scenarios: a token of a scenario file runs with the file, 'ttm-sim ${command} TOKEN --scenario FILE' (or the token was made by a build with another scenario set; 'ttm-sim scenarios' shows the hashes here)\n`,
      );
    }
  });

  test('a file whose configuration changed is refused, naming both hashes', () => {
    const edited = join(dir, 'edited.json');
    writeFileSync(edited, readFileSync(EXAMPLE, 'utf8').replace('"readers": 1', '"readers": 2'));
    const have = describeHash(hashOf(edited));
    expect(have).not.toBe('2263aab6');
    for (const args of [
      ['replay', FUZZ_TOKEN],
      ['trace', FUZZ_TOKEN, '--perfetto', join(dir, 'x.json')],
      ['view', FUZZ_TOKEN, '--out', join(dir, 'x.html')],
    ]) {
      const r = cli(...args, '--scenario', edited);
      expect(r.code).toBe(EXIT_CODE.badInput);
      expect(r.stderr).toBe(
        `ttm-sim: --scenario ${edited}: the token is for scenario 2263aab6, but the file's configuration hash is ${have}; give the file the token was made from, as it was then (a changed setting is another scenario)\n`,
      );
    }
    // A built-in named instead of a file: refused the same way.
    const builtIn = cli('replay', FUZZ_TOKEN, '--scenario', 'race');
    expect(builtIn.code).toBe(EXIT_CODE.badInput);
    expect(builtIn.stderr).toBe(
      "ttm-sim: --scenario race: the token is for scenario 2263aab6, but that scenario's configuration hash is 9916145f; give the scenario the token was made from ('ttm-sim scenarios' shows the hashes)\n",
    );
    // The same settings in another file, another layout: the same configuration, accepted.
    const copy = join(dir, 'copy.json');
    copyFileSync(EXAMPLE, copy);
    writeFileSync(copy, JSON.stringify(JSON.parse(readFileSync(EXAMPLE, 'utf8'))));
    expect(cli('replay', FUZZ_TOKEN, '--scenario', copy).code).toBe(EXIT_CODE.correctness);
  });

  test('a file that amounts to a built-in gives the built-in token, and replays without --scenario', () => {
    const file = join(dir, 'vp.json');
    writeFileSync(file, '{ "scenario": "vram-pressure" }\n');
    const a = cli('run', '--scenario', file, '--seed', '3', '--json');
    const b = cli('run', '--scenario', 'vram-pressure', '--seed', '3', '--json');
    const token = (JSON.parse(a.stdout) as { token: string }).token;
    expect(token).toBe('AQAAAAAAAAADAISuyq1GWq5kHSxDIFim760AxICJ7g');
    expect((JSON.parse(b.stdout) as { token: string }).token).toBe(token);
    expect(cli('replay', token).code).toBe(EXIT_CODE.pass);
    expect(cli('replay', token, '--scenario', file).code).toBe(EXIT_CODE.pass);
  });
});
