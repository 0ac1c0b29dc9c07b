// Fault sites of the kernel model (src/kernel/faults.ts) at the kernel's real failure points: every
// evaluation asks the world's fault hook once, naming the object; a fired fault takes the kernel's error
// path with its errno, and that path gives back exactly what it took. Without a hook nothing changes.

import { describe, expect, test } from 'vitest';
import { runScenario } from '../../src/explore/run.ts';
import type { BufferObject } from '../../src/kernel/bo.ts';
import { ttmBoInitValidate } from '../../src/kernel/bo.ts';
import { TTM_PL_SYSTEM } from '../../src/kernel/constants.ts';
import { EFAULT, EINTR, ENOMEM } from '../../src/kernel/errno.ts';
import type { FaultHook, FaultSite } from '../../src/kernel/faults.ts';
import { Iommu } from '../../src/kernel/iommu.ts';
import { operationCtx, place, placementOf } from '../../src/kernel/placement.ts';
import { MUTATION_POOL_ALLOC_ERROR_DOUBLE_FREE, ttmPoolFree } from '../../src/kernel/pool.ts';
import { ttmPoolSelectType } from '../../src/kernel/pool_type.ts';
import { ttmResourceAlloc } from '../../src/kernel/resource.ts';
import { runSync } from '../../src/kernel/sync.ts';
import { ttmTtBackup, ttmTtRestore } from '../../src/kernel/tt.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';
import { kunitBo, type TestDevice } from '../kunit/fixtures.ts';
import {
  contents,
  frames,
  intrCtx,
  newTt,
  poolAlloc,
  shrinkableTt,
  slotKinds,
  world,
} from './page_fixtures.ts';

/** A fault hook failing the n-th evaluations (1-based, per site) listed in `fail`; it logs every evaluation. */
function faultPlan(t: TestDevice, fail: Partial<Record<FaultSite, readonly number[]>>): string[] {
  const log: string[] = [];
  const seen = new Map<FaultSite, number>();
  const hook: FaultHook = (site, where) => {
    const n = (seen.get(site) ?? 0) + 1;
    seen.set(site, n);
    const fire = fail[site]?.includes(n) ?? false;
    log.push(`${site}#${n} ${where}${fire ? ' FAIL' : ''}`);
    return fire;
  };
  t.global.faultHook = hook;
  return log;
}

/** A test world whose device maps DMA through an IOMMU of 64 pages. */
function iommuWorld(): { t: TestDevice; iommu: Iommu } {
  const t = world();
  const iommu = new Iommu('iommu0', 64);
  t.bdev.iommu = iommu;
  return { t, iommu };
}

