// Tests of src/kernel/rules/pool_backup_busy.ts: ttm_pool_backup refuses with -EBUSY exactly when there
// is no swap space for a backup (not a purge) or the pool allocates coherent DMA memory (pool.backup.busy).

import { describe, expect, test } from 'vitest';
import { EBUSY, ENOSPC } from '../../../src/kernel/errno.ts';
import {
  backupRefused,
  POOL_BACKUP_BUSY_RULES,
  postPoolBackupBusy,
} from '../../../src/kernel/rules/pool_backup_busy.ts';
import { KERNEL_RULES } from '../../../src/kernel/rules.ts';
import { ttmTtBackup } from '../../../src/kernel/tt.ts';
import { shrinkableTt, world } from '../page_fixtures.ts';
import { expectBroken, expectNoneBroken } from './fixtures.ts';

describe('pool.backup.busy', () => {
  test('a return check with one-line upstream text, in KERNEL_RULES', () => {
    expect(POOL_BACKUP_BUSY_RULES.map((r) => [r.id, r.when])).toEqual([['pool.backup.busy', 'return']]);
    for (const r of POOL_BACKUP_BUSY_RULES) {
      expect(KERNEL_RULES).toContain(r);
      for (const u of r.upstream) expect(u.text).not.toContain('\n');
    }
  });

  test('refused: no swap space for a backup, or a DMA-alloc pool; a purge never for want of swap', () => {
    expect(backupRefused(0, false, false)).toBe(true);
    expect(backupRefused(0, true, false)).toBe(false);
    expect(backupRefused(4096, false, false)).toBe(false);
    expect(backupRefused(4096, true, true)).toBe(true);
  });

  test('ttm_tt_backup with no swap space: -EBUSY, the tt keeps its pages, the rule holds', () => {
    const t = world({ swapPages: 0 });
    const { bo, tt } = shrinkableTt(t, 4);
    expect(ttmTtBackup(bo.bdev, tt, { purge: false, writeback: false })).toBe(-EBUSY);
    expect(tt.isPopulated()).toBe(true);
    expectNoneBroken(t.global);
  });

  test('-EBUSY with swap space left, and a backup that went ahead where it had to refuse', () => {
    const t = world();
    postPoolBackupBusy(t.global, 'tt:4', false, 4);
    postPoolBackupBusy(t.global, 'tt:4', true, -EBUSY);
    expectNoneBroken(t.global);
    postPoolBackupBusy(t.global, 'tt:4', false, -EBUSY);
    expectBroken(t.global, 'pool.backup.busy', 'tt:4');
    expect(t.global.ruleBroken?.message).toContain('it returned -EBUSY with swap space left');
    const u = world();
    postPoolBackupBusy(u.global, 'tt:5', true, -ENOSPC);
    expectBroken(u.global, 'pool.backup.busy', 'tt:5');
    expect(u.global.ruleBroken?.message).toContain('it returned -ENOSPC where it had to refuse with -EBUSY');
  });
});
