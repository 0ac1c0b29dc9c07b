// What a driver calls to suspend and to unload: ttm_range_man_fini (ttm_range_manager.c: disable the
// manager, evict everything, take the allocator down, detach it), ttm_resource_manager_cleanup
// (ttm_resource.h: drop the manager's eviction fences), ttm_device_prepare_hibernation (ttm_device.c: swap
// every BO of the device's use_tt managers out to shmem) and the drain of the device's workqueue
// (drain_workqueue(bdev->wq), which ttm_device_fini does and amdgpu_device_fini_hw does before it).
// ttm_resource_manager_evict_all itself is in bo.ts (it walks BOs), ttm_device_fini in device.ts and
// ttm_pool_fini / ttm_pool_mgr_fini in pool.ts.
// Simplified: drm_mm_clean + drm_mm_takedown leave a manager that still has nodes as it is (the kernel
// WARNs "Memory manager not clean during takedown." and leaks them); the end-of-run checks
// (src/sim/end_checks.ts) report it. The workqueue drain polls the device's pending count between virtual
// sleeps: the delayed-delete works are tasks of their own, and nothing signals their end.

import { ttmResourceManagerEvictAll } from './bo.ts';
import { type Device, ttmSetDriverManager } from './device.ts';
import type { KGen } from './env.ts';
import { operationCtx } from './placement.ts';
import { type ResourceManager, ttmResourceManagerSetUsed } from './resource.ts';
import { beginPrepareHibernation } from './rules/ttm_device.ts';
import { postPrepareHibernation } from './rules_post.ts';
import { ttmDeviceSwapout } from './swap.ts';

/** Virtual milliseconds between two looks at the workqueue while draining it. */
const DRAIN_POLL_MS = 1;

/** ttm_resource_manager_cleanup: empty every eviction-fence slot of the manager. */
export function ttmResourceManagerCleanup(man: ResourceManager): void {
  man.evictionFences.fill(null);
}

/**
 * ttm_range_man_fini: disable the manager (no new allocations), evict every resource, then take the
 * allocator down and detach the manager from the device. 0; 0 for a memory type with no manager; or the
 * error of ttm_resource_manager_evict_all, with the manager disabled but still attached (the driver's
 * unload goes on without it, as amdgpu_ttm_fini ignores the return value).
 */
export function* ttmRangeManFini(bdev: Device, memType: number): KGen<number> {
  const man = bdev.manager(memType);
  if (man === null) return 0;
  ttmResourceManagerSetUsed(man, false);
  const ret = yield* ttmResourceManagerEvictAll(bdev, man);
  if (ret !== 0) return ret;
  ttmResourceManagerCleanup(man);
  ttmSetDriverManager(bdev, memType, null);
  return 0;
}

/**
 * ttm_device_prepare_hibernation: ttm_device_swapout until it finds nothing more to swap out (0) or
 * fails. 0, or the first error of a swapout (e.g. -ENOSPC when the swap space is full).
 */
export function* ttmDevicePrepareHibernation(bdev: Device): KGen<number> {
  const ctx = operationCtx();
  beginPrepareHibernation();
  let ret: number;
  do {
    ret = yield* ttmDeviceSwapout(bdev, ctx);
  } while (ret > 0);
  return postPrepareHibernation(bdev, ret);
}

/** drain_workqueue(bdev->wq): wait until every queued delayed delete of the device has run. */
export function* ttmDeviceDrainWorkqueue(bdev: Device): KGen<void> {
  while (bdev.wq !== null && bdev.wq.pending > 0) yield { kind: 'sleep', ms: DRAIN_POLL_MS };
}
