// The checks made once a run is over: after the whole life of every TTM world (init, work, suspend,
// resume, more work, teardown; src/sim/scenarios/lifecycle.ts) every count the kernel keeps must be back
// at zero, because each one is taken down by a fini function that upstream writes for that purpose
// (ttm_range_man_fini, ttm_device_fini, ttm_pool_fini, ttm_pool_mgr_fini, ttm_tt_destroy, ...).
// END_CHECKS is the catalogue of every end-of-run check the built-in scenarios report, each with the
// upstream statement it comes from: the general ones `endOfLifeChecks` makes here, and the workload-
// specific ones the scenario files make (the errors userspace may see, fault outcomes, DMA32 placement,
// reclaim that could not fail, the stress and calibrator shapes). Ids are the ones failures carry.

import type { BufferObject } from '../kernel/bo.ts';
import { PAGE_SIZE, TTM_PL_SYSTEM } from '../kernel/constants.ts';
import type { Device, TtmGlobal } from '../kernel/device.ts';
import { fenceRefs } from '../kernel/fence_refs.ts';
import type { Iommu } from '../kernel/iommu.ts';
import { CACHINGS, type PoolType } from '../kernel/pool_type.ts';
import { RangeManager, type ResourceManager } from '../kernel/resource.ts';
import type { CheckInfo, UpstreamRule } from '../kernel/rules.ts';
import type { Breach } from './scenario.ts';

const TTM = 'drivers/gpu/drm/ttm';

function rule(file: string, func: string, text: string): UpstreamRule {
  return { file, func, text };
}

function end(id: string, description: string, ...upstream: UpstreamRule[]): CheckInfo {
  return { id, description, upstream, when: 'end' };
}

