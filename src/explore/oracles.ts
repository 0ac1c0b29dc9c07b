// Per-step oracles (DESIGN.md §3): invariants of a TTM world that must hold at every scheduler step
// boundary, checked by runScenario after each step. Each oracle looks at one world (TtmGlobal: RAM, swap,
// pool manager, devices, the registry of live BOs) and returns the first violation it finds, or null.
// They mirror what the kernel asserts or relies on: ttm_resource.c accounting and LRU placement
// (ttm_resource_init/fini, ttm_resource_move_to_lru_tail), ttm_pool.c's allocated_pages and clearing on
// give, pinning (ttm_bo_pin), ttm_bo_vm.c's "no PTE outlives the memory it maps", ttm_backup.c handles,
// and the Wait-Die rules of ww_mutex.
// Restriction: a kernel path holding a BO's resv may yield with that BO's LRU placement half-updated (a
// new resource allocated and listed before the driver's move assigns it; a swapped BO's resource bumped
// only at unreserve), exactly as the kernel leaves it under the lock; the placement part of
// `lru.placement` therefore only judges BOs whose resv is unlocked. Every other oracle holds at every
// step boundary. Oracles only read state; their order in ORACLES is the order checkAll reports in.

import { dmaBinderOf } from '../designs/dma_bind.ts';
import type { BufferObject } from '../kernel/bo.ts';
import { memTypeName, PAGE_SIZE, TTM_TT_FLAG_SWAPPED } from '../kernel/constants.ts';
import type { Device, TtmGlobal } from '../kernel/device.ts';
import type { ListHead } from '../kernel/list.ts';
import type { PoolType } from '../kernel/pool.ts';
import type { Ram } from '../kernel/ram.ts';
import { RangeAllocator } from '../kernel/range_allocator.ts';
import {
  type LruItem,
  lruResources,
  type Resource,
  type ResourceManager,
  ttmResourceUnevictable,
} from '../kernel/resource.ts';
import type { Tt } from '../kernel/tt.ts';
import type { WwAcquireCtx, WwMutex } from '../kernel/ww_mutex.ts';

/** A broken invariant: which oracle, what kind of failure it is, the object it is about, and why. */
export interface Violation {
  readonly oracle: string;
  /** `crash` when the state is one the simulator's own data structures cannot legitimately reach. */
  readonly kind: 'correctness' | 'crash';
  /** systemId of the object the violation is about (`bo:3`, `device:0/man2`, `pool`, `swap`, `task:x`). */
  readonly actor: string;
  readonly message: string;
}

export type Oracle = (g: TtmGlobal) => Violation | null;

export interface OracleSpec {
  readonly id: string;
  /** One line: the exact invariant. */
  readonly description: string;
  readonly check: Oracle;
}

function fail(
  oracle: string,
  actor: string,
  message: string,
  kind: Violation['kind'] = 'correctness',
): Violation {
  return { oracle, kind, actor, message };
}

// ---------------------------------------------------------------------------------------------------
// What a world holds

/**
 * What several oracles derive from the world checkAll is looking at, made on first use and kept for that
 * one pass (oracles only read, so the world does not change within it). A check called on its own
 * derives afresh. Read-only to the oracles.
 */
interface WorldView {
  readonly g: TtmGlobal;
  devices?: readonly Device[];
  /** The first device asked about, and its listed resources. */
  listedDev?: Device;
  listedFirst?: readonly Listed[];
  /** The listed resources of the other devices. */
  listed?: Map<Device, readonly Listed[]>;
  tts?: readonly LiveTt[];
  mutexes?: readonly WwMutex[];
}

let view: WorldView | null = null;

/** The world's devices: the global device list, then devices of live BOs no longer on it. */
function devicesOf(g: TtmGlobal): readonly Device[] {
  if (view !== null && view.g === g) {
    view.devices ??= deviceList(g);
    return view.devices;
  }
  return deviceList(g);
}

function deviceList(g: TtmGlobal): Device[] {
  const out = [...g.deviceList];
  for (const bo of g.bos) if (!out.includes(bo.bdev)) out.push(bo.bdev);
  return out;
}

/** A resource on one of a device's lists: a manager's lru[prio] (man set) or the unevictable list (man null). */
interface Listed {
  readonly res: Resource;
  readonly dev: Device;
  readonly man: ResourceManager | null;
  readonly prio: number;
}

