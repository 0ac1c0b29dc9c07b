// Unit tests of the dmem cgroup files as src/kernel/dmem_cgroup.ts models them (dmemFileRead: dmemcg_limit_show
// with get_resource_*; dmemSetLimit: dmemcg_limit_write) and of every rule of src/kernel/rules/dmem_files.ts
// holding on the model and firing when broken.

import { describe, expect, test } from 'vitest';
import { TtmGlobal } from '../../src/kernel/device.ts';
import {
  DmemCgroupTree,
  type DmemPool,
  dmemCgroupRegisterRegion,
  dmemCgroupTryCharge,
  dmemCgroupUncharge,
  dmemFileRead,
  dmemGetPool,
  dmemSetLimit,
  PAGE_COUNTER_MAX,
} from '../../src/kernel/dmem_cgroup.ts';
import { EAGAIN, EBUSY, EINVAL } from '../../src/kernel/errno.ts';
import { checkDmemLimitWrite, checkDmemPeak, checkDmemPoolReset } from '../../src/kernel/rules/dmem_files.ts';

const KiB = 1024;

function world() {
  const g = new TtmGlobal();
  const tree = new DmemCgroupTree(g);
  const region = dmemCgroupRegisterRegion(tree, 256 * KiB, 'drm/0/vram0');
  if (region === null) throw new Error('no region');
  const bg = tree.createCgroup('bg');
  const a = tree.createCgroup('a', bg);
  const b = tree.createCgroup('b', bg);
  tree.attachTask('task:a', a);
  tree.attachTask('task:b', b);
  return { g, tree, region, bg, a, b };
}

function poolOf(w: ReturnType<typeof world>, cg: typeof w.bg): DmemPool {
  const p = dmemGetPool(cg, w.region);
  if (typeof p === 'number') throw new Error(`no pool: ${p}`);
  return p;
}

describe('the dmem cgroup files on the model', () => {
  test('a cgroup without a pool reads 0 and "max"; the root has only dmem.current; a new pool reads the same', () => {
    const w = world();
    expect(
      ['current', 'peak', 'min', 'low', 'max'].map((f) => dmemFileRead(w.a, w.region, f as 'min')),
    ).toEqual([0, 0, 0, 0, PAGE_COUNTER_MAX]);
    expect(
      ['current', 'peak', 'min', 'low', 'max'].map((f) => dmemFileRead(w.tree.root, w.region, f as 'min')),
    ).toEqual([0, null, null, null, null]);
    const p = poolOf(w, w.a);
    expect([p.usage, p.watermark, p.min, p.low, p.max]).toEqual([0, 0, 0, 0, PAGE_COUNTER_MAX]);
    expect(w.region.pools.map((x) => x.id)).toEqual([
      'dmem:drm/0/vram0/(root)',
      'dmem:drm/0/vram0/bg',
      'dmem:drm/0/vram0/bg/a',
    ]);
    expect(w.g.ruleBroken).toBeNull();
  });

  test('dmemSetLimit: each write reads back; the root refuses with -EINVAL and makes no pool; a max below usage is -EBUSY and stays', () => {
    const w = world();
    expect(dmemSetLimit(w.tree.root, w.region, 'max', 64 * KiB)).toBe(-EINVAL);
    expect(w.region.pools.length).toBe(0);
    expect(dmemSetLimit(w.bg, w.region, 'max', 128 * KiB)).toBe(0);
    expect(dmemSetLimit(w.a, w.region, 'low', 96 * KiB)).toBe(0);
    expect(dmemSetLimit(w.a, w.region, 'min', 32 * KiB)).toBe(0);
    expect(dmemFileRead(w.bg, w.region, 'max')).toBe(128 * KiB);
    expect(dmemFileRead(w.a, w.region, 'low')).toBe(96 * KiB);
    expect(dmemFileRead(w.a, w.region, 'min')).toBe(32 * KiB);
    expect(dmemFileRead(w.a, w.region, 'max')).toBe(PAGE_COUNTER_MAX);
    expect(dmemCgroupTryCharge(w.region, 64 * KiB, 'task:a', false).ret).toBe(0);
    expect(dmemSetLimit(w.a, w.region, 'max', 32 * KiB)).toBe(-EBUSY);
    expect(dmemFileRead(w.a, w.region, 'max')).toBe(PAGE_COUNTER_MAX);
    expect(w.g.ruleBroken).toBeNull();
  });

  test('dmem.peak: the highest usage a charge reached, kept across uncharges and failed charges', () => {
    const w = world();
    dmemSetLimit(w.bg, w.region, 'max', 128 * KiB);
    const a = dmemCgroupTryCharge(w.region, 96 * KiB, 'task:a', false);
    expect(a.ret).toBe(0);
    dmemCgroupUncharge(a.pool, 96 * KiB);
    expect(dmemCgroupTryCharge(w.region, 16 * KiB, 'task:b', false).ret).toBe(0);
    // b's charge of 128 KiB reaches b (144 KiB would be over bg's max): b keeps the peak it reached.
    const over = dmemCgroupTryCharge(w.region, 128 * KiB, 'task:b', true);
    expect(over.ret).toBe(-EAGAIN);
    expect(over.limitPool?.id).toBe('dmem:drm/0/vram0/bg');
    expect(
      [w.a, w.b, w.bg].map((cg) => [
        dmemFileRead(cg, w.region, 'current'),
        dmemFileRead(cg, w.region, 'peak'),
      ]),
    ).toEqual([
      [0, 96 * KiB],
      [16 * KiB, 144 * KiB],
      [16 * KiB, 96 * KiB],
    ]);
    expect(w.g.ruleBroken).toBeNull();
  });
});

