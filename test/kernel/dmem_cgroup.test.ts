// Unit tests of src/kernel/dmem_cgroup.ts (kernel/cgroup/dmem.c over mm/page_counter.c), of the charge
// in ttm_resource_alloc / uncharge in ttm_resource_free, of ttm_bo_evict_alloc's walks within the
// limiting pool with the low pass (the KUnit mock driver evicts VRAM to SYSTEM through a TT hop), and of every rule of src/kernel/rules/dmem.ts firing.

import { describe, expect, test } from 'vitest';
import { type BufferObject, ttmBoInitReserved, ttmBoUnreserve, ttmBoValidate } from '../../src/kernel/bo.ts';
import {
  PAGE_SIZE,
  TTM_PL_FLAG_FALLBACK,
  TTM_PL_SYSTEM,
  TTM_PL_TT,
  TTM_PL_VRAM,
} from '../../src/kernel/constants.ts';
import { ttmSetDriverManager } from '../../src/kernel/device.ts';
import {
  DmemCgroupTree,
  type DmemPool,
  type DmemRegion,
  dmemCgroupBelow,
  dmemCgroupRegisterRegion,
  dmemCgroupStateEvictValuable,
  dmemCgroupTryCharge,
  dmemCgroupUncharge,
  dmemCgroupUnregisterRegion,
  dmemGetPool,
  dmemSetLimit,
  PAGE_COUNTER_MAX,
} from '../../src/kernel/dmem_cgroup.ts';
import { EAGAIN, EBUSY, EINVAL, ENODEV, ENOMEM, ENOSPC } from '../../src/kernel/errno.ts';
import { operationCtx, place, placementOf } from '../../src/kernel/placement.ts';
import {
  RangeManager,
  type Resource,
  ttmResourceAlloc,
  ttmResourceFree,
  ttmResourceManagerInit,
  ttmResourceManagerSetUsed,
} from '../../src/kernel/resource.ts';
import { checkDmemCharged, checkDmemLowBestEffort, checkDmemVictim } from '../../src/kernel/rules/dmem.ts';
import { runSync, SyncEnv } from '../../src/kernel/sync.ts';
import { kunitBo, mockManagerInit, testDevice } from '../kunit/fixtures.ts';

const KiB = 1024;

/** A SyncEnv whose `current` can be switched, so charges go to different cgroups. */
class TaskEnv extends SyncEnv {
  who = 'task:a';
  override current(): string {
    return this.who;
  }
}

function pool(cg: Parameters<typeof dmemGetPool>[0], region: DmemRegion): DmemPool {
  const p = dmemGetPool(cg, region);
  if (typeof p === 'number') throw new Error(`no pool: ${p}`);
  return p;
}

