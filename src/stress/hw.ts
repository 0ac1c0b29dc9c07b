// The only way stress programs touch the hardware state: loads, stores and compareExchange through
// `Atomics`, so the same code is correct on a SharedArrayBuffer shared by real threads and on a plain
// buffer in the deterministic replay. It remembers whether the running segment changed the state (a
// segment that changed nothing wakes nobody) and offers the frame allocator and PTE primitives that
// several programs share.
// Simplifies: frame allocation is first-fit over a flag per frame (the kernel's page allocator and
// ttm_pool are modelled elsewhere, in src/kernel/pool*.ts); DMA mapping is a flag per frame.

import { C, E, F, type Layout, P } from './layout.ts';

export class Hw {
  /** True once the running segment wrote a state word (see `beginSegment`). */
  dirty = false;

  constructor(
    readonly lay: Layout,
    readonly w: Int32Array,
  ) {}

  beginSegment(): void {
    this.dirty = false;
  }

  get(i: number): number {
    return Atomics.load(this.w, i);
  }

  set(i: number, v: number): void {
    Atomics.store(this.w, i, v);
    this.dirty = true;
  }

  add(i: number, d: number): number {
    this.dirty = true;
    return Atomics.add(this.w, i, d);
  }

  /** compareExchange; returns the old value (the exchange happened when it equals `expected`). */
  cas(i: number, expected: number, v: number): number {
    const old = Atomics.compareExchange(this.w, i, expected, v);
    if (old === expected) this.dirty = true;
    return old;
  }

  /** Bookkeeping that is not progress (who is blocked on what): it wakes nobody. */
  note(i: number, v: number): void {
    Atomics.store(this.w, i, v);
  }

  /**
   * Allocate a free frame for page (b, p) with `content`, DMA-mapped: returns the frame, or -1 when
   * every frame is in use (the caller turns that into -ENOMEM).
   */
  allocFrame(b: number, p: number, content: number): number {
    const lay = this.lay;
    for (let f = 0; f < lay.cfg.frames; f++) {
      if (this.cas(lay.frame(f, F.STATE), 0, 1) !== 0) continue;
      this.set(lay.frame(f, F.OWNER), lay.code(b, p) + 1);
      this.set(lay.frame(f, F.CONTENT), content);
      this.set(lay.frame(f, F.IOMMU), lay.code(b, p) + 1);
      this.add(C.ALLOCS, 1);
      return f;
    }
    return -1;
  }

  /** DMA-unmap and free frame f; a frame already free counts a double free (an oracle reports it). */
  freeFrame(f: number): void {
    const lay = this.lay;
    this.set(lay.frame(f, F.IOMMU), 0);
    if (this.cas(lay.frame(f, F.STATE), 1, 0) !== 1) {
      this.add(C.DOUBLE_FREE, 1);
      return;
    }
    this.set(lay.frame(f, F.OWNER), 0);
    this.set(lay.frame(f, F.CONTENT), 0);
    this.add(C.FREES, 1);
  }

  /** zap_page_range of page (b, p) in every CPU mapping: compareExchange each PTE still pointing at f. */
  zapCpu(b: number, p: number, f: number): void {
    const lay = this.lay;
    for (let m = 0; m < lay.cfg.mappings; m++) {
      if (this.cas(lay.pte(m, b, p, E.PTE), f + 1, 0) === f + 1) this.add(lay.pte(m, b, p, E.ZAPS), 1);
    }
  }

  /** Take page (b, p) out of memory: zap CPU and GPU PTEs, save its content, free its frame. */
  backupPage(b: number, p: number): boolean {
    const lay = this.lay;
    const page = this.get(lay.page(b, p, P.PAGE));
    if (page === 0) return false;
    const f = page - 1;
    this.zapCpu(b, p, f);
    this.set(lay.page(b, p, P.GPU_PTE), 0);
    this.set(lay.page(b, p, P.BACKUP), this.get(lay.frame(f, F.CONTENT)));
    this.set(lay.page(b, p, P.PAGE), 0);
    this.freeFrame(f);
    return true;
  }
}
