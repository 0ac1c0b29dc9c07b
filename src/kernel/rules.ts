// The kernel's own rules, as the simulator checks them: every check names the upstream text it comes from
// (a WARN_ON, BUG_ON, lockdep_assert_held, dma_resv_assert_held, a kerneldoc Returns:/Context: line, the
// postcondition of an exported function, or an invariant of an object that drivers rely on). The catalogue
// (`ttm-sim oracles`) is built from these descriptions; a check never targets one known bug.

import { ALLOCATION_FLAG_RULES } from './rules/allocation_flags.ts';
import { BO_ACCESS_RULES } from './rules/bo_access.ts';
import { BO_RELEASE_RULES } from './rules/bo_release.ts';
import type { KernelRule } from './rules/check.ts';
import { DEVICE_LIST_RULES } from './rules/device_list.ts';
import { DMA_RESV_RULES } from './rules/dma_resv.ts';
import { DMA_RESV_FENCE_RULES } from './rules/dma_resv_fences.ts';
import { DMEM_RULES } from './rules/dmem.ts';
import { DMEM_FILE_RULES } from './rules/dmem_files.ts';
import { ERRNO_POST_RULES } from './rules/errno_post.ts';
import { ERRNO_RETURN_RULES } from './rules/errno_returns.ts';
import { ERRNO_WAIT_RULES } from './rules/errno_waits.ts';
import { EVICT_ALL_RULES } from './rules/evict_all.ts';
import { EVICT_ALLOC_RULES } from './rules/evict_alloc.ts';
import { MOVE_COUNT_RULES } from './rules/move_counts.ts';
import { PAGE_ALLOCATOR_RULES } from './rules/page_allocator.ts';
import { PLACEMENT_RULES } from './rules/placement.ts';
import { POOL_BACKUP_BUSY_RULES } from './rules/pool_backup_busy.ts';
import { POOL_TYPE_RULES } from './rules/pool_types.ts';
import { SWAPOUT_RULES } from './rules/swapout.ts';
import { TT_RELEASE_RULES } from './rules/tt_release.ts';
import { TT_TRACE_RULES } from './rules/tt_trace.ts';
import { TTM_BO_RULES } from './rules/ttm_bo.ts';
import { TTM_BO_UTIL_RULES } from './rules/ttm_bo_util.ts';
import { TTM_DEVICE_VM_RULES } from './rules/ttm_device.ts';
import { TTM_POOL_RULES } from './rules/ttm_pool.ts';
import { TTM_RESOURCE_RULES } from './rules/ttm_resource.ts';
import { TTM_TT_RULES } from './rules/ttm_tt.ts';
import { VALIDATE_SPACE_RULES } from './rules/validate_space.ts';
import { VMA_OFFSET_RULES } from './rules/vma_offset.ts';
import { WW_LOCK_RULES } from './rules/ww_lock.ts';
import { WW_MUTEX_KILL_RULES } from './rules/ww_mutex_kill.ts';
import { XE_SHRINKER_RULES } from './rules/xe_shrinker.ts';
import { POSTCONDITION_RULES } from './rules_post.ts';

export type { KernelRule, RuleBreach } from './rules/check.ts';

/** Where a rule is stated upstream: the file, the function (or struct), and the line's text as written there. */
export interface UpstreamRule {
  /** Path in the Linux tree, e.g. `drivers/gpu/drm/ttm/ttm_bo.c`. */
  readonly file: string;
  /** The function, macro or struct the text belongs to, e.g. `ttm_bo_pin`. */
  readonly func: string;
  /** The line's text, e.g. `dma_resv_assert_held(bo->base.resv);`. */
  readonly text: string;
}

/**
 * When a check is evaluated: `call` where the modelled function starts (a lock assertion, a WARN_ON on its
 * arguments), `return` when it returns (its postcondition for that return value), `step` after every
 * scheduler step (an object invariant), `end` once a run is over (what must hold after teardown).
 */
export type CheckWhen = 'call' | 'return' | 'step' | 'end';

/** One entry of the check catalogue. */
export interface CheckInfo {
  /** Stable id, as failures and `ttm-sim oracles` name it (e.g. `bo.pin.resv-held`). */
  readonly id: string;
  /** One line: what is checked. */
  readonly description: string;
  /** The upstream text(s) the check states; at least one. */
  readonly upstream: readonly UpstreamRule[];
  readonly when: CheckWhen;
}

// ---------------------------------------------------------------------------------------------------
// The registry of in-kernel rules (`call` and `return` checks). The mechanism (rule handles, WARN_ON,
// lock assertions, counters) is src/kernel/rules/check.ts; each module of src/kernel/rules/ holds the
// rules one upstream file states, and src/kernel/rules_post.ts the postconditions of exported functions.
// Kernel code imports the handles from those modules, never this registry, so that no module reached
// from kernel code depends on all of them.

/** Every rule checked inside kernel code, in catalogue order. */
export const KERNEL_RULES: readonly KernelRule[] = [
  ...TTM_BO_RULES,
  ...TTM_BO_UTIL_RULES,
  ...TTM_TT_RULES,
  ...TTM_RESOURCE_RULES,
  ...TTM_POOL_RULES,
  ...TTM_DEVICE_VM_RULES,
  ...POSTCONDITION_RULES,
  ...PLACEMENT_RULES,
  ...TT_RELEASE_RULES,
  ...TT_TRACE_RULES,
  ...MOVE_COUNT_RULES,
  ...VALIDATE_SPACE_RULES,
  ...DMA_RESV_RULES,
  ...POOL_TYPE_RULES,
  ...PAGE_ALLOCATOR_RULES,
  ...ALLOCATION_FLAG_RULES,
  ...BO_ACCESS_RULES,
  ...POOL_BACKUP_BUSY_RULES,
  ...DMA_RESV_FENCE_RULES,
  ...XE_SHRINKER_RULES,
  ...WW_LOCK_RULES,
  ...WW_MUTEX_KILL_RULES,
  ...EVICT_ALLOC_RULES,
  ...EVICT_ALL_RULES,
  ...DEVICE_LIST_RULES,
  ...VMA_OFFSET_RULES,
  ...BO_RELEASE_RULES,
  ...DMEM_RULES,
  ...DMEM_FILE_RULES,
  ...SWAPOUT_RULES,
  ...ERRNO_RETURN_RULES,
  ...ERRNO_WAIT_RULES,
  ...ERRNO_POST_RULES,
];