describe('dmem_cgroup_try_charge / dmem_cgroup_uncharge', () => {
  test('dmem_cgroup_try_charge: a charge over a parent max → -EAGAIN, the parent is the limiting pool, nothing stays charged', () => {
    const tree = new DmemCgroupTree();
    const region = dmemCgroupRegisterRegion(tree, 1024 * KiB, 'drm/0000:03:00.0/vram0')!;
    const parent = tree.createCgroup('gpu');
    const child = tree.createCgroup('game', parent);
    tree.attachTask('task:a', child);
    expect(dmemSetLimit(parent, region, 'max', 100 * KiB)).toBe(0);
    const first = dmemCgroupTryCharge(region, 64 * KiB, 'task:a', true);
    expect(first.ret).toBe(0);
    expect(first.pool?.id).toBe('dmem:drm/0000:03:00.0/vram0/gpu/game');
    const second = dmemCgroupTryCharge(region, 64 * KiB, 'task:a', true);
    expect(second.ret).toBe(-EAGAIN);
    expect(second.limitPool?.id).toBe('dmem:drm/0000:03:00.0/vram0/gpu');
    expect(pool(child, region).usage).toBe(64 * KiB);
    expect(pool(parent, region).usage).toBe(64 * KiB);
    expect(pool(tree.root, region).usage).toBe(64 * KiB);
    expect(pool(parent, region).failcnt).toBe(1);
    // Without ret_limit_pool the limiting pool is not reported.
    expect(dmemCgroupTryCharge(region, 64 * KiB, 'task:a', false)).toEqual({
      ret: -EAGAIN,
      pool: null,
      limitPool: null,
    });
    expect(dmemCgroupUncharge(first.pool, 64 * KiB)).toEqual([]);
    expect(pool(tree.root, region).usage).toBe(0);
    expect(pool(parent, region).watermark).toBe(64 * KiB);
  });

  test('a task in no cgroup charges the root pool, which has no limit files', () => {
    const tree = new DmemCgroupTree();
    const region = dmemCgroupRegisterRegion(tree, 64 * KiB, 'vram')!;
    const c = dmemCgroupTryCharge(region, 1024 * KiB, 'task:kworker', true);
    expect(c.ret).toBe(0);
    expect(c.pool?.id).toBe('dmem:vram/(root)');
    expect(c.pool?.max).toBe(PAGE_COUNTER_MAX);
    expect(dmemSetLimit(tree.root, region, 'max', 0)).toBe(-EINVAL);
  });

  test('dmem.max below the usage is refused by page_counter_set_max (-EBUSY) and the limit stays', () => {
    const tree = new DmemCgroupTree();
    const region = dmemCgroupRegisterRegion(tree, 1024 * KiB, 'vram')!;
    const cg = tree.createCgroup('a');
    tree.attachTask('task:a', cg);
    expect(dmemCgroupTryCharge(region, 32 * KiB, 'task:a', false).ret).toBe(0);
    expect(dmemSetLimit(cg, region, 'max', 16 * KiB)).toBe(-EBUSY);
    expect(pool(cg, region).max).toBe(PAGE_COUNTER_MAX);
  });

  test('dmem_cgroup_register_region: size 0 registers nothing; an unregistered region makes no pools (-ENODEV)', () => {
    const tree = new DmemCgroupTree();
    expect(dmemCgroupRegisterRegion(tree, 0, 'none')).toBeNull();
    const region = dmemCgroupRegisterRegion(tree, 4096, 'vram')!;
    expect(tree.regions.length).toBe(1);
    dmemCgroupUnregisterRegion(region);
    expect(tree.regions.length).toBe(0);
    expect(dmemCgroupTryCharge(region, 4096, 'task:a', true).ret).toBe(-ENODEV);
  });
});

