// ttm_device.c: a device with its resource managers (man_drv[]), the unevictable list, the delayed-
// delete workqueue and membership of the global device list (used by global swapout).

import { DEFAULT_SWAP_PAGES, SwapSpace } from './backup.ts';
import type { BufferObject } from './bo.ts';
import type { CpuMapping } from './bo_vm.ts';
import { TTM_NUM_MEM_TYPES, TTM_PL_SYSTEM } from './constants.ts';
import { WorldCounters } from './counters.ts';
import type { KernelEnv, KGen } from './env.ts';
import { EINVAL } from './errno.ts';
import type { FaultHook, FaultSite } from './faults.ts';
import type { FenceRefs } from './fence_refs.ts';
import type { Iommu } from './iommu.ts';
import type { OperationCtx, Place, Placement } from './placement.ts';
import {
  NUMA_NO_NODE,
  Pool,
  TTM_ALLOCATION_POOL_USE_DMA_ALLOC,
  TTM_ALLOCATION_POOL_USE_DMA32,
  TtmPoolManager,
  ttmPoolMgrFini,
  ttmPoolMgrReinit,
} from './pool_type.ts';
import { Ram } from './ram.ts';
import {
  LruItem,
  type Resource,
  ResourceManager,
  sysManagerFunc,
  ttmResourceManagerInit,
  ttmResourceManagerSetUsed,
} from './resource.ts';
import { postDevicePoolFlags } from './rules/allocation_flags.ts';
import type { RuleBreach } from './rules/check.ts';
import { warnOn } from './rules/check.ts';
import { postDeviceFiniList } from './rules/device_list.ts';
import { postGlobalInit } from './rules/page_allocator.ts';
import { DEVICE_INIT_VMA_MANAGER } from './rules/ttm_device.ts';
import { postDeviceInit } from './rules_post.ts';
import type { Tt } from './tt.ts';
import { WwMutex } from './ww_mutex.ts';

/** struct ttm_device_funcs: the driver's hooks. */
export interface DeviceFuncs {
  ttmTtCreate(bo: BufferObject, pageFlags: number): Tt | null;
  /** Default: ttm_bo_eviction_valuable. */
  evictionValuable(bo: BufferObject, place: Place): boolean;
  /**
   * Move `bo` to `newMem`. May return -EMULTIHOP after setting `hop.place` to the bounce placement.
   * On success the driver has assigned `newMem` to the BO (ttm_bo_move_null/memcpy/accel_cleanup).
   */
  move(bo: BufferObject, evict: boolean, ctx: OperationCtx, newMem: Resource, hop: Hop | null): KGen<number>;
  /** Where to evict `bo` to; an empty placement means: drop its backing store (gutting). */
  evictFlags(bo: BufferObject): Placement;
  releaseNotify?(bo: BufferObject): void;
  deleteMemNotify?(bo: BufferObject): void;
  /** Populate a tt instead of ttm_pool_alloc (e.g. restore a backed-up tt): 0 or -errno. */
  ttmTtPopulate?(bdev: Device, tt: Tt, ctx: OperationCtx): KGen<number>;
  /** Unpopulate a tt instead of ttm_pool_free. */
  ttmTtUnpopulate?(bdev: Device, tt: Tt): void;
  /** Told before a BO's tt is swapped out. */
  swapNotify?(bo: BufferObject): void;
}

export interface Hop {
  place: Place | null;
}

/** Simulated RAM of a world unless told otherwise: 64 MiB. */
export const DEFAULT_RAM_PAGES = 16384;

/** 2 GiB of DMA32-addressable pages: the cap of ttm_dma32_pages_limit. */
const DMA32_PAGES = 2 ** 31 / 4096;

