// Port of drivers/gpu/drm/ttm/tests/ttm_bo_validate_test.c (torvalds/linux), KUnit suite "ttm_bo_validate":
// all 21 cases, one Vitest test per parameter row (34 tests), plus ttm_bo_validate_swapout as the pending
// v2 patch of March 2026 brings it back (35 tests). BO_SIZE = 4 KiB, MANAGER_SIZE = 1 MiB; every
// case runs on a fresh full test device (ttm_test_devices_all_init). The cases with a kthread
// (no_placement_not_signaled, move_fence_not_signaled) run as two tasks in the simulator.

import { describe, expect, test } from 'vitest';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitReserved,
  ttmBoPin,
  ttmBoPut,
  ttmBoReserve,
  ttmBoUnpin,
  ttmBoUnreserve,
  ttmBoValidate,
} from '../../src/kernel/bo.ts';
import {
  type BoType,
  PAGE_SIZE,
  TTM_PL_FLAG_DESIRED,
  TTM_PL_FLAG_FALLBACK,
  TTM_PL_PRIV,
  TTM_PL_SYSTEM,
  TTM_PL_TT,
  TTM_PL_VRAM,
  TTM_TT_FLAG_PRIV_POPULATED,
  TTM_TT_FLAG_SWAPPED,
  TTM_TT_FLAG_ZERO_ALLOC,
} from '../../src/kernel/constants.ts';
import { ttmDeviceFini } from '../../src/kernel/device.ts';
import { waitFences } from '../../src/kernel/env.ts';
import { EINVAL, ENOMEM } from '../../src/kernel/errno.ts';
import { DmaFence, FenceTimeline } from '../../src/kernel/fence.ts';
import { listIsSingular } from '../../src/kernel/list.ts';
import {
  NO_PLACEMENT,
  type OperationCtx,
  operationCtx,
  type Placement,
  place,
  placementOf,
} from '../../src/kernel/placement.ts';
import { ttmPoolAlloc } from '../../src/kernel/pool.ts';
import {
  lruResources,
  type Resource,
  ttmResourceAlloc,
  ttmResourceFree,
  ttmResourceManagerUsage,
} from '../../src/kernel/resource.ts';
import { DmaResv, DmaResvUsage, dmaResvLock, dmaResvWaitTimeout } from '../../src/kernel/resv.ts';
import { ttmBoSwapout } from '../../src/kernel/swap.ts';
import { runSync, type SyncEnv } from '../../src/kernel/sync.ts';
import type { Tt } from '../../src/kernel/tt.ts';
import { Sim } from '../../src/sim/sim.ts';
import {
  badManagerInit,
  busyManagerInit,
  kunitBo,
  mockManagerFini,
  mockManagerInit,
  type TestDevice,
  TTM_PL_MOCK1,
  TTM_PL_MOCK2,
  testDevice,
  ttmDevFuncs,
  ttmDevFuncsBadEvict,
} from './fixtures.ts';

const BO_SIZE = 4096;
const MANAGER_SIZE = 1 << 20;
const SZ_8K = 8192;
const SZ_512K = 512 * 1024;
/** DRM_BUDDY_TOPDOWN_ALLOCATION = BIT(1), passed as ttm_place.flags by ttm_bo_validate_basic. */
const DRM_BUDDY_TOPDOWN_ALLOCATION = 1 << 1;

/** ttm_bo_type_cases (ttm_bo_types_gen_params). */
const BO_TYPE_CASES: readonly { description: string; boType: BoType }[] = [
  { description: 'Buffer object for userspace', boType: 'device' },
  { description: 'Kernel buffer object', boType: 'kernel' },
  { description: 'Shared buffer object', boType: 'sg' },
];

/** Seeds each simulator case runs under. */
const SEEDS: readonly bigint[] = [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n];

/** What a simulator case checks right after ttm_bo_validate + unreserve. */
interface Snapshot {
  readonly ttm: Tt | null;
  readonly resource: Resource | null;
  readonly bulkMove: unknown;
  readonly resv: DmaResv;
}

function snapshot(bo: BufferObject): Snapshot {
  return { ttm: bo.ttm, resource: bo.resource, bulkMove: bo.bulkMove, resv: bo.resv };
}

/**
 * The full test device on the simulator's KernelEnv. testDevice types its env as SyncEnv but only uses
 * the KernelEnv members (nextId, and the Device); the sim cases never call runSync/flushWork on it.
 */
function simDevice(sim: Sim): TestDevice {
  return testDevice(ttmDevFuncs, sim.env as SyncEnv);
}

/** dummy_ttm_bo_destroy. */
function dummyTtmBoDestroy(_bo: BufferObject): void {}

/** ttm_placement_kunit_init(ttm_place_kunit_init(mem_type, flags), 1). */
function placementFor(memType: number, flags = 0): Placement {
  return placementOf(place(memType, flags));
}

