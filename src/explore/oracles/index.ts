// Per-step oracles (DESIGN.md §3): invariants of a TTM world that must hold at every scheduler step
// boundary, checked by runScenario after each step through `checkAll`. Each oracle looks at one world
// (TtmGlobal: RAM, swap, pool manager, devices, the registry of live BOs) and returns the first violation
// it finds, or null. Each states a rule of an object that the kernel asserts or drivers rely on, and its
// catalogue entry names the upstream text: accounting (accounting.ts), pinning (pinning.ts), resources,
// LRUs and bulk moves (lru.ts), CPU mappings (pte.ts), tt pages and states (pages.ts), backup and swap
// (backup.ts), reservations (ww.ts), DMA mappings (iommu.ts), and the designs' own (designs.ts).
// Restriction: a kernel path holding a BO's resv may yield with that BO's state half-updated (a new
// resource allocated and listed before the driver's move assigns it; a swapped BO's resource bumped only
// at unreserve; a tt counted, or its pages allocated, before it is marked populated), exactly as the
// kernel leaves it under the lock; the rules about such state judge only BOs whose resv is unlocked, and
// each says so. Oracles only read state; their order in ORACLES is the order checkAll reports in.

import type { TtmGlobal } from '../../kernel/device.ts';
import type { UpstreamRule } from '../../kernel/rules.ts';
import { checkManagerAccounting, checkPoolAccounting, checkTtPageAccounting } from './accounting.ts';
import { checkBackupHandles } from './backup.ts';
import { checkDynamicCpuAccess, checkGpuWithoutDma } from './designs.ts';
import { checkIommuMappings } from './iommu.ts';
import { checkBulkRange, checkLruPlacement, checkResourceFields } from './lru.ts';
import { checkFreedUse, checkPageCaching, checkTtState } from './pages.ts';
import { checkPinCount, checkPinnedResident } from './pinning.ts';
import { checkPteOwnership } from './pte.ts';
import { fail, type OracleSpec, type Violation } from './types.ts';
import { checkVmaPtes } from './vma.ts';
import { beginPass, endPass } from './world.ts';
import { checkWaitDie, checkWwHeld } from './ww.ts';
import { checkWaitOrder } from './ww_wait_list.ts';

export { checkManagerAccounting, checkPoolAccounting, checkTtPageAccounting } from './accounting.ts';
export { checkBackupHandles } from './backup.ts';
export { checkDynamicCpuAccess, checkGpuWithoutDma } from './designs.ts';
export { checkIommuMappings } from './iommu.ts';
export { checkBulkRange, checkLruPlacement, checkResourceFields } from './lru.ts';
export { checkFreedUse, checkPageCaching, checkTtState } from './pages.ts';
export { checkPinCount, checkPinnedResident } from './pinning.ts';
export { checkPteOwnership } from './pte.ts';
export type { Oracle, OracleSpec, Violation } from './types.ts';
export { checkVmaPtes } from './vma.ts';
export { checkWaitDie, checkWwHeld } from './ww.ts';
export { checkWaitOrder } from './ww_wait_list.ts';

const TTM = 'drivers/gpu/drm/ttm';

function up(file: string, func: string, text: string): UpstreamRule {
  return { file: file.includes('/') ? file : `${TTM}/${file}`, func, text };
}

