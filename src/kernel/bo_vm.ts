// ttm_bo_vm.c: CPU mappings of buffer objects and the page-fault handler that fills them. A fault
// trylocks the BO's reservation (waiting for the holder without the mmap lock and asking for a retry
// when it may), waits for pipelined moves (KERNEL fences), populates the tt and installs up to 16 PTEs
// itself (check-and-set: a PTE somebody else installed is left alone), then returns VM_FAULT_NOPAGE.
// Every move, swapout and shrink zaps the PTEs first (ttm_bo_unmap_virtual in bo.ts), under the resv
// the fault needs to install them, so a PTE never outlives the memory it points at.
// Simplified: a VMA (`CpuMapping`) is one mmap of one BO, addressed in BO pages (the kernel's
// page_offset: address-derived offset plus vm_pgoff minus the BO's mmap offset); no mmap_lock (its
// drop on the retry paths is implicit), no vm_ops override, no ttm_bo_vm_open (fork / VMA split). No
// io_mem_reserve: a resource of a manager without a tt (VRAM) is iomem and its PTEs point at the
// resource's start + offset in that manager's aperture. A fault on a BO with no resource dereferences
// NULL as the kernel does (ttm_mem_io_reserve reads bo->resource->bus.offset unchecked): a KernelOops
// (oops.ts), which the run reports as a crash naming the pointer. drm_dev_enter is the device's
// `unplugged` flag.
// Also ttm_bo_access / ttm_bo_vm_access (ptrace, devcoredump): access through the kernel mapping of a
// tt-backed BO; device memory needs the driver's access_memory hook, which the model has none of.

import { type BufferObject, ttmBoGet, ttmBoPopulate, ttmBoPut, ttmBoReserve, ttmBoUnreserve } from './bo.ts';
import {
  type Caching,
  PAGE_SHIFT,
  PAGE_SIZE,
  pfnUp,
  TTM_PL_SYSTEM,
  TTM_PL_TT,
  TTM_TT_FLAG_EXTERNAL,
  TTM_TT_FLAG_EXTERNAL_MAPPABLE,
} from './constants.ts';
import { currentPlace, readPage, writePage } from './content.ts';
import type { Device } from './device.ts';
import type { KGen } from './env.ts';
import { EAGAIN, EINTR, EINVAL, EIO, ENODATA, ENOMEM, ERESTARTSYS } from './errno.ts';
import { pteInsertOutcome } from './mm_memory.ts';
import { nullDeref } from './oops.ts';
import { operationCtx } from './placement.ts';
import { DmaResvUsage, dmaResvLock, dmaResvWaitTimeout } from './resv.ts';
import { checkBoAccessReturn } from './rules/bo_access.ts';
import { warnOn } from './rules/check.ts';
import { checkIomemFault, checkVmClosed } from './rules/placement.ts';
import { VM_ACCESS_KMAP_NOT_IOMEM, VM_RESERVE_RETURNS } from './rules/ttm_device.ts';

/** TTM_BO_VM_NUM_PREFAULT: PTEs a fault installs at most, from the faulting page on. */
export const TTM_BO_VM_NUM_PREFAULT = 16;

/** vm_fault_t values the TTM fault path returns (VM_FAULT_NOPAGE, _RETRY, _SIGBUS, _OOM). */
export type VmFault = 'NOPAGE' | 'RETRY' | 'SIGBUS' | 'OOM';

/** vmf->flags, the bits ttm_bo_vm.c looks at. */
export interface FaultFlags {
  /** FAULT_FLAG_ALLOW_RETRY and not FAULT_FLAG_TRIED: `fault_flag_allow_retry_first()`. */
  readonly allowRetry: boolean;
  /** FAULT_FLAG_RETRY_NOWAIT: may ask for a retry but must not sleep first. */
  readonly retryNowait: boolean;
  /**
   * FAULT_FLAG_INTERRUPTIBLE. Kept for the core mm's sake; ttm_bo_vm.c does not read it: its resv lock,
   * fence wait and populate are interruptible whatever the flag says.
   */
  readonly interruptible: boolean;
}

