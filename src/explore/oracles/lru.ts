// Resource and LRU invariants (ttm_resource.c): where each resource is listed (ttm_resource_init,
// ttm_resource_move_to_lru_tail), the fields ttm_resource_init gives it, and the bulk-move ranges that
// ttm_lru_bulk_move_tail splices to the LRU tail in one step.

import type { BufferObject } from '../../kernel/bo.ts';
import {
  memTypeName,
  TTM_PL_FLAG_CONTIGUOUS,
  TTM_PL_FLAG_DESIRED,
  TTM_PL_FLAG_FALLBACK,
  TTM_PL_FLAG_TEMPORARY,
  TTM_PL_FLAG_TOPDOWN,
} from '../../kernel/constants.ts';
import type { Device, TtmGlobal } from '../../kernel/device.ts';
import {
  type LruBulkMove,
  type LruItem,
  RangeManager,
  type Resource,
  type ResourceManager,
  ttmResourceUnevictable,
} from '../../kernel/resource.ts';
import { fail, type Violation } from './types.ts';
import {
  allocatorOf,
  devicesOf,
  type Listed,
  listedResources,
  listName,
  lruName,
  unevictableName,
} from './world.ts';

/** Why a BO's resource belongs where it does, for messages. */
function placementReason(res: Resource, bo: BufferObject): string {
  if (bo.pinCount > 0) return `pinned (count ${bo.pinCount})`;
  if (ttmResourceUnevictable(res, bo)) return `its ${bo.ttm?.id} is swapped out or backed up`;
  return `unpinned and resident, priority ${bo.priority}`;
}

/**
 * A resource the kernel leaves on the unevictable list after its BO's tt stopped counting as swapped.
 * ttm_bo_populate re-lists a swapped BO's resource (bulk move, LRU tail) only when ttm_tt_populate
 * succeeds; xe_ttm_tt_populate clears a purged tt's BACKED_UP (ttm_tt_clear_backed_up) before it
 * allocates, so when that allocation fails the tt is neither swapped nor populated and the resource
 * stays where it was. A later populate of the now unswapped tt does not re-list it either, and a CPU
 * fault unlocks with a bare dma_resv_unlock: the resource moves only at the BO's next LRU bump
 * (ttm_bo_unreserve, a move, a pin). Until then the shrinker's LRU walk does not see the BO.
 */
function leftUnevictable(l: Listed, bo: BufferObject): boolean {
  return l.man === null && bo.pinCount === 0 && (bo.ttm?.backedUpCleared ?? false);
}

/**
 * A resource in its BO's bulk-move range on the unevictable list. ttm_bo_unpin re-adds the resource to
 * the bulk move where it is: when the range for its (memory type, priority) is empty,
 * ttm_lru_bulk_move_add makes the resource the whole range without moving it, and
 * ttm_resource_move_to_lru_tail then leaves it (it is already the range's last). The range stays on
 * the unevictable list until the driver's next ttm_lru_bulk_move_tail splices it to the LRU tail.
 */
function inBulkRange(res: Resource, bo: BufferObject): boolean {
  const bulk = bo.bulkMove;
  if (bulk === null) return false;
  const { first, last } = bulk.posFor(res);
  if (first === null || last === null) return false;
  for (let n = first.lru as LruItem; !n.isHead; n = n.next as LruItem) {
    if (n.res === res) return true;
    if (n === last.lru) return false;
  }
  return false;
}

/**
 * lru.placement: every resource on an LRU or unevictable list is unfreed, belongs to a live BO (ghosts
 * and zombies included) and sits on a list of its own memory type; every live BO's resource is unfreed,
 * its own, and listed. For BOs whose resv is unlocked, additionally: a listed resource is its BO's
 * `resource`, on the unevictable list iff the BO is pinned or its tt swapped/backed up, else on its
 * manager's lru[bo.priority]. (Under the resv a move may hold a listed, not yet assigned resource, and a
 * swapped BO's resource is bumped at unreserve.) Two exceptions, as in the kernel: a resource left on the
 * unevictable list after the driver cleared its tt's backed-up state (see `leftUnevictable`), and one
 * unpinned into an empty bulk-move range, which stays on the unevictable list inside that range until
 * the next bulk-move tail (see `inBulkRange`). Returns the first misplaced resource, or null.
 */
