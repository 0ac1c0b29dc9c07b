// Where ttm_bo_validate, ttm_bo_mem_space and ttm_bo_evict find room, and what an eviction leaves
// (drivers/gpu/drm/ttm/ttm_bo.c: ttm_bo_alloc_resource's two passes, ttm_bo_evict_alloc's walks,
// ttm_bo_evict_cb, ttm_bo_evict, ttm_bo_handle_move_mem; drivers/gpu/drm/ttm/ttm_sys_manager.c).
// Drivers rely on these outcomes: an out-of-space answer means that no place could hold the BO, an
// eviction is counted and moved as one, and a multihop move leaves the BO ready for its bounce. Each
// rule is judged from the objects (places, LRU lists, locks, pins, counters), not from the code that
// made the decision, so a wrong helper cannot vouch for itself. Text read from torvalds/linux
// (≈v6.13-v6.19 and the patches on top of it that rework ttm_bo_alloc_resource).

import type { BufferObject } from '../bo.ts';
import { TTM_PL_FLAG_DESIRED, TTM_PL_FLAG_FALLBACK, TTM_PL_SYSTEM } from '../constants.ts';
import type { KGen } from '../env.ts';
import { EBUSY, EMULTIHOP, ENOSPC, errnoName } from '../errno.ts';
import type { OperationCtx, Place, Placement } from '../placement.ts';
import type { Resource, ResourceManager } from '../resource.ts';
import { DmaResvUsage } from '../resv.ts';
import { type KernelRule, kernelRule, warnOn } from './check.ts';

const BO_C = 'drivers/gpu/drm/ttm/ttm_bo.c';
const SYS_C = 'drivers/gpu/drm/ttm/ttm_sys_manager.c';

export const EVICT_ALLOC_NOTHING_LEFT = kernelRule(
  'bo.evict-alloc.nothing-left',
  'return',
  "ttm_bo_evict_alloc returning -EBUSY (no room made) from walks that took no scheduling point: no BO the walk could take is left on the manager's LRUs (resv unlocked, referenced, unpinned, idle unless no_wait_gpu allows waiting, not charged to a dmem pool, its resource intersecting the place)",
  [
    {
      file: BO_C,
      func: 'ttm_bo_evict_alloc',
      text: 'lret = ttm_lru_walk_for_evict(&evict_walk.walk, bdev, man, 1);',
    },
    {
      file: BO_C,
      func: 'ttm_bo_evict_cb',
      text: 'if (bo->pin_count || !bo->bdev->funcs->eviction_valuable(bo, evict_walk->place))',
    },
    { file: BO_C, func: 'ttm_bo_evict_cb', text: 'evict_walk->evicted++;' },
  ],
);

export const ALLOC_SYSTEM_PLACE = kernelRule(
  'bo.alloc.system-place',
  'return',
  "ttm_bo_mem_space and ttm_bo_validate do not run out of space (-ENOSPC) when the placement has a SYSTEM place one of the two passes tries, the system manager is in use, the ctx may wait for the GPU and no ww ticket holds the BO's resv: the system manager only fails to allocate with -ENOMEM, and only a ticket-lock's -EDEADLK comes back from an eviction walk as -ENOSPC",
  [
    { file: SYS_C, func: 'ttm_sys_man_alloc', text: '*res = kzalloc(sizeof(**res), GFP_KERNEL);' },
    {
      file: BO_C,
      func: 'ttm_bo_alloc_resource',
      text: 'if (place->flags & (force_space ? TTM_PL_FLAG_DESIRED : TTM_PL_FLAG_FALLBACK))',
    },
    { file: BO_C, func: 'ttm_bo_mem_space', text: '} while (ret == -ENOSPC && force_space);' },
    {
      file: 'drivers/gpu/drm/ttm/ttm_bo_util.c',
      func: 'ttm_lru_walk_ticketlock',
      text: '/* Caller needs to exit the ww transaction. */',
    },
  ],
);

export const EVICT_MOVED_AS_EVICTION = kernelRule(
  'bo.evict.moved-as-eviction',
  'return',
  "ttm_bo_evict returning 0 after ttm_bo_mem_space found room: the BO holds that resource and its move was made as an eviction (the world's evictions grew)",
  [
    {
      file: BO_C,
      func: 'ttm_bo_evict',
      text: 'ret = ttm_bo_handle_move_mem(bo, evict_mem, true, ctx, &hop);',
    },
    { file: BO_C, func: 'ttm_bo_evict', text: 'ret = ttm_bo_mem_space(bo, &placement, &evict_mem, ctx);' },
  ],
);

