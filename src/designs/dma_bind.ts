// The DMA binding step of the two-step placement (seed 001, Thomas Hellström, Jan 2012) and of the
// shared-IOMMU design: a tt is bound to a DMA type before its BO is bound to the GPU (moved into TT),
// so DMA space is a resource of its own with an LRU per DMA type. Binding DYNAMIC maps the tt's pages
// through the device's IOMMU (one contiguous IOVA range per tt, as dma_map_sgtable gives); COHERENT and
// CMA take pages of a per-device budget (dma_alloc_coherent / the CMA area); NONE needs nothing (bare
// metal, DMA address = frame). A DMA OOM evicts BOs bound to the same DMA type: evicting from DMA first
// evicts from the GPU (the BO leaves TT), never the other way round. Binding DYNAMIC kills the CPU
// mappings; a CPU fault or kmap while DYNAMIC-bound is a reported violation, and the first refault after
// the unbind is a dma_sync_*_for_cpu (counted).
// What TTM did instead (reference §1.11, §5(b)): no DMA-type axis; the pool maps pages at populate
// (ttm_pool_map) or xe maps at the move into TT; a map failure is -EFAULT, nothing is evicted for IOVA.
// Simplified: DMA bindings are kept per tt (a tt is what holds pages); victims are trylocked, waited
// idle and evicted with ttm_bo_evict; a BO locked by anyone (its own submit included) is never a victim.

import { type BufferObject, ttmBoEvict, ttmBoUnmapVirtual, ttmBoWaitCtx } from '../kernel/bo.ts';
import { TTM_PL_TT } from '../kernel/constants.ts';
import type { Device, TtmGlobal } from '../kernel/device.ts';
import type { KGen } from '../kernel/env.ts';
import { ENOSPC } from '../kernel/errno.ts';
import type { Iommu } from '../kernel/iommu.ts';
import type { OperationCtx } from '../kernel/placement.ts';
import type { Tt } from '../kernel/tt.ts';

export type DmaType = 'none' | 'dynamic' | 'coherent' | 'cma';
export const DMA_TYPES: readonly DmaType[] = ['none', 'dynamic', 'coherent', 'cma'];

/** Who a DMA OOM may evict: BOs of the same device (each TTM its own eviction) or of every device. */
export type EvictScope = 'own' | 'any';

/** One tt bound to a DMA type. */
export interface DmaBinding {
  readonly tt: Tt;
  readonly bo: BufferObject;
  readonly type: DmaType;
  readonly pages: number;
  /** The IOVA of a DYNAMIC binding through an IOMMU; null otherwise. */
  readonly iova: number | null;
  readonly iommu: Iommu | null;
}

/** A violation of a design rule, reported by the design's oracle. */
export interface DesignViolation {
  readonly oracle: string;
  readonly actor: string;
  readonly message: string;
}

/** Default COHERENT / CMA budget per device, in pages (a small dma_alloc_coherent / CMA area). */
export const DMA_BUDGET_PAGES = 256;

/** The DMA binding state of one world. */
export class DmaBinder {
  /** Bindings, least recently bound or used first (the per-DMA-type LRUs, filtered by type). */
  readonly lru: DmaBinding[] = [];
  /** Pages of the COHERENT / CMA budgets in use, by `device/type`. */
  private readonly used = new Map<string, number>();
  /** Rule violations seen (two-step: DYNAMIC CPU access); the design oracle reports the first. */
  readonly violations: DesignViolation[] = [];
  /** BOs unbound from DYNAMIC whose next CPU fault needs a sync-for-cpu. */
  readonly needsSync = new Set<BufferObject>();
  /** The driver's choice of DMA type for a BO, when not the world's type (looked up, never iterated). */
  readonly typeOverride = new Map<BufferObject, DmaType>();

  constructor(
    readonly global: TtmGlobal,
    /** The DMA type tt-backed BOs bind to. */
    readonly type: DmaType,
    readonly scope: EvictScope,
    readonly budgetPages = DMA_BUDGET_PAGES,
  ) {}

  bindingOf(tt: Tt): DmaBinding | undefined {
    return this.lru.find((b) => b.tt === tt);
  }

  usedPages(bdev: Device, type: DmaType): number {
    return this.used.get(`${bdev.id}/${type}`) ?? 0;
  }

  /** The DMA type `bo` binds to: the driver's choice for it, else the world's. */
  typeOf(bo: BufferObject): DmaType {
    return this.typeOverride.get(bo) ?? this.type;
  }

  /** Allocate DMA space for `tt` of `bo`: the binding, or -EFAULT (IOVA) / -ENOSPC (budget). */
  private tryBind(bo: BufferObject, tt: Tt): DmaBinding | number {
    const bdev = bo.bdev;
    const pages = tt.numPages;
    const type = this.typeOf(bo);
    if (type === 'dynamic' && bdev.iommu !== null) {
      const pfns = (tt.pages ?? []).map((p) => (typeof p === 'number' ? p : 0));
      const injected = this.global.injectFault('iommu.map', tt.id);
      const iova = bdev.iommu.map(bdev.id, pfns, injected);
      if (iova < 0) return iova;
      return { tt, bo, type, pages, iova, iommu: bdev.iommu };
    }
    if (type === 'coherent' || type === 'cma') {
      const key = `${bdev.id}/${type}`;
      const now = this.used.get(key) ?? 0;
      if (now + pages > this.budgetPages) return -ENOSPC;
      this.used.set(key, now + pages);
    }
    return { tt, bo, type, pages, iova: null, iommu: null };
  }

