// Tests of bo.vma-offset.manager (src/kernel/rules/vma_offset.ts): ttm_bo_init_reserved adds a device or
// sg BO's mmap offset to its device's vma offset manager and ttm_bo_release removes it, both through the
// manager ttm_device_init stored.

import { describe, expect, test } from 'vitest';
import { newBufferObject, ttmBoInitReserved, ttmBoPut } from '../../../src/kernel/bo.ts';
import { PAGE_SIZE, TTM_PL_SYSTEM, TTM_PL_VRAM } from '../../../src/kernel/constants.ts';
import { operationCtx, place, placementOf } from '../../../src/kernel/placement.ts';
import { checkVmaOffsetManager, VMA_OFFSET_RULES } from '../../../src/kernel/rules/vma_offset.ts';
import { KERNEL_RULES } from '../../../src/kernel/rules.ts';
import { placedBo, run, simWorld } from '../fault_fixtures.ts';
import { expectBroken, expectNoneBroken } from './fixtures.ts';

describe('bo.vma-offset.manager', () => {
  test('one rule with two upstream lines, in KERNEL_RULES', () => {
    expect(VMA_OFFSET_RULES.map((r) => [r.id, r.when, r.upstream.length])).toEqual([
      ['bo.vma-offset.manager', 'return', 2],
    ]);
    expect(KERNEL_RULES.includes(VMA_OFFSET_RULES[0]!)).toBe(true);
  });

  test('device BOs get an offset node on init and give it back on release: the rule holds', () => {
    const w = simWorld();
    const man = w.dev.bdev.vmaManager!;
    const before = man.nodes;
    const a = placedBo(w, 2, TTM_PL_VRAM);
    const b = placedBo(w, 3, TTM_PL_SYSTEM);
    expect([a.vmaNode, b.vmaNode, man.nodes - before]).toEqual([true, true, 2]);
    run(w, ttmBoPut(a));
    run(w, ttmBoPut(b));
    expect([a.vmaNode, b.vmaNode, man.nodes - before]).toEqual([false, false, 0]);
    expectNoneBroken(w.global);
  });

  test('a kernel BO gets no offset node and is not judged', () => {
    const w = simWorld();
    w.dev.bdev.vmaManager = null;
    const bo = newBufferObject(w.dev.bdev, 2 * PAGE_SIZE);
    const ret = run(
      w,
      ttmBoInitReserved(
        w.dev.bdev,
        bo,
        'kernel',
        placementOf(place(TTM_PL_SYSTEM)),
        1,
        operationCtx(),
        null,
        null,
        null,
      ),
    );
    expect([ret, bo.vmaNode]).toEqual([0, false]);
    expectNoneBroken(w.global);
  });

  test('a device BO created on a device without its vma offset manager breaks it', () => {
    const w = simWorld();
    w.dev.bdev.vmaManager = null;
    const bo = newBufferObject(w.dev.bdev, 2 * PAGE_SIZE);
    run(
      w,
      ttmBoInitReserved(
        w.dev.bdev,
        bo,
        'device',
        placementOf(place(TTM_PL_SYSTEM)),
        1,
        operationCtx(),
        null,
        null,
        null,
      ),
    );
    expectBroken(w.global, 'bo.vma-offset.manager', bo.id);
    expect(w.global.ruleBroken?.message).toBe(
      `a device or sg BO's mmap offset is added to and removed from its device's vma offset manager, which ttm_device_init stored: drm_vma_offset_add of ${bo.id} on device:0, whose vma offset manager is NULL`,
    );
  });

  test('the release side: removing the node of a BO whose device lost its manager breaks it', () => {
    const w = simWorld();
    const bo = placedBo(w, 2, TTM_PL_SYSTEM);
    expect(checkVmaOffsetManager(w.dev.bdev, bo.id, 'remove')).toBe(true);
    expectNoneBroken(w.global);
    w.dev.bdev.vmaManager = null;
    run(w, ttmBoPut(bo));
    expectBroken(w.global, 'bo.vma-offset.manager', bo.id);
    expect(w.global.ruleBroken?.message).toBe(
      `a device or sg BO's mmap offset is added to and removed from its device's vma offset manager, which ttm_device_init stored: drm_vma_offset_remove of ${bo.id} on device:0, whose vma offset manager is NULL`,
    );
  });
});
