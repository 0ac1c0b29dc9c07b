// Rules stated in drivers/gpu/drm/ttm/ttm_pool.c about which pool type serves a block: ttm_pool_init
// sets up every type ttm_pool_select_type can return for the pool (a DMA-allocating pool has its own type
// for every caching and order), and __ttm_pool_alloc asks that type for a pooled block before it goes to
// the page allocator. Checked where src/kernel/pool_type.ts mirrors ttm_pool_init and src/kernel/pool.ts
// mirrors __ttm_pool_alloc.

import type { TtmGlobal } from '../device.ts';
import type { PoolType } from '../pool_type.ts';
import { type KernelRule, kernelRule, warnOn } from './check.ts';

const F = 'drivers/gpu/drm/ttm/ttm_pool.c';

export const POOL_INIT_TYPES = kernelRule(
  'pool.init.types',
  'return',
  'ttm_pool_init leaves a pool type of the right pool, caching and order in every slot ttm_pool_select_type returns for the pool (a DMA-allocating pool: every caching and order)',
  [
    { file: F, func: 'ttm_pool_init', text: 'ttm_pool_type_init(pt, pool, i, j);' },
    { file: F, func: 'ttm_pool_select_type', text: 'return &pool->caching[caching].orders[order];' },
  ],
);

export const POOL_ALLOC_POOL_FIRST = kernelRule(
  'pool.alloc.pool-first',
  'return',
  'on return of ttm_pool_alloc (and ttm_pool_restore_and_alloc), every block __ttm_pool_alloc took from the page allocator was taken while pools were not allowed or the pool type of its caching and order had no block to hand out',
  [
    {
      file: F,
      func: '__ttm_pool_alloc',
      text: '/* First, try to allocate a page from a pool if one exists. */',
    },
    { file: F, func: '__ttm_pool_alloc', text: 'p = ttm_pool_type_take(pt, ttm_pool_nid(pool));' },
  ],
);

/** The first block each tt's running allocation took from the page allocator past a pooled one, by tt. */
const SKIPPED = new WeakMap<object, string>();

/**
 * Where __ttm_pool_alloc turns to the page allocator for a block of `order` for `tt`: `pt` is the type
 * ttm_pool_select_type returned (null: none), `allowPools` whether pools were allowed there. A pooled block
 * passed over is noted for postPoolFirst.
 */
export function notePoolFallback(tt: object, pt: PoolType | null, allowPools: boolean, order: number): void {
  if (!allowPools || pt === null || pt.pages.length === 0 || SKIPPED.has(tt)) return;
  SKIPPED.set(
    tt,
    `a block of order ${order} allocated while the ${pt.caching} type of that order held ${pt.pages.length}`,
  );
}

/** pool.alloc.pool-first on return of ttm_pool_alloc or ttm_pool_restore_and_alloc for `tt`. */
export function postPoolFirst(g: TtmGlobal | null, tt: object, ttId: string): void {
  const skipped = SKIPPED.get(tt) ?? null;
  if (skipped !== null) SKIPPED.delete(tt);
  warnOn(g, POOL_ALLOC_POOL_FIRST, skipped !== null, ttId, skipped ?? '');
}

/** The rules of this module, in the order ttm_pool.c states them. */
export const POOL_TYPE_RULES: readonly KernelRule[] = [POOL_ALLOC_POOL_FIRST, POOL_INIT_TYPES];
