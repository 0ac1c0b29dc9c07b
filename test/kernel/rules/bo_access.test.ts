// Tests of src/kernel/rules/bo_access.ts: what ttm_bo_access returns (bo.access.returns). Accesses of
// one byte, a page, an empty range and a range past the end of a BO in SYSTEM hold it; a -EIO for an
// in-range access of a SYSTEM BO, or a count other than len, breaks exactly that rule.

import { describe, expect, test } from 'vitest';
import { ttmBoAccess } from '../../../src/kernel/bo_vm.ts';
import { PAGE_SIZE, TTM_PL_SYSTEM } from '../../../src/kernel/constants.ts';
import { EIO } from '../../../src/kernel/errno.ts';
import { place } from '../../../src/kernel/placement.ts';
import { BO_ACCESS_RULES, checkBoAccessReturn } from '../../../src/kernel/rules/bo_access.ts';
import { KERNEL_RULES } from '../../../src/kernel/rules.ts';
import { runSync } from '../../../src/kernel/sync.ts';
import { kunitBo } from '../../kunit/fixtures.ts';
import { world } from '../page_fixtures.ts';
import { expectBroken, expectNoneBroken, placeBo } from './fixtures.ts';

function systemBo() {
  const t = world({ ramPages: 64 });
  const bo = kunitBo(t, 2 * PAGE_SIZE);
  placeBo(bo, place(TTM_PL_SYSTEM));
  return { t, bo };
}

describe('BO_ACCESS_RULES', () => {
  test('one return check with one-line upstream text, in KERNEL_RULES', () => {
    expect(BO_ACCESS_RULES.map((r) => [r.id, r.when])).toEqual([['bo.access.returns', 'return']]);
    expect(KERNEL_RULES).toContain(BO_ACCESS_RULES[0]);
    for (const u of BO_ACCESS_RULES[0]!.upstream) expect(u.text).not.toContain('\n');
  });
});

describe('bo.access.returns', () => {
  test('one byte, a page across the page boundary, an empty range and a range past the end', () => {
    const { t, bo } = systemBo();
    const buf: number[] = [];
    expect(runSync(t.env, ttmBoAccess(bo, 5, 1, false, buf))).toBe(1);
    expect(buf).toEqual([0]);
    expect(runSync(t.env, ttmBoAccess(bo, PAGE_SIZE / 2, PAGE_SIZE, true, [7, 9]))).toBe(PAGE_SIZE);
    expect(runSync(t.env, ttmBoAccess(bo, 0, 0, false, []))).toBe(-EIO);
    expect(runSync(t.env, ttmBoAccess(bo, PAGE_SIZE, PAGE_SIZE + 1, false, []))).toBe(-EIO);
    expectNoneBroken(t.global);
  });

  test('-EIO for a one-byte access inside a BO in SYSTEM', () => {
    const { t, bo } = systemBo();
    expect(checkBoAccessReturn(bo, 0, 1, -EIO)).toBe(-EIO);
    expectBroken(t.global, 'bo.access.returns', bo.id);
    expect(t.global.ruleBroken?.message).toBe(
      'ttm_bo_access returns len when it accessed the range, and -EIO only for a range that is empty or runs past the BO, or for a resource neither in SYSTEM nor in TT: returned -EIO for 1 bytes at 0 of a 8192-byte BO in SYSTEM',
    );
  });

  test('a count other than len', () => {
    const { t, bo } = systemBo();
    checkBoAccessReturn(bo, 8, 16, 0);
    expectBroken(t.global, 'bo.access.returns', bo.id);
    expect(t.global.ruleBroken?.message).toContain(': returned 0 for an access of 16 bytes');
  });
});