/** What a PTE maps: a page of the BO's tt, a page of a memory type's aperture, or the dummy page. */
export type PteKind = 'page' | 'iomem' | 'dummy';

/** One page table entry of a VMA (the pfn and the caching bits of its pgprot). */
export interface Pte {
  readonly kind: PteKind;
  /** Page frame number ('page', 'dummy') or page index in the memory type's aperture ('iomem'). */
  readonly pfn: number;
  /** Memory type of the BO's resource when the PTE was made; null for the dummy page. */
  readonly memType: number | null;
  readonly caching: Caching;
}

/** A PTE change of a VMA: installed, found present (left alone), or zapped. */
export interface PteEvent {
  readonly op: 'install' | 'present' | 'zap';
  readonly page: number;
  /** The task that did it (`current`). */
  readonly task: string;
}

/** How a BO is mmapped: the vm_flags that matter and the range of BO pages the VMA covers. */
export interface MmapArgs {
  /** VM_SHARED (MAP_SHARED). Default true. */
  readonly shared?: boolean;
  /** VM_MAYWRITE (the file is open for writing). Default true. */
  readonly mayWrite?: boolean;
  /** First BO page the VMA maps (vm_pgoff relative to the BO's mmap offset). Default 0. */
  readonly pgoff?: number;
  /** vma_pages(vma). Default: the BO's size in pages. Not checked against the BO (drm_gem_mmap does). */
  readonly numPages?: number;
}

/** A VMA of one mmap of a BO by one process, with its page table: BO page offset → PTE. */
export class CpuMapping {
  readonly ptes = new Map<number, Pte>();
  readonly log: PteEvent[] = [];
  /** Set by ttm_bo_vm_close; a closed VMA takes no faults. */
  closed = false;
  /** Fault injection: inserts at these BO pages fail with VM_FAULT_OOM (page table allocation). */
  readonly failInsertPages = new Set<number>();
  /** BO pages whose PTE was zapped and not faulted in since: a fault there is a refault (counted). */
  readonly zapped = new Set<number>();

  constructor(
    readonly id: string,
    readonly bo: BufferObject,
    /** First BO page mapped. */
    readonly pgoff: number,
    readonly numPages: number,
  ) {}

  /** One past the last BO page mapped (the fault path's page_last). */
  get pageLast(): number {
    return this.pgoff + this.numPages;
  }

  /** unmap_mapping_range over this VMA: drop every PTE. Returns the number of PTEs zapped. */
  zap(): number {
    const n = this.ptes.size;
    if (n === 0) return 0;
    const task = this.bo.bdev.env.current();
    for (const page of [...this.ptes.keys()].sort((a, b) => a - b)) {
      this.log.push({ op: 'zap', page, task });
      this.zapped.add(page);
    }
    this.ptes.clear();
    return n;
  }
}

/** is_cow_mapping: private and writable. */
function isCowMapping(shared: boolean, mayWrite: boolean): boolean {
  return !shared && mayWrite;
}

/**
 * ttm_bo_mmap_obj: set up a VMA over `bo`. The VMA owns a BO reference (dropped by ttm_bo_vm_close) and
 * joins the BO's and the device address space's mappings, so ttm_bo_unmap_virtual and drm_dev_unplug
 * zap it. Returns the mapping, or -EINVAL for a copy-on-write (private, writable) mapping.
 */
export function ttmBoMmapObj(bo: BufferObject, args: MmapArgs = {}): CpuMapping | number {
  if (isCowMapping(args.shared ?? true, args.mayWrite ?? true)) return -EINVAL;
  ttmBoGet(bo);
  const bdev = bo.bdev;
  const vma = new CpuMapping(
    `vma:${bdev.env.nextId('vma')}`,
    bo,
    args.pgoff ?? 0,
    args.numPages ?? pfnUp(bo.size) - (args.pgoff ?? 0),
  );
  bo.mappings.add(vma);
  bdev.vmas.add(vma);
  return vma;
}

/**
 * ttm_bo_vm_close, after what munmap does first: zap the VMA's PTEs and unlink it from the BO's and the
 * device's mappings; then drop the VMA's BO reference (which may release the BO).
 */
