// Real data in every page: what the workloads write (GPU jobs and CPU writes put a word naming the BO,
// the page and a generation into every page they touch), a per-BO shadow of what each page must hold,
// and the checks every read makes against it. The shadow changes where a write becomes visible: a CPU
// write at once, a GPU job's write when its fence signals (the ring runs a job only after its
// dependencies, the fences of the BOs it uses, signalled: see DmaFence.deps), and a move's GPU copy
// when its fence signals (src/kernel/content.ts). Moves, swapouts, backups and restores never change
// the shadow: whatever the kernel does with the memory, the BO's data must read back as last written.
// A page no one wrote reads zeros when its memory came from the page allocator (ttm_pool clears), and
// is not judged when it is fresh device memory (TTM leaves clearing VRAM to the driver).
// A read that disagrees is a breach with the id of the check whose contract broke, chosen by what
// happened to the page since it was last seen: nothing (`data.resident`), a copy between device memory
// and pages (`data.move`), new page frames behind the same tt (`data.swap-restore`), never written
// (`data.fresh-zero`).

import type { BufferObject } from '../kernel/bo.ts';
import type { Pte } from '../kernel/bo_vm.ts';
import {
  type PageSource,
  type PageSpan,
  pageSpan,
  readPage,
  readSpan,
  writeSpan,
} from '../kernel/content.ts';
import type { DmaFence } from '../kernel/fence.ts';
import { RangeManager, type Resource } from '../kernel/resource.ts';
import { DmaResvUsage } from '../kernel/resv.ts';
import type { CheckInfo } from '../kernel/rules.ts';
import type { Breach } from './scenario.ts';
import type { Sim } from './sim.ts';

/** The checks every read of a page's data makes (see the header). */
export const DATA_CHECKS: readonly CheckInfo[] = [
  {
    id: 'data.fresh-zero',
    description:
      'a page no one wrote, backed by pages from the page allocator or the pool, reads zeros (a device BO never sees data it did not write)',
    upstream: [
      {
        file: 'drivers/gpu/drm/ttm/ttm_pool.c',
        func: '__ttm_pool_alloc',
        text: 'if (tt->page_flags & TTM_TT_FLAG_ZERO_ALLOC) gfp_flags |= __GFP_ZERO;',
      },
      {
        file: 'drivers/gpu/drm/ttm/ttm_pool.c',
        func: 'ttm_pool_type_give',
        text: 'clear_page(page_address(p + i));',
      },
      {
        file: 'drivers/gpu/drm/ttm/ttm_bo.c',
        func: 'ttm_bo_handle_move_mem',
        text: 'Zero init the new TTM structure if the old location should have used one as well.',
      },
    ],
    when: 'step',
  },
  {
    id: 'data.move',
    description:
      'after a move between device memory and pages (GPU copy or memcpy), every page reads what was last written to the BO, once the move fence signalled',
    upstream: [
      {
        file: 'drivers/gpu/drm/ttm/ttm_bo_util.c',
        func: 'ttm_bo_move_accel_cleanup',
        text: 'Accelerated move function to be called when an accelerated move has been scheduled.',
      },
      {
        file: 'drivers/gpu/drm/ttm/ttm_bo_util.c',
        func: 'ttm_bo_move_memcpy',
        text: 'Fallback move function for a mappable buffer object in mappable memory.',
      },
      {
        file: 'include/linux/dma-resv.h',
        func: 'enum dma_resv_usage',
        text: 'Drivers *always* must wait for those fences before accessing the resource protected by the dma_resv object.',
      },
    ],
    when: 'step',
  },
  {
    id: 'data.swap-restore',
    description:
      'after a swapout and swapin, or a backup and restore, of the tt (new page frames behind it), every page reads what was last written',
    upstream: [
      {
        file: 'drivers/gpu/drm/ttm/ttm_tt.c',
        func: 'ttm_tt_swapout',
        text: 'copy_highpage(to_page, from_page);',
      },
      {
        file: 'drivers/gpu/drm/ttm/ttm_tt.c',
        func: 'ttm_tt_swapin',
        text: 'copy_highpage(to_page, from_page);',
      },
      {
        file: 'drivers/gpu/drm/ttm/ttm_pool.c',
        func: 'DOC: Partial backup and restoration of a struct ttm_tt',
        text: 'new pages are actually allocated from the pool and the contents of any old pages are copied in',
      },
    ],
    when: 'step',
  },
  {
    id: 'data.resident',
    description:
      'a page whose memory did not change since it was last written or read still holds that word: no other BO, freed page or stale copy writes it',
    upstream: [
      {
        file: 'drivers/gpu/drm/ttm/ttm_bo_vm.c',
        func: 'ttm_bo_vm_fault_reserved',
        text: 'Wait for buffer data in transit, due to a pipelined move.',
      },
      {
        file: 'drivers/gpu/drm/ttm/ttm_resource.c',
        func: 'ttm_resource_alloc',
        text: 'ret = man->func->alloc(man, bo, place, res_ptr);',
      },
    ],
    when: 'step',
  },
];

