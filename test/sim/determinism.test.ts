// The one rule (DESIGN §1): a run is a pure function of its token. Over 1,000 seeds of the default
// scenario, replaying the token gives the same trace SHA-256, and so does the same run in a Piscina
// worker thread.

import { afterAll, describe, expect, test } from 'vitest';
import { decodeToken } from '../../src/engine/token.ts';
import { runScenario } from '../../src/explore/run.ts';
import { DEFAULT_SCENARIO, findScenario } from '../../src/sim/scenarios/index.ts';
import { createRunPool } from '../../workers/pool.ts';
import { type RunDigest, runBatch } from '../../workers/run.worker.ts';

const SEEDS = 1000;
const scenario = findScenario(DEFAULT_SCENARIO)!;
const seeds = Array.from({ length: SEEDS }, (_, i) => String(i));
const pool = createRunPool(1);

afterAll(async () => {
  await pool.destroy();
});

describe(`determinism over ${SEEDS} seeds of ${DEFAULT_SCENARIO}`, () => {
  const main: RunDigest[] = runBatch({ scenario: DEFAULT_SCENARIO, seeds });

  test('every run of the default scenario passes', () => {
    const failed = main.filter((d) => d.outcome !== 'pass').map((d) => `${d.seed}:${d.outcome}`);
    expect(failed).toEqual([]);
  });

  test('replay(token) gives the same trace SHA-256 as the original run, for every seed', () => {
    const mismatches: string[] = [];
    for (const d of main) {
      const t = decodeToken(d.token);
      if (!t.ok) throw new Error(t.reason);
      const r = runScenario(scenario, { seed: t.token.seed, strategy: t.token.strategy });
      if (r.traceSha256 !== d.traceSha256 || r.steps !== d.steps) mismatches.push(d.seed);
    }
    expect(mismatches).toEqual([]);
  });

  test('the same runs inside a Piscina worker thread give the same SHA-256s', async () => {
    const half = SEEDS / 2;
    const parts = await Promise.all([
      pool.run({ scenario: DEFAULT_SCENARIO, seeds: seeds.slice(0, half) }),
      pool.run({ scenario: DEFAULT_SCENARIO, seeds: seeds.slice(half) }),
    ]);
    const worker = (parts as RunDigest[][]).flat();
    expect(worker.map((d) => d.traceSha256)).toEqual(main.map((d) => d.traceSha256));
  });

  test('different seeds explore different schedules', () => {
    const distinct = new Set(main.map((d) => d.traceSha256));
    expect(distinct.size).toBe(SEEDS);
  });

  test('seed 1 has a pinned trace hash (changes only when the model or engine changes)', () => {
    const d = main[1]!;
    // 419 steps: the whole life (suspend, resume, teardown) and the GPU jobs' data.
    expect(d.steps).toBe(419);
    expect(d.traceSha256).toBe('d9614473c06a341bacaf1c2ebbc434d463357830c0d7a70eeb64a99d24ce31d1');
  });
});
