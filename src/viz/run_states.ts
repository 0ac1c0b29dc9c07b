// The whole state of the kernel model at every step of a run, for the viewer's state panel: after each
// step, every object of the run's worlds is read into named values (a BO's lifecycle, placement, pin
// count, resource, LRU list and position, bulk move, tt and its pages; each resource manager's usage
// and LRU lists; the page pools' pooled pages per type; each IOMMU's mappings and free IOVA; the
// fences the model still holds or a task sleeps on, and whether they signalled; each task's state, what it waits for and
// the locks it holds). Only what a step changed is stored: one list of (value, new text) pairs per
// step, with the value names and texts interned, so a 10,000-step run stays a few MiB.
//
// What it reads mirrors the kernel structures of drivers/gpu/drm/ttm: struct ttm_buffer_object
// (ttm_bo.h: pin_count, resource, ttm, bulk_move, base.resv), struct ttm_resource_manager (usage,
// lru[TTM_MAX_BO_PRIORITY]) and struct ttm_lru_bulk_move (ttm_resource.h), struct ttm_tt (page_flags,
// pages[]; ttm_tt.h), struct ttm_pool_type (ttm_pool.c: one list of free blocks per caching and order),
// and the ww_mutex holder of each dma_resv. It only reads: a run recorded gives the same trace bytes.

import { ttmBackupPagePtrIsHandle } from '../kernel/backup.ts';
import { memTypeName, TTM_MAX_BO_PRIORITY, TTM_NUM_MEM_TYPES } from '../kernel/constants.ts';
import type { Device, TtmGlobal } from '../kernel/device.ts';
import type { DmaFence } from '../kernel/fence.ts';
import type { Iommu } from '../kernel/iommu.ts';
import type { ListHead } from '../kernel/list.ts';
import type { LruBulkMove, LruItem, Resource } from '../kernel/resource.ts';
import { type DmaResv, DmaResvUsage } from '../kernel/resv.ts';
import type { RunOptions } from '../sim/run.ts';
import type { Sim } from '../sim/sim.ts';

/** What kind of object a state value belongs to (the panel's kind filter). */
export type ObjectKind = 'bo' | 'manager' | 'device' | 'pool' | 'iommu' | 'fence' | 'task' | 'swap';

/**
 * The states of a run, compactly: `objects[i]` = [id, kind]; `keys[k]` = [object index, field];
 * `texts` the distinct value texts; `initial` and each `steps[s]` a flat list of (key, text index)
 * pairs: the values before the first step, and the values step s changed (text index -1: the value
 * went away, e.g. its BO was destroyed).
 */
export interface RunStates {
  readonly objects: [string, ObjectKind][];
  readonly keys: [number, string][];
  readonly texts: string[];
  readonly initial: number[];
  readonly steps: number[][];
}

/** Records a run's states; pass `onStep` as the run's RunOptions.onStep. */
export class StateRecorder {
  private readonly objects: [string, ObjectKind][] = [];
  private readonly objectIndex = new Map<string, number>();
  private readonly keys: [number, string][] = [];
  /** Key index by object id, then field. */
  private readonly keyIndex = new Map<string, Map<string, number>>();
  private readonly texts: string[] = [];
  private readonly textIndex = new Map<string, number>();
  private previous = new Map<number, number>();
  private initial: number[] = [];
  private readonly steps: number[][] = [];
  /** Bulk moves by the order the run first showed them (they have no id of their own). */
  private readonly bulkNames = new WeakMap<LruBulkMove, string>();
  private bulkCount = 0;
  private readonly bulkName = (bulk: LruBulkMove): string => {
    let name = this.bulkNames.get(bulk);
    if (name === undefined) {
      this.bulkCount += 1;
      name = `#${this.bulkCount}`;
      this.bulkNames.set(bulk, name);
    }
    return name;
  };
  /**
   * Finished tasks: a task that is done never changes again, so once its values are recorded it is
   * neither read nor compared any more (a long run finishes hundreds of kworker tasks).
   */
  private readonly finished = new Set<string>();
  /** The values being read for the current step (key → text index). */
  private now = new Map<number, number>();
  /** The text each key had when last put, and its index: most values are the same as last step. */
  private readonly lastRaw: string[] = [];
  private readonly lastText: number[] = [];
  private readonly put: Put = (object, field, value) => {
    const k = this.key(object, field);
    const raw = String(value);
    let t: number;
    if (this.lastRaw[k] === raw) t = this.lastText[k]!;
    else {
      t = this.text(raw);
      this.lastRaw[k] = raw;
      this.lastText[k] = t;
    }
    this.now.set(k, t);
  };
  private readonly isFinished = (task: string): boolean => this.finished.has(task);
  /** The hook for RunOptions.onStep (a bound method, made once). */
  readonly onStep: NonNullable<RunOptions['onStep']> = this.record.bind(this);

