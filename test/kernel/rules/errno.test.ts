// Tests of src/kernel/rules/errno_returns.ts and errno_post.ts: what the exported functions on the
// allocation, restore, shrinking and ghost error paths return, and what each failure leaves. The model's
// own calls (through fault sites where an error is needed) hold every rule; a hand-made return value or
// state breaks exactly one, recorded with its id, actor and message.

import { describe, expect, test } from 'vitest';
import { ttmBoReserve, ttmBoUnreserve } from '../../../src/kernel/bo.ts';
import { ttmBufferObjectTransfer } from '../../../src/kernel/bo_util.ts';
import type { TtmGlobal } from '../../../src/kernel/device.ts';
import { EBUSY, EINTR, ENOMEM, ENOSPC, ERESTARTSYS } from '../../../src/kernel/errno.ts';
import type { FaultSite } from '../../../src/kernel/faults.ts';
import { operationCtx } from '../../../src/kernel/placement.ts';
import {
  BO_SHRINK_POST_SYSTEM,
  checkRestoreKept,
  checkShrunkInSystem,
  checkShrunkNothing,
  checkTransferFailed,
  ERRNO_POST_RULES,
  POOL_RESTORE_POST_ERROR,
  transferBefore,
} from '../../../src/kernel/rules/errno_post.ts';
import {
  checkBoShrinkReturn,
  checkErrnoReturn,
  ERRNO_RETURN_RULES,
  isNegativeErrno,
  POOL_ALLOC_RETURNS,
  POOL_RESTORE_RETURNS,
  TT_POPULATE_RETURNS,
} from '../../../src/kernel/rules/errno_returns.ts';
import { KERNEL_RULES } from '../../../src/kernel/rules.ts';
import { runSync } from '../../../src/kernel/sync.ts';
import { ttmTtPopulate, ttmTtRestore } from '../../../src/kernel/tt.ts';
import { amdWorld, xeWorld } from '../../explore/oracles/worlds.ts';

/** Fail every evaluation of `site` on `g` from now on. */
function failAll(g: TtmGlobal, site: FaultSite): void {
  g.faultHook = (s) => s === site;
}

