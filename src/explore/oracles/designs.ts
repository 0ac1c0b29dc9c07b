// The oracles of the designs (src/designs): each holds trivially unless its design is on in the world (a
// world without a DMA binder has nothing for them to check).

import { dmaBinderOf } from '../../designs/dma_bind.ts';
import type { TtmGlobal } from '../../kernel/device.ts';
import { fail, type Violation } from './types.ts';

/** design.dynamic-cpu-access: no CPU fault or kmap touched a BO while it was bound DYNAMIC (two-step). */
export function checkDynamicCpuAccess(g: TtmGlobal): Violation | null {
  const v = dmaBinderOf(g)?.violations[0];
  return v === undefined ? null : fail(v.oracle, v.actor, v.message);
}

/** design.gpu-without-dma: a BO bound to the GPU (TT, unlocked) has its tt bound to a DMA type. */
export function checkGpuWithoutDma(g: TtmGlobal): Violation | null {
  const v = dmaBinderOf(g)?.gpuWithoutDma() ?? null;
  return v === null ? null : fail(v.oracle, v.actor, v.message);
}
