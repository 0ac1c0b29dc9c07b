// Known kernel bugs told apart from new failures by replaying the failing schedule with the bug's fix.

import { describe, expect, test } from 'vitest';
import { CHECK_CATALOGUE } from '../../src/explore/check_catalogue.ts';
import { explainFailure, KNOWN_FINDINGS, knownFinding } from '../../src/explore/known_findings.ts';
import { type RunOptions, runScenario } from '../../src/explore/run.ts';
import { SCENARIOS } from '../../src/sim/scenarios/index.ts';

const moveRace = SCENARIOS.find((s) => s.name === 'move-race')!;

/** The first single fault of move-race (seed 0, fifo) whose run ends with accounting.bo-count. */
function ghostLeakRun(): { opts: RunOptions; result: ReturnType<typeof runScenario> } {
  for (let e = 0; e < 2000; e++) {
    const opts: RunOptions = { seed: 0n, strategy: 'fifo', faults: { kind: 'planned', at: [e] } };
    const result = runScenario(moveRace, opts);
    if (result.failure?.id === 'accounting.bo-count') return { opts, result };
  }
  throw new Error('no single fault of move-race leaks the ghost count');
}

describe('known kernel bugs', () => {
  test('every known finding names a catalogued check and a distinct fix', () => {
    const ids = new Set(CHECK_CATALOGUE.map((c) => c.id));
    for (const k of KNOWN_FINDINGS) expect(ids.has(k.check)).toBe(true);
    expect(new Set(KNOWN_FINDINGS.map((k) => k.patch)).size).toBe(KNOWN_FINDINGS.length);
    expect(knownFinding('transfer-error-bo-count')?.check).toBe('accounting.bo-count');
    expect(knownFinding('no-such-finding')).toBeUndefined();
  });

  test("a ghost whose fence slot cannot be reserved leaks ttm_glob.bo_count; the fix's replay passes, so the failure is the known bug", () => {
    const { opts, result } = ghostLeakRun();
    expect(result.failure?.message).toBe('ttm_glob.bo_count is 1 with 0 BOs left');
    expect(result.faultsFired.map((f) => f.site)).toEqual(['resv.reserve']);
    expect(explainFailure(moveRace, opts, result)?.id).toBe('transfer-error-bo-count');
    // The same schedule and fault with the fix on: nothing fails.
    const fixed = runScenario(moveRace, { ...opts, patches: ['transfer-error-bo-count'] });
    expect(fixed.failure).toBeNull();
    expect(fixed.steps).toBe(result.steps);
  });

  test('a fix that does not mend the run leaves the failure unexplained (the test is counterfactual, not a match on the check)', () => {
    const { opts, result } = ghostLeakRun();
    const decoy = { ...KNOWN_FINDINGS[0]!, id: 'decoy', patch: 'no-such-fix' };
    expect(explainFailure(moveRace, opts, result, [decoy])).toBeNull();
  });

  test('a failure of another check is never explained, and a passing run has nothing to explain', () => {
    const opts: RunOptions = { seed: 0n, strategy: 'fifo', mutations: ['move-fence-no-put'] };
    const failed = runScenario(moveRace, opts);
    expect(failed.failure?.id).toBe('correctness.fence-leak');
    expect(explainFailure(moveRace, opts, failed)).toBeNull();
    const passed = runScenario(moveRace, { seed: 0n, strategy: 'fifo' });
    expect(passed.failure).toBeNull();
    expect(explainFailure(moveRace, { seed: 0n, strategy: 'fifo' }, passed)).toBeNull();
  });
});
