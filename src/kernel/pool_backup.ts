// ttm_pool.c, backing up a tt and dropping a backed-up one: ttm_pool_backup (purge or back up page by
// page, partial allowed) and ttm_pool_drop_backed_up (release whatever a backup and an interrupted
// restore left in the tt). The restore itself is ttm_pool_restore_and_alloc in pool.ts.

import { BackupHandle, ttmBackupBackupPage, ttmBackupBytesAvail } from './backup.ts';
import { EBUSY, EINVAL, ENOMEM } from './errno.ts';
import { freeRange, pagesOf, poolUnmap, restoreValid, splitForSwap, unmapAndFree } from './pool.ts';
import { type Pool, ttmPoolPageOrder } from './pool_type.ts';
import { warnOn } from './rules/check.ts';
import {
  POOL_BACKUP_NOT_BACKED_UP,
  POOL_DROP_BACKED_UP,
  POOL_DROP_CACHING_DIVIDE,
} from './rules/ttm_pool.ts';
import type { Tt } from './tt.ts';

/**
 * ttm_pool_drop_backed_up: release everything a backed-up tt holds, in whatever state a restore left
 * it: the uncommitted restore block, the restored prefix (tt caching up to the divide, cached after),
 * then the remaining handles (dropped) and resident pages (freed). Every frame and handle goes once.
 */
export function ttmPoolDropBackedUp(tt: Tt): void {
  const global = tt.global;
  if (global === null) throw new Error(`ttm_pool_drop_backed_up: ${tt.id} has no world`);
  const ram = global.ram;
  warnOn(global, POOL_DROP_BACKED_UP, !tt.isBackedUp(), tt.id, '');
  const restore = tt.restore;
  let startPage = 0;
  if (restoreValid(restore)) {
    unmapAndFree(
      restore.pool,
      ram,
      restore.allocedPage,
      tt.dmaAddress !== null ? restore.firstDma : null,
      restore.pageCaching,
    );
    restore.restoredPages = 1 << restore.order;
  }
  if (restore !== null) {
    const mid = restore.snapshotAlloc.cachingDivide;
    startPage = restore.allocedPages;
    warnOn(
      global,
      POOL_DROP_CACHING_DIVIDE,
      mid > startPage,
      tt.id,
      mid > startPage ? `divide ${mid}, ${startPage} pages committed` : '',
    );
    freeRange(restore.pool, ram, tt, tt.caching, 0, mid);
    freeRange(restore.pool, ram, tt, 'cached', mid, restore.allocedPages);
    tt.restore = null;
  }
  freeRange(null, ram, tt, 'cached', startPage, tt.numPages);
}

export interface BackupFlags {
  /** Free the pages without backing them up (content lost). */
  readonly purge: boolean;
  /** Ask for immediate writeout to swap. */
  readonly writeback: boolean;
}

/**
 * ttm_pool_backup: back up or purge a populated tt page by page. Returns the pages backed up or freed,
 * -EINVAL for a tt already BACKED_UP, -EBUSY without swap space (unless purging) or for a DMA-alloc
 * pool. Pages go back to write-back caching and are unmapped first. A backup error after some pages
 * (swap full: -ENOSPC; injected -ENOMEM) stops there and still returns the positive count: the tt then
 * holds handles up to that page and resident pages after it. An error on the first page is returned.
 */
export function ttmPoolBackup(pool: Pool, tt: Tt, flags: BackupFlags): number {
  if (warnOn(pool.global, POOL_BACKUP_NOT_BACKED_UP, tt.isBackedUp(), tt.id, '')) return -EINVAL;
  const global = pool.global;
  if (global === null) throw new Error('ttm_pool_backup: pool has no world');
  const ram = global.ram;
  const mgr = global.poolMgr;
  if ((ttmBackupBytesAvail(global.swap) === 0 && !flags.purge) || pool.useDmaAlloc) return -EBUSY;
  const pages = pagesOf(tt);
  if (tt.caching !== 'cached') {
    // Anything returned to the system needs to be cached.
    ram.setCachingPages(
      pages.filter((p): p is number => typeof p === 'number'),
      'wb',
    );
  }
  let shrunken = 0;
  if (tt.dmaAddress !== null || flags.purge) {
    let nr = 1;
    for (let i = 0; i < tt.numPages; i += nr) {
      const page = pages[i] ?? null;
      if (typeof page !== 'number') {
        nr = 1;
        continue;
      }
      const order = ttmPoolPageOrder(pool, page);
      nr = 1 << order;
      if (tt.dmaAddress !== null) {
        const addr = tt.dmaAddress[i] ?? null;
        if (addr !== null) poolUnmap(pool, addr);
        for (let j = i; j < i + nr; j += 1) tt.dmaAddress[j] = null;
      }
      if (flags.purge) {
        shrunken += nr;
        ram.setPrivate(page, 0);
        ram.freeBlock(page);
        for (let j = i; j < i + nr; j += 1) pages[j] = null;
      }
    }
  }
  if (flags.purge) return shrunken;
  const backup = tt.backup;
  if (backup === null) throw new Error(`ttm_pool_backup: ${tt.id} has no backup file`);
  let numPages = tt.numPages;
  // Fault injection: pretend backing up only half of the pages.
  if (mgr.backupFaultInject > 0) {
    mgr.backupFaultInject -= 1;
    numPages = Math.ceil(numPages / 2);
  }
  let ret = 0;
  for (let i = 0; i < numPages; i += 1) {
    const page = pages[i] ?? null;
    if (typeof page !== 'number') continue;
    splitForSwap(pool, ram, page);
    // ttm_backup_backup_page failing (shmem -ENOMEM): an evaluation of the 'backup.write' fault site.
    const handle = global.injectFault('backup.write', tt.id)
      ? -ENOMEM
      : ttmBackupBackupPage(backup, ram, page, flags.writeback, i);
    if (handle < 0) {
      // Partially shrunken tts are allowed.
      ret = handle;
      break;
    }
    pages[i] = new BackupHandle(handle);
    ram.freeBlock(page);
    shrunken += 1;
    global.counters.pagesBackedUp += 1;
  }
  return shrunken > 0 ? shrunken : ret;
}
