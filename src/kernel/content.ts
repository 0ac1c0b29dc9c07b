// Where a BO's data is, page by page, and how moves carry it (the data side of ttm_bo_move_memcpy and of
// a driver's GPU copy). Pages of a resource in a manager that uses tts live in the tt's page frames in
// RAM; pages of device memory (VRAM) live in the manager's own content array. Contents are 32-bit words
// (src/kernel/ram.ts), so a lost, stale or leaked page is visible. A CPU copy (ttm_move_memcpy) moves
// the data at once; a GPU copy moves it when its fence signals, between the memory both sides had when
// the copy was queued (the DMA addresses a blit job is built with), so memory freed or reused before the
// copy ran shows in the data.

import type { BufferObject } from './bo.ts';
import type { DmaFence } from './fence.ts';
import type { Ram } from './ram.ts';
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

/**
 * The memory behind a BO's pages at one moment: a stretch of a device memory array, or the page frames
 * of a tt (null where a page has no memory). What a GPU job is built with when it is queued.
 */
export interface PageSpan {
  readonly ram: Ram | null;
  readonly vram: Uint32Array | null;
  readonly start: number;
  readonly frames: readonly (number | null)[] | null;
}

/** The memory behind every page of `bo` at `where`, as it is now. */
export function pageSpan(bo: BufferObject, where: PageSource): PageSpan {
  const vram = deviceMemory(bo, where.res);
  const ram = bo.bdev.global?.ram ?? null;
  if (vram !== null) return { ram, vram, start: where.res.start, frames: null };
  const frames: (number | null)[] = [];
  for (let i = 0; i < bo.numPages; i += 1) frames.push(frameOf(where.tt, i));
  return { ram, vram: null, start: 0, frames };
}

/** Page `i` of `span`, or null without memory behind it. */
export function readSpan(span: PageSpan, i: number): number | null {
  if (span.vram !== null) return span.vram[span.start + i] ?? null;
  const frame = span.frames?.[i] ?? null;
  return frame === null || span.ram === null ? null : span.ram.read(frame);
}

/** Write page `i` of `span`; false without memory behind it. */
export function writeSpan(span: PageSpan, i: number, value: number): boolean {
  if (span.vram !== null) {
    span.vram[span.start + i] = value >>> 0;
    return true;
  }
  const frame = span.frames?.[i] ?? null;
  if (frame === null || span.ram === null) return false;
  span.ram.write(frame, value);
  return true;
}

/**
 * A GPU copy of every page of `bo` from `src` to `dst` queued behind `fence` (the driver's blit): the
 * memory of both sides is taken now, the data moves when the fence signals. A source page without
 * memory is copied as a cleared page, as copyPages does.
 */
export function copyPagesOnSignal(bo: BufferObject, src: PageSource, dst: PageSource, fence: DmaFence): void {
  const from = pageSpan(bo, src);
  const to = pageSpan(bo, dst);
  fence.onSignal(spanCopier(from, to, bo.numPages));
}

/** The copy of `pages` pages from `from` to `to` (made here, not as a closure where it is stored). */
function spanCopier(from: PageSpan, to: PageSpan, pages: number): () => void {
  return () => {
    for (let i = 0; i < pages; i += 1) writeSpan(to, i, readSpan(from, i) ?? 0);
  };
}