describe('dmem_cgroup_state_evict_valuable', () => {
  /** root ─ a (low 64 KiB, min 16 KiB), b; each using `useA` / `useB` KiB. */
  function setup(useA: number, useB: number) {
    const tree = new DmemCgroupTree();
    const region = dmemCgroupRegisterRegion(tree, 1024 * KiB, 'vram')!;
    const a = tree.createCgroup('a');
    const b = tree.createCgroup('b');
    tree.attachTask('task:a', a);
    tree.attachTask('task:b', b);
    dmemSetLimit(a, region, 'low', 64 * KiB);
    dmemSetLimit(a, region, 'min', 16 * KiB);
    dmemCgroupTryCharge(region, useA * KiB, 'task:a', false);
    dmemCgroupTryCharge(region, useB * KiB, 'task:b', false);
    return { tree, region, pa: pool(a, region), pb: pool(b, region) };
  }

  test('no cgroup limit (device full): a pool within its low is skipped with hit_low, evictable with ignore_low', () => {
    const { pa, pb } = setup(48, 100);
    const hit = { hitLow: false };
    expect(dmemCgroupStateEvictValuable(null, pb, false, hit)).toBe(true);
    expect(hit.hitLow).toBe(false);
    expect(dmemCgroupStateEvictValuable(null, pa, false, hit)).toBe(false);
    expect(hit.hitLow).toBe(true);
    expect(pa.elow).toBe(64 * KiB);
    expect(dmemCgroupStateEvictValuable(null, pa, true, { hitLow: false })).toBe(true);
    expect(dmemCgroupBelow(null, pa, 'low')).toBe(true);
    expect(dmemCgroupBelow(null, pa, 'min')).toBe(false);
  });

  test('a pool within its min is never evictable, not even ignoring low', () => {
    const { pa } = setup(12, 100);
    const hit = { hitLow: false };
    expect(dmemCgroupStateEvictValuable(null, pa, true, hit)).toBe(false);
    expect(dmemCgroupStateEvictValuable(null, pa, false, hit)).toBe(false);
    expect(hit.hitLow).toBe(false);
    expect(pa.emin).toBe(16 * KiB);
  });

  test('a limited cgroup evicts only within its subtree, and always from itself', () => {
    const { pa, pb } = setup(48, 100);
    const hit = { hitLow: false };
    expect(dmemCgroupStateEvictValuable(pb, pa, true, hit)).toBe(false);
    expect(dmemCgroupStateEvictValuable(pa, pa, false, hit)).toBe(true);
    expect(dmemCgroupStateEvictValuable(null, null, false, hit)).toBe(true);
    expect(dmemCgroupStateEvictValuable(pa, null, true, hit)).toBe(false);
    expect(hit.hitLow).toBe(false);
  });

  test('effective low: siblings claiming more than their parent affords share it by use (recursive protection)', () => {
    const tree = new DmemCgroupTree();
    const region = dmemCgroupRegisterRegion(tree, 1024 * KiB, 'vram')!;
    const p = tree.createCgroup('p');
    const x = tree.createCgroup('x', p);
    const y = tree.createCgroup('y', p);
    tree.attachTask('task:x', x);
    tree.attachTask('task:y', y);
    dmemSetLimit(p, region, 'low', 60 * KiB);
    dmemSetLimit(x, region, 'low', 60 * KiB);
    dmemSetLimit(y, region, 'low', 60 * KiB);
    dmemCgroupTryCharge(region, 40 * KiB, 'task:x', false);
    dmemCgroupTryCharge(region, 80 * KiB, 'task:y', false);
    const px = pool(x, region);
    const py = pool(y, region);
    // p's elow is its low (60 KiB); x and y claim min(40,60) + min(80,60) = 100 KiB > 60 KiB.
    expect(dmemCgroupBelow(null, px, 'low')).toBe(false);
    expect(pool(p, region).elow).toBe(60 * KiB);
    expect(px.elow).toBe(Math.floor((40 * KiB * 60 * KiB) / (100 * KiB)));
    expect(dmemCgroupBelow(null, py, 'low')).toBe(false);
    expect(py.elow).toBe(Math.floor((60 * KiB * 60 * KiB) / (100 * KiB)));
  });
});

/** A device with a 16-page VRAM range manager registered as a dmem region, a TT mock manager. */
function cgDevice(vramPages = 16) {
  const env = new TaskEnv();
  const t = testDevice(undefined, env);
  const vram = new RangeManager(t.bdev, TTM_PL_VRAM, false, vramPages * PAGE_SIZE);
  ttmResourceManagerInit(vram, vramPages * PAGE_SIZE);
  ttmSetDriverManager(t.bdev, TTM_PL_VRAM, vram);
  ttmResourceManagerSetUsed(vram, true);
  mockManagerInit(t.bdev, TTM_PL_TT, 64 * PAGE_SIZE);
  const tree = new DmemCgroupTree();
  const region = dmemCgroupRegisterRegion(tree, vramPages * PAGE_SIZE, 'vram')!;
  vram.cg = region;
  const a = tree.createCgroup('a');
  const b = tree.createCgroup('b');
  tree.attachTask('task:a', a);
  tree.attachTask('task:b', b);
  return { env, t, vram, tree, region, a, b };
}

const VRAM = placementOf(place(TTM_PL_VRAM));
const VRAM_OR_TT = placementOf(place(TTM_PL_VRAM), place(TTM_PL_TT, TTM_PL_FLAG_FALLBACK));

/** ttm_bo_init_reserved + unreserve of a `pages`-page BO by `task` into `placement`. 0 or the errno. */
function create(
  d: ReturnType<typeof cgDevice>,
  task: string,
  pages: number,
  pl = VRAM,
): [BufferObject, number] {
  d.env.who = task;
  const bo = kunitBo(d.t, pages * PAGE_SIZE);
  const ctx = operationCtx({ interruptible: false });
  const ret = runSync(d.env, ttmBoInitReserved(d.t.bdev, bo, 'device', pl, 1, ctx, null, null, null));
  if (ret === 0) ttmBoUnreserve(bo);
  return [bo, ret];
}

