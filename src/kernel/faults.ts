// Fault sites: the places where the kernel model asks its environment whether an operation should fail
// the way it can fail in the kernel (an allocation returning NULL, a DMA map error, a signal arriving
// during an interruptible wait). The environment answers from a fault plan chosen for the run
// (src/sim/fault_plan.ts, drawn by src/explore/faults.ts); with no plan every answer is "no", so the
// model behaves as it does without fault injection. Every site evaluation counts, fired or not: the plan
// names evaluations by number.
// Which upstream error return each site stands for is listed in src/kernel/error_paths.ts.

/** The kinds of fault the model can take, each at the sites listed in FAULT_SITE_INFO. */
export const FAULT_SITES = [
  'page.alloc',
  'resource.alloc',
  'iommu.map',
  'backup.write',
  'restore.interrupt',
  'signal.wait',
  'fence.timeout',
  'driver.move.wait',
  'driver.move.copy',
  'tt.create',
  'resv.reserve',
  'resv.copy',
  'ghost.alloc',
  'shmem.create',
  'swapout.write',
  'swapin.read',
  'restore.alloc',
  'backup.read',
  'vm.dummy_page',
  'vm.insert_pfn',
] as const;

export type FaultSite = (typeof FAULT_SITES)[number];

/** Answers "should this evaluation of `site` fail?"; called once per evaluation. */
export type FaultHook = (site: FaultSite, where: string) => boolean;

/** Whatever can be asked about a fault site (the world: TtmGlobal.injectFault). */
export interface FaultSource {
  injectFault(site: FaultSite, where: string): boolean;
}

/** What a fault site stands for: the failing operation, the error the kernel sees, where it is asked. */
export interface FaultSiteInfo {
  /** The operation that fails, in kernel terms. */
  readonly fails: string;
  /** The error the failing operation returns, as the kernel spells it (several: chosen by context). */
  readonly errno: string;
  /** The upstream functions whose error path a fired fault takes (where the model evaluates the site). */
  readonly upstream: readonly string[];
  /** Evaluated by the kernel model (src/kernel) or by the task running a wait (src/sim/task.ts). */
  readonly evaluatedIn: 'kernel' | 'task';
}

