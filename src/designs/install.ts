// Switching a world's designs on: called by Sim.adopt once the run's design specs are on the world,
// before the scenario creates devices. Designs that bind DMA get the world's DmaBinder and the CPU
// access hook; every design that changes the simulated driver (its probe, its pool's DMA mode, its
// moves, its unpopulate) does so through the driver hooks installed here (SimDriverHooks in
// src/kernel/simdrv.ts), so the kernel model imports no design.

import type { BufferObject } from '../kernel/bo.ts';
import type { Caching } from '../kernel/constants.ts';
import { TTM_PL_SYSTEM, TTM_PL_TT } from '../kernel/constants.ts';
import type { TtmGlobal } from '../kernel/device.ts';
import type { KGen } from '../kernel/env.ts';
import type { OperationCtx } from '../kernel/placement.ts';
import { TTM_ALLOCATION_POOL_USE_DMA_ALLOC } from '../kernel/pool_type.ts';
import type { Resource } from '../kernel/resource.ts';
import { type SimDriverHooks, setSimDriverHooks } from '../kernel/simdrv.ts';
import type { Tt } from '../kernel/tt.ts';
import { allocOpsBackend } from './alloc_backend.ts';
import { cachingDesignOn, cachingDriverProbe, ttmTtSetPlacementCaching } from './caching.ts';
import { type DmaBinder, setDmaBinder } from './dma_bind.ts';
import { sharedIommuBinder } from './shared_iommu.ts';
import { twoStepBinder } from './two_step.ts';

export function installDesigns(global: TtmGlobal): void {
  if (global.designs.size === 0) return;
  const binder = sharedIommuBinder(global) ?? twoStepBinder(global);
  if (binder !== null) {
    setDmaBinder(global, binder);
    global.cpuAccessHook = (bo, how) => binder.cpuAccess(bo, how);
    global.ttBackedUpHook = (tt) => binder.unbindTt(tt);
  }
  setSimDriverHooks(global, driverHooks(global, binder));
}

/** What the world's designs change in the simulated driver. */
function driverHooks(global: TtmGlobal, binder: DmaBinder | null): SimDriverHooks {
  const backend = allocOpsBackend(global);
  const caching = cachingDesignOn(global);
  return {
    // The caching design's coherence check may refuse the driver (-ENODEV).
    probe: () => cachingDriverProbe(global),
    // The alloc-ops design's backend picks the pool's mode.
    useDmaAlloc: backend !== null && (backend.poolFlags & TTM_ALLOCATION_POOL_USE_DMA_ALLOC) !== 0,
    bindsDmaAtMove: binder !== null,
    move:
      binder === null && !caching
        ? null
        : (bo, newMem, ctx, ttCaching) => designMove(global, binder, caching, bo, newMem, ctx, ttCaching),
    unpopulate: binder === null ? null : (tt: Tt) => binder.unbindTt(tt),
  };
}

/**
 * The designs' part of a move: bind the tt to its DMA type before it is bound to the GPU (two-step,
 * shared-iommu), and give its pages the caching of the new placement (caching). 0 or the DMA OOM error.
 */
function* designMove(
  global: TtmGlobal,
  binder: DmaBinder | null,
  caching: boolean,
  bo: BufferObject,
  newMem: Resource,
  ctx: OperationCtx,
  ttCaching: Caching,
): KGen<number> {
  const toTt = newMem.memType === TTM_PL_TT && bo.resource?.memType !== TTM_PL_TT;
  if (binder !== null && toTt) {
    const ret = yield* binder.bind(bo, ctx);
    if (ret !== 0) return ret;
  }
  if (caching && bo.ttm !== null) {
    if (toTt) ttmTtSetPlacementCaching(global, bo.ttm, ttCaching);
    else if (newMem.memType === TTM_PL_SYSTEM) ttmTtSetPlacementCaching(global, bo.ttm, 'cached');
  }
  return 0;
}
