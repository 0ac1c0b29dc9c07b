// Page ownership invariants of tts (ttm_tt.c, ttm_pool.c): a live tt names only frames RAM has handed
// out, no frame has two owners (two tts, or a tt and a pool type), and the tt's flags agree with what
// its page array holds (struct ttm_tt's page_flags: SWAPPED, PRIV_POPULATED, BACKED_UP).

import {
  TTM_TT_FLAG_BACKED_UP,
  TTM_TT_FLAG_EXTERNAL,
  TTM_TT_FLAG_PRIV_POPULATED,
  TTM_TT_FLAG_SWAPPED,
} from '../../kernel/constants.ts';
import type { TtmGlobal } from '../../kernel/device.ts';
import type { PageCaching, Ram } from '../../kernel/ram.ts';
import { fail, type Violation } from './types.ts';
import { frameAllocated, type LiveTt, liveTts, poolTypeName, poolTypes, restoreBlockLive } from './world.ts';

/**
 * Frame ownership scratch space of one RAM, reused across checks: `stamp[pfn] === gen` marks a frame
 * claimed in the current check, `who[pfn]` says by which claimant. No clearing, no per-frame objects.
 */
interface FrameScratch {
  gen: number;
  readonly stamp: Uint32Array;
  readonly who: Int32Array;
}

const scratchOf = new WeakMap<Ram, FrameScratch>();

function frameScratch(ram: Ram): FrameScratch {
  let s = scratchOf.get(ram);
  if (s === undefined) {
    s = { gen: 0, stamp: new Uint32Array(ram.totalPages), who: new Int32Array(ram.totalPages) };
    scratchOf.set(ram, s);
  }
  s.gen += 1;
  return s;
}

/**
 * freed.use: no live BO points at a destroyed tt; every frame named by a live tt (its page slots, and
 * the uncommitted block of a restore in progress) is allocated in RAM; no frame is owned twice (by two
 * live tts, or by a live tt and a pool type). Returns the first breach, or null.
 */
export function checkFreedUse(g: TtmGlobal): Violation | null {
  const id = 'freed.use';
  const ram = g.ram;
  const tts = liveTts(g);
  const c: FrameClaims = { ram, tts, scratch: frameScratch(ram), blockStart: 0, blockEnd: 0 };
  for (let k = 0; k < tts.length; k += 1) {
    const { tt, bo } = tts[k]!;
    if (tt.destroyed) return fail(id, bo.id, `${bo.id} still points at ${tt.id}, which was destroyed`);
    const pages = tt.pages;
    if (pages !== null) {
      for (const p of pages) {
        if (typeof p !== 'number') continue;
        const v = claimFrame(c, p, k, bo.id);
        if (v !== null) return v;
      }
    }
    if (restoreBlockLive(tt)) {
      const r = tt.restore!;
      for (let i = 0; i < 1 << r.order; i += 1) {
        const v = claimFrame(c, r.allocedPage + i, -(k + 1), bo.id);
        if (v !== null) return v;
      }
    }
  }
  const scratch = c.scratch;
  for (const pt of poolTypes(g)) {
    for (const p of pt.pages) {
      for (let f = p; f < p + (1 << pt.order); f += 1) {
        if (f >= 0 && f < ram.totalPages && scratch.stamp[f] === scratch.gen) {
          const k = scratch.who[f]!;
          const actor = tts[k < 0 ? -k - 1 : k]!.bo.id;
          return fail(
            id,
            actor,
            `frame ${f} is in ${claimant(tts, k, f)} and pooled in ${poolTypeName(g, pt)}`,
          );
        }
      }
    }
  }
  return null;
}

/**
 * One freed.use check's frame claims: the scratch marks and the allocated block the last frame was found
 * in (the next frames of a tt are mostly in it). Plain functions over it, not closures made per check:
 * this runs after every step.
 */
interface FrameClaims {
  readonly ram: Ram;
  readonly tts: readonly LiveTt[];
  readonly scratch: FrameScratch;
  blockStart: number;
  blockEnd: number;
}

/** Claimant k of freed.use, for messages: tt k's page slots, or for -(k + 1) tt k's restore block. */
function claimant(tts: readonly LiveTt[], k: number, pfn: number): string {
  if (k < 0) return `${tts[-k - 1]!.tt.id}'s restore block`;
  const slot = (tts[k]!.tt.pages ?? []).indexOf(pfn);
  return `${tts[k]!.tt.id} slot ${slot}`;
}

/** Claim frame `pfn` for claimant `k`: null, or the breach (a free frame, or one claimed twice). */
function claimFrame(c: FrameClaims, pfn: number, k: number, actor: string): Violation | null {
  const ram = c.ram;
  const scratch = c.scratch;
  if (!(pfn >= c.blockStart && pfn < c.blockEnd)) {
    const order = Number.isInteger(pfn) && pfn > 0 && pfn < ram.totalPages ? ram.blockOrder(pfn) : -1;
    if (order >= 0) {
      c.blockStart = pfn;
      c.blockEnd = pfn + 2 ** order;
    } else if (!frameAllocated(ram, pfn)) {
      return fail(
        'freed.use',
        actor,
        `${claimant(c.tts, k, pfn)} names frame ${pfn}, which RAM holds as free`,
      );
    }
  }
  if (scratch.stamp[pfn] === scratch.gen) {
    return fail(
      'freed.use',
      actor,
      `frame ${pfn} is in ${claimant(c.tts, k, pfn)} and in ${claimant(c.tts, scratch.who[pfn]!, pfn)}`,
    );
  }
  scratch.stamp[pfn] = scratch.gen;
  scratch.who[pfn] = k;
  return null;
}

