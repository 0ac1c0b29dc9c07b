// The driver's BO shrinker, in the shape of xe's (drivers/gpu/drm/xe/xe_shrinker.c and the shrink parts
// of xe_bo.c): `count` reports purgeable pages plus, when the allocation may do filesystem I/O, the
// shrinkable pages that swap can take; `scan` first purges BOs userspace marked purgeable, then backs up
// the others page by page, walking the SYSTEM and TT LRUs with trylocks only, taking only BOs that
// ttm_bo_shrink_suitable accepts, and never waiting for the GPU in direct reclaim. Memory reclaim runs
// the pool shrinker (ttm_pool.c) next to it.
// Simplified: the page counts are recomputed from the LRUs instead of xe's counters, no runtime PM.

import { ttmBackupBytesAvail } from './backup.ts';
import { type BufferObject, ttmBoGetUnlessZero, ttmBoPut } from './bo.ts';
import { PAGE_SIZE, TTM_PL_SYSTEM, TTM_PL_TT, TTM_TT_FLAG_EXTERNAL_MAPPABLE } from './constants.ts';
import type { KGen, MirrorEvent } from './env.ts';
import { EBUSY, EINTR } from './errno.ts';
import { type OperationCtx, operationCtx, place } from './placement.ts';
import { SHRINK_EMPTY, SHRINK_STOP, ttmPoolShrinkerCount, ttmPoolShrinkerScan } from './pool_type.ts';
import { ResourceCursor, type ResourceManager } from './resource.ts';
import { countTurns } from './rules/validate_space.ts';
import {
  checkScanAfterCount,
  checkXeShrinkerCount,
  checkXeShrinkerWalkSkips,
  postShrinkBackup,
  type ShrinkScanAudit,
} from './rules/xe_shrinker.ts';
import type { SimDevice } from './simdrv.ts';
import { ttmBoShrink, ttmBoShrinkAvoidWait, ttmBoShrinkSuitable } from './swap.ts';

/** struct shrink_control, plus what the caller's gfp mask and context say. */
export interface ShrinkControl {
  readonly nrToScan: number;
  /** __GFP_FS: pages may go to shmem. */
  readonly gfpFs: boolean;
  /** __GFP_IO: backup may start writeback at once. */
  readonly gfpIo: boolean;
  /** Running in kswapd (may wait for the GPU); direct reclaim may not. */
  readonly kswapd: boolean;
}

interface Pass {
  readonly purgeOnly: boolean;
  readonly writeback: boolean;
  /** The scan's gfp mask has __GFP_FS (xe_shrinker_scan's can_backup). */
  readonly fs: boolean;
  /** What the scan's walks did, for the rules of rules/xe_shrinker.ts. */
  readonly audit: ShrinkScanAudit;
}

export interface ShrinkStats {
  purged: number;
  backedUp: number;
  busy: number;
}

export class XeShrinker {
  readonly stats: ShrinkStats = { purged: 0, backedUp: 0, busy: 0 };

  constructor(readonly dev: SimDevice) {
    if (dev.xe === null) throw new Error('XeShrinker needs a device created with style: xe');
  }

  /** Pages of populated, unpinned, shrinkable tts on the SYSTEM and TT LRUs: purgeable and the rest. */
  pages(): { shrinkable: number; purgeable: number } {
    let shrinkable = 0;
    let purgeable = 0;
    for (const bo of this.lruBos()) {
      const tt = bo.ttm;
      if (
        tt === null ||
        !tt.isPopulated() ||
        bo.pinCount > 0 ||
        !(tt.pageFlags & TTM_TT_FLAG_EXTERNAL_MAPPABLE)
      )
        continue;
      if (this.dev.xe!.purgeable.has(bo)) purgeable += tt.numPages;
      else shrinkable += tt.numPages;
    }
    return { shrinkable, purgeable };
  }

  /** xe_shrinker_count: purgeable pages, plus shrinkable ones swap can hold when __GFP_FS. */
  count(sc: ShrinkControl): number {
    const { shrinkable, purgeable } = this.pages();
    let n = purgeable;
    const swap = this.dev.bdev.global?.swap;
    if (sc.gfpFs && swap !== undefined)
      n += Math.min(Math.floor(ttmBackupBytesAvail(swap) / PAGE_SIZE), shrinkable);
    const ret = n === 0 ? SHRINK_EMPTY : n;
    const bdev = this.dev.bdev;
    checkXeShrinkerCount(
      bdev.global,
      this.id,
      this.managers(),
      (bo) => this.dev.xe!.purgeable.has(bo),
      sc.gfpFs,
      swap === undefined ? 0 : Math.floor(ttmBackupBytesAvail(swap) / PAGE_SIZE),
      ret,
      SHRINK_EMPTY,
    );
    return ret;
  }

  /** xe_shrinker_scan, with the rules of its call (count first) and of its walks (rules/xe_shrinker.ts). */
  *scan(sc: ShrinkControl): KGen<number> {
    const g = this.dev.bdev.global;
    checkScanAfterCount(g, this.id, sc.nrToScan, this.count(sc), SHRINK_EMPTY);
    const ctx = operationCtx({ interruptible: false, noWaitGpu: ttmBoShrinkAvoidWait(sc.kswapd) });
    const audit: ShrinkScanAudit = { turns: 0, handed: [], passes: 0, interrupted: false };
    const ret = yield* countTurns(this.scanPasses(sc, ctx, audit), audit);
    if (ret === SHRINK_STOP) checkXeShrinkerWalkSkips(g, this.id, this.managers(), ctx, audit);
    return ret;
  }

