// What the per-step oracles derive from a world (TtmGlobal): its devices, the resources on each device's
// LRUs and unevictable list, the live tts and ww_mutexes, the pool types. checkAll (index.ts) opens a
// pass over one world with `beginPass`; within it each derivation is made on first use and kept (oracles
// only read, so the world does not change within a pass). A check called on its own derives afresh.

import type { BufferObject } from '../../kernel/bo.ts';
import type { Device, TtmGlobal } from '../../kernel/device.ts';
import type { ListHead } from '../../kernel/list.ts';
import type { PoolType } from '../../kernel/pool_type.ts';
import type { Ram } from '../../kernel/ram.ts';
import { RangeAllocator } from '../../kernel/range_allocator.ts';
import type { LruItem, Resource, ResourceManager } from '../../kernel/resource.ts';
import type { Tt } from '../../kernel/tt.ts';
import type { WwMutex } from '../../kernel/ww_mutex.ts';

/** What several oracles derive from the world of the current pass. Read-only to the oracles. */
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

/** Start a pass of checks over `g`: derivations are kept until `endPass`. */
export function beginPass(g: TtmGlobal): void {
  view = { g };
}

export function endPass(): void {
  view = null;
}

/** The world's devices: the global device list, then devices of live BOs no longer on it. */
export function devicesOf(g: TtmGlobal): readonly Device[] {
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
export interface Listed {
  readonly res: Resource;
  readonly dev: Device;
  readonly man: ResourceManager | null;
  readonly prio: number;
}

export function lruName(man: ResourceManager, prio: number): string {
  return `${man.id} lru${prio}`;
}

export function unevictableName(d: Device): string {
  return `${d.id} unevictable`;
}

/** The name of the list a resource was found on, for messages. */
export function listName(l: Listed): string {
  return l.man === null ? unevictableName(l.dev) : lruName(l.man, l.prio);
}

/** Every resource on a device's LRUs and unevictable list, in list order. */
export function listedResources(d: Device): readonly Listed[] {
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
export function allocatorOf(man: ResourceManager): RangeAllocator | null {
  const mm = (man as { mm?: unknown }).mm;
  return mm instanceof RangeAllocator ? mm : null;
}

/** A live tt and the first live BO pointing at it. */
export interface LiveTt {
  readonly tt: Tt;
  readonly bo: BufferObject;
}

/** The tts of the world's live BOs, each once, with the first BO pointing at it. */
export function liveTts(g: TtmGlobal): readonly LiveTt[] {
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

/** The ww_mutexes of the world's live BOs (their resv in use and their own), each once. */
export function liveMutexes(g: TtmGlobal): readonly WwMutex[] {
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
 * Every pool type of the world that can hold pages: ttm_pool_type_init puts each type (the global WC/UC
 * and DMA32 ones, a DMA-alloc device pool's own) on the shrinker list, and only ttm_pool_type_fini,
 * which empties it, takes it off.
 */
export function poolTypes(g: TtmGlobal): readonly PoolType[] {
  return g.poolMgr.shrinkerList;
}

/** A pool type's name for messages: its owner (global, global dma32, or a device), caching and order. */
export function poolTypeName(g: TtmGlobal, pt: PoolType): string {
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
export function frameAllocated(ram: Ram, pfn: number): boolean {
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
export function restoreBlockLive(tt: Tt): boolean {
  const r = tt.restore;
  return r !== null && r.restoredPages < 1 << r.order;
}

export function hex(v: number): string {
  return `0x${v.toString(16)}`;
}