export const MOVE_MEM_MULTIHOP = kernelRule(
  'bo.move-mem.multihop',
  'return',
  "ttm_bo_handle_move_mem returning -EMULTIHOP leaves the BO on its old resource and, when the new resource's manager uses tts, with a tt: the early return skips out_err's ttm_bo_tt_destroy",
  [
    { file: BO_C, func: 'ttm_bo_handle_move_mem', text: 'if (ret == -EMULTIHOP)' },
    { file: BO_C, func: 'ttm_bo_handle_move_mem', text: 'if (!old_use_tt)' },
  ],
);

/** The rules of this module, in catalogue order. */
export const VALIDATE_SPACE_RULES: readonly KernelRule[] = [
  EVICT_ALLOC_NOTHING_LEFT,
  ALLOC_SYSTEM_PLACE,
  EVICT_MOVED_AS_EVICTION,
  MOVE_MEM_MULTIHOP,
];

// ---------------------------------------------------------------------------------------------------
// Scheduling points

/** How many times a call gave the scheduler a turn (yielded), counted by countTurns. */
export interface TurnCount {
  turns: number;
}

/**
 * Run `gen` as `yield*` would, counting into `into` each scheduling point it takes. A call that took
 * none ran without any other task or fence changing the world under it.
 */
export function* countTurns<T>(gen: KGen<T>, into: TurnCount): KGen<T> {
  let r = gen.next();
  while (r.done !== true) {
    into.turns += 1;
    const sent: number = yield r.value;
    r = gen.next(sent);
  }
  return r.value;
}

// ---------------------------------------------------------------------------------------------------
// ttm_bo_evict_alloc

/** Whether some page of `res` lies in [fpfn, lpfn) of `place` (a resource without a range: always). */
function intersects(res: Resource, place: Place): boolean {
  if (res.node === null) return true;
  const end = res.node.start + res.node.size;
  return end > place.fpfn && (place.lpfn === 0 || res.node.start < place.lpfn);
}

/**
 * Whether ttm_bo_evict of `bo` reaches a scheduling point or succeeds: its evict_flags placement is empty
 * (the BO is gutted) or has a place one of ttm_bo_mem_space's passes tries in a manager in use (each such
 * try is a scheduling point before the allocation). A victim without one fails at once with -ENOSPC,
 * which the walk passes over.
 */
function movable(bo: BufferObject): boolean {
  const placement = bo.bdev.funcs.evictFlags(bo);
  if (placement.placement.length === 0) return true;
  for (const p of placement.placement) {
    if (p.flags & TTM_PL_FLAG_DESIRED && p.flags & TTM_PL_FLAG_FALLBACK) continue;
    const man = bo.bdev.manager(p.memType);
    if (man?.useType === true) return true;
  }
  return false;
}

/** The first resource on `man`'s LRUs whose BO the walk for `evictor` at `place` could have taken. */
function takeable(
  evictor: BufferObject,
  man: ResourceManager,
  place: Place,
  ctx: OperationCtx,
): Resource | null {
  for (const head of man.lru) {
    for (let n = head.next; n !== head; n = n.next) {
      const res = (n as { res?: Resource | null }).res ?? null;
      if (res === null) continue; // a cursor's hitch
      const bo = res.bo;
      if (bo === null || bo === evictor || bo.resv === evictor.resv) continue;
      if (bo.resv.lock.holder !== null || bo.kref === 0 || bo.pinCount > 0 || res.css !== null) continue;
      if (ctx.noWaitGpu && !bo.resv.testSignaled(DmaResvUsage.BOOKKEEP)) continue;
      if (!intersects(res, place) || !movable(bo)) continue;
      return res;
    }
  }
  return null;
}

/**
 * ttm_bo_evict_alloc returned -EBUSY for `evictor` at `place` in `man` after `turns` scheduling points.
 * Judged only when it took none: nothing else ran, so the LRUs and locks are as the walks saw them, and
 * no victim's eviction got as far as a wait, an allocation or a move, where it could have failed. Not
 * judged when a dmem limit was hit (`limited`: the walks skip BOs of other pools) or when the driver's
 * eviction_valuable is not TTM's own (`defaultValuable`). Returns -EBUSY.
 */