describe("fault site 'page.alloc' (ttm_pool_alloc_page, set_pages_array_*)", () => {
  test('7-page tt, the order-0 allocation (3rd evaluation) fails → -ENOMEM without direct reclaim; the two mapped blocks unmapped and freed', () => {
    const { t, iommu } = iommuWorld();
    let reclaims = 0;
    t.global.directReclaim = function* () {
      reclaims += 1;
      yield { kind: 'yield', label: 'reclaim' };
      return 0;
    };
    const { tt } = newTt(t, 7, 'cached', 0, true);
    const log = faultPlan(t, { 'page.alloc': [3] });
    expect(poolAlloc(t, tt)).toBe(-ENOMEM);
    expect(log).toEqual([
      'page.alloc#1 tt:0',
      'iommu.map#1 tt:0',
      'page.alloc#2 tt:0',
      'iommu.map#2 tt:0',
      'page.alloc#3 tt:0 FAIL',
    ]);
    expect(reclaims).toBe(0);
    expect(t.global.ram.usedPages).toBe(0);
    expect(iommu.mappingCount).toBe(0);
    expect(iommu.usedPages).toBe(0);
    expect(t.global.poolMgr.allocatedPages).toBe(0);
    expect(tt.pages).toEqual(new Array(7).fill(null));
    expect(tt.dmaAddress).toEqual(new Array(7).fill(null));
  });

  test('4-page tt, the order-2 allocation fails → order 1 twice: 0, blocks [1, 0, 1, 0]', () => {
    const t = world();
    const { tt } = newTt(t, 4, 'cached');
    const log = faultPlan(t, { 'page.alloc': [1] });
    expect(poolAlloc(t, tt)).toBe(0);
    expect(log).toEqual(['page.alloc#1 tt:0 FAIL', 'page.alloc#2 tt:0', 'page.alloc#3 tt:0']);
    expect(frames(tt).map((p) => t.global.ram.getPrivate(p))).toEqual([1, 0, 1, 0]);
    expect(t.global.ram.usedPages).toBe(4);
  });

  test('write-combined 3-page tt, its batched caching change fails (3rd evaluation) → -ENOMEM, pages freed write-back, no caching change', () => {
    const t = world();
    const ram = t.global.ram;
    const { tt } = newTt(t, 3, 'write_combined');
    const log = faultPlan(t, { 'page.alloc': [3] });
    expect(poolAlloc(t, tt)).toBe(-ENOMEM);
    expect(log).toEqual(['page.alloc#1 tt:0', 'page.alloc#2 tt:0', 'page.alloc#3 tt:0 FAIL']);
    expect(ram.cachingChanges).toBe(0);
    expect(ram.usedPages).toBe(0);
    expect(t.global.poolMgr.allocatedPages).toBe(0);
  });

  test('write-combined 6-page tt: a pooled order-2 block, then system pages whose caching change fails → the pooled block goes back to its pool, the system pages are freed', () => {
    const t = world();
    const ram = t.global.ram;
    const warm = newTt(t, 4, 'write_combined').tt;
    expect(poolAlloc(t, warm)).toBe(0);
    ttmPoolFree(t.bdev.pool, warm);
    const pooled = ttmPoolSelectType(t.bdev.pool, 'write_combined', 2)!;
    expect(pooled.pages.length).toBe(1);
    const { tt } = newTt(t, 6, 'write_combined');
    const log = faultPlan(t, { 'page.alloc': [2] });
    expect(poolAlloc(t, tt)).toBe(-ENOMEM);
    // The order-2 block came from the pool: no evaluation; then the order-1 block and the caching change.
    expect(log).toEqual(['page.alloc#1 tt:1', 'page.alloc#2 tt:1 FAIL']);
    expect(pooled.pages.length).toBe(1);
    expect(t.global.poolMgr.allocatedPages).toBe(4);
    expect(ram.usedPages).toBe(4);
  });

  test(`same, with ${MUTATION_POOL_ALLOC_ERROR_DOUBLE_FREE}: the second free starts at slot 0 and frees the pooled block again`, () => {
    const t = world();
    t.global.mutations = new Set([MUTATION_POOL_ALLOC_ERROR_DOUBLE_FREE]);
    const ram = t.global.ram;
    const warm = newTt(t, 4, 'write_combined').tt;
    expect(poolAlloc(t, warm)).toBe(0);
    ttmPoolFree(t.bdev.pool, warm);
    const pooled = ttmPoolSelectType(t.bdev.pool, 'write_combined', 2)!;
    const head = pooled.pages[0]!;
    const { tt } = newTt(t, 6, 'write_combined');
    faultPlan(t, { 'page.alloc': [2] });
    expect(poolAlloc(t, tt)).toBe(-ENOMEM);
    // The pool still lists the block, which RAM no longer holds; the order-1 system block leaked.
    expect(pooled.pages).toEqual([head]);
    expect(ram.blockOrder(head)).toBe(-1);
    expect(ram.usedPages).toBe(2);
  });
});

describe("fault site 'iommu.map' (dma_map_page in ttm_pool_map)", () => {
  test('3-page tt, the second block cannot be mapped → -EFAULT; the first block unmapped and freed, one map failure counted', () => {
    const { t, iommu } = iommuWorld();
    const { tt } = newTt(t, 3, 'cached', 0, true);
    const log = faultPlan(t, { 'iommu.map': [2] });
    expect(poolAlloc(t, tt)).toBe(-EFAULT);
    expect(log).toEqual([
      'page.alloc#1 tt:0',
      'iommu.map#1 tt:0',
      'page.alloc#2 tt:0',
      'iommu.map#2 tt:0 FAIL',
    ]);
    expect(iommu.mapFailures).toBe(1);
    expect(iommu.mappingCount).toBe(0);
    expect(t.global.ram.usedPages).toBe(0);
    expect(tt.dmaAddress).toEqual([null, null, null]);
  });

  test('without an IOMMU the DMA address is the frame number and nothing is evaluated', () => {
    const t = world();
    const { tt } = newTt(t, 2, 'cached', 0, true);
    const log = faultPlan(t, { 'iommu.map': [1] });
    expect(poolAlloc(t, tt)).toBe(0);
    expect(log).toEqual(['page.alloc#1 tt:0']);
    expect(tt.dmaAddress).toEqual(frames(tt));
  });
});

describe("fault site 'resource.alloc' (a manager's kzalloc)", () => {
  test('ttm_resource_alloc fails → -ENOMEM, nothing counted in the manager', () => {
    const t = world();
    const bo = kunitBo(t, 8192);
    const log = faultPlan(t, { 'resource.alloc': [1] });
    expect(ttmResourceAlloc(bo, place(TTM_PL_SYSTEM))).toBe(-ENOMEM);
    expect(log).toEqual(['resource.alloc#1 bo:0 FAIL']);
    expect(t.bdev.manager(TTM_PL_SYSTEM)!.usage).toBe(0);
  });

  test('ttm_bo_init_validate into SYSTEM whose resource cannot be allocated → -ENOMEM, the BO put and destroyed', () => {
    const t = world();
    const bo: BufferObject = kunitBo(t, 8192);
    const log = faultPlan(t, { 'resource.alloc': [1] });
    const sys = placementOf(place(TTM_PL_SYSTEM));
    expect(runSync(t.env, ttmBoInitValidate(t.bdev, bo, 'device', sys, 1, true, null))).toBe(-ENOMEM);
    // ttm_bo_alloc_resource reserves the fence slot before it asks the manager.
    expect(log).toEqual(['resv.reserve#1 bo:0', 'resource.alloc#1 bo:0 FAIL']);
    expect(bo.destroyed).toBe(true);
    expect(bo.resource).toBeNull();
    expect(t.global.boCount).toBe(0);
  });
});

