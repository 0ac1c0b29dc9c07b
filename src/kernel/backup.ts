// ttm_backup.c, with the shmem files and swap space underneath it: a ttm_tt's pages can be backed up one
// by one into a shmem file (ttm_backup_backup_page → a handle = page index + 1, 0 being invalid like a
// swp_entry_t), copied back (ttm_backup_copy_page) and dropped (ttm_backup_drop = truncate that page).
// The legacy whole-tt swapout (ttm_tt_swapout's swap_storage) uses the same files.
// Simplified: a shmem page goes straight to a slot of one finite swap space per world (no page cache in
// RAM, no writeback I/O: `writeback` is only counted); a full swap space makes backup_page fail with
// -ENOSPC; other failures are injected: -ENOMEM (or any errno) for writes and reads, -EINTR for
// interruptible reads (a signal after n reads), -ENOMEM for file creation. Reading a hole returns a zero page, as shmem does.
// Dropping a page that is not there, or using a released file, is a simulator bug and throws.

import { PAGE_SHIFT } from './constants.ts';
import { EINTR, EINVAL, ENOMEM, ENOSPC } from './errno.ts';
import type { Ram } from './ram.ts';
import { lockupSpins, softLockupSpin } from './rules/soft_lockup.ts';

/** Swap space of a world unless told otherwise: as large as the default RAM (64 MiB). */
export const DEFAULT_SWAP_PAGES = 16384;

/**
 * A backup handle stored in a ttm_tt page slot instead of a page (ttm_backup_handle_to_page_ptr: the
 * kernel encodes it as an odd pointer). Handle 0 marks an entry already restored.
 */
export class BackupHandle {
  constructor(readonly handle: number) {}
}

/** ttm_backup_handle_to_page_ptr. */
export function ttmBackupHandleToPagePtr(handle: number): BackupHandle {
  return new BackupHandle(handle);
}

/** ttm_backup_page_ptr_is_handle. */
export function ttmBackupPagePtrIsHandle(p: unknown): p is BackupHandle {
  return p instanceof BackupHandle;
}

/** ttm_backup_page_ptr_to_handle. */
export function ttmBackupPagePtrToHandle(p: BackupHandle): number {
  return p.handle;
}

/** The swap devices of the machine (get_nr_swap_pages): slots holding one page's content each. */
export class SwapSpace {
  private readonly content: Uint32Array;
  /** Freed slots below `neverUsed`, highest first, so the lowest free slot is popped (deterministic placement). */
  private readonly free: number[] = [];
  /** Slots from here on were never handed out. */
  private neverUsed = 0;
  private nextFileId = 0;
  /** Errors the next backup_page / swapout page writes return, in order (e.g. -ENOMEM). */
  readonly failWrites: number[] = [];
  /** Errors the next copy_page / swapin page reads return, in order (e.g. -ENOMEM, -EIO). */
  readonly failReads: number[] = [];
  /**
   * A signal arrives after this many more interruptible reads: the next interruptible read then fails
   * with -EINTR (once). null: no signal.
   */
  interruptAfterReads: number | null = null;
  /** This many more shmem_file_setup calls fail with -ENOMEM. */
  failNextCreates = 0;
  /** Pages written with writeback requested (shmem_writeout started). */
  writebacks = 0;
  /** Pages dropped (ttm_backup_drop). */
  drops = 0;

  /** Told the used slot count after every change (the swap space's statechart). */
  observer: ((op: string, usedPages: number) => void) | null = null;

  constructor(readonly totalPages: number) {
    this.content = new Uint32Array(totalPages);
  }

  get usedPages(): number {
    return this.neverUsed - this.free.length;
  }

  get freePages(): number {
    return this.totalPages - this.usedPages;
  }

  /** The lowest free slot, or -ENOSPC. Slots from `neverUsed` on have never been handed out. */
  allocSlot(): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.neverUsed === this.totalPages) return -ENOSPC;
      slot = this.neverUsed;
      this.neverUsed += 1;
    }
    this.observer?.('alloc', this.usedPages);
    return slot;
  }

  freeSlot(slot: number): void {
    // Keep `free` sorted, highest first.
    let lo = 0;
    let hi = this.free.length;
    const spins = lockupSpins();
    while (lo < hi) {
      softLockupSpin(spins, 'shmem swap-slot search');
      const mid = (lo + hi) >> 1;
      if (this.free[mid]! > slot) lo = mid + 1;
      else hi = mid;
    }
    this.free.splice(lo, 0, slot);
    this.observer?.('free', this.usedPages);
  }

  read(slot: number): number {
    return this.content[slot]!;
  }

  write(slot: number, value: number): void {
    this.content[slot] = value >>> 0;
  }

  newFileId(): number {
    const id = this.nextFileId;
    this.nextFileId += 1;
    return id;
  }
}

