// Known kernel bugs told apart from new failures by replaying the failing schedule with the bug's fix.

import { describe, expect, test } from 'vitest';
import { knownBugLines } from '../../src/cli/campaign_report.ts';
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

describe('the known-bug lines of a report', () => {
  const failure = (schedule: number, count: number, token: string) => ({
    signature: 'correctness|accounting.bo-count|-',
    kind: 'correctness' as const,
    id: 'accounting.bo-count',
    message: 'ttm_glob.bo_count is 1 with 0 BOs left',
    actor: null,
    schedule,
    arm: 'pos',
    seed: '22',
    token,
    steps: 300,
    count,
    shrunk: null,
    finding: 'transfer-error-bo-count',
  });

  test('one block per bug, a line per scenario that met it, nothing when none', () => {
    expect(knownBugLines([])).toEqual([]);
    expect(
      knownBugLines([
        { scenario: 'vram-pressure', failure: failure(22, 1, 'TOKEN-A') },
        { scenario: 'dmem-compare', failure: failure(7, 3, 'TOKEN-B') },
      ]),
    ).toEqual([
      '  known bugs  1 kernel bug the model keeps as upstream has it (not failures: each run passes with the fix)',
      '    accounting.bo-count: ttm_buffer_object_transfer counts its ghost in ttm_glob.bo_count, and its error',
      '      path frees the ghost without taking it off again: the count stays one too high',
      '      drivers/gpu/drm/ttm/ttm_bo_util.c ttm_buffer_object_transfer; README "A BO count that counts a freed ghost"',
      '      vram-pressure, first at schedule 22, in 1 schedule: TOKEN-A',
      '      dmem-compare, first at schedule 7, in 3 schedules: TOKEN-B',
    ]);
  });
});