  private record(sim: Sim, worlds: readonly TtmGlobal[], steps: number): void {
    const now = new Map<number, number>();
    this.now = now;
    readState(sim, worlds, this.put, this.bulkName, this.isFinished);
    const diff: number[] = [];
    for (const [k, t] of now) if (this.previous.get(k) !== t) diff.push(k, t);
    for (const k of this.previous.keys()) if (!now.has(k)) diff.push(k, -1);
    // Tasks that finished in this step, holding no lock (one that ended holding a lock, a bug the
    // checks report, is read on): their values are recorded above and leave the comparison.
    for (const t of sim.allTasks()) {
      if (t.status !== 'done' || this.finished.has(t.id)) continue;
      const fields = this.keyIndex.get(t.id);
      const held = fields?.get('locks held');
      if (fields === undefined || held === undefined || this.texts[now.get(held)!] !== 'none') continue;
      this.finished.add(t.id);
      for (const k of fields.values()) now.delete(k);
    }
    this.previous = now;
    if (steps === 0) this.initial = diff;
    else this.steps[steps - 1] = diff;
  }

  private key(object: string, field: string): number {
    let fields = this.keyIndex.get(object);
    if (fields === undefined) {
      fields = new Map();
      this.keyIndex.set(object, fields);
      this.objectIndex.set(object, this.objects.length);
      this.objects.push([object, kindOf(object)]);
    }
    let k = fields.get(field);
    if (k === undefined) {
      k = this.keys.length;
      this.keys.push([this.objectIndex.get(object)!, field]);
      fields.set(field, k);
    }
    return k;
  }

  private text(value: string): number {
    let t = this.textIndex.get(value);
    if (t === undefined) {
      t = this.texts.length;
      this.texts.push(value);
      this.textIndex.set(value, t);
    }
    return t;
  }

  /**
   * The recorded states, one entry per trace line: a step that threw (no line) is dropped and a run
   * whose hook saw fewer steps than it has lines (no per-step oracles) gets empty entries.
   */
  result(lines: number): RunStates {
    const steps = this.steps.slice(0, lines);
    for (let s = 0; s < lines; s += 1) steps[s] ??= [];
    return {
      objects: this.objects,
      keys: this.keys,
      texts: this.texts,
      initial: this.initial,
      steps,
    };
  }
}

/** The object kind of an id, as the panel groups and filters them. */
function kindOf(id: string): ObjectKind {
  if (/^bo:\d+$/.test(id)) return 'bo';
  if (/\/man\d+$/.test(id)) return 'manager';
  if (id.startsWith('device:')) return 'device';
  if (id.startsWith('pool')) return 'pool';
  if (id.startsWith('iommu')) return 'iommu';
  if (id.startsWith('fence:')) return 'fence';
  if (id.startsWith('task:')) return 'task';
  return 'swap';
}

/**
 * Every value of the model now, given to `put` in a stable order; the tasks `skipTask` names (finished
 * ones whose values the recorder keeps) are left out.
 */