function lruName(man: ResourceManager, prio: number): string {
  return `${man.id} lru${prio}`;
}

function unevictableName(d: Device): string {
  return `${d.id} unevictable`;
}

/** The name of the list a resource was found on, for messages. */
function listName(l: Listed): string {
  return l.man === null ? unevictableName(l.dev) : lruName(l.man, l.prio);
}

/** Every resource on a device's LRUs and unevictable list, in list order. */
function listedResources(d: Device): readonly Listed[] {
  if (view === null) return listOf(d);
  // Most worlds have one device: its list is kept without a Map.
  if (view.listedDev === d) return view.listedFirst!;
  if (view.listedDev === undefined) {
    view.listedDev = d;
    view.listedFirst = listOf(d);
    return view.listedFirst;
  }
  view.listed ??= new Map();
  let l = view.listed.get(d);
  if (l === undefined) {
    l = listOf(d);
    view.listed.set(d, l);
  }
  return l;
}

function listOf(d: Device): Listed[] {
  const out: Listed[] = [];
  for (const man of d.managers) {
    if (man === null) continue;
    for (let prio = 0; prio < man.lru.length; prio += 1) listInto(out, man.lru[prio]!, d, man, prio);
  }
  listInto(out, d.unevictable, d, null, -1);
  return out;
}

/** Append the resources of one list (lruResources' walk, without its array). */
function listInto(
  out: Listed[],
  head: ListHead,
  dev: Device,
  man: ResourceManager | null,
  prio: number,
): void {
  for (let n = head.next as LruItem; n !== head; n = n.next as LruItem) {
    if (n.res !== null) out.push({ res: n.res, dev, man, prio });
  }
}

/** The range allocator of a manager that has one (ttm_range_manager, the KUnit mock manager). */
function allocatorOf(man: ResourceManager): RangeAllocator | null {
  const mm = (man as { mm?: unknown }).mm;
  return mm instanceof RangeAllocator ? mm : null;
}

/** A live tt and the first live BO pointing at it. */
interface LiveTt {
  readonly tt: Tt;
  readonly bo: BufferObject;
}

/** The tts of the world's live BOs, each once, with the first BO pointing at it. */
function liveTts(g: TtmGlobal): readonly LiveTt[] {
  if (view !== null && view.g === g) {
    view.tts ??= ttList(g);
    return view.tts;
  }
  return ttList(g);
}

function ttList(g: TtmGlobal): LiveTt[] {
  const out: LiveTt[] = [];
  const seen = new Set<Tt>();
  for (const bo of g.bos) {
    const tt = bo.ttm;
    if (tt === null || seen.has(tt)) continue;
    seen.add(tt);
    out.push({ tt, bo });
  }
  return out;
}

/**
 * Every pool type of the world that can hold pages: ttm_pool_type_init puts each type (the global WC/UC
 * and DMA32 ones, a DMA-alloc device pool's own) on the shrinker list, and only ttm_pool_type_fini,
 * which empties it, takes it off.
 */
function poolTypes(g: TtmGlobal): readonly PoolType[] {
  return g.poolMgr.shrinkerList;
}

/** A pool type's name for messages: its owner (global, global dma32, or a device), caching and order. */
function poolTypeName(g: TtmGlobal, pt: PoolType): string {
  const mgr = g.poolMgr;
  const owner =
    pt.pool !== null
      ? (pt.pool.bdev?.id ?? 'device pool')
      : mgr.globalDma32WriteCombined.includes(pt) || mgr.globalDma32Uncached.includes(pt)
        ? 'global dma32'
        : 'global';
  return `${owner} ${pt.caching} order ${pt.order}`;
}

/** Is frame `pfn` inside a block RAM has handed out? Blocks are naturally aligned, so ≤ 1 + log2 lookups. */
function frameAllocated(ram: Ram, pfn: number): boolean {
  if (!Number.isInteger(pfn) || pfn <= 0 || pfn >= ram.totalPages) return false;
  for (let size = 1; size <= ram.totalPages; size *= 2) {
    const head = pfn - (pfn % size);
    const order = ram.blockOrder(head);
    // Blocks never overlap: the first block head at or below pfn decides.
    if (order >= 0) return pfn < head + 2 ** order;
  }
  return false;
}

