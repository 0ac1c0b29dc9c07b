// The check catalogue (src/explore/check_catalogue.ts), its counts, `ttm-sim oracles`, the README table,
// and the rule that every check of the catalogue is made to fire by some test.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { CHECK_CATALOGUE, countEvaluations, tableIds } from '../../src/explore/check_catalogue.ts';
import type { BufferObject } from '../../src/kernel/bo.ts';
import { ttmBoPin, ttmBoReserve, ttmBoUnpin, ttmBoUnreserve } from '../../src/kernel/bo.ts';
import type { KGen } from '../../src/kernel/env.ts';
import { KERNEL_RULES } from '../../src/kernel/rules.ts';
import type { Scenario } from '../../src/sim/scenario.ts';
import { kunitBo, testDevice, ttmDevFuncs } from '../kunit/fixtures.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

function testFiles(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) testFiles(p, out);
    else if (p.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

function* pinOnce(bo: BufferObject): KGen<void> {
  expect(yield* ttmBoReserve(bo, false, false, null)).toBe(0);
  ttmBoPin(bo);
  ttmBoUnpin(bo);
  ttmBoUnreserve(bo);
}

/** One device, one BO, one task that reserves, pins, unpins and unreserves it. */
const PIN_ONCE: Scenario = {
  name: 'test-pin-once',
  summary: 'reserve, pin, unpin, unreserve',
  config: { test: 'pin-once' },
  build(sim) {
    const t = testDevice(ttmDevFuncs, sim.env);
    const bo = kunitBo(t, 4096);
    sim.spawn('pinner', () => pinOnce(bo));
    return { stats: () => ({}), check: () => [], describe: () => [], worlds: () => [t.global] };
  },
};

describe('CHECK_CATALOGUE', () => {
  test('ids are unique; each entry names upstream text and a when that fits where it lives', () => {
    const ids = CHECK_CATALOGUE.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    const when = {
      kernel: ['call', 'return'],
      oracle: ['step'],
      'design-oracle': ['step'],
      end: ['end'],
      data: ['step', 'end'],
    };
    for (const c of CHECK_CATALOGUE) {
      expect(c.upstream.length, c.id).toBeGreaterThan(0);
      for (const u of c.upstream)
        expect(u.file.length * u.func.length * u.text.length, c.id).toBeGreaterThan(0);
      expect(when[c.source], c.id).toContain(c.when);
    }
    expect(CHECK_CATALOGUE.filter((c) => c.source === 'kernel').map((c) => c.id)).toEqual(
      KERNEL_RULES.map((r) => r.id),
    );
  });

  test('every check of the catalogue is made to fire by a test (its id appears quoted in a test file)', () => {
    const sources = testFiles(join(ROOT, 'test')).map((f) => readFileSync(f, 'utf8'));
    const missing = CHECK_CATALOGUE.filter(
      (c) =>
        !sources.some((s) => s.includes(`'${c.id}'`) || s.includes(`"${c.id}"`) || s.includes(`\`${c.id}`)),
    ).map((c) => `${c.source} ${c.id}`);
    expect(missing).toEqual([]);
  });

  test('the README table lists exactly the catalogue, in its order', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(tableIds(readme)).toEqual(CHECK_CATALOGUE.map((c) => c.id));
  });
});

describe('countEvaluations', () => {
  test('one run of reserve/pin/unpin/unreserve: each pin and unpin rule once, oracles per step, end checks per run', () => {
    const counts = countEvaluations(1, [PIN_ONCE]);
    expect(counts.runs).toBe(1);
    expect(counts.ruleFailures.size).toBe(0);
    for (const id of [
      'bo.pin.resv-held',
      'bo.pin.kref',
      'bo.unpin.resv-held',
      'bo.unpin.kref',
      'bo.unpin.pinned',
    ])
      expect(counts.byId.get(id), id).toBe(1);
    expect(counts.byId.get('bo.move-to-lru-tail.resv-held')).toBe(1);
    expect(counts.byId.get('bo.reserve.returns')).toBe(1);
    expect(counts.byId.get('bo.validate.resv-held')).toBe(0);
    const step = CHECK_CATALOGUE.find((c) => c.source === 'oracle')!;
    expect(counts.byId.get(step.id)).toBe(counts.stepWorlds);
    expect(counts.stepWorlds).toBeGreaterThan(0);
    const end = CHECK_CATALOGUE.find((c) => c.source === 'end')!;
    expect(counts.byId.get(end.id)).toBe(1);
  });
});

describe('ttm-sim oracles', () => {
  function capture(args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
      out += String(s);
      return true;
    });
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
      err += String(s);
      return true;
    });
    return main(args).then((code) => {
      o.mockRestore();
      e.mockRestore();
      return { code, out, err };
    });
  }

  test('--json: an object per check with id, source, when, description and upstream', async () => {
    const { code, out } = await capture(['oracles', '--json']);
    expect(code).toBe(0);
    const rows = JSON.parse(out) as { id: string; when: string; upstream: unknown[] }[];
    expect(rows.map((r) => r.id)).toEqual(CHECK_CATALOGUE.map((c) => c.id));
    expect(rows.find((r) => r.id === 'bo.pin.resv-held')).toEqual({
      id: 'bo.pin.resv-held',
      source: 'kernel',
      when: 'call',
      description: 'ttm_bo_pin is called with the BO reserved by the calling task',
      upstream: [
        {
          file: 'drivers/gpu/drm/ttm/ttm_bo.c',
          func: 'ttm_bo_pin',
          text: 'dma_resv_assert_held(bo->base.resv);',
        },
      ],
    });
  });

  test('text: one entry per check and the total', async () => {
    const { code, out } = await capture(['oracles']);
    expect(code).toBe(0);
    expect(out).toContain('bo.pin.resv-held  [kernel, call]\n');
    expect(out.endsWith(`${CHECK_CATALOGUE.length} checks\n`)).toBe(true);
  });

  test('bad input: exit 2 and one line naming the problem and the fix', async () => {
    const a = await capture(['oracles', '--schedules', '3']);
    expect([a.code, a.err]).toEqual([
      2,
      'ttm-sim: oracles: --schedules only applies with --count; add --count or drop --schedules\n',
    ]);
    const b = await capture(['oracles', '--count', '--schedules', '0']);
    expect([b.code, b.err]).toEqual([
      2,
      'ttm-sim: oracles: --schedules must be a whole number from 1 to 100000, got "0"\n',
    ]);
  });
});
