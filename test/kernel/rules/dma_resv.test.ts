// Tests of src/kernel/rules/dma_resv.ts: the rules of drivers/dma-buf/dma-resv.c that TTM and its drivers
// are held to when they put fences on a BO. Each rule holds for a correct sequence (lock, reserve, add) and
// is recorded as the world's first broken rule, with its id and the resv as actor, when broken alone.

import { describe, expect, test } from 'vitest';
import { DmaFence } from '../../../src/kernel/fence.ts';
import { DmaResvUsage } from '../../../src/kernel/resv.ts';
import { DMA_RESV_RULES } from '../../../src/kernel/rules/dma_resv.ts';
import { KERNEL_RULES } from '../../../src/kernel/rules.ts';
import { kunitBo, PAGE_SIZE } from '../../kunit/fixtures.ts';
import { world } from '../page_fixtures.ts';
import { expectBroken, expectNoneBroken } from './fixtures.ts';

describe('DMA_RESV_RULES', () => {
  test('three call checks with one-line upstream text, all in KERNEL_RULES', () => {
    expect(DMA_RESV_RULES.map((r) => r.id)).toEqual([
      'dma-resv.reserve-fences.held',
      'dma-resv.add-fence.held',
      'dma-resv.add-fence.slot',
    ]);
    for (const r of DMA_RESV_RULES) {
      expect(r.when).toBe('call');
      expect(KERNEL_RULES).toContain(r);
      for (const u of r.upstream) expect(u.text).not.toContain('\n');
    }
  });
});

describe('dma-resv rules', () => {
  test('lock, reserve, add, add of the same context, unlock: every rule holds', () => {
    const t = world();
    const bo = kunitBo(t, PAGE_SIZE);
    expect(bo.resv.trylock(t.env.current())).toBe(true);
    expect(bo.resv.reserveFences(1)).toBe(0);
    bo.resv.addFence(new DmaFence(901, 1), DmaResvUsage.WRITE);
    // A later fence of the same context takes the earlier one's place: no slot needed.
    bo.resv.addFence(new DmaFence(901, 2), DmaResvUsage.WRITE);
    bo.resv.unlock();
    expectNoneBroken(t.global);
  });

  test('dma-resv.reserve-fences.held: a reservation by a task that does not hold the resv', () => {
    const t = world();
    const bo = kunitBo(t, PAGE_SIZE);
    expect(bo.resv.trylock('task:other')).toBe(true);
    expect(bo.resv.reserveFences(1)).toBe(0);
    expectBroken(t.global, 'dma-resv.reserve-fences.held', bo.resv.id);
  });

  test('dma-resv.add-fence.held: a fence added to an unlocked resv', () => {
    const t = world();
    const bo = kunitBo(t, PAGE_SIZE);
    bo.resv.addFence(new DmaFence(901, 1), DmaResvUsage.WRITE);
    expectBroken(t.global, 'dma-resv.add-fence.held', bo.resv.id);
  });

  test('dma-resv.add-fence.slot: a second new fence on one reservation, and one after the resv was unlocked and locked again', () => {
    const t = world();
    const bo = kunitBo(t, PAGE_SIZE);
    const me = t.env.current();
    expect(bo.resv.trylock(me)).toBe(true);
    expect(bo.resv.reserveFences(1)).toBe(0);
    bo.resv.addFence(new DmaFence(901, 1), DmaResvUsage.WRITE);
    bo.resv.addFence(new DmaFence(902, 1), DmaResvUsage.READ);
    expectBroken(t.global, 'dma-resv.add-fence.slot', bo.resv.id);
    expect(t.global.ruleBroken?.message).toContain('fence:902.1 added with no slot reserved');

    const v = world();
    const b = kunitBo(v, PAGE_SIZE);
    expect(b.resv.trylock(v.env.current())).toBe(true);
    expect(b.resv.reserveFences(2)).toBe(0);
    b.resv.unlock();
    expect(b.resv.trylock(v.env.current())).toBe(true);
    b.resv.addFence(new DmaFence(903, 1), DmaResvUsage.WRITE);
    expectBroken(v.global, 'dma-resv.add-fence.slot', b.resv.id);
  });
});