/** ttm_pool_restore_valid: the restore's last block is allocated and not yet committed. */
function restoreBlockLive(tt: Tt): boolean {
  const r = tt.restore;
  return r !== null && r.restoredPages < 1 << r.order;
}

function hex(v: number): string {
  return `0x${v.toString(16)}`;
}

// ---------------------------------------------------------------------------------------------------
// The oracles

/**
 * accounting.manager: for every resource manager, `usage` equals the summed size of its live resources
 * (those on its LRUs or the device's unevictable list: ttm_resource_init lists every resource it
 * counts, ttm_resource_fini unlists it), and a manager with a range allocator holds exactly their pages.
 * Returns the first manager that disagrees, or null.
 */
export function checkManagerAccounting(g: TtmGlobal): Violation | null {
  const id = 'accounting.manager';
  for (const d of devicesOf(g)) {
    const listed = listedResources(d);
    for (const man of d.managers) {
      if (man === null) continue;
      let bytes = 0;
      let pages = 0;
      let n = 0;
      for (const l of listed) {
        if (l.res.memType !== man.memType) continue;
        bytes += l.res.size;
        pages += l.res.numPages;
        n += 1;
      }
      if (man.usage !== bytes) {
        return fail(id, man.id, `usage ${man.usage} B, but its ${n} live resources hold ${bytes} B`);
      }
      const mm = allocatorOf(man);
      if (mm !== null && mm.usedPages !== pages) {
        return fail(
          id,
          man.id,
          `the allocator holds ${mm.usedPages} pages (${mm.usedPages * PAGE_SIZE} B), but its ${n} live resources hold ${pages} pages`,
        );
      }
    }
  }
  return null;
}

/**
 * accounting.pool: `allocated_pages` equals the pages in the pool types' free lists; every pooled block
 * is an allocated RAM block of its type's order, and every pooled page reads 0 (ttm_pool_type_give
 * clears: no pooled page is reused without clearing). Returns the first breach, or null.
 */
export function checkPoolAccounting(g: TtmGlobal): Violation | null {
  const id = 'accounting.pool';
  const mgr = g.poolMgr;
  const ram = g.ram;
  const types = poolTypes(g);
  let pooled = 0;
  for (const pt of types) pooled += pt.pages.length << pt.order;
  if (pooled !== mgr.allocatedPages) {
    return fail(
      id,
      'pool',
      `allocated_pages is ${mgr.allocatedPages}, but the pool types hold ${pooled} pages`,
    );
  }
  for (const pt of types) {
    for (const p of pt.pages) {
      if (ram.blockOrder(p) !== pt.order) {
        return fail(
          id,
          'pool',
          `${poolTypeName(g, pt)} holds frame ${p}, which is not an allocated order-${pt.order} block`,
        );
      }
      for (let i = 0; i < 1 << pt.order; i += 1) {
        const v = ram.read(p + i);
        if (v !== 0) {
          return fail(
            id,
            'pool',
            `frame ${p + i} pooled in ${poolTypeName(g, pt)} holds ${hex(v)}: a pooled page would be reused without clearing`,
          );
        }
      }
    }
  }
  return null;
}

/**
 * pinned.resident: a live BO with pin_count > 0 has a resource, that resource is on its device's
 * unevictable list, and its tt (if any) is neither swapped out nor backed up. Returns the first pinned
 * BO that is not resident, or null.
 */
export function checkPinnedResident(g: TtmGlobal): Violation | null {
  const id = 'pinned.resident';
  const unevictable = new Map<Device, Set<Resource>>();
  for (const bo of g.bos) {
    if (bo.pinCount === 0) continue;
    const res = bo.resource;
    if (res === null) return fail(id, bo.id, `pinned (count ${bo.pinCount}) but has no resource`);
    let onList = unevictable.get(bo.bdev);
    if (onList === undefined) {
      onList = new Set(lruResources(bo.bdev.unevictable));
      unevictable.set(bo.bdev, onList);
    }
    if (!onList.has(res)) {
      return fail(
        id,
        bo.id,
        `pinned (count ${bo.pinCount}) but its resource ${res.id} (${memTypeName(res.memType)}) is not on ${unevictableName(bo.bdev)}`,
      );
    }
    const tt = bo.ttm;
    if (tt?.isSwapped()) {
      const what = tt.pageFlags & TTM_TT_FLAG_SWAPPED ? 'swapped out' : 'backed up';
      return fail(id, bo.id, `pinned (count ${bo.pinCount}) but its ${tt.id} is ${what}`);
    }
  }
  return null;
}

