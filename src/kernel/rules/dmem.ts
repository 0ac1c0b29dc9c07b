// Rules of the dmem cgroup contract as TTM uses it (kernel/cgroup/dmem.c, mm/page_counter.c, the charge
// and uncharge of drivers/gpu/drm/ttm/ttm_resource.c, the victim choice of ttm_bo.c ttm_bo_evict_cb),
// checked where src/kernel/resource.ts and bo.ts mirror those functions:
// - a successful charge leaves every counter of the charged pool's ancestry within its max;
// - no counter is uncharged below zero;
// - a pool's usage is the summed size of the live resources charged to it or a descendant, after every
//   allocation and free of the region's manager (the only places either side changes) and when the
//   region is unregistered (so it is 0 once the manager is empty at teardown);
// - a resource's charge is uncharged once, from the pool and with the size it was charged with;
// - an eviction made for a limited cgroup takes its victim from the limiting pool's subtree, never from a
//   pool within its effective min, and, in the passes that respect low, never from one within its
//   effective low.
// - dmem.low is best-effort: an allocation that ttm_bo_evict_alloc gives up on (-EBUSY) from walks that
//   took no scheduling point leaves no BO charged above its effective min, in the limiting pool's
//   subtree, that the walks could have taken (the walks ignoring low come after one that hit it).
// Only managers with a region (man->cg) evaluate these rules: a world without cgroups evaluates none.

import type { BufferObject } from '../bo.ts';
import { TTM_PL_FLAG_DESIRED, TTM_PL_FLAG_FALLBACK } from '../constants.ts';
import type { TtmGlobal } from '../device.ts';
import type { DmemPool, DmemRegion } from '../dmem_cgroup.ts';
import { dmemCgroupBelow, dmemCgroupStateEvictValuable, dmemPoolInSubtree } from '../dmem_cgroup.ts';
import type { ListHead } from '../list.ts';
import type { OperationCtx, Place } from '../placement.ts';
import type { LruItem, Resource, ResourceManager } from '../resource.ts';
import { DmaResvUsage } from '../resv.ts';
import { type KernelRule, kernelRule, warnOn } from './check.ts';

const DMEM = 'kernel/cgroup/dmem.c';
const PC = 'mm/page_counter.c';
const RES = 'drivers/gpu/drm/ttm/ttm_resource.c';
const BO = 'drivers/gpu/drm/ttm/ttm_bo.c';

export const DMEM_CHARGE_WITHIN_MAX = kernelRule(
  'dmem.try-charge.within-max',
  'return',
  "after dmem_cgroup_try_charge returns 0, no counter of the charged pool's ancestry exceeds its max",
  [
    { file: PC, func: 'page_counter_try_charge', text: 'if (new > c->max) {' },
    {
      file: DMEM,
      func: 'dmem_cgroup_try_charge',
      text: 'Return: 0 on success, -EAGAIN on hitting a limit, or a negative errno on failure.',
    },
  ],
);
export const DMEM_UNCHARGE_UNDERFLOW = kernelRule(
  'dmem.uncharge.no-underflow',
  'return',
  'after dmem_cgroup_uncharge, no counter of the pool’s ancestry went below zero',
  [
    {
      file: PC,
      func: 'page_counter_cancel',
      text: 'if (WARN_ONCE(new < 0, "page_counter underflow: %ld nr_pages=%lu\\n",',
    },
  ],
);
export const DMEM_USAGE_CHARGED = kernelRule(
  'dmem.usage.charged-resources',
  'return',
  "a region's pool usage is the summed size of the manager's live resources charged to that pool or below it",
  [
    { file: RES, func: 'ttm_resource_alloc', text: '(*res_ptr)->css = pool;' },
    { file: RES, func: 'ttm_resource_free', text: 'dmem_cgroup_uncharge(pool, bo->base.size);' },
    { file: PC, func: 'page_counter_try_charge', text: 'new = atomic_long_add_return(nr_pages, &c->usage);' },
  ],
);
export const DMEM_UNCHARGE_ONCE = kernelRule(
  'dmem.uncharge.once',
  'return',
  'ttm_resource_free uncharges a resource’s charge exactly once, with the size it was charged with',
  [
    {
      file: DMEM,
      func: 'dmem_cgroup_uncharge',
      text: 'Must be called with the returned pool as argument, and same @index and @size.',
    },
  ],
);
export const DMEM_EVICT_LIMIT_SUBTREE = kernelRule(
  'dmem.evict.limit-subtree',
  'return',
  "dmem_cgroup_state_evict_valuable lets an eviction for a cgroup that hit its limit take victims only from the limiting pool's subtree",
  [
    {
      file: DMEM,
      func: 'dmem_cgroup_state_evict_valuable',
      text: 'for (pool = test_pool; pool && limit_pool != pool; pool = pool_parent(pool))',
    },
    {
      file: BO,
      func: 'ttm_bo_evict_cb',
      text: 'if (!dmem_cgroup_state_evict_valuable(evict_walk->limit_pool, bo->resource->css,',
    },
  ],
);
export const DMEM_EVICT_MIN_PROTECTED = kernelRule(
  'dmem.evict.min-protected',
  'return',
  'dmem_cgroup_state_evict_valuable never lets ttm_bo_evict_alloc evict a resource whose pool is within its effective dmem.min',
  [
    { file: DMEM, func: 'dmem_cgroup_state_evict_valuable', text: 'if (used <= min)' },
    {
      file: DMEM,
      func: 'dmem_cgroup_below_min',
      text: 'Return: true if usage is below min and the cgroup is protected, false otherwise.',
    },
  ],
);
export const DMEM_EVICT_LOW_FIRST = kernelRule(
  'dmem.evict.low-first',
  'return',
  'dmem_cgroup_state_evict_valuable lets the walks of ttm_bo_evict_alloc that respect low evict no resource whose pool is within its effective dmem.low',
  [
    { file: DMEM, func: 'dmem_cgroup_state_evict_valuable', text: '*ret_hit_low = true;' },
    { file: BO, func: 'ttm_bo_evict_alloc', text: '/* One more attempt if we hit low limit? */' },
  ],
);

