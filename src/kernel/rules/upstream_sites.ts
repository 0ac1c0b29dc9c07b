// Every WARN_ON, WARN_ON_ONCE, WARN, BUG_ON, BUG, lockdep_assert_held and dma_resv_assert_held site of the
// upstream TTM files read for the rule catalogue, with the function it is in, the line's text, whether the
// model has that function (and where), and the check that states it. Texts were read from torvalds/linux:
// ttm_bo.c ≈v6.16/6.17 (struct ttm_bo_evict_walk, dmem cgroups), ttm_bo_util.c ≈v6.15 (ttm_bo_shrink,
// LRU cursor), ttm_tt.c ≈v6.15 (ttm_tt_backup), ttm_resource.c (2026 text with bulk-move sublists),
// ttm_pool.c ≈v6.15 (backup/restore), ttm_backup.c ≈v6.15, ttm_device.c ≈v5.13, ttm_bo_vm.c ≈v6.x,
// ttm_range_manager.c ≈v5.10, ttm_sys_manager.c, include/drm/ttm/ttm_bo.h ≈v6.15. ttm_backup.c,
// ttm_range_manager.c and ttm_sys_manager.c hold no such site in the versions read.

/** What the model does with a site. */
export type SiteStatus =
  /** The model has the function and a check states the site (`checks`). */
  | 'checked'
  /** The model does not have the function (`reason` says what it lacks). */
  | 'not-modelled'
  /**
   * The model has the function but the site cannot break there (`reason`): a lock the model has no
   * object for and holds by construction, or a condition its types exclude.
   */
  | 'cannot-break';

export interface UpstreamSite {
  readonly file: string;
  readonly func: string;
  readonly kind:
    | 'WARN_ON'
    | 'WARN_ON_ONCE'
    | 'WARN'
    | 'BUG_ON'
    | 'BUG'
    | 'lockdep_assert_held'
    | 'dma_resv_assert_held';
  readonly text: string;
  /** The model function mirroring `func` (file:function), or null. */
  readonly model: string | null;
  readonly status: SiteStatus;
  /** Check ids (KERNEL_RULES) stating the site; empty unless `checked`. */
  readonly checks: readonly string[];
  readonly reason?: string;
}

const BO = 'drivers/gpu/drm/ttm/ttm_bo.c';
const BOH = 'include/drm/ttm/ttm_bo.h';
const UTIL = 'drivers/gpu/drm/ttm/ttm_bo_util.c';
const TT = 'drivers/gpu/drm/ttm/ttm_tt.c';
const RES = 'drivers/gpu/drm/ttm/ttm_resource.c';
const POOL = 'drivers/gpu/drm/ttm/ttm_pool.c';
const DEV = 'drivers/gpu/drm/ttm/ttm_device.c';
const VM = 'drivers/gpu/drm/ttm/ttm_bo_vm.c';
const DMA_RESV = 'drivers/dma-buf/dma-resv.c';
const RESV = 'dma_resv_assert_held(bo->base.resv);';
const LRU_LOCK =
  'the model has no lru_lock object: every section the kernel runs under it runs without a scheduling point, so it is held by construction';

function checked(
  file: string,
  func: string,
  kind: UpstreamSite['kind'],
  text: string,
  model: string,
  ...checks: string[]
): UpstreamSite {
  return { file, func, kind, text, model, status: 'checked', checks };
}

function other(
  file: string,
  func: string,
  kind: UpstreamSite['kind'],
  text: string,
  model: string | null,
  status: 'not-modelled' | 'cannot-break',
  reason: string,
): UpstreamSite {
  return { file, func, kind, text, model, status, checks: [], reason };
}

