// Tests of the step oracles vma.pte-page (src/explore/oracles/vma.ts) and ww.wait-order
// (src/explore/oracles/ww_wait_list.ts): the hand-built amdgpu world passes both, and a hand-made state
// that breaks exactly one rule is named by it, with its actor and message.

import { describe, expect, test } from 'vitest';
import { checkAll, checkVmaPtes, checkWaitOrder } from '../../../src/explore/oracles/index.ts';
import { TTM_PL_VRAM } from '../../../src/kernel/constants.ts';
import { WwAcquireCtx, type WwWaiter } from '../../../src/kernel/ww_mutex.ts';
import { amdWorld } from './worlds.ts';

describe('vma.pte-page', () => {
  test('the faulted world holds; an iomem PTE of another page of the BO breaks it', () => {
    const w = amdWorld();
    expect(checkVmaPtes(w.global)).toBeNull();
    expect(checkAll([w.global])).toBeNull();
    // Page 2 mapped to aperture page 1: memory the BO owns (pte.ownership holds), but not page 2.
    w.vramVma.ptes.set(2, { kind: 'iomem', pfn: 1, memType: TTM_PL_VRAM, caching: 'cached' });
    const want = {
      oracle: 'vma.pte-page',
      kind: 'correctness',
      actor: 'bo:0',
      message: 'vma:0 page 2 maps aperture page 1, but page 2 of bo:0 is 2',
    };
    expect(checkVmaPtes(w.global)).toEqual(want);
    expect(checkAll([w.global])).toEqual(want);
  });

  test('a page PTE of another frame of the tt, a PTE past the VMA or the BO, a closed VMA', () => {
    const w = amdWorld();
    const frame1 = w.ttBo.ttm!.pages![1] as number;
    w.ttVma.ptes.set(0, { kind: 'page', pfn: frame1, memType: 1, caching: 'write_combined' });
    expect(checkVmaPtes(w.global)?.message).toBe(
      `vma:1 page 0 maps frame ${frame1}, but page 0 of bo:1 is ${w.ttBo.ttm!.pages![0]}`,
    );
    const v = amdWorld();
    v.ttVma.ptes.set(4, { kind: 'dummy', pfn: 9, memType: null, caching: 'cached' });
    expect(checkVmaPtes(v.global)?.message).toBe('vma:1 maps BO page 4, outside its pages 0..3');
    const u = amdWorld();
    u.vramVma.closed = true;
    expect(checkVmaPtes(u.global)?.message).toBe("vma:0 is closed but still on bo:0's mappings");
  });
});

describe('ww.wait-order', () => {
  const waiter = (task: string, stamp: number | null): WwWaiter => ({
    task,
    ctx: stamp === null ? null : new WwAcquireCtx(stamp, task),
    interruptible: false,
    wake: () => {},
  });

  test('enqueue keeps tickets oldest first among plain waiters; a younger ticket ahead breaks it', () => {
    const w = amdWorld();
    const lock = w.vramBo.resv.lock;
    expect(lock.trylock('task:holder')).toBe(true);
    lock.enqueue(waiter('task:c', 7));
    lock.enqueue(waiter('task:plain', null));
    lock.enqueue(waiter('task:b', 5));
    expect(lock.waiterTasks).toEqual(['task:b', 'task:c', 'task:plain']);
    expect(checkWaitOrder(w.global)).toBeNull();
    // A ticket queued at the tail behind younger ones, as a FIFO would.
    (lock.queued as WwWaiter[]).push(waiter('task:a', 3));
    const want = {
      oracle: 'ww.wait-order',
      kind: 'correctness',
      actor: 'task:a',
      message: `${lock.id}: task:a (ticket 3) waits behind task:c (younger ticket 7)`,
    };
    expect(checkWaitOrder(w.global)).toEqual(want);
    expect(checkAll([w.global])).toEqual(want);
  });
});
