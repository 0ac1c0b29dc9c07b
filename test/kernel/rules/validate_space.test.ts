// Tests of src/kernel/rules/validate_space.ts: real validates, evictions and bounces keep every rule;
// each rule breaks when handed exactly the outcome it forbids.

import { describe, expect, test } from 'vitest';
import { SwapSpace } from '../../../src/kernel/backup.ts';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitValidate,
  ttmBoPin,
  ttmBoReserve,
  ttmBoUnreserve,
  ttmBoValidate,
} from '../../../src/kernel/bo.ts';
import {
  PAGE_SIZE,
  TTM_PL_FLAG_CONTIGUOUS,
  TTM_PL_FLAG_FALLBACK,
  TTM_PL_SYSTEM,
  TTM_PL_TT,
  TTM_PL_VRAM,
} from '../../../src/kernel/constants.ts';
import { TtmGlobal } from '../../../src/kernel/device.ts';
import { EMULTIHOP, ENOSPC } from '../../../src/kernel/errno.ts';
import { operationCtx, type Placement, place, placementOf } from '../../../src/kernel/placement.ts';
import { Ram } from '../../../src/kernel/ram.ts';
import { wwAcquireInit } from '../../../src/kernel/resv.ts';
import {
  checkEvictMoved,
  checkMultihop,
  checkNothingLeft,
  checkSystemPlace,
  countTurns,
  VALIDATE_SPACE_RULES,
} from '../../../src/kernel/rules/validate_space.ts';
import { KERNEL_RULES } from '../../../src/kernel/rules.ts';
import { createSimDevice } from '../../../src/kernel/simdrv.ts';
import { runSync, SyncEnv } from '../../../src/kernel/sync.ts';
import { expectBroken, expectNoneBroken } from './fixtures.ts';

/** A device with 4 pages of VRAM and 4 of TT; `make` creates a BO validated into a placement. */
function world() {
  const env = new SyncEnv();
  const global = new TtmGlobal(new Ram(256), new SwapSpace(64));
  const dev = createSimDevice(env, global, 'device:0', { vramBytes: 4 * PAGE_SIZE, ttBytes: 4 * PAGE_SIZE });
  const make = (pages: number, p: Placement = placementOf(place(TTM_PL_VRAM))): BufferObject => {
    const bo = newBufferObject(dev.bdev, pages * PAGE_SIZE);
    expect(runSync(env, ttmBoInitValidate(dev.bdev, bo, 'device', p, 1, false, null))).toBe(0);
    return bo;
  };
  const validate = (bo: BufferObject, p: Placement): number => {
    expect(runSync(env, ttmBoReserve(bo, false, false, null))).toBe(0);
    const ret = runSync(env, ttmBoValidate(bo, p, operationCtx()));
    ttmBoUnreserve(bo);
    return ret;
  };
  return { env, global, dev, make, validate };
}

const DESCRIPTIONS = Object.fromEntries(VALIDATE_SPACE_RULES.map((r) => [r.id, r.description]));

