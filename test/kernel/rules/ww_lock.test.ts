// Tests of src/kernel/rules/ww_lock.ts: dma_resv_lock returns only what dma-resv.h documents
// (dma-resv.lock.returns).

import { describe, expect, test } from 'vitest';
import { EALREADY, EBUSY, EDEADLK, EINTR } from '../../../src/kernel/errno.ts';
import { dmaResvLock, wwAcquireInit } from '../../../src/kernel/resv.ts';
import { postResvLock, WW_LOCK_RULES } from '../../../src/kernel/rules/ww_lock.ts';
import { KERNEL_RULES } from '../../../src/kernel/rules.ts';
import { runSync } from '../../../src/kernel/sync.ts';
import { kunitBo, PAGE_SIZE } from '../../kunit/fixtures.ts';
import { world } from '../page_fixtures.ts';
import { expectBroken, expectNoneBroken } from './fixtures.ts';

describe('dma-resv.lock.returns', () => {
  test('a return check with one-line upstream text, in KERNEL_RULES', () => {
    expect(WW_LOCK_RULES.map((r) => [r.id, r.when])).toEqual([['dma-resv.lock.returns', 'return']]);
    for (const r of WW_LOCK_RULES) {
      expect(KERNEL_RULES).toContain(r);
      for (const u of r.upstream) expect(u.text).not.toContain('\n');
    }
  });

  test('a lock with a ticket, then the same ticket again: 0, then -EALREADY; the rule holds', () => {
    const t = world();
    const bo = kunitBo(t, PAGE_SIZE);
    const ticket = wwAcquireInit(t.env);
    expect(runSync(t.env, dmaResvLock(bo.resv, ticket, true))).toBe(0);
    expect(runSync(t.env, dmaResvLock(bo.resv, ticket, true))).toBe(-EALREADY);
    bo.resv.unlock();
    expectNoneBroken(t.global);
  });

  test('the documented returns hold for their arguments; anything else, or one out of place, breaks it', () => {
    const t = world();
    postResvLock(t.global, 'bo:1/resv', 0, false, false, false);
    postResvLock(t.global, 'bo:1/resv', -EDEADLK, true, true, false);
    postResvLock(t.global, 'bo:1/resv', -EINTR, true, true, false);
    postResvLock(t.global, 'bo:1/resv', -EALREADY, true, false, true);
    expectNoneBroken(t.global);
    postResvLock(t.global, 'bo:1/resv', EDEADLK, true, true, false);
    expectBroken(t.global, 'dma-resv.lock.returns', 'bo:1/resv');
    expect(t.global.ruleBroken?.message).toContain('returned 35 (with a context, interruptible)');
    const u = world();
    postResvLock(u.global, 'bo:2/resv', -EDEADLK, true, false, true);
    expectBroken(u.global, 'dma-resv.lock.returns', 'bo:2/resv');
    const v = world();
    postResvLock(v.global, 'bo:3/resv', -EINTR, false, false, false);
    expectBroken(v.global, 'dma-resv.lock.returns', 'bo:3/resv');
    expect(v.global.ruleBroken?.message).toContain('returned -EINTR (without a context)');
    // An errno the lock does not list at all is its callers' to judge (bo.reserve.returns).
    const w = world();
    postResvLock(w.global, 'bo:4/resv', -EBUSY, false, true, false);
    expectNoneBroken(w.global);
  });
});
