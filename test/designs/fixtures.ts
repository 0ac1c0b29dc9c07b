// Fixtures of the design tests: a world with designs switched on (as Sim.adopt does) and one simulated
// device, BOs validated into a memory type on one thread, CPU faults through an mmap.

import { installDesigns } from '../../src/designs/install.ts';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitValidate,
  ttmBoReserve,
  ttmBoUnreserve,
  ttmBoValidate,
} from '../../src/kernel/bo.ts';
import { CpuMapping, ttmBoMmapObj, ttmBoVmFault, type VmFault } from '../../src/kernel/bo_vm.ts';
import { TTM_PL_SYSTEM } from '../../src/kernel/constants.ts';
import { TtmGlobal } from '../../src/kernel/device.ts';
import { operationCtx, place, placementOf } from '../../src/kernel/placement.ts';
import { createSimDevice, type SimDevice, type SimDeviceConfig } from '../../src/kernel/simdrv.ts';
import { runSync, SyncEnv } from '../../src/kernel/sync.ts';

export interface DesignWorld {
  readonly env: SyncEnv;
  readonly global: TtmGlobal;
  readonly dev: SimDevice;
}

/** A world with `designs` on and one device (VRAM 64 KiB, TT 1 MiB unless told). */
export function designWorld(designs: readonly string[], cfg: Partial<SimDeviceConfig> = {}): DesignWorld {
  const env = new SyncEnv();
  const global = new TtmGlobal();
  global.designs = new Set(designs);
  installDesigns(global);
  const dev = createSimDevice(env, global, 'device:0', {
    vramBytes: 64 * 1024,
    ttBytes: 1024 * 1024,
    ...cfg,
  });
  return { env, global, dev };
}

/** A BO of `pages` pages created in SYSTEM. */
export function sysBo(w: DesignWorld, pages: number): BufferObject {
  const bo = newBufferObject(w.dev.bdev, pages * 4096);
  const ret = runSync(
    w.env,
    ttmBoInitValidate(w.dev.bdev, bo, 'device', placementOf(place(TTM_PL_SYSTEM)), 1, false, null),
  );
  if (ret !== 0) throw new Error(`BO creation failed: ${ret}`);
  return bo;
}

/** Reserve, validate into `memType`, unreserve: the validate's result. */
export function moveTo(w: DesignWorld, bo: BufferObject, memType: number): number {
  return runSync(
    w.env,
    (function* () {
      const r = yield* ttmBoReserve(bo, false, false, null);
      if (r !== 0) return r;
      const ret = yield* ttmBoValidate(bo, placementOf(place(memType)), operationCtx());
      ttmBoUnreserve(bo);
      return ret;
    })(),
  );
}

/** An mmap of the whole BO. */
export function mmap(bo: BufferObject): CpuMapping {
  const vma = ttmBoMmapObj(bo);
  if (!(vma instanceof CpuMapping)) throw new Error(`mmap failed: ${vma}`);
  return vma;
}

/** A CPU fault on page 0 of a mapping. */
export function fault(w: DesignWorld, vma: CpuMapping): VmFault {
  return runSync(w.env, ttmBoVmFault(vma, 0, { allowRetry: false, retryNowait: false, interruptible: true }));
}
