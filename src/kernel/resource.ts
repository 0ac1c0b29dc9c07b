// ttm_resource.c, ttm_sys_manager.c, ttm_range_manager.c: resources (a BO's backing memory in one
// memory type), resource managers with per-priority LRUs, bulk moves and the LRU cursor with hitches.
// ttm_resource_alloc charges the current task's dmem cgroup when the manager has a region (man->cg,
// dmem_cgroup.ts) and ttm_resource_free uncharges it, as 6.14+ with the 2026 follow-up "drm/ttm: Convert
// -EAGAIN from dmem_cgroup_try_charge to -ENOSPC".
// Simplified: no io_mem reservation (bus fields keep their init values).

import type { BufferObject } from './bo.ts';
import {
  PAGE_SIZE,
  pfnUp,
  TTM_MAX_BO_PRIORITY,
  TTM_NUM_MEM_TYPES,
  TTM_PL_FLAG_CONTIGUOUS,
  TTM_PL_FLAG_DESIRED,
  TTM_PL_FLAG_FALLBACK,
  TTM_PL_FLAG_TEMPORARY,
  TTM_PL_FLAG_TOPDOWN,
} from './constants.ts';
import type { Device } from './device.ts';
import { type DmemPool, type DmemRegion, dmemCgroupTryCharge, dmemCgroupUncharge } from './dmem_cgroup.ts';
import { EAGAIN, ENOMEM, ENOSPC } from './errno.ts';
import type { DmaFence } from './fence.ts';
import {
  ListHead,
  listAddTail,
  listBulkMoveTail,
  listDelInit,
  listEmpty,
  listMove,
  listMoveTail,
  listUnlinked,
} from './list.ts';
import type { Place, Placement } from './placement.ts';
import { type InsertMode, RangeAllocator, type RangeNode } from './range_allocator.ts';
import { assertBoResvHeld, assertHeld, warnOn } from './rules/check.ts';
import { checkDmemCharged, checkDmemUnchargeOnce, checkDmemUnderflow, checkDmemUsage } from './rules/dmem.ts';
import { checkRangeAlloc, checkResourceCompatible, checkResourceIntersects } from './rules/placement.ts';
import { lockupSpins, softLockupSpin } from './rules/soft_lockup.ts';
import {
  BULK_MOVE_ADD_SAME_RESV,
  BULK_MOVE_TAIL_RESV_HELD,
  RESOURCE_IS_SWAPPED_RESV_HELD,
} from './rules/ttm_resource.ts';
import { postResourceAlloc, postResourceFree } from './rules_post.ts';

/** struct ttm_lru_item: a resource on an LRU, or a cursor's hitch. */
export class LruItem extends ListHead {
  constructor(
    readonly res: Resource | null,
    /** True for list heads (manager LRUs, the device's unevictable list); false for hitches. */
    readonly isHead = false,
  ) {
    super();
  }
}

export interface BusPlacement {
  addr: null;
  offset: number;
  isIomem: boolean;
  caching: 'cached' | 'write_combined' | 'uncached';
}

export class Resource {
  start = 0;
  size: number;
  readonly memType: number;
  readonly placement: number;
  readonly bus: BusPlacement = { addr: null, offset: 0, isIomem: false, caching: 'cached' };
  bo: BufferObject | null;
  readonly lru = new LruItem(this);
  /** Allocator node of range managers. */
  node: RangeNode | null = null;
  freed = false;
  /** res->css: the dmem cgroup pool the resource is charged to (null: its manager has no region). */
  css: DmemPool | null = null;
  /** The charge went back to the pool (ttm_resource_free's dmem_cgroup_uncharge). */
  cssUncharged = false;

  constructor(
    readonly id: string,
    bo: BufferObject,
    place: Place,
  ) {
    this.size = bo.size;
    this.memType = place.memType;
    this.placement = place.flags;
    this.bo = bo;
  }

  get numPages(): number {
    return pfnUp(this.size);
  }
}