  /** Release the DMA space of a binding and take it off the LRU. */
  unbind(b: DmaBinding): void {
    const at = this.lru.indexOf(b);
    if (at < 0) throw new Error(`dma unbind: ${b.tt.id} is not bound`);
    this.lru.splice(at, 1);
    if (b.iova !== null) b.iommu?.unmap(b.iova);
    if (b.type === 'coherent' || b.type === 'cma') {
      const key = `${b.bo.bdev.id}/${b.type}`;
      this.used.set(key, (this.used.get(key) ?? 0) - b.pages);
    }
    if (b.type === 'dynamic') this.needsSync.add(b.bo);
  }

  /** The unbind of a tt being unpopulated (its pages go away), if it is bound. */
  unbindTt(tt: Tt): void {
    const b = this.bindingOf(tt);
    if (b !== undefined) this.unbind(b);
  }

  /** Victims for a DMA OOM of `bo`: same DMA type, same DMA space, in LRU order. */
  private candidates(bo: BufferObject): DmaBinding[] {
    const type = this.typeOf(bo);
    return this.lru.filter(
      (b) =>
        b.bo !== bo &&
        b.type === type &&
        b.bo.pinCount === 0 &&
        (this.scope === 'any' ? sameSpace(b.bo.bdev, bo.bdev, type) : b.bo.bdev === bo.bdev),
    );
  }

  /**
   * Step 1 of the two-step bind: bind `bo`'s populated tt to the DMA type (already bound: moved to the
   * LRU tail). On a DMA OOM evict BOs bound to the same DMA type (LRU first) until it fits. Returns 0,
   * or the OOM error (-EFAULT for IOVA, -ENOSPC for a budget) when no victim is left.
   */
  *bind(bo: BufferObject, ctx: OperationCtx): KGen<number> {
    const tt = bo.ttm;
    if (tt === null) return 0;
    const have = this.bindingOf(tt);
    if (have !== undefined) {
      this.lru.splice(this.lru.indexOf(have), 1);
      this.lru.push(have);
      return 0;
    }
    for (;;) {
      const b = this.tryBind(bo, tt);
      if (typeof b !== 'number') {
        this.lru.push(b);
        if (b.type === 'dynamic') ttmBoUnmapVirtual(bo);
        this.needsSync.delete(bo);
        return 0;
      }
      if (!(yield* this.evictOne(bo, ctx))) return b;
    }
  }

  /** Evict the first victim that can be locked and waited for; false when none could. */
  private *evictOne(bo: BufferObject, ctx: OperationCtx): KGen<boolean> {
    const me = bo.bdev.env.current();
    for (const victim of this.candidates(bo)) {
      if (!victim.bo.resv.trylock(me)) continue;
      const ok = yield* this.dmaEvict(victim, ctx);
      victim.bo.resv.unlock();
      if (ok) return true;
    }
    return false;
  }

  /**
   * Evict a locked BO from DMA: from the GPU first (out of TT, ttm_bo_evict), after waiting for it to
   * be idle; then unbind. False when the wait or the GPU eviction failed (the binding is kept).
   */
  *dmaEvict(b: DmaBinding, ctx: OperationCtx): KGen<boolean> {
    const victim = b.bo;
    if ((yield* ttmBoWaitCtx(victim, ctx)) !== 0) return false;
    if (victim.resource?.memType === TTM_PL_TT) {
      if ((yield* ttmBoEvict(victim, ctx)) !== 0) return false;
    }
    if (this.lru.includes(b)) this.unbind(b);
    this.global.counters.dmaEvictions += 1;
    return true;
  }

  /** A CPU fault or kmap of `bo` (resv held): a violation while DYNAMIC-bound; a sync after an unbind. */
  cpuAccess(bo: BufferObject, how: 'fault' | 'access'): void {
    const tt = bo.ttm;
    const b = tt === null ? undefined : this.bindingOf(tt);
    if (b !== undefined && b.type === 'dynamic') {
      this.violations.push({
        oracle: 'design.dynamic-cpu-access',
        actor: bo.id,
        message: `CPU ${how === 'fault' ? 'fault on' : 'kmap of'} ${bo.id} while its ${tt?.id} is bound DYNAMIC (the two-step design forbids CPU access to DYNAMIC DMA)`,
      });
      return;
    }
    if (how === 'fault' && this.needsSync.delete(bo)) this.global.counters.syncForCpu += 1;
  }

  /**
   * The design's own rule, as the oracle checks it at step boundaries: a BO bound to the GPU (in TT,
   * its resv unlocked) has its tt bound to DMA — evicting from DMA evicted from the GPU too.
   */
  gpuWithoutDma(): DesignViolation | null {
    for (const bo of this.global.bos) {
      const tt = bo.ttm;
      if (tt === null || bo.ghostOf !== null || bo.resv.isLocked() || !tt.isPopulated()) continue;
      if (bo.resource?.memType !== TTM_PL_TT || this.bindingOf(tt) !== undefined) continue;
      return {
        oracle: 'design.gpu-without-dma',
        actor: bo.id,
        message: `${bo.id} is bound to the GPU (TT) but its ${tt.id} is bound to no DMA type`,
      };
    }
    return null;
  }
}

/** Do two devices draw on the same DMA space of `type` (one IOMMU for DYNAMIC)? */
function sameSpace(a: Device, b: Device, type: DmaType): boolean {
  if (type === 'dynamic') return a.iommu !== null && a.iommu === b.iommu;
  return a === b;
}

const KEY = 'dma-bind';

/** The world's DMA binder, when a design that binds DMA is on. */
export function dmaBinderOf(global: TtmGlobal | null): DmaBinder | null {
  return (global?.designState.get(KEY) as DmaBinder | undefined) ?? null;
}

export function setDmaBinder(global: TtmGlobal, binder: DmaBinder): void {
  global.designState.set(KEY, binder);
}