/** Why a BO's resource belongs where it does, for messages. */
function placementReason(res: Resource, bo: BufferObject): string {
  if (bo.pinCount > 0) return `pinned (count ${bo.pinCount})`;
  if (ttmResourceUnevictable(res, bo)) return `its ${bo.ttm?.id} is swapped out or backed up`;
  return `unpinned and resident, priority ${bo.priority}`;
}

/**
 * A resource the kernel leaves on the unevictable list after its BO's tt stopped counting as swapped.
 * ttm_bo_populate re-lists a swapped BO's resource (bulk move, LRU tail) only when ttm_tt_populate
 * succeeds; xe_ttm_tt_populate clears a purged tt's BACKED_UP (ttm_tt_clear_backed_up) before it
 * allocates, so when that allocation fails the tt is neither swapped nor populated and the resource
 * stays where it was. A later populate of the now unswapped tt does not re-list it either, and a CPU
 * fault unlocks with a bare dma_resv_unlock: the resource moves only at the BO's next LRU bump
 * (ttm_bo_unreserve, a move, a pin). Until then the shrinker's LRU walk does not see the BO.
 */
function leftUnevictable(l: Listed, bo: BufferObject): boolean {
  return l.man === null && bo.pinCount === 0 && (bo.ttm?.backedUpCleared ?? false);
}

/**
 * lru.placement: every resource on an LRU or unevictable list is unfreed, belongs to a live BO (ghosts
 * and zombies included) and sits on a list of its own memory type; every live BO's resource is unfreed,
 * its own, and listed. For BOs whose resv is unlocked, additionally: a listed resource is its BO's
 * `resource`, on the unevictable list iff the BO is pinned or its tt swapped/backed up, else on its
 * manager's lru[bo.priority]. (Under the resv a move may hold a listed, not yet assigned resource, and a
 * swapped BO's resource is bumped at unreserve.) One exception, as in the kernel: a resource left on the
 * unevictable list after the driver cleared its tt's backed-up state (see `leftUnevictable`). Returns
 * the first misplaced resource, or null.
 */
export function checkLruPlacement(g: TtmGlobal): Violation | null {
  const id = 'lru.placement';
  const everywhere = new Set<Resource>();
  for (const d of devicesOf(g)) {
    for (const l of listedResources(d)) {
      const res = l.res;
      everywhere.add(res);
      if (res.freed) return fail(id, res.id, `${res.id} was freed but is still on ${listName(l)}`, 'crash');
      const bo = res.bo;
      if (bo === null) return fail(id, res.id, `${res.id} on ${listName(l)} belongs to no BO`);
      if (!g.bos.has(bo)) {
        return fail(id, bo.id, `${res.id} on ${listName(l)} belongs to ${bo.id}, which was destroyed`);
      }
      if (l.man !== null && l.man.memType !== res.memType) {
        return fail(
          id,
          bo.id,
          `${res.id} (${memTypeName(res.memType)}) is on ${listName(l)}, another memory type's LRU`,
        );
      }
      if (bo.resv.isLocked()) continue;
      if (bo.resource !== res) {
        return fail(
          id,
          bo.id,
          `${res.id} is on ${listName(l)}, but ${bo.id}'s resource is ${bo.resource?.id ?? 'none'} (resv unlocked)`,
        );
      }
      const man = bo.bdev.manager(res.memType);
      const unevictable = ttmResourceUnevictable(res, bo);
      const right = unevictable
        ? l.man === null
        : (l.man !== null && l.man === man && l.prio === bo.priority) || leftUnevictable(l, bo);
      if (!right) {
        const want = unevictable
          ? unevictableName(bo.bdev)
          : man === null
            ? 'no list (no manager)'
            : lruName(man, bo.priority);
        return fail(
          id,
          bo.id,
          `${res.id} is on ${listName(l)}, but ${bo.id} is ${placementReason(res, bo)}: it belongs on ${want}`,
        );
      }
    }
  }
  for (const bo of g.bos) {
    const res = bo.resource;
    if (res === null) continue;
    if (res.freed) return fail(id, bo.id, `${bo.id}'s resource ${res.id} was freed`);
    if (res.bo !== bo)
      return fail(id, bo.id, `${bo.id}'s resource ${res.id} belongs to ${res.bo?.id ?? 'no BO'}`);
    if (!everywhere.has(res)) return fail(id, bo.id, `${bo.id}'s resource ${res.id} is on no list`);
  }
  return null;
}

