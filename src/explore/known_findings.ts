// Known kernel bugs: failures the model shows because it keeps upstream's code as it is, each with the
// candidate fix that mends it (a patch the kernel model can switch on: TtmGlobal.patches). A campaign
// that finds a failure replays its schedule exactly with each fix whose check failed; when the replay
// passes, the failure is that known bug, reported apart and not counted as a new failure. The test is
// counterfactual, not a match on messages: a different bug that breaks the same check still fails with
// the fix on, so it stays a failure. A fix is never on in a campaign's own runs, and the token of a
// known bug replays the failure as found.

import { PATCH_TRANSFER_BO_COUNT } from '../kernel/bo_util.ts';
import { PATCH_POOL_APPLY_CACHING_DIVIDE } from '../kernel/pool.ts';
import type { Scenario } from '../sim/scenario.ts';
import { exactReplayOptions, type RunOptions, type RunResult, runScenario } from './run.ts';

/** A kernel bug upstream has today, which the model keeps, and the fix that tells it apart. */
export interface KnownFinding {
  readonly id: string;
  /** The check the bug breaks. */
  readonly check: string;
  /** One line: what goes wrong. */
  readonly summary: string;
  /** Where upstream has it: file, function, the line's text. */
  readonly upstream: { readonly file: string; readonly function: string; readonly text: string };
  /** The candidate fix (a name in TtmGlobal.patches). */
  readonly patch: string;
  /** The README section that tells it. */
  readonly readme: string;
}

export const KNOWN_FINDINGS: readonly KnownFinding[] = [
  {
    id: 'transfer-error-bo-count',
    check: 'accounting.bo-count',
    summary:
      'ttm_buffer_object_transfer counts its ghost in ttm_glob.bo_count, and its error path frees the ghost without taking it off again: the count stays one too high',
    upstream: {
      file: 'drivers/gpu/drm/ttm/ttm_bo_util.c',
      function: 'ttm_buffer_object_transfer',
      text: 'atomic_inc(&ttm_glob.bo_count);',
    },
    patch: PATCH_TRANSFER_BO_COUNT,
    readme: 'A BO count that counts a freed ghost',
  },
  {
    id: 'pool-alloc-error-wc-freed-cached',
    check: 'page.free.wb',
    summary:
      "ttm_pool_apply_caching on x86 leaves caching_divide where it was, so when the DMA map of the page that applied it fails, __ttm_pool_alloc's error path frees the pages it just made WC/UC as cached: to the page allocator without set_pages_wb",
    upstream: {
      file: 'drivers/gpu/drm/ttm/ttm_pool.c',
      function: 'ttm_pool_apply_caching',
      text: 'return set_pages_array_wc(alloc->caching_divide, num_pages);',
    },
    patch: PATCH_POOL_APPLY_CACHING_DIVIDE,
    readme: 'Write-combined pages freed as cached after a failed DMA map',
  },
];

/** The known finding by id, or undefined. */
export function knownFinding(id: string): KnownFinding | undefined {
  return KNOWN_FINDINGS.find((k) => k.id === id);
}

/**
 * The known bug that explains a failed run: the first finding of `findings` whose check failed and
 * whose fix, replayed on exactly the same schedule and faults, makes the run pass. Null when none does.
 */
export function explainFailure(
  scenario: Scenario,
  run: RunOptions,
  result: RunResult,
  findings: readonly KnownFinding[] = KNOWN_FINDINGS,
): KnownFinding | null {
  const failure = result.failure;
  if (failure === null) return null;
  for (const k of findings) {
    if (k.check !== failure.id) continue;
    const again = runScenario(scenario, {
      ...exactReplayOptions(run, result.sim.scheduler.tape, result.faultsFired),
      patches: [k.patch],
    });
    if (again.failure === null) return k;
  }
  return null;
}
