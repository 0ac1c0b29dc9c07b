// ttm_global_swapout under ttm_global_mutex (ttm_device.c: "mutex_lock(&ttm_global_mutex);" around the
// whole device walk): in swap-race, whose stalled zombie makes every swapout that reaches it wait 15 s
// (ttm_bo_wait_ctx's 15·HZ) with the mutex held, the other populating tasks sleep on the mutex and are
// handed it one after the other. Every wait is bounded, so the run still passes.

import { describe, expect, test } from 'vitest';
import type { TraceLine } from '../../src/engine/trace.ts';
import { runScenario } from '../../src/explore/run.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';

describe('ttm_global_mutex in swap-race', () => {
  test('seed 3 random: the mutex is handed over 10 times, every 15 s of virtual time from t = 15 s to 135 s, then at 195 s; the run passes', () => {
    const r = runScenario(findScenario('swap-race')!, { seed: 3n, strategy: 'random', keepTrace: true });
    expect(r.outcome).toBe('pass');
    const grants = r
      .trace!.map((l) => JSON.parse(l) as TraceLine)
      .filter((l) => l.src === 'ttm_global_mutex')
      .map((l) => [l.step, l.actor, l.t]);
    // Each holder's walk waits 15 s for the stalled zombie; the others are handed the mutex in turn,
    // every 15 s of virtual time, for 195 s.
    expect(grants).toEqual([
      [26, 'task:hog', 15000],
      [29, 'task:client0', 30000],
      [33, 'task:client1', 45000],
      [41, 'task:hog', 60000],
      [46, 'task:client0', 75000],
      [50, 'task:client1', 90000],
      [54, 'task:hog', 105000],
      [62, 'task:client0', 120000],
      [65, 'task:hog', 135000],
      [100, 'task:client1', 195000],
    ]);
  });

  test('seeds 0..29 random: 29 runs hand the mutex over, 181 times in all, and every run passes', () => {
    let runs = 0;
    let grants = 0;
    const outcomes = new Set<string>();
    for (let s = 0; s < 30; s += 1) {
      const r = runScenario(findScenario('swap-race')!, {
        seed: BigInt(s),
        strategy: 'random',
        keepTrace: true,
      });
      outcomes.add(r.outcome);
      const n = r.trace!.filter((l) => (JSON.parse(l) as TraceLine).src === 'ttm_global_mutex').length;
      grants += n;
      if (n > 0) runs += 1;
    }
    expect([runs, grants, [...outcomes]]).toEqual([29, 181, ['pass']]);
  });
});
