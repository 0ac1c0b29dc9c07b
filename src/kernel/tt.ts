// ttm_tt.c: the page array backing a BO in memory types that use system pages (SYSTEM, TT): creation
// with flags by BO type, the page directories (ttm_tt_init / ttm_sg_tt_init), populate with the global
// page accounting (ttm_pages_allocated against totalram/2, and the DMA32 count) that swaps other BOs out
// while over the limit, unpopulate, the legacy whole-tt swapout to a shmem file and swapin, and the
// per-page backup / restore wrappers around ttm_pool (BACKED_UP even when only partially backed up).
// Entries of `pages` are frame numbers, backup handles (of a backed-up tt) or null.
// Simplified: page directory allocations (kvcalloc) never fail; no DECRYPTED (no confidential-computing
// guest); no kmap iterator. The caching of a tt is fixed at init; the model refuses a change while the
// tt is populated (the kernel has no call for it since "drm/ttm: stop dangerous caching attribute
// change", 2020).

import {
  type BackupHandle,
  type ShmemFile,
  shmemFileSetup,
  ttmBackupBytesAvail,
  ttmBackupFini,
  ttmBackupShmemCreate,
} from './backup.ts';
import type { BufferObject } from './bo.ts';
import {
  type Caching,
  PAGE_SIZE,
  TTM_TT_FLAG_BACKED_UP,
  TTM_TT_FLAG_EXTERNAL,
  TTM_TT_FLAG_EXTERNAL_MAPPABLE,
  TTM_TT_FLAG_PRIV_POPULATED,
  TTM_TT_FLAG_SWAPPED,
  TTM_TT_FLAG_ZERO_ALLOC,
} from './constants.ts';
import type { Device, TtmGlobal } from './device.ts';
import type { KernelEnv, KGen, MirrorEvent } from './env.ts';
import { EINTR, EINVAL, ENOMEM } from './errno.ts';
import type { OperationCtx } from './placement.ts';
import { type PoolTtRestore, ttmPoolAlloc, ttmPoolFree, ttmPoolRestoreAndAlloc } from './pool.ts';
import { type BackupFlags, ttmPoolBackup, ttmPoolDropBackedUp } from './pool_backup.ts';
import { assertBoResvHeld, warnOn } from './rules/check.ts';
import { checkRestoreKept } from './rules/errno_post.ts';
import { checkErrnoReturn, POOL_RESTORE_RETURNS, TT_POPULATE_RETURNS } from './rules/errno_returns.ts';
import { backupRefused, postPoolBackupBusy } from './rules/pool_backup_busy.ts';
import { backupBefore, checkBackupCount, checkTtFini } from './rules/tt_release.ts';
import { checkTtEvent } from './rules/tt_trace.ts';
import {
  TT_BACKUP_HAS_BACKUP,
  TT_CREATE_MAPPABLE_EXTERNAL,
  TT_CREATE_RESV_HELD,
  TT_FINI_UNPOPULATED,
  TT_SETUP_BACKUP_MAPPABLE,
  TT_SWAPIN_STORAGE,
} from './rules/ttm_tt.ts';
import { postTtBackup, postTtCreate, postTtPopulate, postTtRestore, postTtSwapout } from './rules_post.ts';
import { ttmGlobalSwapout } from './swap.ts';

/** What a slot of tt->pages holds: a page frame, a backup handle, or nothing. */
export type TtPage = number | BackupHandle | null;

export class Tt {
  pageFlags: number;
  numPages: number;
  caching: Caching;
  /** Page frame numbers while populated; handles and resident frames while backed up; else null. */
  pages: TtPage[] | null;
  dmaAddress: (number | null)[] | null = null;
  /** The shmem file of a legacy swapout (SWAPPED). */
  swapStorage: ShmemFile | null = null;
  /** The per-page backup file (driver-owned, ttm_tt_setup_backup). */
  backup: ShmemFile | null = null;
  /** Partial-restore state (TTM private). */
  restore: PoolTtRestore | null = null;
  /**
   * Model bookkeeping, no kernel field: the driver dropped BACKED_UP with ttm_tt_clear_backed_up since
   * the tt was last backed up or swapped out. The kernel re-lists a swapped BO's resource only when
   * ttm_bo_populate succeeds (and at the next LRU bump), so after xe_ttm_tt_populate cleared a purged
   * tt's BACKED_UP and its allocation then failed, the resource stays on the unevictable list although
   * the tt no longer counts as swapped; the lru.placement oracle accepts exactly that.
   */
  backedUpCleared = false;
  readonly sg: object | null;
  destroyed = false;
  /** The world whose RAM and swap space the pages live in. */
  readonly global: TtmGlobal | null;
  /** Where the tt's statechart is told about its edges. */
  readonly env: KernelEnv;