/**
 * pte.ownership: every PTE of every mapping of a live BO points at memory the BO owns now: a 'page' PTE
 * at a frame of bo.ttm.pages, an 'iomem' PTE inside bo.resource of the same memory type in a manager
 * without tts, a 'dummy' PTE only once the device is unplugged. Returns the first stale PTE, or null.
 */
export function checkPteOwnership(g: TtmGlobal): Violation | null {
  const id = 'pte.ownership';
  for (const bo of g.bos) {
    if (bo.mappings.size === 0) continue;
    let frames: Set<number> | null = null;
    for (const vma of bo.mappings) {
      for (const [page, pte] of vma.ptes) {
        if (pte.kind === 'dummy') {
          if (!bo.bdev.unplugged) {
            return fail(
              id,
              bo.id,
              `${vma.id} page ${page} maps the dummy page, but ${bo.bdev.id} is not unplugged`,
            );
          }
        } else if (pte.kind === 'page') {
          frames ??= new Set((bo.ttm?.pages ?? []).filter((p): p is number => typeof p === 'number'));
          if (!frames.has(pte.pfn)) {
            return fail(
              id,
              bo.id,
              `${vma.id} page ${page} maps frame ${pte.pfn}, which ${bo.ttm === null ? `${bo.id} (no tt)` : bo.ttm.id} does not hold`,
            );
          }
        } else {
          const res = bo.resource;
          const man = res === null ? null : bo.bdev.manager(res.memType);
          const inside =
            res !== null &&
            man !== null &&
            !man.useTt &&
            pte.memType === res.memType &&
            pte.pfn >= res.start &&
            pte.pfn < res.start + res.numPages;
          if (!inside) {
            const where =
              res === null
                ? 'no resource'
                : `${res.id} (${memTypeName(res.memType)} pages ${res.start}..${res.start + res.numPages - 1})`;
            return fail(
              id,
              bo.id,
              `${vma.id} page ${page} maps ${pte.memType === null ? '?' : memTypeName(pte.memType)} page ${pte.pfn}, outside ${bo.id}'s ${where}`,
            );
          }
        }
      }
    }
  }
  return null;
}

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

/**
 * backup.handles: in every live tt, each non-zero backup handle sits in a BACKED_UP tt at slot
 * handle - 1 and names a written page of that tt's (unreleased) backup file; handle-0 markers and restore
 * state exist only on a BACKED_UP tt (a stale restore state makes the next restore read nothing back);
 * a backup file holds exactly the pages its handles name; swap storage exists iff SWAPPED; and the swap
 * slots in use equal the live tts' backup and swap-storage pages, so every handle is dropped exactly
 * once. Returns the first breach, or null.
 */
