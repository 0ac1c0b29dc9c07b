// The enumeration of upstream assert sites (src/kernel/rules/upstream_sites.ts) against the rule registry.

import { describe, expect, test } from 'vitest';
import { UPSTREAM_SITES } from '../../../src/kernel/rules/upstream_sites.ts';
import { KERNEL_RULES } from '../../../src/kernel/rules.ts';

describe('UPSTREAM_SITES', () => {
  test('62 sites: 48 checked, 8 in modelled code that cannot break there, 6 in functions the model lacks', () => {
    const count = (s: string) => UPSTREAM_SITES.filter((x) => x.status === s).length;
    expect([UPSTREAM_SITES.length, count('checked'), count('cannot-break'), count('not-modelled')]).toEqual([
      62, 48, 8, 6,
    ]);
  });

  test('every checked site names at least one rule of KERNEL_RULES; the others name none and say why', () => {
    const ids = new Set(KERNEL_RULES.map((r) => r.id));
    for (const s of UPSTREAM_SITES) {
      if (s.status === 'checked') {
        expect(s.checks.length).toBeGreaterThan(0);
        for (const id of s.checks) expect(ids.has(id), `${s.func}: ${id}`).toBe(true);
        expect(s.model).not.toBe(null);
      } else {
        expect(s.checks).toEqual([]);
        expect((s.reason ?? '').length).toBeGreaterThan(0);
      }
    }
  });

  test("every 'call' kernel rule states a site; every site's text appears in its rule's upstream texts", () => {
    const sited = new Map<string, string[]>();
    for (const s of UPSTREAM_SITES)
      for (const id of s.checks) sited.set(id, [...(sited.get(id) ?? []), s.text]);
    // The enumeration covers the files it lists (TTM's and dma-resv.c); a call rule stated only from
    // another file (the shrinker contract of include/linux/shrinker.h and mm/shrinker.c) has no site there.
    const enumerated = new Set(UPSTREAM_SITES.map((s) => s.file));
    const inScope = (k: (typeof KERNEL_RULES)[number]) => k.upstream.some((u) => enumerated.has(u.file));
    expect(KERNEL_RULES.filter((k) => k.when === 'call' && !inScope(k)).map((k) => k.id)).toEqual([
      'shrinker.scan.after-count',
    ]);
    for (const r of KERNEL_RULES.filter((k) => k.when === 'call' && inScope(k))) {
      expect(sited.has(r.id), r.id).toBe(true);
      for (const text of sited.get(r.id) ?? []) {
        expect(
          r.upstream.some((u) => u.text.includes(text)),
          `${r.id}: ${text}`,
        ).toBe(true);
      }
    }
  });
});