  constructor(
    readonly id: string,
    bo: BufferObject,
    pageFlags: number,
    caching: Caching,
    extraPages: number,
  ) {
    this.pageFlags = pageFlags;
    this.caching = caching;
    this.numPages = Math.ceil(bo.size / PAGE_SIZE) + extraPages;
    this.pages = new Array<TtPage>(this.numPages).fill(null);
    this.sg = bo.sg;
    this.global = bo.bdev.global;
    this.env = bo.bdev.env;
  }

  isPopulated(): boolean {
    return (this.pageFlags & TTM_TT_FLAG_PRIV_POPULATED) !== 0;
  }

  /** ttm_tt_is_swapped: swapped out or (possibly partially) backed up. */
  isSwapped(): boolean {
    return (this.pageFlags & (TTM_TT_FLAG_SWAPPED | TTM_TT_FLAG_BACKED_UP)) !== 0;
  }

  /** ttm_tt_is_backed_up. */
  isBackedUp(): boolean {
    return (this.pageFlags & TTM_TT_FLAG_BACKED_UP) !== 0;
  }
}

function emitTt(tt: Tt, event: MirrorEvent): void {
  checkTtEvent(tt, event);
  tt.env.emit('tt', tt.id, event);
}

function globalOf(tt: Tt): TtmGlobal {
  if (tt.global === null) throw new Error(`${tt.id}: the BO's device has no world (ttm_device_init)`);
  return tt.global;
}

/** ttm_tt_init: page directory sized from the BO (rounded up) plus `extraPages`. */
export function ttmTtInit(bo: BufferObject, pageFlags: number, caching: Caching, extraPages: number): Tt {
  return new Tt(`tt:${bo.bdev.env.nextId('tt')}`, bo, pageFlags, caching, extraPages);
}

/** ttm_sg_tt_init: like ttm_tt_init plus a dma_address array (only that for EXTERNAL tts). */
export function ttmSgTtInit(bo: BufferObject, pageFlags: number, caching: Caching): Tt {
  const tt = ttmTtInit(bo, pageFlags, caching, 0);
  if (pageFlags & TTM_TT_FLAG_EXTERNAL) tt.pages = null;
  tt.dmaAddress = new Array<number | null>(tt.numPages).fill(null);
  return tt;
}

/**
 * ttm_tt_fini: release the swap storage, everything a backed-up tt still holds (handles, resident pages,
 * an interrupted restore) and the backup file, then the arrays. The tt must be unpopulated (the kernel
 * WARNs; its pages would leak).
 */
export function ttmTtFini(tt: Tt): void {
  warnOn(tt.global, TT_FINI_UNPOPULATED, tt.isPopulated(), tt.id, '');
  if (tt.swapStorage !== null) ttmBackupFini(tt.swapStorage);
  tt.swapStorage = null;
  if (tt.isBackedUp()) ttmPoolDropBackedUp(tt);
  if (tt.backup !== null) {
    ttmBackupFini(tt.backup);
    tt.backup = null;
  }
  tt.pages = null;
  tt.dmaAddress = null;
  checkTtFini(tt);
}

/**
 * ttm_tt_create: give `bo` a tt if it has none (resv held). Device BOs get ZERO_ALLOC when `zeroAlloc`,
 * sg BOs EXTERNAL. Returns 0, -EINVAL for an unknown BO type, -ENOMEM if the driver returns none.
 */
