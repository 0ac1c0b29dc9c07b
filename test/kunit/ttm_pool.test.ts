// Port of drivers/gpu/drm/ttm/tests/ttm_pool_test.c (KUnit suite "ttm_pool"): 8 cases, two of them
// parameterised with the same 5 rows (16 Vitest tests). Suite init is ttm_test_devices_basic (a struct
// device and a DRM device); each case builds its own pools with ttm_pool_init on that device, and its
// tts with ttm_tt_init / ttm_sg_tt_init over ttm_bo_kunit_init BOs; ctx is {interruptible = true}.
// The model is x86 (KUnit runs on UML, without caching): a non-DMA pool pools WC/UC pages in the global
// types of the world, which ttm_pool_free_no_dma_alloc checks in place of the per-device list the kernel
// test inspects (never initialised there: list_is_singular on a zeroed list_head is vacuously true).

import { describe, expect, test } from 'vitest';
import { type Caching, MAX_PAGE_ORDER, PAGE_SIZE } from '../../src/kernel/constants.ts';
import { operationCtx } from '../../src/kernel/placement.ts';
import { ttmPoolAlloc, ttmPoolFree } from '../../src/kernel/pool.ts';
import {
  CACHINGS,
  NUMA_NO_NODE,
  Pool,
  type PoolType,
  TTM_ALLOCATION_POOL_USE_DMA_ALLOC,
  ttmPoolFini,
} from '../../src/kernel/pool_type.ts';
import { runSync } from '../../src/kernel/sync.ts';
import { type Tt, ttmSgTtInit, ttmTtFini, ttmTtInit } from '../../src/kernel/tt.ts';
import { kunitBo, type TestDevice, testDevice } from './fixtures.ts';

interface PoolCase {
  readonly description: string;
  readonly order: number;
  readonly useDmaAlloc: boolean;
}

/** ttm_pool_basic_cases. */
const ttmPoolBasicCases: readonly PoolCase[] = [
  { description: 'One page', order: 0, useDmaAlloc: false },
  { description: 'More than one page', order: 2, useDmaAlloc: false },
  { description: 'Above the allocation limit', order: MAX_PAGE_ORDER + 1, useDmaAlloc: false },
  { description: 'One page, with coherent DMA mappings enabled', order: 0, useDmaAlloc: true },
  {
    description: 'Above the allocation limit, with coherent DMA mappings enabled',
    order: MAX_PAGE_ORDER + 1,
    useDmaAlloc: true,
  },
];

/** simple_ctx. */
const simpleCtx = () => operationCtx({ interruptible: true, noWaitGpu: false });

/** The struct device of ttm_test_devices_basic. */
const devOf = new WeakMap<TestDevice, object>();
function dev(t: TestDevice): object {
  let d = devOf.get(t);
  if (d === undefined) {
    d = {};
    devOf.set(t, d);
  }
  return d;
}

/** ttm_pool_init(pool, devs->dev, NUMA_NO_NODE, use_dma_alloc, false) on a kzalloc'ed pool. */
function poolInit(t: TestDevice, useDmaAlloc: boolean): Pool {
  return new Pool(dev(t), NUMA_NO_NODE, useDmaAlloc ? TTM_ALLOCATION_POOL_USE_DMA_ALLOC : 0, t.global);
}

/** ttm_tt_kunit_init: a tt over a fresh KUnit BO of `size` bytes. */
function ttKunitInit(t: TestDevice, pageFlags: number, caching: Caching, size: number): Tt {
  const bo = kunitBo(t, size);
  return ttmTtInit(bo, pageFlags, caching, 0);
}

function alloc(t: TestDevice, pool: Pool, tt: Tt): number {
  return runSync(t.env, ttmPoolAlloc(pool, tt, simpleCtx()));
}

/** ttm_pool_pre_populated: a DMA-alloc pool with one freed tt of `size` bytes in its types. */
function poolPrePopulated(t: TestDevice, size: number, caching: Caching): Pool {
  const tt = ttKunitInit(t, 0, caching, size);
  const pool = poolInit(t, true);
  expect(alloc(t, pool, tt)).toBe(0);
  ttmPoolFree(pool, tt);
  ttmTtFini(tt);
  return pool;
}

