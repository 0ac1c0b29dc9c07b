// ttm_tt.c: the page array backing a BO in memory types that use system pages (SYSTEM, TT).
// This slice models the flag state machine (create, populate, unpopulate, mark for clear, destroy);
// pages are opaque frame numbers handed out by the device pool.

import type { BufferObject } from './bo.ts';
import {
  type Caching,
  PAGE_SIZE,
  TTM_TT_FLAG_EXTERNAL,
  TTM_TT_FLAG_EXTERNAL_MAPPABLE,
  TTM_TT_FLAG_PRIV_POPULATED,
  TTM_TT_FLAG_SWAPPED,
  TTM_TT_FLAG_ZERO_ALLOC,
} from './constants.ts';
import type { Device } from './device.ts';
import type { KGen } from './env.ts';
import { EINVAL, ENOMEM } from './errno.ts';
import type { OperationCtx } from './placement.ts';

export class Tt {
  pageFlags: number;
  numPages: number;
  caching: Caching;
  /** Page frame numbers while populated, null entries otherwise. */
  pages: (number | null)[] | null;
  dmaAddress: (number | null)[] | null = null;
  swapStorage: object | null = null;
  destroyed = false;

  constructor(
    readonly id: string,
    bo: BufferObject,
    pageFlags: number,
    caching: Caching,
    extraPages: number,
  ) {
    this.pageFlags = pageFlags;
    this.caching = caching;
    this.numPages = Math.ceil(bo.size / PAGE_SIZE) + extraPages;
    this.pages = new Array<number | null>(this.numPages).fill(null);
  }

  isPopulated(): boolean {
    return (this.pageFlags & TTM_TT_FLAG_PRIV_POPULATED) !== 0;
  }

  isSwapped(): boolean {
    return (this.pageFlags & TTM_TT_FLAG_SWAPPED) !== 0;
  }
}

/** ttm_tt_init: page directory sized from the BO (rounded up) plus `extraPages`. Returns 0. */
export function ttmTtInit(bo: BufferObject, pageFlags: number, caching: Caching, extraPages: number): Tt {
  return new Tt(`tt:${bo.bdev.env.nextId('tt')}`, bo, pageFlags, caching, extraPages);
}

/** ttm_sg_tt_init: like ttm_tt_init plus a dma_address array (only that for EXTERNAL tts). */
export function ttmSgTtInit(bo: BufferObject, pageFlags: number, caching: Caching): Tt {
  const tt = ttmTtInit(bo, pageFlags, caching, 0);
  if (pageFlags & TTM_TT_FLAG_EXTERNAL) tt.pages = null;
  tt.dmaAddress = new Array<number | null>(tt.numPages).fill(null);
  return tt;
}

/** ttm_tt_fini: free the arrays. */
export function ttmTtFini(tt: Tt): void {
  tt.swapStorage = null;
  tt.pages = null;
  tt.dmaAddress = null;
}

/**
 * ttm_tt_create: give `bo` a tt if it has none (resv held). Device BOs get ZERO_ALLOC when `zeroAlloc`,
 * sg BOs EXTERNAL. Returns 0, -EINVAL for an unknown BO type, -ENOMEM if the driver returns none.
 */
export function ttmTtCreate(bo: BufferObject, zeroAlloc: boolean): number {
  if (bo.ttm !== null) return 0;
  let pageFlags = 0;
  switch (bo.type) {
    case 'device':
      if (zeroAlloc) pageFlags |= TTM_TT_FLAG_ZERO_ALLOC;
      break;
    case 'kernel':
      break;
    case 'sg':
      pageFlags |= TTM_TT_FLAG_EXTERNAL;
      break;
    default:
      return -EINVAL;
  }
  const tt = bo.bdev.funcs.ttmTtCreate(bo, pageFlags);
  if (tt === null) return -ENOMEM;
  if (tt.pageFlags & TTM_TT_FLAG_EXTERNAL_MAPPABLE && !(tt.pageFlags & TTM_TT_FLAG_EXTERNAL)) {
    throw new Error('ttm_tt_create: EXTERNAL_MAPPABLE without EXTERNAL');
  }
  bo.ttm = tt;
  bo.bdev.env.emit('bo', bo.id, { type: 'bo.tt', flags: tt.pageFlags });
  return 0;
}

/** ttm_tt_destroy: unpopulate (if needed) and free. */
export function ttmTtDestroy(bdev: Device, tt: Tt | null): void {
  if (tt === null) return;
  if (tt.destroyed) throw new Error(`ttm_tt_destroy: ${tt.id} destroyed twice`);
  ttmTtUnpopulate(bdev, tt);
  ttmTtFini(tt);
  tt.destroyed = true;
}

/**
 * ttm_tt_populate: allocate the pages (the device pool hands out frames). 0 if already populated,
 * -EINVAL for a NULL tt.
 */
export function* ttmTtPopulate(bdev: Device, tt: Tt | null, _ctx: OperationCtx): KGen<number> {
  if (tt === null) return -EINVAL;
  if (tt.isPopulated()) return 0;
  yield { kind: 'yield', label: 'tt.populate' };
  if (tt.pages !== null) for (let i = 0; i < tt.numPages; i += 1) tt.pages[i] = bdev.pool.takeFrame();
  tt.pageFlags |= TTM_TT_FLAG_PRIV_POPULATED;
  tt.pageFlags &= ~TTM_TT_FLAG_SWAPPED;
  return 0;
}

/** ttm_tt_unpopulate: give the pages back; a no-op for an unpopulated tt. */
export function ttmTtUnpopulate(bdev: Device, tt: Tt): void {
  if (!tt.isPopulated()) return;
  if (tt.pages !== null) {
    for (let i = 0; i < tt.numPages; i += 1) {
      const frame = tt.pages[i];
      if (frame !== null && frame !== undefined) bdev.pool.giveFrame(frame);
      tt.pages[i] = null;
    }
  }
  tt.pageFlags &= ~TTM_TT_FLAG_PRIV_POPULATED;
}

/** ttm_tt_mark_for_clear: the next populate must hand out cleared pages. */
export function ttmTtMarkForClear(tt: Tt): void {
  tt.pageFlags |= TTM_TT_FLAG_ZERO_ALLOC;
}
