// ttm_backup.c and the per-page backup / restore of ttm_pool.c (src/kernel/backup.ts, pool.ts): handles,
// swap exhaustion and injected failures, ttm_pool_backup (purge, partial backup), the resumable
// ttm_pool_restore_and_alloc, and ttm_pool_drop_backed_up from every state a tt can be left in.

import { describe, expect, test } from 'vitest';
import {
  BackupHandle,
  type ShmemFile,
  ttmBackupBackupPage,
  ttmBackupBytesAvail,
  ttmBackupCopyPage,
  ttmBackupDrop,
  ttmBackupFini,
  ttmBackupShmemCreate,
} from '../../src/kernel/backup.ts';
import { PAGE_SIZE, TTM_TT_FLAG_BACKED_UP, TTM_TT_FLAG_PRIV_POPULATED } from '../../src/kernel/constants.ts';
import { EBUSY, EINTR, EINVAL, EIO, ENOMEM, ENOSPC } from '../../src/kernel/errno.ts';
import { MUTATION_RESTORE_STALE_STATE, ttmPoolRestoreAndAlloc } from '../../src/kernel/pool.ts';
import { ttmPoolBackup, ttmPoolDropBackedUp } from '../../src/kernel/pool_backup.ts';
import {
  NUMA_NO_NODE,
  Pool,
  TTM_ALLOCATION_POOL_USE_DMA_ALLOC,
  ttmPoolShrinkerScan,
} from '../../src/kernel/pool_type.ts';
import { runSync } from '../../src/kernel/sync.ts';
import { type Tt, ttmTtBackup, ttmTtFini, ttmTtRestore, ttmTtUnpopulate } from '../../src/kernel/tt.ts';
import type { TestDevice } from '../kunit/fixtures.ts';
import { contents, frames, intrCtx, shrinkableTt, slotKinds, world } from './page_fixtures.ts';

function file(t: TestDevice, pages: number): ShmemFile {
  const f = ttmBackupShmemCreate(t.global.swap, pages * PAGE_SIZE);
  if (typeof f === 'number') throw new Error(`ttm_backup_shmem_create: ${f}`);
  return f;
}

function onePage(t: TestDevice, value: number): number {
  const pfn = t.global.ram.allocPages(0);
  t.global.ram.write(pfn, value);
  return pfn;
}

function restore(t: TestDevice, tt: Tt): number {
  return runSync(t.env, ttmPoolRestoreAndAlloc(t.bdev.pool, tt, intrCtx()));
}

function backup(t: TestDevice, tt: Tt, purge = false): number {
  return ttmTtBackup(t.bdev, tt, { purge, writeback: false });
}

