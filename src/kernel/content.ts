// Where a BO's data is, page by page, and how moves carry it (the data side of ttm_bo_move_memcpy and of
// a driver's GPU copy). Pages of a resource in a manager that uses tts live in the tt's page frames in
// RAM; pages of device memory (VRAM) live in the manager's own content array. Contents are 32-bit words
// (src/kernel/ram.ts), so a lost, stale or leaked page is visible.

import type { BufferObject } from './bo.ts';
import { RangeManager, type Resource } from './resource.ts';
import type { Tt } from './tt.ts';

/** One side of a copy: a resource, and the tt that backs it when its manager uses tts. */
export interface PageSource {
  readonly res: Resource;
  readonly tt: Tt | null;
}

function deviceMemory(bo: BufferObject, res: Resource): Uint32Array | null {
  const man = bo.bdev.manager(res.memType);
  return man instanceof RangeManager ? man.content : null;
}

/** The frame behind page `i` of a tt, or null (unpopulated, or backed up: not resident). */
function frameOf(tt: Tt | null, i: number): number | null {
  const entry = tt?.pages?.[i];
  return typeof entry === 'number' ? entry : null;
}

/**
 * Content word of page `i` of `bo` at `where`; null when the page has no memory behind it (an
 * unpopulated or swapped-out tt page).
 */
export function readPage(bo: BufferObject, where: PageSource, i: number): number | null {
  const vram = deviceMemory(bo, where.res);
  if (vram !== null) return vram[where.res.start + i] ?? null;
  const frame = frameOf(where.tt, i);
  const ram = bo.bdev.global?.ram;
  return frame === null || ram === undefined ? null : ram.read(frame);
}

/** Write page `i` of `bo` at `where`; false when the page has no memory behind it. */
export function writePage(bo: BufferObject, where: PageSource, i: number, value: number): boolean {
  const vram = deviceMemory(bo, where.res);
  if (vram !== null) {
    vram[where.res.start + i] = value >>> 0;
    return true;
  }
  const frame = frameOf(where.tt, i);
  const ram = bo.bdev.global?.ram;
  if (frame === null || ram === undefined) return false;
  ram.write(frame, value);
  return true;
}

/** The BO's current placement as a copy side, or null without a resource. */
export function currentPlace(bo: BufferObject): PageSource | null {
  return bo.resource === null ? null : { res: bo.resource, tt: bo.ttm };
}

/**
 * Copy every page from `src` to `dst` (ttm_move_memcpy): a source page without memory is copied as a
 * cleared page (the kernel clears instead of copying from an unpopulated tt). Returns pages written.
 */
export function copyPages(bo: BufferObject, src: PageSource, dst: PageSource): number {
  let written = 0;
  for (let i = 0; i < bo.numPages; i += 1) {
    if (writePage(bo, dst, i, readPage(bo, src, i) ?? 0)) written += 1;
  }
  return written;
}