/** The TTM globals (struct ttm_global) and the machine's memory: one per simulated world, never module state. */
export class TtmGlobal {
  readonly deviceList: Device[] = [];
  /**
   * ttm_global_mutex (ttm_device.c, "protecting the global state"): a sleeping mutex that
   * ttm_global_swapout holds across its whole device walk, swapouts included.
   * Deviation(device-list-no-mutex): ttm_device_init and ttm_device_fini edit the device list without
   * it; neither sleeps in the model, so one that runs while a global swapout sleeps does not wait for it.
   */
  readonly globalMutex = new WwMutex('ttm_global_mutex');
  boCount = 0;
  /**
   * Every BO of this world not yet destroyed (ghosts and zombies included), in creation order: added by
   * newBufferObject, removed when ttm_bo_release destroys it. What the per-step oracles look at.
   */
  readonly bos = new Set<BufferObject>();
  /** ttm_pool.c's globals (page_pool_size = totalram / 2). */
  readonly poolMgr: TtmPoolManager;
  /** ttm_tt.c's accounting: pages of populated non-EXTERNAL tts, and those of DMA32 pools. */
  ttmPagesAllocated = 0;
  ttmDma32PagesAllocated = 0;
  /** ttm_pages_limit (totalram / 2) and ttm_dma32_pages_limit (min(totalram, 2 GiB)). */
  ttmPagesLimit: number;
  ttmDma32PagesLimit: number;
  /**
   * The page allocator's direct reclaim: the shrinkers registered in this world, run when an order-0
   * allocation finds no free frame (mm/page_alloc.c __alloc_pages_direct_reclaim). Returns pages freed.
   * Null: nothing to reclaim with (allocations just fail).
   */
  directReclaim: ((pages: number) => KGen<number>) | null = null;
  /**
   * Named mutations switched on in this world: each brings back one historical kernel bug (off by
   * default; the simulator's model is the fixed kernel).
   */
  mutations: ReadonlySet<string> = new Set();
  /**
   * Named candidate fixes switched on in this world: each mends one kernel bug the model keeps as
   * upstream has it (src/explore/known_findings.ts replays a failure with its fix to tell a known bug
   * from a new one). Off by default: the model is upstream's code.
   */
  patches: ReadonlySet<string> = new Set();
  /**
   * The run's fault plan, asked at every fault site (src/kernel/faults.ts). Null: no fault injection
   * (the KUnit ports and unit tests), and `injectFault` always answers false.
   */
  faultHook: FaultHook | null = null;
  /**
   * Designs switched on in this world (src/designs): options of the same world that the seed threads
   * proposed and the kernel never merged (off by default; off is today's kernel).
   */
  designs: ReadonlySet<string> = new Set();
  /** What the world did (bytes moved, evictions, faults, backups), for comparing designs. */
  readonly counters = new WorldCounters();
  /**
   * Every IOMMU a device of this world was put behind, kept after ttm_device_fini took the device off
   * the list, so that a run's IOMMU map failures are still counted once its world was torn down.
   */
  readonly iommus: Iommu[] = [];
  /** Per-design state kept on the world (src/designs), by design name. */
  readonly designState = new Map<string, unknown>();
  /** A design's check of CPU access to a BO (fault, access), resv held; null when no design asks. */
  cpuAccessHook: ((bo: BufferObject, how: 'fault' | 'access') => void) | null = null;
  /** A design's note that a tt's pages were backed up or purged (its DMA binding goes); null: none. */
  ttBackedUpHook: ((tt: Tt) => void) | null = null;
  /** TTM's own fence references and ghost resvs not yet dropped (src/kernel/fence_refs.ts). */
  fenceLedger: FenceRefs | null = null;
  /**
   * The first kernel rule (a WARN_ON, BUG_ON or lock assertion; src/kernel/rules) broken in this world, or
   * null: set by warnOn, never cleared; a checked run fails with it after the step that broke it.
   */
  ruleBroken: RuleBreach | null = null;

  constructor(
    readonly ram: Ram = new Ram(DEFAULT_RAM_PAGES),
    /** The swap space shmem backup and swapout files live in. */
    readonly swap: SwapSpace = new SwapSpace(DEFAULT_SWAP_PAGES),
  ) {
    const half = Math.floor(ram.totalPages / 2);
    this.poolMgr = new TtmPoolManager(ram, half);
    this.ttmPagesLimit = half;
    // num_dma32: all of (lowmem) RAM, capped at 2 GiB; not half of it.
    this.ttmDma32PagesLimit = Math.min(ram.totalPages, DMA32_PAGES);
    ram.world ??= this;
    this.poolMgr.world = this;
    postGlobalInit(this, ram.totalPages);
  }

  /** True when the run's fault plan makes this evaluation of `site` fail (`where` names the object). */
  injectFault(site: FaultSite, where: string): boolean {
    return this.faultHook?.(site, where) ?? false;
  }
}

/** drm_vma_offset_manager: only its presence and the number of mmap offsets handed out matter here. */
export interface VmaOffsetManager {
  nodes: number;
}

export interface Workqueue {
  readonly name: string;
  /** Works queued and not finished. */
  pending: number;
}

