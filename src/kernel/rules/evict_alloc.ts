// The ticketed eviction of ttm_bo_evict_alloc (drivers/gpu/drm/ttm/ttm_bo.c): a caller holding a ww
// acquire context first walks the manager's LRUs with trylocks only; when that finds no room it walks
// again able to sleep on one contended BO's lock with its ticket per walk ("The walk may clear the
// evict_walk.walk.ticket field"), "repeat while making progress". So with a ticket (and a ctx that may
// wait for the GPU), -EBUSY ("nothing could be evicted") ends a walk that evicted nothing and that
// passed no BO held by another task while it could still have slept on it with its ticket. Drivers rely
// on it: under contention a ticketed validate waits for the victims' locks instead of failing with
// -ENOMEM. The walks are observed from what they do to the BOs they meet (an audit the kernel code feeds
// where ttm_lru_walk_for_evict skips a BO and where ttm_bo_evict_cb evicts one), not from the walk's
// own fields.

import type { TtmGlobal } from '../device.ts';
import { EBUSY } from '../errno.ts';
import { type KernelRule, kernelRule, warnOn } from './check.ts';

const BO = 'drivers/gpu/drm/ttm/ttm_bo.c';

export const EVICT_ALLOC_TICKETED = kernelRule(
  'bo.evict-alloc.ticketed',
  'return',
  'ttm_bo_evict_alloc with a ww ticket (and a ctx that may wait for the GPU) returns -EBUSY only after a walk that evicted nothing and skipped no BO held by another task while its ticket could still lock it',
  [
    { file: BO, func: 'ttm_bo_evict_alloc', text: '/* If ticket-locking, repeat while making progress. */' },
    { file: BO, func: 'ttm_bo_evict_alloc', text: '} while (!lret && evict_walk.evicted);' },
    {
      file: BO,
      func: 'ttm_bo_evict_alloc',
      text: '/* The walk may clear the evict_walk.walk.ticket field */',
    },
  ],
);

/** What the walks of one ttm_bo_evict_alloc call did, as the last one saw it. */
export interface EvictAllocAudit {
  /** Walks started so far. */
  walks: number;
  /** BOs the last walk evicted (or zombies it cleaned up). */
  evicted: number;
  /** The first BO the last walk skipped, held by another task, while its ticket was still armed. */
  skippedArmed: string | null;
}

/** A fresh audit, for one ttm_bo_evict_alloc call. */
export function evictAllocAudit(): EvictAllocAudit {
  return { walks: 0, evicted: 0, skippedArmed: null };
}

/** ttm_lru_walk_for_evict starts a walk. */
export function auditWalkStart(a: EvictAllocAudit): void {
  a.walks += 1;
  a.evicted = 0;
  a.skippedArmed = null;
}

/**
 * The walk skips `boId`, whose lock another task holds. `armed`: the walk still had a ticket it could
 * sleep with (its ticket not yet used, the ctx not no_wait_gpu).
 */
export function auditSkip(a: EvictAllocAudit, armed: boolean, boId: string): void {
  if (armed && a.skippedArmed === null) a.skippedArmed = boId;
}

/** ttm_bo_evict_cb evicted a BO (or cleaned a zombie up). */
export function auditEvicted(a: EvictAllocAudit): void {
  a.evicted += 1;
}

/**
 * bo.evict-alloc.ticketed on return of ttm_bo_evict_alloc for `evictorId`: `ret` its errno or 0 (a
 * resource), `ticketed` whether it had a ww ticket and a ctx that may wait for the GPU.
 */
export function postEvictAlloc(
  g: TtmGlobal | null,
  evictorId: string,
  ret: number,
  ticketed: boolean,
  a: EvictAllocAudit,
): void {
  const judged = ret === -EBUSY && ticketed;
  const broken = judged && (a.evicted > 0 || a.skippedArmed !== null);
  let detail = '';
  if (broken) {
    detail =
      a.evicted > 0
        ? `it returned -EBUSY after ${a.walks} walk(s), the last of which evicted ${a.evicted} BO(s)`
        : `it returned -EBUSY after ${a.walks} walk(s), the last of which skipped ${a.skippedArmed}, whose lock another task held, without trying its ticket`;
  }
  warnOn(g, EVICT_ALLOC_TICKETED, broken, evictorId, detail);
}

/** The rules of this module. */
export const EVICT_ALLOC_RULES: readonly KernelRule[] = [EVICT_ALLOC_TICKETED];
