// kernel/cgroup/dmem.c (the dmem cgroup controller, 6.14+, the 2026 text with dmem_cgroup_below_min /
// _below_low) and the parts of mm/page_counter.c it runs on (page_counter_try_charge, _uncharge,
// _cancel, page_counter_calculate_protection, effective_protection with recursive protection, as
// memory_recursiveprot has it): a cgroup tree, regions (one per TTM resource manager a driver registers:
// drmm_cgroup_register_region), pools (one per cgroup and region, made on first use with their parents:
// get_cg_pool_unlocked), charging by the current task's cgroup, and the eviction predicate TTM asks
// (dmem_cgroup_state_evict_valuable).
// Units are bytes, as dmem charges them (dmem_cgroup_try_charge(region, size, ...)).
// Simplified: no RCU, refcounts or css lifetimes (a pool lives as long as its tree; dmem_cgroup_pool_state_put
// has nothing to drop), no cgroup removal or task migration after a charge (a resource is uncharged from
// the pool it was charged to, as upstream); no dmem.peak reset; the files are read and written through
// functions (dmemFileRead, dmemSetLimit), not cgroupfs. A tree made with its world reports the rules of
// src/kernel/rules/dmem_files.ts there (a pool's reset, what a limit write leaves, the peak). The kernel has no state machine here: a pool has counters, not states.
// Upstream runs the charge and the protection walk under RCU without sleeping; here they run between two
// scheduling points, so no task sees a half-done charge.

import type { TtmGlobal } from './device.ts';
import { EAGAIN, EBUSY, EINVAL, ENODEV } from './errno.ts';
import {
  checkDmemLimitWrite,
  checkDmemPeak,
  checkDmemPoolReset,
  type DmemLimits,
} from './rules/dmem_files.ts';

/** PAGE_COUNTER_MAX: no limit ("max" in dmem.max). */
export const PAGE_COUNTER_MAX = Number.MAX_SAFE_INTEGER;

/** struct dmemcg_state: one cgroup, with its pools (one per region it charged or set a limit in). */
export class DmemCgroup {
  readonly children: DmemCgroup[] = [];
  /** css->pools, in the order they were made. */
  readonly pools: DmemPool[] = [];

  constructor(
    readonly tree: DmemCgroupTree,
    /** The cgroup's path below the root ('' for the root). */
    readonly name: string,
    readonly parent: DmemCgroup | null,
  ) {}
}

/** struct dmem_cgroup_region: a region a driver registered (one TTM resource manager). */
export class DmemRegion {
  /** region->pools, in the order they were made. */
  readonly pools: DmemPool[] = [];
  unregistered = false;

  constructor(
    readonly tree: DmemCgroupTree,
    readonly name: string,
    /** Bytes (dmem.capacity). */
    readonly size: number,
  ) {}
}

/** struct dmem_cgroup_pool_state with its struct page_counter: one cgroup's use of one region. */
export class DmemPool {
  /** page_counter usage, in bytes. */
  usage = 0;
  max = PAGE_COUNTER_MAX;
  low = 0;
  min = 0;
  /** Effective protection, written by page_counter_calculate_protection (stale between walks, as upstream). */
  emin = 0;
  elow = 0;
  watermark = 0;
  failcnt = 0;

  constructor(
    readonly region: DmemRegion,
    readonly cs: DmemCgroup,
    /** The pool of the parent cgroup in the same region (pool->parent, cnt.parent), null for the root's. */
    readonly parent: DmemPool | null,
  ) {}

  /** For traces and messages: `dmem:<region>/<cgroup path>`. */
  get id(): string {
    return `dmem:${this.region.name}/${this.cs.name === '' ? '(root)' : this.cs.name}`;
  }
}

/** The result of dmem_cgroup_try_charge: 0 and the charged pool, or -EAGAIN and the limiting pool. */
export interface DmemCharge {
  readonly ret: number;
  readonly pool: DmemPool | null;
  readonly limitPool: DmemPool | null;
}

/** The cgroup hierarchy of one world, its registered regions, and which task runs in which cgroup. */
export class DmemCgroupTree {
  readonly root: DmemCgroup = new DmemCgroup(this, '', null);

  /** `global`: the world whose kernel rules the tree's functions report to (null: none, unit tests). */
  constructor(readonly global: TtmGlobal | null = null) {}

  /** dmem_cgroup_regions, in registration order. */
  readonly regions: DmemRegion[] = [];
  /** cgroup.procs: tasks by systemId. A task not listed runs in the root cgroup. */
  private readonly tasks = new Map<string, DmemCgroup>();

