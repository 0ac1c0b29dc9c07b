// The move / pool / fault-path mutation catalogue (src/explore/mutations_move.ts): every entry names a
// built-in scenario, and one schedule of that scenario (seed, strategy and, for the mutations that need
// it, the fault plan) finds the mutation with exactly the failure its entry promises, while the same
// schedule without the mutation passes.

import { describe, expect, test } from 'vitest';
import type { StrategyName, StrategyParams } from '../../src/engine/token.ts';
import type { Failure } from '../../src/engine/types.ts';
import type { FaultPlan, FiredFault } from '../../src/explore/faults.ts';
import { MUTATIONS } from '../../src/explore/mutations.ts';
import { MOVE_MUTATIONS } from '../../src/explore/mutations_move.ts';
import { type RunOptions, runScenario } from '../../src/explore/run.ts';
import { findScenario, SCENARIOS } from '../../src/sim/scenarios/index.ts';

interface Case {
  readonly mutation: string;
  readonly scenario: string;
  readonly seed: bigint;
  readonly strategy: StrategyName;
  readonly strategyParams?: StrategyParams;
  /** Which fault-site evaluations fail (none for most). */
  readonly faults: FaultPlan;
  readonly fired: readonly FiredFault[];
  readonly failure: Failure;
  /** Statistics of the run without the mutation that show it took the same path (when worth pinning). */
  readonly cleanStats?: Record<string, number>;
}

const NO_FAULTS: FaultPlan = { kind: 'planned', at: [] };

const CASES: readonly Case[] = [
  {
    mutation: 'pool-restore-stale-state',
    scenario: 'memory-pressure',
    seed: 2n,
    strategy: 'random',
    faults: NO_FAULTS,
    fired: [],
    failure: {
      kind: 'correctness',
      id: 'tt.restore.post',
      actor: 'tt:2',
      step: 156,
      message:
        'ttm_tt_restore returning 0: the tt is no longer BACKED_UP and keeps no restore state; an error: it is still BACKED_UP: tt:2 keeps restore state',
    },
  },
  {
    mutation: 'evict-multihop-error',
    scenario: 'move-race',
    seed: 1n,
    strategy: 'pct',
    strategyParams: { depth: 1, k: 1000 },
    faults: NO_FAULTS,
    fired: [],
    failure: {
      kind: 'correctness',
      id: 'bo.validate.returns',
      actor: 'bo:4',
      step: 32,
      message:
        'ttm_bo_validate returns 0, an errno its kerneldoc lists (-EINVAL, -ENOMEM, -EBUSY, -ERESTARTSYS), or one its callees pass up on that path (-ENOSPC, -EFAULT, -EINTR): returned -EMULTIHOP',
    },
  },
  {
    // No fault: both uploaders hold mapped BOs and the IOVA space runs out under a later block.
    mutation: 'pool-alloc-error-no-unmap',
    scenario: 'upload-race',
    seed: 1n,
    strategy: 'random',
    faults: NO_FAULTS,
    fired: [],
    cleanStats: { iommuMapFailures: 1, sigbus: 1 },
    failure: {
      kind: 'correctness',
      id: 'iommu.mappings',
      actor: 'iommu:device:0',
      step: 16,
      message: 'iommu:device:0 maps IOVA 8 for device:0 to frame 8, which RAM holds as free',
    },
  },
  {
    mutation: 'pool-alloc-error-double-free',
    scenario: 'upload-race',
    seed: 0n,
    strategy: 'random',
    // The second page.alloc evaluation of tt:3 (evaluation 36 since the fence-slot, tt and insert_pfn
    // sites are evaluated too; the first one, 34, is caught earlier by freed.use).
    faults: { kind: 'planned', at: [36] },
    fired: [{ at: 36, site: 'page.alloc', where: 'tt:3', step: 19 }],
    failure: {
      kind: 'crash',
      id: 'crash.exception',
      step: 19,
      message: 'iommu:device:0: unmap of IOVA 1, which is not mapped',
    },
  },
  {
    mutation: 'ghost-resv-no-fini',
    scenario: 'move-race',
    seed: 1n,
    strategy: 'pos',
    faults: NO_FAULTS,
    fired: [],
    failure: {
      kind: 'correctness',
      id: 'correctness.fence-leak',
      actor: 'bo:9',
      step: 301,
      message: 'bo:9/resv of ghost bo:9 never finalised (dma_resv_fini): its fences leak',
    },
  },
  {
    mutation: 'move-fence-no-put',
    scenario: 'move-race',
    seed: 0n,
    strategy: 'pct',
    strategyParams: { depth: 2, k: 1000 },
    faults: NO_FAULTS,
    fired: [],
    failure: {
      kind: 'correctness',
      id: 'correctness.fence-leak',
      actor: 'fence:0.1',
      step: 193,
      message: 'fence:0.1: 1 reference(s) taken by dma_fence_get never put',
    },
  },
  {
    // A fault placed as campaigns place them: the first evaluation of its target site at or after step 8.
    mutation: 'fault-populate-oom',
    scenario: 'upload-race',
    seed: 0n,
    strategy: 'random',
    faults: { kind: 'steps', steps: [8], sites: ['iommu.map'] },
    fired: [{ at: 15, site: 'iommu.map', where: 'tt:1', step: 9 }],
    failure: {
      kind: 'correctness',
      id: 'correctness.fault-oom',
      actor: 'task:uploader0',
      step: 40,
      message: 'fault on bo:2 page 0 returned VM_FAULT_OOM: the OOM killer runs for a TTM fault',
    },
  },
  {
    mutation: 'access-no-resource-check',
    scenario: 'move-race',
    seed: 2n,
    strategy: 'pct',
    strategyParams: { depth: 3, k: 1000 },
    faults: NO_FAULTS,
    fired: [],
    failure: {
      kind: 'crash',
      id: 'crash.exception',
      step: 87,
      message: "Cannot read properties of null (reading 'memType')",
    },
  },
];