export function* ttmBoVmClose(vma: CpuMapping): KGen<void> {
  if (vma.closed) throw new Error(`ttm_bo_vm_close: ${vma.id} closed twice`);
  vma.zap();
  vma.closed = true;
  vma.bo.mappings.delete(vma);
  vma.bo.bdev.vmas.delete(vma);
  checkVmClosed(vma);
  yield* ttmBoPut(vma.bo);
}

/**
 * Read-side critical sections of drm_unplug_srcu per device: faults between drm_dev_enter and
 * drm_dev_exit. Kept beside the device rather than in it: only the fault path and the unplug use it.
 */
const unplugReaders = new WeakMap<Device, number>();

/** Virtual milliseconds between two looks at the readers while synchronize_srcu waits for them. */
const SRCU_POLL_MS = 1;

/** drm_dev_enter: false once the device is unplugged, else a read-side section begins. */
function drmDevEnter(bdev: Device): boolean {
  if (bdev.unplugged) return false;
  unplugReaders.set(bdev, (unplugReaders.get(bdev) ?? 0) + 1);
  return true;
}

/** drm_dev_exit: the read-side section ends. */
function drmDevExit(bdev: Device): void {
  unplugReaders.set(bdev, (unplugReaders.get(bdev) ?? 1) - 1);
}

/**
 * drm_dev_unplug: the device is gone. drm_dev_enter fails from now on (later faults map the dummy page);
 * synchronize_srcu waits for the faults already inside drm_dev_enter, so that none installs a PTE after
 * the next step; then every user mapping of the device is zapped (unmap_mapping_range over the whole
 * device address space: "Clear all CPU mappings pointing to this device").
 */
export function* drmDevUnplug(bdev: Device): KGen<void> {
  bdev.unplugged = true;
  while ((unplugReaders.get(bdev) ?? 0) > 0) yield { kind: 'sleep', ms: SRCU_POLL_MS };
  for (const vma of bdev.vmas) vma.zap();
}

/**
 * The dummy pages ttm_bo_vm_dummy_page allocated for each device: drm-managed
 * ("drmm_add_action_or_reset(ddev, ttm_bo_release_dummy_page, page)"), freed when the drm device is
 * released. Kept beside the device rather than in it: only unplugged devices have any.
 */
const dummyPages = new WeakMap<Device, number[]>();

/** drm_dev_release's managed actions: free the device's dummy pages (ttm_bo_release_dummy_page). */
export function drmDevRelease(bdev: Device): void {
  const ram = bdev.global?.ram ?? null;
  const pages = dummyPages.get(bdev) ?? [];
  dummyPages.delete(bdev);
  if (ram !== null) for (const pfn of pages) ram.freeBlock(pfn);
}

/** PTRS_PER_PTE: pages one page-table page maps (x86-64, 4 KiB pages: a 2 MiB region). */
const PTRS_PER_PTE = 512;

/**
 * The regions of each VMA that have a page-table page (region = page / PTRS_PER_PTE; the model puts a
 * VMA's page p at the p-th page of a 2 MiB-aligned range). Kept beside the VMA, as unplugReaders is;
 * zapping PTEs leaves page tables in place, as zap_page_range_single does.
 */
const pageTables = new WeakMap<CpuMapping, Set<number>>();

/**
 * Whether inserting at `page` must first allocate the page table of its region: the only place
 * vmf_insert_pfn_prot can fail with VM_FAULT_OOM (__pte_alloc under get_locked_pte), and so where the
 * 'vm.insert_pfn' fault site is asked. A fired fault leaves the region without a table.
 */
function pageTableAllocFails(vma: CpuMapping, page: number): boolean {
  const region = Math.floor(page / PTRS_PER_PTE);
  let tables = pageTables.get(vma);
  if (tables?.has(region)) return false;
  if (vma.bo.bdev.global?.injectFault('vm.insert_pfn', vma.bo.id)) return true;
  if (tables === undefined) {
    tables = new Set();
    pageTables.set(vma, tables);
  }
  tables.add(region);
  return false;
}

