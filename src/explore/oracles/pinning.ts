// Pinning invariants (ttm_bo.c ttm_bo_pin / ttm_bo_unpin / ttm_bo_release, ttm_resource.c
// ttm_resource_init): a pinned BO stays resident on its device's unevictable list, and pin_count is a
// count that never goes below zero and is dropped when the BO is queued for destruction.

import type { BufferObject } from '../../kernel/bo.ts';
import { memTypeName, TTM_TT_FLAG_SWAPPED } from '../../kernel/constants.ts';
import type { Device, TtmGlobal } from '../../kernel/device.ts';
import { lruResources, type Resource } from '../../kernel/resource.ts';
import { fail, type Violation } from './types.ts';
import { unevictableName } from './world.ts';

/**
 * pinned.resident: a live BO with pin_count > 0 has a resource, that resource is on its device's
 * unevictable list, and its tt (if any) is neither swapped out nor backed up. Returns the first pinned
 * BO that is not resident, or null.
 */
export function checkPinnedResident(g: TtmGlobal): Violation | null {
  const id = 'pinned.resident';
  const unevictable = new Map<Device, Set<Resource>>();
  for (const bo of g.bos) {
    if (!(bo.pinCount > 0)) continue;
    const res = bo.resource;
    if (res === null) return fail(id, bo.id, `pinned (count ${bo.pinCount}) but has no resource`);
    let onList = unevictable.get(bo.bdev);
    if (onList === undefined) {
      onList = new Set(lruResources(bo.bdev.unevictable));
      unevictable.set(bo.bdev, onList);
    }
    if (!onList.has(res)) {
      return fail(
        id,
        bo.id,
        `pinned (count ${bo.pinCount}) but its resource ${res.id} (${memTypeName(res.memType)}) is not on ${unevictableName(bo.bdev)}`,
      );
    }
    const tt = bo.ttm;
    if (tt?.isSwapped()) {
      const what = tt.pageFlags & TTM_TT_FLAG_SWAPPED ? 'swapped out' : 'backed up';
      return fail(id, bo.id, `pinned (count ${bo.pinCount}) but its ${tt.id} is ${what}`);
    }
  }
  return null;
}

/**
 * pin.count: every live BO's pin_count is a whole number ≥ 0 (ttm_bo_unpin refuses to go below zero
 * with a WARN); a ghost of a pipelined move is never pinned (ttm_buffer_object_transfer starts it at
 * pin_count 0) and a BO queued for destruction (deleted, a zombie) is not pinned (ttm_bo_release drops
 * the pin before queueing the delayed delete). Returns the first breach, or null.
 */
export function checkPinCount(g: TtmGlobal): Violation | null {
  const id = 'pin.count';
  for (const bo of g.bos) {
    const n = bo.pinCount;
    if (n === 0) continue;
    if (!Number.isInteger(n) || n < 0) return fail(id, bo.id, `${bo.id} has pin_count ${n}`);
    if (bo.deleted || bo.ghostOf !== null) return deletedPinned(id, bo);
  }
  return null;
}

function deletedPinned(id: string, bo: BufferObject): Violation {
  const what = bo.ghostOf !== null ? `a ghost of ${bo.ghostOf.id}` : 'a zombie (deleted)';
  return fail(id, bo.id, `${bo.id} is ${what} but pinned (count ${bo.pinCount})`);
}