/** The end-of-run checks of `endOfLifeChecks`, in the order it makes them. */
export const LIFECYCLE_END_CHECKS: readonly CheckInfo[] = [
  end(
    'correctness.leak',
    'every resource manager (SYSTEM, TT, VRAM) has usage 0: every resource was freed',
    rule(`${TTM}/ttm_resource.c`, 'ttm_resource_fini', 'man->usage -= res->size;'),
    rule(`${TTM}/ttm_resource.c`, 'ttm_resource_init', 'man->usage += res->size;'),
  ),
  end(
    'correctness.accounting',
    "a range manager's usage equals the pages its drm_mm allocator holds",
    rule(`${TTM}/ttm_range_manager.c`, 'ttm_range_man_free', 'drm_mm_remove_node(&node->mm_nodes[0]);'),
  ),
  end(
    'lifecycle.mm-clean',
    "a range manager's drm_mm holds no node when ttm_range_man_fini takes it down",
    rule('drivers/gpu/drm/drm_mm.c', 'drm_mm_takedown', 'if (WARN(!drm_mm_clean(mm),'),
  ),
  end(
    'lifecycle.manager-fini',
    'every driver manager was taken down: disabled, its move fence dropped, detached from the device',
    rule(`${TTM}/ttm_range_manager.c`, 'ttm_range_man_fini', 'ttm_resource_manager_set_used(man, false);'),
    rule(`${TTM}/ttm_range_manager.c`, 'ttm_range_man_fini', 'ttm_set_driver_manager(bdev, type, NULL);'),
    rule(`${TTM}/ttm_resource.c`, 'ttm_resource_manager_cleanup', 'man->move = NULL;'),
  ),
  end(
    'lifecycle.device-fini',
    'ttm_device_fini ran for every device: SYSTEM manager detached, off the device list, workqueue gone',
    rule(`${TTM}/ttm_device.c`, 'ttm_device_fini', 'ttm_set_driver_manager(bdev, TTM_PL_SYSTEM, NULL);'),
    rule(`${TTM}/ttm_device.c`, 'ttm_device_fini', 'list_del(&bdev->device_list);'),
    rule(`${TTM}/ttm_device.c`, 'ttm_device_fini', 'destroy_workqueue(bdev->wq);'),
  ),
  end(
    'correctness.bo-leak',
    'every BO (ghosts and zombies included) was destroyed: its last reference went and it was freed',
    rule(`${TTM}/ttm_bo.c`, 'ttm_bo_release', 'bo->destroy(bo);'),
  ),
  end(
    'accounting.bo-count',
    'ttm_glob.bo_count counts the BOs that exist (ghosts and zombies included): 0 once every BO is gone',
    rule(
      'include/drm/ttm/ttm_device.h',
      'struct ttm_global',
      '@bo_count: Number of buffer objects allocated by devices.',
    ),
    rule(`${TTM}/ttm_bo.c`, 'ttm_bo_release', 'atomic_dec(&ttm_glob.bo_count);'),
  ),
  end(
    'correctness.lock-held',
    "no BO's reservation is still locked once every task has finished",
    rule('kernel/locking/lockdep.c', 'lockdep_sys_exit', '"lock held when returning to user space!"'),
  ),
  end(
    'correctness.pool-leak',
    "no page is left in any pool type (the global ones and the devices' own): allocated_pages is 0",
    rule(`${TTM}/ttm_pool.c`, 'ttm_pool_type_fini', 'while ((p = ttm_pool_type_take(pt)))'),
    rule(`${TTM}/ttm_pool.c`, 'ttm_pool_fini', 'ttm_pool_type_fini(&pool->caching[i].orders[j]);'),
  ),
  end(
    'correctness.page-accounting',
    'ttm_pages_allocated and ttm_dma32_pages_allocated are back at 0: every populated tt was unpopulated',
    rule(`${TTM}/ttm_tt.c`, 'ttm_tt_unpopulate', 'atomic_long_sub(ttm->num_pages, &ttm_pages_allocated);'),
    rule(
      `${TTM}/ttm_tt.c`,
      'ttm_tt_unpopulate',
      'atomic_long_sub(ttm->num_pages, &ttm_dma32_pages_allocated);',
    ),
  ),
  end(
    'correctness.iommu-leak',
    "no DMA mapping is left in any IOMMU the world's devices map through",
    rule(
      `${TTM}/ttm_pool.c`,
      'ttm_pool_unmap',
      'dma_unmap_page(pool->dev, dma_addr, (long)num_pages << PAGE_SHIFT,',
    ),
  ),
  end(
    'correctness.swap-leak',
    'no swap slot is still in use: every backup and swap file of a destroyed tt was dropped',
    rule(`${TTM}/ttm_tt.c`, 'ttm_tt_destroy', 'fput(ttm->swap_storage);'),
    rule(`${TTM}/ttm_tt.c`, 'ttm_tt_destroy', 'ttm_backup_fini(ttm->backup);'),
  ),
  end(
    'correctness.fence-leak',
    "every fence reference TTM took was put and every ghost's reservation object finalised",
    rule('include/linux/dma-fence.h', 'dma_fence_put', 'kref_put(&fence->refcount, dma_fence_release);'),
    rule(`${TTM}/ttm_bo_util.c`, 'ttm_transfered_destroy', 'dma_resv_fini(&fbo->base.base._resv);'),
  ),
  end(
    'correctness.page-leak',
    'every RAM page frame is free again (no page held by a tt, a pool, a restore or a bounce)',
    rule(`${TTM}/ttm_pool.c`, 'ttm_pool_free_page', '__free_pages(p, order);'),
  ),
  end(
    'trace.resv-state',
    'the trace agrees with the objects: every BO the trace follows has a statechart for its reservation (locked at init), and a reservation unlocked at the end is unlocked in its statechart too (every lock and unlock was traced)',
    rule(
      'include/linux/dma-resv.h',
      'dma_resv_unlock',
      ' * Unlocks the reservation object following exclusive access.',
    ),
  ),
  end(
    'trace.resource-state',
    'the trace agrees with the objects once the run is torn down: a resource statechart is left on an LRU (onLru, unevictable) exactly when a BO still holds that resource, so every resource freed reported its ttm_resource_fini',
    rule(`${TTM}/ttm_resource.c`, 'ttm_resource_fini', 'list_del_init(&res->lru);'),
    rule(`${TTM}/ttm_resource.c`, 'ttm_resource_init', 'list_add_tail(&res->lru, &man->lru[bo->priority]);'),
  ),
  end(
    'trace.tt-state',
    'the trace agrees with the objects once the run is torn down: a tt statechart is left short of destroyed exactly when a BO still holds that tt, so every tt ttm_tt_destroy took down reported it',
    rule(`${TTM}/ttm_tt.c`, 'ttm_tt_destroy', 'bdev->funcs->ttm_tt_destroy(bdev, ttm);'),
  ),
];