export interface ManagerFunc {
  /** Allocate a resource for `bo` at `place`: the resource, or -ENOSPC / -ENOMEM (/ -EBUSY in tests). */
  alloc(man: ResourceManager, bo: BufferObject, place: Place): Resource | number;
  free(man: ResourceManager, res: Resource): void;
  intersects?(man: ResourceManager, res: Resource, place: Place, size: number): boolean;
  compatible?(man: ResourceManager, res: Resource, place: Place, size: number): boolean;
}

export class ResourceManager {
  useType = false;
  usage = 0;
  readonly lru: LruItem[] = Array.from({ length: TTM_MAX_BO_PRIORITY }, () => new LruItem(null, true));
  /**
   * The fences of the pipelined evictions out of this manager (man->eviction_fences, under
   * man->eviction_lock): at most one per fence context, the latest of that context, in the first free
   * slot. The model has no spinlocks; nothing between reading and writing a slot sleeps.
   */
  readonly evictionFences: (DmaFence | null)[] = new Array<DmaFence | null>(TTM_NUM_MOVE_FENCES).fill(null);
  /** Cursors walking this manager now; bulk moves adjust their hitches. */
  readonly cursors = new Set<ResourceCursor>();
  /** man->cg: the dmem cgroup region the driver registered for this manager, or null. */
  cg: DmemRegion | null = null;

  constructor(
    readonly bdev: Device,
    readonly memType: number,
    readonly useTt: boolean,
    /** Size in bytes; 0 for SYSTEM (no limit). */
    public size: number,
    readonly func: ManagerFunc,
    readonly id: string = `${bdev.id}/man${memType}`,
  ) {}

  /**
   * The first occupied eviction-fence slot, or null: for readers outside the kernel (the viewer, the
   * end-of-run checks), and the one fence of the form before the slots (man->move), which the model
   * keeps in slot 0 (see ttmBoMovePipelineEvict).
   */
  get move(): DmaFence | null {
    for (const f of this.evictionFences) if (f !== null) return f;
    return null;
  }
}

/**
 * TTM_NUM_MOVE_FENCES (include/drm/ttm/ttm_resource.h, "drm/ttm: rework pipelined eviction fence
 * handling", 7.0): how many fence contexts (a driver's copy entities) may pipeline evictions out of one
 * manager at once.
 */
export const TTM_NUM_MOVE_FENCES = 8;

/** ttm_resource_manager_init: empty LRUs, no usage, every eviction-fence slot empty. Not yet used. */
export function ttmResourceManagerInit(man: ResourceManager, size: number): void {
  man.size = size;
  man.usage = 0;
  man.evictionFences.fill(null);
  for (const head of man.lru) listDelInit(head);
}

/** ttm_resource_manager_set_used. */
export function ttmResourceManagerSetUsed(man: ResourceManager, used: boolean): void {
  man.useType = used;
  man.bdev.env.emit('manager', man.id, { type: used ? 'man.enable' : 'man.disable' });
}

export function ttmResourceManagerUsed(man: ResourceManager): boolean {
  return man.useType;
}

/** ttm_resource_manager_usage. */
export function ttmResourceManagerUsage(man: ResourceManager): number {
  return man.usage;
}

function resourceIsSwapped(res: Resource, bo: BufferObject): boolean {
  if (bo.resource !== res || bo.ttm === null) return false;
  return bo.ttm.isSwapped();
}

/**
 * ttm_resource_is_swapped as kernel code calls it (ttm_resource_unevictable from the LRU helpers): with
 * its dma_resv_assert_held. The exported ttmResourceUnevictable stays free of the assertion for readers
 * outside the kernel (the per-step oracles), which hold no lock.
 */
function resourceIsSwappedLocked(res: Resource, bo: BufferObject): boolean {
  if (bo.resource !== res || bo.ttm === null) return false;
  assertBoResvHeld(RESOURCE_IS_SWAPPED_RESV_HELD, bo);
  return bo.ttm.isSwapped();
}

/** ttm_resource_unevictable as kernel code calls it (see resourceIsSwappedLocked). */
function unevictableLocked(res: Resource, bo: BufferObject): boolean {
  return bo.pinCount > 0 || resourceIsSwappedLocked(res, bo);
}

