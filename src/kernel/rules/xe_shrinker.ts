// Rules stated in drivers/gpu/drm/xe/xe_shrinker.c (the driver shrinker src/kernel/shrinker.ts mirrors)
// and in the shrinker contract it implements (include/linux/shrinker.h, mm/shrinker.c do_shrink_slab):
// - a scan whose gfp mask lacks __GFP_FS may only purge; backing a BO's pages up writes them to shmem,
//   which reclaim from a GFP_NOFS context must not do (checked where shrinker.ts mirrors xe_bo_shrink);
// - scan_objects runs only after count_objects reported freeable objects, with nr_to_scan > 0;
// - xe_shrinker_count reports the purgeable pages plus, with __GFP_FS, the shrinkable pages the backup
//   space can take, xe's counters holding the pages of the populated tts of unpinned BOs it may shrink;
// - the shrinker's LRU walk hands every BO it can lock and ttm_bo_shrink_suitable accepts to
//   xe_bo_shrink: a scan that freed nothing and took no scheduling point (so what it saw is what is
//   there when it returns) leaves no such BO it skipped.
// The last two are judged from the manager's LRU lists, the BOs and their tts, not through the model's
// own walk or counters.

import type { BufferObject } from '../bo.ts';
import { TTM_TT_FLAG_EXTERNAL_MAPPABLE } from '../constants.ts';
import type { TtmGlobal } from '../device.ts';
import type { ListHead } from '../list.ts';
import type { OperationCtx } from '../placement.ts';
import type { LruItem, Resource, ResourceManager } from '../resource.ts';
import { DmaResvUsage } from '../resv.ts';
import { type KernelRule, kernelRule, warnOn } from './check.ts';

const F = 'drivers/gpu/drm/xe/xe_shrinker.c';
const SH = 'include/linux/shrinker.h';
const UTIL = 'drivers/gpu/drm/ttm/ttm_bo_util.c';

export const XE_SHRINK_NOFS_PURGE_ONLY = kernelRule(
  'xe.shrinker.nofs-purge-only',
  'return',
  'on return of xe_bo_shrink in a shrinker scan without __GFP_FS, only purged pages were freed: no BO is backed up to shmem',
  [
    { file: F, func: 'xe_shrinker_scan', text: 'bool can_backup = !!(sc->gfp_mask & __GFP_FS);' },
    { file: F, func: 'xe_shrinker_scan', text: 'if (nr_scanned >= nr_to_scan || !can_backup)' },
  ],
);

/**
 * xe.shrinker.nofs-purge-only on return of xe_bo_shrink for `boId`: `purge` whether ttm_bo_shrink was
 * asked to purge (else to back up), `fs` whether the scan's gfp mask has __GFP_FS, `freed` what it
 * returned (pages, or an errno).
 */
export function postShrinkBackup(
  g: TtmGlobal | null,
  boId: string,
  purge: boolean,
  fs: boolean,
  freed: number,
): void {
  const broken = !purge && !fs && freed > 0;
  warnOn(
    g,
    XE_SHRINK_NOFS_PURGE_ONLY,
    broken,
    boId,
    broken ? `${freed} pages of ${boId} backed up by a GFP_NOFS scan` : '',
  );
}

export const SHRINKER_SCAN_AFTER_COUNT = kernelRule(
  'shrinker.scan.after-count',
  'call',
  "a shrinker's scan_objects is called only after its count_objects reported freeable objects (neither 0 nor SHRINK_EMPTY), with nr_to_scan > 0",
  [
    {
      file: SH,
      func: 'struct shrinker',
      text: '@scan_objects will only be called if @count_objects returned a non-zero',
    },
    { file: 'mm/shrinker.c', func: 'do_shrink_slab', text: 'if (freeable == 0 || freeable == SHRINK_EMPTY)' },
  ],
);

export const XE_SHRINKER_COUNT = kernelRule(
  'xe.shrinker.count',
  'return',
  'xe_shrinker_count returns the purgeable pages plus, with __GFP_FS, the shrinkable pages the backup space can take (SHRINK_EMPTY for none), counting the populated, EXTERNAL_MAPPABLE tts of unpinned BOs on the SYSTEM and TT LRUs',
  [
    {
      file: F,
      func: 'xe_shrinker_count',
      text: 'num_pages = min_t(unsigned long, num_pages, shrinker->shrinkable_pages);',
    },
    { file: F, func: 'xe_shrinker_count', text: 'num_pages += shrinker->purgeable_pages;' },
    { file: F, func: 'xe_shrinker_count', text: 'return num_pages ? num_pages : SHRINK_EMPTY;' },
  ],
);

export const XE_SHRINKER_WALK_SKIPS = kernelRule(
  'xe.shrinker.walk-skips',
  'return',
  'an xe shrinker scan that freed nothing (SHRINK_STOP) and took no scheduling point skipped no BO its walk could take: every BO on the SYSTEM and TT LRUs whose resv is free, that holds a reference, and that ttm_bo_shrink_suitable accepts (populated tt, unpinned, idle unless the scan may wait for the GPU) was handed to xe_bo_shrink',
  [
    { file: F, func: 'xe_shrinker_walk', text: 'if (!ttm_bo_shrink_suitable(ttm_bo, ctx))' },
    { file: F, func: 'xe_shrinker_walk', text: 'lret = xe_bo_shrink(ctx, ttm_bo, flags, scanned);' },
    {
      file: UTIL,
      func: 'ttm_bo_shrink_suitable',
      text: 'return bo->ttm && ttm_tt_is_populated(bo->ttm) && !bo->pin_count &&',
    },
  ],
);