function readState(
  sim: Sim,
  worlds: readonly TtmGlobal[],
  put: Put,
  bulkName: (bulk: LruBulkMove) => string,
  skipTask: (task: string) => boolean,
): void {
  const resvs = new Map<string, DmaResv>();
  const fences = new Map<string, DmaFence>();
  worlds.forEach((g, w) => {
    const lruPos = lruPositions(g);
    for (const bo of g.bos) {
      const regions = (sim.mirror.state(bo.id) ?? '').split(' ');
      for (const r of regions) {
        const dot = r.indexOf('.');
        if (dot > 0) put(bo.id, r.slice(0, dot), r.slice(dot + 1));
      }
      put(bo.id, 'pin count', bo.pinCount);
      put(bo.id, 'refcount', bo.kref);
      if (bo.deleted) put(bo.id, 'deleted', 'yes');
      if (bo.ghostOf !== null) put(bo.id, 'ghost of', bo.ghostOf.id);
      const res = bo.resource;
      put(bo.id, 'resource', res === null ? 'none' : resourceText(res));
      put(bo.id, 'lru', res === null ? 'none' : (lruPos.get(res) ?? 'not on an LRU'));
      put(bo.id, 'bulk move', bo.bulkMove === null ? 'none' : bulkName(bo.bulkMove));
      put(bo.id, 'resv', bo.resv === bo.ownResv ? bo.resv.id : `shared ${bo.resv.id}`);
      resvs.set(bo.ownResv.id, bo.ownResv);
      resvs.set(bo.resv.id, bo.resv);
      const tt = bo.ttm;
      if (tt === null) put(bo.id, 'tt', 'none');
      else {
        put(bo.id, 'tt', `${tt.id} ${sim.mirror.state(tt.id) ?? ''}`.trim());
        let resident = 0;
        let backedUp = 0;
        let empty = 0;
        for (const p of tt.pages ?? []) {
          if (typeof p === 'number') resident += 1;
          else if (ttmBackupPagePtrIsHandle(p)) backedUp += 1;
          else empty += 1;
        }
        put(bo.id, 'pages resident', resident);
        put(bo.id, 'pages backed up', backedUp);
        put(bo.id, 'pages swapped', tt.swapStorage === null ? 0 : tt.numPages);
        // A purged tt dropped its pages' contents: BACKED_UP with slots that hold neither page nor handle.
        put(bo.id, 'pages purged', tt.isBackedUp() ? empty : 0);
      }
    }
    for (const bdev of g.deviceList) readDevice(bdev, put, fences);
    readPools(g, w, put);
    for (const iommu of iommusOf(g)) readIommu(g, iommu, put);
    put(
      `swap${worlds.length > 1 ? `:${w}` : ''}`,
      'pages used',
      `${g.swap.usedPages} of ${g.swap.totalPages}`,
    );
  });
  for (const resv of resvs.values())
    for (const f of resv.fencesFor(DmaResvUsage.BOOKKEEP)) fences.set(f.id, f);
  // Fences a task sleeps on that no resv or manager holds (a workload's own completion fences).
  for (const t of sim.allTasks()) for (const f of t.waitingFences()) fences.set(f.id, f);
  for (const f of [...fences.values()].sort((a, b) => a.context - b.context || a.seqno - b.seqno))
    put(f.id, 'signalled', f.signaled ? (f.error === 0 ? 'yes' : `yes, error ${f.error}`) : 'no');
  const held = new Map<string, string[]>();
  for (const resv of [...resvs.values()].sort((a, b) => a.id.localeCompare(b.id))) {
    const holder = resv.lock.holder;
    if (holder === null) continue;
    const list = held.get(holder.task) ?? [];
    list.push(resv.id);
    held.set(holder.task, list);
  }
  for (const t of sim.allTasks()) {
    if (skipTask(t.id)) continue;
    put(t.id, 'state', `${t.state()} (${t.status})`);
    put(t.id, 'waits for', t.blockedOn ?? 'nothing');
    put(t.id, 'locks held', (held.get(t.id) ?? []).join(', ') || 'none');
    if (t.signalPending) put(t.id, 'signal', 'pending');
  }
}

type Put = (object: string, field: string, value: string | number) => void;

function resourceText(res: Resource): string {
  return `${res.id} ${memTypeName(res.memType)} @${res.start} +${res.numPages}p`;
}

