// Mutation swapout-not-ret: ttm_bo_swapout_cb's `if (!ret)` after ttm_tt_swapout as b2ed01e7ad3d
// shipped it (ttm_tt_swapout returns the page count). The consequence reported after hibernation, shown
// on the kernel model: a swapped-out BO's resource stays in its bulk range on the LRU; once the BO is
// released the range still starts at the freed resource, and ttm_lru_bulk_move_tail splices the LRU
// through it. Without the mutation the same steps keep every list consistent. Then the same in a run:
// bulk-lru with hibernation at its suspend, where ttm_device_prepare_hibernation swaps the VM's BOs out.

import { describe, expect, test } from 'vitest';
import { checkBulkRange, checkLruPlacement } from '../../src/explore/oracles/lru.ts';
import { runScenario } from '../../src/explore/run.ts';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitReserved,
  ttmBoPopulate,
  ttmBoPut,
  ttmBoReserve,
  ttmBoSetBulkMove,
  ttmBoUnreserve,
} from '../../src/kernel/bo.ts';
import { PAGE_SIZE, TTM_PL_SYSTEM, TTM_TT_FLAG_SWAPPED } from '../../src/kernel/constants.ts';
import type { ListHead } from '../../src/kernel/list.ts';
import { operationCtx, place, placementOf } from '../../src/kernel/placement.ts';
import { LruBulkMove, listNameOf, ttmLruBulkMoveTail } from '../../src/kernel/resource.ts';
import { DmaResv } from '../../src/kernel/resv.ts';
import { MUTATION_SWAPOUT_NOT_RET, ttmBoSwapout } from '../../src/kernel/swap.ts';
import { runSync } from '../../src/kernel/sync.ts';
import { bulkLru } from '../../src/sim/scenarios/bulk_lru.ts';
import type { TestDevice } from '../kunit/fixtures.ts';
import { world } from './page_fixtures.ts';

/** A SYSTEM BO of `pages` pages in `bulk` (sharing `resv`), populated, unreserved. */
function bulkBo(t: TestDevice, pages: number, bulk: LruBulkMove | null, resv: DmaResv): BufferObject {
  const bo = newBufferObject(t.bdev, pages * PAGE_SIZE);
  const ctx = operationCtx();
  expect(resv.trylock(t.env.current())).toBe(true);
  const placement = placementOf(place(TTM_PL_SYSTEM));
  expect(
    runSync(t.env, ttmBoInitReserved(t.bdev, bo, 'device', placement, PAGE_SIZE, ctx, null, resv, null)),
  ).toBe(0);
  if (bulk !== null) ttmBoSetBulkMove(bo, bulk);
  expect(runSync(t.env, ttmBoPopulate(bo, ctx))).toBe(0);
  ttmBoUnreserve(bo);
  return bo;
}

/** Walk a list from its head: the nodes met, and whether a neighbour failed to point back (as CONFIG_DEBUG_LIST checks). */
function walk(head: ListHead): { nodes: number; broken: boolean } {
  let nodes = 0;
  for (let n = head; nodes <= 64; n = n.next) {
    if (n.next.prev !== n) return { nodes, broken: true };
    if (n.next === head) return { nodes, broken: false };
    nodes += 1;
  }
  return { nodes, broken: true };
}

/** Two 2-page BOs a, b in one bulk move; one swapout walk (target 1 page) picks a, the LRU's first. */
function swappedBulk(mutated: boolean) {
  const t = world();
  if (mutated) t.global.mutations = new Set([MUTATION_SWAPOUT_NOT_RET]);
  const bulk = new LruBulkMove();
  const resv = new DmaResv('resv:vm', t.env);
  const a = bulkBo(t, 2, bulk, resv);
  const b = bulkBo(t, 2, bulk, resv);
  const pos = bulk.pos[TTM_PL_SYSTEM]![0]!;
  const swapped = runSync(t.env, ttmBoSwapout(t.bdev, operationCtx(), t.bdev.manager(TTM_PL_SYSTEM)!, 1));
  return { t, bulk, a, b, pos, swapped };
}

/** The driver drops a from the VM (ttm_bo_set_bulk_move(bo, NULL)) and releases it; then bumps the VM's range. */
function releaseAndBump(s: ReturnType<typeof swappedBulk>) {
  const { t, bulk, a, b } = s;
  const res = a.resource!;
  expect(runSync(t.env, ttmBoReserve(a, false, false, null))).toBe(0);
  ttmBoSetBulkMove(a, null);
  ttmBoUnreserve(a);
  runSync(t.env, ttmBoPut(a));
  expect(res.freed).toBe(true);
  expect(runSync(t.env, ttmBoReserve(b, false, false, null))).toBe(0);
  ttmLruBulkMoveTail(bulk);
  ttmBoUnreserve(b);
  return res;
}

