// Simulated physical memory: a finite number of 4 KiB page frames, each holding a 32-bit content word
// (enough to tell one page's data from another's), allocated in naturally aligned blocks of 2^order
// frames as the page allocator hands them out. Data loss, stale reads and leaks between BOs are
// detectable because contents travel with copies and are cleared when asked, not assumed.
// Simplified: no zones or NUMA; a block allocator over an address-ordered free map stands in for buddy.
// Deviation(no-numa): one memory node; nothing is allocated per node or placed by node.
// Deviation(no-buddy-allocator): the page allocator is a first-fit block allocator, not the buddy
// allocator (no fragmentation behaviour of its own, no watermarks, no compaction).
// Frame 0 is reserved (never handed out, not counted as used), as the first page of physical memory is
// on x86, so a frame number or direct-mapped DMA address is never 0 (NULL).

import type { TtmGlobal } from './device.ts';
import { ENOMEM } from './errno.ts';
import { RangeAllocator, type RangeNode } from './range_allocator.ts';
import { checkFreeWb } from './rules/page_allocator.ts';

/** x86 page attribute of a frame in the kernel's linear map (set_pages_array_wc/uc/wb). */
export type PageCaching = 'wb' | 'wc' | 'uc';

const CACHING_CODES: readonly PageCaching[] = ['wb', 'wc', 'uc'];

export class Ram {
  private readonly mm: RangeAllocator;
  private readonly blocks = new Map<number, RangeNode>();
  private readonly content: Uint32Array;
  /** page->private: the order of a block's head page, 0 for tail pages (as ttm_pool sets it). */
  private readonly priv: Int32Array;
  private readonly caching: Uint8Array;
  /** Fault injection: this many more block allocations fail with -ENOMEM. */
  failNextAllocs = 0;
  /** Linear-map caching changes (each a TLB shootdown on real hardware). */
  cachingChanges = 0;
  /** Frame 0, never handed out. */
  private readonly reserved: number;
  /** The world whose page allocator this is (set by its TtmGlobal): where a broken rule is recorded. */
  world: TtmGlobal | null = null;

  constructor(
    readonly totalPages: number,
    /**
     * Frames below this are DMA32-addressable (the first 4 GiB); GFP_DMA32 allocations stay below it.
     * Default: all of RAM (no allocation is restricted).
     */
    readonly dma32Pages: number = totalPages,
  ) {
    this.mm = new RangeAllocator(totalPages);
    // The three per-frame arrays share one buffer: one backing store to allocate and free per world.
    const buf = new ArrayBuffer(totalPages * 9);
    this.content = new Uint32Array(buf, 0, totalPages);
    this.priv = new Int32Array(buf, totalPages * 4, totalPages);
    this.caching = new Uint8Array(buf, totalPages * 8, totalPages);
    if (totalPages > 0) this.mm.insert(1, 1, 0, 1, 'best');
    this.reserved = totalPages > 0 ? 1 : 0;
  }

  /** Frames handed out by allocPages and not freed (the reserved frame 0 is not counted). */
  get usedPages(): number {
    return this.mm.usedPages - this.reserved;
  }

  get freeCount(): number {
    return this.totalPages - this.mm.usedPages;
  }

  /**
   * alloc_pages(order): the first frame of a naturally aligned free block, or -ENOMEM. `dma32`
   * (GFP_DMA32): only below `dma32Pages`.
   */
  allocPages(order: number, dma32 = false): number {
    if (this.failNextAllocs > 0) {
      this.failNextAllocs -= 1;
      return -ENOMEM;
    }
    const n = 1 << order;
    const limit = dma32 && this.dma32Pages < this.totalPages ? this.dma32Pages : 0;
    const node = this.mm.insert(n, n, 0, limit, 'best');
    if (typeof node === 'number') return -ENOMEM;
    this.blocks.set(node.start, node);
    for (let i = 0; i < n; i += 1) this.caching[node.start + i] = 0;
    return node.start;
  }

