// Tests of src/kernel/rules/move_counts.ts: a real validate and a real eviction count the BO's size (and
// one eviction for the eviction); hand-made counts that disagree with the rule break exactly it.

import { describe, expect, test } from 'vitest';
import { SwapSpace } from '../../../src/kernel/backup.ts';
import { newBufferObject, ttmBoInitValidate } from '../../../src/kernel/bo.ts';
import { PAGE_SIZE, TTM_PL_TT, TTM_PL_VRAM } from '../../../src/kernel/constants.ts';
import { TtmGlobal } from '../../../src/kernel/device.ts';
import { operationCtx, place, placementOf } from '../../../src/kernel/placement.ts';
import { Ram } from '../../../src/kernel/ram.ts';
import { checkMoveCounts, MOVE_COUNT_RULES, moveCounts } from '../../../src/kernel/rules/move_counts.ts';
import { KERNEL_RULES } from '../../../src/kernel/rules.ts';
import { createSimDevice } from '../../../src/kernel/simdrv.ts';
import { runSync, SyncEnv } from '../../../src/kernel/sync.ts';

function world() {
  const env = new SyncEnv();
  const global = new TtmGlobal(new Ram(256), new SwapSpace(64));
  const dev = createSimDevice(env, global, 'device:0', { vramBytes: 4 * PAGE_SIZE, ttBytes: 16 * PAGE_SIZE });
  const make = (pages: number, p = placementOf(place(TTM_PL_VRAM), place(TTM_PL_TT))) => {
    const bo = newBufferObject(dev.bdev, pages * PAGE_SIZE);
    expect(runSync(env, ttmBoInitValidate(dev.bdev, bo, 'device', p, 1, false, null))).toBe(0);
    return bo;
  };
  return { env, global, make };
}

describe('bo.move-mem.counts', () => {
  test('one return check with one-line upstream text, in KERNEL_RULES', () => {
    expect(MOVE_COUNT_RULES.map((r) => r.id)).toEqual(['bo.move-mem.counts']);
    expect(KERNEL_RULES).toContain(MOVE_COUNT_RULES[0]);
    for (const u of MOVE_COUNT_RULES[0]!.upstream) expect(u.text).not.toContain('\n');
  });

  test('a second VRAM-only BO of 3 pages in 4 pages of VRAM evicts the first to TT: 3 moves of 3 pages, one eviction', () => {
    const w = world();
    const a = w.make(3);
    const b = w.make(3, placementOf(place(TTM_PL_VRAM)));
    expect(a.resource?.memType).toBe(TTM_PL_TT);
    expect(b.resource?.memType).toBe(TTM_PL_VRAM);
    expect(w.global.counters.evictions).toBe(1);
    expect(w.global.counters.bytesMoved).toBe(9 * PAGE_SIZE);
    expect(w.global.ruleBroken).toBeNull();
  });

  test('a move that counts nothing, or an eviction not counted as one, breaks it', () => {
    const w = world();
    const a = w.make(1);
    const ctx = operationCtx();
    checkMoveCounts(a, false, ctx, moveCounts(a, ctx), 0);
    expect(w.global.ruleBroken?.rule.id).toBe('bo.move-mem.counts');
    expect(w.global.ruleBroken?.actor).toBe('bo:0');
    expect(w.global.ruleBroken?.message).toBe(
      "ttm_bo_handle_move_mem returning 0: ctx->bytes_moved and the world's bytes moved grew by the BO's size, its evictions by one exactly when the move evicts; an error counts nothing: returned 0 (not evicting, size 4096): ctx->bytes_moved +0, bytes moved +0, evictions +0",
    );
    const v = world();
    const b = v.make(1);
    const before = moveCounts(b, ctx);
    ctx.bytesMoved += PAGE_SIZE;
    v.global.counters.bytesMoved += PAGE_SIZE;
    checkMoveCounts(b, true, ctx, before, 0);
    expect(v.global.ruleBroken?.message).toContain(
      '(evicting, size 4096): ctx->bytes_moved +4096, bytes moved +4096, evictions +0',
    );
    const u = world();
    const c = u.make(1);
    const held = moveCounts(c, ctx);
    checkMoveCounts(c, false, ctx, held, -12);
    expect(u.global.ruleBroken).toBeNull();
  });
});
