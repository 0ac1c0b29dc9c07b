// Tests of the two-step design's rules (seed 001): DMA OOM evicts only BOs of the same DMA type,
// evicting from DMA evicts from the GPU and not the reverse, DYNAMIC forbids CPU access (reported),
// a refault after the unbind does a sync-for-cpu, and the gpu-without-dma oracle.

import { describe, expect, it } from 'vitest';
import { dmaBinderOf } from '../../src/designs/dma_bind.ts';
import { checkDynamicCpuAccess, checkGpuWithoutDma } from '../../src/explore/oracles/index.ts';
import { TTM_PL_SYSTEM, TTM_PL_TT } from '../../src/kernel/constants.ts';
import { ENOSPC } from '../../src/kernel/errno.ts';
import { operationCtx } from '../../src/kernel/placement.ts';
import { runSync } from '../../src/kernel/sync.ts';
import { designWorld, fault, mmap, moveTo, sysBo } from './fixtures.ts';

const BIG_TT = { ttBytes: 4 * 1024 * 1024, iommuPages: 64 };

describe('two-step: DMA binding before the GPU', () => {
  it('ttm_bo_validate into TT: COHERENT OOM evicts the COHERENT BO (from DMA and GPU), not the DYNAMIC one', () => {
    const w = designWorld(['two-step:type=coherent'], BIG_TT);
    const binder = dmaBinderOf(w.global)!;
    const a = sysBo(w, 100);
    const b = sysBo(w, 16);
    const c = sysBo(w, 200);
    binder.typeOverride.set(b, 'dynamic');
    expect(moveTo(w, a, TTM_PL_TT)).toBe(0);
    expect(moveTo(w, b, TTM_PL_TT)).toBe(0);
    expect(binder.usedPages(w.dev.bdev, 'coherent')).toBe(100);
    expect(w.dev.bdev.iommu?.usedPages).toBe(16);
    expect(moveTo(w, c, TTM_PL_TT)).toBe(0);
    expect(a.resource?.memType).toBe(TTM_PL_SYSTEM);
    expect(binder.bindingOf(a.ttm!)).toBeUndefined();
    expect(b.resource?.memType).toBe(TTM_PL_TT);
    expect(binder.bindingOf(b.ttm!)?.type).toBe('dynamic');
    expect(binder.usedPages(w.dev.bdev, 'coherent')).toBe(200);
    expect(w.global.counters).toMatchObject({ dmaEvictions: 1, evictions: 1 });
    expect(checkGpuWithoutDma(w.global)).toBeNull();
  });

  it('ttm_bo_validate into TT: a COHERENT BO larger than the budget → -ENOSPC after evicting every COHERENT victim', () => {
    const w = designWorld(['two-step:type=coherent'], BIG_TT);
    const a = sysBo(w, 100);
    const big = sysBo(w, 300);
    expect(moveTo(w, a, TTM_PL_TT)).toBe(0);
    expect(moveTo(w, big, TTM_PL_TT)).toBe(-ENOSPC);
    expect(a.resource?.memType).toBe(TTM_PL_SYSTEM);
    expect(w.global.counters.dmaEvictions).toBe(1);
  });

  it('ttm_bo_validate TT → SYSTEM (evict from the GPU) keeps the DMA binding', () => {
    const w = designWorld(['two-step'], BIG_TT);
    const binder = dmaBinderOf(w.global)!;
    const b = sysBo(w, 8);
    expect(moveTo(w, b, TTM_PL_TT)).toBe(0);
    const binding = binder.bindingOf(b.ttm!);
    expect(binding?.type).toBe('dynamic');
    expect(moveTo(w, b, TTM_PL_SYSTEM)).toBe(0);
    expect(binder.bindingOf(b.ttm!)).toBe(binding);
    expect(w.dev.bdev.iommu?.usedPages).toBe(8);
    expect(w.global.counters.dmaEvictions).toBe(0);
  });

  it('ttm_bo_vm_fault on a DYNAMIC-bound BO → design.dynamic-cpu-access reported', () => {
    const w = designWorld(['two-step'], BIG_TT);
    const b = sysBo(w, 4);
    const vma = mmap(b);
    expect(moveTo(w, b, TTM_PL_TT)).toBe(0);
    expect(checkDynamicCpuAccess(w.global)).toBeNull();
    expect(fault(w, vma)).toBe('NOPAGE');
    expect(checkDynamicCpuAccess(w.global)).toEqual({
      oracle: 'design.dynamic-cpu-access',
      kind: 'correctness',
      actor: b.id,
      message: `CPU fault on ${b.id} while its ${b.ttm!.id} is bound DYNAMIC (the two-step design forbids CPU access to DYNAMIC DMA)`,
    });
  });

  it('ttm_bo_vm_fault after a DMA eviction: a refault with one sync-for-cpu, no violation', () => {
    const w = designWorld(['two-step'], BIG_TT);
    const binder = dmaBinderOf(w.global)!;
    const b = sysBo(w, 4);
    const vma = mmap(b);
    expect(fault(w, vma)).toBe('NOPAGE');
    expect(moveTo(w, b, TTM_PL_TT)).toBe(0);
    expect(vma.ptes.size).toBe(0);
    // DMA-evict it as a DMA OOM would: out of TT, then unbound.
    const binding = binder.bindingOf(b.ttm!)!;
    expect(b.resv.trylock('task:kunit')).toBe(true);
    expect(runSync(w.env, binder.dmaEvict(binding, operationCtx()))).toBe(true);
    b.resv.unlock();
    expect(b.resource?.memType).toBe(TTM_PL_SYSTEM);
    expect(fault(w, vma)).toBe('NOPAGE');
    expect(w.global.counters).toMatchObject({ cpuFaults: 2, refaults: 1, syncForCpu: 1, dmaEvictions: 1 });
    expect(fault(w, vma)).toBe('NOPAGE');
    expect(w.global.counters.syncForCpu).toBe(1);
    expect(checkDynamicCpuAccess(w.global)).toBeNull();
  });

  it('design.gpu-without-dma: a BO left in TT after its binding went → reported', () => {
    const w = designWorld(['two-step'], BIG_TT);
    const binder = dmaBinderOf(w.global)!;
    const b = sysBo(w, 4);
    expect(moveTo(w, b, TTM_PL_TT)).toBe(0);
    binder.unbind(binder.bindingOf(b.ttm!)!);
    expect(checkGpuWithoutDma(w.global)).toEqual({
      oracle: 'design.gpu-without-dma',
      kind: 'correctness',
      actor: b.id,
      message: `${b.id} is bound to the GPU (TT) but its ${b.ttm!.id} is bound to no DMA type`,
    });
  });
});
