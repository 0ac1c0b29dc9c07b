// A BO's mmap offset (drivers/gpu/drm/ttm/ttm_bo.c): ttm_bo_init_reserved gives every device and sg BO
// an offset node in its device's vma offset manager ("ret = drm_vma_offset_add(bdev->vma_manager,
// &bo->base.vma_node, PFN_UP(bo->base.size));") and ttm_bo_release takes it out again
// ("drm_vma_offset_remove(bdev->vma_manager, &bo->base.vma_node);"). Both dereference bdev->vma_manager,
// the manager ttm_device_init was given and stored (it refuses a NULL one: "if (WARN_ON(vma_manager ==
// NULL))"), so on an initialised device it is never missing; a device that lost it would oops on the
// first BO it creates. Checked where the model's ttm_bo_init_reserved and ttm_bo_release add and
// remove the node.

import type { Device } from '../device.ts';
import { type KernelRule, kernelRule, warnOn } from './check.ts';

const BO = 'drivers/gpu/drm/ttm/ttm_bo.c';

export const BO_VMA_OFFSET_MANAGER = kernelRule(
  'bo.vma-offset.manager',
  'return',
  "a device or sg BO's mmap offset is added to and removed from its device's vma offset manager, which ttm_device_init stored",
  [
    {
      file: BO,
      func: 'ttm_bo_init_reserved',
      text: 'ret = drm_vma_offset_add(bdev->vma_manager, &bo->base.vma_node,',
    },
    {
      file: BO,
      func: 'ttm_bo_release',
      text: 'drm_vma_offset_remove(bdev->vma_manager, &bo->base.vma_node);',
    },
  ],
);

/**
 * bo.vma-offset.manager where `bo` (an id) gets or gives back its offset node on `bdev`: 'add' in
 * ttm_bo_init_reserved, 'remove' in ttm_bo_release. Returns whether the manager is there to count in.
 */
export function checkVmaOffsetManager(bdev: Device, bo: string, op: 'add' | 'remove'): boolean {
  const missing = bdev.vmaManager === null;
  warnOn(
    bdev.global,
    BO_VMA_OFFSET_MANAGER,
    missing,
    bo,
    missing ? `drm_vma_offset_${op} of ${bo} on ${bdev.id}, whose vma offset manager is NULL` : '',
  );
  return !missing;
}

/** The rules of this module. */
export const VMA_OFFSET_RULES: readonly KernelRule[] = [BO_VMA_OFFSET_MANAGER];