describe('ttm_resource_alloc / ttm_resource_free with a dmem region', () => {
  test('ttm_resource_alloc: res->css is the current task’s pool; a limit hit is -ENOSPC with the limiting pool', () => {
    const d = cgDevice();
    dmemSetLimit(d.a, d.region, 'max', 4 * PAGE_SIZE);
    d.env.who = 'task:a';
    const bo = kunitBo(d.t, 4 * PAGE_SIZE);
    const res = ttmResourceAlloc(bo, place(TTM_PL_VRAM)) as Resource;
    expect(res.css?.id).toBe('dmem:vram/a');
    expect(res.css?.usage).toBe(4 * PAGE_SIZE);
    const bo2 = kunitBo(d.t, PAGE_SIZE);
    const out = { pool: null as DmemPool | null };
    expect(ttmResourceAlloc(bo2, place(TTM_PL_VRAM), out)).toBe(-ENOSPC);
    expect(out.pool?.id).toBe('dmem:vram/a');
    expect(d.vram.usage).toBe(4 * PAGE_SIZE);
    ttmResourceFree(bo, res);
    expect(pool(d.a, d.region).usage).toBe(0);
    expect(res.cssUncharged).toBe(true);
    expect(d.t.global.ruleBroken).toBeNull();
  });

  test('ttm_resource_alloc: a manager out of space uncharges the charge it took', () => {
    const d = cgDevice(4);
    d.env.who = 'task:b';
    const bo = kunitBo(d.t, 8 * PAGE_SIZE);
    expect(ttmResourceAlloc(bo, place(TTM_PL_VRAM))).toBe(-ENOSPC);
    expect(pool(d.b, d.region).usage).toBe(0);
    expect(pool(d.b, d.region).watermark).toBe(8 * PAGE_SIZE);
    expect(d.t.global.ruleBroken).toBeNull();
  });
});

