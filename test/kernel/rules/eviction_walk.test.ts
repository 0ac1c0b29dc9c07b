// Tests of the rules of eviction, suspend and teardown: Wait-Die kills only a context holding locks
// (ww.kill.holds-locks, src/kernel/rules/ww_mutex_kill.ts), a ticketed ttm_bo_evict_alloc gives up only
// after a walk that neither evicted nor passed a BO it could have slept on (bo.evict-alloc.ticketed,
// evict_alloc.ts), ttm_resource_manager_evict_all returns 0 only with its eviction fences signalled
// (resource.evict-all.fences, evict_all.ts), and ttm_device_fini takes only its device off the global
// list (device.fini.list, device_list.ts).

import { describe, expect, test } from 'vitest';
import {
  type LruWalkArg,
  newBufferObject,
  ttmBoEvictAlloc,
  ttmBoInitReserved,
  ttmBoInitValidate,
  ttmBoPut,
  ttmBoReserve,
  ttmBoUnreserve,
  ttmBoValidate,
  ttmLruWalkForEvict,
  ttmResourceManagerEvictAll,
} from '../../../src/kernel/bo.ts';
import { TTM_PL_SYSTEM, TTM_PL_TT, TTM_PL_VRAM } from '../../../src/kernel/constants.ts';
import { ttmDeviceFini } from '../../../src/kernel/device.ts';
import type { KGen } from '../../../src/kernel/env.ts';
import { EBUSY, EDEADLK, EINTR } from '../../../src/kernel/errno.ts';
import { FenceTimeline } from '../../../src/kernel/fence.ts';
import { operationCtx, place, placementOf } from '../../../src/kernel/placement.ts';
import type { Resource } from '../../../src/kernel/resource.ts';
import { DmaResv, dmaResvLock, wwAcquireInit } from '../../../src/kernel/resv.ts';
import { BO_RELEASE_RULES, checkReleaseLastResortWait } from '../../../src/kernel/rules/bo_release.ts';
import { DEVICE_LIST_RULES, postDeviceFiniList } from '../../../src/kernel/rules/device_list.ts';
import {
  checkEvictAllEmpty,
  EVICT_ALL_RULES,
  pendingEvictionFences,
  postEvictAll,
} from '../../../src/kernel/rules/evict_all.ts';
import {
  auditEvicted,
  auditSkip,
  auditWalkStart,
  EVICT_ALLOC_RULES,
  evictAllocAudit,
  postEvictAlloc,
} from '../../../src/kernel/rules/evict_alloc.ts';
import { postWwKill, WW_MUTEX_KILL_RULES } from '../../../src/kernel/rules/ww_mutex_kill.ts';
import { KERNEL_RULES } from '../../../src/kernel/rules.ts';
import { runSync, type SyncEnv } from '../../../src/kernel/sync.ts';
import { Sim } from '../../../src/sim/sim.ts';
import {
  kunitBo,
  mockManagerInit,
  newTtmDevice,
  PAGE_SIZE,
  testDevice,
  testDevicesBasic,
  ttmDevFuncs,
  ttmDeviceKunitInit,
} from '../../kunit/fixtures.ts';
import { faultPlan, placedBo, run, simWorld } from '../fault_fixtures.ts';
import { world } from '../page_fixtures.ts';
import { expectBroken, expectNoneBroken } from './fixtures.ts';

/** A walk's process_bo that evicts nothing (the walk must not even reach it here). */
function* skipBo(): KGen<number> {
  yield* [];
  return 0;
}

test('six checks with one-line upstream text, in KERNEL_RULES', () => {
  const rules = [
    ...WW_MUTEX_KILL_RULES,
    ...EVICT_ALLOC_RULES,
    ...EVICT_ALL_RULES,
    ...DEVICE_LIST_RULES,
    ...BO_RELEASE_RULES,
  ];
  expect(rules.map((r) => [r.id, r.when])).toEqual([
    ['ww.kill.holds-locks', 'return'],
    ['bo.evict-alloc.ticketed', 'return'],
    ['resource.evict-all.fences', 'return'],
    ['resource.evict-all.empty', 'return'],
    ['device.fini.list', 'return'],
    ['bo.release.last-resort-wait', 'return'],
  ]);
  for (const r of rules) {
    expect(KERNEL_RULES).toContain(r);
    for (const u of r.upstream) expect(u.text).not.toContain('\n');
  }
});