/** The rules of this module. */
export const XE_SHRINKER_RULES: readonly KernelRule[] = [
  XE_SHRINK_NOFS_PURGE_ONLY,
  SHRINKER_SCAN_AFTER_COUNT,
  XE_SHRINKER_COUNT,
  XE_SHRINKER_WALK_SKIPS,
];

/** shrinker.scan.after-count where a scan of `actor` starts: `count` what count_objects reports now. */
export function checkScanAfterCount(
  g: TtmGlobal | null,
  actor: string,
  nrToScan: number,
  count: number,
  shrinkEmpty: number,
): void {
  const broken = nrToScan <= 0 || count === 0 || count === shrinkEmpty;
  warnOn(
    g,
    SHRINKER_SCAN_AFTER_COUNT,
    broken,
    actor,
    broken
      ? `scanned with nr_to_scan ${nrToScan} while count_objects reports ${count === shrinkEmpty ? 'SHRINK_EMPTY' : count}`
      : '',
  );
}

/** The resources listed on `men`'s LRUs (every priority), in list order. */
function listed(men: readonly ResourceManager[]): Resource[] {
  const out: Resource[] = [];
  for (const man of men) {
    for (const head of man.lru as readonly ListHead[]) {
      for (let n = head.next as LruItem; n !== head; n = n.next as LruItem)
        if (n.res !== null) out.push(n.res);
    }
  }
  return out;
}

/**
 * xe.shrinker.count when xe_shrinker_count of the SYSTEM and TT managers `men` returns `count`:
 * `purgeable` says which BOs userspace marked purgeable, `fs` whether the mask has __GFP_FS,
 * `backupPages` the pages the backup space can take.
 */
export function checkXeShrinkerCount(
  g: TtmGlobal | null,
  actor: string,
  men: readonly ResourceManager[],
  purgeable: (bo: BufferObject) => boolean,
  fs: boolean,
  backupPages: number,
  count: number,
  shrinkEmpty: number,
): void {
  let shrinkable = 0;
  let purge = 0;
  for (const res of listed(men)) {
    const bo = res.bo;
    const tt = bo?.ttm ?? null;
    if (bo === null || tt === null || bo.resource !== res || bo.pinCount > 0) continue;
    if (!tt.isPopulated() || !(tt.pageFlags & TTM_TT_FLAG_EXTERNAL_MAPPABLE)) continue;
    if (purgeable(bo)) purge += tt.numPages;
    else shrinkable += tt.numPages;
  }
  const n = purge + (fs ? Math.min(backupPages, shrinkable) : 0);
  const want = n === 0 ? shrinkEmpty : n;
  const broken = count !== want;
  warnOn(
    g,
    XE_SHRINKER_COUNT,
    broken,
    actor,
    broken
      ? `returned ${count === shrinkEmpty ? 'SHRINK_EMPTY' : count}, but the LRUs hold ${purge} purgeable and ${shrinkable} shrinkable pages (backup space ${backupPages} pages, __GFP_FS ${fs})`
      : '',
  );
}

/** What the walks of one xe shrinker scan did: its scheduling points, the BOs handed to xe_bo_shrink. */
export interface ShrinkScanAudit {
  turns: number;
  /** ids of the BOs handed to xe_bo_shrink, in order. */
  readonly handed: string[];
  /** A pass walked (the purge pass, the backup pass). */
  passes: number;
  /** A walk ended early on -EINTR. */
  interrupted: boolean;
}

/**
 * xe.shrinker.walk-skips on return of a scan of `men` that returned SHRINK_STOP, under `ctx`, given what
 * its walks did. Judged only when a pass ran, none was cut short and the scan took no scheduling point.
 */
export function checkXeShrinkerWalkSkips(
  g: TtmGlobal | null,
  actor: string,
  men: readonly ResourceManager[],
  ctx: OperationCtx,
  audit: ShrinkScanAudit,
): void {
  if (audit.passes === 0 || audit.interrupted || audit.turns > 0) return;
  let skipped: BufferObject | null = null;
  for (const res of listed(men)) {
    const bo = res.bo;
    if (bo === null || bo.resource !== res || bo.kref === 0 || bo.resv.lock.holder !== null) continue;
    const tt = bo.ttm;
    if (tt === null || !tt.isPopulated() || bo.pinCount > 0) continue;
    if (ctx.noWaitGpu && !bo.resv.testSignaled(DmaResvUsage.BOOKKEEP)) continue;
    if (audit.handed.includes(bo.id)) continue;
    skipped = bo;
    break;
  }
  warnOn(
    g,
    XE_SHRINKER_WALK_SKIPS,
    skipped !== null,
    actor,
    skipped === null ? '' : `${skipped.id} (${skipped.ttm?.numPages} pages) was never handed to xe_bo_shrink`,
  );
}
