// run and replay name the mutations that are on, as they name designs: a `mutations` line in the
// summary and a `mutations` member in --json (absent when none is on). And shrink's candidate runs get
// a campaign's calibrated step budget: the README's stale-restore example shrinks to the same result.

import { describe, expect, test } from 'vitest';
import { EXIT_CODE } from '../../src/engine/types.ts';
import { cli } from './in_process.ts';

const STALE = ['--scenario', 'memory-pressure', '--seed', '129', '--mutation', 'pool-restore-stale-state'];

describe('the mutations that are on are named', () => {
  test('run --json and replay --json: mutations, sorted canonical specs; none: no member', async () => {
    const r = await cli(['run', ...STALE, '--mutation', 'swapout-busy-zombie-progress', '--json']);
    expect(r.code).toBe(EXIT_CODE.correctness);
    const j = JSON.parse(r.stdout);
    expect(j.mutations).toEqual(['pool-restore-stale-state', 'swapout-busy-zombie-progress']);
    const again = await cli(['replay', j.token, '--json']);
    expect(JSON.parse(again.stdout).mutations).toEqual(j.mutations);
    const plain = await cli(['run', '--scenario', 'small', '--seed', '3', '--json']);
    expect(plain.code).toBe(EXIT_CODE.pass);
    expect(Object.keys(JSON.parse(plain.stdout))).not.toContain('mutations');
  });

  test('run and replay summaries have a mutations line; a parameter keeps its value', async () => {
    const r = await cli([
      'run',
      '--scenario',
      'calibrate',
      '--seed',
      '2',
      '--mutation',
      'calibrator-starvation=3',
    ]);
    expect(r.stdout.split('\n')[0]).toBe(
      'ttm-sim run calibrate --seed 2 --strategy random --mutation calibrator-starvation=3',
    );
    const line = r.stdout.split('\n').find((l) => l.startsWith('  mutations'));
    expect(line).toBe('  mutations   calibrator-starvation=3');
    const token = /token {7}(\S+)/.exec(r.stdout)?.[1];
    const again = await cli(['replay', token!]);
    expect(again.stdout.split('\n').find((l) => l.startsWith('  mutations'))).toBe(line);
    expect(again.code).toBe(r.code);
  });
});

describe('shrink keeps to its budget', () => {
  test('the stale-restore example: 10 → 0 preemptions, task:reader0 left out, 166 → 164 steps, 27 runs', async () => {
    const run = await cli(['run', ...STALE, '--json']);
    const token = JSON.parse(run.stdout).token as string;
    // A budget no machine reaches: the search runs to its end, so its result is the same everywhere.
    const r = await cli(['shrink', token, '--budget', '3600', '--json']);
    expect(r.code).toBe(EXIT_CODE.correctness);
    const s = JSON.parse(r.stdout);
    expect({
      stepsBefore: s.stepsBefore,
      steps: s.steps,
      preemptionsBefore: s.preemptionsBefore,
      preemptions: s.preemptions,
      omitted: s.omitted,
      tries: s.tries,
      timedOut: s.timedOut,
      replays: s.replays,
      candidateMaxSteps: s.candidateMaxSteps,
    }).toEqual({
      stepsBefore: 166,
      steps: 164,
      preemptionsBefore: 10,
      preemptions: 0,
      omitted: ['task:reader0'],
      tries: 27,
      timedOut: false,
      replays: true,
      // 20 times the longest of the 8 calibration runs (916 steps), as a campaign's runs get.
      candidateMaxSteps: 18_320,
    });
  }, 120_000);
});