/** Every oracle, in the order checkAll runs them. */
export const ORACLES: readonly OracleSpec[] = [
  {
    id: 'accounting.manager',
    description:
      'every manager: usage = Σ sizes of its listed resources; range allocator pages = Σ their pages',
    upstream: [
      up('ttm_resource.c', 'ttm_resource_init', 'man->usage += res->size;'),
      up('ttm_resource.c', 'ttm_resource_fini', 'man->usage -= res->size;'),
    ],
    when: 'step',
    check: checkManagerAccounting,
  },
  {
    id: 'accounting.pool',
    description:
      'allocated_pages = pages in the pool types; pooled blocks allocated, of their order, and cleared',
    upstream: [
      up('ttm_pool.c', 'ttm_pool_type_give', 'atomic_long_add(1 << pt->order, &allocated_pages);'),
      up('ttm_pool.c', 'ttm_pool_type_give', 'clear_page(page_address(p + i));'),
    ],
    when: 'step',
    check: checkPoolAccounting,
  },
  {
    id: 'accounting.tt-pages',
    description:
      'ttm_pages_allocated (and the DMA32 count) = pages of populated non-EXTERNAL tts, plus at most those of tts being populated under their resv',
    upstream: [
      up('ttm_tt.c', 'ttm_tt_populate', 'atomic_long_add(ttm->num_pages, &ttm_pages_allocated);'),
      up('ttm_tt.c', 'ttm_tt_unpopulate', 'atomic_long_sub(ttm->num_pages, &ttm_pages_allocated);'),
      up('ttm_tt.c', 'ttm_tt_populate', 'atomic_long_add(ttm->num_pages, &ttm_dma32_pages_allocated);'),
    ],
    when: 'step',
    check: checkTtPageAccounting,
  },
  {
    id: 'pinned.resident',
    description: 'a pinned BO has a resource on the unevictable list and a tt neither swapped nor backed up',
    upstream: [
      up('ttm_bo.c', 'ttm_bo_pin', 'Make sure the buffer is not evicted any more during memory pressure.'),
      up(
        'ttm_resource.c',
        'ttm_resource_move_to_lru_tail',
        'list_move_tail(&res->lru.link, &bdev->unevictable);',
      ),
    ],
    when: 'step',
    check: checkPinnedResident,
  },
  {
    id: 'pin.count',
    description: 'pin_count is a whole number ≥ 0; ghosts and BOs queued for destruction are not pinned',
    upstream: [
      up('ttm_bo.c', 'ttm_bo_unpin', 'if (WARN_ON_ONCE(!bo->pin_count))'),
      up('ttm_bo_util.c', 'ttm_buffer_object_transfer', 'fbo->base.pin_count = 0;'),
      up('ttm_bo.c', 'ttm_bo_release', 'bo->pin_count = 0;'),
    ],
    when: 'step',
    check: checkPinCount,
  },
  {
    id: 'lru.placement',
    description:
      'listed resources are unfreed, of live BOs, on their memory type; resv unlocked: the BO’s resource, unevictable iff pinned/swapped else lru[prio] (or left unevictable after a failed populate cleared a purged tt’s backed-up state, or unpinned into an empty bulk range)',
    upstream: [
      up('ttm_resource.c', 'ttm_resource_init', 'list_add_tail(&res->lru, &man->lru[bo->priority]);'),
      up('ttm_resource.c', 'ttm_resource_fini', 'list_del_init(&res->lru);'),
      up('ttm_resource.c', 'ttm_resource_move_to_lru_tail', 'if (ttm_resource_unevictable(res, bo)) {'),
    ],
    when: 'step',
    check: checkLruPlacement,
  },
  {
    id: 'resource.fields',
    description:
      'a listed resource: size = its BO’s, on its BO’s device, a manager of its type, placement only TTM_PL_FLAG_*, range node at start and inside the manager',
    upstream: [
      up('ttm_resource.c', 'ttm_resource_init', 'res->size = bo->base.size;'),
      up('ttm_resource.c', 'ttm_resource_init', 'res->placement = place->flags;'),
      up('ttm_range_manager.c', 'ttm_range_man_alloc', 'node->base.start = node->mm_nodes[0].start;'),
    ],
    when: 'step',
    check: checkResourceFields,
  },
  {
    id: 'lru.bulk-range',
    description:
      'a bulk move’s first..last per (type, prio) is a stretch of that LRU (or of the unevictable list, after an unpin into an empty range) holding only evictable resources of its BOs; their resources on the LRU lie inside it',
    upstream: [
      up(
        'ttm_resource.c',
        'ttm_lru_bulk_move_tail',
        'list_bulk_move_tail(&man->lru[j], &pos->first->lru, &pos->last->lru);',
      ),
      up('ttm_resource.c', 'ttm_resource_add_bulk_move', 'if (bo->bulk_move && !bo->pin_count)'),
    ],
    when: 'step',
    check: checkBulkRange,
  },
  {
    id: 'pte.ownership',
    description:
      'every PTE maps a frame of bo.ttm, a page inside bo.resource (iomem), or the dummy page after unplug',
    upstream: [
      up('ttm_bo.c', 'ttm_bo_handle_move_mem', 'ttm_bo_unmap_virtual(bo);'),
      up('ttm_bo_vm.c', 'ttm_bo_vm_fault', 'if (drm_dev_enter(ddev, &idx)) {'),
    ],
    when: 'step',
    check: checkPteOwnership,
  },
  {
    id: 'freed.use',
    description:
      'live tts name only allocated frames and no destroyed tt; no frame in two tts or in a tt and a pool',
    upstream: [
      up('ttm_pool.c', 'ttm_pool_type_give', 'list_add(&p->lru, &pt->pages);'),
      up('ttm_tt.c', 'ttm_tt_destroy', 'ttm_tt_unpopulate(bdev, ttm);'),
    ],
    when: 'step',
    check: checkFreedUse,
  },
  {
    id: 'tt.state',
    description:
      'page array of num_pages slots; resv unlocked: populated ⇒ not SWAPPED/BACKED_UP and every slot a page; SWAPPED or unpopulated and not backed up ⇒ no page',
    upstream: [
      up(
        'include/drm/ttm/ttm_tt.h',
        'struct ttm_tt',
        'TTM_TT_FLAG_SWAPPED: Set by TTM when the pages have been unpopulated and swapped out by TTM.',
      ),
      up(
        'include/drm/ttm/ttm_tt.h',
        'struct ttm_tt',
        'This is set by TTM after ttm_tt_populate() has successfully returned, and is then unset when TTM calls ttm_tt_unpopulate().',
      ),
      up('ttm_tt.c', 'ttm_tt_populate', 'ttm->page_flags &= ~TTM_TT_FLAG_BACKED_UP;'),
    ],
    when: 'step',
    check: checkTtState,
  },
  {
    id: 'pages.caching',
    description:
      'pooled pages have their pool type’s caching; resv unlocked: a populated tt’s pages have the tt’s caching',
    upstream: [
      up('ttm_pool.c', 'ttm_pool_free_page', 'set_pages_wb(p, 1 << order);'),
      up(
        'ttm_pool.c',
        'ttm_pool_apply_caching',
        'return set_pages_array_wc(alloc->caching_divide, num_pages);',
      ),
    ],
    when: 'step',
    check: checkPageCaching,
  },
  {
    id: 'backup.handles',
    description:
      'handles only in BACKED_UP tts, at slot handle-1, on a written page; restore state only while backed up; swap slots = handles + swap storage',
    upstream: [
      up('ttm_backup.c', 'ttm_backup_shmem_idx_to_handle', 'return (unsigned long)idx + 1;'),
      up('ttm_tt.c', 'ttm_tt_swapout', 'ttm->page_flags |= TTM_TT_FLAG_SWAPPED;'),
      up('ttm_pool.c', 'ttm_pool_restore_and_alloc', 'if (!ttm_tt_is_backed_up(tt))'),
    ],
    when: 'step',
    check: checkBackupHandles,
  },
  {
    id: 'ww.waitdie',
    description: 'no ticket holding locks sleeps on a lock held by an older ticket (it must die)',
    upstream: [
      up('drivers/dma-buf/dma-resv.c', 'reservation_ww_class', 'DEFINE_WD_CLASS(reservation_ww_class);'),
      up(
        'kernel/locking/ww_mutex.h',
        '__ww_mutex_die',
        'if (waiter->ww_ctx->acquired > 0 && __ww_ctx_less(waiter->ww_ctx, ww_ctx)) {',
      ),
    ],
    when: 'step',
    check: checkWaitDie,
  },
  {
    id: 'ww.held',
    description: 'a ticket’s acquired count equals the locks of live BOs it holds',
    upstream: [
      up('kernel/locking/ww_mutex.h', 'ww_mutex_lock_acquired', 'ww_ctx->acquired++;'),
      up('kernel/locking/ww_mutex.h', '__ww_mutex_unlock', 'lock->ctx->acquired--;'),
    ],
    when: 'step',
    check: checkWwHeld,
  },
  {
    id: 'iommu.mappings',
    description:
      'IOMMU mappings map only allocated frames; resv unlocked: a populated tt’s dma_address[i] is the bus address of pages[i]',
    upstream: [
      up('ttm_pool.c', 'ttm_pool_map', '*(*dma_addr)++ = addr;'),
      up(
        'ttm_pool.c',
        'ttm_pool_unmap',
        'dma_unmap_page(pool->dev, dma_addr, (long)num_pages << PAGE_SHIFT, DMA_BIDIRECTIONAL);',
      ),
    ],
    when: 'step',
    check: checkIommuMappings,
  },
  {
    id: 'vma.pte-page',
    description:
      'VMAs on a mapping list are open; PTEs lie inside the VMA and the BO; resv unlocked: the PTE at page p maps page p (tt pages[p], or the resource start + p for iomem)',
    upstream: [
      up('ttm_bo_vm.c', 'ttm_bo_vm_fault_reserved', 'if (unlikely(page_offset >= PFN_UP(bo->base.size)))'),
      up('ttm_bo_vm.c', 'ttm_bo_vm_fault_reserved', 'page = ttm->pages[page_offset];'),
      up(
        'ttm_bo_vm.c',
        'ttm_bo_io_mem_pfn',
        'return (bo->resource->bus.offset >> PAGE_SHIFT) + page_offset;',
      ),
    ],
    when: 'step',
    check: checkVmaPtes,
  },
  {
    id: 'ww.wait-order',
    description: 'a ww_mutex’s waiters with an acquire context queue oldest stamp first',
    upstream: [
      up(
        'kernel/locking/ww_mutex.h',
        '__ww_mutex_add_waiter',
        'Add @waiter to the wait-list, keep the wait-list ordered by stamp, smallest first.',
      ),
    ],
    when: 'step',
    check: checkWaitOrder,
  },
];