/**
 * vmf_insert_pfn_prot: install `pte` at BO page `page` unless a PTE is there already, which is left as it
 * is (another thread won the race). Returns NOPAGE in both cases, SIGBUS for a page outside the VMA,
 * OOM when the page table cannot be allocated (the 'vm.insert_pfn' fault site at the first PTE of a
 * 2 MiB region, or `failInsertPages`).
 */
export function vmfInsertPfnProt(vma: CpuMapping, page: number, pte: Pte): VmFault {
  if (page < vma.pgoff || page >= vma.pageLast) return 'SIGBUS';
  if (vma.failInsertPages.has(page) || pageTableAllocFails(vma, page)) return 'OOM';
  const task = vma.bo.bdev.env.current();
  if (pteInsertOutcome(vma.ptes.has(page)) === 'present') {
    vma.log.push({ op: 'present', page, task });
    return 'NOPAGE';
  }
  vma.ptes.set(page, pte);
  vma.log.push({ op: 'install', page, task });
  return 'NOPAGE';
}

/**
 * ttm_bo_vm_reserve: lock the BO's resv for a fault. Returns null with the resv held, or (resv not held):
 * RETRY on contention when a retry is allowed (after sleeping until the holder is done, holding a BO
 * reference meanwhile, unless RETRY_NOWAIT), NOPAGE when a non-retryable blocking lock is interrupted,
 * SIGBUS for an imported (EXTERNAL) tt that is not EXTERNAL_MAPPABLE.
 */
export function* ttmBoVmReserve(bo: BufferObject, flags: FaultFlags): KGen<VmFault | null> {
  const ret = yield* vmReserve(bo, flags);
  const holder = bo.resv.lock.holder;
  const mine = holder !== null && holder.task === bo.bdev.env.current();
  // 0 leaves the BO reserved by the caller; every vm_fault_t return leaves it unreserved (by this caller).
  const broken = ret === null ? !mine : ret === 'OOM' || mine;
  warnOn(
    bo.bdev.global,
    VM_RESERVE_RETURNS,
    broken,
    bo.id,
    broken
      ? ret === null
        ? 'returned 0 without the BO reserved'
        : `returned VM_FAULT_${ret}${mine ? ' with the BO still reserved' : ''}`
      : '',
  );
  return ret;
}

function* vmReserve(bo: BufferObject, flags: FaultFlags): KGen<VmFault | null> {
  const resv = bo.resv;
  if (!resv.trylock(bo.bdev.env.current())) {
    if (flags.allowRetry) {
      if (!flags.retryNowait) {
        ttmBoGet(bo);
        const ret = yield* dmaResvLock(resv, null, true);
        if (ret === 0) resv.unlock();
        yield* ttmBoPut(bo);
      }
      return 'RETRY';
    }
    const ret = yield* dmaResvLock(resv, null, true);
    if (ret !== 0) return 'NOPAGE';
  }
  const tt = bo.ttm;
  if (tt !== null && tt.pageFlags & TTM_TT_FLAG_EXTERNAL && !(tt.pageFlags & TTM_TT_FLAG_EXTERNAL_MAPPABLE)) {
    resv.unlock();
    return 'SIGBUS';
  }
  return null;
}

/**
 * ttm_bo_vm_fault_idle (resv held): null when no KERNEL fence (pipelined move or clear) is pending.
 * Otherwise, on a first retryable attempt: RETRY at once with RETRY_NOWAIT (resv still held), else wait
 * for the fences, unlock the resv and RETRY. Otherwise an interruptible wait: null when idle, NOPAGE on
 * a signal (-ERESTARTSYS), SIGBUS on any other error.
 */
export function* ttmBoVmFaultIdle(bo: BufferObject, flags: FaultFlags): KGen<VmFault | null> {
  if (bo.resv.testSignaled(DmaResvUsage.KERNEL)) return null;
  if (flags.allowRetry) {
    if (flags.retryNowait) return 'RETRY';
    ttmBoGet(bo);
    yield* dmaResvWaitTimeout(bo.resv, DmaResvUsage.KERNEL, true, null);
    bo.resv.unlock();
    yield* ttmBoPut(bo);
    return 'RETRY';
  }
  const err = yield* dmaResvWaitTimeout(bo.resv, DmaResvUsage.KERNEL, true, null);
  if (err < 0) return err === -ERESTARTSYS ? 'NOPAGE' : 'SIGBUS';
  return null;
}