/** ttm_resource_unevictable: pinned, or the current resource of a swapped-out BO. */
export function ttmResourceUnevictable(res: Resource, bo: BufferObject): boolean {
  return bo.pinCount > 0 || resourceIsSwapped(res, bo);
}

/** ttm_resource_init: fill in and put on the right list (unevictable or lru[prio] tail); usage += size. */
export function ttmResourceInit(bo: BufferObject, place: Place, res: Resource): void {
  const man = bo.bdev.manager(place.memType);
  if (man === null) throw new Error(`ttm_resource_init: no manager for type ${place.memType}`);
  if (unevictableLocked(res, bo)) listAddTail(res.lru, bo.bdev.unevictable);
  else listAddTail(res.lru, man.lru[bo.priority]!);
  man.usage += res.size;
  bo.bdev.env.emit('resource', res.id, { type: 'res.init', memType: place.memType, bo: bo.id });
  emitUsage(man);
}

/** ttm_resource_fini: off its list, usage -= size. Counterpart of ttmResourceInit. */
export function ttmResourceFini(man: ResourceManager, res: Resource): void {
  listDelInit(res.lru);
  man.usage -= res.size;
  res.freed = true;
  man.bdev.env.emit('resource', res.id, { type: 'res.fini' });
  emitUsage(man);
}

function emitUsage(man: ResourceManager): void {
  man.bdev.env.emit('manager', man.id, { type: 'man.usage', usage: man.usage });
}

/**
 * Mutation: ttm_resource_alloc returns dmem_cgroup_try_charge's -EAGAIN as it is, and
 * ttm_bo_alloc_resource evicts on -ENOSPC or -EAGAIN — the form of "drm/ttm: Handle cgroup based
 * eviction in TTM" (2b624a2c1865, 6.14) before "drm/ttm: Convert -EAGAIN from dmem_cgroup_try_charge to
 * -ENOSPC" (2026, Cc stable 6.14+). ttm_bo_evict_cb turns only -ENOSPC into "keep walking", so the
 * evictor's -EAGAIN re-allocation ends the walk and reaches ttm_bo_validate's caller.
 */
export const MUTATION_DMEM_EAGAIN = 'dmem-charge-eagain';

/** Does the world run the form before the -EAGAIN conversion (MUTATION_DMEM_EAGAIN)? */
export function dmemEagainForm(bo: BufferObject): boolean {
  return bo.bdev.global?.mutations.has(MUTATION_DMEM_EAGAIN) ?? false;
}

/** Where ttm_resource_alloc reports the limiting pool of a failed charge (ret_limit_pool). */
export interface LimitPoolOut {
  pool: DmemPool | null;
}

/**
 * ttm_resource_alloc: charge the current task's dmem cgroup when the manager has a region (a limit hit
 * is -ENOSPC, with the limiting pool in `limitOut` when given), then the manager allocates and the
 * resource joins the BO's bulk move; a failed allocation uncharges. The resource, -ENOSPC or -ENOMEM.
 */
export function ttmResourceAlloc(
  bo: BufferObject,
  place: Place,
  limitOut: LimitPoolOut | null = null,
): Resource | number {
  const man = bo.bdev.manager(place.memType);
  if (man === null) throw new Error(`ttm_resource_alloc: no manager for type ${place.memType}`);
  const usage = man.usage;
  let pool: DmemPool | null = null;
  if (man.cg !== null) {
    const charge = dmemCgroupTryCharge(man.cg, bo.size, bo.bdev.env.current(), limitOut !== null);
    if (limitOut !== null) limitOut.pool = charge.limitPool;
    if (charge.ret !== 0) {
      const ret = charge.ret === -EAGAIN && !dmemEagainForm(bo) ? -ENOSPC : charge.ret;
      return postResourceAlloc(bo, place.memType, place.flags, usage, ret);
    }
    pool = charge.pool;
    if (pool !== null) checkDmemCharged(bo.bdev.global, pool, bo.id);
  }
  const res = bo.bdev.global?.injectFault('resource.alloc', bo.id) // the manager's kzalloc
    ? -ENOMEM
    : man.func.alloc(man, bo, place);
  if (typeof res === 'number') {
    if (pool !== null) checkDmemUnderflow(bo.bdev.global, dmemCgroupUncharge(pool, bo.size), bo.id);
    if (man.cg !== null) checkDmemUsage(bo.bdev.global, man);
    return postResourceAlloc(bo, place.memType, place.flags, usage, res);
  }
  res.css = pool;
  ttmResourceAddBulkMove(res, bo);
  if (man.cg !== null) checkDmemUsage(bo.bdev.global, man);
  return postResourceAlloc(bo, place.memType, place.flags, usage, res);
}

