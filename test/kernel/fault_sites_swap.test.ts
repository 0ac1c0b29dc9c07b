// Fault sites on the swap and backup paths: shmem file creation (legacy swapout, the per-tt backup
// file), page I/O of the legacy swap file (ttm_tt_swapout / ttm_tt_swapin), the restore state's kzalloc
// and the reads of backed-up pages. Each fired fault takes the kernel's error path with its errno; every
// test checks what that path undid and that the operation succeeds once the fault is gone.

import { describe, expect, test } from 'vitest';
import { newBufferObject, ttmBoInitValidate } from '../../src/kernel/bo.ts';
import {
  PAGE_SIZE,
  TTM_PL_SYSTEM,
  TTM_TT_FLAG_EXTERNAL,
  TTM_TT_FLAG_EXTERNAL_MAPPABLE,
  TTM_TT_FLAG_SWAPPED,
} from '../../src/kernel/constants.ts';
import { ENOMEM } from '../../src/kernel/errno.ts';
import { place, placementOf } from '../../src/kernel/placement.ts';
import { runSync } from '../../src/kernel/sync.ts';
import { ttmTtBackup, ttmTtRestore, ttmTtSetupBackup, ttmTtSwapout } from '../../src/kernel/tt.ts';
import { faultPlan, run, simWorld } from './fault_fixtures.ts';
import { contents, fill, intrCtx, newTt, populate, shrinkableTt, world } from './page_fixtures.ts';

describe("fault site 'shmem.create' (shmem_file_setup)", () => {
  test('ttm_tt_swapout: no swap file → -ENOMEM; the tt stays populated with its content, no swap slot used', () => {
    const t = world();
    const { bo, tt } = newTt(t, 3);
    expect(populate(t, tt)).toBe(0);
    const data = fill(t, tt, bo.id);
    const log = faultPlan(t.global, { 'shmem.create': [1] });
    expect(ttmTtSwapout(t.bdev, tt)).toBe(-ENOMEM);
    expect(log).toEqual(['shmem.create#1 tt:0 FAIL']);
    expect(tt.isPopulated()).toBe(true);
    expect(tt.swapStorage).toBeNull();
    expect(contents(t, tt)).toEqual(data);
    expect(t.global.swap.usedPages).toBe(0);
    expect(t.global.ttmPagesAllocated).toBe(3);
    expect(ttmTtSwapout(t.bdev, tt)).toBe(3);
  });

  test('ttm_tt_setup_backup: no backup file → -ENOMEM, the tt keeps none', () => {
    const t = world();
    const { tt } = newTt(t, 2, 'cached', TTM_TT_FLAG_EXTERNAL | TTM_TT_FLAG_EXTERNAL_MAPPABLE);
    faultPlan(t.global, { 'shmem.create': [1] });
    expect(ttmTtSetupBackup(tt)).toBe(-ENOMEM);
    expect(tt.backup).toBeNull();
    expect(ttmTtSetupBackup(tt)).toBe(0);
    expect(tt.backup).not.toBeNull();
  });

  test('xe_ttm_tt_create: the backup file cannot be set up → the callback returns NULL → ttm_bo_init_validate -ENOMEM, the BO destroyed', () => {
    const w = simWorld('xe');
    const bo = newBufferObject(w.dev.bdev, 2 * PAGE_SIZE);
    const log = faultPlan(w.global, { 'shmem.create': [1] });
    const sys = placementOf(place(TTM_PL_SYSTEM));
    expect(run(w, ttmBoInitValidate(w.dev.bdev, bo, 'device', sys, 1, true, null))).toBe(-ENOMEM);
    expect(log).toEqual([
      'resv.reserve#1 bo:0',
      'resource.alloc#1 bo:0',
      'tt.create#1 bo:0',
      'shmem.create#1 tt:0 FAIL',
    ]);
    expect(bo.destroyed).toBe(true);
    expect(w.dev.bdev.manager(TTM_PL_SYSTEM)!.usage).toBe(0);
  });
});

describe("fault site 'swapout.write' (shmem_read_mapping_page_gfp in ttm_tt_swapout)", () => {
  test('4-page tt, the 3rd page cannot be written → -ENOMEM; the swap file released, the tt populated and intact', () => {
    const t = world();
    const { bo, tt } = newTt(t, 4);
    expect(populate(t, tt)).toBe(0);
    const data = fill(t, tt, bo.id);
    const log = faultPlan(t.global, { 'swapout.write': [3] });
    expect(ttmTtSwapout(t.bdev, tt)).toBe(-ENOMEM);
    expect(log).toEqual([
      'shmem.create#1 tt:0',
      'swapout.write#1 tt:0',
      'swapout.write#2 tt:0',
      'swapout.write#3 tt:0 FAIL',
    ]);
    expect(t.global.swap.usedPages).toBe(0);
    expect(tt.isPopulated()).toBe(true);
    expect(tt.pageFlags & TTM_TT_FLAG_SWAPPED).toBe(0);
    expect(contents(t, tt)).toEqual(data);
  });
});

