// Tests of src/kernel/rules/errno_waits.ts (dma-resv.wait-timeout.returns: what dma_resv_wait_timeout may
// answer; bo.wait-free-node.post: ttm_bo_wait_free_node frees only behind an idle BO). Real waits on one thread give the answers the kerneldoc lists (a signalled set, a timed wait
// that runs out, a signal); an answer outside the list breaks exactly that rule, with its id, actor and
// message.

import { describe, expect, test } from 'vitest';
import { EBUSY, EIO, ERESTARTSYS } from '../../../src/kernel/errno.ts';
import { DmaFence } from '../../../src/kernel/fence.ts';
import { DmaResvUsage, dmaResvWaitTimeout } from '../../../src/kernel/resv.ts';
import {
  checkWaitFreeNode,
  checkWaitReturn,
  ERRNO_WAIT_RULES,
  waitAnswerProblem,
  waitFreeNodeProblem,
} from '../../../src/kernel/rules/errno_waits.ts';
import { KERNEL_RULES } from '../../../src/kernel/rules.ts';
import { runSync } from '../../../src/kernel/sync.ts';
import { xeWorld } from '../../explore/oracles/worlds.ts';
import { kunitBo, PAGE_SIZE } from '../../kunit/fixtures.ts';
import { world } from '../page_fixtures.ts';

const PREFIX =
  'dma_resv_wait_timeout returns more than zero when the fences signalled, 0 only for a wait with a timeout that ran out, -ERESTARTSYS only for an interruptible wait, nothing else';

describe('ERRNO_WAIT_RULES', () => {
  test('two return checks (dma_resv_wait_timeout, ttm_bo_wait_free_node), in KERNEL_RULES', () => {
    expect(ERRNO_WAIT_RULES.map((r) => r.id)).toEqual([
      'dma-resv.wait-timeout.returns',
      'bo.wait-free-node.post',
    ]);
    expect(ERRNO_WAIT_RULES[1]!.when).toBe('return');
    expect(KERNEL_RULES).toContain(ERRNO_WAIT_RULES[1]);
    expect(ERRNO_WAIT_RULES[0]!.when).toBe('return');
    expect(KERNEL_RULES).toContain(ERRNO_WAIT_RULES[0]);
    expect(ERRNO_WAIT_RULES[0]!.upstream.map((u) => [u.file, u.func])).toEqual([
      ['drivers/dma-buf/dma-resv.c', 'dma_resv_wait_timeout'],
      ['drivers/dma-buf/dma-resv.c', 'dma_resv_wait_timeout'],
    ]);
  });
});

describe('dma-resv.wait-timeout.returns', () => {
  test('real waits on one thread: a timed wait that runs out is 0, a signal is -ERESTARTSYS, a signalled fence is 1; the rule holds', () => {
    const t = world();
    const bo = kunitBo(t, PAGE_SIZE);
    const before = ERRNO_WAIT_RULES[0]!.evaluations[0]!;
    expect(bo.resv.trylock(t.env.current())).toBe(true);
    expect(bo.resv.reserveFences(1)).toBe(0);
    const fence = new DmaFence(t.env.nextId('fence-ctx') + 100, 1);
    bo.resv.addFence(fence, DmaResvUsage.WRITE);
    expect(runSync(t.env, dmaResvWaitTimeout(bo.resv, DmaResvUsage.BOOKKEEP, false, 15_000))).toBe(0);
    expect(
      runSync(t.env, dmaResvWaitTimeout(bo.resv, DmaResvUsage.BOOKKEEP, true, null), { signalPending: true }),
    ).toBe(-ERESTARTSYS);
    expect(
      runSync(t.env, dmaResvWaitTimeout(bo.resv, DmaResvUsage.BOOKKEEP, false, null), {
        onFenceWait: (fs) => {
          for (const f of fs) f.signal();
        },
      }),
    ).toBe(1);
    expect(t.global.ruleBroken).toBeNull();
    expect(ERRNO_WAIT_RULES[0]!.evaluations[0]! - before).toBe(3);
  });

  test('each answer against the wait it answers', () => {
    expect(waitAnswerProblem(1, false, null)).toBe('');
    expect(waitAnswerProblem(0, false, 15_000)).toBe('');
    expect(waitAnswerProblem(-ERESTARTSYS, true, null)).toBe('');
    expect(waitAnswerProblem(0, true, null)).toBe('timed out (0), but the wait had no timeout');
    expect(waitAnswerProblem(-ERESTARTSYS, false, 15_000)).toBe(
      'interrupted (-ERESTARTSYS), but the wait was uninterruptible',
    );
    expect(waitAnswerProblem(-1, false, 15_000)).toBe('returned -1');
  });

  test('a timed wait answered -EIO (no wait answers that) breaks it', () => {
    const t = world();
    const bo = kunitBo(t, PAGE_SIZE);
    expect(checkWaitReturn(t.global, bo.resv.id, false, 15_000, -EIO)).toBe(-EIO);
    expect(t.global.ruleBroken?.rule.id).toBe('dma-resv.wait-timeout.returns');
    expect(t.global.ruleBroken?.actor).toBe(bo.resv.id);
    expect(t.global.ruleBroken?.message).toBe(`${PREFIX}: returned -EIO`);
  });
});

const FREE_NODE =
  "ttm_bo_wait_free_node frees the BO's old resource only once the BO is idle: returning 0 it leaves every fence of the BO signalled and the old resource freed, returning an error (a wait that timed out is -EBUSY) it leaves the BO holding its old resource";

describe('bo.wait-free-node.post', () => {
  test('an idle BO whose resource was freed holds for 0; a BO still holding it holds for -EBUSY', () => {
    const w = xeWorld();
    const old = w.bo.resource!;
    expect(waitFreeNodeProblem(w.bo, old, -EBUSY)).toBe('');
    expect(waitFreeNodeProblem(w.bo, old, 0)).toBe(`returned 0 with ${old.id} not freed`);
    old.freed = true;
    expect(waitFreeNodeProblem(w.bo, old, 0)).toBe('');
    expect(waitFreeNodeProblem(w.bo, old, -EBUSY)).toBe(
      `returned -EBUSY but the BO no longer holds ${old.id}`,
    );
    expect(w.global.ruleBroken).toBeNull();
  });

  test('0 from a BO whose fences have not signalled (the timed-out wait taken as success) breaks it', () => {
    const w = xeWorld();
    const bo = w.bo;
    const old = bo.resource!;
    expect(bo.resv.trylock(w.env.current())).toBe(true);
    expect(bo.resv.reserveFences(1)).toBe(0);
    bo.resv.addFence(new DmaFence(w.env.nextId('fence-ctx') + 100, 1), DmaResvUsage.KERNEL);
    old.freed = true;
    expect(checkWaitFreeNode(bo, old, 0)).toBe(0);
    expect(w.global.ruleBroken?.rule.id).toBe('bo.wait-free-node.post');
    expect(w.global.ruleBroken?.actor).toBe(bo.id);
    expect(w.global.ruleBroken?.message).toBe(`${FREE_NODE}: returned 0 with fences of the BO unsignalled`);
  });
});