/** End-of-run checks the scenario files make themselves (their workloads' own outcomes). */
export const WORKLOAD_END_CHECKS: readonly CheckInfo[] = [
  end(
    'correctness.errno',
    'userspace (and the suspend path) saw only the errors the called function documents',
    rule(`${TTM}/ttm_bo.c`, 'ttm_bo_validate', '* -ENOMEM on out-of-memory condition.'),
    rule(`${TTM}/ttm_resource.c`, 'ttm_resource_manager_evict_all', 'if (ret && ret != -ENOENT)'),
  ),
  end(
    'correctness.fault-oom',
    'a TTM CPU fault never returns VM_FAULT_OOM (the OOM killer would run for a GPU buffer)',
    rule(
      `${TTM}/ttm_bo_vm.c`,
      'ttm_bo_vm_fault_reserved',
      'pr_debug("TTM fault hit %pe.\\n", ERR_PTR(err));',
    ),
  ),
  end(
    'correctness.fault-stuck',
    'a CPU access maps its page within a bounded number of faults (VM_FAULT_RETRY makes progress)',
    rule(`${TTM}/ttm_bo_vm.c`, 'ttm_bo_vm_reserve', 'return VM_FAULT_RETRY;'),
  ),
  end(
    'correctness.fault',
    'a CPU fault returns NOPAGE, RETRY or SIGBUS, never an error the fault handler does not produce',
    rule(`${TTM}/ttm_bo_vm.c`, 'ttm_bo_vm_fault_reserved', 'return VM_FAULT_NOPAGE;'),
  ),
  end(
    'correctness.create',
    'creating a BO fails only with an error ttm_bo_init_validate documents',
    rule(`${TTM}/ttm_bo.c`, 'ttm_bo_init_reserved', '* -ENOMEM: Out of memory.'),
  ),
  end(
    'correctness.reclaim',
    'a populate does not fail with -ENOMEM while free and pooled pages could hold the whole tt',
    rule(`${TTM}/ttm_pool.c`, 'ttm_pool_shrinker_scan', 'num_freed += ttm_pool_shrink();'),
  ),
  end(
    'correctness.dma-iommu',
    'shared-iommu: every page of a BO validated into TT has a DMA address that the IOMMU its device is behind translates to that page',
    rule(
      `${TTM}/ttm_pool.c`,
      'ttm_pool_map',
      'addr = dma_map_page(pool->dev, p, 0, size, DMA_BIDIRECTIONAL);',
    ),
  ),
  end(
    'correctness.dma32',
    "a DMA32 device's pages lie below 4 GiB",
    rule(`${TTM}/ttm_pool.c`, 'ttm_pool_alloc', 'gfp_flags |= GFP_DMA32;'),
  ),
  end(
    'resv.held',
    "stress: no BO's reservation is held by a thread at the end of the run",
    rule('kernel/locking/lockdep.c', 'lockdep_sys_exit', '"lock held when returning to user space!"'),
  ),
  end(
    'fence.unsignaled',
    'stress: every fence a thread emitted was signalled by the end of the run',
    rule(
      'drivers/dma-buf/dma-fence.c',
      'dma_fence_signal',
      '* Signal completion for software callbacks on a fence,',
    ),
  ),
  end(
    'calibrator.starvation',
    'calibrator (a synthetic bug of known probability, no kernel code): the brief task ran before the long one finished',
    rule('kernel/sched/core.c', 'schedule', 'the calibrator names no kernel rule: it measures the search'),
  ),
  end(
    'calibrator.lost-update',
    'calibrator: three read-modify-writes under a mutex leave the counter at 3',
    rule('kernel/locking/mutex.c', 'mutex_lock', '* Lock the mutex exclusively for this task.'),
  ),
];

/** Every end-of-run check, as the catalogue lists them. */
export const END_CHECKS: readonly CheckInfo[] = [...LIFECYCLE_END_CHECKS, ...WORKLOAD_END_CHECKS];

/** One world as its whole life leaves it, with what teardown detaches from it kept for the checks. */
export interface WorldRecord {
  readonly global: TtmGlobal;
  /** Each device of the world with every manager it had after init (SYSTEM first), kept past teardown. */
  readonly devices: readonly { readonly bdev: Device; readonly managers: readonly ResourceManager[] }[];
  /** The IOMMUs the devices map through (shared ones once). */
  readonly iommus: readonly Iommu[];
  /** BOs whose reservations must be unlocked. */
  readonly bos: readonly BufferObject[];
}

