// The dmem cgroup mutation (src/explore/mutations_dmem.ts): one schedule of dmem-cgroups finds it with the
// failure its entry promises, and the same schedule without it passes.

import { describe, expect, test } from 'vitest';
import { findMutation } from '../../src/explore/mutations.ts';
import { runScenario } from '../../src/explore/run.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';

describe('dmem-charge-eagain', () => {
  const scenario = findScenario('dmem-cgroups')!;
  const opts = { seed: 0n, strategy: 'random' as const, faults: { kind: 'planned' as const, at: [] } };

  test('dmem-cgroups seed 0: ttm_bo_validate returns the charge’s -EAGAIN (bo.validate.returns at step 25); unmutated it passes', () => {
    const entry = findMutation('dmem-charge-eagain')!;
    expect([entry.scenario, entry.detectedBy, entry.kind]).toEqual([
      'dmem-cgroups',
      'bo.validate.returns',
      'historical',
    ]);
    const found = runScenario(scenario, { ...opts, mutations: ['dmem-charge-eagain'] });
    expect(found.failure).toEqual({
      kind: 'correctness',
      id: 'bo.validate.returns',
      actor: 'bo:5',
      step: 25,
      message:
        'ttm_bo_validate returns 0, an errno its kerneldoc lists (-EINVAL, -ENOMEM, -EBUSY, -ERESTARTSYS), or one its callees pass up on that path (-ENOSPC, -EFAULT, -EINTR): returned -EAGAIN',
    });
    const clean = runScenario(scenario, opts);
    expect(clean.outcome).toBe('pass');
    expect(clean.stats.bgLimitHits).toBe(12);
  });
});