describe('ww.kill.holds-locks', () => {
  test('a younger ticket holding a lock meets an older holder: -EDEADLK, and the rule holds', () => {
    const t = world();
    const a = kunitBo(t, PAGE_SIZE);
    const b = kunitBo(t, PAGE_SIZE);
    const older = wwAcquireInit(t.env);
    const younger = wwAcquireInit(t.env);
    expect(runSync(t.env, dmaResvLock(a.resv, older, true))).toBe(0);
    expect(runSync(t.env, dmaResvLock(b.resv, younger, true))).toBe(0);
    expect(younger.acquired).toBe(1);
    expect(runSync(t.env, dmaResvLock(a.resv, younger, true))).toBe(-EDEADLK);
    expectNoneBroken(t.global);
  });

  test('-EDEADLK to a ticket that holds nothing breaks it; other returns, or no ticket, do not', () => {
    const t = world();
    const idle = wwAcquireInit(t.env);
    postWwKill(t.global, 'bo:1/resv', 0, idle);
    postWwKill(t.global, 'bo:1/resv', -EINTR, idle);
    postWwKill(t.global, 'bo:1/resv', -EDEADLK, null);
    expectNoneBroken(t.global);
    postWwKill(t.global, 'bo:1/resv', -EDEADLK, idle);
    expectBroken(t.global, 'ww.kill.holds-locks', 'bo:1/resv');
    expect(t.global.ruleBroken?.message).toBe(
      `dma_resv_lock returns -EDEADLK only to an acquire context that holds at least one ww_mutex (Wait-Die never kills a context holding none): ticket ${idle.stamp} of ${idle.task} holds no lock and was told to back off`,
    );
  });
});

describe('bo.evict-alloc.ticketed', () => {
  test('a ticketed evict_alloc that evicts a trylockable victim gets a resource; the rule holds', () => {
    const w = simWorld();
    const man = w.dev.bdev.manager(TTM_PL_VRAM)!;
    const victim = placedBo(w, 16, TTM_PL_VRAM);
    const evictor = kunitBo(w.dev, 4 * PAGE_SIZE);
    const ticket = wwAcquireInit(w.env);
    expect(run(w, dmaResvLock(evictor.resv, ticket, false))).toBe(0);
    const res = run(w, ttmBoEvictAlloc(w.dev.bdev, man, place(TTM_PL_VRAM), evictor, operationCtx(), ticket));
    expect(typeof res).not.toBe('number');
    expect((res as Resource).memType).toBe(TTM_PL_VRAM);
    expect(victim.resource?.memType).not.toBe(TTM_PL_VRAM);
    expectNoneBroken(w.global);
  });

  test('under contention a ticketed validate sleeps on the victim held by another task, evicts it and gets VRAM; the rule holds on every schedule', () => {
    let contended = 0;
    for (let seed = 0n; seed < 12n; seed += 1n) {
      const sim = new Sim({ seed });
      const t = testDevice(ttmDevFuncs, sim.env as SyncEnv);
      mockManagerInit(t.bdev, TTM_PL_VRAM, 4 * PAGE_SIZE);
      mockManagerInit(t.bdev, TTM_PL_TT, 16 * PAGE_SIZE);
      const vram = placementOf(place(TTM_PL_VRAM));
      let holding = false;
      let ret = null as number | null;
      sim.spawn('main', function* () {
        const victim = newBufferObject(t.bdev, 4 * PAGE_SIZE);
        expect(
          yield* ttmBoInitReserved(t.bdev, victim, 'device', vram, 1, operationCtx(), null, null, null),
        ).toBe(0);
        victim.resv.unlock();
        sim.spawn('holder', function* () {
          expect(yield* ttmBoReserve(victim, false, false, null)).toBe(0);
          holding = true;
          for (let i = 0; i < 3; i += 1) yield { kind: 'yield', label: 'holder.work' };
          holding = false;
          ttmBoUnreserve(victim);
          return 0;
        });
        sim.spawn('evictor', function* () {
          const bo = newBufferObject(t.bdev, 2 * PAGE_SIZE);
          expect(
            yield* ttmBoInitReserved(
              t.bdev,
              bo,
              'device',
              placementOf(place(TTM_PL_TT)),
              1,
              operationCtx(),
              null,
              null,
              null,
            ),
          ).toBe(0);
          bo.resv.unlock();
          const ticket = wwAcquireInit(sim.env);
          expect(yield* dmaResvLock(bo.resv, ticket, false)).toBe(0);
          if (holding) contended += 1;
          ret = yield* ttmBoValidate(bo, vram, operationCtx());
          bo.resv.unlock();
          return 0;
        });
        return 0;
      });
      sim.run();
      expect(ret).toBe(0);
      expectNoneBroken(t.global);
    }
    expect(contended).toBeGreaterThan(0);
  });

  test('a trylock-only walk passes a BO another task holds while its ticket is armed; -EBUSY after it breaks the rule', () => {
    const w = simWorld();
    const man = w.dev.bdev.manager(TTM_PL_VRAM)!;
    const victim = placedBo(w, 16, TTM_PL_VRAM);
    expect(victim.resv.lock.trylock('other-task')).toBe(true);
    const audit = evictAllocAudit();
    const walk: LruWalkArg = { ctx: operationCtx(), ticket: wwAcquireInit(w.env), trylockOnly: true, audit };
    const visited: string[] = [];
    expect(
      run(
        w,
        ttmLruWalkForEvict(walk, man, 1, (bo) => {
          visited.push(bo.id);
          return skipBo();
        }),
      ),
    ).toBe(0);
    expect(visited).toEqual([]);
    expect(audit).toEqual({ walks: 1, evicted: 0, skippedArmed: victim.id });
    postEvictAlloc(w.global, 'bo:9', -EBUSY, false, audit);
    expectNoneBroken(w.global);
    postEvictAlloc(w.global, 'bo:9', -EBUSY, true, audit);
    expectBroken(w.global, 'bo.evict-alloc.ticketed', 'bo:9');
    expect(w.global.ruleBroken?.message).toContain(
      `it returned -EBUSY after 1 walk(s), the last of which skipped ${victim.id}, whose lock another task held, without trying its ticket`,
    );
  });

  test('-EBUSY after a last walk that evicted something breaks it; a new walk clears what the last one saw', () => {
    const t = world();
    const a = evictAllocAudit();
    auditWalkStart(a);
    auditSkip(a, true, 'bo:3');
    auditWalkStart(a);
    auditSkip(a, false, 'bo:3');
    postEvictAlloc(t.global, 'bo:1', -EBUSY, true, a);
    postEvictAlloc(t.global, 'bo:1', 0, true, a);
    expectNoneBroken(t.global);
    auditEvicted(a);
    postEvictAlloc(t.global, 'bo:1', -EINTR, true, a);
    expectNoneBroken(t.global);
    postEvictAlloc(t.global, 'bo:1', -EBUSY, true, a);
    expectBroken(t.global, 'bo.evict-alloc.ticketed', 'bo:1');
    expect(t.global.ruleBroken?.message).toContain(
      'it returned -EBUSY after 2 walk(s), the last of which evicted 1 BO(s)',
    );
  });
});