/** kzalloc'd BO + drm_gem_private_object_init + ttm_bo_init_reserved(..., PAGE_SIZE, ctx, NULL, resv, dummy). */
function initReserved(
  t: TestDevice,
  size: number,
  type: BoType,
  placement: Placement,
  ctx: OperationCtx,
  resv: DmaResv | null = null,
): { bo: BufferObject; err: number } {
  const bo = newBufferObject(t.bdev, size);
  const err = runSync(
    t.env,
    ttmBoInitReserved(t.bdev, bo, type, placement, PAGE_SIZE, ctx, null, resv, dummyTtmBoDestroy),
  );
  return { bo, err };
}

/** ttm_bo_kunit_init + bo->type = type. */
function kunitBoOfType(t: TestDevice, size: number, type: BoType): BufferObject {
  const bo = kunitBo(t, size);
  bo.type = type;
  return bo;
}

/** ttm_bo_reserve(bo, false, false, NULL). */
function reserve(t: TestDevice, bo: BufferObject): void {
  expect(runSync(t.env, ttmBoReserve(bo, false, false, null))).toBe(0);
}

/** ttm_bo_validate on one thread. */
function validate(t: TestDevice, bo: BufferObject, placement: Placement, ctx: OperationCtx): number {
  return runSync(t.env, ttmBoValidate(bo, placement, ctx));
}

/** ttm_bo_fini: drop the test's reference. */
function boFini(t: TestDevice, bo: BufferObject): void {
  runSync(t.env, ttmBoPut(bo));
}

/** ttm_pool_alloc on a bare tt: pages are handed out, but PRIV_POPULATED is left to ttm_tt_populate. */
function poolAlloc(t: TestDevice, tt: Tt): void {
  expect(runSync(t.env, ttmPoolAlloc(t.bdev.pool, tt, operationCtx()))).toBe(0);
}

