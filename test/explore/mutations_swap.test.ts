// The swapout / LRU / bulk-move / shrinker mutation catalogue (src/explore/mutations_swap.ts): every
// entry names a built-in scenario, and one schedule of that scenario finds the mutation with exactly the
// failure its entry promises (for a crash, in the task whose kernel path dereferenced NULL), while the
// same schedule without the mutation passes.

import { describe, expect, test } from 'vitest';
import type { StrategyName, StrategyParams } from '../../src/engine/token.ts';
import type { Failure } from '../../src/engine/types.ts';
import { MUTATIONS } from '../../src/explore/mutations.ts';
import { SWAP_MUTATIONS } from '../../src/explore/mutations_swap.ts';
import { type RunOptions, runScenario } from '../../src/explore/run.ts';
import { findScenario, SCENARIOS } from '../../src/sim/scenarios/index.ts';

interface Case {
  readonly mutation: string;
  readonly scenario: string;
  readonly seed: bigint;
  readonly strategy: StrategyName;
  readonly strategyParams?: StrategyParams;
  readonly failure: Failure;
  /** For a crash: the task that was running kernel code when it threw. */
  readonly crashedIn?: string;
}

/** Enough for every scenario here to finish; a livelock runs into it. */
const MAX_STEPS = 2000;

const CASES: readonly Case[] = [
  {
    mutation: 'swapout-busy-zombie-progress',
    scenario: 'swap-race',
    seed: 1n,
    strategy: 'random',
    failure: {
      kind: 'correctness',
      id: 'bo.swapout.zombie-cleaned',
      actor: 'bo:3',
      step: 33,
      message:
        'ttm_bo_swapout_cb on a deleted BO with a populated tt returns its wait’s error, or num_pages once the BO is cleaned up: a return ≥ 0 leaves it no tt and no resource: bo:3 returned 8 and still holds tt:5 and res:5',
    },
  },
  {
    mutation: 'swapout-unlocked-tt-check',
    scenario: 'swap-race',
    seed: 393n,
    strategy: 'pos',
    failure: {
      kind: 'crash',
      id: 'crash.exception',
      step: 19,
      message: "Cannot read properties of null (reading 'numPages')",
    },
    crashedIn: 'task:client1',
  },
  {
    mutation: 'swapout-no-resource-check',
    scenario: 'swap-race',
    seed: 3n,
    strategy: 'random',
    failure: {
      kind: 'crash',
      id: 'crash.exception',
      step: 28,
      message: "Cannot read properties of null (reading 'memType')",
    },
    crashedIn: 'task:hog',
  },
  {
    mutation: 'swapout-valuable-before-resource',
    scenario: 'swap-race',
    seed: 1n,
    strategy: 'pct',
    strategyParams: { depth: 2, k: 1000 },
    failure: {
      kind: 'correctness',
      id: 'bo.eviction-valuable.resv-held',
      actor: 'bo:0',
      step: 9,
      message:
        'ttm_bo_eviction_valuable is called with the BO reserved by the calling task: bo:0/resv is unlocked, not by task:client1',
    },
  },
  {
    mutation: 'swapout-not-ret',
    scenario: 'swap-race',
    seed: 1n,
    strategy: 'random',
    failure: {
      kind: 'correctness',
      id: 'lru.placement',
      actor: 'bo:2',
      step: 13,
      message:
        'res:3 is on device:0/man0 lru0, but bo:2 is its tt:3 is swapped out or backed up: it belongs on device:0 unevictable',
    },
  },
  {
    mutation: 'bulk-move-stale-first',
    scenario: 'bulk-lru',
    seed: 1n,
    strategy: 'random',
    failure: {
      kind: 'correctness',
      id: 'lru.bulk-range',
      actor: 'bo:5',
      step: 69,
      message: "res:15 of bo:5 is on device:0/man0 lru0 outside its bulk move's (system, priority 0) range",
    },
  },
  {
    mutation: 'bulk-move-pinned',
    scenario: 'bulk-lru',
    seed: 0n,
    strategy: 'pct',
    strategyParams: { depth: 3, k: 1000 },
    failure: {
      kind: 'correctness',
      id: 'pinned.resident',
      actor: 'bo:4',
      step: 11,
      message: 'pinned (count 1) but its resource res:4 (vram) is not on device:0 unevictable',
    },
  },
  {
    mutation: 'pool-shrinker-one-block',
    scenario: 'pool-reclaim',
    seed: 0n,
    strategy: 'random',
    failure: {
      kind: 'correctness',
      id: 'pool.shrinker-scan.target',
      actor: 'pool',
      step: 95,
      message:
        'ttm_pool_shrinker_scan returns having freed at least nr_to_scan pages, or with no page left in any pool type: freed 1 of 19 pages with 30 still pooled',
    },
  },
  {
    mutation: 'pool-dma32-shared',
    scenario: 'pool-dma32',
    seed: 2n,
    strategy: 'pos',
    failure: {
      kind: 'correctness',
      id: 'correctness.dma32',
      actor: 'task:gpu1',
      step: 57,
      message: 'bo:13 page 12 is frame 72, above the DMA32 limit (64): device:1 cannot address it',
    },
  },
];

function options(c: Case, mutations: readonly string[]): RunOptions {
  return {
    seed: c.seed,
    strategy: c.strategy,
    ...(c.strategyParams === undefined ? {} : { strategyParams: c.strategyParams }),
    mutations,
    maxSteps: MAX_STEPS,
  };
}

describe('SWAP_MUTATIONS', () => {
  test('every entry names a built-in scenario', () => {
    const scenarios = new Set(SCENARIOS.map((s) => s.name));
    expect(SWAP_MUTATIONS.filter((m) => !scenarios.has(m.scenario)).map((m) => m.name)).toEqual([]);
  });

  test('every entry is historical, named once in the catalogue, with a 12-digit commit', () => {
    for (const m of SWAP_MUTATIONS) {
      expect(m.kind).toBe('historical');
      expect(m.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(m.commit).toMatch(/^[0-9a-f]{12}$/);
      expect(MUTATIONS.filter((x) => x.name === m.name)).toHaveLength(1);
    }
  });

  test('every entry has exactly one case below, of its scenario, detected as its entry says', () => {
    expect(CASES.map((c) => c.mutation).sort()).toEqual(SWAP_MUTATIONS.map((m) => m.name).sort());
    for (const c of CASES) {
      const m = SWAP_MUTATIONS.find((x) => x.name === c.mutation)!;
      expect(c.scenario).toBe(m.scenario);
      expect(c.failure.id).toBe(m.detectedBy);
    }
  });

  for (const c of CASES) {
    const strategy = c.strategyParams === undefined ? c.strategy : `${c.strategy}:${c.strategyParams.depth}`;
    test(`${c.mutation}: ${c.scenario} seed ${c.seed} ${strategy} → ${c.failure.id}; passes without it`, () => {
      const scenario = findScenario(c.scenario)!;
      const found = runScenario(scenario, options(c, [c.mutation]));
      expect(found.failure).toEqual(c.failure);
      if (c.crashedIn !== undefined) {
        const running = found.sim
          .allTasks()
          .filter((t) => t.status === 'running')
          .map((t) => t.id);
        expect(running).toEqual([c.crashedIn]);
      }
      const clean = runScenario(scenario, options(c, []));
      expect(clean.outcome).toBe('pass');
      expect(clean.failure).toBeNull();
    });
  }
});