export function checkBackupHandles(g: TtmGlobal): Violation | null {
  const id = 'backup.handles';
  let accounted = 0;
  for (const { tt, bo } of liveTts(g)) {
    const backedUp = tt.isBackedUp();
    if (tt.restore !== null && !backedUp) {
      return fail(
        id,
        bo.id,
        `${tt.id} keeps restore state but is not backed up: its next restore would read nothing back`,
      );
    }
    const swapped = (tt.pageFlags & TTM_TT_FLAG_SWAPPED) !== 0;
    if ((tt.swapStorage !== null) !== swapped) {
      return fail(
        id,
        bo.id,
        `${tt.id} is ${swapped ? '' : 'not '}SWAPPED but has ${tt.swapStorage === null ? 'no' : 'a'} swap storage`,
      );
    }
    if (tt.swapStorage !== null) {
      if (tt.swapStorage.released)
        return fail(id, bo.id, `${tt.id}'s swap storage ${tt.swapStorage.id} was released`);
      accounted += tt.swapStorage.slots.size;
    }
    let handles = 0;
    const pages = tt.pages ?? [];
    for (let i = 0; i < pages.length; i += 1) {
      const p = pages[i];
      if (p === undefined || p === null || typeof p === 'number') continue;
      if (p.handle === 0) {
        if (tt.restore === null)
          return fail(id, bo.id, `${tt.id} slot ${i} holds a restored marker (handle 0) outside a restore`);
        continue;
      }
      handles += 1;
      if (!backedUp) {
        return fail(
          id,
          bo.id,
          `${tt.id} slot ${i} holds backup handle ${p.handle}, but the tt is not backed up`,
        );
      }
      if (p.handle !== i + 1)
        return fail(id, bo.id, `${tt.id} slot ${i} holds backup handle ${p.handle}, not ${i + 1}`);
      const file = tt.backup;
      if (file === null || file.released) {
        return fail(
          id,
          bo.id,
          `${tt.id} slot ${i} holds backup handle ${p.handle}, but the tt has no backup file`,
        );
      }
      if (!file.slots.has(p.handle - 1)) {
        return fail(
          id,
          bo.id,
          `${tt.id} slot ${i} holds backup handle ${p.handle}, but page ${p.handle - 1} of ${file.id} was dropped`,
        );
      }
    }
    if (tt.backup !== null && !tt.backup.released) {
      if (tt.backup.slots.size !== handles) {
        return fail(
          id,
          bo.id,
          `${tt.backup.id} of ${tt.id} holds ${tt.backup.slots.size} pages, but ${handles} handles name them`,
        );
      }
      accounted += handles;
    }
  }
  if (g.swap.usedPages !== accounted) {
    return fail(
      id,
      'swap',
      `${g.swap.usedPages} swap slots in use, but live tts hold ${accounted} (a handle or file leaked)`,
    );
  }
  return null;
}

/** The ww_mutexes of the world's live BOs (their resv in use and their own), each once. */
function liveMutexes(g: TtmGlobal): readonly WwMutex[] {
  if (view !== null && view.g === g) {
    view.mutexes ??= mutexList(g);
    return view.mutexes;
  }
  return mutexList(g);
}

function mutexList(g: TtmGlobal): WwMutex[] {
  const out: WwMutex[] = [];
  const seen = new Set<WwMutex>();
  for (const bo of g.bos) {
    const a = bo.resv.lock;
    if (!seen.has(a)) {
      seen.add(a);
      out.push(a);
    }
    const b = bo.ownResv.lock;
    if (!seen.has(b)) {
      seen.add(b);
      out.push(b);
    }
  }
  return out;
}

/**
 * ww.waitdie: no waiter whose ticket holds locks (acquired > 0) sleeps on a lock held by an older
 * ticket: Wait-Die makes it die (-EDEADLK) instead. Returns the first such waiter, or null.
 */
export function checkWaitDie(g: TtmGlobal): Violation | null {
  const id = 'ww.waitdie';
  for (const m of liveMutexes(g)) {
    const hold = m.holder?.ctx ?? null;
    if (hold === null) continue;
    for (const w of m.queued) {
      if (w.ctx === null || w.ctx.acquired === 0 || w.ctx.stamp <= hold.stamp) continue;
      return fail(
        id,
        w.task,
        `${w.task} (ticket ${w.ctx.stamp}, holding ${w.ctx.acquired} locks) waits for ${m.id}, held by ${m.holder!.task} with older ticket ${hold.stamp}: it must die (-EDEADLK)`,
      );
    }
  }
  return null;
}

/**
 * ww.held: a lock's holder ticket counts it: every ticket's `acquired` is at least the number of live
 * BOs' locks it holds. Returns the first ticket that undercounts, or null.
 */
export function checkWwHeld(g: TtmGlobal): Violation | null {
  const id = 'ww.held';
  const held = new Map<WwAcquireCtx, { n: number; task: string; locks: string[] }>();
  for (const m of liveMutexes(g)) {
    const h = m.holder;
    if (h === null || h.ctx === null) continue;
    const e = held.get(h.ctx) ?? { n: 0, task: h.task, locks: [] };
    e.n += 1;
    e.locks.push(m.id);
    held.set(h.ctx, e);
  }
  for (const [ctx, e] of held) {
    if (ctx.acquired < e.n) {
      return fail(
        id,
        e.task,
        `ticket ${ctx.stamp} of ${e.task} holds ${e.n} locks (${e.locks.join(', ')}) but counts ${ctx.acquired}`,
      );
    }
  }
  return null;
}