function pt(pool: Pool, caching: Caching, order: number): PoolType {
  const type = pool.caching[CACHINGS.indexOf(caching)]!.orders[order] ?? null;
  if (type === null) throw new Error(`pool type ${caching}/${order} not initialised`);
  return type;
}

function privateOf(t: TestDevice, pfn: number | null | object): number {
  if (typeof pfn !== 'number') throw new Error('not a page');
  return t.global.ram.getPrivate(pfn);
}

describe('ttm_pool', () => {
  for (const params of ttmPoolBasicCases) {
    const expected =
      params.order <= MAX_PAGE_ORDER
        ? params.useDmaAlloc
          ? 'first and last private non-NULL'
          : `first private = ${params.order}`
        : params.useDmaAlloc
          ? 'first private non-NULL, last NULL'
          : `first private = ${MAX_PAGE_ORDER}, last 0`;
    test(`ttm_pool_alloc_basic: ${params.description} → 0, ${1 << params.order} pages, ${expected}`, () => {
      const t = testDevice();
      const expectedNumPages = 1 << params.order;
      const size = expectedNumPages * PAGE_SIZE;
      const tt = ttKunitInit(t, 0, 'uncached', size);
      const pool = poolInit(t, params.useDmaAlloc);

      expect(pool.dev).toBe(dev(t));
      expect(pool.nid).toBe(NUMA_NO_NODE);
      expect(pool.useDmaAlloc).toBe(params.useDmaAlloc);

      expect(alloc(t, pool, tt)).toBe(0);
      expect(tt.numPages).toBe(expectedNumPages);

      const fst = tt.pages![0]!;
      const last = tt.pages![tt.numPages - 1]!;
      if (params.order <= MAX_PAGE_ORDER) {
        if (params.useDmaAlloc) {
          expect(privateOf(t, fst)).not.toBe(0);
          expect(privateOf(t, last)).not.toBe(0);
        } else {
          expect(privateOf(t, fst)).toBe(params.order);
        }
      } else if (params.useDmaAlloc) {
        expect(privateOf(t, fst)).not.toBe(0);
        expect(privateOf(t, last)).toBe(0);
      } else {
        // One big block, followed by order-0 blocks: here two order-10 blocks, the last page a tail.
        expect(privateOf(t, fst)).toBe(Math.min(MAX_PAGE_ORDER, params.order));
        expect(privateOf(t, last)).toBe(0);
      }

      ttmPoolFree(pool, tt);
      ttmTtFini(tt);
      ttmPoolFini(pool);
    });
  }

  for (const params of ttmPoolBasicCases) {
    test(`ttm_pool_alloc_basic_dma_addr: ${params.description} → 0, first and last dma_address non-NULL`, () => {
      const t = testDevice();
      const expectedNumPages = 1 << params.order;
      const size = expectedNumPages * PAGE_SIZE;
      const bo = kunitBo(t, size);
      const tt = ttmSgTtInit(bo, 0, 'uncached');
      const pool = poolInit(t, true);

      expect(alloc(t, pool, tt)).toBe(0);
      expect(tt.numPages).toBe(expectedNumPages);

      const dma1 = tt.dmaAddress![0] ?? null;
      const dma2 = tt.dmaAddress![tt.numPages - 1] ?? null;
      expect(dma1).not.toBeNull();
      expect(dma1).not.toBe(0);
      expect(dma2).not.toBeNull();
      expect(dma2).not.toBe(0);

      ttmPoolFree(pool, tt);
      ttmTtFini(tt);
      ttmPoolFini(pool);
    });
  }

  test('ttm_pool_alloc_order_caching_match: pre-populated uncached order-0 pool, 1-page uncached tt → 0, pool page reused (list empty)', () => {
    const t = testDevice();
    const pool = poolPrePopulated(t, PAGE_SIZE, 'uncached');
    const type = pt(pool, 'uncached', 0);
    expect(type.pages.length).toBeGreaterThan(0);

    const tt = ttKunitInit(t, 0, 'uncached', PAGE_SIZE);
    expect(alloc(t, pool, tt)).toBe(0);
    expect(type.pages).toEqual([]);

    ttmPoolFree(pool, tt);
    ttmTtFini(tt);
    ttmPoolFini(pool);
  });

  test('ttm_pool_alloc_caching_mismatch: pool holds a cached page, uncached tt → 0, cached list kept, uncached list gets the freed page', () => {
    const t = testDevice();
    const pool = poolPrePopulated(t, PAGE_SIZE, 'cached');
    const ptPool = pt(pool, 'cached', 0);
    const ptTt = pt(pool, 'uncached', 0);

    const tt = ttKunitInit(t, 0, 'uncached', PAGE_SIZE);
    expect(ptPool.pages.length).toBeGreaterThan(0);
    expect(ptTt.pages).toEqual([]);

    expect(alloc(t, pool, tt)).toBe(0);
    ttmPoolFree(pool, tt);
    ttmTtFini(tt);

    expect(ptPool.pages.length).toBeGreaterThan(0);
    expect(ptTt.pages.length).toBeGreaterThan(0);

    ttmPoolFini(pool);
  });

  test('ttm_pool_alloc_order_mismatch: pool holds an order-2 uncached block, 1-page tt → 0, order-2 list kept, order-0 list gets the freed page', () => {
    const t = testDevice();
    const order = 2;
    const pool = poolPrePopulated(t, (1 << order) * PAGE_SIZE, 'uncached');
    const ptPool = pt(pool, 'uncached', order);
    const ptTt = pt(pool, 'uncached', 0);

    const tt = ttKunitInit(t, 0, 'uncached', PAGE_SIZE);
    expect(ptPool.pages.length).toBeGreaterThan(0);
    expect(ptTt.pages).toEqual([]);

    expect(alloc(t, pool, tt)).toBe(0);
    ttmPoolFree(pool, tt);
    ttmTtFini(tt);

    expect(ptPool.pages.length).toBeGreaterThan(0);
    expect(ptTt.pages.length).toBeGreaterThan(0);

    ttmPoolFini(pool);
  });

  test('ttm_pool_free_dma_alloc: DMA pool, order-2 uncached tt → orders[2] empty after alloc, non-empty after free', () => {
    const t = testDevice();
    const tt = ttKunitInit(t, 0, 'uncached', 4 * PAGE_SIZE);
    const pool = poolInit(t, true);
    runSync(t.env, ttmPoolAlloc(pool, tt, simpleCtx()));

    const type = pt(pool, 'uncached', 2);
    expect(type.pages).toEqual([]);

    ttmPoolFree(pool, tt);
    ttmTtFini(tt);
    expect(type.pages.length).toBeGreaterThan(0);

    ttmPoolFini(pool);
  });

  test('ttm_pool_free_no_dma_alloc: non-DMA pool, order-2 uncached tt → per-device type unused; block pooled in the global uncached order-2 type', () => {
    const t = testDevice();
    const tt = ttKunitInit(t, 0, 'uncached', 4 * PAGE_SIZE);
    const pool = poolInit(t, false);
    runSync(t.env, ttmPoolAlloc(pool, tt, simpleCtx()));

    const global = t.global.poolMgr.globalUncached[2]!;
    expect(pool.caching[CACHINGS.indexOf('uncached')]!.orders[2]).toBeNull();
    expect(global.pages).toEqual([]);

    ttmPoolFree(pool, tt);
    ttmTtFini(tt);

    expect(pool.caching[CACHINGS.indexOf('uncached')]!.orders[2]).toBeNull();
    expect(global.pages).toHaveLength(1);

    ttmPoolFini(pool);
  });

  test('ttm_pool_fini_basic: pre-populated uncached order-0 list non-empty → ttm_pool_fini → empty', () => {
    const t = testDevice();
    const pool = poolPrePopulated(t, PAGE_SIZE, 'uncached');
    const type = pt(pool, 'uncached', 0);
    expect(type.pages.length).toBeGreaterThan(0);

    ttmPoolFini(pool);
    expect(type.pages).toEqual([]);
  });
});