  /** __free_pages: give a whole block back. Freeing a frame that is not a block head is a bug. */
  freeBlock(first: number): void {
    const node = this.blocks.get(first);
    if (node === undefined) throw new Error(`free of page frame ${first}, which is not an allocated block`);
    checkFreeWb(this.world, first, node.size, this);
    this.blocks.delete(first);
    this.mm.remove(node);
  }

  /** Split an allocated block into order-0 blocks (split_page / ttm_pool_split_for_swap). */
  splitBlock(first: number): void {
    const node = this.blocks.get(first);
    if (node === undefined) throw new Error(`split of page frame ${first}, which is not an allocated block`);
    if (node.size === 1) return;
    this.blocks.delete(first);
    this.mm.remove(node);
    for (let i = 0; i < node.size; i += 1) {
      const single = this.mm.insert(1, 1, first + i, first + i + 1, 'best');
      if (typeof single === 'number') throw new Error(`split of block ${first}: frame ${first + i} not free`);
      this.blocks.set(first + i, single);
      this.priv[first + i] = 0;
    }
  }

  /** Order of the allocated block starting at `first`, or -1 when `first` is not a block head. */
  blockOrder(first: number): number {
    const node = this.blocks.get(first);
    return node === undefined ? -1 : Math.log2(node.size);
  }

  isAllocated(pfn: number): boolean {
    for (const node of this.blocks.values())
      if (pfn >= node.start && pfn < node.start + node.size) return true;
    return false;
  }

  /**
   * A frame number every access goes through: an integer frame of this RAM. Anything else (null, a
   * negative errno, a frame past the end) is a pointer to no page: the model reading or writing through
   * it is a simulator bug, never data.
   */
  private frame(pfn: number): number {
    if (pfn >>> 0 !== pfn || pfn >= this.totalPages) {
      throw new Error(`access to page frame ${String(pfn)}, which is not a frame of ${this.totalPages}`);
    }
    return pfn;
  }

  read(pfn: number): number {
    return this.content[this.frame(pfn)]!;
  }

  write(pfn: number, value: number): void {
    this.content[this.frame(pfn)] = value >>> 0;
  }

  /** clear_page. */
  clear(pfn: number): void {
    this.content[this.frame(pfn)] = 0;
  }

  /** copy_highpage. */
  copy(dst: number, src: number): void {
    this.content[this.frame(dst)] = this.content[this.frame(src)]!;
  }

  getPrivate(pfn: number): number {
    return this.priv[pfn]!;
  }

  setPrivate(pfn: number, value: number): void {
    this.priv[pfn] = value;
  }

  getCaching(pfn: number): PageCaching {
    return CACHING_CODES[this.caching[pfn]!]!;
  }

  /** set_pages_array_{wb,wc,uc} on `count` frames from `pfn`; counts one change per call that changes any. */
  setCaching(pfn: number, count: number, caching: PageCaching): void {
    const code = CACHING_CODES.indexOf(caching);
    let changed = false;
    for (let i = 0; i < count; i += 1) {
      if (this.caching[pfn + i] !== code) changed = true;
      this.caching[pfn + i] = code;
    }
    if (changed) this.cachingChanges += 1;
  }

  /** set_pages_array_{wb,wc,uc} on an array of (not necessarily contiguous) frames: one change if any. */
  setCachingPages(pfns: readonly number[], caching: PageCaching): void {
    const code = CACHING_CODES.indexOf(caching);
    let changed = false;
    for (const pfn of pfns) {
      if (this.caching[pfn] !== code) changed = true;
      this.caching[pfn] = code;
    }
    if (changed) this.cachingChanges += 1;
  }
}

/** A 32-bit content word for page `index` of object `owner` at `version` (FNV-1a, for test data). */
export function pageContent(owner: string, index: number, version: number): number {
  let h = 0x811c9dc5;
  const text = `${owner}:${index}:${version}`;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h | 1) >>> 0;
}
