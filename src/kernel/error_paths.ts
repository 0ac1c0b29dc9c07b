// The audit of error paths: every place where the upstream code the model mirrors can return an error
// (drivers/gpu/drm/ttm/*.c and the inline helpers of include/drm/ttm/*.h, text of the ≈v6.16 tree; the
// dma-resv, ww_mutex and dma-fence calls TTM makes; the simulated driver's callbacks, shaped like amdgpu's
// and xe's), and how the model reaches each one:
//   state       the model's own state takes the path (a full range manager, Wait-Die, a busy BO with
//               no_wait_gpu), under the condition given;
//   fault       a fault site of src/kernel/faults.ts makes the failing operation fail;
//   callee      the function passes up the error of a callee listed here (reached whenever one of the
//               callee's own paths is);
//   unmodelled  the model has no such step; the reason says why.
// Callbacks that cannot fail are not listed: eviction_valuable returns a bool, swap_notify,
// release_notify and delete_mem_notify return nothing.

import type { FaultSite } from './faults.ts';
import type { UpstreamRule } from './rules.ts';

export type ErrorReach =
  | { readonly kind: 'state'; readonly condition: string }
  | { readonly kind: 'fault'; readonly site: FaultSite }
  | { readonly kind: 'callee'; readonly callee: string }
  | { readonly kind: 'unmodelled'; readonly reason: string };

/** One error return upstream and how the model reaches it. */
export interface ErrorPath {
  /** The file, the function and the line's text. */
  readonly at: UpstreamRule;
  /** What the function returns on this path, as the kernel spells it. */
  readonly errno: string;
  readonly reach: ErrorReach;
}

const BO = 'drivers/gpu/drm/ttm/ttm_bo.c';
const BO_H = 'include/drm/ttm/ttm_bo.h';
const UTIL = 'drivers/gpu/drm/ttm/ttm_bo_util.c';
const VM = 'drivers/gpu/drm/ttm/ttm_bo_vm.c';
const TT = 'drivers/gpu/drm/ttm/ttm_tt.c';
const POOL = 'drivers/gpu/drm/ttm/ttm_pool.c';
const BACKUP = 'drivers/gpu/drm/ttm/ttm_backup.c';
const RES = 'drivers/gpu/drm/ttm/ttm_resource.c';
const RANGE = 'drivers/gpu/drm/ttm/ttm_range_manager.c';
const SYS = 'drivers/gpu/drm/ttm/ttm_sys_manager.c';
const DEV = 'drivers/gpu/drm/ttm/ttm_device.c';
const RESV = 'drivers/dma-buf/dma-resv.c';
const AMDGPU = 'drivers/gpu/drm/amd/amdgpu/amdgpu_ttm.c';
const XE = 'drivers/gpu/drm/xe/xe_bo.c';

function path(file: string, func: string, text: string, errno: string, reach: ErrorReach): ErrorPath {
  return { at: { file, func, text }, errno, reach };
}
const state = (condition: string): ErrorReach => ({ kind: 'state', condition });
const fault = (site: FaultSite): ErrorReach => ({ kind: 'fault', site });
const callee = (name: string): ErrorReach => ({ kind: 'callee', callee: name });
const unmodelled = (reason: string): ErrorReach => ({ kind: 'unmodelled', reason });