  /** mkdir in the cgroup hierarchy: a child of `parent` (the root by default). */
  createCgroup(name: string, parent: DmemCgroup = this.root): DmemCgroup {
    const path = parent.name === '' ? name : `${parent.name}/${name}`;
    const cg = new DmemCgroup(this, path, parent);
    parent.children.push(cg);
    return cg;
  }

  /** Write `task` to the cgroup's cgroup.procs. */
  attachTask(task: string, cg: DmemCgroup): void {
    this.tasks.set(task, cg);
  }

  /** get_current_dmemcs: the cgroup `task` runs in. */
  cgroupOf(task: string): DmemCgroup {
    return this.tasks.get(task) ?? this.root;
  }

  /** Every cgroup, pre-order (css_for_each_descendant_pre from the root), children in creation order. */
  cgroups(): DmemCgroup[] {
    const out: DmemCgroup[] = [];
    preOrder(this.root, out);
    return out;
  }
}

function preOrder(cg: DmemCgroup, out: DmemCgroup[]): void {
  out.push(cg);
  for (const c of cg.children) preOrder(c, out);
}

/** dmem_cgroup_register_region: a region of `size` bytes, or null for size 0 (no region, as upstream). */
export function dmemCgroupRegisterRegion(
  tree: DmemCgroupTree,
  size: number,
  name: string,
): DmemRegion | null {
  if (size === 0) return null;
  const region = new DmemRegion(tree, name, size);
  tree.regions.push(region);
  return region;
}

/** dmem_cgroup_unregister_region: no new pools; the region leaves the list. `null` is a no-op. */
export function dmemCgroupUnregisterRegion(region: DmemRegion | null): void {
  if (region === null) return;
  const list = region.tree.regions;
  const i = list.indexOf(region);
  if (i >= 0) list.splice(i, 1);
  region.unregistered = true;
}

/** find_cg_pool_locked: the cgroup's pool in `region`, or null. */
export function dmemFindPool(cg: DmemCgroup, region: DmemRegion): DmemPool | null {
  for (const p of cg.pools) if (p.region === region) return p;
  return null;
}

/**
 * get_cg_pool_unlocked: the cgroup's pool in `region`, made (with every missing ancestor's pool, parents
 * first, limits reset: max, low 0, min 0) when missing. -ENODEV once the region is unregistered.
 */
export function dmemGetPool(cg: DmemCgroup, region: DmemRegion): DmemPool | number {
  const found = dmemFindPool(cg, region);
  if (found !== null) return found;
  if (region.unregistered) return -ENODEV;
  let parent: DmemPool | null = null;
  if (cg.parent !== null) {
    const p = dmemGetPool(cg.parent, region);
    if (typeof p === 'number') return p;
    parent = p;
  }
  const pool = new DmemPool(region, cg, parent);
  checkDmemPoolReset(cg.tree.global, pool, PAGE_COUNTER_MAX);
  cg.pools.push(pool);
  region.pools.push(pool);
  return pool;
}

/** The files of a dmem cgroup the model reads: dmem.current, dmem.peak and the three limits. */
export type DmemFile = 'current' | 'peak' | DmemLimitFile;
/** The files dmemcg_limit_write writes. */
export type DmemLimitFile = 'max' | 'low' | 'min';

/**
 * dmemcg_limit_show with get_resource_current/_peak/_min/_low/_max: the value `cg`'s file shows for
 * `region` (PAGE_COUNTER_MAX shows as "max"). A cgroup without a pool in the region shows 0, and "max"
 * for dmem.max. null: the root has no such file (CFTYPE_NOT_ON_ROOT: every file but dmem.current).
 */
export function dmemFileRead(cg: DmemCgroup, region: DmemRegion, file: DmemFile): number | null {
  if (cg.parent === null && file !== 'current') return null;
  const pool = dmemFindPool(cg, region);
  if (pool === null) return file === 'max' ? PAGE_COUNTER_MAX : 0;
  if (file === 'current') return pool.usage;
  if (file === 'peak') return pool.watermark;
  return pool[file];
}

function readLimits(cg: DmemCgroup, region: DmemRegion): DmemLimits {
  return {
    min: dmemFileRead(cg, region, 'min'),
    low: dmemFileRead(cg, region, 'low'),
    max: dmemFileRead(cg, region, 'max'),
  };
}

/**
 * dmem.max / dmem.low / dmem.min writes (dmemcg_limit_write with set_resource_max/_low/_min). The root
 * has no such files (CFTYPE_NOT_ON_ROOT): -EINVAL for it here. dmem.max goes through
 * page_counter_set_max, which refuses (-EBUSY) a limit below the current usage; dmem.c ignores that
 * return and reports the write as done, so the limit silently stays: the return value tells the caller.
 */