export const FAULT_SITE_INFO: { readonly [S in FaultSite]: FaultSiteInfo } = {
  'page.alloc': {
    fails: 'alloc_pages / dma_alloc_attrs returns no page, or set_pages_array_wc/uc fails',
    errno: '-ENOMEM',
    upstream: ['ttm_pool_alloc_page', '__ttm_pool_alloc', 'ttm_pool_apply_caching'],
    evaluatedIn: 'kernel',
  },
  'resource.alloc': {
    fails: "a resource manager's kzalloc of its resource (ttm_sys_man_alloc, ttm_range_man_alloc)",
    errno: '-ENOMEM',
    upstream: ['ttm_resource_alloc'],
    evaluatedIn: 'kernel',
  },
  'iommu.map': {
    fails: 'dma_map_page through the IOMMU (IOVA space allocation)',
    errno: '-EFAULT',
    upstream: ['ttm_pool_map', 'ttm_pool_page_allocated'],
    evaluatedIn: 'kernel',
  },
  'backup.write': {
    fails: 'writing one page to the shmem backup file (shmem_read_folio_gfp)',
    errno: '-ENOMEM',
    upstream: ['ttm_backup_backup_page', 'ttm_pool_backup'],
    evaluatedIn: 'kernel',
  },
  'restore.interrupt': {
    fails: 'an interruptible read of a backed-up page finds a signal pending',
    errno: '-EINTR',
    upstream: ['ttm_backup_copy_page', 'ttm_pool_restore_commit'],
    evaluatedIn: 'kernel',
  },
  'signal.wait': {
    fails: 'a signal reaches a task as it sleeps interruptibly on a ww_mutex or on fences',
    errno: '-EINTR (lock), -ERESTARTSYS (fence wait)',
    upstream: ['dma_resv_lock_interruptible', 'dma_resv_wait_timeout', 'dma_fence_wait'],
    evaluatedIn: 'task',
  },
  'fence.timeout': {
    fails: 'a fence wait with a timeout expires before the fences signal',
    errno: '0 from dma_resv_wait_timeout (-EBUSY from ttm_bo_wait_ctx)',
    upstream: ['dma_resv_wait_timeout', 'ttm_bo_wait_ctx', 'ttm_bo_wait_free_node'],
    evaluatedIn: 'task',
  },
  'driver.move.wait': {
    fails: "the driver's wait for a busy BO to idle in its move callback, before unbinding TT → SYSTEM",
    errno: '-EBUSY (no_wait_gpu, or the wait timed out), -ERESTARTSYS (signal, interruptible ctx)',
    upstream: ['ttm_device_funcs.move (amdgpu_bo_move: ttm_bo_wait_ctx)', 'ttm_bo_handle_move_mem'],
    evaluatedIn: 'kernel',
  },
  'driver.move.copy': {
    fails: 'the driver cannot set up its GPU copy in its move callback (copy job or fence allocation)',
    errno: '-ENOMEM',
    upstream: ['ttm_device_funcs.move (amdgpu_move_blit, xe_migrate_copy)', 'ttm_bo_handle_move_mem'],
    evaluatedIn: 'kernel',
  },
  'tt.create': {
    fails: "the driver's ttm_tt_create callback returns NULL (kzalloc of its tt, or ttm_sg_tt_init)",
    errno: '-ENOMEM',
    upstream: ['ttm_tt_create'],
    evaluatedIn: 'kernel',
  },
  'resv.reserve': {
    fails: 'dma_resv_reserve_fences cannot grow the fence list',
    errno: '-ENOMEM',
    upstream: [
      'ttm_bo_alloc_resource',
      'ttm_bo_add_move_fence',
      'ttm_bo_handle_move_mem',
      'ttm_buffer_object_transfer',
    ],
    evaluatedIn: 'kernel',
  },
  'resv.copy': {
    fails: 'dma_resv_copy_fences cannot allocate the copied fence list',
    errno: '-ENOMEM',
    upstream: ['ttm_bo_individualize_resv', 'ttm_bo_pipeline_gutting'],
    evaluatedIn: 'kernel',
  },
  'ghost.alloc': {
    fails: 'kmalloc of the ghost object (struct ttm_transfer_obj)',
    errno: '-ENOMEM',
    upstream: ['ttm_buffer_object_transfer'],
    evaluatedIn: 'kernel',
  },
  'shmem.create': {
    fails: 'shmem_file_setup of a swap or backup file',
    errno: '-ENOMEM',
    upstream: ['ttm_tt_swapout', 'ttm_backup_shmem_create', 'ttm_tt_setup_backup'],
    evaluatedIn: 'kernel',
  },
  'swapout.write': {
    fails: 'shmem_read_mapping_page_gfp of a swap file page while swapping a tt out',
    errno: '-ENOMEM',
    upstream: ['ttm_tt_swapout'],
    evaluatedIn: 'kernel',
  },
  'swapin.read': {
    fails: 'shmem_read_mapping_page_gfp of a swap file page while swapping a tt in',
    errno: '-ENOMEM',
    upstream: ['ttm_tt_swapin', 'ttm_tt_populate'],
    evaluatedIn: 'kernel',
  },
  'restore.alloc': {
    fails: 'kzalloc of the restore state (struct ttm_pool_tt_restore)',
    errno: '-ENOMEM',
    upstream: ['ttm_pool_restore_and_alloc'],
    evaluatedIn: 'kernel',
  },
  'backup.read': {
    fails: 'shmem_read_folio_gfp of a backed-up page',
    errno: '-ENOMEM',
    upstream: ['ttm_backup_copy_page', 'ttm_pool_restore_commit'],
    evaluatedIn: 'kernel',
  },
  'vm.dummy_page': {
    fails: 'alloc_page of the dummy page mapped over an unplugged device',
    errno: 'VM_FAULT_OOM',
    upstream: ['ttm_bo_vm_dummy_page'],
    evaluatedIn: 'kernel',
  },
  'vm.insert_pfn': {
    fails: "vmf_insert_pfn_prot cannot allocate the page table of a PTE's 2 MiB region (its first PTE)",
    errno: 'VM_FAULT_OOM',
    upstream: ['ttm_bo_vm_fault_reserved', 'ttm_bo_vm_dummy_page'],
    evaluatedIn: 'kernel',
  },
};