describe('swapout-not-ret: the shipped `!ret` test after ttm_tt_swapout', () => {
  test('unmutated: a swapped → 2 pages, leaves the range (b alone), on unevictable; release and bulk tail keep lru0 whole (c, b)', () => {
    const s = swappedBulk(false);
    expect(s.swapped).toBe(2);
    expect(s.a.ttm!.pageFlags & TTM_TT_FLAG_SWAPPED).toBe(TTM_TT_FLAG_SWAPPED);
    expect([s.pos.first?.id, s.pos.last?.id]).toEqual([s.b.resource!.id, s.b.resource!.id]);
    expect(listNameOf(s.a.resource!)).toBe('unevictable');
    expect(checkBulkRange(s.t.global)).toBeNull();
    expect(checkLruPlacement(s.t.global)).toBeNull();
    const c = bulkBo(s.t, 1, null, new DmaResv('resv:c', s.t.env));
    releaseAndBump(s);
    expect([s.pos.first?.id, s.pos.last?.id]).toEqual(['res:1', 'res:1']);
    const lru = s.t.bdev.manager(TTM_PL_SYSTEM)!.lru[0]!;
    expect(walk(lru)).toEqual({ nodes: 2, broken: false });
    expect([lru.next, lru.next.next]).toEqual([c.resource!.lru, s.b.resource!.lru]);
    expect(checkBulkRange(s.t.global)).toBeNull();
    expect(checkLruPlacement(s.t.global)).toBeNull();
  });

  test('mutated: a swapped → 2 pages, but stays in the range [a..b] on lru0: lru.bulk-range and lru.placement', () => {
    const s = swappedBulk(true);
    expect(s.swapped).toBe(2);
    expect(s.a.ttm!.pageFlags & TTM_TT_FLAG_SWAPPED).toBe(TTM_TT_FLAG_SWAPPED);
    expect([s.pos.first?.id, s.pos.last?.id]).toEqual(['res:0', 'res:1']);
    expect(listNameOf(s.a.resource!)).toBe('lru0');
    expect(checkBulkRange(s.t.global)).toEqual({
      oracle: 'lru.bulk-range',
      kind: 'correctness',
      actor: 'bo:0',
      message:
        'bulk move (system, priority 0): res:0 in the range belongs to bo:0, which is its tt:0 is swapped out or backed up',
    });
    expect(checkLruPlacement(s.t.global)).toEqual({
      oracle: 'lru.placement',
      kind: 'correctness',
      actor: 'bo:0',
      message:
        'res:0 is on device:0/man0 lru0, but bo:0 is its tt:0 is swapped out or backed up: it belongs on device:0 unevictable',
    });
  });

  test('mutated: released while swapped → the range still starts at the freed res:0; ttm_lru_bulk_move_tail splices through it and c drops off lru0', () => {
    const s = swappedBulk(true);
    const c = bulkBo(s.t, 1, null, new DmaResv('resv:c', s.t.env));
    const freed = releaseAndBump(s);
    expect(s.pos.first).toBe(freed);
    expect([s.pos.first?.id, s.pos.last?.id]).toEqual(['res:0', 'res:1']);
    const lru = s.t.bdev.manager(TTM_PL_SYSTEM)!.lru[0]!;
    expect(walk(lru)).toEqual({ nodes: 1, broken: false });
    expect(lru.next).toBe(s.b.resource!.lru);
    expect([c.resource!.lru.next, c.resource!.lru.prev]).toEqual([freed.lru, freed.lru]);
    expect(checkBulkRange(s.t.global)).toEqual({
      oracle: 'lru.bulk-range',
      kind: 'correctness',
      actor: 'bo:0',
      message:
        'bulk move (system, priority 0): res:0 in the range belongs to bo:0, which does not use this bulk move',
    });
    expect(checkLruPlacement(s.t.global)).toEqual({
      oracle: 'lru.placement',
      kind: 'correctness',
      actor: 'bo:2',
      message: "bo:2's resource res:2 is on no list",
    });
  });
});

describe('swapout-not-ret in a hibernating bulk-lru (bulkLru({ hibernate: true }), not a built-in scenario)', () => {
  const variant = bulkLru({ hibernate: true }, 'bulk-lru-hibernate');
  const opts = { seed: 0n, strategy: 'random' as const, maxSteps: 4000 };

  test('seed 0 random: ttm_device_prepare_hibernation swaps the VM BOs out; the first stays on lru0 → lru.placement at step 63', () => {
    const r = runScenario(variant, { ...opts, mutations: [MUTATION_SWAPOUT_NOT_RET], keepTrace: true });
    expect(r.failure).toEqual({
      kind: 'correctness',
      id: 'lru.placement',
      step: 63,
      actor: 'bo:0',
      message:
        'res:12 is on device:0/man0 lru0, but bo:0 is its tt:1 is swapped out or backed up: it belongs on device:0 unevictable',
    });
    expect(JSON.parse(r.trace!.at(-1)!).actor).toBe('task:lifecycle');
    expect([r.stats.lifeSuspends, r.stats.lifeHibernations]).toEqual([1, 1]);
  });

  test('seed 0 random without the mutation: the hibernation passes; after the resume bo.populate.post at step 92 (a swapped-in resource of an emptied bulk range stays on the unevictable list)', () => {
    const r = runScenario(variant, { ...opts, mutations: [] });
    expect(r.failure?.id).toBe('bo.populate.post');
    expect([r.failure?.step, r.failure?.actor]).toEqual([92, 'bo:3']);
    expect(r.failure?.message).toMatch(/tt:5 was swapped in, but res:16 is still on the unevictable list$/);
    expect(r.stats.lifeHibernations).toBe(1);
  });
});
