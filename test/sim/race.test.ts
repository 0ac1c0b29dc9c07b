// The race scenario: its default instance passes with pinned numbers and a replayable trace, the pages
// its fault tasks map hold the BOs' content, nothing is left at the end, and a config it cannot run is
// refused with the path of the problem.

import { describe, expect, test } from 'vitest';
import { Rng } from '../../src/engine/prng.ts';
import { scenarioHash } from '../../src/engine/token.ts';
import { runScenario } from '../../src/explore/run.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';
import { LIFECYCLE } from '../../src/sim/scenarios/lifecycle.ts';
import {
  DEFAULT_RACE_CONFIG,
  type RaceConfig,
  RaceSetupError,
  race,
  raceProblems,
} from '../../src/sim/scenarios/race.ts';
import { Sim } from '../../src/sim/sim.ts';

const scenario = findScenario('race')!;

describe('race scenario', () => {
  test('the built-in instance is the default config, normalised, with its summary and goals', () => {
    expect(scenario.config).toEqual({ scenario: 'race', lifecycle: LIFECYCLE, ...DEFAULT_RACE_CONFIG });
    expect(scenarioHash(scenario.config)).toBe(scenarioHash(race().config));
    expect(scenario.summary).toBe(
      '1 device(s), 4 BOs, racing tasks: 1 exec, 1 fault, 1 reclaim, 1 evict, 1 put, 1 signal',
    );
    expect(scenario.sometimes?.map((g) => g.id)).toEqual([
      'evictions',
      'refaults',
      'interrupted',
      'reclaimedPages',
      'zombies',
    ]);
  });

  test('seed 1: passes with exact statistics and final objects', () => {
    const r = runScenario(scenario, { seed: 1n });
    expect(r.outcome).toBe('pass');
    expect(r.steps).toBe(150);
    expect(r.stats).toEqual({
      faults: 6,
      refaults: 1,
      pagesChecked: 32,
      sigbus: 0,
      execs: 8,
      execFailures: 0,
      backoffs: 0,
      interrupted: 1,
      signalsHandled: 1,
      reclaims: 3,
      reclaimedPages: 6,
      evictAlls: 3,
      evictErrors: 0,
      puts: 4,
      signals: 2,
      evictions: 8,
      moves: 12,
      ghosts: 4,
      zombies: 4,
      destroyed: 8,
      backedUpPages: 0,
      swapUsedPages: 0,
      boCount: 0,
      pagesVerified: 166,
      cpuPagesWritten: 16,
      gpuJobs: 12,
      gpuPagesWritten: 146,
      lifeFrozen: 5,
      lifeBosAtSuspend: 4,
      lifeUsageAtSuspend: 65536,
      lifeUsageAfterSuspend: 0,
      lifeSuspends: 1,
      lifeEvictAlls: 2,
      lifeHibernations: 1,
      lifeSuspendErrors: 0,
      lifeResumes: 1,
      lifeDrains: 1,
      lifeManagersFini: 2,
      lifeDevicesFini: 1,
      lifeTeardowns: 1,
    });
    expect(r.objects).toEqual([
      'color (bo:0) 32 KiB vram-or-tt on gpu0: destroyed',
      'depth (bo:1) 16 KiB vram on gpu0: destroyed',
      'staging (bo:2) 16 KiB tt on gpu0: destroyed',
      'readback (bo:3) 8 KiB system on gpu0: destroyed',
    ]);
  });

  test('seed 1 twice: the same trace, byte for byte', () => {
    const a = runScenario(scenario, { seed: 1n, keepTrace: true });
    const b = runScenario(scenario, { seed: 1n, keepTrace: true });
    expect(a.traceSha256).toBe('4ba7e00cf6df3c2c35232cbb47f528e13fb4c8a5a57547eea607fbf52340964c');
    expect(b.traceSha256).toBe(a.traceSha256);
    expect(b.trace).toEqual(a.trace);
  });

  test('seeds 0..29: every run passes, reads every page of its 4 mappings and interleaves the races', () => {
    const failed: string[] = [];
    const reached = { evictions: 0, zombies: 0, interrupted: 0, refaults: 0, reclaimedPages: 0 };
    for (let seed = 0n; seed < 30n; seed += 1n) {
      const r = runScenario(scenario, { seed });
      if (r.outcome !== 'pass') failed.push(`${seed}: ${r.failure?.id} ${r.failure?.message}`);
      expect(r.stats.pagesChecked).toBe(32);
      expect(r.stats.sigbus).toBe(0);
      expect(r.stats.boCount).toBe(0);
      for (const k of Object.keys(reached) as (keyof typeof reached)[])
        if ((r.stats[k] ?? 0) > 0) reached[k] += 1;
    }
    expect(failed).toEqual([]);
    expect(reached).toEqual({
      evictions: 30,
      zombies: 30,
      // One seed's signal arrives when no interruptible wait is left to interrupt.
      interrupted: 29,
      refaults: 29,
      reclaimedPages: 30,
    });
  });

  test('two exec tasks over the same BOs back off with -EDEADLK and still pass', () => {
    const cfg: RaceConfig = {
      ...DEFAULT_RACE_CONFIG,
      tasks: [
        { kind: 'exec', name: 'a', bos: ['color', 'depth', 'staging'], repeat: 3, holdMs: 0, delayMs: 0 },
        { kind: 'exec', name: 'b', bos: ['staging', 'depth', 'color'], repeat: 3, holdMs: 0, delayMs: 0 },
      ],
    };
    const s = race(cfg);
    let backoffs = 0;
    for (let seed = 0n; seed < 20n; seed += 1n) {
      const r = runScenario(s, { seed });
      expect(r.outcome).toBe('pass');
      backoffs += r.stats.backoffs ?? 0;
    }
    expect(backoffs).toBeGreaterThan(0);
  });

  test('raceProblems names the path, the problem and the fix; race() refuses such a config', () => {
    const cfg: RaceConfig = {
      ...DEFAULT_RACE_CONFIG,
      tasks: [
        { kind: 'fault', name: 'f', bo: 'nope', repeat: 1, delayMs: 0 },
        { kind: 'put', name: 'kworker/x', bo: 'color', delayMs: 0 },
      ],
    };
    expect(raceProblems(cfg)).toEqual([
      {
        path: ['tasks', 1, 'name'],
        problem: '"kworker/x" is a task name the scenario uses itself',
        fix: 'choose another name',
      },
      {
        path: ['tasks', 0, 'bo'],
        problem: 'no BO is named "nope"',
        fix: 'use one of "color", "depth", "staging", "readback"',
      },
    ]);
    expect(() => race(cfg)).toThrow(
      'race: tasks.1.name: "kworker/x" is a task name the scenario uses itself',
    );
    expect(raceProblems(DEFAULT_RACE_CONFIG)).toEqual([]);
  });

  test('BOs that do not fit next to each other fail the build with the BO named', () => {
    const cfg: RaceConfig = {
      ...DEFAULT_RACE_CONFIG,
      bos: [
        { name: 'big', device: 'gpu0', kib: 48, placement: 'vram', pinned: true },
        { name: 'other', device: 'gpu0', kib: 32, placement: 'vram', pinned: false },
      ],
      tasks: [{ kind: 'fault', name: 'f', bo: 'big', repeat: 1, delayMs: 0 }],
    };
    const s = race(cfg);
    let err: unknown = null;
    try {
      s.build(new Sim({ seed: 0n }), Rng.fromSeed(0n));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RaceSetupError);
    expect((err as RaceSetupError).path).toEqual(['bos', 1]);
    expect((err as RaceSetupError).problem).toBe(
      'creating BO "other" (32 KiB, vram) on device "gpu0" failed with -ENOMEM: the BOs created before it leave no room',
    );
    const r = runScenario(s, { seed: 0n });
    expect(r.outcome).toBe('crash');
    expect(r.failure?.message).toContain('bos.1: creating BO "other"');
  });
});
