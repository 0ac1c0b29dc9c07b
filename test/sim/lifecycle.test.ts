import { describe, expect, test } from 'vitest';
import { runScenario } from '../../src/explore/run.ts';
import { newBufferObject, ttmBoInitValidate, ttmBoPut } from '../../src/kernel/bo.ts';
import { TTM_PL_SYSTEM, TTM_PL_TT, TTM_PL_VRAM } from '../../src/kernel/constants.ts';
import { TtmGlobal, ttmDeviceFini } from '../../src/kernel/device.ts';
import { DmaFence } from '../../src/kernel/fence.ts';
import { dmaFenceGet } from '../../src/kernel/fence_refs.ts';
import { place, placementOf } from '../../src/kernel/placement.ts';
import type { RangeManager, ResourceManager } from '../../src/kernel/resource.ts';
import { createSimDevice } from '../../src/kernel/simdrv.ts';
import { runSync, SyncEnv } from '../../src/kernel/sync.ts';
import { ttmDeviceDrainWorkqueue, ttmRangeManFini } from '../../src/kernel/teardown.ts';
import { END_CHECKS, endOfLifeChecks, type WorldRecord } from '../../src/sim/end_checks.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';

/** Every built-in scenario with a TTM world that must pass, with its device count. */
const LIFE_SCENARIOS: readonly [string, number][] = [
  ['vram-pressure', 1],
  ['vram-pressure-large', 1],
  ['abba-ww', 1],
  ['memory-pressure', 1],
  ['move-race', 1],
  ['upload-race', 1],
  ['swap-race', 1],
  ['bulk-lru', 1],
  ['pool-reclaim', 1],
  ['pool-dma32', 2],
  ['race', 1],
  ['small', 1],
  ['shared-iommu', 2],
  ['vm-reset', 1],
  ['placement', 1],
  ['ticket-contention', 1],
  ['dmem-low', 1],
  ['frame-recycle', 2],
];

describe('lifecycle: every should-pass scenario lives init, work, suspend, resume, work, teardown', () => {
  for (const [name, devices] of LIFE_SCENARIOS) {
    test(`${name} seed 0 → 1 suspend (evict_all of VRAM and TT per device), 1 resume, 1 teardown, nothing left`, () => {
      const r = runScenario(findScenario(name)!, { seed: 0n });
      const s = r.stats;
      expect([s.lifeSuspends, s.lifeResumes, s.lifeTeardowns]).toEqual([1, 1, 1]);
      expect([s.lifeEvictAlls, s.lifeManagersFini, s.lifeDevicesFini, s.lifeDrains]).toEqual([
        2 * devices,
        2 * devices,
        devices,
        devices,
      ]);
      expect(s.lifeSuspendErrors).toBe(0);
      expect(s.lifeFrozen).toBeGreaterThan(0);
      expect(s.boCount).toBe(0);
    });
  }

  test('small seed 0 → 3 workers frozen with 3 BOs (40 KiB in VRAM/TT), all evicted and swapped out, 5 BOs destroyed', () => {
    const s = runScenario(findScenario('small')!, { seed: 0n }).stats;
    expect([s.lifeFrozen, s.lifeBosAtSuspend, s.lifeUsageAtSuspend, s.lifeUsageAfterSuspend]).toEqual([
      3, 3, 40960, 0,
    ]);
    expect([s.lifeHibernations, s.destroyed, s.boCount]).toEqual([1, 5, 0]);
  });

  test('vram-pressure seed 0 → 14 BOs at suspend (ghosts and zombies included); the pinned scanout (48 KiB) stays in VRAM through evict_all', () => {
    const s = runScenario(findScenario('vram-pressure')!, { seed: 0n }).stats;
    expect([s.lifeWorkers, s.lifeFrozen, s.lifeBosAtSuspend, s.lifeUsageAfterSuspend]).toEqual([
      3, 3, 14, 49152,
    ]);
    expect([s.lifeHibernations, s.boCount]).toEqual([0, 0]);
  });
});

/** A world with one device (IOMMU of 64 pages), one BO created and put, then torn down as the lifecycle does. */
function tornDownWorld(): { env: SyncEnv; rec: WorldRecord; mans: ResourceManager[] } {
  const env = new SyncEnv();
  const global = new TtmGlobal();
  const dev = createSimDevice(env, global, 'device:0', {
    vramBytes: 64 * 4096,
    ttBytes: 64 * 4096,
    iommuPages: 64,
    ttCaching: 'write_combined',
  });
  const mans = [dev.bdev.manager(TTM_PL_SYSTEM)!, dev.tt, dev.vram];
  const bo = newBufferObject(dev.bdev, 4 * 4096);
  expect(
    runSync(env, ttmBoInitValidate(dev.bdev, bo, 'device', placementOf(place(TTM_PL_TT)), 1, false, null)),
  ).toBe(0);
  runSync(env, ttmBoPut(bo));
  runSync(env, ttmDeviceDrainWorkqueue(dev.bdev));
  expect(runSync(env, ttmRangeManFini(dev.bdev, TTM_PL_VRAM))).toBe(0);
  expect(runSync(env, ttmRangeManFini(dev.bdev, TTM_PL_TT))).toBe(0);
  ttmDeviceFini(dev.bdev);
  const rec: WorldRecord = {
    global,
    devices: [{ bdev: dev.bdev, managers: mans }],
    iommus: [dev.bdev.iommu!],
    bos: [bo],
  };
  return { env, rec, mans };
}