export function ttmTtCreate(bo: BufferObject, zeroAlloc: boolean): number {
  assertBoResvHeld(TT_CREATE_RESV_HELD, bo);
  if (bo.ttm !== null) return postTtCreate(bo, 0);
  let pageFlags = 0;
  switch (bo.type) {
    case 'device':
      if (zeroAlloc) pageFlags |= TTM_TT_FLAG_ZERO_ALLOC;
      break;
    case 'kernel':
      break;
    case 'sg':
      pageFlags |= TTM_TT_FLAG_EXTERNAL;
      break;
    default:
      return postTtCreate(bo, -EINVAL);
  }
  const tt = bo.bdev.funcs.ttmTtCreate(bo, pageFlags);
  if (tt === null) return postTtCreate(bo, -ENOMEM);
  bo.ttm = tt;
  const mappable = (tt.pageFlags & TTM_TT_FLAG_EXTERNAL_MAPPABLE) !== 0;
  warnOn(
    bo.bdev.global,
    TT_CREATE_MAPPABLE_EXTERNAL,
    mappable && !(tt.pageFlags & TTM_TT_FLAG_EXTERNAL),
    tt.id,
    '',
  );
  bo.bdev.env.emit('bo', bo.id, { type: 'bo.tt', flags: tt.pageFlags });
  return postTtCreate(bo, 0);
}

/** ttm_tt_destroy (with ttm_bo_tt_destroy's unpopulate first): unpopulate if needed, then fini. */
export function ttmTtDestroy(bdev: Device, tt: Tt | null): void {
  if (tt === null) return;
  if (tt.destroyed) throw new Error(`ttm_tt_destroy: ${tt.id} destroyed twice`);
  ttmTtUnpopulate(bdev, tt);
  ttmTtFini(tt);
  tt.destroyed = true;
  emitTt(tt, { type: 'tt.destroy' });
}

function accountPages(bdev: Device, tt: Tt, sign: 1 | -1): void {
  if (tt.pageFlags & TTM_TT_FLAG_EXTERNAL) return;
  const g = globalOf(tt);
  g.ttmPagesAllocated += sign * tt.numPages;
  if (bdev.pool.useDma32) g.ttmDma32PagesAllocated += sign * tt.numPages;
}

/**
 * ttm_tt_populate: allocate the pages (driver hook, else the device pool). Non-EXTERNAL tts are counted
 * in ttm_pages_allocated first; while the count is over the limit (or the DMA32 count over its limit)
 * ttm_global_swapout swaps other BOs out: when nothing can be swapped the allocation goes ahead anyway,
 * a swapout error is returned. A SWAPPED tt's content is then read back from its swap storage (failure:
 * unpopulated again, still SWAPPED). Returns 0 (also when already populated), -EINVAL for a NULL tt,
 * or the swapout / allocation / swapin error, with the counters reverted.
 */
export function* ttmTtPopulate(bdev: Device, tt: Tt | null, ctx: OperationCtx): KGen<number> {
  const ret = postTtPopulate(tt, yield* populate(bdev, tt, ctx));
  return checkErrnoReturn(bdev.global, TT_POPULATE_RETURNS, tt?.id ?? bdev.id, ret);
}

function* populate(bdev: Device, tt: Tt | null, ctx: OperationCtx): KGen<number> {
  if (tt === null) return -EINVAL;
  if (tt.isPopulated()) return 0;
  yield { kind: 'yield', label: 'tt.populate' };
  const g = globalOf(tt);
  accountPages(bdev, tt, 1);
  let ret = 0;
  while (g.ttmPagesAllocated > g.ttmPagesLimit || g.ttmDma32PagesAllocated > g.ttmDma32PagesLimit) {
    ret = yield* ttmGlobalSwapout(g, ctx);
    if (ret === 0) break;
    if (ret < 0) {
      accountPages(bdev, tt, -1);
      return ret;
    }
  }
  if (bdev.funcs.ttmTtPopulate !== undefined) ret = yield* bdev.funcs.ttmTtPopulate(bdev, tt, ctx);
  else ret = yield* ttmPoolAlloc(bdev.pool, tt, ctx);
  if (ret !== 0) {
    accountPages(bdev, tt, -1);
    return ret;
  }
  tt.pageFlags |= TTM_TT_FLAG_PRIV_POPULATED;
  tt.pageFlags &= ~TTM_TT_FLAG_BACKED_UP;
  emitTt(tt, { type: 'tt.populate', pages: tt.numPages });
  if (tt.pageFlags & TTM_TT_FLAG_SWAPPED) {
    ret = ttmTtSwapin(tt);
    if (ret !== 0) {
      ttmTtUnpopulate(bdev, tt);
      return ret;
    }
  }
  return 0;
}