describe('ttm_backup', () => {
  test('ttm_backup_backup_page: page i → handle i + 1 in swap; ttm_backup_copy_page reads it back; ttm_backup_drop frees the slot', () => {
    const t = world();
    const f = file(t, 4);
    const src = onePage(t, 0x1234);
    const dst = onePage(t, 0);
    expect(ttmBackupBackupPage(f, t.global.ram, src, false, 2)).toBe(3);
    expect(t.global.swap.usedPages).toBe(1);
    expect(ttmBackupCopyPage(f, t.global.ram, dst, 3, true)).toBe(0);
    expect(t.global.ram.read(dst)).toBe(0x1234);
    ttmBackupDrop(f, 3);
    expect(t.global.swap.usedPages).toBe(0);
    expect(t.global.swap.drops).toBe(1);
  });

  test('ttm_backup_backup_page: writeback → written out (counted), still a handle', () => {
    const t = world();
    const f = file(t, 1);
    expect(ttmBackupBackupPage(f, t.global.ram, onePage(t, 7), true, 0)).toBe(1);
    expect(t.global.swap.writebacks).toBe(1);
  });

  test('ttm_backup_backup_page: swap space full → -ENOSPC, nothing stored', () => {
    const t = world({ swapPages: 1 });
    const f = file(t, 2);
    expect(ttmBackupBackupPage(f, t.global.ram, onePage(t, 1), false, 0)).toBe(1);
    expect(ttmBackupBackupPage(f, t.global.ram, onePage(t, 2), false, 1)).toBe(-ENOSPC);
    expect(f.slots.size).toBe(1);
  });

  test('ttm_backup_backup_page: injected shmem failure → -ENOMEM, nothing stored', () => {
    const t = world();
    const f = file(t, 1);
    t.global.swap.failWrites.push(-ENOMEM);
    expect(ttmBackupBackupPage(f, t.global.ram, onePage(t, 1), false, 0)).toBe(-ENOMEM);
    expect(t.global.swap.usedPages).toBe(0);
  });

  test('ttm_backup_backup_page: index beyond the file size → -EINVAL', () => {
    const t = world();
    const f = file(t, 1);
    expect(ttmBackupBackupPage(f, t.global.ram, onePage(t, 1), false, 1)).toBe(-EINVAL);
  });

  test('ttm_backup_copy_page: signal pending → -EINTR when interruptible, 0 when not', () => {
    const t = world();
    const f = file(t, 1);
    const dst = onePage(t, 0);
    expect(ttmBackupBackupPage(f, t.global.ram, onePage(t, 9), false, 0)).toBe(1);
    t.global.swap.interruptAfterReads = 0;
    expect(ttmBackupCopyPage(f, t.global.ram, dst, 1, false)).toBe(0);
    expect(ttmBackupCopyPage(f, t.global.ram, dst, 1, true)).toBe(-EINTR);
    expect(ttmBackupCopyPage(f, t.global.ram, dst, 1, true)).toBe(0);
    expect(t.global.ram.read(dst)).toBe(9);
  });

  test('ttm_backup_copy_page: injected read error → -EIO, destination untouched', () => {
    const t = world();
    const f = file(t, 1);
    const dst = onePage(t, 5);
    expect(ttmBackupBackupPage(f, t.global.ram, onePage(t, 9), false, 0)).toBe(1);
    t.global.swap.failReads.push(-EIO);
    expect(ttmBackupCopyPage(f, t.global.ram, dst, 1, true)).toBe(-EIO);
    expect(t.global.ram.read(dst)).toBe(5);
  });

  test('ttm_backup_drop: a handle dropped twice → throws (simulator bug)', () => {
    const t = world();
    const f = file(t, 1);
    expect(ttmBackupBackupPage(f, t.global.ram, onePage(t, 9), false, 0)).toBe(1);
    ttmBackupDrop(f, 1);
    expect(() => ttmBackupDrop(f, 1)).toThrow(/dropped twice/);
  });

  test('ttm_backup_bytes_avail: free swap pages << PAGE_SHIFT', () => {
    const t = world({ swapPages: 3 });
    expect(ttmBackupBytesAvail(t.global.swap)).toBe(3 * PAGE_SIZE);
    const f = file(t, 1);
    ttmBackupBackupPage(f, t.global.ram, onePage(t, 1), false, 0);
    expect(ttmBackupBytesAvail(t.global.swap)).toBe(2 * PAGE_SIZE);
  });

  test('ttm_backup_shmem_create: injected shmem_file_setup failure → -ENOMEM', () => {
    const t = world();
    t.global.swap.failNextCreates = 1;
    expect(ttmBackupShmemCreate(t.global.swap, PAGE_SIZE)).toBe(-ENOMEM);
  });

  test('ttm_backup_fini: every page still in the file is released; the file cannot be used after', () => {
    const t = world();
    const f = file(t, 2);
    ttmBackupBackupPage(f, t.global.ram, onePage(t, 1), false, 0);
    ttmBackupBackupPage(f, t.global.ram, onePage(t, 2), false, 1);
    ttmBackupFini(f);
    expect(t.global.swap.usedPages).toBe(0);
    expect(() => ttmBackupDrop(f, 1)).toThrow(/after fput/);
  });
});