function ids(rec: WorldRecord): string[] {
  return endOfLifeChecks(rec, true).map((b) => b.id);
}

describe('end checks: each fires when its count is left non-zero', () => {
  test('a world torn down as upstream does → no breach; every check has a catalogue entry with an upstream text', () => {
    const { rec, mans } = tornDownWorld();
    expect(ids(rec)).toEqual([]);
    expect(mans.map((m) => [m.useType, m.bdev.manager(m.memType) === m])).toEqual([
      [false, false],
      [false, false],
      [false, false],
    ]);
    for (const c of END_CHECKS) {
      expect(c.when).toBe('end');
      expect(c.upstream.length).toBeGreaterThan(0);
    }
    const catalogued = new Set(END_CHECKS.map((c) => c.id));
    expect(catalogued.size).toBe(END_CHECKS.length);
    for (const id of [
      'correctness.leak',
      'correctness.accounting',
      'lifecycle.mm-clean',
      'lifecycle.manager-fini',
      'lifecycle.device-fini',
      'correctness.bo-leak',
      'accounting.bo-count',
      'correctness.lock-held',
      'correctness.pool-leak',
      'correctness.page-accounting',
      'correctness.iommu-leak',
      'correctness.swap-leak',
      'correctness.fence-leak',
      'correctness.page-leak',
      'correctness.errno',
    ])
      expect(catalogued.has(id)).toBe(true);
  });

  test('a page frame never freed → correctness.page-leak', () => {
    const { rec } = tornDownWorld();
    expect(rec.global.ram.allocPages(0, false)).toBeGreaterThanOrEqual(0);
    expect(ids(rec)).toEqual(['correctness.page-leak']);
  });

  test('an IOMMU mapping never unmapped → correctness.iommu-leak', () => {
    const { rec } = tornDownWorld();
    expect(rec.iommus[0]!.map('device:0', [7])).toBe(1);
    expect(ids(rec)).toEqual(['correctness.iommu-leak']);
  });

  test('a swap slot still in use → correctness.swap-leak', () => {
    const { rec } = tornDownWorld();
    expect(rec.global.swap.allocSlot()).toBe(0);
    expect(ids(rec)).toEqual(['correctness.swap-leak']);
  });

  test('a fence reference taken and never put → correctness.fence-leak', () => {
    const { rec } = tornDownWorld();
    dmaFenceGet(rec.global, new DmaFence(9, 1));
    expect(ids(rec)).toEqual(['correctness.fence-leak']);
  });

  test('a page left in a pool type → correctness.pool-leak (and the frame it holds: page-leak)', () => {
    const { rec } = tornDownWorld();
    const mgr = rec.global.poolMgr;
    const p = rec.global.ram.allocPages(0, false);
    mgr.globalWriteCombined[0]!.pages.push(p);
    mgr.allocatedPages += 1;
    expect(ids(rec)).toEqual(['correctness.pool-leak', 'correctness.page-leak']);
  });

  test('ttm_pages_allocated or the DMA32 count left above 0 → correctness.page-accounting', () => {
    const { rec } = tornDownWorld();
    rec.global.ttmPagesAllocated = 4;
    expect(ids(rec)).toEqual(['correctness.page-accounting']);
    rec.global.ttmPagesAllocated = 0;
    rec.global.ttmDma32PagesAllocated = 1;
    expect(ids(rec)).toEqual(['correctness.page-accounting']);
  });

  test('manager usage left, allocator out of step, nodes left at takedown → leak, accounting, mm-clean', () => {
    const { rec, mans } = tornDownWorld();
    mans[0]!.usage = 4096;
    expect(ids(rec)).toEqual(['correctness.leak']);
    mans[0]!.usage = 0;
    (mans[2] as RangeManager).mm.insert(2, 1, 0, 0, 'best');
    expect(ids(rec)).toEqual(['correctness.accounting', 'lifecycle.mm-clean']);
  });

  test('a manager still attached or enabled, a device still listed → manager-fini, device-fini', () => {
    const { rec, mans } = tornDownWorld();
    mans[1]!.useType = true;
    expect(ids(rec)).toEqual(['lifecycle.manager-fini']);
    mans[1]!.useType = false;
    rec.global.deviceList.push(rec.devices[0]!.bdev);
    expect(ids(rec)).toEqual(['lifecycle.device-fini']);
  });

  test('a BO never destroyed, a count with no BO, a resv left locked → bo-leak, bo-count, lock-held', () => {
    const { rec } = tornDownWorld();
    rec.global.bos.add(rec.bos[0]!);
    rec.global.boCount = 1;
    expect(ids(rec)).toEqual(['correctness.bo-leak']);
    rec.global.bos.delete(rec.bos[0]!);
    // ttm_glob.bo_count counted a BO that no longer exists (e.g. a ghost freed on an error path).
    expect(ids(rec)).toEqual(['accounting.bo-count']);
    rec.global.boCount = 0;
    expect(rec.bos[0]!.resv.trylock('task:t')).toBe(true);
    expect(ids(rec)).toEqual(['correctness.lock-held']);
  });

  test('teardown not reached → only the counts are judged (no take-down checks)', () => {
    const { rec, mans } = tornDownWorld();
    mans[1]!.useType = true;
    expect(endOfLifeChecks(rec, false)).toEqual([]);
  });
});
