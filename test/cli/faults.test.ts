// `ttm-sim faults`: the fault-site table as a user gets it, text and --json, and its argument errors.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { faultSiteRows } from '../../src/cli/faults.ts';
import { EXIT_CODE } from '../../src/engine/types.ts';
import { FAULT_SITES } from '../../src/kernel/faults.ts';

const BIN = join(import.meta.dirname, '../../bin/ttm-sim.js');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('ttm-sim faults', () => {
  test('--json: every site with what fails, errno, upstream functions, modes and its audit entries; the audit totals', () => {
    const r = cli('faults', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      sites: { id: string; errno: string; modes: string[]; errorPaths: number; upstream: string[] }[];
      errorPaths: Record<string, number>;
    };
    expect(out.sites.map((s) => s.id)).toEqual([...FAULT_SITES]);
    expect(out.sites.find((s) => s.id === 'resv.reserve')).toEqual({
      id: 'resv.reserve',
      fails: 'dma_resv_reserve_fences cannot grow the fence list',
      errno: '-ENOMEM',
      upstream: [
        'ttm_bo_alloc_resource',
        'ttm_bo_add_move_fence',
        'ttm_bo_handle_move_mem',
        'ttm_buffer_object_transfer',
      ],
      evaluatedIn: 'kernel',
      modes: ['uniform', 'buggify', 'mixed'],
      errorPaths: 5,
    });
    expect(out.errorPaths).toEqual({ total: 155, state: 38, fault: 37, callee: 77, unmodelled: 3 });
    for (const s of out.sites) expect(s.errorPaths).toBeGreaterThan(0);
  });

  test('text: a block per site and the closing count', () => {
    const r = cli('faults');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'driver.move.copy  -ENOMEM  [kernel; uniform, buggify, mixed; 1 upstream error return]\n',
    );
    expect(
      r.stdout.endsWith(
        '20 fault sites; the error-path audit lists 155 upstream error returns: 38 reached by state, 37 by a fault site, 77 passed up from a callee, 3 not modelled\n',
      ),
    ).toBe(true);
  });

  test('bad input: --schedules without --scenarios, a stray argument → exit 2 with one line', () => {
    const a = cli('faults', '--schedules', '3');
    expect([a.code, a.stderr]).toEqual([
      EXIT_CODE.badInput,
      'ttm-sim: faults: --schedules only applies with --scenarios; add --scenarios or drop --schedules\n',
    ]);
    const b = cli('faults', 'x');
    expect([b.code, b.stderr]).toEqual([
      EXIT_CODE.badInput,
      'ttm-sim: faults: unexpected argument "x"; see \'ttm-sim faults --help\'\n',
    ]);
  });

  test('faultSiteRows with scenarios: the rows carry the scenario lists given', () => {
    const rows = faultSiteRows(new Map([['vm.dummy_page', ['hot-unplug']]]));
    expect(rows.find((r) => r.id === 'vm.dummy_page')!.scenarios).toEqual(['hot-unplug']);
    expect(rows.find((r) => r.id === 'page.alloc')!.scenarios).toEqual([]);
  });
});
