// The KUnit fixtures of drivers/gpu/drm/ttm/tests (ttm_kunit_helpers.c, ttm_mock_manager.c) as test-only
// code: mock managers (an allocator over the manager's pages, use_tt = true), the bad (-ENOSPC) and busy
// (-EBUSY) managers, and the mock driver's move and evict_flags.

import {
  type BufferObject,
  newBufferObject,
  ttmBoEvictionValuable,
  ttmResourceManagerEvictAll,
} from '../../src/kernel/bo.ts';
import { ttmBoMoveMemcpy, ttmBoMoveNull } from '../../src/kernel/bo_util.ts';
import {
  PAGE_SIZE,
  pfnUp,
  TTM_PL_FLAG_FALLBACK,
  TTM_PL_FLAG_TEMPORARY,
  TTM_PL_FLAG_TOPDOWN,
  TTM_PL_PRIV,
  TTM_PL_SYSTEM,
  TTM_PL_TT,
  TTM_PL_VRAM,
} from '../../src/kernel/constants.ts';
import {
  Device,
  type DeviceFuncs,
  TtmGlobal,
  ttmDeviceInit,
  ttmSetDriverManager,
  type VmaOffsetManager,
} from '../../src/kernel/device.ts';
import type { KernelEnv, KGen } from '../../src/kernel/env.ts';
import { EBUSY, EMULTIHOP, ENOSPC } from '../../src/kernel/errno.ts';
import { type Placement, place, placementOf } from '../../src/kernel/placement.ts';
import { RangeAllocator, type RangeNode } from '../../src/kernel/range_allocator.ts';
import {
  Resource,
  ResourceManager,
  rangeManagerFunc,
  ttmResourceFini,
  ttmResourceInit,
  ttmResourceManagerInit,
  ttmResourceManagerSetUsed,
} from '../../src/kernel/resource.ts';
import type { DmaResv } from '../../src/kernel/resv.ts';
import { runSync, SyncEnv } from '../../src/kernel/sync.ts';
import { ttmTtInit } from '../../src/kernel/tt.ts';

export const TTM_PL_MOCK1 = TTM_PL_PRIV + 1;
export const TTM_PL_MOCK2 = TTM_PL_PRIV + 2;

/** mock_move: null moves from nothing / SYSTEM without tt and SYSTEM↔TT; VRAM→SYSTEM needs a TT hop. */
export function* mockMove(
  bo: BufferObject,
  _evict: boolean,
  ctx: Parameters<DeviceFuncs['move']>[2],
  newMem: Resource,
  hop: Parameters<DeviceFuncs['move']>[4],
): KGen<number> {
  const old = bo.resource;
  if (old === null || (old.memType === TTM_PL_SYSTEM && bo.ttm === null)) {
    ttmBoMoveNull(bo, newMem);
    return 0;
  }
  if (old.memType === TTM_PL_VRAM && newMem.memType === TTM_PL_SYSTEM) {
    if (hop !== null) hop.place = place(TTM_PL_TT, TTM_PL_FLAG_TEMPORARY);
    return -EMULTIHOP;
  }
  if (
    (old.memType === TTM_PL_SYSTEM && newMem.memType === TTM_PL_TT) ||
    (old.memType === TTM_PL_TT && newMem.memType === TTM_PL_SYSTEM)
  ) {
    ttmBoMoveNull(bo, newMem);
    return 0;
  }
  return yield* ttmBoMoveMemcpy(bo, ctx, newMem);
}

const sysPlacement: Placement = placementOf(place(TTM_PL_SYSTEM, TTM_PL_FLAG_FALLBACK));
const mock2Placement: Placement = placementOf(place(TTM_PL_MOCK2, TTM_PL_FLAG_FALLBACK));
const badPlacement: Placement = placementOf(place(TTM_PL_MOCK1, TTM_PL_FLAG_FALLBACK));