export const DMEM_LOW_BEST_EFFORT = kernelRule(
  'dmem.evict.low-best-effort',
  'return',
  "ttm_bo_evict_alloc returning -EBUSY from walks that took no scheduling point leaves no BO charged to a dmem pool that the walks ignoring low could take: resv unlocked, referenced, unpinned, idle unless the ctx may wait, its resource intersecting the place, in the limiting pool's subtree and above its effective min",
  [
    { file: BO, func: 'ttm_bo_evict_alloc', text: '/* One more attempt if we hit low limit? */' },
    { file: BO, func: 'ttm_bo_evict_alloc', text: 'evict_walk.try_low = true;' },
    {
      file: DMEM,
      func: 'dmem_cgroup_state_evict_valuable',
      text: 'be set to true to indicate this function can be retried with @ignore_low',
    },
  ],
);

/** The dmem rules, in the order above. */
export const DMEM_RULES: readonly KernelRule[] = [
  DMEM_CHARGE_WITHIN_MAX,
  DMEM_UNCHARGE_UNDERFLOW,
  DMEM_USAGE_CHARGED,
  DMEM_UNCHARGE_ONCE,
  DMEM_EVICT_LIMIT_SUBTREE,
  DMEM_EVICT_MIN_PROTECTED,
  DMEM_EVICT_LOW_FIRST,
  DMEM_LOW_BEST_EFFORT,
];

/** Whether some page of `res` lies in [fpfn, lpfn) of `place` (a resource without a range: always). */
function intersects(res: Resource, place: Place): boolean {
  if (res.node === null) return true;
  const end = res.node.start + res.node.size;
  return end > place.fpfn && (place.lpfn === 0 || res.node.start < place.lpfn);
}

/**
 * Whether ttm_bo_evict of `bo` gets as far as a scheduling point or succeeds: its evict_flags placement is
 * empty (gutting) or has a place ttm_bo_mem_space tries in a manager in use. A victim without one fails
 * at once, and the walk passes over it.
 */
function movable(bo: BufferObject): boolean {
  const placement = bo.bdev.funcs.evictFlags(bo);
  if (placement.placement.length === 0) return true;
  for (const p of placement.placement) {
    if (p.flags & TTM_PL_FLAG_DESIRED && p.flags & TTM_PL_FLAG_FALLBACK) continue;
    if (bo.bdev.manager(p.memType)?.useType === true) return true;
  }
  return false;
}

/**
 * dmem.evict.low-best-effort: ttm_bo_evict_alloc for `evictor` at `place` in `man` returned -EBUSY after
 * `turns` scheduling points, its charge limited by `limit` (null: the device is full). Judged only when
 * the walks took none (so the LRUs and locks are as they saw them and no eviction was tried) and the
 * driver's eviction_valuable is TTM's own (`defaultValuable`).
 */
export function checkDmemLowBestEffort(
  evictor: BufferObject,
  man: ResourceManager,
  place: Place,
  ctx: OperationCtx,
  turns: number,
  limit: DmemPool | null,
  defaultValuable: boolean,
): void {
  if (man.cg === null || turns > 0 || !defaultValuable) return;
  let left: Resource | null = null;
  for (const head of man.lru as readonly ListHead[]) {
    for (let n = head.next as LruItem; n !== head && left === null; n = n.next as LruItem) {
      const res = n.res;
      const bo = res?.bo ?? null;
      if (res === null || bo === null || res.css === null || bo === evictor || bo.resv === evictor.resv)
        continue;
      if (bo.resv.lock.holder !== null || bo.kref === 0 || bo.pinCount > 0) continue;
      if (ctx.noWaitGpu && !bo.resv.testSignaled(DmaResvUsage.BOOKKEEP)) continue;
      if (!intersects(res, place) || !movable(bo)) continue;
      if (!dmemCgroupStateEvictValuable(limit, res.css, true, { hitLow: false })) continue;
      left = res;
    }
  }
  warnOn(
    evictor.bdev.global,
    DMEM_LOW_BEST_EFFORT,
    left !== null,
    evictor.id,
    left === null
      ? ''
      : `${left.bo?.id} (${left.id}, charged to ${left.css?.id} with ${left.css?.usage} B, effective low ${left.css?.elow} B, min ${left.css?.emin} B) is left on ${man.id}'s LRU for ${evictor.id}${limit === null ? '' : ` limited by ${limit.id}`}`,
  );
}