/** ttm_tt_unpopulate: give the pages back (driver hook, else the pool); a no-op for an unpopulated tt. */
export function ttmTtUnpopulate(bdev: Device, tt: Tt): void {
  if (!tt.isPopulated()) return;
  releasePages(bdev, tt);
  emitTt(tt, { type: 'tt.unpopulate' });
}

/** The work of ttm_tt_unpopulate on a populated tt, without telling its statechart. */
function releasePages(bdev: Device, tt: Tt): void {
  if (bdev.funcs.ttmTtUnpopulate !== undefined) bdev.funcs.ttmTtUnpopulate(bdev, tt);
  else ttmPoolFree(bdev.pool, tt);
  accountPages(bdev, tt, -1);
  tt.pageFlags &= ~TTM_TT_FLAG_PRIV_POPULATED;
}

/**
 * ttm_tt_swapout: copy every page into a new shmem file, unpopulate, keep the file as swap storage and
 * mark the tt SWAPPED. Returns the number of pages, or the error of the file creation (-ENOMEM) or of a
 * page write (-ENOSPC when swap is full, injected -ENOMEM), in which case the tt is left as it was.
 */
export function ttmTtSwapout(bdev: Device, tt: Tt): number {
  return postTtSwapout(tt, tt.isPopulated(), swapout(bdev, tt));
}

function swapout(bdev: Device, tt: Tt): number {
  const g = globalOf(tt);
  const storage = g.injectFault('shmem.create', tt.id)
    ? -ENOMEM
    : shmemFileSetup(g.swap, 'ttm swap', tt.numPages);
  if (typeof storage === 'number') return storage;
  const pages = tt.pages ?? [];
  for (let i = 0; i < tt.numPages; i += 1) {
    const from = pages[i] ?? null;
    if (typeof from !== 'number') continue;
    // shmem_read_mapping_page_gfp of the swap file's page: the 'swapout.write' fault site.
    const ret = g.injectFault('swapout.write', tt.id) ? -ENOMEM : storage.writePage(i, g.ram.read(from));
    if (ret < 0) {
      storage.fput();
      return ret;
    }
  }
  // The unpopulate is part of the swapout: its statechart takes one edge, populated → swapped.
  if (tt.isPopulated()) releasePages(bdev, tt);
  g.counters.pagesBackedUp += tt.numPages;
  tt.swapStorage = storage;
  tt.pageFlags |= TTM_TT_FLAG_SWAPPED;
  tt.backedUpCleared = false;
  emitTt(tt, { type: 'tt.swapout', pages: tt.numPages });
  return tt.numPages;
}

/**
 * ttm_tt_swapin: copy the swap storage back into the (newly allocated) pages, release it and clear
 * SWAPPED. Returns 0, -ENOMEM when a destination page is missing, or a read error of the storage (then
 * the tt stays SWAPPED with its storage).
 */
export function ttmTtSwapin(tt: Tt): number {
  const storage = tt.swapStorage;
  // BUG_ON: the kernel stops here; the model records the breach and fails the call.
  if (warnOn(tt.global, TT_SWAPIN_STORAGE, storage === null, tt.id, '') || storage === null) return -EINVAL;
  const g = globalOf(tt);
  const ram = g.ram;
  const pages = tt.pages ?? [];
  for (let i = 0; i < tt.numPages; i += 1) {
    // shmem_read_mapping_page_gfp of the swap file's page: the 'swapin.read' fault site.
    const value = g.injectFault('swapin.read', tt.id) ? -ENOMEM : storage.readPage(i, false);
    if (value < 0) return value;
    const to = pages[i] ?? null;
    if (typeof to !== 'number') return -ENOMEM;
    ram.write(to, value);
  }
  storage.fput();
  tt.swapStorage = null;
  tt.pageFlags &= ~TTM_TT_FLAG_SWAPPED;
  globalOf(tt).counters.pagesRestored += tt.numPages;
  return 0;
}

/**
 * ttm_tt_backup: back up (or purge) the tt's pages through the device pool. Returns the pages backed up
 * or freed, 0 when the tt has no backup file (the kernel WARNs), or ttm_pool_backup's error. Any positive
 * count, even a partial one, leaves the tt unpopulated and BACKED_UP.
 */