export function checkLruPlacement(g: TtmGlobal): Violation | null {
  const id = 'lru.placement';
  const everywhere = new Set<Resource>();
  for (const d of devicesOf(g)) {
    for (const l of listedResources(d)) {
      const res = l.res;
      everywhere.add(res);
      if (res.freed) return fail(id, res.id, `${res.id} was freed but is still on ${listName(l)}`, 'crash');
      const bo = res.bo;
      if (bo === null) return fail(id, res.id, `${res.id} on ${listName(l)} belongs to no BO`);
      if (!g.bos.has(bo)) {
        return fail(id, bo.id, `${res.id} on ${listName(l)} belongs to ${bo.id}, which was destroyed`);
      }
      if (l.man !== null && l.man.memType !== res.memType) {
        return fail(
          id,
          bo.id,
          `${res.id} (${memTypeName(res.memType)}) is on ${listName(l)}, another memory type's LRU`,
        );
      }
      if (bo.resv.isLocked()) continue;
      if (bo.resource !== res) {
        return fail(
          id,
          bo.id,
          `${res.id} is on ${listName(l)}, but ${bo.id}'s resource is ${bo.resource?.id ?? 'none'} (resv unlocked)`,
        );
      }
      const man = bo.bdev.manager(res.memType);
      const unevictable = ttmResourceUnevictable(res, bo);
      const right = unevictable
        ? l.man === null
        : (l.man !== null && l.man === man && l.prio === bo.priority) ||
          leftUnevictable(l, bo) ||
          (l.man === null && inBulkRange(res, bo));
      if (!right) {
        const want = unevictable
          ? unevictableName(bo.bdev)
          : man === null
            ? 'no list (no manager)'
            : lruName(man, bo.priority);
        return fail(
          id,
          bo.id,
          `${res.id} is on ${listName(l)}, but ${bo.id} is ${placementReason(res, bo)}: it belongs on ${want}`,
        );
      }
    }
  }
  for (const bo of g.bos) {
    const res = bo.resource;
    if (res === null) continue;
    if (res.freed) return fail(id, bo.id, `${bo.id}'s resource ${res.id} was freed`);
    if (res.bo !== bo)
      return fail(id, bo.id, `${bo.id}'s resource ${res.id} belongs to ${res.bo?.id ?? 'no BO'}`);
    if (!everywhere.has(res)) return fail(id, bo.id, `${bo.id}'s resource ${res.id} is on no list`);
  }
  return null;
}

const PLACE_FLAGS =
  TTM_PL_FLAG_CONTIGUOUS |
  TTM_PL_FLAG_TOPDOWN |
  TTM_PL_FLAG_TEMPORARY |
  TTM_PL_FLAG_DESIRED |
  TTM_PL_FLAG_FALLBACK;

/**
 * resource.fields: every listed resource has the fields ttm_resource_init gave it: its size is its BO's
 * size, it is listed on its BO's device, that device has a manager of the resource's memory type, its
 * placement holds only TTM_PL_FLAG_* bits, in a manager with an allocator it lies inside the manager
 * (drm_mm_insert_node_in_range never hands out pages past the manager's size), and a range manager's
 * resource starts at its allocator node (ttm_range_man_alloc). Returns the first resource that disagrees, or null.
 */
export function checkResourceFields(g: TtmGlobal): Violation | null {
  const id = 'resource.fields';
  for (const d of devicesOf(g)) {
    for (const l of listedResources(d)) {
      const res = l.res;
      const bo = res.bo;
      if (bo === null) continue; // lru.placement's breach
      if (res.size !== bo.size) {
        return fail(id, res.id, `${res.id} has size ${res.size} B, but its ${bo.id} has ${bo.size} B`);
      }
      if (bo.bdev !== d) {
        return fail(id, res.id, `${res.id} of ${bo.id} (${bo.bdev.id}) is listed on ${listName(l)}`);
      }
      const man = d.manager(res.memType);
      if (man === null) {
        return fail(
          id,
          res.id,
          `${res.id} is in ${memTypeName(res.memType)}, which ${d.id} has no manager for`,
        );
      }
      if ((res.placement & ~PLACE_FLAGS) !== 0) {
        return fail(id, res.id, `${res.id} has placement flags 0x${res.placement.toString(16)}`);
      }
      const mm = allocatorOf(man);
      if (mm === null) continue;
      const node = res.node;
      if (
        man instanceof RangeManager &&
        (node === null || node.start !== res.start || node.size < res.numPages)
      ) {
        const what = node === null ? 'no node' : `node ${node.start}+${node.size}`;
        return fail(id, res.id, `${res.id} (pages ${res.start}+${res.numPages}) has allocator ${what}`);
      }
      if (res.start < 0 || res.start + res.numPages > mm.sizePages) {
        return fail(
          id,
          res.id,
          `${res.id} covers pages ${res.start}..${res.start + res.numPages - 1}, outside ${man.id}'s ${mm.sizePages} pages`,
        );
      }
    }
  }
  return null;
}

/** The name of a list head met while walking a bulk range, for messages. */
function headName(n: LruItem, head: LruItem, man: ResourceManager, prio: number, d: Device): string {
  if (n === head) return `the head of ${lruName(man, prio)}`;
  return n === d.unevictable ? `the head of ${unevictableName(d)}` : 'a list head';
}

