// The simulated driver's move of a BO within VRAM (src/kernel/simdrv.ts simMove): as amdgpu_bo_move with
// its copy engine on ("r = amdgpu_move_blit(bo, evict, new_mem, old_mem);"), the copy is a GPU job that
// waits for the BO's fences, and the old node goes to a ghost until the copy signals. A CPU copy of a BO
// whose job has not run would copy its pages before the job wrote them.

import { describe, expect, test } from 'vitest';
import { SwapSpace } from '../../src/kernel/backup.ts';
import {
  newBufferObject,
  ttmBoInitValidate,
  ttmBoReserve,
  ttmBoUnreserve,
  ttmBoValidate,
} from '../../src/kernel/bo.ts';
import { PAGE_SIZE, TTM_PL_FLAG_CONTIGUOUS, TTM_PL_VRAM } from '../../src/kernel/constants.ts';
import { TtmGlobal } from '../../src/kernel/device.ts';
import { operationCtx, place, placementOf } from '../../src/kernel/placement.ts';
import { Ram } from '../../src/kernel/ram.ts';
import { DmaResvUsage } from '../../src/kernel/resv.ts';
import { createSimDevice } from '../../src/kernel/simdrv.ts';
import { runSync, SyncEnv } from '../../src/kernel/sync.ts';

describe('simulated driver: VRAM→VRAM moves', () => {
  test('a busy BO moved into a contiguous node: the copy engine syncs to its job, the old node waits in a ghost', () => {
    const env = new SyncEnv();
    const global = new TtmGlobal(new Ram(256), new SwapSpace(64));
    const dev = createSimDevice(env, global, 'device:0', {
      vramBytes: 8 * PAGE_SIZE,
      ttBytes: 8 * PAGE_SIZE,
    });
    const bo = newBufferObject(dev.bdev, 2 * PAGE_SIZE);
    expect(
      runSync(
        env,
        ttmBoInitValidate(dev.bdev, bo, 'device', placementOf(place(TTM_PL_VRAM)), 1, false, null),
      ),
    ).toBe(0);
    const old = bo.resource!;
    expect(old.placement & TTM_PL_FLAG_CONTIGUOUS).toBe(0);
    // A GPU job writes the BO and has not run yet.
    const job = dev.gfxRing.emit();
    expect(runSync(env, ttmBoReserve(bo, false, false, null))).toBe(0);
    expect(bo.resv.reserveFences(1)).toBe(0);
    bo.resv.addFence(job, DmaResvUsage.WRITE);
    const ret = runSync(
      env,
      ttmBoValidate(bo, placementOf(place(TTM_PL_VRAM, TTM_PL_FLAG_CONTIGUOUS)), operationCtx()),
    );
    ttmBoUnreserve(bo);
    expect(ret).toBe(0);
    expect(bo.resource).not.toBe(old);
    expect(bo.resource!.memType).toBe(TTM_PL_VRAM);
    expect(bo.resource!.placement & TTM_PL_FLAG_CONTIGUOUS).toBe(TTM_PL_FLAG_CONTIGUOUS);
    // The copy is a job of the copy ring that depends on the BO's job; nothing waited for it.
    const copy = bo.resv.fencesFor(DmaResvUsage.KERNEL).find((f) => f.context === dev.copyRing.context);
    expect(copy).toBeDefined();
    expect(copy!.signaled).toBe(false);
    expect(copy!.deps).toContain(job);
    expect(job.signaled).toBe(false);
    // The old node is not free yet: a ghost holds it until the copy signals.
    expect(old.freed).toBe(false);
    expect(old.bo).not.toBe(bo);
    expect(global.ruleBroken).toBeNull();
  });
});