export function dmemSetLimit(
  cg: DmemCgroup,
  region: DmemRegion,
  which: DmemLimitFile,
  bytes: number,
): number {
  const before = readLimits(cg, region);
  const ret = dmemLimitWrite(cg, region, which, bytes);
  checkDmemLimitWrite(cg.tree.global, cg, which, bytes, ret, before, readLimits(cg, region));
  return ret;
}

/** dmemcg_limit_write's apply step for the files of `cg` (dmemSetLimit, which checks what it did). */
function dmemLimitWrite(cg: DmemCgroup, region: DmemRegion, which: DmemLimitFile, bytes: number): number {
  if (cg.parent === null) return -EINVAL;
  const pool = dmemGetPool(cg, region);
  if (typeof pool === 'number') return pool;
  if (which === 'max') {
    if (pool.usage > bytes) return -EBUSY;
    pool.max = bytes;
  } else if (which === 'low') {
    pool.low = bytes;
  } else {
    pool.min = bytes;
  }
  return 0;
}

/**
 * dmem_cgroup_try_charge for the cgroup `task` runs in: page_counter_try_charge up the pool's ancestry;
 * the first counter whose usage would exceed its max stops the charge (failcnt++), the counters below it
 * are cancelled, and that pool is the limiting pool. Returns 0 and the pool; -EAGAIN and the limiting
 * pool (only when `wantLimit`, as upstream fills *ret_limit_pool only when given); -ENODEV for an
 * unregistered region.
 */
export function dmemCgroupTryCharge(
  region: DmemRegion,
  size: number,
  task: string,
  wantLimit: boolean,
): DmemCharge {
  const cg = region.tree.cgroupOf(task);
  const pool = dmemGetPool(cg, region);
  if (typeof pool === 'number') return { ret: pool, pool: null, limitPool: null };
  const g = region.tree.global;
  if (g === null) return pageCounterTryCharge(pool, size, wantLimit);
  const chain: DmemPool[] = [];
  for (let c: DmemPool | null = pool; c !== null; c = c.parent) chain.push(c);
  const usage = chain.map((c) => c.usage);
  const peak = chain.map((c) => c.watermark);
  const charge = pageCounterTryCharge(pool, size, wantLimit);
  checkDmemPeak(g, chain, usage, peak, size);
  return charge;
}

/** page_counter_try_charge up `pool`'s ancestry, for dmemCgroupTryCharge. */
function pageCounterTryCharge(pool: DmemPool, size: number, wantLimit: boolean): DmemCharge {
  for (let c: DmemPool | null = pool; c !== null; c = c.parent) {
    const next = c.usage + size;
    if (next > c.max) {
      c.failcnt += 1;
      for (let d: DmemPool | null = pool; d !== c && d !== null; d = d.parent) d.usage -= size;
      return { ret: -EAGAIN, pool: null, limitPool: wantLimit ? c : null };
    }
    c.usage = next;
    if (next > c.watermark) c.watermark = next;
  }
  return { ret: 0, pool, limitPool: null };
}

/**
 * dmem_cgroup_uncharge: page_counter_uncharge up the pool's ancestry. An uncharge below zero is the
 * WARN_ONCE of page_counter_cancel ("page_counter underflow"); the counter is set to 0 as upstream does.
 * Returns the pools that would have gone negative (none when the charges balance); `null` is a no-op.
 */
export function dmemCgroupUncharge(pool: DmemPool | null, size: number): DmemPool[] {
  const under: DmemPool[] = [];
  for (let c = pool; c !== null; c = c.parent) {
    c.usage -= size;
    if (c.usage < 0) {
      under.push(c);
      c.usage = 0;
    }
  }
  return under;
}

/** The pools whose parent is `pool` (the children of its page counter), in region order. */
function childPools(pool: DmemPool): DmemPool[] {
  return pool.region.pools.filter((p) => p.parent === pool);
}

/**
 * effective_protection (mm/page_counter.c) with recursive_protection: a child's share of its parent's
 * effective protection, in proportion to use when the children claim more than the parent affords, plus
 * (recursive protection) a share of what the children leave unclaimed in proportion to unprotected use.
 * Integer arithmetic as the kernel's unsigned longs.
 */