describe('the errno rules', () => {
  test('eight return checks with one-line upstream text, all in KERNEL_RULES', () => {
    expect([...ERRNO_RETURN_RULES, ...ERRNO_POST_RULES].map((r) => r.id)).toEqual([
      'pool.alloc.returns',
      'pool.restore-and-alloc.returns',
      'tt.populate.returns',
      'bo.shrink.returns',
      'pool.restore-and-alloc.post-error',
      'ghost.transfer.post-error',
      'bo.shrink.post-system',
      'bo.shrink.post-zero',
    ]);
    for (const r of [...ERRNO_RETURN_RULES, ...ERRNO_POST_RULES]) {
      expect(r.when).toBe('return');
      expect(KERNEL_RULES).toContain(r);
      for (const u of r.upstream) expect(u.text).not.toContain('\n');
    }
  });

  test('isNegativeErrno: a negated errno the kernel defines, nothing else', () => {
    expect([-ENOMEM, -EINTR, -ERESTARTSYS].map(isNegativeErrno)).toEqual([true, true, true]);
    expect([0, ENOMEM, EINTR, -7, -0.5, Number.NaN].map(isNegativeErrno)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});

describe('0 or a negative errno: pool.alloc.returns, pool.restore-and-alloc.returns, tt.populate.returns', () => {
  test('a real populate (0) and an interrupted restore (-EINTR) hold', () => {
    const w = amdWorld();
    const tt = w.ttBo.ttm!;
    expect(runSync(w.env, ttmTtPopulate(w.dev.bdev, tt, operationCtx()))).toBe(0);
    expect(w.global.ruleBroken).toBeNull();
    const x = xeWorld();
    failAll(x.global, 'restore.interrupt');
    const ctx = { ...operationCtx(), interruptible: true };
    expect(runSync(x.env, ttmTtRestore(x.bo.bdev, x.bo.ttm!, ctx))).toBe(-EINTR);
    expect(x.global.ruleBroken).toBeNull();
  });

  test('an errno returned with its sign lost breaks each rule, with the value said', () => {
    for (const rule of [POOL_ALLOC_RETURNS, POOL_RESTORE_RETURNS, TT_POPULATE_RETURNS]) {
      const w = amdWorld();
      expect(checkErrnoReturn(w.global, rule, 'tt:x', 0)).toBe(0);
      expect(checkErrnoReturn(w.global, rule, 'tt:x', -ENOMEM)).toBe(-ENOMEM);
      expect(w.global.ruleBroken).toBeNull();
      expect(checkErrnoReturn(w.global, rule, 'tt:x', EINTR)).toBe(EINTR);
      expect(w.global.ruleBroken?.rule.id).toBe(rule.id);
      expect(w.global.ruleBroken?.actor).toBe('tt:x');
      expect(w.global.ruleBroken?.message).toBe(`${rule.description}: returned 4`);
    }
  });
});

describe('pool.restore-and-alloc.post-error', () => {
  test('an interrupted restore keeps its state and the tt BACKED_UP; one that lost its state breaks the rule', () => {
    const w = xeWorld();
    const tt = w.bo.ttm!;
    failAll(w.global, 'restore.interrupt');
    const ctx = { ...operationCtx(), interruptible: true };
    // The first call allocates the restore state; its first backed-up page meets the signal.
    expect(runSync(w.env, ttmTtRestore(w.bo.bdev, tt, ctx))).toBe(-EINTR);
    expect(tt.restore).not.toBeNull();
    expect(runSync(w.env, ttmTtRestore(w.bo.bdev, tt, ctx))).toBe(-EINTR);
    expect(w.global.ruleBroken).toBeNull();
    const kept = tt.restore;
    tt.restore = null;
    expect(checkRestoreKept(tt, false, -EINTR)).toBe(-EINTR);
    expect(w.global.ruleBroken).toBeNull();
    expect(checkRestoreKept(tt, true, -EINTR)).toBe(-EINTR);
    expect(w.global.ruleBroken?.rule.id).toBe('pool.restore-and-alloc.post-error');
    expect(w.global.ruleBroken?.actor).toBe(tt.id);
    expect(w.global.ruleBroken?.message).toBe(
      `${POOL_RESTORE_POST_ERROR.description}: returned -EINTR, but tt:0 lost its restore state`,
    );
    tt.restore = kept;
  });
});

describe('ghost.transfer.post-error', () => {
  test('a ghost that cannot be allocated leaves the BO as it was; a failure that took its resource breaks the rule', () => {
    const w = amdWorld();
    const bo = w.ttBo;
    const res = bo.resource;
    const kref = bo.kref;
    expect(runSync(w.env, ttmBoReserve(bo, false, true, null))).toBe(0);
    failAll(w.global, 'ghost.alloc');
    expect(ttmBufferObjectTransfer(bo)).toBe(-ENOMEM);
    failAll(w.global, 'resv.reserve');
    expect(ttmBufferObjectTransfer(bo)).toBe(-ENOMEM);
    expect([bo.resource, bo.kref]).toEqual([res, kref]);
    expect(w.global.ruleBroken).toBeNull();
    const before = transferBefore(bo);
    bo.kref += 1;
    expect(checkTransferFailed(bo, before, -ENOMEM)).toBe(-ENOMEM);
    expect(w.global.ruleBroken?.rule.id).toBe('ghost.transfer.post-error');
    expect(w.global.ruleBroken?.message).toBe(
      `ttm_buffer_object_transfer failing leaves the BO as it was: the same resource and tt, and no reference taken for a ghost: returned -ENOMEM, but ${bo.id}'s reference count went from ${kref} to ${kref + 1}`,
    );
    bo.kref -= 1;
    ttmBoUnreserve(bo);
  });
});

describe('bo.shrink.returns and bo.shrink.post-system', () => {
  test('the xe world’s real shrink (4 pages, in SYSTEM) holds both', () => {
    const w = xeWorld();
    expect(w.global.ruleBroken).toBeNull();
    expect(BO_SHRINK_POST_SYSTEM.evaluations[0]).toBeGreaterThan(0);
  });

  test('counts, -EBUSY, -EINTR and -ERESTARTSYS hold; -ENOMEM, -ENOSPC and a positive errno break it', () => {
    for (const ok of [0, 4, -EBUSY, -EINTR, -ERESTARTSYS]) {
      const w = xeWorld();
      expect(checkBoShrinkReturn(w.global, w.bo.id, ok)).toBe(ok);
      expect(w.global.ruleBroken).toBeNull();
    }
    for (const [bad, said] of [
      [-ENOMEM, '-ENOMEM'],
      [-ENOSPC, '-ENOSPC'],
      [-7, '-7'],
    ] as const) {
      const w = xeWorld();
      checkBoShrinkReturn(w.global, w.bo.id, bad);
      expect(w.global.ruleBroken?.rule.id).toBe('bo.shrink.returns');
      expect(w.global.ruleBroken?.message.endsWith(`: returned ${said}`)).toBe(true);
    }
  });

  test('pages reported shrunken for a BO still in VRAM break post-system when the move was allowed', () => {
    const w = amdWorld();
    expect(checkShrunkInSystem(w.vramBo, false, 4)).toBe(4);
    expect(checkShrunkInSystem(w.vramBo, true, 0)).toBe(0);
    expect(checkShrunkInSystem(w.vramBo, true, -EBUSY)).toBe(-EBUSY);
    expect(w.global.ruleBroken).toBeNull();
    expect(checkShrunkInSystem(w.vramBo, true, 4)).toBe(4);
    expect(w.global.ruleBroken?.rule.id).toBe('bo.shrink.post-system');
    expect(w.global.ruleBroken?.message).toBe(
      `${BO_SHRINK_POST_SYSTEM.description}: returned 4, but ${w.vramBo.id} is in vram`,
    );
  });
});

describe('bo.shrink.post-zero', () => {
  test('0 with every page backed up holds; 0 while the tt still holds resident pages breaks it', () => {
    const x = xeWorld();
    expect(checkShrunkNothing(x.bo, 0)).toBe(0);
    expect(x.global.ruleBroken).toBeNull();
    const w = amdWorld();
    expect(checkShrunkNothing(w.ttBo, 4)).toBe(4);
    expect(checkShrunkNothing(w.ttBo, -EBUSY)).toBe(-EBUSY);
    expect(w.global.ruleBroken).toBeNull();
    const frame = w.ttBo.ttm!.pages![0];
    expect(checkShrunkNothing(w.ttBo, 0)).toBe(0);
    expect(w.global.ruleBroken?.rule.id).toBe('bo.shrink.post-zero');
    expect(
      w.global.ruleBroken?.message.endsWith(
        `: returned 0, but slot 0 of ${w.ttBo.ttm!.id} holds page frame ${frame}`,
      ),
    ).toBe(true);
  });
});
