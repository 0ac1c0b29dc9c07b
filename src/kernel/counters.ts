// What a world did, counted where the kernel does it: the numbers `ttm-sim compare` sets side by side
// (bytes moved and evictions from ttm_bo_handle_move_mem, CPU faults and refaults from ttm_bo_vm_fault,
// pages backed up and restored from ttm_pool_backup / swapout and their restore paths, sync-for-cpu
// calls and DMA evictions of the designs that make them). IOMMU map failures and TLB shootdowns are
// counted by the Iommu and the Ram themselves. Counting never changes a run: nothing here is traced.

export class WorldCounters {
  /** ctx->bytes_moved summed over every move (evictions included). */
  bytesMoved = 0;
  /** Moves made as evictions (ttm_bo_evict and the designs' DMA evictions). */
  evictions = 0;
  /** CPU page faults taken by ttm_bo_vm_fault. */
  cpuFaults = 0;
  /** Faults on a page whose PTE was zapped (a move, swapout or DMA bind killed the mapping). */
  refaults = 0;
  /** dma_sync_*_for_cpu calls (two-step: a refault after a DYNAMIC BO was unbound). */
  syncForCpu = 0;
  /** Pages written to backup or swap (per-page backup, whole-tt swapout). */
  pagesBackedUp = 0;
  /** Pages read back from backup or swap. */
  pagesRestored = 0;
  /** BOs unbound from a DMA type to make room (two-step, shared-iommu designs). */
  dmaEvictions = 0;
}

/** The counters of several worlds (plus their IOMMUs and RAM) added up, as plain numbers. */
export interface CounterTotals {
  readonly bytesMoved: number;
  readonly evictions: number;
  readonly iommuMapFailures: number;
  readonly cpuFaults: number;
  readonly refaults: number;
  readonly syncForCpu: number;
  readonly tlbShootdowns: number;
  readonly pagesBackedUp: number;
  readonly pagesRestored: number;
  readonly dmaEvictions: number;
}

export const COUNTER_KEYS: readonly (keyof CounterTotals)[] = [
  'bytesMoved',
  'evictions',
  'iommuMapFailures',
  'cpuFaults',
  'refaults',
  'syncForCpu',
  'tlbShootdowns',
  'pagesBackedUp',
  'pagesRestored',
  'dmaEvictions',
];
