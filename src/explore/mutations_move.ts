// Historical-bug mutations in moves, ghosts, the page pool, backup/restore and the CPU fault path.
// Those whose `change` says "error path only" misbehave only when an allocation or DMA mapping fails:
// an injected fault (src/explore/faults.ts) gets there, and so does upload-race's small IOVA space when
// two populates overlap.

import { MUTATION_EVICT_MULTIHOP_ERROR, MUTATION_MOVE_FENCE_NO_PUT } from '../kernel/bo.ts';
import { MUTATION_GHOST_RESV_NO_FINI } from '../kernel/bo_util.ts';
import { MUTATION_ACCESS_NO_RESOURCE_CHECK, MUTATION_FAULT_POPULATE_OOM } from '../kernel/bo_vm.ts';
import {
  MUTATION_POOL_ALLOC_ERROR_DOUBLE_FREE,
  MUTATION_POOL_ALLOC_ERROR_NO_UNMAP,
  MUTATION_RESTORE_STALE_STATE,
} from '../kernel/pool.ts';
import type { MutationInfo } from './mutations.ts';

export const MOVE_MUTATIONS: readonly MutationInfo[] = [
  {
    name: MUTATION_RESTORE_STALE_STATE,
    kind: 'historical',
    title: 'drm/ttm: Drop tt->restore after successful restore',
    commit: 'b63d715b8090',
    year: 2026,
    change:
      'a resumed restore that completes returns 0 but keeps tt->restore set (commit is the Fixes: target, b63d715b8090 "drm/ttm/pool, drm/ttm/tt: Provide a helper to shrink pages"; the fix went through drm-misc-next for 7.3, and linux-7.2.y carries it as a46ab76b6cf5)',
    scenario: 'memory-pressure',
    detectedBy: 'tt.restore.post',
  },
  {
    name: MUTATION_EVICT_MULTIHOP_ERROR,
    kind: 'historical',
    title: 'drm/ttm: Fix multihop assert on eviction.',
    commit: '403797925768',
    year: 2021,
    change:
      "ttm_bo_evict makes one ttm_bo_handle_move_mem and treats the driver's -EMULTIHOP (VRAM→SYSTEM) as a hard error instead of bouncing through TT; it reaches ttm_bo_validate's caller",
    scenario: 'move-race',
    detectedBy: 'bo.validate.returns',
  },
  {
    name: MUTATION_POOL_ALLOC_ERROR_NO_UNMAP,
    kind: 'historical',
    title: 'drm/ttm/pool: Fix ttm_pool_alloc error path',
    commit: '379989e7cbdc',
    year: 2023,
    change:
      "ttm_pool_alloc's error path frees the blocks it allocated without DMA-unmapping them (d099fc8f540a's path); error path only: a 'page.alloc' or 'iommu.map' fault after the first block, or IOVA exhaustion",
    scenario: 'upload-race',
    detectedBy: 'iommu.mappings',
  },
  {
    name: MUTATION_POOL_ALLOC_ERROR_DOUBLE_FREE,
    kind: 'historical',
    title: 'drm/ttm: Fix an invalid freeing on already freed page in error path',
    commit: '40510a941d27',
    year: 2024,
    change:
      "the error path's second ttm_pool_free_range walks tt->pages from slot 0: blocks before the caching divide are unmapped and freed twice (Fixes 379989e7cbdc); error path only, after pooled write-combined blocks: a 'page.alloc' fault (e.g. the batched caching change) or IOVA exhaustion",
    scenario: 'upload-race',
    detectedBy: 'crash.exception',
  },
  {
    name: MUTATION_GHOST_RESV_NO_FINI,
    kind: 'historical',
    title: 'drm/ttm: fix memleak in ttm_transfered_destroy',
    commit: '0db55f9a1baf',
    year: 2021,
    change:
      "ttm_transfered_destroy does not dma_resv_fini the ghost's resv: the fences of every pipelined move leak",
    scenario: 'move-race',
    detectedBy: 'correctness.fence-leak',
  },
  {
    name: MUTATION_MOVE_FENCE_NO_PUT,
    kind: 'historical',
    title: 'drm/ttm: fixup ttm_bo_add_move_fence v2',
    commit: '7be2bb8c2ff3',
    year: 2022,
    change:
      "ttm_bo_add_move_fence keeps its reference on the manager's move fence after adding it to the BO (Fixes 8bb31587820a); runs the single-fence form before 7.0's eviction-fence slots, where the bug lives",
    scenario: 'move-race',
    detectedBy: 'correctness.fence-leak',
  },
  {
    name: MUTATION_FAULT_POPULATE_OOM,
    kind: 'historical',
    title: 'drm/ttm: Make the call to ttm_tt_populate() interruptible when faulting',
    commit: 'e44f18c6ff8b',
    year: 2023,
    change:
      "the fault handler populates non-interruptibly and returns VM_FAULT_OOM for any populate error; error path only: a 'page.alloc' or 'iommu.map' fault, or IOVA exhaustion, in a populate the fault handler makes",
    scenario: 'upload-race',
    detectedBy: 'correctness.fault-oom',
  },
  {
    name: MUTATION_ACCESS_NO_RESOURCE_CHECK,
    kind: 'historical',
    title: 'drm/ttm: Avoid NULL pointer deref for evicted BOs',
    commit: '491adc6a0f99',
    year: 2025,
    change:
      'ttm_bo_access reads bo->resource->mem_type without checking for a BO whose backing store was dropped',
    scenario: 'move-race',
    detectedBy: 'crash.exception',
  },
];
