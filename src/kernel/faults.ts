// Fault sites: the places where the kernel model asks its environment whether an operation should fail
// the way it can fail in the kernel (an allocation returning NULL, a DMA map error, a signal arriving
// during an interruptible wait). The environment answers from a fault plan chosen for the run
// (src/explore/faults.ts); with no plan every answer is "no", so the model behaves as it does without
// fault injection. Every site evaluation counts, fired or not: the plan names evaluations by number.

/** The kinds of fault the model can take, each at the sites listed. */
export const FAULT_SITES = [
  /** A page allocation in the pool returns no page (alloc_pages fails: -ENOMEM). */
  'page.alloc',
  /** A resource manager's `alloc` fails to allocate its bookkeeping (kzalloc: -ENOMEM). */
  'resource.alloc',
  /** dma_map_page through the IOMMU fails (-ENOMEM from the IOVA allocator). */
  'iommu.map',
  /** Writing a page to the shmem backup fails (-ENOMEM / -ENOSPC from the swap layer). */
  'backup.write',
  /** A restore from backup is interrupted before it completes (-EINTR on a pending signal). */
  'restore.interrupt',
  /** A signal reaches a task as it enters an interruptible wait (-ERESTARTSYS / -EINTR). */
  'signal.wait',
  /** A fence wait with a timeout times out (returns 0) instead of waiting for the fence. */
  'fence.timeout',
] as const;

export type FaultSite = (typeof FAULT_SITES)[number];

/** Answers "should this evaluation of `site` fail?"; called once per evaluation. */
export type FaultHook = (site: FaultSite, where: string) => boolean;
