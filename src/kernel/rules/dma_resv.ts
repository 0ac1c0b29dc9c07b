// Rules stated in drivers/dma-buf/dma-resv.c for the reservation object TTM and its drivers use, checked
// where src/kernel/resv.ts mirrors each function: fences are added and slots reserved only by the task
// holding the resv, and a new fence takes a slot reserved since the resv was last locked (with
// CONFIG_DEBUG_MUTEXES, dma_resv_unlock resets the reserved slots so that a missing reservation shows).

import { type KernelRule, kernelRule } from './check.ts';

const F = 'drivers/dma-buf/dma-resv.c';

export const RESV_RESERVE_FENCES_HELD = kernelRule(
  'dma-resv.reserve-fences.held',
  'call',
  'dma_resv_reserve_fences is called by the task holding the resv',
  [{ file: F, func: 'dma_resv_reserve_fences', text: 'dma_resv_assert_held(obj);' }],
);
export const RESV_ADD_FENCE_HELD = kernelRule(
  'dma-resv.add-fence.held',
  'call',
  'dma_resv_add_fence is called by the task holding the resv',
  [{ file: F, func: 'dma_resv_add_fence', text: 'dma_resv_assert_held(obj);' }],
);
export const RESV_ADD_FENCE_SLOT = kernelRule(
  'dma-resv.add-fence.slot',
  'call',
  'a fence dma_resv_add_fence cannot put in place of one of its context or of a signalled one takes a slot dma_resv_reserve_fences reserved since the resv was locked',
  [
    { file: F, func: 'dma_resv_add_fence', text: 'BUG_ON(fobj->num_fences >= fobj->max_fences);' },
    {
      file: F,
      func: 'dma_resv_reserve_fences',
      text: ' * Note that the preallocated slots need to be re-reserved if @obj is unlocked at any time before calling dma_resv_add_fence().',
    },
  ],
);

/** The rules of dma-resv.c, in the order the file states them. */
export const DMA_RESV_RULES: readonly KernelRule[] = [
  RESV_RESERVE_FENCES_HELD,
  RESV_ADD_FENCE_HELD,
  RESV_ADD_FENCE_SLOT,
];