function poolTypesOf(w: WorldRecord): PoolType[] {
  const mgr = w.global.poolMgr;
  const out: PoolType[] = [
    ...mgr.globalWriteCombined,
    ...mgr.globalUncached,
    ...mgr.globalDma32WriteCombined,
    ...mgr.globalDma32Uncached,
  ];
  for (const d of w.devices) {
    for (let i = 0; i < CACHINGS.length; i += 1) {
      for (const pt of d.bdev.pool.caching[i]!.orders) if (pt !== null) out.push(pt);
    }
  }
  return out;
}

/**
 * The end of a world's life: every count back at zero and everything taken down (LIFECYCLE_END_CHECKS).
 * `tornDown`: the lifecycle's teardown ran to its end (otherwise the take-down checks are not made: a run
 * that never got there fails on its own account, a liveness failure or an earlier breach).
 */
export function endOfLifeChecks(w: WorldRecord, tornDown: boolean): Breach[] {
  const out: Breach[] = [];
  const g = w.global;
  for (const d of w.devices) {
    for (const man of d.managers) {
      if (man.usage !== 0) {
        out.push({
          id: 'correctness.leak',
          actor: man.id,
          message: `${man.usage} B still in use at the end`,
        });
      }
      if (man instanceof RangeManager && man.usage !== man.mm.usedPages * PAGE_SIZE) {
        out.push({
          id: 'correctness.accounting',
          actor: man.id,
          message: `usage ${man.usage} B but the allocator holds ${man.mm.usedPages} pages`,
        });
      }
      if (tornDown && man instanceof RangeManager && man.mm.usedPages !== 0) {
        out.push({
          id: 'lifecycle.mm-clean',
          actor: man.id,
          message: `Memory manager not clean during takedown: ${man.mm.usedPages} pages still allocated`,
        });
      }
      if (!tornDown || man.memType === TTM_PL_SYSTEM) continue;
      if (d.bdev.manager(man.memType) === man || man.useType || man.move !== null) {
        out.push({
          id: 'lifecycle.manager-fini',
          actor: man.id,
          message: `not taken down: ${d.bdev.manager(man.memType) === man ? 'still attached' : 'detached'}, ${man.useType ? 'in use' : 'disabled'}, move fence ${man.move === null ? 'dropped' : `${man.move.id} kept`}`,
        });
      }
    }
    if (
      tornDown &&
      (d.bdev.manager(TTM_PL_SYSTEM) !== null || g.deviceList.includes(d.bdev) || d.bdev.wq !== null)
    ) {
      out.push({
        id: 'lifecycle.device-fini',
        actor: d.bdev.id,
        message: `ttm_device_fini left ${d.bdev.manager(TTM_PL_SYSTEM) !== null ? 'the SYSTEM manager attached' : g.deviceList.includes(d.bdev) ? 'the device on the device list' : 'its workqueue'}`,
      });
    }
  }
  if (g.bos.size !== 0) {
    out.push({
      id: 'correctness.bo-leak',
      message: `${g.bos.size} BOs (ghosts and zombies included) never destroyed`,
    });
  }
  if (g.boCount !== g.bos.size) {
    out.push({
      id: 'accounting.bo-count',
      message: `ttm_glob.bo_count is ${g.boCount} with ${g.bos.size} BOs left`,
    });
  }
  for (const bo of w.bos) {
    if (bo.resv.isLocked()) {
      out.push({
        id: 'correctness.lock-held',
        actor: bo.id,
        message: `resv still held by ${bo.resv.lock.holder?.task}`,
      });
    }
  }
  let pooled = 0;
  for (const pt of poolTypesOf(w)) pooled += pt.pages.length << pt.order;
  if (pooled !== 0 || g.poolMgr.allocatedPages !== 0) {
    out.push({
      id: 'correctness.pool-leak',
      actor: 'pool',
      message: `${pooled} pages in pool types, allocated_pages ${g.poolMgr.allocatedPages}`,
    });
  }
  if (g.ttmPagesAllocated !== 0 || g.ttmDma32PagesAllocated !== 0) {
    out.push({
      id: 'correctness.page-accounting',
      message: `ttm_pages_allocated ${g.ttmPagesAllocated}, ttm_dma32_pages_allocated ${g.ttmDma32PagesAllocated}`,
    });
  }
  for (const iommu of w.iommus) {
    if (iommu.mappingCount !== 0) {
      out.push({
        id: 'correctness.iommu-leak',
        actor: iommu.id,
        message: `${iommu.mappingCount} DMA mapping(s) (${iommu.usedPages} IOVA pages) left`,
      });
    }
  }
  if (g.swap.usedPages !== 0) {
    out.push({ id: 'correctness.swap-leak', message: `${g.swap.usedPages} swap slots still in use` });
  }
  const refs = fenceRefs(g);
  for (const [fence, n] of refs.fences) {
    out.push({
      id: 'correctness.fence-leak',
      actor: fence.id,
      message: `${fence.id}: ${n} reference(s) taken by dma_fence_get never put`,
    });
  }
  for (const [resv, owner] of refs.resvs) {
    out.push({
      id: 'correctness.fence-leak',
      actor: owner,
      message: `${resv.id} of ghost ${owner} never finalised (dma_resv_fini): its fences leak`,
    });
  }
  if (g.ram.usedPages !== 0) {
    out.push({ id: 'correctness.page-leak', message: `${g.ram.usedPages} page frames never freed` });
  }
  return out;
}