describe("fault site 'backup.write' (ttm_backup_backup_page in ttm_pool_backup)", () => {
  test('4-page tt, the 3rd page cannot be written → partial backup of 2 pages, the rest stays resident', () => {
    const t = world();
    const { tt, data } = shrinkableTt(t, 4);
    const log = faultPlan(t, { 'backup.write': [3] });
    expect(ttmTtBackup(t.bdev, tt, { purge: false, writeback: false })).toBe(2);
    expect(log).toEqual(['backup.write#1 tt:0', 'backup.write#2 tt:0', 'backup.write#3 tt:0 FAIL']);
    expect(slotKinds(tt)).toEqual(['handle', 'handle', 'page', 'page']);
    expect(tt.isBackedUp()).toBe(true);
    expect(t.global.swap.usedPages).toBe(2);
    expect(t.global.ram.usedPages).toBe(2);
    expect(runSync(t.env, ttmTtRestore(t.bdev, tt, intrCtx()))).toBe(0);
    expect(contents(t, tt)).toEqual(data);
  });

  test('the first page cannot be written → -ENOMEM, nothing backed up', () => {
    const t = world();
    const { tt } = shrinkableTt(t, 2);
    faultPlan(t, { 'backup.write': [1] });
    expect(ttmTtBackup(t.bdev, tt, { purge: false, writeback: false })).toBe(-ENOMEM);
    expect(slotKinds(tt)).toEqual(['page', 'page']);
    expect(tt.isBackedUp()).toBe(false);
    expect(t.global.swap.usedPages).toBe(0);
  });
});

describe("fault site 'restore.interrupt' (a signal during ttm_backup_copy_page)", () => {
  test('4-page restore interrupted before its 2nd page → -EINTR, state kept; resumed → 0, content intact, every handle dropped once', () => {
    const t = world();
    const swap = t.global.swap;
    const { tt, data } = shrinkableTt(t, 4);
    expect(ttmTtBackup(t.bdev, tt, { purge: false, writeback: false })).toBe(4);
    const log = faultPlan(t, { 'restore.interrupt': [2] });
    expect(runSync(t.env, ttmTtRestore(t.bdev, tt, intrCtx()))).toBe(-EINTR);
    expect(log).toEqual([
      'restore.alloc#1 tt:0',
      'page.alloc#1 tt:0',
      'restore.interrupt#1 tt:0',
      'backup.read#1 tt:0',
      'restore.interrupt#2 tt:0 FAIL',
    ]);
    expect(tt.restore!.restoredPages).toBe(1);
    expect(tt.isBackedUp()).toBe(true);
    expect(swap.usedPages).toBe(3);
    expect(t.global.ram.usedPages).toBe(4);
    expect(runSync(t.env, ttmTtRestore(t.bdev, tt, intrCtx()))).toBe(0);
    expect(log.slice(5)).toEqual([
      'restore.interrupt#3 tt:0',
      'backup.read#2 tt:0',
      'restore.interrupt#4 tt:0',
      'backup.read#3 tt:0',
      'restore.interrupt#5 tt:0',
      'backup.read#4 tt:0',
    ]);
    expect(tt.restore).toBeNull();
    expect(contents(t, tt)).toEqual(data);
    expect(swap.usedPages).toBe(0);
    expect(swap.drops).toBe(4);
  });

  test("a non-interruptible restore never evaluates 'restore.interrupt'", () => {
    const t = world();
    const { tt, data } = shrinkableTt(t, 2);
    expect(ttmTtBackup(t.bdev, tt, { purge: false, writeback: false })).toBe(2);
    const log = faultPlan(t, { 'restore.interrupt': [1] });
    expect(runSync(t.env, ttmTtRestore(t.bdev, tt, operationCtx()))).toBe(0);
    expect(log).toEqual([
      'restore.alloc#1 tt:0',
      'page.alloc#1 tt:0',
      'backup.read#1 tt:0',
      'backup.read#2 tt:0',
    ]);
    expect(contents(t, tt)).toEqual(data);
  });
});

describe('fault sites without a fault', () => {
  test('vram-pressure seed 1: a plan that fails nothing gives the trace of a run without a plan', () => {
    const scenario = findScenario('vram-pressure')!;
    const plain = runScenario(scenario, { seed: 1n });
    const planned = runScenario(scenario, { seed: 1n, faults: { kind: 'planned', at: [] } });
    expect(planned.traceSha256).toBe(plain.traceSha256);
    expect(planned.faultEvaluations).toBeGreaterThan(0);
    expect(planned.faultsFired).toEqual([]);
  });
});