function options(c: Case, mutations: readonly string[]): RunOptions {
  return {
    seed: c.seed,
    strategy: c.strategy,
    ...(c.strategyParams === undefined ? {} : { strategyParams: c.strategyParams }),
    mutations,
    faults: c.faults,
  };
}

describe('MOVE_MUTATIONS', () => {
  test('every entry is historical, named once in the catalogue, with a 12-digit commit and a built-in scenario', () => {
    const scenarios = new Set(SCENARIOS.map((s) => s.name));
    for (const m of MOVE_MUTATIONS) {
      expect(m.kind).toBe('historical');
      expect(m.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(m.commit).toMatch(/^[0-9a-f]{12}$/);
      expect(scenarios.has(m.scenario)).toBe(true);
      expect(MUTATIONS.filter((x) => x.name === m.name)).toHaveLength(1);
    }
  });

  test('every entry has exactly one case below, of its scenario, detected as its entry says', () => {
    expect(CASES.map((c) => c.mutation).sort()).toEqual(MOVE_MUTATIONS.map((m) => m.name).sort());
    for (const c of CASES) {
      const m = MOVE_MUTATIONS.find((x) => x.name === c.mutation)!;
      expect(c.scenario).toBe(m.scenario);
      expect(c.failure.id).toBe(m.detectedBy);
    }
  });

  for (const c of CASES) {
    const strategy = c.strategyParams === undefined ? c.strategy : `${c.strategy}:${c.strategyParams.depth}`;
    const faults =
      c.faults.kind === 'planned' && c.faults.at.length > 0
        ? `, evaluation ${c.faults.at.join(',')} fails`
        : c.faults.kind === 'steps'
          ? `, fault at step ${c.faults.steps.join(',')}`
          : '';
    test(`${c.mutation}: ${c.scenario} seed ${c.seed} ${strategy}${faults} → ${c.failure.id}; passes without it`, () => {
      const scenario = findScenario(c.scenario)!;
      const found = runScenario(scenario, options(c, [c.mutation]));
      expect(found.failure).toEqual(c.failure);
      expect(found.faultsFired).toEqual(c.fired);
      const clean = runScenario(scenario, options(c, []));
      expect(clean.failure).toBeNull();
      expect(clean.outcome).toBe('pass');
      expect(clean.faultsFired).toEqual(c.fired);
      if (c.cleanStats !== undefined) expect(clean.stats).toMatchObject(c.cleanStats);
    });
  }
});