describe('validate_space rules', () => {
  test('four return checks with one-line upstream text, in KERNEL_RULES', () => {
    expect(VALIDATE_SPACE_RULES.map((r) => r.id)).toEqual([
      'bo.evict-alloc.nothing-left',
      'bo.alloc.system-place',
      'bo.evict.moved-as-eviction',
      'bo.move-mem.multihop',
    ]);
    for (const r of VALIDATE_SPACE_RULES) {
      expect(r.when).toBe('return');
      expect(KERNEL_RULES).toContain(r);
      for (const u of r.upstream) expect(u.text).not.toContain('\n');
    }
  });

  test('countTurns passes values through and counts every scheduling point', () => {
    function* inner(): Generator<{ kind: 'yield'; label: string }, number, number> {
      const a = yield { kind: 'yield', label: 'x' };
      const b = yield { kind: 'yield', label: 'y' };
      return a + b;
    }
    const seen = { turns: 0 };
    const g = countTurns(inner() as never, seen);
    expect(g.next().done).toBe(false);
    expect(g.next(3).done).toBe(false);
    expect(g.next(4)).toEqual({ done: true, value: 7 });
    expect(seen.turns).toBe(2);
  });

  test('real runs keep them: an eviction into a full TT, a VRAM→SYSTEM bounce, a SYSTEM fallback, a contiguous pin', () => {
    const w = world();
    const a = w.make(3);
    const t = w.make(3, placementOf(place(TTM_PL_TT)));
    // b needs a's VRAM: a goes to TT (full: t goes to SYSTEM first, the evicting pass of mem_space).
    const b = w.make(3);
    expect(a.resource?.memType).toBe(TTM_PL_TT);
    expect(t.resource?.memType).toBe(TTM_PL_SYSTEM);
    expect(b.resource?.memType).toBe(TTM_PL_VRAM);
    // VRAM→SYSTEM answers -EMULTIHOP and bounces through TT.
    expect(w.validate(b, placementOf(place(TTM_PL_SYSTEM)))).toBe(0);
    expect(b.resource?.memType).toBe(TTM_PL_SYSTEM);
    // The bounce's TEMPORARY place in TT took a's room: a went to SYSTEM, the third eviction.
    expect(a.resource?.memType).toBe(TTM_PL_SYSTEM);
    expect(w.global.counters.evictions).toBe(3);
    expectNoneBroken(w.global);
    // A pinned contiguous BO fills VRAM: VRAM-or-SYSTEM falls back to SYSTEM.
    const v = world();
    const p = v.make(4, placementOf(place(TTM_PL_VRAM, TTM_PL_FLAG_CONTIGUOUS)));
    expect(runSync(v.env, ttmBoReserve(p, false, false, null))).toBe(0);
    ttmBoPin(p);
    ttmBoUnreserve(p);
    const c = v.make(1, placementOf(place(TTM_PL_TT)));
    expect(v.validate(c, placementOf(place(TTM_PL_VRAM), place(TTM_PL_SYSTEM, TTM_PL_FLAG_FALLBACK)))).toBe(
      0,
    );
    expect(c.resource?.memType).toBe(TTM_PL_SYSTEM);
    expectNoneBroken(v.global);
  });

  test('bo.evict-alloc.nothing-left: -EBUSY with an idle, unlocked, unpinned BO on the LRU breaks it', () => {
    const w = world();
    const a = w.make(3);
    const b = newBufferObject(w.dev.bdev, 3 * PAGE_SIZE);
    const vram = w.dev.vram;
    // Not judged after a scheduling point, with a dmem limit, or with the driver's own eviction_valuable.
    checkNothingLeft(b, vram, place(TTM_PL_VRAM), operationCtx(), 1, false, true);
    checkNothingLeft(b, vram, place(TTM_PL_VRAM), operationCtx(), 0, true, true);
    checkNothingLeft(b, vram, place(TTM_PL_VRAM), operationCtx(), 0, false, false);
    // Outside the place's range, or locked by someone: not takeable.
    checkNothingLeft(b, vram, place(TTM_PL_VRAM, 0, 3, 4), operationCtx(), 0, false, true);
    expect(a.resv.trylock('task:other')).toBe(true);
    checkNothingLeft(b, vram, place(TTM_PL_VRAM), operationCtx(), 0, false, true);
    a.resv.unlock();
    expectNoneBroken(w.global);
    checkNothingLeft(b, vram, place(TTM_PL_VRAM), operationCtx(), 0, false, true);
    expectBroken(w.global, 'bo.evict-alloc.nothing-left', b.id);
    expect(w.global.ruleBroken?.message).toBe(
      `${DESCRIPTIONS['bo.evict-alloc.nothing-left']}: ${a.id} (${a.resource!.id}, pages 0..2) is left on ${vram.id}'s LRU for ${b.id} at {type ${TTM_PL_VRAM}, fpfn 0, lpfn 0}`,
    );
  });

  test('bo.alloc.system-place: -ENOSPC with a SYSTEM place breaks it, unless no_wait_gpu or no SYSTEM place', () => {
    const w = world();
    const a = w.make(1);
    const sys = placementOf(place(TTM_PL_VRAM), place(TTM_PL_SYSTEM, TTM_PL_FLAG_FALLBACK));
    checkSystemPlace('ttm_bo_mem_space', a, sys, operationCtx({ noWaitGpu: true }), -ENOSPC);
    checkSystemPlace('ttm_bo_mem_space', a, placementOf(place(TTM_PL_VRAM)), operationCtx(), -ENOSPC);
    checkSystemPlace('ttm_bo_validate', a, sys, operationCtx(), 0);
    // Under a ww ticket an eviction walk's -EDEADLK comes back as -ENOSPC: not judged.
    const ticket = wwAcquireInit(w.env);
    expect(runSync(w.env, ttmBoReserve(a, false, false, ticket))).toBe(0);
    checkSystemPlace('ttm_bo_validate', a, sys, operationCtx(), -ENOSPC);
    ttmBoUnreserve(a);
    expectNoneBroken(w.global);
    checkSystemPlace('ttm_bo_mem_space', a, sys, operationCtx(), -ENOSPC);
    expectBroken(w.global, 'bo.alloc.system-place', a.id);
    expect(w.global.ruleBroken?.message).toBe(
      `${DESCRIPTIONS['bo.alloc.system-place']}: ttm_bo_mem_space returned -ENOSPC for ${a.id} with a SYSTEM place among {type ${TTM_PL_VRAM}, flags 0x0, fpfn 0, lpfn 0}, {type ${TTM_PL_SYSTEM}, flags 0x10, fpfn 0, lpfn 0}`,
    );
  });

  test('bo.evict.moved-as-eviction: another resource, or a move not counted as an eviction, breaks it', () => {
    const w = world();
    const a = w.make(1);
    const b = w.make(1);
    const evictions = w.global.counters.evictions;
    checkEvictMoved(a, a.resource!, evictions, -ENOSPC);
    expectNoneBroken(w.global);
    checkEvictMoved(a, b.resource!, evictions, 0);
    expectBroken(w.global, 'bo.evict.moved-as-eviction', a.id);
    expect(w.global.ruleBroken?.message).toBe(
      `${DESCRIPTIONS['bo.evict.moved-as-eviction']}: ${a.id} holds ${a.resource!.id}, not ${b.resource!.id} found for it`,
    );
    const v = world();
    const c = v.make(1);
    checkEvictMoved(c, c.resource!, v.global.counters.evictions, 0);
    expect(v.global.ruleBroken?.message).toBe(
      `${DESCRIPTIONS['bo.evict.moved-as-eviction']}: ${c.id} was moved without counting an eviction`,
    );
  });

  test('bo.move-mem.multihop: -EMULTIHOP that dropped the tt, or moved the BO, breaks it', () => {
    const w = world();
    const a = w.make(1);
    const s = w.make(1, placementOf(place(TTM_PL_SYSTEM)));
    expect(a.ttm).toBeNull();
    checkMultihop(a, s.resource!, a.resource, -ENOSPC);
    checkMultihop(s, a.resource!, s.resource, -EMULTIHOP);
    expectNoneBroken(w.global);
    checkMultihop(a, s.resource!, a.resource, -EMULTIHOP);
    expectBroken(w.global, 'bo.move-mem.multihop', a.id);
    expect(w.global.ruleBroken?.message).toBe(
      `${DESCRIPTIONS['bo.move-mem.multihop']}: ${a.id} lost its tt before the bounce to ${s.resource!.id}`,
    );
    const v = world();
    const c = v.make(1);
    const d = v.make(1);
    checkMultihop(c, d.resource!, d.resource, -EMULTIHOP);
    expect(v.global.ruleBroken?.message).toBe(
      `${DESCRIPTIONS['bo.move-mem.multihop']}: ${c.id} holds ${c.resource!.id}, not its old ${d.resource!.id}`,
    );
  });
});