describe('resource.evict-all.fences', () => {
  test('evict_all waits for every occupied slot before it returns 0; the rule holds', () => {
    const w = simWorld();
    const vram = w.dev.bdev.manager(TTM_PL_VRAM)!;
    const f0 = new FenceTimeline(w.env, 'copy-a').emit();
    const f3 = new FenceTimeline(w.env, 'copy-b').emit();
    vram.evictionFences[0] = f0;
    vram.evictionFences[3] = f3;
    expect(pendingEvictionFences(vram)).toEqual([f0, f3]);
    expect(run(w, ttmResourceManagerEvictAll(w.dev.bdev, vram))).toBe(0);
    expect([f0.signaled, f3.signaled]).toEqual([true, true]);
    expectNoneBroken(w.global);
  });

  test('0 with a fence of the snapshot unsignalled breaks it; signalled ones do not', () => {
    const w = simWorld();
    const vram = w.dev.bdev.manager(TTM_PL_VRAM)!;
    const f0 = new FenceTimeline(w.env, 'copy-a').emit();
    const f1 = new FenceTimeline(w.env, 'copy-b').emit();
    f1.signal();
    postEvictAll(w.global, vram, [f1]);
    expectNoneBroken(w.global);
    postEvictAll(w.global, vram, [f1, f0]);
    expectBroken(w.global, 'resource.evict-all.fences', vram.id);
    expect(w.global.ruleBroken?.message).toContain(
      `it returned 0 with ${f0.id} of its eviction slots unsignalled`,
    );
  });
});