describe('ttm_bo_validate', () => {
  for (const p of BO_TYPE_CASES) {
    test(`ttm_bo_init_reserved_sys_man: ${p.description} → 0, unpopulated tt, bytes_moved 4096`, () => {
      const t = testDevice();
      const ctx = operationCtx();
      const { bo, err } = initReserved(t, BO_SIZE, p.boType, placementFor(TTM_PL_SYSTEM), ctx);
      bo.resv.unlock();

      expect(err).toBe(0);
      expect(bo.kref).toBe(1);
      expect(bo.bdev).toBe(t.bdev);
      expect(bo.type).toBe(p.boType);
      expect(bo.pageAlignment).toBe(PAGE_SIZE);
      expect(bo.destroy).toBe(dummyTtmBoDestroy);
      expect(bo.pinCount).toBe(0);
      expect(bo.bulkMove).toBeNull();
      expect(bo.ttm).not.toBeNull();
      expect(bo.ttm!.isPopulated()).toBe(false);
      // resv->fences != NULL: a fence slot was reserved (the list stays after the unlock gave the slot back).
      expect(bo.resv.fenceListAllocated).toBe(true);
      expect(ctx.bytesMoved).toBe(BO_SIZE);
      if (p.boType !== 'kernel') expect(bo.vmaNode).toBe(true);

      ttmResourceFree(bo, bo.resource);
      bo.resource = null;
      boFini(t, bo);
    });
  }

  for (const p of BO_TYPE_CASES) {
    test(`ttm_bo_init_reserved_mock_man: ${p.description} → 0, bytes_moved 4096`, () => {
      const t = testDevice();
      mockManagerInit(t.bdev, TTM_PL_VRAM, MANAGER_SIZE);
      const ctx = operationCtx();
      const { bo, err } = initReserved(t, BO_SIZE, p.boType, placementFor(TTM_PL_VRAM), ctx);
      bo.resv.unlock();

      expect(err).toBe(0);
      expect(bo.kref).toBe(1);
      expect(bo.bdev).toBe(t.bdev);
      expect(bo.type).toBe(p.boType);
      expect(ctx.bytesMoved).toBe(BO_SIZE);
      if (p.boType !== 'kernel') expect(bo.vmaNode).toBe(true);

      ttmResourceFree(bo, bo.resource);
      bo.resource = null;
      boFini(t, bo);
      mockManagerFini(t.bdev, TTM_PL_VRAM);
    });
  }

  test('ttm_bo_init_reserved_resv → 0, bo->base.resv is the external resv', () => {
    const t = testDevice();
    const ctx = operationCtx();
    const resv = new DmaResv('resv:external', t.env);
    expect(runSync(t.env, dmaResvLock(resv, null, false))).toBe(0);

    const { bo, err } = initReserved(t, BO_SIZE, 'device', placementFor(TTM_PL_SYSTEM), ctx, resv);
    bo.resv.unlock();

    expect(err).toBe(0);
    expect(bo.resv).toBe(resv);
    expect(bo.resv).not.toBe(bo.ownResv);

    ttmResourceFree(bo, bo.resource);
    bo.resource = null;
    boFini(t, bo);
  });

  for (const p of BO_TYPE_CASES) {
    test(`ttm_bo_validate_basic: ${p.description} → 0, populated tt in VRAM, bytes_moved 8192`, () => {
      const t = testDevice();
      mockManagerInit(t.bdev, TTM_PL_VRAM, MANAGER_SIZE);
      const ctxInit = operationCtx();
      const ctxVal = operationCtx();
      const { bo, err: errInit } = initReserved(t, SZ_8K, p.boType, placementFor(TTM_PL_SYSTEM), ctxInit);
      expect(errInit).toBe(0);

      const err = validate(t, bo, placementFor(TTM_PL_VRAM, DRM_BUDDY_TOPDOWN_ALLOCATION), ctxVal);
      bo.resv.unlock();

      expect(err).toBe(0);
      expect(ctxVal.bytesMoved).toBe(bo.size);
      expect(ctxVal.bytesMoved).toBe(SZ_8K);
      expect(bo.ttm).not.toBeNull();
      expect(bo.ttm!.isPopulated()).toBe(true);
      expect(bo.resource!.memType).toBe(TTM_PL_VRAM);
      expect(bo.resource!.placement).toBe(DRM_BUDDY_TOPDOWN_ALLOCATION);

      boFini(t, bo);
      mockManagerFini(t.bdev, TTM_PL_VRAM);
    });
  }

  test('ttm_bo_validate_invalid_placement → -ENOMEM', () => {
    const t = testDevice();
    const ctx = operationCtx();
    const bo = kunitBoOfType(t, BO_SIZE, 'device');

    reserve(t, bo);
    const err = validate(t, bo, placementFor(TTM_PL_PRIV + 1), ctx);
    bo.resv.unlock();

    expect(err).toBe(-ENOMEM);
    expect(bo.resource).toBeNull();

    boFini(t, bo);
  });

  for (const p of [
    { description: 'System manager', memType: TTM_PL_SYSTEM },
    { description: 'VRAM manager', memType: TTM_PL_VRAM },
  ]) {
    test(`ttm_bo_validate_same_placement: ${p.description} → 0, bytes_moved 0`, () => {
      const t = testDevice();
      const placement = placementFor(p.memType);
      if (p.memType !== TTM_PL_SYSTEM) mockManagerInit(t.bdev, p.memType, MANAGER_SIZE);
      const ctxInit = operationCtx();
      const ctxVal = operationCtx();
      const { bo, err: errInit } = initReserved(t, BO_SIZE, 'device', placement, ctxInit);
      expect(errInit).toBe(0);
      expect(ctxInit.bytesMoved).toBe(BO_SIZE);
      const res = bo.resource;

      const err = validate(t, bo, placement, ctxVal);
      bo.resv.unlock();

      expect(err).toBe(0);
      expect(ctxVal.bytesMoved).toBe(0);
      expect(bo.resource).toBe(res);

      boFini(t, bo);
      if (p.memType !== TTM_PL_SYSTEM) mockManagerFini(t.bdev, p.memType);
    });
  }

  test('ttm_bo_validate_failed_alloc → -ENOMEM', () => {
    const t = testDevice();
    const ctx = operationCtx();
    const bo = kunitBoOfType(t, BO_SIZE, 'device');
    badManagerInit(t.bdev, TTM_PL_VRAM, MANAGER_SIZE);

    reserve(t, bo);
    const err = validate(t, bo, placementFor(TTM_PL_VRAM), ctx);
    bo.resv.unlock();

    expect(err).toBe(-ENOMEM);
    expect(bo.resource).toBeNull();

    boFini(t, bo);
  });

  test('ttm_bo_validate_pinned → -EINVAL', () => {
    const t = testDevice();
    const ctx = operationCtx();
    const bo = kunitBoOfType(t, BO_SIZE, 'device');

    reserve(t, bo);
    ttmBoPin(bo);
    const err = validate(t, bo, placementFor(TTM_PL_SYSTEM), ctx);
    bo.resv.unlock();

    expect(err).toBe(-EINVAL);
    expect(bo.resource).toBeNull();
    expect(ctx.bytesMoved).toBe(0);

    reserve(t, bo);
    ttmBoUnpin(bo);
    bo.resv.unlock();
    boFini(t, bo);
  });

  test('ttm_bo_validate_busy_placement → 0, FALLBACK VRAM+1, bytes_moved 4096', () => {
    const t = testDevice();
    const fstMem = TTM_PL_VRAM;
    const sndMem = TTM_PL_VRAM + 1;
    badManagerInit(t.bdev, fstMem, MANAGER_SIZE);
    mockManagerInit(t.bdev, sndMem, MANAGER_SIZE);
    const ctxInit = operationCtx();
    const ctxVal = operationCtx();
    const { bo, err: errInit } = initReserved(t, BO_SIZE, 'device', placementFor(TTM_PL_SYSTEM), ctxInit);
    expect(errInit).toBe(0);

    const placementVal = placementOf(place(fstMem, TTM_PL_FLAG_DESIRED), place(sndMem, TTM_PL_FLAG_FALLBACK));
    const err = validate(t, bo, placementVal, ctxVal);
    bo.resv.unlock();

    const man = t.bdev.manager(sndMem)!;
    expect(err).toBe(0);
    expect(ctxVal.bytesMoved).toBe(bo.size);
    expect(bo.resource!.memType).toBe(sndMem);
    expect(listIsSingular(man.lru[bo.priority]!)).toBe(true);
    expect(lruResources(man.lru[bo.priority]!)).toEqual([bo.resource]);

    boFini(t, bo);
  });

  for (const p of BO_TYPE_CASES) {
    test(`ttm_bo_validate_multihop: ${p.description} → 0, VRAM→TT→SYSTEM, bytes_moved 8192`, () => {
      const t = testDevice();
      mockManagerInit(t.bdev, TTM_PL_VRAM, MANAGER_SIZE);
      mockManagerInit(t.bdev, TTM_PL_TT, MANAGER_SIZE);
      const ctxInit = operationCtx();
      const ctxVal = operationCtx();
      const { bo, err: errInit } = initReserved(t, BO_SIZE, p.boType, placementFor(TTM_PL_VRAM), ctxInit);
      expect(errInit).toBe(0);

      const err = validate(t, bo, placementFor(TTM_PL_SYSTEM), ctxVal);
      bo.resv.unlock();

      expect(err).toBe(0);
      expect(ctxVal.bytesMoved).toBe(BO_SIZE * 2);
      expect(bo.resource!.memType).toBe(TTM_PL_SYSTEM);
      // The TEMPORARY hop resource was released again.
      expect(t.bdev.manager(TTM_PL_TT)!.usage).toBe(0);
      expect(t.bdev.manager(TTM_PL_VRAM)!.usage).toBe(0);

      boFini(t, bo);
      mockManagerFini(t.bdev, TTM_PL_VRAM);
      mockManagerFini(t.bdev, TTM_PL_TT);
    });
  }

  for (const p of [
    { description: 'Buffer object in system domain, no page vector', withTtm: false },
    { description: 'Buffer object in system domain with an existing page vector', withTtm: true },
  ]) {
    test(`ttm_bo_validate_no_placement_signaled: ${p.description} → 0, gutted, usage 0${p.withTtm ? ', same tt ZERO_ALLOC' : ''}`, () => {
      const t = testDevice();
      const ctx = operationCtx();
      const man = t.bdev.manager(TTM_PL_SYSTEM)!;
      const bo = kunitBoOfType(t, BO_SIZE, 'device');
      let oldTt: Tt | null = null;
      if (p.withTtm) {
        oldTt = t.bdev.funcs.ttmTtCreate(bo, 0)!;
        poolAlloc(t, oldTt);
        bo.ttm = oldTt;
      }

      reserve(t, bo);
      const res = ttmResourceAlloc(bo, place(TTM_PL_SYSTEM));
      expect(typeof res).not.toBe('number');
      bo.resource = typeof res === 'number' ? null : res;
      expect(man.usage).toBe(BO_SIZE);

      const err = validate(t, bo, NO_PLACEMENT, ctx);
      ttmBoUnreserve(bo);

      expect(err).toBe(0);
      expect(man.usage).toBe(0);
      expect(bo.ttm).not.toBeNull();
      expect(ctx.bytesMoved).toBe(0);
      expect(bo.resource).toBeNull();
      if (p.withTtm) {
        const flags = bo.ttm!.pageFlags;
        expect(bo.ttm).toBe(oldTt);
        expect(flags & TTM_TT_FLAG_PRIV_POPULATED).toBe(0);
        expect(flags & TTM_TT_FLAG_ZERO_ALLOC).toBe(TTM_TT_FLAG_ZERO_ALLOC);
      }

      boFini(t, bo);
    });
  }

  // ttm_bo_validate_no_placement_not_signaled: see the simulator cases at the end of the suite.

  test('ttm_bo_validate_move_fence_signaled → 0, SYSTEM, bytes_moved 4096', () => {
    const t = testDevice();
    const ctx = operationCtx();
    const man = t.bdev.manager(TTM_PL_SYSTEM)!;
    man.evictionFences[0] = FenceTimeline.signaled();
    const bo = kunitBoOfType(t, BO_SIZE, 'device');

    reserve(t, bo);
    const err = validate(t, bo, placementFor(TTM_PL_SYSTEM), ctx);
    ttmBoUnreserve(bo);

    expect(err).toBe(0);
    expect(bo.resource!.memType).toBe(TTM_PL_SYSTEM);
    expect(ctx.bytesMoved).toBe(BO_SIZE);
    // Not no_wait_gpu: the (signalled) move fence was added to the resv as a KERNEL fence.
    expect(bo.resv.fencesFor(DmaResvUsage.KERNEL)).toEqual([]);

    boFini(t, bo);
    man.evictionFences[0] = null;
  });

  // ttm_bo_validate_move_fence_not_signaled: see the simulator cases at the end of the suite.

  // Pending upstream: "drm/ttm/tests: Add a test for ttm_bo_swapout" v2 (dri-devel, March 2026, based on
  // 1f318b96cc84) brings back a case of this name, removed in 2025 by 76689eb52667 ("drm/ttm: remove
  // ttm_bo_validate_swapout test") because it needed half of the system memory; the new form calls
  // ttm_bo_swapout directly on one BO that fills a TT mock manager, asking for all of its pages.
  test('ttm_bo_validate_swapout (pending upstream, v2) → 256 pages swapped, resource in SYSTEM, tt SWAPPED', () => {
    const t = testDevice();
    const man = mockManagerInit(t.bdev, TTM_PL_TT, MANAGER_SIZE);
    const ctxInit = operationCtx();
    const { bo, err } = initReserved(t, MANAGER_SIZE, 'device', placementFor(TTM_PL_TT), ctxInit);
    expect(err).toBe(0);
    bo.resv.unlock();

    const swapped = runSync(t.env, ttmBoSwapout(t.bdev, ctxInit, man, MANAGER_SIZE / PAGE_SIZE));
    expect(swapped).toBe(MANAGER_SIZE / PAGE_SIZE);
    expect(swapped).toBe(256);
    expect(bo.resource!.memType).toBe(TTM_PL_SYSTEM);
    expect(bo.ttm!.pageFlags & TTM_TT_FLAG_SWAPPED).toBe(TTM_TT_FLAG_SWAPPED);
    // Beyond the C assertions: the TT manager is empty again and the tt's pages went to swap.
    expect(ttmResourceManagerUsage(man)).toBe(0);
    expect(bo.ttm!.isPopulated()).toBe(false);

    boFini(t, bo);
    mockManagerFini(t.bdev, TTM_PL_TT);
  });

  test('ttm_bo_validate_happy_evict → 0, LRU head evicted via TT hop to SYSTEM, bytes_moved 20480', () => {
    const t = testDevice();
    mockManagerInit(t.bdev, TTM_PL_VRAM, MANAGER_SIZE);
    mockManagerInit(t.bdev, TTM_PL_TT, MANAGER_SIZE);
    const placement = placementFor(TTM_PL_VRAM);
    const ctxInit = operationCtx();
    const ctxVal = operationCtx();
    const small = SZ_8K;
    const medium = SZ_512K;
    const big = MANAGER_SIZE - (small + medium);
    const bos: BufferObject[] = [];
    for (const size of [small, medium, big]) {
      const { bo, err } = initReserved(t, size, 'device', placement, ctxInit);
      expect(err).toBe(0);
      bo.resv.unlock();
      bos.push(bo);
    }
    const vram = t.bdev.manager(TTM_PL_VRAM)!;
    expect(vram.usage).toBe(MANAGER_SIZE);

    const boVal = kunitBoOfType(t, BO_SIZE, 'device');
    reserve(t, boVal);
    const err = validate(t, boVal, placement, ctxVal);
    ttmBoUnreserve(boVal);

    expect(err).toBe(0);
    expect(bos[0]!.resource!.memType).toBe(TTM_PL_SYSTEM);
    expect(bos[0]!.ttm!.pageFlags & TTM_TT_FLAG_ZERO_ALLOC).toBe(TTM_TT_FLAG_ZERO_ALLOC);
    expect(bos[0]!.ttm!.pageFlags & TTM_TT_FLAG_PRIV_POPULATED).toBe(TTM_TT_FLAG_PRIV_POPULATED);
    expect(ctxVal.bytesMoved).toBe(small * 2 + BO_SIZE);
    expect(ctxVal.bytesMoved).toBe(20480);
    expect(bos[1]!.resource!.memType).toBe(TTM_PL_VRAM);
    expect(boVal.resource!.memType).toBe(TTM_PL_VRAM);
    expect(lruResources(vram.lru[0]!)).toEqual([bos[1]!.resource, bos[2]!.resource, boVal.resource]);

    for (const bo of bos) boFini(t, bo);
    boFini(t, boVal);
    mockManagerFini(t.bdev, TTM_PL_VRAM);
    mockManagerFini(t.bdev, TTM_PL_TT);
  });

  test('ttm_bo_validate_all_pinned_evict → -ENOMEM', () => {
    const t = testDevice();
    mockManagerInit(t.bdev, TTM_PL_VRAM, MANAGER_SIZE);
    mockManagerInit(t.bdev, TTM_PL_TT, MANAGER_SIZE);
    const placement = placementFor(TTM_PL_VRAM);
    const ctxInit = operationCtx();
    const ctxVal = operationCtx();
    const { bo: boBig, err: errInit } = initReserved(t, MANAGER_SIZE, 'device', placement, ctxInit);
    expect(errInit).toBe(0);
    ttmBoPin(boBig);
    boBig.resv.unlock();

    const boSmall = kunitBoOfType(t, BO_SIZE, 'device');
    reserve(t, boSmall);
    const err = validate(t, boSmall, placement, ctxVal);
    ttmBoUnreserve(boSmall);

    expect(err).toBe(-ENOMEM);
    expect(boSmall.resource).toBeNull();
    expect(boBig.resource!.memType).toBe(TTM_PL_VRAM);
    expect(ctxVal.bytesMoved).toBe(0);

    boFini(t, boSmall);
    reserve(t, boBig);
    ttmBoUnpin(boBig);
    boBig.resv.unlock();
    boFini(t, boBig);
    mockManagerFini(t.bdev, TTM_PL_VRAM);
    mockManagerFini(t.bdev, TTM_PL_TT);
  });

  test('ttm_bo_validate_allowed_only_evict → 0, unpinned BO evicted to SYSTEM, bytes_moved 1052672', () => {
    const t = testDevice();
    mockManagerInit(t.bdev, TTM_PL_VRAM, MANAGER_SIZE);
    mockManagerInit(t.bdev, TTM_PL_TT, MANAGER_SIZE);
    const placement = placementFor(TTM_PL_VRAM);
    const ctxInit = operationCtx();
    const ctxVal = operationCtx();
    const size = SZ_512K;

    const { bo: boPinned, err: errPinned } = initReserved(t, size, 'device', placement, ctxInit);
    expect(errPinned).toBe(0);
    ttmBoPin(boPinned);
    boPinned.resv.unlock();
    const { bo: boEvictable, err: errEvictable } = initReserved(t, size, 'device', placement, ctxInit);
    expect(errEvictable).toBe(0);
    boEvictable.resv.unlock();

    const bo = kunitBoOfType(t, BO_SIZE, 'device');
    reserve(t, bo);
    const err = validate(t, bo, placement, ctxVal);
    ttmBoUnreserve(bo);

    expect(err).toBe(0);
    expect(bo.resource!.memType).toBe(TTM_PL_VRAM);
    expect(boPinned.resource!.memType).toBe(TTM_PL_VRAM);
    expect(boEvictable.resource!.memType).toBe(TTM_PL_SYSTEM);
    expect(ctxVal.bytesMoved).toBe(size * 2 + BO_SIZE);
    expect(ctxVal.bytesMoved).toBe(1052672);

    boFini(t, bo);
    boFini(t, boEvictable);
    reserve(t, boPinned);
    ttmBoUnpin(boPinned);
    boPinned.resv.unlock();
    boFini(t, boPinned);
    mockManagerFini(t.bdev, TTM_PL_VRAM);
    mockManagerFini(t.bdev, TTM_PL_TT);
  });

  test('ttm_bo_validate_deleted_evict → 0, deleted BO cleaned up, usage 8192', () => {
    const t = testDevice();
    mockManagerInit(t.bdev, TTM_PL_VRAM, MANAGER_SIZE);
    const man = t.bdev.manager(TTM_PL_VRAM)!;
    const placement = placementFor(TTM_PL_VRAM);
    const ctxInit = operationCtx();
    const ctxVal = operationCtx();
    const small = SZ_8K;
    const big = MANAGER_SIZE - BO_SIZE;

    const { bo: boBig, err: errInit } = initReserved(t, big, 'device', placement, ctxInit);
    expect(errInit).toBe(0);
    expect(man.usage).toBe(big);
    expect(man.usage).toBe(1044480);
    boBig.resv.unlock();
    boBig.deleted = true;

    const boSmall = kunitBoOfType(t, small, 'device');
    reserve(t, boSmall);
    const err = validate(t, boSmall, placement, ctxVal);
    ttmBoUnreserve(boSmall);

    expect(err).toBe(0);
    expect(boSmall.resource!.memType).toBe(TTM_PL_VRAM);
    expect(man.usage).toBe(small);
    expect(boBig.ttm).toBeNull();
    expect(boBig.resource).toBeNull();

    boFini(t, boSmall);
    boFini(t, boBig);
    mockManagerFini(t.bdev, TTM_PL_VRAM);
  });

  test('ttm_bo_validate_busy_domain_evict → -ENOMEM, nothing evicted', () => {
    // Drop the default device and set up one whose evict_flags point at a busy domain (MOCK1).
    const t0 = testDevice();
    ttmDeviceFini(t0.bdev);
    const t = testDevice(ttmDevFuncsBadEvict, t0.env, t0.global);
    mockManagerInit(t.bdev, TTM_PL_VRAM, MANAGER_SIZE);
    busyManagerInit(t.bdev, TTM_PL_MOCK1, MANAGER_SIZE);
    const placement = placementFor(TTM_PL_VRAM);
    const ctxInit = operationCtx();
    const ctxVal = operationCtx();

    const { bo: boInit, err: errInit } = initReserved(t, MANAGER_SIZE, 'device', placement, ctxInit);
    expect(errInit).toBe(0);
    boInit.resv.unlock();

    const boVal = kunitBoOfType(t, BO_SIZE, 'device');
    reserve(t, boVal);
    const err = validate(t, boVal, placement, ctxVal);
    ttmBoUnreserve(boVal);

    expect(err).toBe(-ENOMEM);
    expect(boInit.resource!.memType).toBe(TTM_PL_VRAM);
    expect(boVal.resource).toBeNull();
    expect(ctxVal.bytesMoved).toBe(0);
    expect(t.bdev.manager(TTM_PL_VRAM)!.usage).toBe(MANAGER_SIZE);
  });

  test('ttm_bo_validate_evict_gutting → 0, victim without evict placement gutted (ZERO_ALLOC)', () => {
    const t = testDevice();
    mockManagerInit(t.bdev, TTM_PL_MOCK1, MANAGER_SIZE);
    const placement = placementFor(TTM_PL_MOCK1);
    const ctxInit = operationCtx();
    const ctxVal = operationCtx();

    const { bo: boEvict, err: errInit } = initReserved(t, MANAGER_SIZE, 'device', placement, ctxInit);
    expect(errInit).toBe(0);
    boEvict.resv.unlock();

    const bo = kunitBoOfType(t, BO_SIZE, 'device');
    reserve(t, bo);
    const err = validate(t, bo, placement, ctxVal);
    ttmBoUnreserve(bo);

    expect(err).toBe(0);
    expect(bo.resource!.memType).toBe(TTM_PL_MOCK1);
    expect(boEvict.resource).toBeNull();
    expect(boEvict.ttm!.pageFlags & TTM_TT_FLAG_ZERO_ALLOC).toBe(TTM_TT_FLAG_ZERO_ALLOC);
    expect(t.bdev.manager(TTM_PL_MOCK1)!.usage).toBe(BO_SIZE);

    boFini(t, boEvict);
    boFini(t, bo);
    mockManagerFini(t.bdev, TTM_PL_MOCK1);
  });

  test('ttm_bo_validate_recrusive_evict → 0, TT victim evicted to MOCK2 after MOCK2 victim is gutted', () => {
    const t = testDevice();
    mockManagerInit(t.bdev, TTM_PL_TT, MANAGER_SIZE);
    mockManagerInit(t.bdev, TTM_PL_MOCK2, MANAGER_SIZE);
    const placementTt = placementFor(TTM_PL_TT);
    const placementMock = placementFor(TTM_PL_MOCK2);
    const ctxInit = operationCtx();
    const ctxVal = operationCtx();

    const { bo: boTt, err: errTt } = initReserved(t, MANAGER_SIZE, 'device', placementTt, ctxInit);
    expect(errTt).toBe(0);
    boTt.resv.unlock();
    const { bo: boMock, err: errMock } = initReserved(t, MANAGER_SIZE, 'device', placementMock, ctxInit);
    expect(errMock).toBe(0);
    boMock.resv.unlock();

    const boVal = kunitBoOfType(t, BO_SIZE, 'device');
    reserve(t, boVal);
    const err = validate(t, boVal, placementTt, ctxVal);
    ttmBoUnreserve(boVal);

    expect(err).toBe(0);
    // Beyond the C assertion (err only), where each BO ends up by the kernel's rules:
    expect(boVal.resource!.memType).toBe(TTM_PL_TT);
    expect(boTt.resource!.memType).toBe(TTM_PL_MOCK2);
    expect(boMock.resource).toBeNull();
    expect(boMock.ttm!.pageFlags & TTM_TT_FLAG_ZERO_ALLOC).toBe(TTM_TT_FLAG_ZERO_ALLOC);
    expect(ctxVal.bytesMoved).toBe(MANAGER_SIZE + BO_SIZE);

    mockManagerFini(t.bdev, TTM_PL_TT);
    mockManagerFini(t.bdev, TTM_PL_MOCK2);
    boFini(t, boVal);
    boFini(t, boTt);
    boFini(t, boMock);
  });

  // Cases with a kthread: two tasks in the simulator; the fence is signalled by the kthread task and its
  // wake-up delivered by the scheduler. Each row runs under several seeds (different interleavings).

  for (const p of BO_TYPE_CASES) {
    test(`ttm_bo_validate_no_placement_not_signaled: ${p.description} → 0, resource NULL, tt kept, bytes_moved 0`, () => {
      const paths = new Set<string>();
      for (const seed of SEEDS) {
        const sim = new Sim({ seed });
        const t = simDevice(sim);
        const ctx = operationCtx();
        const bo = kunitBoOfType(t, BO_SIZE, p.boType);
        const res = ttmResourceAlloc(bo, place(TTM_PL_SYSTEM));
        expect(typeof res).not.toBe('number');
        bo.resource = typeof res === 'number' ? null : res;
        // dma_resv_kunit_active_fence_init: an unsignalled BOOKKEEP fence on the resv.
        const fence = new DmaFence(sim.env.nextId('fence-ctx'), 0);
        expect(bo.resv.trylock(sim.env.current())).toBe(true);
        expect(bo.resv.reserveFences(1)).toBe(0);
        bo.resv.addFence(fence, DmaResvUsage.BOOKKEEP);
        bo.resv.unlock();
        const boCount = t.global.boCount;
        let after = null as Snapshot | null;

        sim.spawn('main', function* () {
          // kthread_create + wake_up_process: threaded_dma_resv_signal signals every BOOKKEEP fence.
          sim.spawn('dma-resv-signal', function* () {
            yield { kind: 'yield', label: 'kthread start' };
            for (const f of bo.resv.fencesFor(DmaResvUsage.BOOKKEEP)) f.signal();
            return 0;
          });
          expect(yield* ttmBoReserve(bo, false, false, null)).toBe(0);
          const err = yield* ttmBoValidate(bo, NO_PLACEMENT, ctx);
          ttmBoUnreserve(bo);
          after = snapshot(bo);
          paths.add(t.global.boCount > boCount ? 'ghost' : 'idle');
          // Make sure we have an idle object at this point.
          yield* dmaResvWaitTimeout(bo.resv, DmaResvUsage.BOOKKEEP, false, null);
          yield* ttmBoPut(bo);
          return err;
        });
        const r = sim.run();

        expect(r.quiescent).toBe(true);
        expect(sim.task('main').status).toBe('done');
        expect(sim.task('main').result).toBe(0);
        expect(sim.task('dma-resv-signal').result).toBe(0);
        expect(after).not.toBeNull();
        const a = after!;
        expect(a.ttm).not.toBeNull();
        expect(a.resource).toBeNull();
        expect(a.bulkMove).toBeNull();
        expect(ctx.bytesMoved).toBe(0);
        if (p.boType !== 'sg') expect(a.resv).toBe(bo.ownResv);
        expect(t.bdev.manager(TTM_PL_SYSTEM)!.usage).toBe(0);
        expect(fence.signaled).toBe(true);
        // Ghost (if any) and BO are gone once the fence signalled and the work items ran.
        expect(bo.destroyed).toBe(true);
        expect(t.global.boCount).toBe(boCount - 1);
      }
      // The busy path (ghost carries the old resource) is the one the case is named for.
      expect(paths.has('ghost')).toBe(true);
    });
  }

  for (const p of [
    { description: 'Waits for GPU', noGpuWait: false, memType: TTM_PL_VRAM },
    { description: 'Tries to lock straight away', noGpuWait: true, memType: TTM_PL_VRAM + 1 },
  ]) {
    const where = p.noGpuWait ? 'FALLBACK VRAM+1' : 'DESIRED VRAM';
    test(`ttm_bo_validate_move_fence_not_signaled: ${p.description} → 0, ${where}, bytes_moved 4096`, () => {
      for (const seed of SEEDS) {
        const sim = new Sim({ seed });
        const t = simDevice(sim);
        const fstMem = TTM_PL_VRAM;
        const sndMem = TTM_PL_VRAM + 1;
        const ctxInit = operationCtx();
        const ctxVal = operationCtx({ noWaitGpu: p.noGpuWait });
        let bo = null as BufferObject | null;
        let move = null as DmaFence | null;
        let signalledBeforeReturn = null as boolean | null;

        sim.spawn('main', function* () {
          const b = newBufferObject(t.bdev, BO_SIZE);
          bo = b;
          const errInit = yield* ttmBoInitReserved(
            t.bdev,
            b,
            'device',
            placementFor(TTM_PL_SYSTEM),
            PAGE_SIZE,
            ctxInit,
            null,
            null,
            dummyTtmBoDestroy,
          );
          expect(errInit).toBe(0);
          mockManagerInit(t.bdev, fstMem, MANAGER_SIZE);
          mockManagerInit(t.bdev, sndMem, MANAGER_SIZE);
          const placementVal = placementOf(
            place(fstMem, TTM_PL_FLAG_DESIRED),
            place(sndMem, TTM_PL_FLAG_FALLBACK),
          );
          const man = t.bdev.manager(fstMem)!;
          const fence = new DmaFence(sim.env.nextId('fence-ctx'), 0);
          man.evictionFences[0] = fence;
          move = fence;
          // threaded_fence_signal: msleep(20), then dma_fence_signal.
          sim.spawn('move-fence-signal', function* () {
            yield { kind: 'sleep', ms: 20 };
            return fence.signal() ? 0 : -EINVAL;
          });
          const err = yield* ttmBoValidate(b, placementVal, ctxVal);
          signalledBeforeReturn = fence.signaled;
          b.resv.unlock();
          yield* waitFences([fence], false, null);
          // The 7.0 form of the case empties the slot once the fence is waited for.
          man.evictionFences[0] = null;
          return err;
        });
        const r = sim.run();

        expect(r.quiescent).toBe(true);
        expect(sim.task('main').status).toBe('done');
        expect(sim.task('main').result).toBe(0);
        expect(sim.task('move-fence-signal').result).toBe(0);
        const b = bo!;
        expect(ctxVal.bytesMoved).toBe(BO_SIZE);
        expect(b.resource!.memType).toBe(p.memType);
        // Waiting: the move fence was added to the BO and the memcpy move waited for it; no_wait: -EBUSY
        // before the fence signalled.
        expect(signalledBeforeReturn).toBe(!p.noGpuWait);
        expect(move!.signaled).toBe(true);
        expect(t.bdev.manager(fstMem)!.usage).toBe(p.noGpuWait ? 0 : BO_SIZE);
        expect(t.bdev.manager(sndMem)!.usage).toBe(p.noGpuWait ? BO_SIZE : 0);
        expect(t.bdev.manager(TTM_PL_SYSTEM)!.usage).toBe(0);
      }
    });
  }
});