export const UPSTREAM_SITES: readonly UpstreamSite[] = [
  // ttm_bo.c
  checked(
    BO,
    'ttm_bo_move_to_lru_tail',
    'dma_resv_assert_held',
    RESV,
    'bo.ts:ttmBoMoveToLruTail',
    'bo.move-to-lru-tail.resv-held',
  ),
  checked(
    BO,
    'ttm_bo_set_bulk_move',
    'dma_resv_assert_held',
    RESV,
    'bo.ts:ttmBoSetBulkMove',
    'bo.set-bulk-move.resv-held',
  ),
  checked(
    BO,
    'ttm_bo_individualize_resv',
    'BUG_ON',
    'BUG_ON(!dma_resv_trylock(&bo->base._resv));',
    'bo.ts:ttmBoIndividualizeResv',
    'bo.individualize-resv.trylock',
  ),
  checked(
    BO,
    'ttm_bo_release',
    'WARN_ON_ONCE',
    'WARN_ON_ONCE(bo->pin_count);',
    'bo.ts:ttmBoRelease',
    'bo.release.unpinned',
  ),
  checked(
    BO,
    'ttm_bo_release',
    'WARN_ON_ONCE',
    'WARN_ON_ONCE(bo->bulk_move);',
    'bo.ts:ttmBoRelease',
    'bo.release.no-bulk-move',
  ),
  checked(BO, 'ttm_bo_evict', 'dma_resv_assert_held', RESV, 'bo.ts:ttmBoEvict', 'bo.evict.resv-held'),
  checked(
    BO,
    'ttm_bo_eviction_valuable',
    'dma_resv_assert_held',
    RESV,
    'bo.ts:ttmBoEvictionValuable',
    'bo.eviction-valuable.resv-held',
  ),
  checked(BO, 'ttm_bo_pin', 'dma_resv_assert_held', RESV, 'bo.ts:ttmBoPin', 'bo.pin.resv-held'),
  checked(
    BO,
    'ttm_bo_pin',
    'WARN_ON_ONCE',
    'WARN_ON_ONCE(!kref_read(&bo->kref));',
    'bo.ts:ttmBoPin',
    'bo.pin.kref',
  ),
  checked(BO, 'ttm_bo_unpin', 'dma_resv_assert_held', RESV, 'bo.ts:ttmBoUnpin', 'bo.unpin.resv-held'),
  checked(
    BO,
    'ttm_bo_unpin',
    'WARN_ON_ONCE',
    'WARN_ON_ONCE(!kref_read(&bo->kref));',
    'bo.ts:ttmBoUnpin',
    'bo.unpin.kref',
  ),
  checked(
    BO,
    'ttm_bo_unpin',
    'WARN_ON_ONCE',
    'if (WARN_ON_ONCE(!bo->pin_count))',
    'bo.ts:ttmBoUnpin',
    'bo.unpin.pinned',
  ),
  checked(
    BO,
    'ttm_bo_validate',
    'dma_resv_assert_held',
    RESV,
    'bo.ts:ttmBoValidate',
    'bo.validate.resv-held',
  ),
  checked(
    BO,
    'ttm_bo_init_reserved',
    'WARN_ON',
    'WARN_ON(!dma_resv_trylock(bo->base.resv));',
    'bo.ts:ttmBoInitReserved',
    'bo.init-reserved.trylock',
  ),
  checked(
    BO,
    'ttm_bo_init_reserved',
    'dma_resv_assert_held',
    'dma_resv_assert_held(resv);',
    'bo.ts:ttmBoInitReserved',
    'bo.init-reserved.resv-held',
  ),
  checked(
    BO,
    'ttm_bo_swapout_cb',
    'WARN',
    'WARN(ret == -EMULTIHOP, "Unexpected multihop in swapout - likely driver bug.\\n");',
    'swap.ts:swapoutLocked',
    'bo.swapout.no-multihop',
  ),
  checked(
    BO,
    'ttm_bo_populate',
    'dma_resv_assert_held',
    RESV,
    'bo.ts:ttmBoPopulate',
    'bo.populate.resv-held',
  ),
  // include/drm/ttm/ttm_bo.h
  checked(
    BOH,
    'ttm_bo_reserve',
    'WARN_ON',
    'if (WARN_ON(ticket))',
    'bo.ts:ttmBoReserve',
    'bo.reserve.no-wait-no-ticket',
  ),
  checked(
    BOH,
    'ttm_bo_assign_mem',
    'WARN_ON',
    'WARN_ON(bo->resource);',
    'bo.ts:ttmBoAssignMem',
    'bo.assign-mem.unplaced',
  ),
  // ttm_bo_util.c
  checked(
    UTIL,
    'ttm_bo_move_memcpy',
    'WARN_ON',
    'if (WARN_ON(!src_mem))',
    'bo_util.ts:ttmBoMoveMemcpy',
    'bo-util.move-memcpy.src-mem',
  ),
  other(
    UTIL,
    'ttm_buffer_object_transfer',
    'WARN_ON',
    'WARN_ON(!ret);',
    'bo_util.ts:ttmBufferObjectTransfer',
    'cannot-break',
    "the trylock is of the ghost's own resv, created a line before: nobody else can hold it",
  ),
  other(
    UTIL,
    'ttm_bo_kmap_ttm',
    'BUG_ON',
    'BUG_ON(!ttm);',
    null,
    'not-modelled',
    'no ttm_bo_kmap: kernel maps are modelled only inside ttm_bo_vm_access_kmap',
  ),
  other(UTIL, 'ttm_bo_kunmap', 'BUG', 'BUG();', null, 'not-modelled', 'no ttm_bo_kunmap'),
  other(UTIL, 'ttm_bo_vmap', 'dma_resv_assert_held', RESV, null, 'not-modelled', 'no ttm_bo_vmap'),
  other(UTIL, 'ttm_bo_vunmap', 'dma_resv_assert_held', RESV, null, 'not-modelled', 'no ttm_bo_vunmap'),
  checked(
    UTIL,
    'ttm_bo_move_sync_cleanup',
    'WARN_ON',
    'if (WARN_ON(ret))',
    'bo_util.ts:ttmBoMoveSyncCleanup',
    'bo-util.move-sync-cleanup.idle',
  ),
  checked(
    UTIL,
    'ttm_bo_move_pipeline_evict',
    'WARN',
    'WARN(1, "not enough fence slots for all fence contexts");',
    'bo_util.ts:ttmBoMovePipelineEvict',
    'bo-util.pipeline-evict.fence-slots',
  ),
  checked(
    UTIL,
    'ttm_lru_walk_trylock',
    'dma_resv_assert_held',
    RESV,
    'bo.ts:ttmLruWalkForEvict',
    'bo-util.lru-walk-trylock.resv-held',
  ),
  checked(
    UTIL,
    'ttm_bo_shrink',
    'dma_resv_assert_held',
    RESV,
    'swap.ts:ttmBoShrink',
    'bo-util.shrink.resv-held',
  ),
  // ttm_tt.c
  checked(TT, 'ttm_tt_create', 'dma_resv_assert_held', RESV, 'tt.ts:ttmTtCreate', 'tt.create.resv-held'),
  checked(
    TT,
    'ttm_tt_create',
    'WARN_ON',
    'WARN_ON(bo->ttm->page_flags & TTM_TT_FLAG_EXTERNAL_MAPPABLE && !(bo->ttm->page_flags & TTM_TT_FLAG_EXTERNAL));',
    'tt.ts:ttmTtCreate',
    'tt.create.mappable-is-external',
  ),
  checked(
    TT,
    'ttm_tt_fini',
    'WARN_ON',
    'WARN_ON(ttm->page_flags & TTM_TT_FLAG_PRIV_POPULATED);',
    'tt.ts:ttmTtFini',
    'tt.fini.unpopulated',
  ),
  checked(
    TT,
    'ttm_tt_swapin',
    'BUG_ON',
    'BUG_ON(swap_storage == NULL);',
    'tt.ts:ttmTtSwapin',
    'tt.swapin.storage',
  ),
  checked(
    TT,
    'ttm_tt_backup',
    'WARN_ON',
    'if (WARN_ON(IS_ERR_OR_NULL(tt->backup)))',
    'tt.ts:ttmTtBackup',
    'tt.backup.has-backup',
  ),
  checked(
    TT,
    'ttm_tt_setup_backup',
    'WARN_ON_ONCE',
    'if (WARN_ON_ONCE(!(tt->page_flags & TTM_TT_FLAG_EXTERNAL_MAPPABLE)))',
    'tt.ts:ttmTtSetupBackup',
    'tt.setup-backup.external-mappable',
  ),
  // ttm_resource.c
  other(
    RES,
    'ttm_resource_cursor_fini',
    'lockdep_assert_held',
    'lockdep_assert_held(&cursor->man->bdev->lru_lock);',
    'resource.ts:ResourceCursor.fini',
    'cannot-break',
    LRU_LOCK,
  ),
  other(
    RES,
    'ttm_bulk_move_drop_cursors',
    'WARN_ON_ONCE',
    'WARN_ON_ONCE(1);',
    null,
    'not-modelled',
    'no ttm_lru_bulk_move_fini (bulk moves are never finalized in the model)',
  ),
  other(
    RES,
    'ttm_lru_bulk_move_tail',
    'lockdep_assert_held',
    'lockdep_assert_held(&first->bo->bdev->lru_lock);',
    'resource.ts:ttmLruBulkMoveTail',
    'cannot-break',
    LRU_LOCK,
  ),
  checked(
    RES,
    'ttm_lru_bulk_move_tail',
    'dma_resv_assert_held',
    'dma_resv_assert_held(first->bo->base.resv);',
    'resource.ts:ttmLruBulkMoveTail',
    'resource.bulk-move-tail.resv-held',
  ),
  checked(
    RES,
    'ttm_lru_bulk_move_add',
    'WARN_ON',
    'WARN_ON(first->bo->base.resv != res->bo->base.resv);',
    'resource.ts:ttmLruBulkMoveAdd',
    'resource.bulk-move-add.same-resv',
  ),
  checked(
    RES,
    'ttm_resource_is_swapped',
    'dma_resv_assert_held',
    RESV,
    'resource.ts:resourceIsSwappedLocked',
    'resource.is-swapped.resv-held',
  ),
  checked(
    RES,
    'ttm_resource_del_bulk_move_unevictable',
    'WARN_ON_ONCE',
    'WARN_ON_ONCE(!ttm_resource_unevictable(res, bo));',
    'swap.ts:ttmResourceDelBulkMoveUnevictable',
    'resource.del-bulk-move-unevictable.unevictable',
  ),
  other(
    RES,
    'ttm_resource_move_to_lru_tail',
    'lockdep_assert_held',
    'lockdep_assert_held(&bo->bdev->lru_lock);',
    'resource.ts:ttmResourceMoveToLruTail',
    'cannot-break',
    LRU_LOCK,
  ),
  other(
    RES,
    'ttm_resource_manager_usage',
    'WARN_ON_ONCE',
    'if (WARN_ON_ONCE(!man->bdev))',
    'resource.ts:ttmResourceManagerUsage',
    'cannot-break',
    "a ResourceManager's bdev is a non-null constructor parameter",
  ),
  other(
    RES,
    'ttm_resource_manager_first',
    'WARN_ON_ONCE',
    'if (WARN_ON_ONCE(!man))',
    'resource.ts:ttmResourceManagerFirst',
    'cannot-break',
    'the manager is a non-null parameter',
  ),
  other(
    RES,
    'ttm_resource_manager_first',
    'lockdep_assert_held',
    'lockdep_assert_held(&man->bdev->lru_lock);',
    'resource.ts:ttmResourceManagerFirst',
    'cannot-break',
    LRU_LOCK,
  ),
  other(
    RES,
    'ttm_resource_manager_next',
    'lockdep_assert_held',
    'lockdep_assert_held(&man->bdev->lru_lock);',
    'resource.ts:ResourceCursor.next',
    'cannot-break',
    LRU_LOCK,
  ),
  // ttm_pool.c
  checked(
    POOL,
    '__ttm_pool_alloc',
    'WARN_ON',
    'WARN_ON(!alloc->remaining_pages || ttm_tt_is_populated(tt));',
    'pool.ts:poolAllocInner',
    'pool.alloc.unpopulated',
  ),
  checked(
    POOL,
    '__ttm_pool_alloc',
    'WARN_ON',
    'WARN_ON(alloc->dma_addr && !pool->dev);',
    'pool.ts:poolAllocInner',
    'pool.alloc.dma-needs-dev',
  ),
  checked(
    POOL,
    'ttm_pool_alloc',
    'WARN_ON',
    'if (WARN_ON(ttm_tt_is_backed_up(tt)))',
    'pool.ts:ttmPoolAlloc',
    'pool.alloc.not-backed-up',
  ),
  checked(
    POOL,
    'ttm_pool_restore_and_alloc',
    'WARN_ON',
    'if (WARN_ON(!ttm_tt_is_backed_up(tt)))',
    'pool.ts:ttmPoolRestoreAndAlloc',
    'pool.restore-and-alloc.backed-up',
  ),
  checked(
    POOL,
    'ttm_pool_drop_backed_up',
    'WARN_ON',
    'WARN_ON(!ttm_tt_is_backed_up(tt));',
    'pool.ts:ttmPoolDropBackedUp',
    'pool.drop-backed-up.backed-up',
  ),
  checked(
    POOL,
    'ttm_pool_drop_backed_up',
    'WARN_ON',
    'WARN_ON(mid > start_page);',
    'pool.ts:ttmPoolDropBackedUp',
    'pool.drop-backed-up.caching-divide',
  ),
  checked(
    POOL,
    'ttm_pool_backup',
    'WARN_ON',
    'if (WARN_ON(ttm_tt_is_backed_up(tt)))',
    'pool.ts:ttmPoolBackup',
    'pool.backup.not-backed-up',
  ),
  checked(
    POOL,
    'ttm_pool_init',
    'WARN_ON',
    'WARN_ON(!dev && use_dma_alloc);',
    'pool.ts:Pool (constructor)',
    'pool.init.dma-alloc-needs-dev',
  ),
  checked(
    POOL,
    'ttm_pool_mgr_fini',
    'WARN_ON',
    'WARN_ON(!list_empty(&shrinker_list));',
    'pool.ts:ttmPoolMgrFini',
    'pool.mgr-fini.shrinker-list-empty',
  ),
  // ttm_device.c
  checked(
    DEV,
    'ttm_device_init',
    'WARN_ON',
    'if (WARN_ON(vma_manager == NULL))',
    'device.ts:ttmDeviceInit',
    'device.init.vma-manager',
  ),
  // ttm_bo_vm.c
  other(
    VM,
    'ttm_bo_vm_open',
    'WARN_ON',
    'WARN_ON(bo->bdev->dev_mapping != vma->vm_file->f_mapping);',
    null,
    'not-modelled',
    'no vm_open: mappings are created by ttm_bo_mmap_obj and never duplicated (fork)',
  ),
  checked(
    VM,
    'ttm_bo_vm_access_kmap',
    'WARN_ON_ONCE',
    'WARN_ON_ONCE(is_iomem);',
    'bo_vm.ts:ttmBoVmAccessKmap',
    'bo-vm.access-kmap.not-iomem',
  ),
  // drivers/dma-buf/dma-resv.c: the two functions TTM calls to put fences on a BO (the rest of the file,
  // fence iteration and copying, is not enumerated).
  checked(
    DMA_RESV,
    'dma_resv_reserve_fences',
    'dma_resv_assert_held',
    'dma_resv_assert_held(obj);',
    'resv.ts:DmaResv.reserveFences',
    'dma-resv.reserve-fences.held',
  ),
  checked(
    DMA_RESV,
    'dma_resv_add_fence',
    'dma_resv_assert_held',
    'dma_resv_assert_held(obj);',
    'resv.ts:DmaResv.addFence',
    'dma-resv.add-fence.held',
  ),
  checked(
    DMA_RESV,
    'dma_resv_add_fence',
    'BUG_ON',
    'BUG_ON(fobj->num_fences >= fobj->max_fences);',
    'resv.ts:DmaResv.addFence',
    'dma-resv.add-fence.slot',
  ),
];