export const ERROR_PATHS: readonly ErrorPath[] = [
  // --- dma-resv, ww_mutex, dma-fence: the primitives TTM's errors come from ---------------------------
  path(
    RESV,
    'dma_resv_lock',
    'ww_mutex_lock(&obj->lock, ctx)',
    '-EDEADLK',
    state('Wait-Die: an older ticket holds the resv'),
  ),
  path(
    RESV,
    'dma_resv_lock',
    'ww_mutex_lock(&obj->lock, ctx)',
    '-EALREADY',
    state('the ticket holds the resv already'),
  ),
  path(
    RESV,
    'dma_resv_lock_interruptible',
    'ww_mutex_lock_interruptible(&obj->lock, ctx)',
    '-EINTR',
    fault('signal.wait'),
  ),
  path(
    RESV,
    'dma_resv_reserve_fences',
    'new = dma_resv_list_alloc(max); if (!new) return -ENOMEM;',
    '-ENOMEM',
    fault('resv.reserve'),
  ),
  path(
    RESV,
    'dma_resv_copy_fences',
    'list = dma_resv_list_alloc(dma_resv_shared_count(src)); if (!list) return -ENOMEM;',
    '-ENOMEM',
    fault('resv.copy'),
  ),
  path(
    RESV,
    'dma_resv_wait_timeout',
    'ret = dma_fence_wait_timeout(fence, intr, ret); if (ret <= 0) break;',
    '-ERESTARTSYS',
    fault('signal.wait'),
  ),
  path(
    RESV,
    'dma_resv_wait_timeout',
    'ret = dma_fence_wait_timeout(fence, intr, ret); if (ret <= 0) break;',
    '0 (timed out)',
    fault('fence.timeout'),
  ),

  // --- ttm_bo.h / ttm_bo.c -------------------------------------------------------------------------
  path(
    BO_H,
    'ttm_bo_reserve',
    'if (WARN_ON(ticket)) return -EBUSY;',
    '-EBUSY',
    state('no_wait with a ticket'),
  ),
  path(
    BO_H,
    'ttm_bo_reserve',
    'success = dma_resv_trylock(bo->base.resv); return success ? 0 : -EBUSY;',
    '-EBUSY',
    state('no_wait and another task holds the resv'),
  ),
  path(
    BO_H,
    'ttm_bo_reserve',
    'ret = dma_resv_lock_interruptible(bo->base.resv, ticket);',
    '-EDEADLK, -EALREADY',
    callee('dma_resv_lock'),
  ),
  path(
    BO_H,
    'ttm_bo_reserve',
    'if (ret == -EINTR) return -ERESTARTSYS;',
    '-ERESTARTSYS',
    callee('dma_resv_lock_interruptible'),
  ),
  path(
    BO_H,
    'ttm_bo_reserve_slowpath',
    'ret = dma_resv_lock_slow_interruptible(bo->base.resv, ticket); if (ret == -EINTR) ret = -ERESTARTSYS;',
    '-ERESTARTSYS',
    callee('dma_resv_lock_interruptible'),
  ),
  path(
    BO,
    'ttm_bo_wait_ctx',
    'if (ctx->no_wait_gpu) { if (dma_resv_test_signaled(...)) return 0; else return -EBUSY; }',
    '-EBUSY',
    state('no_wait_gpu and a fence of the BO unsignalled'),
  ),
  path(
    BO,
    'ttm_bo_wait_ctx',
    'ret = dma_resv_wait_timeout(bo->base.resv, DMA_RESV_USAGE_BOOKKEEP, ctx->interruptible, 15 * HZ); if (unlikely(ret < 0)) return ret;',
    '-ERESTARTSYS',
    callee('dma_resv_wait_timeout'),
  ),
  path(BO, 'ttm_bo_wait_ctx', 'if (unlikely(ret == 0)) return -EBUSY;', '-EBUSY', fault('fence.timeout')),
  path(
    BO,
    'ttm_bo_handle_move_mem',
    'ret = ttm_tt_create(bo, old_use_tt); if (ret) goto out_err;',
    '-ENOMEM',
    callee('ttm_tt_create'),
  ),
  path(
    BO,
    'ttm_bo_handle_move_mem',
    'ret = ttm_bo_populate(bo, ctx); if (ret) goto out_err;',
    'populate errors',
    callee('ttm_bo_populate'),
  ),
  path(
    BO,
    'ttm_bo_handle_move_mem',
    'ret = dma_resv_reserve_fences(bo->base.resv, 1); if (ret) goto out_err;',
    '-ENOMEM',
    fault('resv.reserve'),
  ),
  path(
    BO,
    'ttm_bo_handle_move_mem',
    'ret = bdev->funcs->move(bo, evict, ctx, mem, hop); if (ret) { if (ret == -EMULTIHOP) return ret; goto out_err; }',
    'driver move errors',
    callee('ttm_device_funcs.move'),
  ),
  path(
    BO,
    'ttm_bo_bounce_temp_buffer',
    'ret = ttm_bo_mem_space(bo, &hop_placement, &hop_mem, ctx); if (ret) return ret;',
    '-ENOSPC, -ENOMEM, ...',
    callee('ttm_bo_mem_space'),
  ),
  path(
    BO,
    'ttm_bo_bounce_temp_buffer',
    'ret = ttm_bo_handle_move_mem(bo, hop_mem, false, ctx, NULL); if (ret) { ttm_resource_free(bo, &hop_mem); return ret; }',
    'move errors',
    callee('ttm_bo_handle_move_mem'),
  ),
  path(
    BO,
    'ttm_bo_evict',
    'ret = ttm_bo_wait_ctx(bo, ctx); if (ret) { ... goto out; }',
    '-EBUSY, -ERESTARTSYS',
    callee('ttm_bo_wait_ctx'),
  ),
  path(
    BO,
    'ttm_bo_evict',
    'ret = ttm_bo_pipeline_gutting(bo);',
    '-ENOMEM',
    callee('ttm_bo_pipeline_gutting'),
  ),
  path(
    BO,
    'ttm_bo_evict',
    'ret = ttm_bo_mem_space(bo, &placement, &evict_mem, ctx); if (ret) { ... goto out; }',
    '-ENOSPC, -ENOMEM, ...',
    callee('ttm_bo_mem_space'),
  ),
  path(
    BO,
    'ttm_bo_evict',
    'ret = ttm_bo_handle_move_mem(bo, evict_mem, true, ctx, &hop);',
    'move errors',
    callee('ttm_bo_handle_move_mem'),
  ),
  path(
    BO,
    'ttm_bo_evict',
    'ret = ttm_bo_bounce_temp_buffer(bo, ctx, &hop); if (ret) { ... goto out; }',
    'bounce errors',
    callee('ttm_bo_bounce_temp_buffer'),
  ),
  path(
    BO,
    'ttm_lru_walk_ticketlock',
    'ret = dma_resv_lock_interruptible(resv, arg->ticket); ... if (ret == -EDEADLK) ret = -ENOSPC;',
    '-ENOSPC',
    callee('dma_resv_lock'),
  ),
  path(
    BO,
    'ttm_lru_walk_ticketlock',
    'ret = dma_resv_lock_interruptible(resv, arg->ticket);',
    '-EINTR',
    callee('dma_resv_lock_interruptible'),
  ),
  path(
    BO,
    'ttm_bo_evict_cb',
    'lret = ttm_bo_wait_ctx(bo, walk->arg.ctx);',
    '-EBUSY, -ERESTARTSYS',
    callee('ttm_bo_wait_ctx'),
  ),
  path(
    BO,
    'ttm_bo_evict_cb',
    'lret = ttm_bo_evict(bo, walk->arg.ctx);',
    'eviction errors',
    callee('ttm_bo_evict'),
  ),
  path(
    BO,
    'ttm_bo_evict_alloc',
    'if (lret < 0) return lret; if (lret == 0) return -EBUSY;',
    '-EBUSY',
    state('no BO of the manager could be evicted (pinned, locked, not valuable)'),
  ),
  path(
    BO,
    'ttm_bo_evict_cb',
    'lret = ttm_resource_alloc(evict_walk->evictor, evict_walk->place, evict_walk->res, NULL); ... if (lret == -ENOSPC) return -EBUSY;',
    '-ENOSPC (walk goes on)',
    callee('ttm_resource_alloc'),
  ),
  path(
    BO,
    'ttm_bo_evict_first',
    'if (!res) { ret = -ENOENT; goto out_no_ref; }',
    '-ENOENT',
    state("the manager's LRUs are empty"),
  ),
  path(
    BO,
    'ttm_bo_evict_first',
    'ret = ttm_bo_reserve(bo, ctx->interruptible, ctx->no_wait_gpu, NULL); if (ret) goto out_no_lock;',
    '-EBUSY, -ERESTARTSYS',
    callee('ttm_bo_reserve'),
  ),
  path(BO, 'ttm_bo_evict_first', 'ret = ttm_bo_evict(bo, ctx);', 'eviction errors', callee('ttm_bo_evict')),
  path(
    BO,
    'ttm_bo_add_move_fence',
    'ret = dma_fence_is_signaled(fence) ? 0 : -EBUSY;',
    '-EBUSY',
    state("no_wait_gpu and the manager's pipelined eviction still running"),
  ),
  path(
    BO,
    'ttm_bo_add_move_fence',
    'ret = dma_resv_reserve_fences(bo->base.resv, 1);',
    '-ENOMEM',
    fault('resv.reserve'),
  ),
  path(
    BO,
    'ttm_bo_alloc_resource',
    'ret = dma_resv_reserve_fences(bo->base.resv, 1); if (unlikely(ret)) return ret;',
    '-ENOMEM',
    fault('resv.reserve'),
  ),
  path(
    BO,
    'ttm_bo_alloc_resource',
    'if (ret != -ENOSPC && ret != -EAGAIN) { ... return ret; }',
    '-ENOMEM',
    callee('ttm_resource_alloc'),
  ),
  path(
    BO,
    'ttm_bo_alloc_resource',
    'ret = ttm_bo_evict_alloc(...); if (ret == -EBUSY) continue; if (ret) return ret;',
    '-ERESTARTSYS, ...',
    callee('ttm_bo_evict_alloc'),
  ),
  path(
    BO,
    'ttm_bo_alloc_resource',
    'ret = ttm_bo_add_move_fence(bo, man, ctx->no_wait_gpu); if (unlikely(ret)) { ttm_resource_free(bo, &res); if (ret == -EBUSY) continue; return ret; }',
    '-ENOMEM',
    callee('ttm_bo_add_move_fence'),
  ),
  path(
    BO,
    'ttm_bo_alloc_resource',
    'return -ENOSPC;',
    '-ENOSPC',
    state('no place of the placement has room (after evicting, in the second pass)'),
  ),
  path(
    BO,
    'ttm_bo_mem_space',
    'ret = ttm_bo_alloc_resource(bo, placement, ctx, force_space, mem);',
    '-ENOSPC, -ENOMEM, ...',
    callee('ttm_bo_alloc_resource'),
  ),
  path(
    BO,
    'ttm_bo_validate',
    'if (!placement->num_placement) return ttm_bo_pipeline_gutting(bo);',
    '-ENOMEM',
    callee('ttm_bo_pipeline_gutting'),
  ),
  path(
    BO,
    'ttm_bo_validate',
    'if (bo->pin_count) return -EINVAL;',
    '-EINVAL',
    state('a pinned BO whose placement does not fit'),
  ),
  path(
    BO,
    'ttm_bo_validate',
    'ret = ttm_bo_alloc_resource(bo, placement, ctx, force_space, &res); ... if (ret) return ret;',
    '-ENOMEM, -ERESTARTSYS, ...',
    callee('ttm_bo_alloc_resource'),
  ),
  path(
    BO,
    'ttm_bo_validate',
    'ret = ttm_bo_handle_move_mem(bo, res, false, ctx, &hop); ... if (ret) { ttm_resource_free(bo, &res); return ret; }',
    'move errors',
    callee('ttm_bo_handle_move_mem'),
  ),
  path(
    BO,
    'ttm_bo_validate',
    'if (ret == -ENOSPC) return -ENOMEM;',
    '-ENOMEM',
    callee('ttm_bo_alloc_resource'),
  ),
  path(
    BO,
    'ttm_bo_validate',
    'ret = ttm_tt_create(bo, true); if (ret) return ret;',
    '-ENOMEM',
    callee('ttm_tt_create'),
  ),
  path(
    BO,
    'ttm_bo_init_reserved',
    'ret = drm_vma_offset_add(bdev->vma_manager, &bo->base.vma_node, PFN_UP(bo->base.size)); if (ret) goto err_put;',
    '-ENOSPC',
    unmodelled('the vma offset manager is a counter of offsets, with no address space to exhaust'),
  ),
  path(
    BO,
    'ttm_bo_init_reserved',
    'ret = ttm_bo_validate(bo, placement, ctx); if (unlikely(ret)) goto err_unlock;',
    'validate errors',
    callee('ttm_bo_validate'),
  ),
  path(
    BO,
    'ttm_bo_individualize_resv',
    'r = dma_resv_copy_fences(&bo->base._resv, bo->base.resv); ... if (r) return r;',
    '-ENOMEM',
    fault('resv.copy'),
  ),
  path(
    BO,
    'ttm_bo_release',
    'ret = ttm_bo_individualize_resv(bo); if (ret) { dma_resv_wait_timeout(..., false, 30 * HZ); }',
    'handled: waits',
    callee('ttm_bo_individualize_resv'),
  ),
  path(
    BO,
    'ttm_bo_populate',
    'ret = ttm_tt_populate(bo->bdev, tt, ctx); if (ret) return ret;',
    'populate errors',
    callee('ttm_tt_populate'),
  ),
  path(
    BO,
    'ttm_bo_swapout_cb',
    'if (bo->pin_count || !bo->bdev->funcs->eviction_valuable(bo, &place)) { ret = -EBUSY; goto out; }',
    '-EBUSY',
    state('pinned, or the driver does not find the BO worth evicting'),
  ),
  path(
    BO,
    'ttm_bo_swapout_cb',
    'if (!bo->ttm || !ttm_tt_is_populated(bo->ttm) || ... TTM_TT_FLAG_SWAPPED) { ret = -EBUSY; goto out; }',
    '-EBUSY',
    state('no populated, non-external, not swapped tt'),
  ),
  path(
    BO,
    'ttm_bo_swapout_cb',
    'ret = ttm_bo_wait_ctx(bo, ctx);',
    '-EBUSY, -ERESTARTSYS',
    callee('ttm_bo_wait_ctx'),
  ),
  path(
    BO,
    'ttm_bo_swapout_cb',
    'ret = ttm_resource_alloc(bo, &place, &evict_mem, NULL); if (ret) goto out;',
    '-ENOMEM (→ -EBUSY)',
    callee('ttm_resource_alloc'),
  ),
  path(
    BO,
    'ttm_bo_swapout_cb',
    'ret = ttm_bo_handle_move_mem(bo, evict_mem, true, ctx, &hop); if (ret) { WARN(ret == -EMULTIHOP, ...); ttm_resource_free(bo, &evict_mem); goto out; }',
    'move errors',
    callee('ttm_bo_handle_move_mem'),
  ),
  path(
    BO,
    'ttm_bo_swapout_cb',
    'ret = ttm_tt_swapout(bo->bdev, bo->ttm, swapout_walk->gfp_flags);',
    '-ENOMEM, -ENOSPC (→ -EBUSY)',
    callee('ttm_tt_swapout'),
  ),
  path(
    BO,
    'ttm_bo_shrink',
    'int ret = ttm_bo_validate(bo, &sys_placement, ctx); ... if (ret == -ENOMEM || ret == -ENOSPC) ret = -EBUSY; return ret;',
    '-EBUSY, -ERESTARTSYS',
    callee('ttm_bo_validate'),
  ),
  path(
    BO,
    'ttm_bo_shrink',
    'lret = ttm_bo_wait_ctx(bo, ctx); if (lret < 0) return lret;',
    '-EBUSY, -ERESTARTSYS',
    callee('ttm_bo_wait_ctx'),
  ),
  path(
    BO,
    'ttm_bo_shrink',
    'if (lret < 0 && lret != -EINTR) return -EBUSY;',
    '-EBUSY, -EINTR',
    callee('ttm_tt_backup'),
  ),

  // --- ttm_bo_util.c ---------------------------------------------------------------------------------
  path(
    UTIL,
    'ttm_bo_move_memcpy',
    'if (WARN_ON(!src_mem)) return -EINVAL;',
    '-EINVAL',
    state(
      'a driver moves a BO without a resource by memcpy (a WARN_ON; the simulated driver takes a null move there)',
    ),
  ),
  path(
    UTIL,
    'ttm_bo_move_memcpy',
    'ret = ttm_bo_populate(bo, ctx); if (ret) return ret;',
    'populate errors',
    callee('ttm_bo_populate'),
  ),
  path(
    UTIL,
    'ttm_bo_wait_free_node',
    'ret = dma_resv_wait_timeout(bo->base.resv, DMA_RESV_USAGE_BOOKKEEP, false, 15 * HZ); if (ret == 0) return -EBUSY;',
    '-EBUSY',
    fault('fence.timeout'),
  ),
  path(
    UTIL,
    'ttm_buffer_object_transfer',
    'fbo = kmalloc(sizeof(*fbo), GFP_KERNEL); if (!fbo) return -ENOMEM;',
    '-ENOMEM',
    fault('ghost.alloc'),
  ),
  path(
    UTIL,
    'ttm_buffer_object_transfer',
    'ret = dma_resv_reserve_fences(&fbo->base.base._resv, 1); if (ret) { dma_resv_unlock(&fbo->base.base._resv); kfree(fbo); return ret; }',
    '-ENOMEM',
    fault('resv.reserve'),
  ),
  path(
    UTIL,
    'ttm_bo_move_to_ghost',
    'ret = ttm_buffer_object_transfer(bo, &ghost_obj); if (ret) return ret;',
    '-ENOMEM',
    callee('ttm_buffer_object_transfer'),
  ),
  path(
    UTIL,
    'ttm_bo_move_accel_cleanup',
    'ret = ttm_bo_move_to_ghost(bo, fence, man->use_tt);',
    '-ENOMEM',
    callee('ttm_bo_move_to_ghost'),
  ),
  path(
    UTIL,
    'ttm_bo_move_accel_cleanup',
    'ret = ttm_bo_wait_free_node(bo, man->use_tt);',
    '-EBUSY',
    callee('ttm_bo_wait_free_node'),
  ),
  path(
    UTIL,
    'ttm_bo_pipeline_gutting',
    'ret = ttm_tt_create(bo, true); if (ret) return ret;',
    '-ENOMEM',
    callee('ttm_tt_create'),
  ),
  path(
    UTIL,
    'ttm_bo_pipeline_gutting',
    'ret = ttm_buffer_object_transfer(bo, &ghost); if (ret) goto error_destroy_tt;',
    '-ENOMEM',
    callee('ttm_buffer_object_transfer'),
  ),
  path(
    UTIL,
    'ttm_bo_pipeline_gutting',
    'ret = dma_resv_copy_fences(&ghost->base._resv, bo->base.resv); if (ret) dma_resv_wait_timeout(...);',
    'handled: waits',
    fault('resv.copy'),
  ),

  // --- ttm_bo_vm.c -----------------------------------------------------------------------------------
  path(
    VM,
    'ttm_bo_vm_reserve',
    'if (fault_flag_allow_retry_first(vmf->flags)) { ... return VM_FAULT_RETRY; }',
    'VM_FAULT_RETRY',
    state('the resv is contended on a first, retryable attempt'),
  ),
  path(
    VM,
    'ttm_bo_vm_reserve',
    'if (dma_resv_lock_interruptible(bo->base.resv, NULL)) return VM_FAULT_NOPAGE;',
    'VM_FAULT_NOPAGE',
    callee('dma_resv_lock_interruptible'),
  ),
  path(
    VM,
    'ttm_bo_vm_reserve',
    'if (!(bo->ttm->page_flags & TTM_TT_FLAG_EXTERNAL_MAPPABLE)) { dma_resv_unlock(bo->base.resv); return VM_FAULT_SIGBUS; }',
    'VM_FAULT_SIGBUS',
    state('an imported (EXTERNAL) tt that is not EXTERNAL_MAPPABLE'),
  ),
  path(
    VM,
    'ttm_bo_vm_fault_idle',
    'if (vmf->flags & FAULT_FLAG_RETRY_NOWAIT) return VM_FAULT_RETRY;',
    'VM_FAULT_RETRY',
    state('a pipelined move still running on a first, retryable attempt'),
  ),
  path(
    VM,
    'ttm_bo_vm_fault_idle',
    'if (unlikely(err < 0)) { return (err != -ERESTARTSYS) ? VM_FAULT_SIGBUS : VM_FAULT_NOPAGE; }',
    'VM_FAULT_NOPAGE',
    callee('dma_resv_wait_timeout'),
  ),
  path(
    VM,
    'ttm_bo_vm_fault_reserved',
    'if (unlikely(page_offset >= PFN_UP(bo->base.size))) return VM_FAULT_SIGBUS;',
    'VM_FAULT_SIGBUS',
    state('a fault beyond the BO in a VMA longer than the BO'),
  ),
  path(
    VM,
    'ttm_bo_vm_fault_reserved',
    'err = ttm_bo_populate(bo, &ctx); if (err) { if (err == -EINTR || err == -ERESTARTSYS || err == -EAGAIN) return VM_FAULT_NOPAGE; ... return VM_FAULT_SIGBUS; }',
    'VM_FAULT_NOPAGE, VM_FAULT_SIGBUS',
    callee('ttm_bo_populate'),
  ),
  path(
    VM,
    'ttm_bo_vm_fault_reserved',
    'if (unlikely(!page && i == 0)) return VM_FAULT_OOM;',
    'VM_FAULT_OOM',
    state('a populated tt with a hole at the faulting page (not left by a complete populate)'),
  ),
  path(
    VM,
    'ttm_bo_vm_fault_reserved',
    'ret = vmf_insert_pfn_prot(vma, address, pfn, prot); /* Never error on prefaulted PTEs */',
    'VM_FAULT_OOM',
    fault('vm.insert_pfn'),
  ),
  path(
    VM,
    'ttm_bo_vm_dummy_page',
    'page = alloc_page(GFP_KERNEL | __GFP_ZERO); if (!page) return VM_FAULT_OOM;',
    'VM_FAULT_OOM',
    fault('vm.dummy_page'),
  ),
  path(
    VM,
    'ttm_bo_vm_dummy_page',
    'if (drmm_add_action_or_reset(ddev, ttm_bo_release_dummy_page, page)) return VM_FAULT_OOM;',
    'VM_FAULT_OOM',
    fault('vm.dummy_page'),
  ),
  path(
    VM,
    'ttm_bo_access',
    'if (len < 1 || (offset + len) > bo->base.size) return -EIO;',
    '-EIO',
    state('an access outside the BO'),
  ),
  path(
    VM,
    'ttm_bo_access',
    'ret = ttm_bo_reserve(bo, true, false, NULL); if (ret) return ret;',
    '-ERESTARTSYS',
    callee('ttm_bo_reserve'),
  ),
  path(
    VM,
    'ttm_bo_access',
    'if (!bo->resource) { ret = -ENODATA; goto unlock; }',
    '-ENODATA',
    state('the BO has no backing store (gutted, evicted to nothing)'),
  ),
  path(
    VM,
    'ttm_bo_access',
    'ret = -EIO;',
    '-EIO',
    state('a placement without a kmap path and no access_memory hook (VRAM)'),
  ),
  path(
    VM,
    'ttm_bo_vm_access_kmap',
    'ret = ttm_bo_kmap(bo, page, 1, &map); if (ret) return ret;',
    'populate errors',
    callee('ttm_bo_populate'),
  ),
  path(
    VM,
    'ttm_bo_mmap_obj',
    'if (is_cow_mapping(vma->vm_flags)) return -EINVAL;',
    '-EINVAL',
    state('a private writable (copy-on-write) mapping'),
  ),

  // --- ttm_tt.c --------------------------------------------------------------------------------------
  path(
    TT,
    'ttm_tt_create',
    'default: pr_err("Illegal buffer object type\\n"); return -EINVAL;',
    '-EINVAL',
    state('a BO type other than device, kernel, sg (the model cannot build one)'),
  ),
  path(
    TT,
    'ttm_tt_create',
    'bo->ttm = bdev->funcs->ttm_tt_create(bo, page_flags); if (unlikely(bo->ttm == NULL)) return -ENOMEM;',
    '-ENOMEM',
    fault('tt.create'),
  ),
  path(
    TT,
    'ttm_tt_init',
    'if (ttm_tt_alloc_page_directory(ttm)) { pr_err("Failed allocating page table\\n"); return -ENOMEM; }',
    '-ENOMEM',
    fault('tt.create'),
  ),
  path(
    TT,
    'ttm_sg_tt_init',
    'if (ret) { pr_err("Failed allocating page table\\n"); return -ENOMEM; }',
    '-ENOMEM',
    fault('tt.create'),
  ),
  path(
    TT,
    'ttm_tt_swapin',
    'from_folio = shmem_read_folio_gfp(swap_space, i, gfp_mask); if (IS_ERR(from_folio)) { ret = PTR_ERR(from_folio); goto out_err; }',
    '-ENOMEM',
    fault('swapin.read'),
  ),
  path(
    TT,
    'ttm_tt_swapin',
    'if (unlikely(to_page == NULL)) { ret = -ENOMEM; goto out_err; }',
    '-ENOMEM',
    state('a populated tt with a hole (not left by a complete populate)'),
  ),
  path(
    TT,
    'ttm_tt_swapout',
    'swap_storage = shmem_file_setup("ttm swap", size, 0); if (IS_ERR(swap_storage)) { ...; return PTR_ERR(swap_storage); }',
    '-ENOMEM',
    fault('shmem.create'),
  ),
  path(
    TT,
    'ttm_tt_swapout',
    'to_folio = shmem_read_folio_gfp(swap_space, i, gfp_mask); if (IS_ERR(to_folio)) { ret = PTR_ERR(to_folio); goto out_err; }',
    '-ENOMEM',
    fault('swapout.write'),
  ),
  path(
    TT,
    'ttm_tt_swapout',
    'to_folio = shmem_read_folio_gfp(swap_space, i, gfp_mask);',
    '-ENOSPC',
    state('the swap space is full'),
  ),
  path(
    TT,
    'ttm_tt_populate',
    'if (!ttm) return -EINVAL;',
    '-EINVAL',
    state('a BO without a tt (the model never asks)'),
  ),
  path(
    TT,
    'ttm_tt_populate',
    'ret = ttm_global_swapout(ctx, GFP_KERNEL); if (ret == 0) break; if (ret < 0) goto error;',
    'swapout errors',
    callee('ttm_global_swapout'),
  ),
  path(
    TT,
    'ttm_tt_populate',
    'ret = ttm_pool_alloc(&bdev->pool, ttm, ctx); if (ret) goto error;',
    '-ENOMEM, -EFAULT',
    callee('ttm_pool_alloc'),
  ),
  path(
    TT,
    'ttm_tt_populate',
    'ret = bdev->funcs->ttm_tt_populate(bdev, ttm, ctx); if (ret) goto error;',
    'restore errors (xe)',
    callee('ttm_tt_restore'),
  ),
  path(
    TT,
    'ttm_tt_populate',
    'ret = ttm_tt_swapin(ttm); if (unlikely(ret != 0)) { ttm_tt_unpopulate(bdev, ttm); return ret; }',
    '-ENOMEM',
    callee('ttm_tt_swapin'),
  ),
  path(
    TT,
    'ttm_tt_backup',
    'ret = ttm_pool_backup(&bdev->pool, ttm, &flags);',
    '-EBUSY, -ENOMEM, -ENOSPC',
    callee('ttm_pool_backup'),
  ),
  path(
    TT,
    'ttm_tt_restore',
    'int ret = ttm_pool_restore_and_alloc(&bdev->pool, tt, ctx); if (ret) return ret;',
    'restore errors',
    callee('ttm_pool_restore_and_alloc'),
  ),
  path(
    TT,
    'ttm_tt_setup_backup',
    'if (WARN_ON_ONCE(!(ttm->page_flags & TTM_TT_FLAG_EXTERNAL_MAPPABLE))) return -EINVAL;',
    '-EINVAL',
    state('a driver sets up a backup for a tt that is not EXTERNAL_MAPPABLE (a WARN_ON)'),
  ),
  path(
    TT,
    'ttm_tt_setup_backup',
    'if (IS_ERR(backup)) return PTR_ERR(backup);',
    '-ENOMEM',
    callee('ttm_backup_shmem_create'),
  ),

  // --- ttm_pool.c ------------------------------------------------------------------------------------
  path(
    POOL,
    'ttm_pool_alloc_page',
    'p = alloc_pages_node(pool->nid, gfp_flags, order);',
    'NULL',
    fault('page.alloc'),
  ),
  path(
    POOL,
    'ttm_pool_alloc_page',
    'p = alloc_pages_node(pool->nid, gfp_flags, order);',
    'NULL',
    state('no free block of the order in RAM (after direct reclaim for order 0)'),
  ),
  path(
    POOL,
    'ttm_pool_alloc_page',
    'vaddr = dma_alloc_attrs(pool->dev, (1ULL << order) * PAGE_SIZE, &dma->addr, gfp_flags, attr); if (!vaddr) goto error_free;',
    'NULL',
    fault('page.alloc'),
  ),
  path(
    POOL,
    'ttm_pool_apply_caching',
    'return ttm_set_pages_caching(alloc->caching_divide, ...); /* set_pages_array_wc / _uc */',
    '-ENOMEM',
    fault('page.alloc'),
  ),
  path(
    POOL,
    'ttm_pool_map',
    'if (dma_mapping_error(pool->dev, addr)) return -EFAULT;',
    '-EFAULT',
    fault('iommu.map'),
  ),
  path(
    POOL,
    'ttm_pool_map',
    'if (dma_mapping_error(pool->dev, addr)) return -EFAULT;',
    '-EFAULT',
    state('the IOMMU has no free IOVA range of the block size'),
  ),
  path(
    POOL,
    'ttm_pool_page_allocated',
    'r = ttm_pool_map(pool, order, p, &first_dma); if (r) return r;',
    '-EFAULT',
    callee('ttm_pool_map'),
  ),
  path(
    POOL,
    '__ttm_pool_alloc',
    'r = -ENOMEM; goto error_free_all;',
    '-ENOMEM',
    callee('ttm_pool_alloc_page'),
  ),
  path(
    POOL,
    '__ttm_pool_alloc',
    'r = ttm_pool_apply_caching(alloc); if (r) goto error_free_all;',
    '-ENOMEM',
    callee('ttm_pool_apply_caching'),
  ),
  path(
    POOL,
    '__ttm_pool_alloc',
    'r = ttm_pool_page_allocated(pool, order, p, page_caching, alloc, restore); if (r) goto error_free_page;',
    '-EFAULT',
    callee('ttm_pool_page_allocated'),
  ),
  path(
    POOL,
    '__ttm_pool_alloc',
    'r = ttm_pool_restore_commit(restore, tt->backup, ctx, alloc); if (r) goto error_free_all;',
    'restore errors',
    callee('ttm_pool_restore_commit'),
  ),
  path(
    POOL,
    'ttm_pool_alloc',
    'if (WARN_ON(ttm_tt_is_backed_up(tt))) return -EINVAL;',
    '-EINVAL',
    state('a backed-up tt allocated afresh (a WARN_ON)'),
  ),
  path(
    POOL,
    'ttm_pool_alloc',
    'return __ttm_pool_alloc(pool, tt, ctx, &alloc, NULL);',
    '-ENOMEM, -EFAULT',
    callee('__ttm_pool_alloc'),
  ),
  path(
    POOL,
    'ttm_pool_restore_and_alloc',
    'if (WARN_ON(!ttm_tt_is_backed_up(tt))) return -EINVAL;',
    '-EINVAL',
    state('a restore of a tt that is not backed up (a WARN_ON)'),
  ),
  path(
    POOL,
    'ttm_pool_restore_and_alloc',
    'tt->restore = kzalloc(sizeof(*tt->restore), GFP_KERNEL); if (!tt->restore) return -ENOMEM;',
    '-ENOMEM',
    fault('restore.alloc'),
  ),
  path(
    POOL,
    'ttm_pool_restore_and_alloc',
    'ret = ttm_pool_restore_commit(restore, tt->backup, ctx, &alloc); if (ret) return ret;',
    'restore errors',
    callee('ttm_pool_restore_commit'),
  ),
  path(
    POOL,
    'ttm_pool_restore_and_alloc',
    'return __ttm_pool_alloc(pool, tt, ctx, &alloc, tt->restore);',
    '-ENOMEM, -EFAULT',
    callee('__ttm_pool_alloc'),
  ),
  path(
    POOL,
    'ttm_pool_restore_commit',
    'ret = ttm_backup_copy_page(backup, restore->alloced_page + i, handle, ctx->interruptible); if (ret) break;',
    '-EINTR, -ENOMEM',
    callee('ttm_backup_copy_page'),
  ),
  path(
    POOL,
    'ttm_pool_backup',
    'if (WARN_ON(ttm_tt_is_backed_up(tt))) return -EINVAL;',
    '-EINVAL',
    state('a backup of a tt already backed up (a WARN_ON)'),
  ),
  path(
    POOL,
    'ttm_pool_backup',
    'if ((!ttm_backup_bytes_avail() && !flags->purge) || pool->use_dma_alloc || ttm_tt_is_backed_up(tt)) return -EBUSY;',
    '-EBUSY',
    state('swap full (not purging), or a DMA-alloc pool'),
  ),
  path(
    POOL,
    'ttm_pool_backup',
    'if (shandle < 0) { /* We allow partially shrunken tts */ ret = shandle; break; }',
    '-ENOMEM, -ENOSPC',
    callee('ttm_backup_backup_page'),
  ),

  // --- ttm_backup.c ----------------------------------------------------------------------------------
  path(
    BACKUP,
    'ttm_backup_backup_page',
    'to_folio = shmem_read_folio_gfp(mapping, idx, alloc_gfp); if (IS_ERR(to_folio)) return PTR_ERR(to_folio);',
    '-ENOMEM',
    fault('backup.write'),
  ),
  path(
    BACKUP,
    'ttm_backup_backup_page',
    'to_folio = shmem_read_folio_gfp(mapping, idx, alloc_gfp);',
    '-ENOSPC',
    state('the swap space is full'),
  ),
  path(
    BACKUP,
    'ttm_backup_copy_page',
    'from_folio = shmem_read_folio_gfp(mapping, idx, additional_gfp); if (IS_ERR(from_folio)) return PTR_ERR(from_folio);',
    '-ENOMEM',
    fault('backup.read'),
  ),
  path(
    BACKUP,
    'ttm_backup_copy_page',
    ' * Return: 0 on success, Negative error code on failure, notably -EINTR if @intr was set to true and a signal is pending.',
    '-EINTR',
    fault('restore.interrupt'),
  ),
  path(
    BACKUP,
    'ttm_backup_shmem_create',
    'return shmem_file_setup("ttm shmem backup", size, 0);',
    '-ENOMEM',
    fault('shmem.create'),
  ),

  // --- ttm_resource.c, ttm_range_manager.c, ttm_sys_manager.c ----------------------------------------
  path(
    RES,
    'ttm_resource_alloc',
    'ret = man->func->alloc(man, bo, place, res_ptr); if (ret) { ... return ret; }',
    '-ENOMEM, -ENOSPC',
    callee('ttm_range_man_alloc'),
  ),
  path(
    RES,
    'ttm_resource_alloc',
    'ret = man->func->alloc(man, bo, place, res_ptr);',
    '-ENOMEM',
    callee('ttm_sys_man_alloc'),
  ),
  path(
    RES,
    'ttm_resource_alloc',
    'ret = dmem_cgroup_try_charge(man->cg, bo->base.size, &pool, ret_limit_pool); if (ret) { if (ret == -EAGAIN) ret = -ENOSPC; return ret; }',
    '-ENOSPC',
    state("the current task's dmem cgroup, or an ancestor, would go over its dmem.max"),
  ),
  path(
    RES,
    'ttm_resource_manager_evict_all',
    'ret = ttm_bo_evict_first(bdev, man, &ctx); ... if (ret && ret != -ENOENT) return ret;',
    'eviction errors',
    callee('ttm_bo_evict_first'),
  ),
  path(
    RANGE,
    'ttm_range_man_alloc',
    'node = kzalloc(struct_size(node, mm_nodes, 1), GFP_KERNEL); if (!node) return -ENOMEM;',
    '-ENOMEM',
    fault('resource.alloc'),
  ),
  path(
    RANGE,
    'ttm_range_man_alloc',
    'ret = drm_mm_insert_node_in_range(mm, &node->mm_nodes[0], ...); if (unlikely(ret)) { ttm_resource_fini(man, *res); kfree(node); return ret; }',
    '-ENOSPC',
    state('no hole of the size in the range (full or fragmented)'),
  ),
  path(
    SYS,
    'ttm_sys_man_alloc',
    '*res = kzalloc(sizeof(**res), GFP_KERNEL); if (!*res) return -ENOMEM;',
    '-ENOMEM',
    fault('resource.alloc'),
  ),

  // --- ttm_device.c ----------------------------------------------------------------------------------
  path(
    DEV,
    'ttm_device_init',
    'if (WARN_ON(vma_manager == NULL)) return -EINVAL;',
    '-EINVAL',
    state('no vma offset manager'),
  ),
  path(
    DEV,
    'ttm_device_init',
    'bdev->wq = alloc_workqueue("ttm", WQ_MEM_RECLAIM | WQ_HIGHPRI | WQ_UNBOUND, 16); if (!bdev->wq) { ttm_global_release(); return -ENOMEM; }',
    '-ENOMEM',
    unmodelled(
      'devices are initialised when a scenario builds its world, before the run and its fault plan start',
    ),
  ),
  path(
    DEV,
    'ttm_device_init',
    'ret = ttm_global_init(); if (ret) return ret;',
    '-ENOMEM',
    unmodelled('the globals are built with the world, before the run and its fault plan start'),
  ),
  path(
    DEV,
    'ttm_global_swapout',
    'lret = ttm_device_swapout(bdev, ctx, gfp_flags);',
    'swapout errors',
    callee('ttm_device_swapout'),
  ),
  path(
    DEV,
    'ttm_device_swapout',
    'lret = ttm_bo_swapout(bdev, ctx, man, gfp_flags, 1); if (lret) return lret;',
    'swapout errors',
    callee('ttm_bo_swapout_cb'),
  ),

  // --- the simulated driver's callbacks (src/kernel/simdrv.ts) ---------------------------------------
  path(
    AMDGPU,
    'ttm_device_funcs.move',
    'r = ttm_bo_wait_ctx(bo, ctx); if (r) return r; /* amdgpu_bo_move, TT → SYSTEM */',
    '-EBUSY, -ERESTARTSYS',
    fault('driver.move.wait'),
  ),
  path(
    AMDGPU,
    'ttm_device_funcs.move',
    'return -EMULTIHOP; /* amdgpu_bo_move, VRAM ↔ SYSTEM */',
    '-EMULTIHOP',
    state('a move between VRAM and SYSTEM (bounced through TT)'),
  ),
  path(
    XE,
    'ttm_device_funcs.move',
    'fence = xe_migrate_copy(...); if (IS_ERR(fence)) { ret = PTR_ERR(fence); ... goto out; }',
    '-ENOMEM',
    fault('driver.move.copy'),
  ),
  path(
    XE,
    'ttm_device_funcs.move',
    'ret = ttm_bo_move_accel_cleanup(...); if (ret) { dma_fence_wait(fence, false); ttm_bo_move_null(ttm_bo, new_mem); ret = 0; }',
    'handled: waits',
    callee('ttm_bo_move_accel_cleanup'),
  ),
  path(
    AMDGPU,
    'ttm_device_funcs.move',
    'r = ttm_bo_move_memcpy(bo, ctx, new_mem); if (r) return r;',
    'populate errors',
    callee('ttm_bo_move_memcpy'),
  ),
  path(
    AMDGPU,
    'ttm_device_funcs.ttm_tt_create',
    'gtt = kzalloc(sizeof(struct amdgpu_ttm_tt), GFP_KERNEL); if (!gtt) return NULL;',
    'NULL',
    fault('tt.create'),
  ),
  path(
    XE,
    'ttm_device_funcs.ttm_tt_create',
    'err = ttm_tt_setup_backup(&tt->ttm); if (err) { ttm_tt_fini(&tt->ttm); kfree(tt); return NULL; }',
    'NULL',
    callee('ttm_tt_setup_backup'),
  ),
  path(
    XE,
    'ttm_device_funcs.ttm_tt_populate',
    'err = ttm_tt_restore(ttm_dev, tt, ctx); ... err = ttm_pool_alloc(&ttm_dev->pool, tt, ctx);',
    'restore / allocation errors',
    callee('ttm_tt_restore'),
  ),
];

/** The functions that have an entry (what a `callee` reach may name). */
export function errorPathFunctions(): Set<string> {
  return new Set(ERROR_PATHS.map((p) => p.at.func));
}