function effectiveProtection(
  usage: number,
  parentUsage: number,
  setting: number,
  parentEffective: number,
  siblingsProtected: number,
): number {
  const prot = Math.min(usage, setting);
  if (siblingsProtected > parentEffective) return Math.floor((prot * parentEffective) / siblingsProtected);
  let ep = prot;
  if (parentEffective > siblingsProtected && parentUsage > siblingsProtected && usage > prot) {
    ep += Math.floor(
      ((parentEffective - siblingsProtected) * (usage - prot)) / (parentUsage - siblingsProtected),
    );
  }
  return ep;
}

/**
 * page_counter_calculate_protection(root, counter, true): emin/elow of `counter` as seen from `root`.
 * Untouched for the root itself and for an unused counter (stale, as upstream); the root's children get
 * their own min/low; deeper counters share their parent's effective values. children_min_usage and
 * children_low_usage (kept by propagate_protected_usage at every charge) are Σ min(usage, min/low) of
 * the siblings, computed here from the counters.
 */
function calculateProtection(root: DmemPool, counter: DmemPool): void {
  if (root === counter) return;
  const usage = counter.usage;
  if (usage === 0) return;
  const parent = counter.parent;
  if (parent === null) return;
  if (parent === root) {
    counter.emin = counter.min;
    counter.elow = counter.low;
    return;
  }
  let childrenMin = 0;
  let childrenLow = 0;
  for (const s of childPools(parent)) {
    childrenMin += Math.min(s.usage, s.min);
    childrenLow += Math.min(s.usage, s.low);
  }
  counter.emin = effectiveProtection(usage, parent.usage, counter.min, parent.emin, childrenMin);
  counter.elow = effectiveProtection(usage, parent.usage, counter.low, parent.elow, childrenLow);
}

/**
 * dmem_cgroup_calculate_protection: walk the limit pool's cgroup subtree pre-order, computing the
 * protection of each cgroup's pool in the region, and stop at `test`.
 */
function dmemCalculateProtection(limit: DmemPool, test: DmemPool): void {
  const order: DmemCgroup[] = [];
  preOrder(limit.cs, order);
  for (const cg of order) {
    const found = dmemFindPool(cg, limit.region);
    if (found === null) continue;
    calculateProtection(limit, found);
    if (found === test) break;
  }
}

/** The root pool of `pool`'s region (the last of its ancestry). */
function rootPool(pool: DmemPool): DmemPool {
  let p = pool;
  while (p.parent !== null) p = p.parent;
  return p;
}

/** Is `pool` `ancestor` or below it? */
export function dmemPoolInSubtree(pool: DmemPool | null, ancestor: DmemPool): boolean {
  for (let p = pool; p !== null; p = p.parent) if (p === ancestor) return true;
  return false;
}

/** What dmem_cgroup_state_evict_valuable reports back through *ret_hit_low. */
export interface DmemHitLow {
  hitLow: boolean;
}

/**
 * dmem_cgroup_state_evict_valuable: may TTM evict a resource charged to `test` to make room under
 * `limit` (null: the device is full, no cgroup limit was hit, so the protection is computed from the
 * root)? Always for the limit pool itself and for a root limit pool; never outside the limit pool's
 * subtree; never at or below the effective min; and, unless `ignoreLow`, not at or below the effective
 * low, in which case `hit.hitLow` is set so the caller may retry with `ignoreLow`.
 */
export function dmemCgroupStateEvictValuable(
  limit: DmemPool | null,
  test: DmemPool | null,
  ignoreLow: boolean,
  hit: DmemHitLow,
): boolean {
  if (limit === test) return true;
  let lim: DmemPool;
  if (limit !== null) {
    if (limit.cs.parent === null) return true;
    if (!dmemPoolInSubtree(test, limit)) return false;
    lim = limit;
  } else {
    // limit === null and test !== null here: the root of test's region is the limit for the calculation.
    lim = rootPool(test as DmemPool);
  }
  const t = test as DmemPool;
  dmemCalculateProtection(lim, t);
  const used = t.usage;
  if (used <= t.emin) return false;
  if (!ignoreLow) {
    if (used > t.elow) return true;
    hit.hitLow = true;
    return false;
  }
  return true;
}

/**
 * dmem_cgroup_below_min / dmem_cgroup_below_low: is `test`'s usage within its effective min (low) as
 * seen from `root` (null: the region's root)? False for the root itself and for a pool without parent.
 */
export function dmemCgroupBelow(root: DmemPool | null, test: DmemPool, which: 'min' | 'low'): boolean {
  if (root === test || test.parent === null) return false;
  const r = root ?? rootPool(test);
  dmemCalculateProtection(r, test);
  return test.usage <= (which === 'min' ? test.emin : test.elow);
}
