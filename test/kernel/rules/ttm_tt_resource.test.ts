// Each rule of src/kernel/rules/ttm_tt.ts and ttm_resource.ts broken on purpose, alone.

import { describe, expect, test } from 'vitest';
import { ttmBoSetBulkMove } from '../../../src/kernel/bo.ts';
import {
  TTM_PL_SYSTEM,
  TTM_TT_FLAG_EXTERNAL_MAPPABLE,
  TTM_TT_FLAG_SWAPPED,
} from '../../../src/kernel/constants.ts';
import type { DeviceFuncs } from '../../../src/kernel/device.ts';
import { EINVAL } from '../../../src/kernel/errno.ts';
import { place } from '../../../src/kernel/placement.ts';
import { LruBulkMove, ttmLruBulkMoveTail, ttmResourceMoveToLruTail } from '../../../src/kernel/resource.ts';
import { ttmResourceDelBulkMoveUnevictable } from '../../../src/kernel/swap.ts';
import {
  ttmTtBackup,
  ttmTtCreate,
  ttmTtFini,
  ttmTtInit,
  ttmTtSetupBackup,
  ttmTtSwapin,
} from '../../../src/kernel/tt.ts';
import { kunitBo, PAGE_SIZE, ttmDevFuncs } from '../../kunit/fixtures.ts';
import { newTt, populate, world } from '../page_fixtures.ts';
import { expectBroken, placeBo } from './fixtures.ts';

/** A driver that makes EXTERNAL_MAPPABLE tts which are not EXTERNAL. */
const mappableFuncs: DeviceFuncs = {
  ...ttmDevFuncs,
  ttmTtCreate: (bo, pageFlags) => ttmTtInit(bo, pageFlags | TTM_TT_FLAG_EXTERNAL_MAPPABLE, 'cached', 0),
};

describe('ttm_tt.c', () => {
  test('tt.create.resv-held: ttm_tt_create for an unreserved BO', () => {
    const t = world();
    const bo = kunitBo(t, PAGE_SIZE);
    expect(ttmTtCreate(bo, true)).toBe(0);
    expectBroken(t.global, 'tt.create.resv-held', bo.id);
  });

  test('tt.create.mappable-is-external: the driver returns an EXTERNAL_MAPPABLE tt that is not EXTERNAL', () => {
    const t = world({ funcs: mappableFuncs });
    const bo = kunitBo(t, PAGE_SIZE);
    expect(bo.resv.trylock(t.env.current())).toBe(true);
    expect(ttmTtCreate(bo, true)).toBe(0);
    expectBroken(t.global, 'tt.create.mappable-is-external', bo.ttm!.id);
  });

  test('tt.fini.unpopulated: ttm_tt_fini of a populated tt', () => {
    const t = world();
    const { tt } = newTt(t, 2);
    expect(populate(t, tt)).toBe(0);
    ttmTtFini(tt);
    expectBroken(t.global, 'tt.fini.unpopulated', tt.id);
  });

  test('tt.swapin.storage: ttm_tt_swapin of a tt without swap storage → -EINVAL', () => {
    const t = world();
    const { tt } = newTt(t, 2);
    expect(ttmTtSwapin(tt)).toBe(-EINVAL);
    expectBroken(t.global, 'tt.swapin.storage', tt.id);
  });

  test('tt.backup.has-backup: ttm_tt_backup of a tt without a backup file → 0', () => {
    const t = world();
    const { tt } = newTt(t, 2);
    expect(ttmTtBackup(t.bdev, tt, { purge: false, writeback: false })).toBe(0);
    expectBroken(t.global, 'tt.backup.has-backup', tt.id);
  });

  test('tt.setup-backup.external-mappable: ttm_tt_setup_backup of a plain tt → -EINVAL', () => {
    const t = world();
    const { tt } = newTt(t, 2);
    expect(ttmTtSetupBackup(tt)).toBe(-EINVAL);
    expectBroken(t.global, 'tt.setup-backup.external-mappable', tt.id);
  });
});

describe('ttm_resource.c', () => {
  test('resource.bulk-move-tail.resv-held: ttm_lru_bulk_move_tail without the range resv', () => {
    const t = world();
    const bo = kunitBo(t, PAGE_SIZE);
    const bulk = new LruBulkMove();
    expect(bo.resv.trylock(t.env.current())).toBe(true);
    ttmBoSetBulkMove(bo, bulk);
    placeBo(bo, place(TTM_PL_SYSTEM));
    bo.resv.unlock();
    ttmLruBulkMoveTail(bulk);
    expectBroken(t.global, 'resource.bulk-move-tail.resv-held', bo.id);
  });

  test('resource.bulk-move-add.same-resv: two BOs with their own resvs in one bulk move', () => {
    const t = world();
    const bulk = new LruBulkMove();
    const [a, b] = [kunitBo(t, PAGE_SIZE), kunitBo(t, PAGE_SIZE)];
    for (const bo of [a, b]) {
      expect(bo.resv.trylock(t.env.current())).toBe(true);
      ttmBoSetBulkMove(bo, bulk);
    }
    placeBo(a, place(TTM_PL_SYSTEM));
    placeBo(b, place(TTM_PL_SYSTEM));
    expectBroken(t.global, 'resource.bulk-move-add.same-resv', b.id);
    expect(t.global.ruleBroken?.message).toBe(
      `every BO of one bulk-move range shares one reservation object: ${b.id}/resv joins a range of ${a.id}/resv`,
    );
  });

  test('resource.is-swapped.resv-held: the LRU bump of a swapped BO nobody reserved', () => {
    const t = world();
    const bo = kunitBo(t, PAGE_SIZE);
    expect(bo.resv.trylock(t.env.current())).toBe(true);
    expect(ttmTtCreate(bo, true)).toBe(0);
    const res = placeBo(bo, place(TTM_PL_SYSTEM));
    bo.resv.unlock();
    bo.ttm!.pageFlags |= TTM_TT_FLAG_SWAPPED;
    ttmResourceMoveToLruTail(res);
    expectBroken(t.global, 'resource.is-swapped.resv-held', bo.id);
  });

  test('resource.del-bulk-move-unevictable.unevictable: called for an evictable BO', () => {
    const t = world();
    const bo = kunitBo(t, PAGE_SIZE);
    expect(bo.resv.trylock(t.env.current())).toBe(true);
    ttmBoSetBulkMove(bo, new LruBulkMove());
    const res = placeBo(bo, place(TTM_PL_SYSTEM));
    ttmResourceDelBulkMoveUnevictable(res, bo);
    expectBroken(t.global, 'resource.del-bulk-move-unevictable.unevictable', bo.id);
  });
});