/** dmem.try-charge.within-max, after a charge that returned 0 to `pool`. */
export function checkDmemCharged(g: TtmGlobal | null, pool: DmemPool, actor: string): void {
  let over: DmemPool | null = null;
  for (let c: DmemPool | null = pool; c !== null && over === null; c = c.parent) {
    if (c.usage > c.max) over = c;
  }
  warnOn(
    g,
    DMEM_CHARGE_WITHIN_MAX,
    over !== null,
    actor,
    over === null ? '' : `${over.id} holds ${over.usage} B over its max ${over.max} B`,
  );
}

/** dmem.uncharge.no-underflow, given the pools an uncharge took below zero. */
export function checkDmemUnderflow(g: TtmGlobal | null, under: readonly DmemPool[], actor: string): void {
  warnOn(
    g,
    DMEM_UNCHARGE_UNDERFLOW,
    under.length > 0,
    actor,
    under.length === 0 ? '' : `${under.map((p) => p.id).join(', ')} uncharged below 0`,
  );
}

/** dmem.uncharge.once, before `res` is uncharged by `size` bytes. */
export function checkDmemUnchargeOnce(g: TtmGlobal | null, res: Resource, size: number, actor: string): void {
  const broken = res.cssUncharged || size !== res.size;
  warnOn(
    g,
    DMEM_UNCHARGE_ONCE,
    broken,
    actor,
    !broken
      ? ''
      : res.cssUncharged
        ? `${res.id} was already uncharged from ${res.css?.id}`
        : `${res.id} charged ${res.size} B, uncharged ${size} B`,
  );
}

/** The live resources of `man` (its LRUs and, of its type, the device's unevictable list). */
function managerResources(man: ResourceManager): Resource[] {
  const out: Resource[] = [];
  const heads: ListHead[] = [...man.lru, man.bdev.unevictable];
  for (const head of heads) {
    for (let n = head.next as LruItem; n !== head; n = n.next as LruItem) {
      const r = n.res;
      if (r !== null && r.memType === man.memType && !r.freed) out.push(r);
    }
  }
  return out;
}

/** dmem.usage.charged-resources for the region of `man` (no-op for a manager without one). */
export function checkDmemUsage(g: TtmGlobal | null, man: ResourceManager): void {
  const region: DmemRegion | null = man.cg;
  if (region === null) return;
  const live = managerResources(man);
  let bad: { pool: DmemPool; sum: number; n: number } | null = null;
  for (const pool of region.pools) {
    let sum = 0;
    let n = 0;
    for (const r of live) {
      if (dmemPoolInSubtree(r.css, pool)) {
        sum += r.size;
        n += 1;
      }
    }
    if (sum !== pool.usage) {
      bad = { pool, sum, n };
      break;
    }
  }
  warnOn(
    g,
    DMEM_USAGE_CHARGED,
    bad !== null,
    bad?.pool.id ?? man.id,
    bad === null
      ? ''
      : `usage ${bad.pool.usage} B, but ${bad.n} live resources charged there hold ${bad.sum} B`,
  );
}

/**
 * dmem.evict.limit-subtree, dmem.evict.min-protected and dmem.evict.low-first, for a victim charged to
 * `test` that ttm_bo_evict_cb is about to evict for an allocation limited by `limit` (null: no cgroup
 * limit, the device is full), in a walk that respects low unless `tryLow`.
 */
export function checkDmemVictim(
  g: TtmGlobal | null,
  limit: DmemPool | null,
  test: DmemPool | null,
  tryLow: boolean,
  actor: string,
): void {
  const limited = limit !== null && limit.cs.parent !== null;
  const outside = limited && !dmemPoolInSubtree(test, limit);
  warnOn(
    g,
    DMEM_EVICT_LIMIT_SUBTREE,
    outside,
    actor,
    outside ? `charged to ${test?.id ?? 'no pool'}, outside ${limit?.id}` : '',
  );
  if (test === null || (limit !== null && !limited)) return;
  const belowMin = dmemCgroupBelow(limit, test, 'min');
  warnOn(
    g,
    DMEM_EVICT_MIN_PROTECTED,
    belowMin,
    actor,
    belowMin ? `${test.id} uses ${test.usage} B within its effective min ${test.emin} B` : '',
  );
  if (tryLow) return;
  const belowLow = dmemCgroupBelow(limit, test, 'low');
  warnOn(
    g,
    DMEM_EVICT_LOW_FIRST,
    belowLow,
    actor,
    belowLow ? `${test.id} uses ${test.usage} B within its effective low ${test.elow} B` : '',
  );
}
