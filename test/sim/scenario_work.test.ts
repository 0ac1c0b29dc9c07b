// The estimated work of a scenario file (page operations per run, src/sim/scenario_file/work.ts) and
// the limit above which a file is refused: exact estimates of the examples and of each part's formula,
// a file of 1 GiB faulted a thousand times refused with the estimate, the limit and the flag that
// raises it, the limit given as an option and through TTM_SIM_WORK_LIMIT, and files that amount to a
// built-in never refused (a built-in's work is known).

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import {
  DEFAULT_WORK_LIMIT,
  estimateWork,
  loadScenarioFile,
  WORK_LIMIT_ENV,
} from '../../src/sim/scenario_file.ts';
import { SCENARIOS } from '../../src/sim/scenarios/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'ttm-sim-work-'));
let files = 0;
function file(doc: unknown): string {
  const path = join(dir, `w${files++}.json`);
  writeFileSync(path, JSON.stringify(doc, null, 2));
  return path;
}

const HUGE = {
  scenario: 'race',
  devices: [{ name: 'gpu0', vramKiB: 1 << 20, ttKiB: 1 << 20, ramPages: 1 << 20, swapPages: 1 << 20 }],
  bos: [{ name: 'big', kib: 1 << 20, placement: 'vram-or-tt' }],
  tasks: [{ name: 'f', kind: 'fault', bo: 'big', repeat: 1000 }],
};

afterEach(() => {
  delete process.env[WORK_LIMIT_ENV];
});

describe('the estimate', () => {
  test('the examples and the built-ins a file can configure', () => {
    const ops = (path: string) => {
      const r = loadScenarioFile(path);
      if (!r.ok) throw new Error(r.reason);
      return estimateWork(r.scenario.config as Record<string, unknown>).ops;
    };
    expect(
      ['memory-small', 'race-small', 'race-two-devices', 'vram-tight'].map((f) => ops(`examples/${f}.json`)),
    ).toEqual([2720, 176, 112, 518]);
    const builtIn = Object.fromEntries(
      SCENARIOS.filter((s) =>
        ['vram-pressure', 'vram-pressure-large', 'memory-pressure', 'race'].includes(s.name),
      ).map((s) => [s.name, estimateWork(s.config as Record<string, unknown>).ops]),
    );
    expect(builtIn).toEqual({
      'vram-pressure': 1352,
      'vram-pressure-large': 4064,
      'memory-pressure': 7680,
      race: 274,
    });
    expect(Math.max(...Object.values(builtIn)) * 10).toBeLessThan(DEFAULT_WORK_LIMIT);
  });

  test('memory-pressure: 4 operations per BO page, one per reader, the watermark per kswapd wake-up', () => {
    const e = estimateWork({
      scenario: 'memory-pressure',
      writers: 2,
      bosPerWriter: 3,
      boPages: 10,
      readers: 5,
      kswapdWakeups: 7,
      watermarkPages: 11,
    });
    expect(e.ops).toBe(4 * 60 + 5 * 60 + 7 * 11);
    expect(e.parts.map((p) => p.ops)).toEqual([300, 240, 77]);
  });

  test('race: creation twice, a task its pages times its repeats, an evict the pages of its device', () => {
    const e = estimateWork({
      scenario: 'race',
      devices: [{ name: 'a' }, { name: 'b' }],
      bos: [
        { name: 'x', device: 'a', kib: 40 },
        { name: 'y', device: 'b', kib: 8 },
      ],
      tasks: [
        { kind: 'fault', name: 'f', bo: 'x', repeat: 3 },
        { kind: 'exec', name: 'e', bos: ['x', 'y'], repeat: 2 },
        { kind: 'evict', name: 'v', device: 'b', mem: 'vram', repeat: 5 },
        { kind: 'reclaim', name: 'r', device: 'a', mode: 'pool', pages: 7, repeat: 1 },
        { kind: 'put', name: 'p', bo: 'y' },
      ],
    });
    expect(e.parts).toEqual([
      { what: 'tasks[0] "f", a fault task over 10 pages 3 times', ops: 30 },
      { what: '2 BOs of 12 pages created, suspended and resumed', ops: 24 },
      { what: 'tasks[1] "e", an exec task over 12 pages 2 times', ops: 24 },
      { what: 'tasks[2] "v", an evict task over 2 pages 5 times', ops: 10 },
      { what: 'tasks[3] "r", a reclaim task over 7 pages 1 time', ops: 7 },
    ]);
    expect(e.ops).toBe(95);
  });
});

describe('the limit', () => {
  test('a file of 1 GiB faulted a thousand times is refused before anything runs', () => {
    const path = file(HUGE);
    expect(loadScenarioFile(path)).toEqual({
      ok: false,
      reason: `${path}: the scenario's estimated work is 262,668,288 page operations per run, above the limit of 100,000; make it smaller (most of it: tasks[0] "f", a fault task over 262144 pages 1000 times), or raise the limit with --work-limit 262668288`,
    });
  });

  test('raised by the option or by TTM_SIM_WORK_LIMIT, the same file loads', () => {
    const path = file(HUGE);
    expect(loadScenarioFile(path, { workLimit: 262_668_288 }).ok).toBe(true);
    expect(loadScenarioFile(path, { workLimit: 262_668_287 }).ok).toBe(false);
    process.env[WORK_LIMIT_ENV] = '262668288';
    expect(loadScenarioFile(path).ok).toBe(true);
  });

  test('lowered, a small file is refused; a bad variable is bad input', () => {
    process.env[WORK_LIMIT_ENV] = '100';
    const r = loadScenarioFile('examples/race-small.json');
    expect(r).toEqual({
      ok: false,
      reason:
        'examples/race-small.json: the scenario\'s estimated work is 176 page operations per run, above the limit of 100; make it smaller (most of it: tasks[0] "gfx", an exec task over 18 pages 3 times), or raise the limit with --work-limit 176',
    });
    process.env[WORK_LIMIT_ENV] = '1e6';
    expect(loadScenarioFile('examples/race-small.json')).toEqual({
      ok: false,
      reason: 'TTM_SIM_WORK_LIMIT must be a positive integer (page operations per run), got "1e6"',
    });
  });

  test('a file that amounts to a built-in is the built-in, whatever the limit', () => {
    process.env[WORK_LIMIT_ENV] = '1';
    const r = loadScenarioFile(file({ scenario: 'memory-pressure' }));
    expect(r.ok && r.scenario.name).toBe('memory-pressure');
  });
});
