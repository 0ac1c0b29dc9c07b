// A simulated TTM driver, shaped like amdgpu's use of TTM: VRAM is device memory (no tt), TT is the
// GART aperture (a tt bound into it), SYSTEM is plain pages. VRAM↔TT moves are GPU copies on a copy
// ring, pipelined behind a fence; SYSTEM↔TT is a bind/unbind; VRAM↔SYSTEM bounces through TT
// (-EMULTIHOP); eviction sends VRAM to TT (SYSTEM as fallback) and TT to SYSTEM.

import { type BufferObject, ttmBoEvictionValuable } from './bo.ts';
import { ttmBoMoveAccelCleanup, ttmBoMoveMemcpy, ttmBoMoveNull } from './bo_util.ts';
import {
  TTM_PL_FLAG_FALLBACK,
  TTM_PL_FLAG_TEMPORARY,
  TTM_PL_SYSTEM,
  TTM_PL_TT,
  TTM_PL_VRAM,
} from './constants.ts';
import { copyPages } from './content.ts';
import {
  Device,
  type DeviceFuncs,
  type Hop,
  type TtmGlobal,
  ttmDeviceInit,
  ttmSetDriverManager,
} from './device.ts';
import type { KernelEnv, KGen } from './env.ts';
import { EMULTIHOP } from './errno.ts';
import { FenceTimeline } from './fence.ts';
import { type OperationCtx, type Placement, place, placementOf } from './placement.ts';
import {
  RangeManager,
  type Resource,
  ttmResourceManagerInit,
  ttmResourceManagerSetUsed,
} from './resource.ts';
import { ttmTtInit } from './tt.ts';

export interface SimDeviceConfig {
  readonly vramBytes: number;
  readonly ttBytes: number;
}

const VRAM_EVICT: Placement = placementOf(place(TTM_PL_TT), place(TTM_PL_SYSTEM, TTM_PL_FLAG_FALLBACK));
const TT_EVICT: Placement = placementOf(place(TTM_PL_SYSTEM));
const SYSTEM_EVICT: Placement = placementOf(place(TTM_PL_SYSTEM));

function needsHop(from: number, to: number): boolean {
  return (from === TTM_PL_VRAM && to === TTM_PL_SYSTEM) || (from === TTM_PL_SYSTEM && to === TTM_PL_VRAM);
}

/** The driver's ttm_device_funcs; `copyRing` is the GPU ring that runs its VRAM↔TT copies. */
export function simDeviceFuncs(copyRing: () => FenceTimeline): DeviceFuncs {
  return {
    ttmTtCreate: (bo, pageFlags) => ttmTtInit(bo, pageFlags, 'cached', 0),
    evictionValuable: ttmBoEvictionValuable,
    evictFlags(bo: BufferObject): Placement {
      const memType = bo.resource?.memType;
      if (memType === TTM_PL_VRAM) return VRAM_EVICT;
      if (memType === TTM_PL_TT) return TT_EVICT;
      return SYSTEM_EVICT;
    },
    *move(
      bo: BufferObject,
      evict: boolean,
      ctx: OperationCtx,
      newMem: Resource,
      hop: Hop | null,
    ): KGen<number> {
      const old = bo.resource;
      if (old === null || (old.memType === TTM_PL_SYSTEM && bo.ttm === null)) {
        ttmBoMoveNull(bo, newMem);
        return 0;
      }
      if (needsHop(old.memType, newMem.memType)) {
        if (hop !== null) hop.place = place(TTM_PL_TT, TTM_PL_FLAG_TEMPORARY);
        return -EMULTIHOP;
      }
      const pair = [old.memType, newMem.memType];
      if (pair.includes(TTM_PL_SYSTEM) && pair.includes(TTM_PL_TT)) {
        ttmBoMoveNull(bo, newMem);
        return 0;
      }
      if (pair.includes(TTM_PL_VRAM) && pair.includes(TTM_PL_TT)) {
        // The copy engine moves the data; the CPU may only look after the fence (faults wait for it).
        copyPages(bo, { res: old, tt: bo.ttm }, { res: newMem, tt: bo.ttm });
        const fence = copyRing().emit();
        return yield* ttmBoMoveAccelCleanup(bo, fence, evict, true, newMem);
      }
      return yield* ttmBoMoveMemcpy(bo, ctx, newMem);
    },
  };
}

export interface SimDevice {
  readonly bdev: Device;
  readonly vram: RangeManager;
  readonly tt: RangeManager;
  readonly copyRing: FenceTimeline;
  /** The ring user command submissions run on. */
  readonly gfxRing: FenceTimeline;
}

/** A device with SYSTEM, TT and VRAM managers, a copy ring and a graphics ring. */
export function createSimDevice(
  env: KernelEnv,
  global: TtmGlobal,
  id: string,
  cfg: SimDeviceConfig,
): SimDevice {
  let copyRing: FenceTimeline | null = null;
  const bdev = new Device(
    id,
    env,
    simDeviceFuncs(() => copyRing!),
  );
  copyRing = new FenceTimeline(env, `${id}/copy`);
  const gfxRing = new FenceTimeline(env, `${id}/gfx`);
  const ret = ttmDeviceInit(global, bdev, {
    dev: {},
    mapping: {},
    vmaManager: { nodes: 0 },
    useDmaAlloc: false,
    useDma32: false,
  });
  if (ret !== 0) throw new Error(`ttm_device_init: ${ret}`);
  const vram = addRangeManager(bdev, TTM_PL_VRAM, false, cfg.vramBytes);
  const tt = addRangeManager(bdev, TTM_PL_TT, true, cfg.ttBytes);
  return { bdev, vram, tt, copyRing, gfxRing };
}

function addRangeManager(bdev: Device, memType: number, useTt: boolean, size: number): RangeManager {
  const man = new RangeManager(bdev, memType, useTt, size);
  ttmResourceManagerInit(man, size);
  ttmSetDriverManager(bdev, memType, man);
  ttmResourceManagerSetUsed(man, true);
  return man;
}