/** ttm_resource_free: leave the bulk move, give the space back. `null` is a no-op. */
export function ttmResourceFree(bo: BufferObject, res: Resource | null): void {
  if (res === null) return;
  if (res.freed) throw new Error(`ttm_resource_free: ${res.id} freed twice`);
  ttmResourceDelBulkMove(res, bo);
  const man = bo.bdev.manager(res.memType);
  if (man === null) throw new Error(`ttm_resource_free: no manager for type ${res.memType}`);
  const usage = man.usage;
  const pool = res.css;
  man.func.free(man, res);
  if (pool !== null) {
    checkDmemUnchargeOnce(bo.bdev.global, res, bo.size, res.id);
    res.cssUncharged = true;
    checkDmemUnderflow(bo.bdev.global, dmemCgroupUncharge(pool, bo.size), res.id);
  }
  if (man.cg !== null) checkDmemUsage(bo.bdev.global, man);
  postResourceFree(bo, res, usage);
}

/** ttm_resource_set_bo: hand a resource to another BO (ghost objects). */
export function ttmResourceSetBo(res: Resource, bo: BufferObject | null): void {
  res.bo = bo;
}

/** ttm_resource_intersects: may evicting `res` help an allocation at `place`? */
export function ttmResourceIntersects(bdev: Device, res: Resource, place: Place, size: number): boolean {
  const man = bdev.manager(res.memType);
  if (man === null || man.func.intersects === undefined) return true;
  return checkResourceIntersects(bdev.global, res, place, man.func.intersects(man, res, place, size));
}

/**
 * ttm_resource_compatible: may the BO stay in `res` for `placement`? Never for TEMPORARY (bounce)
 * resources; DESIRED places only count in the first pass, FALLBACK places only when evicting.
 */
export function ttmResourceCompatible(res: Resource, placement: Placement, evicting: boolean): boolean {
  const g = res.bo?.bdev.global ?? null;
  return checkResourceCompatible(g, res, placement, evicting, compatible(res, placement, evicting));
}