/**
 * Mutation: the fault handler populates the tt non-interruptibly and turns every populate error into
 * VM_FAULT_OOM (the OOM killer runs, a signal cannot end a long swap-in) — before "drm/ttm: Make the call
 * to ttm_tt_populate() interruptible when faulting" (e44f18c6ff8b, 2023).
 */
export const MUTATION_FAULT_POPULATE_OOM = 'fault-populate-oom';

/**
 * ttm_bo_vm_fault_reserved (resv held): wait for pipelined moves, then install up to `numPrefault` PTEs
 * from BO page `pageOffset` on, stopping at the VMA's end. SYSTEM/TT pages come from the populated tt
 * (a missing page is OOM for the faulting page and ends the prefault later on); iomem PTEs point at the
 * resource in its aperture. Returns NOPAGE (installed, or present already, or the first insert failed,
 * or populate was interrupted: -EINTR/-ERESTARTSYS/-EAGAIN), RETRY (from the idle wait), SIGBUS (offset
 * beyond the BO, other populate errors, failed idle wait), OOM (NULL faulting page), or the error of a
 * failed prefault insert after the first page. A BO without a resource is a NULL dereference (an oops).
 */
export function* ttmBoVmFaultReserved(
  vma: CpuMapping,
  pageOffset: number,
  flags: FaultFlags,
  numPrefault: number,
): KGen<VmFault> {
  const populated = vma.bo.ttm?.isPopulated() ?? false;
  const ret = yield* faultReserved(vma, pageOffset, flags, numPrefault);
  checkIomemFault(vma.bo, populated);
  return ret;
}

function* faultReserved(
  vma: CpuMapping,
  pageOffset: number,
  flags: FaultFlags,
  numPrefault: number,
): KGen<VmFault> {
  const bo = vma.bo;
  const idle = yield* ttmBoVmFaultIdle(bo, flags);
  if (idle !== null) return idle;
  const res = bo.resource;
  // "err = ttm_mem_io_reserve(bdev, bo->resource);": its first line reads mem->bus.offset, with no
  // NULL check (ttm_mem_io_free has one; ttm_mem_io_reserve never got it).
  if (res === null) {
    nullDeref('bo->resource', 'ttm_bo_vm_fault_reserved', bo.id, 'ttm_mem_io_reserve(bdev, bo->resource)');
  }
  if (pageOffset >= pfnUp(bo.size)) return 'SIGBUS';
  const man = bo.bdev.manager(res.memType);
  if (man === null) throw new Error(`ttm_bo_vm_fault: no manager for memory type ${res.memType}`);
  const iomem = !man.useTt;
  // ttm_io_prot: the tt's caching for tt-backed memory, the bus caching for iomem.
  const caching: Caching = iomem ? res.bus.caching : (bo.ttm?.caching ?? 'cached');
  if (!iomem) {
    const legacy = bo.bdev.global?.mutations.has(MUTATION_FAULT_POPULATE_OOM) ?? false;
    const err = yield* ttmBoPopulate(bo, operationCtx({ interruptible: !legacy, forceAlloc: true }));
    if (err !== 0 && legacy) return 'OOM';
    if (err !== 0) return err === -EINTR || err === -ERESTARTSYS || err === -EAGAIN ? 'NOPAGE' : 'SIGBUS';
  }
  yield { kind: 'yield', label: 'vm.insert_pfn' };
  let ret: VmFault = 'NOPAGE';
  let page = pageOffset;
  for (let i = 0; i < numPrefault; i += 1) {
    let pte: Pte;
    if (iomem) {
      pte = { kind: 'iomem', pfn: res.start + page, memType: res.memType, caching };
    } else {
      const entry = bo.ttm?.pages?.[page] ?? null;
      const pfn = typeof entry === 'number' ? entry : null;
      if (pfn === null && i === 0) return 'OOM';
      if (pfn === null) break;
      pte = { kind: 'page', pfn, memType: res.memType, caching };
    }
    ret = vmfInsertPfnProt(vma, page, pte);
    // "Never error on prefaulted PTEs": the first page's error becomes a refault; a later one ends the
    // loop, and (as in the kernel's code) its error is what the fault returns.
    if (ret !== 'NOPAGE') {
      if (i === 0) return 'NOPAGE';
      break;
    }
    page += 1;
    if (page >= vma.pageLast) break;
  }
  return ret;
}