describe('ttm_bo_evict_alloc with dmem cgroups', () => {
  test('a cgroup at its max evicts its own BO, not the other cgroup’s older one', () => {
    const d = cgDevice();
    dmemSetLimit(d.a, d.region, 'max', 8 * PAGE_SIZE);
    const [b1] = create(d, 'task:b', 4);
    const [a1] = create(d, 'task:a', 8);
    expect(b1.resource?.memType).toBe(TTM_PL_VRAM);
    const [a2, ret] = create(d, 'task:a', 4);
    expect(ret).toBe(0);
    expect(a2.resource?.memType).toBe(TTM_PL_VRAM);
    expect(b1.resource?.memType).toBe(TTM_PL_VRAM);
    expect(a1.resource?.memType).toBe(TTM_PL_SYSTEM);
    expect(pool(d.a, d.region).usage).toBe(4 * PAGE_SIZE);
    expect(pool(d.b, d.region).usage).toBe(4 * PAGE_SIZE);
    expect(pool(d.tree.root, d.region).usage).toBe(8 * PAGE_SIZE);
    expect(d.t.global.ruleBroken).toBeNull();
  });

  test('a cgroup at its max with nothing of its own to evict: validate into VRAM only fails (-ENOMEM), the other cgroup keeps its BO', () => {
    const d = cgDevice();
    dmemSetLimit(d.a, d.region, 'max', 2 * PAGE_SIZE);
    const [b1] = create(d, 'task:b', 4);
    const [, ret] = create(d, 'task:a', 4);
    expect(ret).toBe(-ENOMEM);
    expect(b1.resource?.memType).toBe(TTM_PL_VRAM);
    const [a3, ret3] = create(d, 'task:a', 4, VRAM_OR_TT);
    expect(ret3).toBe(0);
    expect(a3.resource?.memType).toBe(TTM_PL_TT);
    expect(d.t.global.ruleBroken).toBeNull();
  });

  test('a full device evicts the unprotected cgroup before the one within its low, though the protected BO is older', () => {
    const d = cgDevice();
    dmemSetLimit(d.a, d.region, 'low', 8 * PAGE_SIZE);
    const [a1] = create(d, 'task:a', 8);
    const [b1] = create(d, 'task:b', 8);
    const [c1, ret] = create(d, 'task:b', 4);
    expect(ret).toBe(0);
    expect(c1.resource?.memType).toBe(TTM_PL_VRAM);
    expect(a1.resource?.memType).toBe(TTM_PL_VRAM);
    expect(b1.resource?.memType).toBe(TTM_PL_SYSTEM);
    expect(d.t.global.ruleBroken).toBeNull();
  });

  test('only BOs within low left: the walk that ignores low evicts one (hit_low → try_low)', () => {
    const d = cgDevice();
    dmemSetLimit(d.a, d.region, 'low', 16 * PAGE_SIZE);
    const [a1] = create(d, 'task:a', 8);
    const [a2] = create(d, 'task:a', 8);
    const [b1, ret] = create(d, 'task:b', 4);
    expect(ret).toBe(0);
    expect(b1.resource?.memType).toBe(TTM_PL_VRAM);
    expect(a1.resource?.memType).toBe(TTM_PL_SYSTEM);
    expect(a2.resource?.memType).toBe(TTM_PL_VRAM);
    expect(d.t.global.ruleBroken).toBeNull();
  });

  test('only BOs within min left: nothing is evicted and a VRAM-only validate fails with -ENOMEM', () => {
    const d = cgDevice();
    dmemSetLimit(d.a, d.region, 'min', 16 * PAGE_SIZE);
    const [a1] = create(d, 'task:a', 16);
    const [, ret] = create(d, 'task:b', 4);
    expect(ret).toBe(-ENOMEM);
    expect(a1.resource?.memType).toBe(TTM_PL_VRAM);
    expect(d.t.global.ruleBroken).toBeNull();
  });

  test('ttm_bo_validate: a BO moved out and back is uncharged and charged again, to the validating task', () => {
    const d = cgDevice();
    const [a1] = create(d, 'task:a', 4);
    d.env.who = 'task:a';
    expect(a1.resv.trylock('task:a')).toBe(true);
    const ctx = operationCtx({ interruptible: false });
    expect(runSync(d.env, ttmBoValidate(a1, placementOf(place(TTM_PL_TT)), ctx))).toBe(0);
    expect(pool(d.a, d.region).usage).toBe(0);
    a1.resv.unlock();
    d.env.who = 'task:b';
    expect(a1.resv.trylock('task:b')).toBe(true);
    expect(runSync(d.env, ttmBoValidate(a1, VRAM, ctx))).toBe(0);
    expect(pool(d.b, d.region).usage).toBe(4 * PAGE_SIZE);
    expect(d.t.global.ruleBroken).toBeNull();
  });
});