/** Every oracle, in the order checkAll runs them. */
export const ORACLES: readonly OracleSpec[] = [
  {
    id: 'accounting.manager',
    description:
      'every manager: usage = Σ sizes of its listed resources; range allocator pages = Σ their pages',
    check: checkManagerAccounting,
  },
  {
    id: 'accounting.pool',
    description:
      'allocated_pages = pages in the pool types; pooled blocks allocated, of their order, and cleared',
    check: checkPoolAccounting,
  },
  {
    id: 'pinned.resident',
    description: 'a pinned BO has a resource on the unevictable list and a tt neither swapped nor backed up',
    check: checkPinnedResident,
  },
  {
    id: 'lru.placement',
    description:
      'listed resources are unfreed, of live BOs, on their memory type; resv unlocked: the BO’s resource, unevictable iff pinned/swapped else lru[prio] (or left unevictable after a failed populate cleared a purged tt’s backed-up state)',
    check: checkLruPlacement,
  },
  {
    id: 'pte.ownership',
    description:
      'every PTE maps a frame of bo.ttm, a page inside bo.resource (iomem), or the dummy page after unplug',
    check: checkPteOwnership,
  },
  {
    id: 'freed.use',
    description:
      'live tts name only allocated frames and no destroyed tt; no frame in two tts or in a tt and a pool',
    check: checkFreedUse,
  },
  {
    id: 'backup.handles',
    description:
      'handles only in BACKED_UP tts, at slot handle-1, on a written page; restore state only while backed up; swap slots = handles + swap storage',
    check: checkBackupHandles,
  },
  {
    id: 'ww.waitdie',
    description: 'no ticket holding locks sleeps on a lock held by an older ticket (it must die)',
    check: checkWaitDie,
  },
  {
    id: 'ww.held',
    description: 'a lock’s holder ticket counts it: acquired ≥ the locks it holds',
    check: checkWwHeld,
  },
];

/** design.dynamic-cpu-access: no CPU fault or kmap touched a BO while it was bound DYNAMIC (two-step). */
export function checkDynamicCpuAccess(g: TtmGlobal): Violation | null {
  const v = dmaBinderOf(g)?.violations[0];
  return v === undefined ? null : fail(v.oracle, v.actor, v.message);
}

/** design.gpu-without-dma: a BO bound to the GPU (TT, unlocked) has its tt bound to a DMA type. */
export function checkGpuWithoutDma(g: TtmGlobal): Violation | null {
  const v = dmaBinderOf(g)?.gpuWithoutDma() ?? null;
  return v === null ? null : fail(v.oracle, v.actor, v.message);
}

/**
 * The oracles of the designs (src/designs): each holds trivially unless its design is on in the world
 * (a world without a DMA binder has nothing for them to check).
 */
export const DESIGN_ORACLES: readonly OracleSpec[] = [
  {
    id: 'design.dynamic-cpu-access',
    description: 'two-step / shared-iommu: no CPU fault or kmap on a BO while its tt is bound DYNAMIC',
    check: checkDynamicCpuAccess,
  },
  {
    id: 'design.gpu-without-dma',
    description: 'two-step / shared-iommu: a BO in TT (resv unlocked) has its tt bound to a DMA type',
    check: checkGpuWithoutDma,
  },
];

/**
 * Run every oracle over every world, worlds in order and oracles in ORACLES order (then DESIGN_ORACLES). Returns the first
 * violation, or null when all hold. An oracle that throws is a simulator bug: a `crash` violation.
 */
export function checkAll(worlds: readonly TtmGlobal[]): Violation | null {
  for (const g of worlds) {
    view = { g };
    try {
      const v = checkWorld(g);
      if (v !== null) return v;
    } finally {
      view = null;
    }
  }
  return null;
}

function checkWorld(g: TtmGlobal): Violation | null {
  for (const o of g.designs.size === 0 ? ORACLES : [...ORACLES, ...DESIGN_ORACLES]) {
    let v: Violation | null;
    try {
      v = o.check(g);
    } catch (err) {
      v = fail(
        o.id,
        'oracle',
        `the oracle threw: ${err instanceof Error ? err.message : String(err)}`,
        'crash',
      );
    }
    if (v !== null) return v;
  }
  return null;
}