describe('ttm_pool_backup', () => {
  test('ttm_pool_backup: tt already BACKED_UP → -EINVAL', () => {
    const t = world();
    const { tt } = shrinkableTt(t, 2);
    tt.pageFlags |= TTM_TT_FLAG_BACKED_UP;
    expect(ttmPoolBackup(t.bdev.pool, tt, { purge: false, writeback: false })).toBe(-EINVAL);
  });

  test('ttm_pool_backup: no swap space left → -EBUSY; purge still works', () => {
    const t = world({ swapPages: 0 });
    const { tt } = shrinkableTt(t, 2);
    expect(ttmPoolBackup(t.bdev.pool, tt, { purge: false, writeback: false })).toBe(-EBUSY);
    expect(slotKinds(tt)).toEqual(['page', 'page']);
    expect(ttmPoolBackup(t.bdev.pool, tt, { purge: true, writeback: false })).toBe(2);
  });

  test('ttm_pool_backup: DMA-alloc pool → -EBUSY, even to purge', () => {
    const t = world();
    const { tt } = shrinkableTt(t, 2);
    const dmaPool = new Pool({}, NUMA_NO_NODE, TTM_ALLOCATION_POOL_USE_DMA_ALLOC, t.global, t.bdev);
    expect(ttmPoolBackup(dmaPool, tt, { purge: false, writeback: false })).toBe(-EBUSY);
    expect(ttmPoolBackup(dmaPool, tt, { purge: true, writeback: false })).toBe(-EBUSY);
  });

  test('ttm_pool_backup: purge → num_pages, frames freed to the system, slots empty, no swap used', () => {
    const t = world();
    const { tt } = shrinkableTt(t, 6, 'write_combined');
    expect(backup(t, tt, true)).toBe(6);
    expect(slotKinds(tt)).toEqual(Array(6).fill('null'));
    expect(tt.pageFlags & TTM_TT_FLAG_BACKED_UP).toBeTruthy();
    expect(tt.pageFlags & TTM_TT_FLAG_PRIV_POPULATED).toBe(0);
    expect(t.global.ram.usedPages).toBe(0);
    expect(t.global.poolMgr.allocatedPages).toBe(0);
    expect(t.global.swap.usedPages).toBe(0);
  });

  test('ttm_pool_backup: full backup → num_pages, every slot a handle i + 1, frames freed, content in swap', () => {
    const t = world();
    const { tt } = shrinkableTt(t, 5);
    expect(backup(t, tt)).toBe(5);
    expect(tt.pages!.map((p) => (p as BackupHandle).handle)).toEqual([1, 2, 3, 4, 5]);
    expect(t.global.ram.usedPages).toBe(0);
    expect(t.global.swap.usedPages).toBe(5);
  });

  test('ttm_pool_backup: swap full after 5 of 8 pages → 5 (partial), 5 handles then 3 resident write-back pages, BACKED_UP', () => {
    const t = world({ swapPages: 5 });
    const ram = t.global.ram;
    const { tt, data } = shrinkableTt(t, 8, 'uncached');
    expect(backup(t, tt)).toBe(5);
    expect(slotKinds(tt)).toEqual(['handle', 'handle', 'handle', 'handle', 'handle', 'page', 'page', 'page']);
    expect(tt.isBackedUp()).toBe(true);
    expect(tt.isPopulated()).toBe(false);
    expect(ram.usedPages).toBe(3);
    for (let i = 5; i < 8; i += 1) {
      const p = tt.pages![i] as number;
      expect(ram.getCaching(p)).toBe('wb');
      expect(ram.read(p)).toBe(data[i]);
      // Split for swap: each resident page is its own order-0 block.
      expect(ram.blockOrder(p)).toBe(0);
    }
  });

  test('ttm_pool_backup: the first page cannot be backed up → its error (-ENOMEM), no handle, pages resident', () => {
    const t = world();
    const { tt } = shrinkableTt(t, 3);
    t.global.swap.failWrites.push(-ENOMEM);
    expect(backup(t, tt)).toBe(-ENOMEM);
    expect(slotKinds(tt)).toEqual(['page', 'page', 'page']);
    expect(tt.isBackedUp()).toBe(false);
    expect(tt.isPopulated()).toBe(true);
  });

  test('ttm_pool_backup: backup_fault_inject → only half of the pages are backed up', () => {
    const t = world();
    const { tt } = shrinkableTt(t, 5);
    t.global.poolMgr.backupFaultInject = 1;
    expect(backup(t, tt)).toBe(3);
    expect(slotKinds(tt)).toEqual(['handle', 'handle', 'handle', 'page', 'page']);
  });
});