/** mock_evict_flags: VRAM/SYSTEM → SYSTEM, TT → MOCK2, anything else → no placement (purge). */
export function mockEvictFlags(bo: BufferObject): Placement {
  switch (bo.resource?.memType) {
    case TTM_PL_VRAM:
    case TTM_PL_SYSTEM:
      return sysPlacement;
    case TTM_PL_TT:
      return mock2Placement;
    default:
      return { placement: [] };
  }
}

/** ttm_dev_funcs of the KUnit helpers. */
export const ttmDevFuncs: DeviceFuncs = {
  ttmTtCreate: (bo, pageFlags) => ttmTtInit(bo, pageFlags, 'cached', 0),
  evictionValuable: ttmBoEvictionValuable,
  move: mockMove,
  evictFlags: mockEvictFlags,
};

/** ttm_dev_funcs_bad_evict: always evict to MOCK1. */
export const ttmDevFuncsBadEvict: DeviceFuncs = { ...ttmDevFuncs, evictFlags: () => badPlacement };

export interface TestDevice<E extends KernelEnv = SyncEnv> {
  readonly env: E;
  readonly global: TtmGlobal;
  readonly bdev: Device;
  readonly drm: { vmaOffsetManager: { nodes: number } | null; anonMapping: object };
}

/** ttm_test_devices_all_init + ttm_device_kunit_init: a DRM device and a ttm device on it. */
export function testDevice<E extends KernelEnv = SyncEnv>(
  funcs: DeviceFuncs = ttmDevFuncs,
  env: E = new SyncEnv() as unknown as E,
  global = new TtmGlobal(),
): TestDevice<E> {
  const drm = { vmaOffsetManager: { nodes: 0 }, anonMapping: {} };
  const bdev = new Device(`device:${env.nextId('device')}`, env, funcs);
  const ret = ttmDeviceInit(global, bdev, {
    dev: {},
    mapping: drm.anonMapping,
    vmaManager: drm.vmaOffsetManager,
    useDmaAlloc: false,
    useDma32: false,
  });
  if (ret !== 0) throw new Error(`ttm_device_init failed: ${ret}`);
  return { env, global, bdev, drm };
}

/**
 * ttm_mock_manager_init: the KUnit mock manager, use_tt = true, allocating PAGE_SIZE blocks over `size`
 * bytes (TOPDOWN honoured) with no intersects/compatible hooks, and never looking at the BO's alignment
 * (the tests pass PAGE_SIZE there, which the buddy-based mock ignores). An allocator over pages stands
 * in for drm_buddy; no KUnit expectation depends on buddy block layout.
 */
export class MockManager extends ResourceManager {
  readonly mm: RangeAllocator;
  private readonly nodes = new Map<Resource, RangeNode>();

  constructor(bdev: Device, memType: number, size: number) {
    super(bdev, memType, true, size, {
      alloc: (m, bo, pl) => {
        const res = new Resource(`res:${m.bdev.env.nextId('res')}`, bo, pl);
        const node = this.mm.insert(
          pfnUp(res.size),
          1,
          0,
          0,
          pl.flags & TTM_PL_FLAG_TOPDOWN ? 'high' : 'best',
        );
        if (typeof node === 'number') return node;
        this.nodes.set(res, node);
        res.start = node.start;
        ttmResourceInit(bo, pl, res);
        return res;
      },
      free: (m, res) => {
        const node = this.nodes.get(res);
        if (node !== undefined) this.mm.remove(node);
        this.nodes.delete(res);
        ttmResourceFini(m, res);
      },
    });
    this.mm = new RangeAllocator(Math.floor(size / PAGE_SIZE));
  }
}

export function mockManagerInit(bdev: Device, memType: number, size: number): MockManager {
  const man = new MockManager(bdev, memType, size);
  ttmResourceManagerInit(man, size);
  ttmSetDriverManager(bdev, memType, man);
  ttmResourceManagerSetUsed(man, true);
  return man;
}

