// Tests of src/kernel/rules/dma_resv_fences.ts: dma_resv_add_fence keeps, for a context, the later of the
// old and the new fence (dma-resv.add-fence.later).

import { describe, expect, test } from 'vitest';
import { DmaFence } from '../../../src/kernel/fence.ts';
import { DmaResvUsage } from '../../../src/kernel/resv.ts';
import { DMA_RESV_FENCE_RULES, postAddFenceSameContext } from '../../../src/kernel/rules/dma_resv_fences.ts';
import { KERNEL_RULES } from '../../../src/kernel/rules.ts';
import { kunitBo, PAGE_SIZE } from '../../kunit/fixtures.ts';
import { world } from '../page_fixtures.ts';
import { expectBroken, expectNoneBroken } from './fixtures.ts';

describe('dma-resv.add-fence.later', () => {
  test('a return check with one-line upstream text, in KERNEL_RULES', () => {
    expect(DMA_RESV_FENCE_RULES.map((r) => [r.id, r.when])).toEqual([['dma-resv.add-fence.later', 'return']]);
    for (const r of DMA_RESV_FENCE_RULES) {
      expect(KERNEL_RULES).toContain(r);
      for (const u of r.upstream) expect(u.text).not.toContain('\n');
    }
  });

  test('an older fence of a context added after a newer one: the resv keeps the newer', () => {
    const t = world();
    const bo = kunitBo(t, PAGE_SIZE);
    expect(bo.resv.trylock(t.env.current())).toBe(true);
    expect(bo.resv.reserveFences(1)).toBe(0);
    const newer = new DmaFence(901, 2);
    bo.resv.addFence(newer, DmaResvUsage.WRITE);
    bo.resv.addFence(new DmaFence(901, 1), DmaResvUsage.WRITE);
    expect(bo.resv.fencesFor(DmaResvUsage.BOOKKEEP)).toEqual([newer]);
    bo.resv.unlock();
    expectNoneBroken(t.global);
  });

  test('an unsignalled fence replaced by an older one of its context', () => {
    const t = world();
    const old = new DmaFence(901, 2);
    const signalled = new DmaFence(901, 3);
    signalled.signal();
    // A later fence, or a signalled old one, may take the slot.
    postAddFenceSameContext(t.global, 'bo:0/resv', old, new DmaFence(901, 2));
    postAddFenceSameContext(t.global, 'bo:0/resv', old, new DmaFence(901, 5));
    postAddFenceSameContext(t.global, 'bo:0/resv', signalled, new DmaFence(901, 1));
    expectNoneBroken(t.global);
    postAddFenceSameContext(t.global, 'bo:0/resv', old, new DmaFence(901, 1));
    expectBroken(t.global, 'dma-resv.add-fence.later', 'bo:0/resv');
    expect(t.global.ruleBroken?.message).toContain('fence:901.2 was replaced by the older fence:901.1');
  });
});