export function ttmTtBackup(bdev: Device, tt: Tt, flags: BackupFlags): number {
  if (warnOn(tt.global, TT_BACKUP_HAS_BACKUP, tt.backup === null, tt.id, '')) return 0;
  const ram = globalOf(tt).ram;
  const before = backupBefore(tt, ram);
  const refused = backupRefused(ttmBackupBytesAvail(globalOf(tt).swap), flags.purge, bdev.pool.useDmaAlloc);
  const ret = checkBackupCount(tt, ram, before, ttmPoolBackup(bdev.pool, tt, flags));
  postPoolBackupBusy(tt.global, tt.id, refused, ret);
  if (ret > 0) {
    tt.global?.ttBackedUpHook?.(tt);
    tt.pageFlags &= ~TTM_TT_FLAG_PRIV_POPULATED;
    tt.pageFlags |= TTM_TT_FLAG_BACKED_UP;
    tt.backedUpCleared = false;
    emitTt(tt, { type: 'tt.backup', pages: ret, purge: flags.purge });
  }
  return postTtBackup(tt, ret);
}

/**
 * ttm_tt_restore: allocate new pages and read the backed-up content back (resumable); on success the tt
 * is no longer BACKED_UP. Returns ttm_pool_restore_and_alloc's result (0, -EINVAL, -ENOMEM, -EFAULT,
 * -EINTR, a backup read error). Populated-ness is left to ttm_tt_populate, which drivers call it from.
 */
export function* ttmTtRestore(bdev: Device, tt: Tt, ctx: OperationCtx): KGen<number> {
  const hadRestore = tt.restore !== null;
  const restored = yield* ttmPoolRestoreAndAlloc(bdev.pool, tt, ctx);
  const ret = checkRestoreKept(
    tt,
    hadRestore,
    checkErrnoReturn(tt.global, POOL_RESTORE_RETURNS, tt.id, restored),
  );
  if (ret === -EINTR) emitTt(tt, { type: 'tt.restore.interrupted' });
  if (ret !== 0) return postTtRestore(tt, ret);
  tt.pageFlags &= ~TTM_TT_FLAG_BACKED_UP;
  return postTtRestore(tt, 0);
}

/**
 * ttm_tt_setup_backup: give the tt a backup file of its size (replacing an old one). Returns 0, -EINVAL
 * for a tt that is not EXTERNAL_MAPPABLE, or the file creation error (-ENOMEM).
 */
export function ttmTtSetupBackup(tt: Tt): number {
  const g = globalOf(tt);
  const backup = g.injectFault('shmem.create', tt.id)
    ? -ENOMEM
    : ttmBackupShmemCreate(g.swap, tt.numPages * PAGE_SIZE);
  const mappable = (tt.pageFlags & TTM_TT_FLAG_EXTERNAL_MAPPABLE) !== 0;
  if (warnOn(g, TT_SETUP_BACKUP_MAPPABLE, !mappable, tt.id, '')) return -EINVAL;
  if (typeof backup === 'number') return backup;
  if (tt.backup !== null) ttmBackupFini(tt.backup);
  tt.backup = backup;
  return 0;
}

/** ttm_tt_clear_backed_up: drivers forget a purged tt's backed-up state before re-populating it. */
export function ttmTtClearBackedUp(tt: Tt): void {
  if (!tt.isBackedUp()) return;
  tt.pageFlags &= ~TTM_TT_FLAG_BACKED_UP;
  tt.backedUpCleared = true;
}

/** The frame in slot `i` of a tt's page array, or null for a hole or a backup handle. */
export function ttmTtPfn(tt: Tt, i: number): number | null {
  const p = tt.pages?.[i] ?? null;
  return typeof p === 'number' ? p : null;
}

/** ttm_tt_mark_for_clear: the next populate must hand out cleared pages. */
export function ttmTtMarkForClear(tt: Tt): void {
  tt.pageFlags |= TTM_TT_FLAG_ZERO_ALLOC;
}

/** ttm_tt_pages_limit. */
export function ttmTtPagesLimit(global: TtmGlobal): number {
  return global.ttmPagesLimit;
}

/**
 * Set the caching of an unpopulated tt (drivers choose it before ttm_tt_init in the kernel). Changing
 * it while the tt holds pages would leave them with the wrong linear-map attributes: a model bug, thrown.
 */
export function ttmTtSetCaching(tt: Tt, caching: Caching): void {
  if (tt.isPopulated() || tt.isSwapped()) {
    throw new Error(`${tt.id}: caching change while populated, swapped or backed up`);
  }
  tt.caching = caching;
}