/** "man prio p, position i of n" for every resource on an LRU of the world's devices. */
function lruPositions(g: TtmGlobal): Map<Resource, string> {
  const out = new Map<Resource, string>();
  const walk = (head: ListHead, name: string): void => {
    const list = resourcesOn(head);
    for (let i = 0; i < list.length; i += 1) out.set(list[i]!, `${name}, ${i + 1} of ${list.length}`);
  };
  for (const bdev of g.deviceList) {
    for (const man of bdev.managers) {
      if (man === null) continue;
      for (let p = 0; p < TTM_MAX_BO_PRIORITY; p += 1) walk(man.lru[p]!, `${man.id} lru[${p}]`);
    }
    walk(bdev.unevictable, `${bdev.id} unevictable`);
  }
  return out;
}

/** The resources on list `head`, in list order (cursor hitches skipped). */
function resourcesOn(head: ListHead): Resource[] {
  const out: Resource[] = [];
  for (let n = head.next as LruItem; n !== head; n = n.next as LruItem) if (n.res !== null) out.push(n.res);
  return out;
}

/** The BOs of the resources on an LRU list, head first (a BO's own `lru` value names its resource). */
function lruText(head: ListHead): string {
  return (
    resourcesOn(head)
      .map((r) => r.bo?.id ?? r.id)
      .join(' ') || 'empty'
  );
}

function readDevice(bdev: Device, put: Put, fences: Map<string, DmaFence>): void {
  put(bdev.id, 'unevictable', lruText(bdev.unevictable));
  if (bdev.unplugged) put(bdev.id, 'unplugged', 'yes');
  for (let m = 0; m < TTM_NUM_MEM_TYPES; m += 1) {
    const man = bdev.managers[m];
    if (man === null || man === undefined) continue;
    put(man.id, 'type', memTypeName(m));
    put(man.id, 'usage', man.size > 0 ? `${man.usage} of ${man.size} bytes` : `${man.usage} bytes`);
    for (let p = 0; p < TTM_MAX_BO_PRIORITY; p += 1) {
      const head = man.lru[p]!;
      if (head.next !== head || p === 0) put(man.id, `lru[${p}]`, lruText(head));
    }
    if (man.move !== null) {
      put(man.id, 'move fence', man.move.id);
      fences.set(man.move.id, man.move);
    }
  }
}

/** Pooled pages per pool type: the world's global types and each device pool's own (DMA-alloc pools). */
function readPools(g: TtmGlobal, w: number, put: Put): void {
  const world = w === 0 ? '' : `:${w}`;
  const mgr = g.poolMgr;
  put(`pool${world}`, 'pooled pages', mgr.allocatedPages);
  const globals: [string, typeof mgr.globalWriteCombined][] = [
    ['wc', mgr.globalWriteCombined],
    ['uc', mgr.globalUncached],
    ['dma32 wc', mgr.globalDma32WriteCombined],
    ['dma32 uc', mgr.globalDma32Uncached],
  ];
  for (const [name, types] of globals)
    for (const pt of types)
      if (pt.pages.length > 0) put(`pool${world}`, `${name} order ${pt.order}`, pt.pages.length << pt.order);
  for (const bdev of g.deviceList) {
    for (const c of bdev.pool.caching)
      for (const pt of c.orders)
        if (pt !== null && pt.pages.length > 0)
          put(`pool/${bdev.id}`, `${pt.caching} order ${pt.order}`, pt.pages.length << pt.order);
  }
}

function iommusOf(g: TtmGlobal): Iommu[] {
  const out: Iommu[] = [...g.iommus];
  for (const d of g.deviceList) if (d.iommu !== null && !out.includes(d.iommu)) out.push(d.iommu);
  return out;
}

function readIommu(g: TtmGlobal, iommu: Iommu, put: Put): void {
  put(iommu.id, 'free IOVA', `${iommu.sizePages - iommu.usedPages} of ${iommu.sizePages} pages`);
  put(iommu.id, 'mappings', iommu.mappingCount);
  put(iommu.id, 'map failures', iommu.mapFailures);
  // One value per mapping, named by its IOVA: a map or unmap writes that value alone.
  const devices = g.deviceList.filter((d) => d.iommu === iommu).map((d) => d.id);
  for (const m of devices.flatMap((d) => iommu.mappingsOf(d)).sort((a, b) => a.iova - b.iova))
    put(iommu.id, `IOVA ${m.iova}`, `+${m.pfns.length} ${m.device} → frames ${m.pfns.join(',')}`);
}