export function checkNothingLeft(
  evictor: BufferObject,
  man: ResourceManager,
  place: Place,
  ctx: OperationCtx,
  turns: number,
  limited: boolean,
  defaultValuable: boolean,
): number {
  const judged = turns === 0 && !limited && defaultValuable;
  const left = judged ? takeable(evictor, man, place, ctx) : null;
  const bo = left?.bo ?? null;
  warnOn(
    evictor.bdev.global,
    EVICT_ALLOC_NOTHING_LEFT,
    left !== null,
    evictor.id,
    left !== null && bo !== null
      ? `${bo.id} (${left.id}, ${left.node === null ? 'no range node' : `pages ${left.node.start}..${left.node.start + left.node.size - 1}`}) is left on ${man.id}'s LRU for ${evictor.id} at {type ${place.memType}, fpfn ${place.fpfn}, lpfn ${place.lpfn}}`
      : '',
  );
  return -EBUSY;
}

// ---------------------------------------------------------------------------------------------------
// ttm_bo_mem_space / ttm_bo_validate out of space

/** A SYSTEM place of `placement` that one of the two passes tries (not both DESIRED and FALLBACK). */
function triedSystemPlace(placement: Placement): Place | null {
  for (const p of placement.placement) {
    if (p.memType !== TTM_PL_SYSTEM) continue;
    if (p.flags & TTM_PL_FLAG_DESIRED && p.flags & TTM_PL_FLAG_FALLBACK) continue;
    return p;
  }
  return null;
}

/**
 * `fn` (ttm_bo_mem_space, or ttm_bo_validate before it maps -ENOSPC for userspace) ends with `ret` for
 * `bo` and `placement`. Not judged with no_wait_gpu (an unsignalled pipelined-eviction fence makes a
 * place answer -EBUSY) or with a ww ticket on the BO's resv (ttm_bo_alloc_resource's walks ticket-lock,
 * and a -EDEADLK, turned into -ENOSPC, ends the pass before the SYSTEM place). Returns `ret`.
 */
export function checkSystemPlace(
  fn: 'ttm_bo_mem_space' | 'ttm_bo_validate',
  bo: BufferObject,
  placement: Placement,
  ctx: OperationCtx,
  ret: number,
): number {
  let broken = false;
  if (ret === -ENOSPC && !ctx.noWaitGpu && bo.resv.lockingCtx() === null) {
    const sys = bo.bdev.manager(TTM_PL_SYSTEM);
    broken = sys?.useType === true && sys.cg === null && triedSystemPlace(placement) !== null;
  }
  warnOn(
    bo.bdev.global,
    ALLOC_SYSTEM_PLACE,
    broken,
    bo.id,
    broken
      ? `${fn} returned ${errnoName(ret)} for ${bo.id} with a SYSTEM place among ${placementText(placement)}`
      : '',
  );
  return ret;
}

function placementText(placement: Placement): string {
  return placement.placement
    .map((p) => `{type ${p.memType}, flags 0x${p.flags.toString(16)}, fpfn ${p.fpfn}, lpfn ${p.lpfn}}`)
    .join(', ');
}

// ---------------------------------------------------------------------------------------------------
// ttm_bo_evict

/**
 * ttm_bo_evict of `bo` returns `ret` after ttm_bo_mem_space gave it `evictMem`; `evictionsBefore`: the
 * world's evictions when the move started. Returns `ret`.
 */
export function checkEvictMoved(
  bo: BufferObject,
  evictMem: Resource,
  evictionsBefore: number,
  ret: number,
): number {
  const g = bo.bdev.global;
  let detail = '';
  if (ret === 0 && g !== null) {
    if (bo.resource !== evictMem)
      detail = `${bo.id} holds ${bo.resource?.id ?? 'no resource'}, not ${evictMem.id} found for it`;
    else if (g.counters.evictions <= evictionsBefore)
      detail = `${bo.id} was moved without counting an eviction`;
  }
  warnOn(g, EVICT_MOVED_AS_EVICTION, detail !== '', bo.id, detail);
  return ret;
}

// ---------------------------------------------------------------------------------------------------
// ttm_bo_handle_move_mem

/**
 * ttm_bo_handle_move_mem of `bo` to `mem` returns `ret`; `before`: the BO's resource at the call. Returns
 * `ret`.
 */
export function checkMultihop(bo: BufferObject, mem: Resource, before: Resource | null, ret: number): number {
  let detail = '';
  if (ret === -EMULTIHOP) {
    const newUseTt = bo.bdev.manager(mem.memType)?.useTt ?? false;
    if (bo.resource !== before)
      detail = `${bo.id} holds ${bo.resource?.id ?? 'no resource'}, not its old ${before?.id ?? 'none'}`;
    else if (newUseTt && bo.ttm === null) detail = `${bo.id} lost its tt before the bounce to ${mem.id}`;
  }
  warnOn(bo.bdev.global, MOVE_MEM_MULTIHOP, detail !== '', bo.id, detail);
  return ret;
}