describe('ttm_pool_restore_and_alloc', () => {
  test('ttm_pool_restore_and_alloc: partial backup (5 of 8) then restore → same content frame by frame, 5 handles dropped once, no frame lost', () => {
    const t = world({ swapPages: 5 });
    const ram = t.global.ram;
    const { tt, data } = shrinkableTt(t, 8, 'uncached');
    expect(backup(t, tt)).toBe(5);
    const drops = t.global.swap.drops;
    expect(runSync(t.env, ttmTtRestore(t.bdev, tt, intrCtx()))).toBe(0);
    expect(tt.isBackedUp()).toBe(false);
    expect(tt.restore).toBeNull();
    expect(contents(t, tt)).toEqual(data);
    expect(t.global.swap.drops - drops).toBe(5);
    expect(t.global.swap.usedPages).toBe(0);
    expect(ram.usedPages).toBe(8);
    for (const p of frames(tt)) expect(ram.getCaching(p)).toBe('uc');
    tt.pageFlags |= TTM_TT_FLAG_PRIV_POPULATED;
    ttmTtUnpopulate(t.bdev, tt);
    ttmPoolShrinkerScan(t.global.poolMgr, 1000);
    expect(ram.usedPages).toBe(0);
  });

  test('ttm_pool_restore_and_alloc: interrupted three times (signal during reads), resumed each time → one -EINTR per attempt, content intact, every handle dropped once', () => {
    const t = world();
    const swap = t.global.swap;
    // 15 pages: blocks of 8, 4, 2 and 1 pages when restored.
    const { tt, data } = shrinkableTt(t, 15);
    expect(backup(t, tt)).toBe(15);
    const results: number[] = [];
    const dropsAfter: number[] = [];
    for (const readsBeforeSignal of [3, 6, 4]) {
      swap.interruptAfterReads = readsBeforeSignal;
      results.push(restore(t, tt));
      dropsAfter.push(swap.drops);
      expect(tt.restore).not.toBeNull();
      expect(tt.isBackedUp()).toBe(true);
    }
    expect(results).toEqual([-EINTR, -EINTR, -EINTR]);
    // Each successful read dropped its handle at once: 3, then 3 + 6, then 9 + 4.
    expect(dropsAfter).toEqual([3, 9, 13]);
    expect(restore(t, tt)).toBe(0);
    expect(tt.restore).toBeNull();
    expect(swap.drops).toBe(15);
    expect(swap.usedPages).toBe(0);
    expect(contents(t, tt)).toEqual(data);
    expect(t.global.ram.usedPages).toBe(15);
  });

  test('ttm_pool_restore_and_alloc: -EINTR before the first page of a block → that block freed, allocated again on resume', () => {
    const t = world();
    const { tt, data } = shrinkableTt(t, 3);
    expect(backup(t, tt)).toBe(3);
    t.global.swap.interruptAfterReads = 2;
    expect(restore(t, tt)).toBe(-EINTR);
    // Block of 2 committed; the 1-page block was freed again.
    expect(tt.restore!.allocedPages).toBe(2);
    expect(t.global.ram.usedPages).toBe(2);
    expect(restore(t, tt)).toBe(0);
    expect(contents(t, tt)).toEqual(data);
  });

  test('ttm_pool_restore_and_alloc: interrupted inside the last block, resumed → 0, restore state dropped, block made uncached (fix of b63d715b8090)', () => {
    const t = world();
    const ram = t.global.ram;
    const { tt, data } = shrinkableTt(t, 2, 'uncached');
    expect(backup(t, tt)).toBe(2);
    t.global.swap.interruptAfterReads = 1;
    expect(restore(t, tt)).toBe(-EINTR);
    expect(restore(t, tt)).toBe(0);
    expect(contents(t, tt)).toEqual(data);
    expect(tt.restore).toBeNull();
    for (const p of frames(tt)) expect(ram.getCaching(p)).toBe('uc');
  });

  test('mutation pool-restore-stale-state: the state stays behind and the next restore after another backup reads nothing back', () => {
    const t = world();
    t.global.mutations = new Set([MUTATION_RESTORE_STALE_STATE]);
    const ram = t.global.ram;
    const { tt, data } = shrinkableTt(t, 2, 'uncached');
    expect(backup(t, tt)).toBe(2);
    t.global.swap.interruptAfterReads = 1;
    expect(restore(t, tt)).toBe(-EINTR);
    expect(restore(t, tt)).toBe(0);
    expect(contents(t, tt)).toEqual(data);
    expect(tt.restore).not.toBeNull();
    for (const p of frames(tt)) expect(ram.getCaching(p)).toBe('wb');
    // Populated again, backed up again: the stale state makes the restore a no-op.
    tt.pageFlags |= TTM_TT_FLAG_PRIV_POPULATED;
    tt.pageFlags &= ~TTM_TT_FLAG_BACKED_UP;
    expect(backup(t, tt)).toBe(2);
    expect(restore(t, tt)).toBe(0);
    expect(slotKinds(tt)).toEqual(['handle', 'handle']);
  });

  test('ttm_pool_restore_and_alloc: tt not BACKED_UP → -EINVAL', () => {
    const t = world();
    const { tt } = shrinkableTt(t, 1);
    expect(restore(t, tt)).toBe(-EINVAL);
  });

  test('ttm_pool_restore_and_alloc: restore state allocation fails → -ENOMEM, nothing changed; retry completes', () => {
    const t = world();
    const { tt, data } = shrinkableTt(t, 2);
    expect(backup(t, tt)).toBe(2);
    t.global.poolMgr.failNextRestoreAllocs = 1;
    expect(restore(t, tt)).toBe(-ENOMEM);
    expect(tt.restore).toBeNull();
    expect(slotKinds(tt)).toEqual(['handle', 'handle']);
    expect(restore(t, tt)).toBe(0);
    expect(contents(t, tt)).toEqual(data);
  });

  test('ttm_pool_restore_and_alloc: RAM exhausted mid-restore → -ENOMEM, restored part kept; resume once memory is back completes', () => {
    const t = world({ ramPages: 16 });
    const ram = t.global.ram;
    const { tt, data } = shrinkableTt(t, 6);
    expect(backup(t, tt)).toBe(6);
    // Leave room for one aligned 4-page block (frames 12-15) and nothing else.
    const hog: number[] = [];
    for (let p = ram.allocPages(0); p >= 0; p = ram.allocPages(0)) hog.push(p);
    for (const p of hog.slice(-4)) ram.freeBlock(p);
    const hogged = hog.slice(0, -4);
    const r = restore(t, tt);
    expect(r).toBe(-ENOMEM);
    const done = tt.restore!.allocedPages;
    expect(done).toBe(4);
    expect(slotKinds(tt).slice(4)).toEqual(['handle', 'handle']);
    for (const p of hogged) ram.freeBlock(p);
    expect(restore(t, tt)).toBe(0);
    expect(contents(t, tt)).toEqual(data);
    expect(t.global.swap.usedPages).toBe(0);
  });

  test('ttm_pool_restore_and_alloc: backup read error (-EIO) → -EIO, resumable', () => {
    const t = world();
    const { tt, data } = shrinkableTt(t, 4);
    expect(backup(t, tt)).toBe(4);
    t.global.swap.failReads.push(-EIO);
    expect(restore(t, tt)).toBe(-EIO);
    expect(restore(t, tt)).toBe(0);
    expect(contents(t, tt)).toEqual(data);
    expect(t.global.swap.drops).toBe(4);
  });

  test('ttm_pool_restore_and_alloc: purged tt → fresh pages, nothing read back', () => {
    const t = world();
    const { tt } = shrinkableTt(t, 3);
    expect(backup(t, tt, true)).toBe(3);
    expect(restore(t, tt)).toBe(0);
    expect(slotKinds(tt)).toEqual(['page', 'page', 'page']);
    expect(t.global.swap.drops).toBe(0);
  });
});