describe('device.fini.list', () => {
  test('fini of the middle of three devices leaves the other two, in order; the rule holds', () => {
    const priv = testDevicesBasic();
    const devs = [newTtmDevice(priv), newTtmDevice(priv), newTtmDevice(priv)];
    for (const d of devs) expect(ttmDeviceKunitInit(priv, d, false, false)).toBe(0);
    ttmDeviceFini(devs[1]!);
    expect(priv.global.deviceList).toEqual([devs[0], devs[2]]);
    expectNoneBroken(priv.global);
  });

  test('a list that lost a second device, or kept the finished one, breaks it', () => {
    const priv = testDevicesBasic();
    const devs = [newTtmDevice(priv), newTtmDevice(priv), newTtmDevice(priv)];
    for (const d of devs) expect(ttmDeviceKunitInit(priv, d, false, false)).toBe(0);
    const before = [...priv.global.deviceList];
    priv.global.deviceList.splice(0, 2);
    postDeviceFiniList(priv.global, devs[0]!, before);
    expectBroken(priv.global, 'device.fini.list', devs[0]!.id);
    expect(priv.global.ruleBroken?.message).toBe(
      `ttm_device_fini takes the device, and only it, off the global device list: the list went from [${devs.map((d) => d.id).join(', ')}] to [${devs[2]!.id}]`,
    );
    const other = testDevicesBasic();
    const d = newTtmDevice(other);
    expect(ttmDeviceKunitInit(other, d, false, false)).toBe(0);
    postDeviceFiniList(other.global, d, [d]);
    expectBroken(other.global, 'device.fini.list', d.id);
  });
});

describe('bo.release.last-resort-wait', () => {
  test('the fences of a BO on a shared resv cannot be copied: release waits, the BO keeps the shared resv, the rule holds', () => {
    const w = simWorld();
    const shared = new DmaResv('resv:shared');
    const bo = newBufferObject(w.dev.bdev, 2 * PAGE_SIZE);
    expect(shared.trylock(w.dev.bdev.env.current())).toBe(true);
    expect(
      run(
        w,
        ttmBoInitValidate(w.dev.bdev, bo, 'device', placementOf(place(TTM_PL_SYSTEM)), 1, false, shared),
      ),
    ).toBe(0);
    shared.unlock();
    const log = faultPlan(w.global, { 'resv.copy': [1] });
    run(w, ttmBoPut(bo));
    expect(log).toEqual(['resv.copy#1 bo:0 FAIL']);
    expect(bo.resv).toBe(shared);
    expect(bo.destroyed).toBe(true);
    expectNoneBroken(w.global);
  });

  test('a wait where the BO already has its own resv breaks it', () => {
    const w = simWorld();
    const bo = placedBo(w, 1, TTM_PL_VRAM);
    expect(bo.resv).toBe(bo.ownResv);
    checkReleaseLastResortWait(bo);
    expectBroken(w.global, 'bo.release.last-resort-wait', bo.id);
    expect(w.global.ruleBroken?.message).toBe(
      "ttm_bo_release waits for a BO's fences only when they could not be copied to its own resv; a BO whose own resv holds them is left to the delayed destroy: it waited although the BO already has its own resv with the fences copied",
    );
  });
});

describe('resource.evict-all.empty', () => {
  test('evict_all of a VRAM holding two BOs: both evicted, the loop ends on empty lists, the rule holds', () => {
    const w = simWorld();
    const vram = w.dev.bdev.manager(TTM_PL_VRAM)!;
    const bos = [placedBo(w, 4, TTM_PL_VRAM), placedBo(w, 4, TTM_PL_VRAM)];
    expect(run(w, ttmResourceManagerEvictAll(w.dev.bdev, vram))).toBe(0);
    expect(bos.map((b) => b.resource?.memType === TTM_PL_VRAM)).toEqual([false, false]);
    expect(vram.usage).toBe(0);
    expectNoneBroken(w.global);
  });

  test('-ENOENT with a resource still on an LRU list breaks it', () => {
    const w = simWorld();
    const vram = w.dev.bdev.manager(TTM_PL_VRAM)!;
    const bo = placedBo(w, 4, TTM_PL_VRAM);
    checkEvictAllEmpty(w.global, vram);
    expectBroken(w.global, 'resource.evict-all.empty', vram.id);
    expect(w.global.ruleBroken?.message).toBe(
      `ttm_resource_manager_evict_all stops evicting (ttm_bo_evict_first finds no first resource: -ENOENT) only when no resource is left on any of the manager's LRU lists: the loop ended with -ENOENT while ${bo.resource!.id} were still listed`,
    );
  });
});