describe('dmem rules fire', () => {
  test('dmem.try-charge.within-max: a counter over its max after a charge', () => {
    const d = cgDevice();
    const p = pool(d.a, d.region);
    p.usage = 8 * PAGE_SIZE;
    p.max = 4 * PAGE_SIZE;
    checkDmemCharged(d.t.global, p, 'bo:x');
    expect(d.t.global.ruleBroken?.rule.id).toBe('dmem.try-charge.within-max');
    expect(d.t.global.ruleBroken?.message).toContain('dmem:vram/a holds 32768 B over its max 16384 B');
  });

  test('dmem.uncharge.no-underflow: an uncharge below zero', () => {
    const d = cgDevice();
    d.env.who = 'task:a';
    const bo = kunitBo(d.t, PAGE_SIZE);
    const res = ttmResourceAlloc(bo, place(TTM_PL_VRAM)) as Resource;
    pool(d.tree.root, d.region).usage = 0;
    ttmResourceFree(bo, res);
    expect(d.t.global.ruleBroken?.rule.id).toBe('dmem.uncharge.no-underflow');
    expect(pool(d.tree.root, d.region).usage).toBe(0);
  });

  test('dmem.usage.charged-resources: a pool whose usage disagrees with its resources', () => {
    const d = cgDevice();
    pool(d.b, d.region).usage = PAGE_SIZE;
    pool(d.tree.root, d.region).usage = PAGE_SIZE;
    d.env.who = 'task:a';
    ttmResourceAlloc(kunitBo(d.t, PAGE_SIZE), place(TTM_PL_VRAM));
    expect(d.t.global.ruleBroken?.rule.id).toBe('dmem.usage.charged-resources');
    expect(d.t.global.ruleBroken?.actor).toBe('dmem:vram/(root)');
  });

  test('dmem.uncharge.once: a resource uncharged a second time', () => {
    const d = cgDevice();
    d.env.who = 'task:a';
    const bo = kunitBo(d.t, PAGE_SIZE);
    const res = ttmResourceAlloc(bo, place(TTM_PL_VRAM)) as Resource;
    res.cssUncharged = true;
    ttmResourceFree(bo, res);
    expect(d.t.global.ruleBroken?.rule.id).toBe('dmem.uncharge.once');
  });

  test('dmem.evict.limit-subtree: a victim outside the limiting pool', () => {
    const d = cgDevice();
    const pa = pool(d.a, d.region);
    const pb = pool(d.b, d.region);
    checkDmemVictim(d.t.global, pa, pb, true, 'bo:victim');
    expect(d.t.global.ruleBroken?.rule.id).toBe('dmem.evict.limit-subtree');
    expect(d.t.global.ruleBroken?.message).toContain('charged to dmem:vram/b, outside dmem:vram/a');
  });

  test('dmem.evict.min-protected: a victim within its effective min', () => {
    const d = cgDevice();
    dmemSetLimit(d.a, d.region, 'min', 8 * PAGE_SIZE);
    const [a1] = create(d, 'task:a', 4);
    checkDmemVictim(d.t.global, null, a1.resource!.css, true, a1.id);
    expect(d.t.global.ruleBroken?.rule.id).toBe('dmem.evict.min-protected');
  });

  test('dmem.evict.low-first: a victim within its effective low in a walk that respects low', () => {
    const d = cgDevice();
    dmemSetLimit(d.a, d.region, 'low', 8 * PAGE_SIZE);
    const [a1] = create(d, 'task:a', 4);
    checkDmemVictim(d.t.global, null, a1.resource!.css, true, a1.id);
    expect(d.t.global.ruleBroken).toBeNull();
    checkDmemVictim(d.t.global, null, a1.resource!.css, false, a1.id);
    expect(d.t.global.ruleBroken?.rule.id).toBe('dmem.evict.low-first');
  });

  test('dmem.evict.low-best-effort: -EBUSY from turn-free walks while a BO within low but above min is left', () => {
    const d = cgDevice();
    dmemSetLimit(d.a, d.region, 'low', 16 * PAGE_SIZE);
    dmemSetLimit(d.a, d.region, 'min', 2 * PAGE_SIZE);
    const [a1] = create(d, 'task:a', 8);
    d.env.who = 'task:b';
    const evictor = kunitBo(d.t, 4 * PAGE_SIZE);
    const ctx = operationCtx({ interruptible: false });
    // Not judged after a scheduling point: the walks may have met another world.
    checkDmemLowBestEffort(evictor, d.vram, place(TTM_PL_VRAM), ctx, 1, null, true);
    expect(d.t.global.ruleBroken).toBeNull();
    checkDmemLowBestEffort(evictor, d.vram, place(TTM_PL_VRAM), ctx, 0, null, true);
    expect(d.t.global.ruleBroken?.rule.id).toBe('dmem.evict.low-best-effort');
    expect(d.t.global.ruleBroken?.actor).toBe(evictor.id);
    expect(
      d.t.global.ruleBroken?.message.endsWith(
        `${a1.id} (${a1.resource!.id}, charged to dmem:vram/a with 32768 B, effective low 65536 B, min 8192 B) is left on ${d.vram.id}'s LRU for ${evictor.id}`,
      ),
    ).toBe(true);
  });

  test('dmem.evict.low-best-effort: a BO within its min is not left for the walks', () => {
    const d = cgDevice();
    dmemSetLimit(d.a, d.region, 'min', 16 * PAGE_SIZE);
    create(d, 'task:a', 8);
    d.env.who = 'task:b';
    const evictor = kunitBo(d.t, 4 * PAGE_SIZE);
    checkDmemLowBestEffort(evictor, d.vram, place(TTM_PL_VRAM), operationCtx(), 0, null, true);
    expect(d.t.global.ruleBroken).toBeNull();
  });
});