/** States a backed-up tt can be dropped in; each leaves `t` with a tt in that state. */
const dropStates: readonly { name: string; setup: (t: TestDevice, tt: Tt) => void }[] = [
  { name: 'fully backed up', setup: (t, tt) => expect(backup(t, tt)).toBe(8) },
  {
    name: 'partially backed up (handles and resident pages)',
    setup: (t, tt) => {
      t.global.poolMgr.backupFaultInject = 1;
      expect(backup(t, tt)).toBe(4);
    },
  },
  { name: 'purged', setup: (t, tt) => expect(backup(t, tt, true)).toBe(8) },
  {
    name: 'restore interrupted inside a block',
    setup: (t, tt) => {
      expect(backup(t, tt)).toBe(8);
      t.global.swap.interruptAfterReads = 3;
      expect(restore(t, tt)).toBe(-EINTR);
      expect(tt.restore!.restoredPages).toBe(3);
    },
  },
  {
    name: 'restore interrupted at a block start (block freed)',
    setup: (t, tt) => {
      expect(backup(t, tt)).toBe(8);
      t.global.swap.interruptAfterReads = 0;
      expect(restore(t, tt)).toBe(-EINTR);
    },
  },
  {
    name: 'restore with one block committed, then out of memory',
    setup: (t, tt) => {
      expect(backup(t, tt)).toBe(8);
      // No order-3 block: two order-2 blocks; a signal before the second one's first read.
      t.global.ram.failNextAllocs = 1;
      t.global.swap.interruptAfterReads = 4;
      expect(restore(t, tt)).toBe(-EINTR);
      expect(tt.restore!.allocedPages).toBe(4);
      t.global.ram.failNextAllocs = 100;
      expect(restore(t, tt)).toBe(-ENOMEM);
      t.global.ram.failNextAllocs = 0;
    },
  },
  {
    name: 'partially backed up, restore interrupted before its resident pages were copied',
    setup: (t, tt) => {
      t.global.poolMgr.backupFaultInject = 1;
      expect(backup(t, tt)).toBe(4);
      t.global.swap.interruptAfterReads = 2;
      expect(restore(t, tt)).toBe(-EINTR);
      expect(tt.restore!.restoredPages).toBe(2);
    },
  },
];

