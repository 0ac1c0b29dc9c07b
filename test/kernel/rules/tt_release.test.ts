// Tests of src/kernel/rules/tt_release.ts: ttm_pool_backup's count against the pages that left the tt and
// RAM, and what ttm_tt_fini leaves. A real backup (through ttm_bo_shrink) and a real fini pass; a
// hand-made count or leftover breaks exactly that rule, recorded with its id, actor and message.

import { describe, expect, test } from 'vitest';
import {
  backupBefore,
  checkBackupCount,
  checkTtFini,
  TT_RELEASE_RULES,
} from '../../../src/kernel/rules/tt_release.ts';
import { KERNEL_RULES } from '../../../src/kernel/rules.ts';
import { ttmTtFini } from '../../../src/kernel/tt.ts';
import { xeWorld } from '../../explore/oracles/worlds.ts';

describe('TT_RELEASE_RULES', () => {
  test('two return checks with one-line upstream text, all in KERNEL_RULES', () => {
    expect(TT_RELEASE_RULES.map((r) => r.id)).toEqual(['pool.backup.count', 'tt.fini.post']);
    for (const r of TT_RELEASE_RULES) {
      expect(r.when).toBe('return');
      expect(KERNEL_RULES).toContain(r);
      for (const u of r.upstream) expect(u.text).not.toContain('\n');
    }
  });
});

describe('pool.backup.count', () => {
  test('a backup of 4 pages that returns 4 holds; a count with no page gone breaks it', () => {
    const w = xeWorld();
    expect(w.global.ruleBroken).toBeNull();
    const tt = w.bo.ttm!;
    expect(tt.isBackedUp()).toBe(true);
    const before = backupBefore(tt, w.global.ram);
    expect(before.resident).toBe(0);
    expect(checkBackupCount(tt, w.global.ram, before, 0)).toBe(0);
    expect(checkBackupCount(tt, w.global.ram, before, -16)).toBe(-16);
    expect(w.global.ruleBroken).toBeNull();
    expect(checkBackupCount(tt, w.global.ram, before, 4)).toBe(4);
    expect(w.global.ruleBroken?.rule.id).toBe('pool.backup.count');
    expect(w.global.ruleBroken?.actor).toBe(tt.id);
    expect(w.global.ruleBroken?.message).toBe(
      `ttm_pool_backup returning n ≥ 0: exactly n page slots of the tt gave up their page, and RAM has n more free frames: returned 4, but 0 slot(s) of ${tt.id} gave up their page and RAM freed 0 frame(s)`,
    );
  });
});

describe('tt.fini.post', () => {
  test('ttm_tt_fini of a backed-up tt holds; a DMA address array left behind breaks it', () => {
    const w = xeWorld();
    const tt = w.bo.ttm!;
    ttmTtFini(tt);
    expect(tt.pages).toBeNull();
    expect(w.global.ruleBroken).toBeNull();
    tt.dmaAddress = [null];
    checkTtFini(tt);
    expect(w.global.ruleBroken?.rule.id).toBe('tt.fini.post');
    expect(w.global.ruleBroken?.message).toBe(
      `after ttm_tt_fini the tt holds no swap storage, no backup file, no page array and no DMA address array: ${tt.id} keeps a DMA address array`,
    );
  });
});