/** The flags of a tt for messages. */
function flagNames(flags: number): string {
  const out: string[] = [];
  if (flags & TTM_TT_FLAG_SWAPPED) out.push('SWAPPED');
  if (flags & TTM_TT_FLAG_BACKED_UP) out.push('BACKED_UP');
  if (flags & TTM_TT_FLAG_PRIV_POPULATED) out.push('PRIV_POPULATED');
  if (flags & TTM_TT_FLAG_EXTERNAL) out.push('EXTERNAL');
  return out.length === 0 ? 'no state flags' : out.join('|');
}

/**
 * tt.state: a live tt's page array has num_pages slots (ttm_tt_init sizes it), and when no one holds
 * its BO's resv (every populate, unpopulate, swapout, backup and restore runs under it) its flags say
 * what the array holds: PRIV_POPULATED (set when ttm_tt_populate has returned 0, cleared by
 * ttm_tt_unpopulate) excludes SWAPPED and BACKED_UP, and then every slot holds a page; SWAPPED (the pages
 * were unpopulated and swapped out) excludes PRIV_POPULATED and leaves every slot empty; a tt that is
 * neither populated nor backed up holds no page either. (A backed-up tt may mix handles, pages still
 * resident and empty slots: backup.handles judges those.) Returns the first breach, or null.
 */
export function checkTtState(g: TtmGlobal): Violation | null {
  const id = 'tt.state';
  for (const { tt, bo } of liveTts(g)) {
    const pages = tt.pages;
    if (pages !== null && pages.length !== tt.numPages) {
      return fail(id, bo.id, `${tt.id} has ${pages.length} page slots for num_pages ${tt.numPages}`);
    }
    if (bo.resv.isLocked()) continue;
    const flags = tt.pageFlags;
    const populated = (flags & TTM_TT_FLAG_PRIV_POPULATED) !== 0;
    if (populated && (flags & (TTM_TT_FLAG_SWAPPED | TTM_TT_FLAG_BACKED_UP)) !== 0) {
      return fail(
        id,
        bo.id,
        `${tt.id} is ${flagNames(flags)}: a populated tt is neither swapped nor backed up`,
      );
    }
    if (pages === null) continue;
    if (populated) {
      for (let i = 0; i < pages.length; i += 1) {
        if (typeof pages[i] !== 'number') {
          return fail(id, bo.id, `${tt.id} is populated but slot ${i} of ${pages.length} holds no page`);
        }
      }
      continue;
    }
    if ((flags & TTM_TT_FLAG_BACKED_UP) !== 0) continue;
    for (let i = 0; i < pages.length; i += 1) {
      const p = pages[i];
      if (p === null || p === undefined) continue;
      const what = typeof p === 'number' ? `frame ${p}` : `backup handle ${p.handle}`;
      return fail(id, bo.id, `${tt.id} is ${flagNames(flags)} (not populated) but slot ${i} holds ${what}`);
    }
  }
  return null;
}

/** The linear-map caching that pages of a tt or pool type of `caching` have on x86. */
function linearCaching(caching: 'cached' | 'write_combined' | 'uncached'): PageCaching {
  return caching === 'cached' ? 'wb' : caching === 'write_combined' ? 'wc' : 'uc';
}

/**
 * pages.caching: every pooled page has its pool type's caching in the kernel's linear map
 * (ttm_pool_type_give pools pages as they are; only pages given back to the system are set to
 * write-back), and every page of a populated tt whose BO's resv is free has the tt's caching
 * (ttm_pool_apply_caching changes the staged pages before the allocation returns). Returns the first
 * page with other caching, or null.
 */
export function checkPageCaching(g: TtmGlobal): Violation | null {
  const id = 'pages.caching';
  const ram = g.ram;
  for (const pt of poolTypes(g)) {
    const want = linearCaching(pt.caching);
    for (const p of pt.pages) {
      for (let f = p; f < p + (1 << pt.order); f += 1) {
        const got = ram.getCaching(f);
        if (got !== want) return fail(id, 'pool', `frame ${f} pooled in ${poolTypeName(g, pt)} is ${got}`);
      }
    }
  }
  for (const { tt, bo } of liveTts(g)) {
    const pages = tt.pages;
    if (pages === null || !tt.isPopulated() || bo.resv.isLocked()) continue;
    const want = linearCaching(tt.caching);
    for (let i = 0; i < pages.length; i += 1) {
      const p = pages[i];
      if (typeof p !== 'number') continue;
      const got = ram.getCaching(p);
      if (got !== want) {
        return fail(id, bo.id, `${tt.id} (${tt.caching}) slot ${i} holds frame ${p}, which is ${got}`);
      }
    }
  }
  return null;
}