describe('the rules of src/kernel/rules/dmem_files.ts fire', () => {
  test('dmem.pool.reset: a pool made with dmem.min 4096', () => {
    const w = world();
    const p = poolOf(w, w.a);
    p.min = 4096;
    checkDmemPoolReset(w.g, p, PAGE_COUNTER_MAX);
    expect(w.g.ruleBroken?.rule.id).toBe('dmem.pool.reset');
    expect(w.g.ruleBroken?.actor).toBe('dmem:drm/0/vram0/bg/a');
    expect(w.g.ruleBroken?.message).toBe(
      'a pool made by get_cg_pool_unlocked starts with dmem.current 0, dmem.peak 0, dmem.min 0, dmem.low 0 and dmem.max "max": its files read what they read before it existed: dmem:drm/0/vram0/bg/a starts with min 4096',
    );
  });

  test('dmem.limit-write.post: a write to the root that returned 0', () => {
    const w = world();
    const none = { min: null, low: null, max: null };
    checkDmemLimitWrite(w.g, w.tree.root, 'max', 65536, 0, none, none);
    expect(w.g.ruleBroken?.rule.id).toBe('dmem.limit-write.post');
    expect(w.g.ruleBroken?.actor).toBe('dmem:(root)');
    expect(w.g.ruleBroken?.message).toBe(
      "a dmem.min/low/max write makes that file read the value written and leaves the other limits as they were, unless page_counter_set_max refused a max below the usage (the old max stays; dmem.c does not report it, the model returns -EBUSY) or the cgroup is the root, which has none of these files: the write to (root)'s dmem.max returned 0, but (root) has no dmem.max",
    );
  });

  test('dmem.limit-write.post: a dmem.low write that landed in dmem.min', () => {
    const w = world();
    const before = { min: 0, low: 0, max: PAGE_COUNTER_MAX };
    checkDmemLimitWrite(w.g, w.a, 'low', 65536, 0, before, { min: 65536, low: 0, max: PAGE_COUNTER_MAX });
    expect(w.g.ruleBroken?.rule.id).toBe('dmem.limit-write.post');
    expect(
      w.g.ruleBroken?.message.endsWith("bg/a's dmem.low reads 0 after a write of 65536 returned 0"),
    ).toBe(true);
  });

  test('dmem.limit-write.post: a refused write that changed a limit', () => {
    const w = world();
    const before = { min: 0, low: 0, max: PAGE_COUNTER_MAX };
    checkDmemLimitWrite(w.g, w.a, 'max', 4096, -EBUSY, before, { min: 0, low: 0, max: 4096 });
    expect(w.g.ruleBroken?.message.endsWith(`changed dmem.max from ${PAGE_COUNTER_MAX} to 4096`)).toBe(true);
  });

  test('dmem.peak.watermark: a peak that fell to the usage of the last charge', () => {
    const w = world();
    const p = poolOf(w, w.a);
    p.usage = 16 * KiB;
    p.watermark = 16 * KiB;
    checkDmemPeak(w.g, [p], [0], [96 * KiB], 16 * KiB);
    expect(w.g.ruleBroken?.rule.id).toBe('dmem.peak.watermark');
    expect(w.g.ruleBroken?.actor).toBe('dmem:drm/0/vram0/bg/a');
    expect(
      w.g.ruleBroken?.message.endsWith("dmem:drm/0/vram0/bg/a's dmem.peak fell from 98304 to 16384"),
    ).toBe(true);
  });

  test('dmem.peak.watermark: a peak below the usage, and one above what the charge reached', () => {
    const w = world();
    const p = poolOf(w, w.a);
    p.usage = 32 * KiB;
    p.watermark = 16 * KiB;
    checkDmemPeak(w.g, [p], [16 * KiB], [16 * KiB], 16 * KiB);
    expect(
      w.g.ruleBroken?.message.endsWith(
        "dmem:drm/0/vram0/bg/a's dmem.peak 16384 is below its dmem.current 32768",
      ),
    ).toBe(true);
    const w2 = world();
    const q = poolOf(w2, w2.a);
    q.usage = 16 * KiB;
    q.watermark = 64 * KiB;
    checkDmemPeak(w2.g, [q], [0], [0], 16 * KiB);
    expect(
      w2.g.ruleBroken?.message.endsWith("dmem:drm/0/vram0/bg/a's dmem.peak rose to 65536, above 16384"),
    ).toBe(true);
  });
});