/**
 * trace.resv-state: each of `bos` whose reservation is unlocked at the end must be `unlocked` in its
 * statechart (`state` gives a chart's state by object id, undefined for an object no chart follows).
 */
export function traceAgreesChecks(
  state: (id: string) => string | undefined,
  bos: readonly BufferObject[],
): Breach[] {
  for (const bo of bos) {
    if (bo.resv.isLocked()) continue;
    const s = state(bo.resv.id);
    if (s === undefined && state(bo.id) !== undefined) {
      // A BO the trace follows went through ttm_bo_init_reserved, which returns with its reservation
      // locked: that lock was taken at least once, so its statechart must exist.
      return [
        {
          id: 'trace.resv-state',
          actor: bo.resv.id,
          message: `the reservation of ${bo.id} was locked at init, but no statechart saw it`,
        },
      ];
    }
    if (s !== undefined && s !== 'unlocked') {
      return [
        {
          id: 'trace.resv-state',
          actor: bo.resv.id,
          message: `unlocked, but its statechart is in ${s}: an unlock was not traced`,
        },
      ];
    }
  }
  return [];
}

/** What traceObjectsChecks reads of the statecharts: every chart's object id and its state. */
export interface ChartView {
  ids(): readonly string[];
  state(id: string): string | undefined;
}

const RESOURCE_LIVE = new Set(['allocated', 'onLru', 'unevictable']);

/**
 * trace.resource-state and trace.tt-state: after teardown (`tornDown`), the statecharts of resources
 * (`res:N`) and tts (`tt:N`) agree with the objects the worlds still hold. A resource chart is left short
 * of `freed` exactly when some BO of a world (ghosts and zombies included) still holds that resource, a tt
 * chart short of `destroyed` exactly when some BO still holds that tt. Every other resource and tt was
 * taken down, and its chart must have been told. Before teardown nothing is judged: a task stopped
 * halfway may hold a resource no BO points at yet.
 */
export function traceObjectsChecks(
  charts: ChartView,
  worlds: readonly WorldRecord[],
  tornDown: boolean,
): Breach[] {
  if (!tornDown) return [];
  const resources = new Set<string>();
  const tts = new Set<string>();
  for (const w of worlds) {
    for (const bo of w.global.bos) {
      if (bo.resource !== null && !bo.resource.freed) resources.add(bo.resource.id);
      if (bo.ttm !== null && !bo.ttm.destroyed) tts.add(bo.ttm.id);
    }
  }
  const out: Breach[] = [];
  for (const id of charts.ids()) {
    const s = charts.state(id);
    if (s === undefined) continue;
    if (id.startsWith('res:')) {
      const live = RESOURCE_LIVE.has(s);
      if (live !== resources.has(id)) {
        out.push({
          id: 'trace.resource-state',
          actor: id,
          message: live
            ? `no BO holds ${id} any more, but its statechart is in ${s}: its ttm_resource_fini was not traced`
            : `a BO still holds ${id}, but its statechart is in ${s}`,
        });
      }
    } else if (id.startsWith('tt:')) {
      const live = s !== 'destroyed';
      if (live !== tts.has(id)) {
        out.push({
          id: 'trace.tt-state',
          actor: id,
          message: live
            ? `no BO holds ${id} any more, but its statechart is in ${s}: its ttm_tt_destroy was not traced`
            : `a BO still holds ${id}, but its statechart is in ${s}`,
        });
      }
    }
    if (out.length > 0) return out;
  }
  return out;
}
