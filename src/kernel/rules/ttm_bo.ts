// Rules stated in drivers/gpu/drm/ttm/ttm_bo.c (text read from torvalds/linux, the ≈v6.16/6.17 version with
// struct ttm_bo_evict_walk and dmem cgroup eviction), checked where src/kernel/bo.ts mirrors each function.

import { kernelRule } from './check.ts';

const F = 'drivers/gpu/drm/ttm/ttm_bo.c';
const RESV_HELD = 'dma_resv_assert_held(bo->base.resv);';

export const BO_PIN_RESV_HELD = kernelRule(
  'bo.pin.resv-held',
  'call',
  'ttm_bo_pin is called with the BO reserved by the calling task',
  [{ file: F, func: 'ttm_bo_pin', text: RESV_HELD }],
);
export const BO_PIN_KREF = kernelRule(
  'bo.pin.kref',
  'call',
  'ttm_bo_pin is called on a BO that still has a reference',
  [{ file: F, func: 'ttm_bo_pin', text: 'WARN_ON_ONCE(!kref_read(&bo->kref));' }],
);
export const BO_UNPIN_RESV_HELD = kernelRule(
  'bo.unpin.resv-held',
  'call',
  'ttm_bo_unpin is called with the BO reserved by the calling task',
  [{ file: F, func: 'ttm_bo_unpin', text: RESV_HELD }],
);
export const BO_UNPIN_KREF = kernelRule(
  'bo.unpin.kref',
  'call',
  'ttm_bo_unpin is called on a BO that still has a reference',
  [{ file: F, func: 'ttm_bo_unpin', text: 'WARN_ON_ONCE(!kref_read(&bo->kref));' }],
);
export const BO_UNPIN_PINNED = kernelRule(
  'bo.unpin.pinned',
  'call',
  'ttm_bo_unpin is called on a pinned BO (pin_count > 0)',
  [{ file: F, func: 'ttm_bo_unpin', text: 'if (WARN_ON_ONCE(!bo->pin_count))' }],
);

/** The rules of ttm_bo.c, in the order the file states them. */
export const TTM_BO_RULES = [
  BO_PIN_RESV_HELD,
  BO_PIN_KREF,
  BO_UNPIN_RESV_HELD,
  BO_UNPIN_KREF,
  BO_UNPIN_PINNED,
];