/**
 * The oracles of the designs (src/designs): each holds trivially unless its design is on in the world.
 * The designs are not upstream code; each states the DMA API rule the design has to keep.
 */
export const DESIGN_ORACLES: readonly OracleSpec[] = [
  {
    id: 'design.dynamic-cpu-access',
    description: 'two-step / shared-iommu: no CPU fault or kmap on a BO while its tt is bound DYNAMIC',
    upstream: [
      up(
        'Documentation/core-api/dma-api-howto.rst',
        'dma_sync_single_for_cpu',
        'If you need to use the same streaming DMA region multiple times and touch the data in between the DMA transfers, the buffer needs to be synced properly',
      ),
    ],
    when: 'step',
    check: checkDynamicCpuAccess,
  },
  {
    id: 'design.gpu-without-dma',
    description: 'two-step / shared-iommu: a BO in TT (resv unlocked) has its tt bound to a DMA type',
    upstream: [
      up('ttm_pool.c', 'ttm_pool_map', 'addr = dma_map_page(pool->dev, p, 0, size, DMA_BIDIRECTIONAL);'),
    ],
    when: 'step',
    check: checkGpuWithoutDma,
  },
];

const WITH_DESIGNS: readonly OracleSpec[] = [...ORACLES, ...DESIGN_ORACLES];

/**
 * Run every oracle over every world, worlds in order and oracles in ORACLES order (then DESIGN_ORACLES).
 * Returns the first violation, or null when all hold. An oracle that throws is a simulator bug: a
 * `crash` violation.
 */
export function checkAll(worlds: readonly TtmGlobal[]): Violation | null {
  for (const g of worlds) {
    beginPass(g);
    try {
      const v = checkWorld(g);
      if (v !== null) return v;
    } finally {
      endPass();
    }
  }
  return null;
}

function checkWorld(g: TtmGlobal): Violation | null {
  for (const o of g.designs.size === 0 ? ORACLES : WITH_DESIGNS) {
    let v: Violation | null;
    try {
      v = o.check(g);
    } catch (err) {
      v = fail(
        o.id,
        'oracle',
        `the oracle threw: ${err instanceof Error ? err.message : String(err)}`,
        'crash',
      );
    }
    if (v !== null) return v;
  }
  return null;
}