/** The bulk moves of the world's live BOs, each once. */
function bulkMoves(g: TtmGlobal): LruBulkMove[] {
  let out: LruBulkMove[] | null = null;
  for (const bo of g.bos) {
    const b = bo.bulkMove;
    if (b === null) continue;
    out ??= [];
    if (!out.includes(b)) out.push(b);
  }
  return out ?? [];
}

/**
 * lru.bulk-range: for every bulk move of a live BO and every (memory type, priority), `first` and `last`
 * are both set or both null; when set, they delimit a contiguous stretch of one list (walking on from
 * `first` reaches `last` before the list head): that manager's lru[priority], or the unevictable list
 * when a resource was unpinned into the empty range (see `inBulkRange`) until the next
 * ttm_lru_bulk_move_tail splices it to the LRU; and every resource in it belongs to a
 * BO using this bulk move, of that memory type and priority, and evictable (neither pinned nor swapped:
 * ttm_resource_add_bulk_move leaves those out). ttm_lru_bulk_move_tail splices exactly that stretch to
 * the LRU tail. Conversely, a bulk-move BO's resource listed on its manager's LRU lies inside its range.
 * Returns the first breach, or null.
 */
export function checkBulkRange(g: TtmGlobal): Violation | null {
  const id = 'lru.bulk-range';
  const bulks = bulkMoves(g);
  if (bulks.length === 0) return null;
  const inRange = new Set<Resource>();
  for (const bulk of bulks) {
    for (let mt = 0; mt < bulk.pos.length; mt += 1) {
      const row = bulk.pos[mt]!;
      for (let prio = 0; prio < row.length; prio += 1) {
        const { first, last } = row[prio]!;
        if (first === null && last === null) continue;
        const where = `bulk move (${memTypeName(mt)}, priority ${prio})`;
        if (first === null || last === null) {
          const set = (first ?? last)!;
          return fail(
            id,
            set.bo?.id ?? set.id,
            `${where}: first is ${first?.id ?? 'NULL'}, last is ${last?.id ?? 'NULL'}`,
          );
        }
        const owner = first.bo;
        const man = owner?.bdev.manager(mt) ?? null;
        if (owner === null || man === null) {
          return fail(
            id,
            first.id,
            `${where}: first ${first.id} belongs to no BO with a ${memTypeName(mt)} manager`,
          );
        }
        const head = man.lru[prio]!;
        let n = first.lru as LruItem;
        for (;;) {
          if (n.isHead) {
            return fail(
              id,
              owner.id,
              `${where}: walking on from first ${first.id} reaches ${headName(n, head, man, prio, owner.bdev)} before last ${last.id}`,
            );
          }
          const res = n.res;
          if (res !== null) {
            const v = rangeMember(id, where, bulk, res, mt, prio);
            if (v !== null) return v;
            inRange.add(res);
          }
          if (n === last.lru) break;
          n = n.next as LruItem;
        }
        let h = last.lru.next as LruItem;
        while (!h.isHead) h = h.next as LruItem;
        if (h !== head && h !== owner.bdev.unevictable) {
          return fail(
            id,
            owner.id,
            `${where}: the range ${first.id}..${last.id} is on neither ${lruName(man, prio)} nor ${unevictableName(owner.bdev)}`,
          );
        }
      }
    }
  }
  for (const d of devicesOf(g)) {
    for (const l of listedResources(d)) {
      if (l.man === null) continue;
      const bo = l.res.bo;
      if (bo === null || bo.bulkMove === null || inRange.has(l.res)) continue;
      if (ttmResourceUnevictable(l.res, bo)) continue;
      return fail(
        id,
        bo.id,
        `${l.res.id} of ${bo.id} is on ${listName(l)} outside its bulk move's (${memTypeName(l.res.memType)}, priority ${bo.priority}) range`,
      );
    }
  }
  return null;
}

function rangeMember(
  id: string,
  where: string,
  bulk: LruBulkMove,
  res: Resource,
  mt: number,
  prio: number,
): Violation | null {
  const bo = res.bo;
  if (bo === null) return fail(id, res.id, `${where}: ${res.id} in the range belongs to no BO`);
  if (bo.bulkMove !== bulk) {
    return fail(
      id,
      bo.id,
      `${where}: ${res.id} in the range belongs to ${bo.id}, which does not use this bulk move`,
    );
  }
  if (res.memType !== mt || bo.priority !== prio) {
    return fail(
      id,
      bo.id,
      `${where}: ${res.id} in the range is ${memTypeName(res.memType)} of a priority-${bo.priority} BO`,
    );
  }
  if (ttmResourceUnevictable(res, bo)) {
    return fail(
      id,
      bo.id,
      `${where}: ${res.id} in the range belongs to ${bo.id}, which is ${placementReason(res, bo)}`,
    );
  }
  return null;
}
