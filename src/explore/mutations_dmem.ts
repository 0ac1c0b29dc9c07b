// The dmem cgroup mutation: the charge's -EAGAIN as 6.14 shipped it, before the 2026 conversion to
// -ENOSPC (src/kernel/resource.ts MUTATION_DMEM_EAGAIN). A limited cgroup's evicting validate then
// ends its eviction walk on the evictor's own -EAGAIN and returns it to the driver.

import { MUTATION_DMEM_EAGAIN } from '../kernel/resource.ts';
import type { MutationInfo } from './mutations.ts';

export const DMEM_MUTATIONS: readonly MutationInfo[] = [
  {
    name: MUTATION_DMEM_EAGAIN,
    kind: 'historical',
    title: 'drm/ttm: Convert -EAGAIN from dmem_cgroup_try_charge to -ENOSPC',
    commit: '2b624a2c1865',
    year: 2026,
    change:
      'ttm_resource_alloc returns the dmem charge\'s -EAGAIN unconverted and ttm_bo_alloc_resource evicts on it too; the evictor\'s re-allocation in ttm_bo_evict_cb then ends the walk with -EAGAIN, which ttm_bo_validate returns (commit is the Fixes: target "drm/ttm: Handle cgroup based eviction in TTM"; the fix was posted to dri-devel and stable in May 2026)',
    scenario: 'dmem-cgroups',
    detectedBy: 'bo.validate.returns',
  },
];
