// Switching a world's designs on: called by Sim.adopt once the run's design specs are on the world,
// before the scenario creates devices. Designs that bind DMA get the world's DmaBinder and the CPU
// access hook; the others act through their probes at device creation (simdrv.ts).

import type { TtmGlobal } from '../kernel/device.ts';
import { setDmaBinder } from './dma_bind.ts';
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
}