describe('ttm_pool_drop_backed_up', () => {
  for (const caching of ['cached', 'uncached'] as const) {
    for (const state of dropStates) {
      test(`ttm_pool_drop_backed_up: ${caching} tt ${state.name} → ttm_tt_fini frees every frame once, drops every handle once`, () => {
        const t = world();
        const ram = t.global.ram;
        const swap = t.global.swap;
        const { tt } = shrinkableTt(t, 8, caching);
        state.setup(t, tt);
        const handles = tt.pages!.filter((p) => p instanceof BackupHandle && p.handle !== 0).length;
        const dropsBefore = swap.drops;
        ttmTtFini(tt);
        expect(swap.drops - dropsBefore).toBe(handles);
        expect(swap.usedPages).toBe(0);
        expect(tt.restore).toBeNull();
        ttmPoolShrinkerScan(t.global.poolMgr, 1000);
        expect(ram.usedPages).toBe(0);
        for (let pfn = 1; pfn < ram.totalPages; pfn += 1) expect(ram.getCaching(pfn)).toBe('wb');
      });
    }
  }

  test('ttm_pool_drop_backed_up: called twice → the second call finds nothing left to free', () => {
    const t = world();
    const { tt } = shrinkableTt(t, 4);
    t.global.poolMgr.backupFaultInject = 1;
    expect(backup(t, tt)).toBe(2);
    ttmPoolDropBackedUp(tt);
    ttmPoolDropBackedUp(tt);
    expect(t.global.ram.usedPages).toBe(0);
    expect(t.global.swap.usedPages).toBe(0);
  });
});
