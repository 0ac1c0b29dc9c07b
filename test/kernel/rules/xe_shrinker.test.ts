// Tests of src/kernel/rules/xe_shrinker.ts: a shrinker scan without __GFP_FS only purges
// (xe.shrinker.nofs-purge-only).

import { describe, expect, test } from 'vitest';
import { postShrinkBackup, XE_SHRINKER_RULES } from '../../../src/kernel/rules/xe_shrinker.ts';
import { KERNEL_RULES } from '../../../src/kernel/rules.ts';
import { world } from '../page_fixtures.ts';
import { expectBroken, expectNoneBroken } from './fixtures.ts';

describe('xe.shrinker.nofs-purge-only', () => {
  test("the module's rules, one-line upstream text, in KERNEL_RULES", () => {
    expect(XE_SHRINKER_RULES.map((r) => [r.id, r.when])).toEqual([
      ['xe.shrinker.nofs-purge-only', 'return'],
      ['shrinker.scan.after-count', 'call'],
      ['xe.shrinker.count', 'return'],
      ['xe.shrinker.walk-skips', 'return'],
    ]);
    for (const r of XE_SHRINKER_RULES) {
      expect(KERNEL_RULES).toContain(r);
      for (const u of r.upstream) expect(u.text).not.toContain('\n');
    }
  });

  test('purges under GFP_NOFS, backups under GFP_KERNEL and a refused backup hold; 4 pages backed up under GFP_NOFS break it', () => {
    const t = world();
    postShrinkBackup(t.global, 'bo:3', true, false, 4);
    postShrinkBackup(t.global, 'bo:3', false, true, 4);
    postShrinkBackup(t.global, 'bo:3', false, false, -16);
    postShrinkBackup(t.global, 'bo:3', false, false, 0);
    expectNoneBroken(t.global);
    postShrinkBackup(t.global, 'bo:3', false, false, 4);
    expectBroken(t.global, 'xe.shrinker.nofs-purge-only', 'bo:3');
    expect(t.global.ruleBroken?.message).toBe(
      'on return of xe_bo_shrink in a shrinker scan without __GFP_FS, only purged pages were freed: no BO is backed up to shmem: 4 pages of bo:3 backed up by a GFP_NOFS scan',
    );
  });
});
