// Rules stated in drivers/gpu/drm/ttm/ttm_device.c and drivers/gpu/drm/ttm/ttm_bo_vm.c, checked where
// src/kernel/device.ts and bo_vm.ts mirror each function.

import type { BufferObject } from '../bo.ts';
import { type KernelRule, kernelRule } from './check.ts';

const VM = 'drivers/gpu/drm/ttm/ttm_bo_vm.c';

export const DEVICE_INIT_VMA_MANAGER = kernelRule(
  'device.init.vma-manager',
  'call',
  'ttm_device_init is given a vma offset manager',
  [
    {
      file: 'drivers/gpu/drm/ttm/ttm_device.c',
      func: 'ttm_device_init',
      text: 'if (WARN_ON(vma_manager == NULL))',
    },
  ],
);
export const VM_RESERVE_RETURNS = kernelRule(
  'bo-vm.reserve.returns',
  'return',
  'ttm_bo_vm_reserve returns 0 with the BO reserved, VM_FAULT_RETRY, VM_FAULT_NOPAGE, or (for imported pages that are not mappable) VM_FAULT_SIGBUS',
  [
    {
      file: VM,
      func: 'ttm_bo_vm_reserve',
      text: ' * Return: 0 on success and the bo was reserved. VM_FAULT_RETRY if blocking wait. VM_FAULT_NOPAGE if blocking wait and retrying was not allowed.',
    },
    {
      file: VM,
      func: 'ttm_bo_vm_reserve',
      text: 'if (!(bo->ttm->page_flags & TTM_TT_FLAG_EXTERNAL_MAPPABLE)) { dma_resv_unlock(bo->base.resv); return VM_FAULT_SIGBUS; }',
    },
  ],
);
export const VM_ACCESS_KMAP_NOT_IOMEM = kernelRule(
  'bo-vm.access-kmap.not-iomem',
  'call',
  'ttm_bo_vm_access_kmap maps memory backed by a tt, never io memory',
  [{ file: VM, func: 'ttm_bo_vm_access_kmap', text: 'WARN_ON_ONCE(is_iomem);' }],
);

/** The rules of ttm_device.c and ttm_bo_vm.c. */
export const TTM_DEVICE_VM_RULES: readonly KernelRule[] = [
  DEVICE_INIT_VMA_MANAGER,
  VM_RESERVE_RETURNS,
  VM_ACCESS_KMAP_NOT_IOMEM,
];

// ---------------------------------------------------------------------------------------------------
// What device.prepare-hibernation.post (src/kernel/rules_post.ts) may not judge: ttm_bo_swapout_cb
// treats -ENOMEM and -ENOSPC of a BO's swapout as non-fatal ("Consider -ENOMEM and -ENOSPC non-fatal."),
// and the LRU walk skips a BO whose callback returned -EBUSY, e.g. its wait for idle timed out
// (ttm_lru_walk_for_evict: "if (lret == -EBUSY || lret == -EALREADY) lret = 0;"), so
// ttm_device_prepare_hibernation can return 0 with such a BO still holding its pages.

let nonFatalSwapouts = new WeakSet<BufferObject>();

/** ttm_device_prepare_hibernation starts: forget the BOs earlier swapouts left behind. */
export function beginPrepareHibernation(): void {
  nonFatalSwapouts = new WeakSet<BufferObject>();
}

/** ttm_bo_swapout_cb turned the -ENOMEM or -ENOSPC of `bo`'s swapout into -EBUSY, or it failed with -EBUSY. */
export function noteNonFatalSwapout(bo: BufferObject): void {
  nonFatalSwapouts.add(bo);
}

/** Whether a swapout of `bo` failed as non-fatal (-EBUSY) since ttm_device_prepare_hibernation started. */
export function swapoutFailedForMemory(bo: BufferObject): boolean {
  return nonFatalSwapouts.has(bo);
}
