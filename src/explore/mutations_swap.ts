// Historical-bug mutations in swapout, the LRU and bulk moves, and the shrinkers. Each names the
// upstream fix (its hash; the Fixes: hash only where `change` says so) and the built-in scenario one of
// whose schedules finds it, with the failure id the run then reports.

import { MUTATION_POOL_DMA32_SHARED, MUTATION_POOL_SHRINKER_ONE_BLOCK } from '../kernel/pool_type.ts';
import { MUTATION_BULK_MOVE_PINNED, MUTATION_BULK_MOVE_STALE_FIRST } from '../kernel/resource.ts';
import {
  MUTATION_SWAPOUT_BUSY_ZOMBIE_PROGRESS,
  MUTATION_SWAPOUT_NO_RESOURCE_CHECK,
  MUTATION_SWAPOUT_NOT_RET,
  MUTATION_SWAPOUT_UNLOCKED_TT_CHECK,
  MUTATION_SWAPOUT_VALUABLE_BEFORE_RESOURCE,
} from '../kernel/swap.ts';
import type { MutationInfo } from './mutations.ts';

export const SWAP_MUTATIONS: readonly MutationInfo[] = [
  {
    name: MUTATION_SWAPOUT_BUSY_ZOMBIE_PROGRESS,
    kind: 'historical',
    title: 'drm/ttm: Fix a deadlock if the target BO is not idle during swap',
    commit: '70982eef4d7e',
    year: 2021,
    change:
      "a busy zombie's failed cleanup counts as its pages swapped out, so ttm_tt_populate's page-limit loop calls ttm_global_swapout again and again while the zombie's fence is unsignalled",
    scenario: 'swap-race',
    detectedBy: 'bo.swapout.zombie-cleaned',
  },
  {
    name: MUTATION_SWAPOUT_UNLOCKED_TT_CHECK,
    kind: 'historical',
    title: 'drm/ttm: fix deref of bo->ttm without holding the lock v2',
    commit: '2d2ddb589d59',
    year: 2021,
    change:
      'the swapout walk checks bo->ttm and reads its page count before trylocking the BO, with a preemption point between the check and the read',
    scenario: 'swap-race',
    detectedBy: 'crash.exception',
  },
  {
    name: MUTATION_SWAPOUT_NO_RESOURCE_CHECK,
    kind: 'historical',
    title: 'drm/ttm: Fix a NULL pointer dereference',
    commit: '9a9a8fe26751',
    year: 2023,
    change:
      "the swapout walk reads bo->resource's memory type before the trylock without checking that it is the listed resource (NULL for a new BO being populated)",
    scenario: 'swap-race',
    detectedBy: 'crash.exception',
  },
  {
    name: MUTATION_SWAPOUT_VALUABLE_BEFORE_RESOURCE,
    kind: 'historical',
    title: 'drm/ttm: check null pointer before accessing when swapping',
    commit: '2dedcf414bb0',
    year: 2023,
    change:
      'the swapout walk evaluates pin_count and eviction_valuable(place of bo->resource->mem_type) before the trylock and before bo->resource is checked',
    scenario: 'swap-race',
    detectedBy: 'bo.eviction-valuable.resv-held',
  },
  {
    name: MUTATION_SWAPOUT_NOT_RET,
    kind: 'historical',
    title: 'drm/ttm: fix swapped-out resources never leaving their bulk_move range',
    commit: '3db7d7d58341',
    year: 2026,
    change:
      "ttm_bo_swapout_cb tests `!ret` after ttm_tt_swapout (which returns the pages swapped out), as b2ed01e7ad3d shipped it: a swapped-out BO's resource stays in its bulk range on the manager's LRU instead of going to the unevictable list",
    scenario: 'swap-race',
    detectedBy: 'lru.placement',
  },
  {
    name: MUTATION_BULK_MOVE_STALE_FIRST,
    kind: 'historical',
    title: 'drm/ttm: fix bulk_move corruption when adding a entry',
    commit: '4481913607e5',
    year: 2023,
    change:
      "moving a bulk range's first resource to the range tail keeps `first` on it (the other members drop out of the range), and ttm_lru_bulk_move_del has no WARN_ON guard for an emptied range: deleting a member then dereferences its NULL `last`",
    scenario: 'bulk-lru',
    detectedBy: 'lru.bulk-range',
  },
  {
    name: MUTATION_BULK_MOVE_PINNED,
    kind: 'historical',
    title: 'drm/ttm: fix bulk move handling v2',
    commit: '0f9cd1ea10d3',
    year: 2022,
    change:
      'ttm_resource_alloc / _free and ttm_bo_set_bulk_move add and remove resources of pinned BOs to and from bulk ranges (no pin_count check): a pinned resource is spliced onto the LRU',
    scenario: 'bulk-lru',
    detectedBy: 'pinned.resident',
  },
  {
    name: MUTATION_POOL_SHRINKER_ONE_BLOCK,
    kind: 'historical',
    title: 'drm/ttm: Respect the shrinker core free target',
    commit: 'eac21f8ebeb4',
    year: 2025,
    change:
      'ttm_pool_shrinker_scan returns after the first ttm_pool_shrink that freed anything (one block), whatever nr_to_scan asked for',
    scenario: 'pool-reclaim',
    detectedBy: 'pool.shrinker-scan.target',
  },
  {
    name: MUTATION_POOL_DMA32_SHARED,
    kind: 'historical',
    title: 'drm/ttm: fix DMA32 handling in the global page pool',
    commit: '3e3e59ef0cbe',
    year: 2020,
    change:
      "ttm_pool_select_type gives a DMA32 device's pool the global write-combined / uncached types every device shares, not the global DMA32 ones",
    scenario: 'pool-dma32',
    detectedBy: 'correctness.dma32',
  },
];
