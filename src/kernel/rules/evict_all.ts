// What ttm_resource_manager_evict_all (drivers/gpu/drm/ttm/ttm_resource.c) leaves behind when it returns 0,
// as suspend and teardown rely on it: "Evict all the objects out of a memory manager until it is empty",
// then wait for the fences of the pipelined evictions out of it (man->pipelined_eviction.fences[], each
// slot a different engine), so that no copy from the manager's memory is still running when the driver
// powers it down or frees it. Judged from the LRU lists themselves when the eviction loop stops (not
// through ttm_resource_manager_first, which told the loop to stop), and from the fences the slots held
// then (a snapshot taken there), not through the loop that waits for them.

import type { TtmGlobal } from '../device.ts';
import type { DmaFence } from '../fence.ts';
import { lruResources, type ResourceManager } from '../resource.ts';
import { type KernelRule, kernelRule, warnOn } from './check.ts';

const RES = 'drivers/gpu/drm/ttm/ttm_resource.c';
const BO = 'drivers/gpu/drm/ttm/ttm_bo.c';

export const EVICT_ALL_FENCES = kernelRule(
  'resource.evict-all.fences',
  'return',
  'when ttm_resource_manager_evict_all returns 0, every fence its eviction-fence slots held once the manager was empty has signalled',
  [
    {
      file: RES,
      func: 'ttm_resource_manager_evict_all',
      text: ' * Evict all the objects out of a memory manager until it is empty.',
    },
    { file: RES, func: 'ttm_resource_manager_evict_all', text: 'ret = dma_fence_wait(fence, false);' },
  ],
);

export const EVICT_ALL_EMPTY = kernelRule(
  'resource.evict-all.empty',
  'return',
  "ttm_resource_manager_evict_all stops evicting (ttm_bo_evict_first finds no first resource: -ENOENT) only when no resource is left on any of the manager's LRU lists",
  [
    {
      file: RES,
      func: 'ttm_resource_manager_evict_all',
      text: ' * Evict all the objects out of a memory manager until it is empty.',
    },
    { file: BO, func: 'ttm_bo_evict_first', text: 'res = ttm_resource_manager_first(man, &cursor);' },
  ],
);

/**
 * resource.evict-all.empty where the eviction loop of ttm_resource_manager_evict_all has ended with
 * -ENOENT (the manager is empty): judged by listing every priority's LRU list.
 */
export function checkEvictAllEmpty(g: TtmGlobal | null, man: ResourceManager): void {
  const left = man.lru.flatMap((head) => lruResources(head));
  const broken = left.length > 0;
  warnOn(
    g,
    EVICT_ALL_EMPTY,
    broken,
    man.id,
    broken ? `the loop ended with -ENOENT while ${left.map((r) => r.id).join(', ')} were still listed` : '',
  );
}

/** The unsignalled fences of the manager's eviction-fence slots, slot order. */
export function pendingEvictionFences(man: ResourceManager): DmaFence[] {
  const out: DmaFence[] = [];
  for (const f of man.evictionFences) if (f !== null && !f.signaled) out.push(f);
  return out;
}

/**
 * resource.evict-all.fences on a return of 0 from ttm_resource_manager_evict_all of `man`: `pending` the
 * snapshot pendingEvictionFences took when the eviction loop ended with -ENOENT.
 */
export function postEvictAll(g: TtmGlobal | null, man: ResourceManager, pending: readonly DmaFence[]): void {
  const left = pending.filter((f) => !f.signaled);
  const broken = left.length > 0;
  warnOn(
    g,
    EVICT_ALL_FENCES,
    broken,
    man.id,
    broken ? `it returned 0 with ${left.map((f) => f.id).join(', ')} of its eviction slots unsignalled` : '',
  );
}

/** The rules of this module. */
export const EVICT_ALL_RULES: readonly KernelRule[] = [EVICT_ALL_FENCES, EVICT_ALL_EMPTY];
