// Shared fixtures of the fault-site tests: a fault hook that fails chosen evaluations of chosen sites and
// logs every evaluation, and a world with the simulated driver (src/kernel/simdrv.ts) whose move and
// ttm_tt_create callbacks hold fault sites of their own.

import { SwapSpace } from '../../src/kernel/backup.ts';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitReserved,
  ttmBoPopulate,
  ttmBoUnreserve,
} from '../../src/kernel/bo.ts';
import { PAGE_SIZE } from '../../src/kernel/constants.ts';
import { TtmGlobal } from '../../src/kernel/device.ts';
import type { KGen } from '../../src/kernel/env.ts';
import type { FaultHook, FaultSite } from '../../src/kernel/faults.ts';
import { type OperationCtx, operationCtx, place, placementOf } from '../../src/kernel/placement.ts';
import { Ram } from '../../src/kernel/ram.ts';
import { createSimDevice, type SimDevice } from '../../src/kernel/simdrv.ts';
import { runSync, SyncEnv, type SyncHooks } from '../../src/kernel/sync.ts';

/**
 * Install on `global` a fault hook failing the n-th evaluations (1-based, per site) listed in `fail`;
 * returns the log of every evaluation, `site#n where`, with ` FAIL` on the failed ones.
 */
export function faultPlan(global: TtmGlobal, fail: Partial<Record<FaultSite, readonly number[]>>): string[] {
  const log: string[] = [];
  const seen = new Map<FaultSite, number>();
  const hook: FaultHook = (site, where) => {
    const n = (seen.get(site) ?? 0) + 1;
    seen.set(site, n);
    const fire = fail[site]?.includes(n) ?? false;
    log.push(`${site}#${n} ${where}${fire ? ' FAIL' : ''}`);
    return fire;
  };
  global.faultHook = hook;
  return log;
}

export interface SimWorld {
  readonly env: SyncEnv;
  readonly global: TtmGlobal;
  readonly dev: SimDevice;
}

/** One simulated device (16-page VRAM and TT) in a world of 1024 frames and 1024 swap slots. */
export function simWorld(style: 'amdgpu' | 'xe' = 'amdgpu'): SimWorld {
  const env = new SyncEnv();
  const global = new TtmGlobal(new Ram(1024), new SwapSpace(1024));
  const dev = createSimDevice(env, global, 'device:0', {
    vramBytes: 16 * PAGE_SIZE,
    ttBytes: 16 * PAGE_SIZE,
    style,
  });
  return { env, global, dev };
}

/** Fences never signal by themselves in a SyncEnv: a wait signals them (the GPU finished). */
export const GPU_DONE: SyncHooks = {
  onFenceWait: (fences) => {
    for (const f of fences) f.signal();
  },
};

/** Run `gen` to completion in the world, the GPU finishing whatever is waited for. */
export function run<T>(w: SimWorld, gen: KGen<T>): T {
  return runSync(w.env, gen, GPU_DONE);
}

/** A device BO of `pages` pages validated into `memType` (populated there if it uses a tt), unreserved. */
export function placedBo(w: SimWorld, pages: number, memType: number): BufferObject {
  const bo = newBufferObject(w.dev.bdev, pages * PAGE_SIZE);
  const ctx: OperationCtx = operationCtx();
  const ret = run(
    w,
    ttmBoInitReserved(w.dev.bdev, bo, 'device', placementOf(place(memType)), 1, ctx, null, null, null),
  );
  if (ret !== 0) throw new Error(`ttm_bo_init_reserved: ${ret}`);
  if (bo.ttm !== null) {
    const pop = run(w, ttmBoPopulate(bo, ctx));
    if (pop !== 0) throw new Error(`ttm_bo_populate: ${pop}`);
  }
  ttmBoUnreserve(bo);
  return bo;
}