/**
 * ttm_bo_vm_dummy_page (resv held): map one freshly allocated zeroed page over the whole VMA (each
 * insert check-and-set). Returns NOPAGE, or OOM when no page can be allocated. The page is freed when
 * the drm device is released (drmDevRelease).
 */
export function ttmBoVmDummyPage(vma: CpuMapping): VmFault {
  const global = vma.bo.bdev.global;
  const ram = global?.ram ?? null;
  // alloc_page(GFP_KERNEL | __GFP_ZERO) returning NULL: the 'vm.dummy_page' fault site.
  const injected = global?.injectFault('vm.dummy_page', vma.bo.id) ?? false;
  const pfn = ram === null || injected ? -ENOMEM : ram.allocPages(0);
  if (ram === null || pfn < 0) return 'OOM';
  ram.clear(pfn);
  const bdev = vma.bo.bdev;
  const held = dummyPages.get(bdev);
  if (held === undefined) dummyPages.set(bdev, [pfn]);
  else held.push(pfn);
  let ret: VmFault = 'NOPAGE';
  for (let page = vma.pgoff; page < vma.pageLast; page += 1) {
    ret = vmfInsertPfnProt(vma, page, { kind: 'dummy', pfn, memType: null, caching: 'cached' });
  }
  return ret;
}

/**
 * ttm_bo_vm_fault: the fault handler for BO page `pageOffset` of `vma`. Reserve (trylock, retry or
 * blocking lock); an unplugged device (drm_dev_enter fails) gets the dummy page over the whole VMA;
 * otherwise ttm_bo_vm_fault_reserved with 16 prefaulted PTEs, between drm_dev_enter and drm_dev_exit.
 * The resv is unlocked on return except after a RETRY that already dropped it. Returns NOPAGE (PTEs
 * installed, or refault after a signal), RETRY (core mm retries the fault without
 * FAULT_FLAG_ALLOW_RETRY-first), SIGBUS or OOM, as §1.9 of the reference says.
 * Throws for a closed VMA or a page outside it (the core mm never calls the handler there).
 */
export function* ttmBoVmFault(vma: CpuMapping, pageOffset: number, flags: FaultFlags): KGen<VmFault> {
  if (vma.closed) throw new Error(`ttm_bo_vm_fault: fault on closed ${vma.id}`);
  if (pageOffset < vma.pgoff || pageOffset >= vma.pageLast) {
    throw new Error(`ttm_bo_vm_fault: page ${pageOffset} outside ${vma.id} (core mm would SIGSEGV)`);
  }
  const bo = vma.bo;
  const counters = bo.bdev.global?.counters;
  if (counters !== undefined) {
    counters.cpuFaults += 1;
    if (vma.zapped.delete(pageOffset)) counters.refaults += 1;
  }
  yield { kind: 'yield', label: 'vm.fault' };
  const reserved = yield* ttmBoVmReserve(bo, flags);
  if (reserved !== null) return reserved;
  bo.bdev.global?.cpuAccessHook?.(bo, 'fault');
  let ret: VmFault;
  if (drmDevEnter(bo.bdev)) {
    ret = yield* ttmBoVmFaultReserved(vma, pageOffset, flags, TTM_BO_VM_NUM_PREFAULT);
    drmDevExit(bo.bdev);
  } else {
    ret = ttmBoVmDummyPage(vma);
  }
  if (ret === 'RETRY' && !flags.retryNowait) return ret;
  bo.resv.unlock();
  return ret;
}