function compatible(res: Resource, placement: Placement, evicting: boolean): boolean {
  if (res.placement & TTM_PL_FLAG_TEMPORARY) return false;
  const bo = res.bo;
  if (bo === null) return false;
  for (const p of placement.placement) {
    if (res.memType !== p.memType) continue;
    if (p.flags & (evicting ? TTM_PL_FLAG_DESIRED : TTM_PL_FLAG_FALLBACK)) continue;
    if (p.flags & TTM_PL_FLAG_CONTIGUOUS && !(res.placement & TTM_PL_FLAG_CONTIGUOUS)) continue;
    const man = bo.bdev.manager(res.memType);
    if (man?.func.compatible !== undefined && !man.func.compatible(man, res, p, bo.size)) continue;
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------
// Bulk moves (struct ttm_lru_bulk_move): resources of BOs sharing one resv stay contiguous per
// (mem type, priority) so the whole range can be bumped to the LRU tail at once.

export interface BulkPos {
  first: Resource | null;
  last: Resource | null;
}

export class LruBulkMove {
  readonly pos: BulkPos[][] = Array.from({ length: TTM_NUM_MEM_TYPES }, () =>
    Array.from({ length: TTM_MAX_BO_PRIORITY }, () => ({ first: null, last: null })),
  );

  posFor(res: Resource): BulkPos {
    const prio = res.bo?.priority ?? 0;
    return this.pos[res.memType]![prio]!;
  }
}

/** ttm_lru_next_res / ttm_lru_prev_res: neighbours on the list, skipping hitches. */
export function ttmLruNextRes(res: Resource): Resource | null {
  for (let n = res.lru.next as LruItem; !n.isHead; n = n.next as LruItem) {
    if (n.res !== null) return n.res;
  }
  return null;
}

export function ttmLruPrevRes(res: Resource): Resource | null {
  for (let n = res.lru.prev as LruItem; !n.isHead; n = n.prev as LruItem) {
    if (n.res !== null) return n.res;
  }
  return null;
}

/**
 * Mutation: moving a range's first resource to the range tail leaves `first` pointing at it, so the
 * range shrinks to that one resource and the others drop out of it; deleting members of a range emptied
 * that way dereferences its NULL `last`, as ttm_lru_bulk_move_del did before the WARN_ON guard: both
 * reverted by "drm/ttm: fix bulk_move corruption when adding a entry" (4481913607e5, 2023; Fixes
 * fee2ede15542).
 */
export const MUTATION_BULK_MOVE_STALE_FIRST = 'bulk-move-stale-first';

/**
 * Mutation: resources of pinned BOs join (and leave) bulk-move ranges like any other: adding one splices
 * it out of the unevictable list into the range on the manager's LRU, or pulls the range's next members
 * onto the unevictable list — ttm_resource_alloc / ttm_resource_free / ttm_bo_set_bulk_move before
 * "drm/ttm: fix bulk move handling v2" (0f9cd1ea10d3, 2022; Fixes fee2ede15542) checked pin_count.
 */
export const MUTATION_BULK_MOVE_PINNED = 'bulk-move-pinned';

function hasMutation(res: Resource, name: string): boolean {
  return res.bo?.bdev.global?.mutations.has(name) ?? false;
}

/** ttm_lru_bulk_move_pos_tail: move `res` to the end of its bulk range. */
function bulkMovePosTail(pos: BulkPos, res: Resource): void {
  if (pos.last === res || pos.last === null) return;
  if (pos.first === res && !hasMutation(res, MUTATION_BULK_MOVE_STALE_FIRST)) pos.first = ttmLruNextRes(res);
  listMove(res.lru, pos.last.lru);
  pos.last = res;
}

/** ttm_lru_bulk_move_add. */
export function ttmLruBulkMoveAdd(bulk: LruBulkMove, res: Resource): void {
  const pos = bulk.posFor(res);
  const first = pos.first;
  if (first !== null) {
    const broken = first.bo !== null && res.bo !== null && first.bo.resv !== res.bo.resv;
    warnOn(
      res.bo?.bdev.global ?? null,
      BULK_MOVE_ADD_SAME_RESV,
      broken,
      res.bo?.id ?? res.id,
      broken ? `${res.bo?.resv.id} joins a range of ${first.bo?.resv.id}` : '',
    );
  }
  if (pos.first === null) {
    pos.first = res;
    pos.last = res;
  } else {
    bulkMovePosTail(pos, res);
  }
}

/** ttm_lru_bulk_move_del. */
export function ttmLruBulkMoveDel(bulk: LruBulkMove, res: Resource): void {
  const pos = bulk.posFor(res);
  // WARN_ON(!pos->first || !pos->last): a corrupt (emptied) range is reset instead of dereferenced.
  const guarded = !hasMutation(res, MUTATION_BULK_MOVE_STALE_FIRST);
  if ((guarded && (pos.first === null || pos.last === null)) || (pos.first === res && pos.last === res)) {
    pos.first = null;
    pos.last = null;
  } else if (pos.first === res) {
    pos.first = ttmLruNextRes(res);
  } else if (pos.last === res) {
    pos.last = ttmLruPrevRes(res);
  } else {
    listMove(res.lru, (pos.last as Resource).lru);
  }
}

/** Does `res` belong in its BO's bulk move: the BO has one and is evictable (not pinned, not swapped). */
function inBulkMove(res: Resource, bo: BufferObject): boolean {
  if (bo.bulkMove === null) return false;
  if (bo.bdev.global?.mutations.has(MUTATION_BULK_MOVE_PINNED)) return !resourceIsSwappedLocked(res, bo);
  return !unevictableLocked(res, bo);
}

/** ttm_resource_add_bulk_move: only for BOs with a bulk move that are evictable (not pinned, not swapped). */
export function ttmResourceAddBulkMove(res: Resource, bo: BufferObject): void {
  if (inBulkMove(res, bo)) ttmLruBulkMoveAdd(bo.bulkMove!, res);
}

export function ttmResourceDelBulkMove(res: Resource, bo: BufferObject): void {
  if (inBulkMove(res, bo)) ttmLruBulkMoveDel(bo.bulkMove!, res);
}

/** ttm_lru_bulk_move_tail: splice every range to its LRU tail, first moving walkers' hitches past it. */
export function ttmLruBulkMoveTail(bulk: LruBulkMove): void {
  for (const row of bulk.pos) {
    for (const [prio, pos] of row.entries()) {
      if (pos.first === null || pos.last === null) continue;
      const bo = pos.first.bo;
      if (bo === null) continue;
      assertHeld(bo.bdev.global, BULK_MOVE_TAIL_RESV_HELD, bo.resv.lock, bo.bdev.env.current(), bo.id);
      const man = bo.bdev.manager(pos.first.memType);
      if (man === null) continue;
      adjustCursors(man, pos.first, pos.last);
      listBulkMoveTail(man.lru[prio]!, pos.first.lru, pos.last.lru);
    }
  }
}

/** ttm_bulk_move_adjust_cursors: a hitch inside [first..last] is moved right after `last`. */
function adjustCursors(man: ResourceManager, first: Resource, last: Resource): void {
  for (const cursor of man.cursors) {
    for (let n: ListHead = first.lru; ; n = n.next) {
      if (n === cursor.hitch) {
        listMove(cursor.hitch, last.lru);
        break;
      }
      if (n === last.lru) break;
    }
  }
}

/** ttm_resource_move_to_lru_tail: unevictable tail, bulk range tail, or lru[prio] tail. */
export function ttmResourceMoveToLruTail(res: Resource): void {
  const bo = res.bo;
  if (bo === null) return;
  const bdev = bo.bdev;
  if (unevictableLocked(res, bo)) {
    listMoveTail(res.lru, bdev.unevictable);
  } else if (bo.bulkMove !== null) {
    const pos = bo.bulkMove.posFor(res);
    if (pos.first === null) {
      // Not in a range yet (e.g. just unpinned before being re-added): the plain LRU tail.
      const man = bdev.manager(res.memType);
      if (man !== null) listMoveTail(res.lru, man.lru[bo.priority]!);
    } else {
      bulkMovePosTail(pos, res);
    }
  } else {
    const man = bdev.manager(res.memType);
    if (man !== null) listMoveTail(res.lru, man.lru[bo.priority]!);
  }
  bdev.env.emit('resource', res.id, { type: 'res.bump', list: listNameOf(res) });
}

/** Which list a resource is on, for traces and oracles. */
export function listNameOf(res: Resource): string {
  if (listUnlinked(res.lru)) return 'none';
  const bo = res.bo;
  if (bo === null) return 'orphan';
  for (let n: ListHead = res.lru.next; n !== res.lru; n = n.next) {
    if (n === bo.bdev.unevictable) return 'unevictable';
    const man = bo.bdev.manager(res.memType);
    if (man !== null) {
      const prio = man.lru.indexOf(n as LruItem);
      if (prio >= 0) return `lru${prio}`;
    }
  }
  return 'unknown';
}

// ---------------------------------------------------------------------------------------------------
// LRU cursor (struct ttm_resource_cursor): iteration that survives dropping the lru_lock, by leaving a
// hitch in the list after the last resource returned.

export class ResourceCursor {
  readonly hitch = new LruItem(null);
  prio = 0;

  constructor(readonly man: ResourceManager) {
    man.cursors.add(this);
  }

  /** ttm_resource_manager_first / _next: the next resource after the hitch, priority 0 first. */
  next(): Resource | null {
    const spins = lockupSpins();
    while (this.prio < TTM_MAX_BO_PRIORITY) {
      softLockupSpin(spins, 'ttm_resource_manager_next');
      const head = this.man.lru[this.prio]!;
      if (listUnlinked(this.hitch)) listAdd(this.hitch, head);
      for (let n = this.hitch.next as LruItem; n !== head; n = n.next as LruItem) {
        softLockupSpin(spins, 'ttm_resource_manager_next');
        if (n.res !== null) {
          listMove(this.hitch, n);
          return n.res;
        }
      }
      listDelInit(this.hitch);
      this.prio += 1;
    }
    return null;
  }

  /** ttm_resource_cursor_fini. */
  fini(): void {
    listDelInit(this.hitch);
    this.man.cursors.delete(this);
  }
}

function listAdd(node: ListHead, head: ListHead): void {
  listMove(node, head);
}

/** First resource on the manager's LRUs (ttm_resource_manager_first without keeping a cursor). */
export function ttmResourceManagerFirst(man: ResourceManager): Resource | null {
  for (const head of man.lru) {
    for (let n = head.next as LruItem; n !== head; n = n.next as LruItem) if (n.res !== null) return n.res;
  }
  return null;
}

export function lruResources(head: ListHead): Resource[] {
  const out: Resource[] = [];
  for (let n = head.next as LruItem; n !== head; n = n.next as LruItem) if (n.res !== null) out.push(n.res);
  return out;
}

export function lruEmpty(head: ListHead): boolean {
  return lruResources(head).length === 0 && listEmpty(head);
}

// ---------------------------------------------------------------------------------------------------
// The SYSTEM manager (ttm_sys_manager.c): no limit, resources have no address.

export const sysManagerFunc: ManagerFunc = {
  alloc(man, bo, place) {
    const res = new Resource(`res:${man.bdev.env.nextId('res')}`, bo, place);
    ttmResourceInit(bo, place, res);
    return res;
  },
  free(man, res) {
    ttmResourceFini(man, res);
  },
};

// ---------------------------------------------------------------------------------------------------
// The range manager (ttm_range_manager.c): a drm_mm allocator over the manager's pages.

export class RangeManager extends ResourceManager {
  readonly mm: RangeAllocator;
  /**
   * Device memory (a manager without tts, e.g. VRAM) has contents of its own: one word per page,
   * kept when a resource is freed (stale data stays until overwritten, as in real VRAM).
   */
  readonly content: Uint32Array | null;

  constructor(bdev: Device, memType: number, useTt: boolean, sizeBytes: number) {
    super(bdev, memType, useTt, sizeBytes, rangeManagerFunc);
    this.mm = new RangeAllocator(Math.floor(sizeBytes / PAGE_SIZE));
    this.content = useTt ? null : new Uint32Array(this.mm.sizePages);
  }
}

export const rangeManagerFunc: ManagerFunc = {
  alloc(man, bo, place) {
    const rman = man as RangeManager;
    const mode: InsertMode = place.flags & TTM_PL_FLAG_TOPDOWN ? 'high' : 'best';
    const pages = pfnUp(bo.size);
    const node = rman.mm.insert(pages, bo.pageAlignment, place.fpfn, place.lpfn, mode);
    // drm_mm_insert_node_in_range's answer is passed up as it is ("if (unlikely(ret)) { ...
    // return ret; }"): -ENOSPC when no hole fits.
    if (typeof node === 'number') return node;
    checkRangeAlloc(bo, place, rman.mm.allocated, rman.mm.sizePages, node, pages, bo.pageAlignment);
    const res = new Resource(`res:${man.bdev.env.nextId('res')}`, bo, place);
    res.node = node;
    res.start = node.start;
    ttmResourceInit(bo, place, res);
    return res;
  },
  free(man, res) {
    const rman = man as RangeManager;
    if (res.node !== null) rman.mm.remove(res.node);
    res.node = null;
    ttmResourceFini(man, res);
  },
  intersects(_man, res, place) {
    const npages = res.numPages;
    if (place.fpfn >= res.start + npages || (place.lpfn !== 0 && place.lpfn <= res.start)) return false;
    return true;
  },
  compatible(_man, res, place) {
    const npages = res.numPages;
    if (res.start < place.fpfn || (place.lpfn !== 0 && res.start + npages > place.lpfn)) return false;
    return true;
  },
};