/** A shmem file (struct file from shmem_file_setup): page index → swap slot. */
export class ShmemFile {
  readonly slots = new Map<number, number>();
  released = false;

  constructor(
    readonly swap: SwapSpace,
    readonly id: string,
    readonly sizePages: number,
  ) {}

  private check(): void {
    if (this.released) throw new Error(`${this.id}: used after fput`);
  }

  /** Write `value` at page `idx` (shmem_read_folio_gfp + copy + dirty): 0 or -errno. */
  writePage(idx: number, value: number): number {
    this.check();
    if (idx < 0 || idx >= this.sizePages) return -EINVAL;
    const injected = this.swap.failWrites.shift();
    if (injected !== undefined) return injected;
    let slot = this.slots.get(idx);
    if (slot === undefined) {
      slot = this.swap.allocSlot();
      if (slot < 0) return slot;
      this.slots.set(idx, slot);
    }
    this.swap.write(slot, value);
    return 0;
  }

  /** Read page `idx` (shmem_read_folio): its content (≥ 0) or -errno. A hole reads as zeroes. */
  readPage(idx: number, interruptible: boolean): number {
    this.check();
    if (interruptible && this.swap.interruptAfterReads !== null) {
      if (this.swap.interruptAfterReads === 0) {
        this.swap.interruptAfterReads = null;
        return -EINTR;
      }
      this.swap.interruptAfterReads -= 1;
    }
    const injected = this.swap.failReads.shift();
    if (injected !== undefined) return injected;
    const slot = this.slots.get(idx);
    return slot === undefined ? 0 : this.swap.read(slot);
  }

  /** shmem_truncate_range of one page. False when the page is not there. */
  truncate(idx: number): boolean {
    this.check();
    const slot = this.slots.get(idx);
    if (slot === undefined) return false;
    this.slots.delete(idx);
    this.swap.freeSlot(slot);
    return true;
  }

  /** fput of the last reference: every page of the file goes. */
  fput(): void {
    this.check();
    for (const slot of this.slots.values()) this.swap.freeSlot(slot);
    this.slots.clear();
    this.released = true;
  }
}

/** shmem_file_setup: a file of `sizePages` pages, or -ENOMEM (injected). */
export function shmemFileSetup(swap: SwapSpace, name: string, sizePages: number): ShmemFile | number {
  if (swap.failNextCreates > 0) {
    swap.failNextCreates -= 1;
    return -ENOMEM;
  }
  return new ShmemFile(swap, `shmem:${name}:${swap.newFileId()}`, sizePages);
}

/** ttm_backup_shmem_create: a backup file of `sizeBytes`, or -ENOMEM. */
export function ttmBackupShmemCreate(swap: SwapSpace, sizeBytes: number): ShmemFile | number {
  return shmemFileSetup(swap, 'ttm shmem backup', Math.ceil(sizeBytes / (1 << PAGE_SHIFT)));
}

/** ttm_backup_fini: release the file and whatever it still holds. */
export function ttmBackupFini(backup: ShmemFile): void {
  backup.fput();
}

/**
 * ttm_backup_backup_page: copy frame `pfn` to page `idx` of the backup file. Returns the handle
 * (idx + 1), -ENOSPC when the swap space is full, -EINVAL for an index beyond the file, or an injected
 * error (-ENOMEM). `writeback` starts writeout, which is best effort and never fails the call.
 */
export function ttmBackupBackupPage(
  backup: ShmemFile,
  ram: Ram,
  pfn: number,
  writeback: boolean,
  idx: number,
): number {
  const ret = backup.writePage(idx, ram.read(pfn));
  if (ret < 0) return ret;
  if (writeback) backup.swap.writebacks += 1;
  return idx + 1;
}

/**
 * ttm_backup_copy_page: copy the page behind `handle` into frame `dst`. 0, -EINTR when `intr` and a
 * signal is pending, or an injected read error (-ENOMEM, -EIO).
 */
export function ttmBackupCopyPage(
  backup: ShmemFile,
  ram: Ram,
  dst: number,
  handle: number,
  intr: boolean,
): number {
  if (handle <= 0) throw new Error(`ttm_backup_copy_page: invalid handle ${handle}`);
  const value = backup.readPage(handle - 1, intr);
  if (value < 0) return value;
  ram.write(dst, value);
  return 0;
}

/** ttm_backup_drop: release the page behind `handle`. Dropping a handle twice is a simulator bug. */
export function ttmBackupDrop(backup: ShmemFile, handle: number): void {
  if (!backup.truncate(handle - 1)) {
    throw new Error(`ttm_backup_drop: handle ${handle} of ${backup.id} is not backed up (dropped twice?)`);
  }
  backup.swap.drops += 1;
}

/** ttm_backup_bytes_avail: get_nr_swap_pages() << PAGE_SHIFT. */
export function ttmBackupBytesAvail(swap: SwapSpace): number {
  return swap.freePages * (1 << PAGE_SHIFT);
}