/**
 * Mutation: ttm_bo_access uses bo->resource without checking it, so accessing a BO whose backing store
 * is gone (evicted to nothing, gutted) dereferences NULL — before "drm/ttm: Avoid NULL pointer deref for
 * evicted BOs" (491adc6a0f99, 2025).
 */
export const MUTATION_ACCESS_NO_RESOURCE_CHECK = 'access-no-resource-check';

/**
 * ttm_bo_vm_access_kmap: page by page through a kernel mapping of the tt (ttm_bo_kmap populates it,
 * non-interruptibly). Reads fill `buf` with the content word of each page the range touches; writes
 * store `buf`'s words there. Returns `len` or the populate error.
 */
function* ttmBoVmAccessKmap(
  bo: BufferObject,
  offset: number,
  len: number,
  write: boolean,
  buf: number[],
): KGen<number> {
  const ret = yield* ttmBoPopulate(bo, operationCtx());
  if (ret !== 0) return ret;
  const res = bo.resource;
  const iomem = res !== null && !(bo.bdev.manager(res.memType)?.useTt ?? false);
  warnOn(bo.bdev.global, VM_ACCESS_KMAP_NOT_IOMEM, iomem, bo.id, '');
  const where = currentPlace(bo)!;
  const first = offset >> PAGE_SHIFT;
  const last = (offset + len - 1) >> PAGE_SHIFT;
  for (let page = first; page <= last; page += 1) {
    if (write) writePage(bo, where, page, buf[page - first] ?? 0);
    else buf.push(readPage(bo, where, page) ?? 0);
  }
  return len;
}

/** The kmap access path, told to a design that checks CPU access first (two-step: DYNAMIC forbids it). */
function* accessKmapChecked(
  bo: BufferObject,
  offset: number,
  len: number,
  write: boolean,
  buf: number[],
): KGen<number> {
  bo.bdev.global?.cpuAccessHook?.(bo, 'access');
  return yield* ttmBoVmAccessKmap(bo, offset, len, write, buf);
}

/**
 * ttm_bo_access: access `len` bytes at byte `offset` of `bo` for ptrace or a devcoredump. Takes the
 * resv (interruptible). Returns `len`, -EIO (range outside the BO, or memory without tts: no driver
 * access_memory hook in the model), -ENODATA (the BO has no resource), -ERESTARTSYS, or a populate error.
 */
export function* ttmBoAccess(
  bo: BufferObject,
  offset: number,
  len: number,
  write: boolean,
  buf: number[],
): KGen<number> {
  return checkBoAccessReturn(bo, offset, len, yield* boAccess(bo, offset, len, write, buf));
}

/** The body of ttm_bo_access. */
function* boAccess(
  bo: BufferObject,
  offset: number,
  len: number,
  write: boolean,
  buf: number[],
): KGen<number> {
  if (len < 1 || offset + len > bo.size) return -EIO;
  const ret = yield* ttmBoReserve(bo, true, false, null);
  if (ret !== 0) return ret;
  let r: number;
  if (bo.resource === null && !bo.bdev.global?.mutations.has(MUTATION_ACCESS_NO_RESOURCE_CHECK)) {
    r = -ENODATA;
  } else {
    // With the mutation this reads bo->resource->mem_type of a BO that has none: a NULL dereference.
    const memType = (bo.resource as NonNullable<BufferObject['resource']>).memType;
    r =
      memType === TTM_PL_SYSTEM || memType === TTM_PL_TT
        ? yield* accessKmapChecked(bo, offset, len, write, buf)
        : -EIO;
  }
  ttmBoUnreserve(bo);
  return r;
}

/** ttm_bo_vm_access: access through a VMA; `addr` is the byte offset from the VMA's start. */
export function* ttmBoVmAccess(
  vma: CpuMapping,
  addr: number,
  len: number,
  write: boolean,
  buf: number[],
): KGen<number> {
  return yield* ttmBoAccess(vma.bo, addr + vma.pgoff * PAGE_SIZE, len, write, buf);
}
