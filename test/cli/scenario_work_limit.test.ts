// `--work-limit N` as a user meets it: a scenario file whose estimated work is above the limit exits 2
// with one line naming the estimate, the limit and the flag; the flag (either spelling) raises the
// limit for the command and for the worker threads a sharded campaign starts; a bad value is bad input.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { EXIT_CODE } from '../../src/engine/types.ts';

const BIN = join(import.meta.dirname, '../../bin/ttm-sim.js');
const dir = mkdtempSync(join(tmpdir(), 'ttm-sim-work-limit-'));

function cli(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SMALL = 'examples/race-small.json';
const LOW = { TTM_SIM_WORK_LIMIT: '100' };

describe('--work-limit', () => {
  test('a file of 1 GiB faulted a thousand times: exit 2 at once, one line', () => {
    const huge = join(dir, 'huge.json');
    writeFileSync(
      huge,
      JSON.stringify({
        scenario: 'race',
        devices: [{ name: 'gpu0', vramKiB: 1 << 20, ttKiB: 1 << 20, ramPages: 1 << 20, swapPages: 1 << 20 }],
        bos: [{ name: 'big', kib: 1 << 20, placement: 'vram-or-tt' }],
        tasks: [{ name: 'f', kind: 'fault', bo: 'big', repeat: 1000 }],
      }),
    );
    for (const command of ['run', 'fuzz']) {
      const r = cli({}, command, '--scenario', huge);
      expect(r.code).toBe(EXIT_CODE.badInput);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        `ttm-sim: ${huge}: the scenario's estimated work is 262,668,288 page operations per run, above the limit of 100,000; make it smaller (most of it: tasks[0] "f", a fault task over 262144 pages 1000 times), or raise the limit with --work-limit 262668288\n`,
      );
    }
  });

  test('the flag raises the limit, in either spelling', () => {
    const refused = cli(LOW, 'run', '--scenario', SMALL, '--seed', '1');
    expect(refused.code).toBe(EXIT_CODE.badInput);
    expect(refused.stderr).toContain(
      'estimated work is 176 page operations per run, above the limit of 100;',
    );
    expect(cli(LOW, 'run', '--scenario', SMALL, '--seed', '1', '--work-limit', '176').code).toBe(
      EXIT_CODE.pass,
    );
    expect(cli(LOW, 'run', '--work-limit=176', '--scenario', SMALL, '--seed', '1').code).toBe(EXIT_CODE.pass);
    expect(cli(LOW, 'run', '--scenario', SMALL, '--seed', '1', '--work-limit', '175').code).toBe(
      EXIT_CODE.badInput,
    );
  });

  test('the worker threads of a sharded campaign get the raised limit', () => {
    const r = cli(
      LOW,
      'fuzz',
      '--scenario',
      SMALL,
      '--schedules',
      '2',
      '--workers',
      '2',
      '--work-limit',
      '200',
    );
    expect(r.stderr).not.toContain('estimated work');
    expect(r.code).toBe(EXIT_CODE.pass);
    expect(r.stdout).toContain('2 schedules in shards 0,1 of 2');
  });

  test('a value that is not a positive integer is bad input', () => {
    for (const v of ['abc', '0', '-5', '1e6']) {
      const r = cli({}, 'run', '--scenario', SMALL, '--work-limit', v);
      expect(r.code).toBe(EXIT_CODE.badInput);
      expect(r.stderr).toBe(
        `ttm-sim: --work-limit must be a positive integer (page operations per run a scenario file may take), got "${v}"\n`,
      );
    }
    const r = cli({}, 'run', '--scenario', SMALL, '--work-limit');
    expect(r.stderr).toBe(
      'ttm-sim: --work-limit must be a positive integer (page operations per run a scenario file may take), got nothing\n',
    );
  });
});