export type DataCheckId = 'data.fresh-zero' | 'data.move' | 'data.swap-restore' | 'data.resident';

/** How a BO's pages start: zeros (memory from the page allocator) or unknown (fresh device memory). */
export type FreshPages = 'zero' | 'unknown';

/** A page's shadow state. */
const UNKNOWN = 0;
const ZERO = 1;
const WRITTEN = 2;

/**
 * The word page `page` of the BO with data key `key` holds after its write of generation `gen`: never
 * zero, different for every (key, page, gen) a run makes (a 32-bit mix, checked in the tests).
 */
export function dataWord(key: number, page: number, gen: number): number {
  let h = Math.imul(key + 1, 0x9e3779b1) ^ Math.imul(page + 1, 0x85ebca77) ^ Math.imul(gen, 0xc2b2ae3d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return (h | 1) >>> 0;
}

/** What one BO's pages must hold. */
export class BoShadow {
  readonly value: Uint32Array;
  readonly gen: Uint32Array;
  readonly state: Uint8Array;
  /** Where each page was when last written or read (see spanKey); 0 unknown. */
  readonly loc: Float64Array;
  /** The resource the BO had then (a move gives it a new one, even back to the same memory). */
  readonly res: (Resource | null)[];

  constructor(
    readonly bo: BufferObject,
    readonly key: number,
    fresh: FreshPages,
    /** Its data may be dropped (a purgeable BO): zeros are as good as the last word. */
    readonly lossy: boolean,
  ) {
    const n = bo.numPages;
    this.value = new Uint32Array(n);
    this.gen = new Uint32Array(n);
    this.state = new Uint8Array(n).fill(fresh === 'zero' ? ZERO : UNKNOWN);
    this.loc = new Float64Array(n);
    this.res = new Array<Resource | null>(n).fill(null);
  }
}

/** A location key: a page frame (> 0), a device-memory page (< 0), or 0 for no memory. */
function spanKey(span: PageSpan, i: number): number {
  if (span.vram !== null) return -(span.start + i + 1);
  return span.frames?.[i] ?? 0;
}

function pteKey(pte: Pte): number {
  return pte.kind === 'iomem' ? -(pte.pfn + 1) : pte.pfn;
}

function whereKey(bo: BufferObject, where: PageSource, i: number): number {
  const man = bo.bdev.manager(where.res.memType);
  if (man instanceof RangeManager && man.content !== null) return -(where.res.start + i + 1);
  const entry = where.tt?.pages?.[i];
  return typeof entry === 'number' ? entry : 0;
}

export interface DataStats {
  /** Page reads compared with the shadow (CPU and GPU). */
  pagesVerified: number;
  /** Page reads of fresh device memory, which nothing says what it holds. */
  pagesUnjudged: number;
  /** Pages written by the CPU. */
  cpuPagesWritten: number;
  /** GPU jobs that ran, and the pages they wrote. */
  gpuJobs: number;
  gpuPagesWritten: number;
}

/**
 * The shadows of a run's BOs and the checks on every read. Reads report breaches into `breaches`
 * (the workload's end-of-run list) with the step they happened at.
 */
export class PageData {
  readonly stats: DataStats = {
    pagesVerified: 0,
    pagesUnjudged: 0,
    cpuPagesWritten: 0,
    gpuJobs: 0,
    gpuPagesWritten: 0,
  };
  private readonly shadows = new Map<BufferObject, BoShadow>();
  private readonly order: BoShadow[] = [];

  constructor(
    /** Where broken reads are reported (the workload's end-of-run list). */
    readonly breaches: Breach[],
    /** The step the run is at (for messages). */
    private readonly now: () => number,
  ) {}

  /**
   * Start tracking a BO just created and placed: pages from the page allocator (a tt, or none yet) start
   * cleared, fresh device memory holds whatever it held.
   */
  trackNew(bo: BufferObject, lossy = false): BoShadow {
    const res = bo.resource;
    const man = res === null ? null : bo.bdev.manager(res.memType);
    const device = man instanceof RangeManager && man.content !== null;
    return this.track(bo, device ? 'unknown' : 'zero', lossy);
  }

  /** Start tracking `bo` (before anything writes it). */
  track(bo: BufferObject, fresh: FreshPages, lossy = false): BoShadow {
    const s = new BoShadow(bo, this.order.length, fresh, lossy);
    this.shadows.set(bo, s);
    this.order.push(s);
    return s;
  }

  shadowOf(bo: BufferObject): BoShadow | undefined {
    return this.shadows.get(bo);
  }

  /** The next word of page `page` (its generation advanced), recorded as written at `loc`. */
  private next(s: BoShadow, page: number, loc: number, res: Resource | null): number {
    const gen = s.gen[page]! + 1;
    const word = dataWord(s.key, page, gen);
    s.gen[page] = gen;
    s.value[page] = word;
    s.state[page] = WRITTEN;
    s.loc[page] = loc;
    s.res[page] = res;
    return word;
  }

  /** A CPU write of every page of `bo` at `where` (its current placement); false if a page has no memory. */
  cpuWriteAll(bo: BufferObject, where: PageSource): boolean {
    const s = this.shadows.get(bo);
    if (s === undefined) return false;
    let ok = true;
    for (let page = 0; page < bo.numPages; page += 1) {
      const loc = whereKey(bo, where, page);
      if (loc === 0) {
        ok = false;
        continue;
      }
      writeWhere(bo, where, page, this.next(s, page, loc, where.res));
      this.stats.cpuPagesWritten += 1;
    }
    return ok;
  }

  /** A CPU write of page `page` through a PTE of a mapping of `bo`. */
  cpuWritePte(bo: BufferObject, pte: Pte, page: number): void {
    const s = this.shadows.get(bo);
    if (s === undefined || pte.kind === 'dummy') return;
    const word = this.next(s, page, pteKey(pte), bo.resource);
    if (pte.kind === 'page') bo.bdev.global?.ram.write(pte.pfn, word);
    else if (pte.memType !== null) {
      const man = bo.bdev.manager(pte.memType);
      if (man instanceof RangeManager && man.content !== null) man.content[pte.pfn] = word;
    }
    this.stats.cpuPagesWritten += 1;
  }

  /** A CPU read of page `page` through `pte`; false when it disagrees (a breach is recorded). */
  verifyPte(bo: BufferObject, pte: Pte, page: number, who: string): boolean {
    let got: number | null = null;
    if (pte.kind === 'page') got = bo.bdev.global?.ram.read(pte.pfn) ?? null;
    else if (pte.kind === 'iomem' && pte.memType !== null) {
      const man = bo.bdev.manager(pte.memType);
      got = man instanceof RangeManager ? (man.content?.[pte.pfn] ?? null) : null;
    }
    const how = `CPU read through a PTE to ${pte.kind} ${pte.pfn}`;
    return this.verify(bo, page, got, pteKey(pte), bo.resource, how, who);
  }

  /** A read of page `page` at `where` (a kernel mapping of the current placement). */
  verifyAt(bo: BufferObject, where: PageSource, page: number, who: string): boolean {
    const got = readPage(bo, where, page);
    return this.verify(bo, page, got, whereKey(bo, where, page), where.res, 'CPU read', who);
  }

  /**
   * Compare `got`, read from the memory with location key `loc`, with what page `page` of `bo` must
   * hold. Records a breach and returns false when they differ; unknown (fresh device) pages pass.
   */
  verify(
    bo: BufferObject,
    page: number,
    got: number | null,
    loc: number,
    res: Resource | null,
    how: string,
    who: string,
  ): boolean {
    const s = this.shadows.get(bo);
    if (s === undefined) return true;
    const state = s.state[page]!;
    if (state === UNKNOWN) {
      this.stats.pagesUnjudged += 1;
      // What it holds now is what it must hold from here on.
      if (got !== null) {
        s.value[page] = got;
        s.state[page] = got === 0 ? ZERO : WRITTEN;
        s.loc[page] = loc;
        s.res[page] = res;
      }
      return true;
    }
    this.stats.pagesVerified += 1;
    const want = state === ZERO ? 0 : s.value[page]!;
    if (got === want || (s.lossy && got === 0)) {
      if (got === 0) s.state[page] = ZERO;
      s.loc[page] = loc;
      s.res[page] = res;
      return true;
    }
    const id = this.classify(s, page, loc, res);
    this.breaches.push({
      id,
      actor: who,
      message: `${bo.id} page ${page}: ${how} at step ${this.now()} reads ${describeWord(got, this.order)}, expected ${describeExpected(s, page)}`,
    });
    // Report each broken page once: from here on it holds what was read.
    s.value[page] = got ?? 0;
    s.state[page] = got === 0 || got === null ? ZERO : WRITTEN;
    s.loc[page] = loc;
    s.res[page] = res;
    return false;
  }

  /**
   * Which contract a wrong read of page `page`, now at `loc` in `res`, breaks: a page never written
   * was fresh; device memory on either side of a change of resource means a copy (a move); other
   * page frames behind the page mean a swapin or restore; otherwise the memory stayed where it was.
   */
  private classify(s: BoShadow, page: number, loc: number, res: Resource | null): DataCheckId {
    if (s.state[page] === ZERO && s.gen[page] === 0) return 'data.fresh-zero';
    const was = s.loc[page]!;
    const moved = s.res[page] !== res;
    if (moved && (was < 0 || loc < 0)) return 'data.move';
    if (was !== 0 && was !== loc) return was < 0 || loc < 0 ? 'data.move' : 'data.swap-restore';
    return 'data.resident';
  }

  /**
   * A GPU job of task `who` over `bos`, finishing with `fence`: it runs after every fence the BOs hold
   * now (implicit synchronisation, as a GPU scheduler orders it; set as the fence's dependencies), reads
   * every page it was built with (checking it: the dependencies signalled, so the data is there) and
   * writes the next word into each. Call with the BOs reserved and placed, before `fence` is added to
   * their reservations.
   */
  gpuJob(bos: readonly BufferObject[], fence: DmaFence, who: string): void {
    const deps: DmaFence[] = [];
    for (const bo of bos) {
      for (const f of bo.resv.fencesFor(DmaResvUsage.BOOKKEEP))
        if (f !== fence && !f.signaled && !deps.includes(f)) deps.push(f);
    }
    if (deps.length > 0) fence.deps = deps;
    const spans: (PageSpan | null)[] = [];
    const resources: (Resource | null)[] = [];
    for (const bo of bos) {
      const res = bo.resource;
      spans.push(res === null ? null : pageSpan(bo, { res, tt: bo.ttm }));
      resources.push(res);
    }
    fence.onSignal(gpuRunner(this, { bos, spans, resources, who: `${who} (GPU job ${fence.id})` }));
  }

  /** The GPU job's work, when its fence signals: read and check, then write, every page it has. */
  runJob(job: GpuJob): void {
    this.stats.gpuJobs += 1;
    const { bos, spans, resources, who } = job;
    for (let b = 0; b < bos.length; b += 1) {
      const bo = bos[b]!;
      const span = spans[b]!;
      const res = resources[b]!;
      const s = this.shadows.get(bo);
      if (span === null || s === undefined) continue;
      for (let page = 0; page < bo.numPages; page += 1) {
        const loc = spanKey(span, page);
        if (loc === 0) continue;
        this.verify(bo, page, readSpan(span, page), loc, res, 'GPU read', who);
        writeSpan(span, page, this.next(s, page, loc, res));
        this.stats.gpuPagesWritten += 1;
      }
    }
  }

  /** Pages verified so far per BO key (tests). */
  get tracked(): readonly BoShadow[] {
    return this.order;
  }
}

/** A queued GPU job: its BOs, the memory and resource each had when it was built, who submitted it. */
export interface GpuJob {
  readonly bos: readonly BufferObject[];
  readonly spans: readonly (PageSpan | null)[];
  readonly resources: readonly (Resource | null)[];
  readonly who: string;
}

/** The run's step counter, for the messages of the data checks. */
export function stepCounter(sim: Sim): () => number {
  return () => sim.scheduler.steps;
}

/** The data statistics of a run, for a workload's stats(). */
export function dataStats(data: PageData): Record<string, number> {
  const s = data.stats;
  return {
    pagesVerified: s.pagesVerified,
    cpuPagesWritten: s.cpuPagesWritten,
    gpuJobs: s.gpuJobs,
    gpuPagesWritten: s.gpuPagesWritten,
  };
}

/** The GPU job's work as a fence callback (made here, not as a closure where it is stored). */
function gpuRunner(data: PageData, job: GpuJob): () => void {
  return () => data.runJob(job);
}

function writeWhere(bo: BufferObject, where: PageSource, page: number, word: number): void {
  const man = bo.bdev.manager(where.res.memType);
  if (man instanceof RangeManager && man.content !== null) {
    man.content[where.res.start + page] = word;
    return;
  }
  const entry = where.tt?.pages?.[page];
  if (typeof entry === 'number') bo.bdev.global?.ram.write(entry, word);
}

/** What page `page` of `s` must hold, in words. */
function describeExpected(s: BoShadow, page: number): string {
  if (s.state[page] === ZERO) return 'zeros';
  return `${hex(s.value[page]!)} (${s.bo.id} page ${page} generation ${s.gen[page]})`;
}

/** A word read, and whose (BO, page, generation) it is if a tracked BO ever wrote it. */
function describeWord(got: number | null, shadows: readonly BoShadow[]): string {
  if (got === null) return 'nothing (no memory behind the page)';
  if (got === 0) return 'zeros';
  for (const s of shadows) {
    for (let page = 0; page < s.bo.numPages; page += 1) {
      for (let gen = 1; gen <= s.gen[page]!; gen += 1) {
        if (dataWord(s.key, page, gen) === got)
          return `${hex(got)} (${s.bo.id} page ${page} generation ${gen})`;
      }
    }
  }
  return hex(got);
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