export class Device {
  readonly managers: (ResourceManager | null)[] = new Array(TTM_NUM_MEM_TYPES).fill(null);
  readonly unevictable = new LruItem(null, true);
  funcs: DeviceFuncs;
  pool: Pool = new Pool(null, NUMA_NO_NODE, 0);
  wq: Workqueue | null = null;
  vmaManager: VmaOffsetManager | null = null;
  devMapping: object | null = null;
  global: TtmGlobal | null = null;
  /** alloc_flags: the TTM_ALLOCATION_* flags given to ttm_device_init (allocation.ts). */
  allocFlags = 0;
  /** The IOMMU this device's DMA goes through; null = direct mapping (DMA address = frame number). */
  iommu: Iommu | null = null;
  /** drm_dev_unplug happened: drm_dev_enter fails, CPU faults get the dummy page (bo_vm.ts). */
  unplugged = false;
  /** The VMAs of dev_mapping (its i_mmap): every CPU mapping of this device's BOs (bo_vm.ts). */
  readonly vmas = new Set<CpuMapping>();

  constructor(
    readonly id: string,
    readonly env: KernelEnv,
    funcs: DeviceFuncs,
  ) {
    this.funcs = funcs;
  }

  /** ttm_manager_type. */
  manager(memType: number): ResourceManager | null {
    return this.managers[memType] ?? null;
  }
}

export interface DeviceInitArgs {
  readonly dev: object | null;
  readonly mapping: object | null;
  readonly vmaManager: VmaOffsetManager | null;
  readonly useDmaAlloc: boolean;
  readonly useDma32: boolean;
  /**
   * Further TTM_ALLOCATION_* flags (allocation.ts): PROPAGATE_ENOSPC, a POOL_BENEFICIAL_ORDER. Left out:
   * none, as before the flags existed.
   */
  readonly allocFlags?: number;
}

/** ttm_set_driver_manager. */
export function ttmSetDriverManager(bdev: Device, memType: number, man: ResourceManager | null): void {
  bdev.managers[memType] = man;
}

/** ttm_sys_man_init: the SYSTEM manager, use_tt, no size limit, enabled. */
function ttmSysManInit(bdev: Device): void {
  const man = new ResourceManager(bdev, TTM_PL_SYSTEM, true, 0, sysManagerFunc);
  ttmResourceManagerInit(man, 0);
  ttmSetDriverManager(bdev, TTM_PL_SYSTEM, man);
  ttmResourceManagerSetUsed(man, true);
}

/**
 * ttm_device_init: set up the SYSTEM manager, the pool, the workqueue and join the global device list.
 * Returns 0, or -EINVAL without a vma offset manager.
 */
export function ttmDeviceInit(global: TtmGlobal, bdev: Device, args: DeviceInitArgs): number {
  if (warnOn(global, DEVICE_INIT_VMA_MANAGER, args.vmaManager === null, bdev.id, '')) return -EINVAL;
  // ttm_global_init: the first device of a world whose devices all went sets the global pools up again.
  if (global.deviceList.length === 0) ttmPoolMgrReinit(global.poolMgr);
  bdev.wq = { name: 'ttm', pending: 0 };
  ttmSysManInit(bdev);
  let flags = args.allocFlags ?? 0;
  if (args.useDmaAlloc) flags |= TTM_ALLOCATION_POOL_USE_DMA_ALLOC;
  if (args.useDma32) flags |= TTM_ALLOCATION_POOL_USE_DMA32;
  bdev.allocFlags = flags;
  bdev.pool = new Pool(args.dev, NUMA_NO_NODE, flags, global, bdev);
  postDevicePoolFlags(global, bdev, args.useDmaAlloc, args.useDma32);
  bdev.vmaManager = args.vmaManager;
  bdev.devMapping = args.mapping;
  bdev.global = global;
  global.deviceList.push(bdev);
  bdev.env.emit('device', bdev.id, { type: 'dev.init' });
  return postDeviceInit(global, bdev, 0);
}

/** ttm_device_fini: leave the device list, drop the SYSTEM manager, free the pool. */
export function ttmDeviceFini(bdev: Device): void {
  const global = bdev.global;
  const before = global === null ? [] : [...global.deviceList];
  if (global !== null) {
    const at = global.deviceList.indexOf(bdev);
    if (at >= 0) global.deviceList.splice(at, 1);
  }
  bdev.wq = null;
  const man = bdev.manager(TTM_PL_SYSTEM);
  if (man !== null) ttmResourceManagerSetUsed(man, false);
  ttmSetDriverManager(bdev, TTM_PL_SYSTEM, null);
  bdev.pool.fini();
  // ttm_global_release: the world's last device takes the global pools down (ttm_pool_mgr_fini).
  if (global !== null && global.deviceList.length === 0) ttmPoolMgrFini(global.poolMgr, global);
  postDeviceFiniList(global, bdev, before);
  bdev.env.emit('device', bdev.id, { type: 'dev.fini' });
}