/** ttm_mock_manager_fini: evict everything, then drop the manager. */
export function mockManagerFini(bdev: Device, memType: number): void {
  const man = bdev.manager(memType);
  if (man === null) return;
  ttmResourceManagerSetUsed(man, true);
  runSync(bdev.env, ttmResourceManagerEvictAll(bdev, man));
  ttmResourceManagerSetUsed(man, false);
  ttmSetDriverManager(bdev, memType, null);
}

function scriptedManager(bdev: Device, memType: number, size: number, err: number): ResourceManager {
  const man = new ResourceManager(bdev, memType, true, size, {
    alloc: () => err,
    free: () => {},
    compatible: () => true,
  });
  ttmResourceManagerInit(man, size);
  ttmSetDriverManager(bdev, memType, man);
  ttmResourceManagerSetUsed(man, true);
  return man;
}

/** ttm_bad_manager_init: every allocation fails with -ENOSPC; everything is compatible. */
export function badManagerInit(bdev: Device, memType: number, size: number): ResourceManager {
  return scriptedManager(bdev, memType, size, -ENOSPC);
}

/** ttm_busy_manager_init: every allocation fails with -EBUSY. */
export function busyManagerInit(bdev: Device, memType: number, size: number): ResourceManager {
  return scriptedManager(bdev, memType, size, -EBUSY);
}

/**
 * ttm_bo_kunit_init: a zeroed device BO of `size` bytes, one reference, no resource, no tt; with `resv`
 * the BO uses that (shared) reservation object instead of its own.
 */
export function kunitBo(
  t: { readonly bdev: Device },
  size: number,
  resv: DmaResv | null = null,
): BufferObject {
  const bo = newBufferObject(t.bdev, size);
  if (resv !== null) bo.resv = resv;
  return bo;
}

/** ttm_test_devices_basic: a struct device and a DRM device (with its vma offset manager), no ttm device. */
export interface TestDevices<E extends KernelEnv = SyncEnv> {
  readonly env: E;
  readonly global: TtmGlobal;
  /** The struct device the ttm devices (and their pools) are created on. */
  readonly dev: object;
  readonly drm: { vmaOffsetManager: VmaOffsetManager | null; anonMapping: object };
}

export function testDevicesBasic<E extends KernelEnv = SyncEnv>(
  env: E = new SyncEnv() as unknown as E,
  global = new TtmGlobal(),
): TestDevices<E> {
  return { env, global, dev: {}, drm: { vmaOffsetManager: { nodes: 0 }, anonMapping: {} } };
}

function unsetFunc(): never {
  throw new Error('ttm device used before ttm_device_init');
}

/** The driver hooks of a zeroed (kunit_kzalloc'ed) struct ttm_device: calling any of them is a bug. */
const unsetDevFuncs: DeviceFuncs = {
  ttmTtCreate: unsetFunc,
  evictionValuable: unsetFunc,
  move: unsetFunc,
  evictFlags: unsetFunc,
};

/** kunit_kzalloc(sizeof(struct ttm_device)): a device object not initialised yet. */
export function newTtmDevice(priv: TestDevices<KernelEnv>): Device {
  return new Device(`device:${priv.env.nextId('device')}`, priv.env, unsetDevFuncs);
}

/**
 * ttm_device_kunit_init (ttm_device_kunit_init_with_funcs): ttm_device_init on the test DRM device with
 * the KUnit device funcs. Returns 0, or -EINVAL when the DRM device has no vma offset manager.
 */
export function ttmDeviceKunitInit(
  priv: TestDevices<KernelEnv>,
  bdev: Device,
  useDmaAlloc: boolean,
  useDma32: boolean,
  funcs: DeviceFuncs = ttmDevFuncs,
): number {
  const ret = ttmDeviceInit(priv.global, bdev, {
    dev: priv.dev,
    mapping: priv.drm.anonMapping,
    vmaManager: priv.drm.vmaOffsetManager,
    useDmaAlloc,
    useDma32,
  });
  // ttm_device_init sets bdev->funcs right after its vma-manager check.
  if (ret === 0) bdev.funcs = funcs;
  return ret;
}

export { PAGE_SIZE, rangeManagerFunc };
