// Tests of src/kernel/rules/pool_types.ts: ttm_pool_init's pool types (pool.init.types) and
// __ttm_pool_alloc's pooled block first (pool.alloc.pool-first). Each holds for what the model does and
// is recorded as the world's first broken rule, with its id and actor, when broken alone.

import { describe, expect, test } from 'vitest';
import { ttmPoolAlloc, ttmPoolFree } from '../../../src/kernel/pool.ts';
import {
  NUMA_NO_NODE,
  Pool,
  PoolType,
  postPoolInit,
  TTM_ALLOCATION_POOL_USE_DMA_ALLOC,
} from '../../../src/kernel/pool_type.ts';
import { notePoolFallback, POOL_TYPE_RULES, postPoolFirst } from '../../../src/kernel/rules/pool_types.ts';
import { KERNEL_RULES } from '../../../src/kernel/rules.ts';
import { runSync } from '../../../src/kernel/sync.ts';
import { frames, intrCtx, newTt, world } from '../page_fixtures.ts';
import { expectBroken, expectNoneBroken } from './fixtures.ts';

describe('POOL_TYPE_RULES', () => {
  test('two return checks with one-line upstream text, all in KERNEL_RULES', () => {
    expect(POOL_TYPE_RULES.map((r) => [r.id, r.when])).toEqual([
      ['pool.alloc.pool-first', 'return'],
      ['pool.init.types', 'return'],
    ]);
    for (const r of POOL_TYPE_RULES) {
      expect(KERNEL_RULES).toContain(r);
      for (const u of r.upstream) expect(u.text).not.toContain('\n');
    }
  });
});

describe('pool.init.types', () => {
  test('a DMA-allocating pool has its own type in all 33 slots; a plain pool none', () => {
    const t = world();
    const dma = new Pool({}, NUMA_NO_NODE, TTM_ALLOCATION_POOL_USE_DMA_ALLOC, t.global, t.bdev);
    const types = dma.caching.flatMap((c) => c.orders);
    expect(types).toHaveLength(33);
    expect(types.every((pt) => pt !== null && pt.pool === dma)).toBe(true);
    const plain = new Pool({}, NUMA_NO_NODE, 0, t.global, t.bdev);
    expect(plain.caching.flatMap((c) => c.orders).every((pt) => pt === null)).toBe(true);
    expectNoneBroken(t.global);
  });

  test('a DMA-allocating pool missing its cached order-0 type', () => {
    const t = world();
    const dma = new Pool({}, NUMA_NO_NODE, TTM_ALLOCATION_POOL_USE_DMA_ALLOC, t.global, t.bdev);
    dma.caching[0]!.orders[0] = null;
    postPoolInit(dma);
    expectBroken(t.global, 'pool.init.types', t.bdev.id);
    expect(t.global.ruleBroken?.message).toContain('the cached slot of order 0 holds no type');
  });

  test('a DMA-allocating pool whose slot holds a type of another order', () => {
    const t = world();
    const dma = new Pool({}, NUMA_NO_NODE, TTM_ALLOCATION_POOL_USE_DMA_ALLOC, t.global, t.bdev);
    dma.caching[1]!.orders[3] = dma.caching[1]!.orders[2]!;
    postPoolInit(dma);
    expectBroken(t.global, 'pool.init.types', t.bdev.id);
    expect(t.global.ruleBroken?.message).toContain(
      'the write_combined slot of order 3 holds the write_combined type of order 2',
    );
  });

  test('a pool without use_dma_alloc with a type of its own', () => {
    const t = world();
    const plain = new Pool({}, NUMA_NO_NODE, 0, t.global, t.bdev);
    plain.caching[2]!.orders[5] = new PoolType(plain, 'uncached', 5);
    postPoolInit(plain);
    expectBroken(t.global, 'pool.init.types', t.bdev.id);
    expect(t.global.ruleBroken?.message).toContain('has its own uncached type of order 5');
  });
});

describe('pool.alloc.pool-first', () => {
  test('a write-combined tt freed to the global pool: the next populate gets the same frames back', () => {
    const t = world();
    const a = newTt(t, 4, 'write_combined');
    expect(runSync(t.env, ttmPoolAlloc(t.bdev.pool, a.tt, intrCtx()))).toBe(0);
    const first = frames(a.tt);
    ttmPoolFree(t.bdev.pool, a.tt);
    expect(t.global.poolMgr.allocatedPages).toBe(4);
    const b = newTt(t, 4, 'write_combined');
    expect(runSync(t.env, ttmPoolAlloc(t.bdev.pool, b.tt, intrCtx()))).toBe(0);
    expect(frames(b.tt)).toEqual(first);
    expect(t.global.poolMgr.allocatedPages).toBe(0);
    expectNoneBroken(t.global);
  });

  test('the page allocator used while the pool type holds a block', () => {
    const t = world();
    const tt = {};
    const pt = new PoolType(null, 'write_combined', 2);
    pt.pages.push(64);
    // Pools not allowed at this point (after a system allocation of this order), or no type: no breach.
    notePoolFallback(tt, pt, false, 2);
    notePoolFallback(tt, null, true, 2);
    postPoolFirst(t.global, tt, 'tt:9');
    expectNoneBroken(t.global);
    notePoolFallback(tt, pt, true, 2);
    postPoolFirst(t.global, tt, 'tt:9');
    expectBroken(t.global, 'pool.alloc.pool-first', 'tt:9');
    expect(t.global.ruleBroken?.message).toContain(
      'a block of order 2 allocated while the write_combined type of that order held 1',
    );
  });
});