describe("fault site 'swapin.read' (shmem_read_mapping_page_gfp in ttm_tt_swapin)", () => {
  test('swapped 4-page tt, the 2nd page cannot be read → -ENOMEM; unpopulated again, still SWAPPED with its file, pages and accounting given back; then 0, content intact', () => {
    const t = world();
    const { bo, tt } = newTt(t, 4);
    expect(populate(t, tt)).toBe(0);
    const data = fill(t, tt, bo.id);
    expect(ttmTtSwapout(t.bdev, tt)).toBe(4);
    const storage = tt.swapStorage;
    const log = faultPlan(t.global, { 'swapin.read': [2] });
    expect(populate(t, tt)).toBe(-ENOMEM);
    expect(log).toEqual(['page.alloc#1 tt:0', 'swapin.read#1 tt:0', 'swapin.read#2 tt:0 FAIL']);
    expect(tt.isPopulated()).toBe(false);
    expect(tt.pageFlags & TTM_TT_FLAG_SWAPPED).toBe(TTM_TT_FLAG_SWAPPED);
    expect(tt.swapStorage).toBe(storage);
    expect(t.global.swap.usedPages).toBe(4);
    expect(t.global.ttmPagesAllocated).toBe(0);
    expect(t.global.poolMgr.allocatedPages).toBe(0);
    expect(populate(t, tt)).toBe(0);
    expect(contents(t, tt)).toEqual(data);
    expect(t.global.swap.usedPages).toBe(0);
  });
});

describe("fault site 'restore.alloc' (kzalloc of the restore state in ttm_pool_restore_and_alloc)", () => {
  test('backed-up 4-page tt → -ENOMEM before any page is allocated; still BACKED_UP with every handle; then 0, content intact', () => {
    const t = world();
    const { tt, data } = shrinkableTt(t, 4);
    expect(ttmTtBackup(t.bdev, tt, { purge: false, writeback: false })).toBe(4);
    const ram = t.global.ram.usedPages;
    const log = faultPlan(t.global, { 'restore.alloc': [1] });
    expect(runSync(t.env, ttmTtRestore(t.bdev, tt, intrCtx()))).toBe(-ENOMEM);
    expect(log).toEqual(['restore.alloc#1 tt:0 FAIL']);
    expect(tt.restore).toBeNull();
    expect(tt.isBackedUp()).toBe(true);
    expect(t.global.swap.usedPages).toBe(4);
    expect(t.global.ram.usedPages).toBe(ram);
    expect(runSync(t.env, ttmTtRestore(t.bdev, tt, intrCtx()))).toBe(0);
    expect(contents(t, tt)).toEqual(data);
  });
});

describe("fault site 'backup.read' (shmem_read_folio_gfp in ttm_backup_copy_page)", () => {
  test('4-page restore, the 3rd page cannot be read → -ENOMEM, two pages restored and their handles dropped, state kept; resumed → 0, content intact, every handle dropped once', () => {
    const t = world();
    const swap = t.global.swap;
    const { tt, data } = shrinkableTt(t, 4);
    expect(ttmTtBackup(t.bdev, tt, { purge: false, writeback: false })).toBe(4);
    const log = faultPlan(t.global, { 'backup.read': [3] });
    expect(runSync(t.env, ttmTtRestore(t.bdev, tt, intrCtx()))).toBe(-ENOMEM);
    expect(log.filter((l) => l.startsWith('backup.read'))).toEqual([
      'backup.read#1 tt:0',
      'backup.read#2 tt:0',
      'backup.read#3 tt:0 FAIL',
    ]);
    expect(tt.restore!.restoredPages).toBe(2);
    expect(tt.isBackedUp()).toBe(true);
    expect(swap.usedPages).toBe(2);
    expect(swap.drops).toBe(2);
    expect(runSync(t.env, ttmTtRestore(t.bdev, tt, intrCtx()))).toBe(0);
    expect(contents(t, tt)).toEqual(data);
    expect(swap.usedPages).toBe(0);
    expect(swap.drops).toBe(4);
  });
});
