// dmem-low: the dmem-cgroups workload (dmem.ts) on a tree where the protection and the limit meet:
// `g` has dmem.max, its child `g/p` (client p0) has dmem.low and dmem.min, its child `g/q` (clients q0
// and q1) has neither. Once p0's BOs fill g, every charge of q0 and q1 hits g's max, and the only BOs in
// the limiting pool's subtree are p0's, within their effective low: ttm_bo_evict_alloc's first walk skips
// them (hit_low), and the walk that follows ignores low and evicts them down to the effective min
// (kernel/cgroup/dmem.c dmem_cgroup_state_evict_valuable; drivers/gpu/drm/ttm/ttm_bo.c
// ttm_bo_evict_alloc, "One more attempt if we hit low limit?"). BO creation reserves without a ww
// ticket, so the trylock walks are all it has. The whole lifecycle runs around it, as in dmem-cgroups.

import type { Scenario } from '../scenario.ts';
import { dmemCgroups } from './dmem.ts';

export function dmemLow(): Scenario {
  return dmemCgroups({ layout: 'low-siblings' }, 'dmem-low');
}