  /** The passes of xe_shrinker_scan: a purge pass when purgeable pages exist, then (with __GFP_FS) a backup pass. */
  private *scanPasses(sc: ShrinkControl, ctx: OperationCtx, audit: ShrinkScanAudit): KGen<number> {
    this.emit({ type: 'shrinker.scan', target: sc.nrToScan });
    let freed = 0;
    if (this.pages().purgeable > 0) {
      this.emit({ type: 'shrinker.pass', pass: 'purge' });
      audit.passes += 1;
      freed += yield* this.walk(ctx, sc.nrToScan, { purgeOnly: true, writeback: false, fs: sc.gfpFs, audit });
    }
    if (freed < sc.nrToScan && sc.gfpFs) {
      this.emit({ type: 'shrinker.pass', pass: 'backup' });
      audit.passes += 1;
      const writeback = !ctx.noWaitGpu && sc.gfpIo;
      freed += yield* this.walk(ctx, sc.nrToScan - freed, {
        purgeOnly: false,
        writeback,
        fs: sc.gfpFs,
        audit,
      });
    }
    this.emit({ type: 'shrinker.done', freed });
    return freed === 0 ? SHRINK_STOP : freed;
  }

  /** The shrinker's name in checks: `<device>/shrinker`. */
  get id(): string {
    return `${this.dev.bdev.id}/shrinker`;
  }

  /** The managers the shrinker walks (SYSTEM, TT), those the device has. */
  private managers(): ResourceManager[] {
    const out: ResourceManager[] = [];
    for (const memType of [TTM_PL_SYSTEM, TTM_PL_TT]) {
      const man = this.dev.bdev.manager(memType);
      if (man !== null) out.push(man);
    }
    return out;
  }

  private emit(event: MirrorEvent): void {
    this.dev.bdev.env.emit('shrinker', `${this.dev.bdev.id}/shrinker`, event);
  }

  /** The guarded LRU walk of xe's shrinker: trylock only, a reference held across the shrink. */
  private *walk(ctx: OperationCtx, target: number, pass: Pass): KGen<number> {
    const bdev = this.dev.bdev;
    let freed = 0;
    for (const memType of [TTM_PL_SYSTEM, TTM_PL_TT]) {
      const man = bdev.manager(memType);
      if (man === null) continue;
      const cursor = new ResourceCursor(man);
      try {
        for (let res = cursor.next(); res !== null && freed < target; res = cursor.next()) {
          const bo = res.bo;
          if (bo === null || !bo.resv.trylock(bdev.env.current())) continue;
          if (!ttmBoGetUnlessZero(bo)) {
            bo.resv.unlock();
            continue;
          }
          let lret = 0;
          if (bo.resource === res && ttmBoShrinkSuitable(bo, ctx))
            lret = yield* this.xeBoShrink(ctx, bo, pass);
          bo.resv.unlock();
          yield* ttmBoPut(bo);
          if (lret > 0) freed += lret;
          else if (lret === -EBUSY) this.stats.busy += 1;
          else if (lret === -EINTR) break;
        }
      } finally {
        cursor.fini();
      }
    }
    return freed;
  }

  /**
   * xe_bo_shrink: -EBUSY for a tt xe cannot shrink, for a BO that is not purgeable in the purge pass,
   * or when eviction is not valuable; purgeable BOs are purged, the others backed up.
   */
  private *xeBoShrink(ctx: OperationCtx, bo: BufferObject, pass: Pass): KGen<number> {
    const tt = bo.ttm!;
    const res = bo.resource!;
    pass.audit.handed.push(bo.id);
    const purgeable = this.dev.xe!.purgeable.has(bo) || bo.deleted || bo.ghostOf !== null;
    if (!(tt.pageFlags & TTM_TT_FLAG_EXTERNAL_MAPPABLE)) return -EBUSY;
    if (pass.purgeOnly && !purgeable) return -EBUSY;
    if (!bo.bdev.funcs.evictionValuable(bo, place(res.memType))) return -EBUSY;
    const lret = yield* ttmBoShrink(ctx, bo, {
      purge: purgeable,
      writeback: pass.writeback,
      allowMove: true,
    });
    postShrinkBackup(bo.bdev.global, bo.id, purgeable, pass.fs, lret);
    if (lret === -EINTR) pass.audit.interrupted = true;
    if (lret > 0) {
      if (purgeable) this.stats.purged += lret;
      else this.stats.backedUp += lret;
    }
    return lret;
  }

  private lruBos(): BufferObject[] {
    const out: BufferObject[] = [];
    for (const memType of [TTM_PL_SYSTEM, TTM_PL_TT]) {
      const man = this.dev.bdev.manager(memType);
      if (man === null) continue;
      const cursor = new ResourceCursor(man);
      for (let res = cursor.next(); res !== null; res = cursor.next()) if (res.bo !== null) out.push(res.bo);
      cursor.fini();
    }
    return out;
  }
}

/**
 * One round of memory reclaim: the TTM pool shrinker frees pooled pages first (they cost nothing to
 * give back), then the driver's BO shrinker. Returns pages freed by both.
 */
export function* reclaim(dev: SimDevice, shrinker: XeShrinker, sc: ShrinkControl): KGen<number> {
  const global = dev.bdev.global;
  let freed = 0;
  if (global !== null && ttmPoolShrinkerCount(global.poolMgr) !== SHRINK_EMPTY) {
    const p = ttmPoolShrinkerScan(global.poolMgr, sc.nrToScan, global.mutations);
    if (p !== SHRINK_STOP) freed += p;
  }
  if (freed < sc.nrToScan && shrinker.count(sc) !== SHRINK_EMPTY) {
    const b = yield* shrinker.scan({ ...sc, nrToScan: sc.nrToScan - freed });
    if (b !== SHRINK_STOP) freed += b;
  }
  return freed;
}
