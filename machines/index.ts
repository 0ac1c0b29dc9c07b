// Every statechart of the model, by the kernel object kind it mirrors.

export { dmaResvMachine } from './dma_resv.machine.ts';
export { gpuRingMachine } from './gpu_ring.machine.ts';
export { iommuMachine } from './iommu.machine.ts';
export { swapMachine, ttmPoolMachine } from './memory.machine.ts';
export { shrinkerMachine } from './shrinker.machine.ts';
export { taskMachine } from './task.machine.ts';
export { ttmBoMachine } from './ttm_bo.machine.ts';
export { ttmDeviceMachine } from './ttm_device.machine.ts';
export { ttmResourceMachine } from './ttm_resource.machine.ts';
export { ttmResourceManagerMachine } from './ttm_resource_manager.machine.ts';
export { ttmTtMachine } from './ttm_tt.machine.ts';
