// Rules stated in drivers/dma-buf/dma-resv.c and include/linux/dma-fence.h about the fences a reservation
// object keeps: dma_resv_add_fence puts a fence in place of an old one of its context only when it is
// later or the same (dma_fence_is_later_or_same), so a resv never trades an unsignalled fence for an older
// one of its timeline and whoever waits on the resv waits for everything added. Checked where
// src/kernel/resv.ts mirrors dma_resv_add_fence.

import type { TtmGlobal } from '../device.ts';
import type { DmaFence } from '../fence.ts';
import { type KernelRule, kernelRule, warnOn } from './check.ts';

export const RESV_ADD_FENCE_LATER = kernelRule(
  'dma-resv.add-fence.later',
  'return',
  'after dma_resv_add_fence the resv still holds, for the fence’s context, a fence at least as late as the unsignalled one it held before',
  [
    {
      file: 'drivers/dma-buf/dma-resv.c',
      func: 'dma_resv_add_fence',
      text: 'dma_fence_is_later_or_same(fence, old)) ||',
    },
    {
      file: 'include/linux/dma-fence.h',
      func: 'dma_fence_is_later_or_same',
      text: ' * Returns true if f1 is chronologically later than f2 or the same fence. Both',
    },
  ],
);

/**
 * dma-resv.add-fence.later on return of dma_resv_add_fence into the slot of `old`, a fence of the added
 * fence's context: the slot now holds `kept`, which may not be older than `old` while `old` is unsignalled.
 */
export function postAddFenceSameContext(
  g: TtmGlobal | null,
  resvId: string,
  old: DmaFence,
  kept: DmaFence,
): void {
  const lost = !old.signaled && old.seqno > kept.seqno;
  warnOn(g, RESV_ADD_FENCE_LATER, lost, resvId, lost ? `${old.id} was replaced by the older ${kept.id}` : '');
}

/** The rules of this module. */
export const DMA_RESV_FENCE_RULES: readonly KernelRule[] = [RESV_ADD_FENCE_LATER];
