// Fault sites on the buffer-object paths: the simulated driver's move callback (its wait for idle before
// a GART unbind, its copy job), its ttm_tt_create callback, fence-slot reservation and fence copies, the
// ghost of a pipelined move or gutting, and the dummy page of an unplugged device. Each fired fault takes
// the kernel's error path with the kernel's errno; every test checks what that path undid.

import { describe, expect, test } from 'vitest';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitValidate,
  ttmBoPut,
  ttmBoReserve,
  ttmBoUnreserve,
  ttmBoValidate,
} from '../../src/kernel/bo.ts';
import { ttmBoMmapObj, ttmBoVmFault } from '../../src/kernel/bo_vm.ts';
import { PAGE_SIZE, TTM_PL_SYSTEM, TTM_PL_TT, TTM_PL_VRAM } from '../../src/kernel/constants.ts';
import { EBUSY, ENOMEM, ERESTARTSYS } from '../../src/kernel/errno.ts';
import { FAULT_SITE_INFO, FAULT_SITES } from '../../src/kernel/faults.ts';
import { type OperationCtx, operationCtx, place, placementOf } from '../../src/kernel/placement.ts';
import { DmaResv, DmaResvUsage } from '../../src/kernel/resv.ts';
import { faultPlan, placedBo, run, type SimWorld, simWorld } from './fault_fixtures.ts';

const TT = placementOf(place(TTM_PL_TT));
const SYS = placementOf(place(TTM_PL_SYSTEM));
const GUT = placementOf();

/** Validate `bo` into `placement` under its lock; the lock is dropped again. */
function validate(w: SimWorld, bo: BufferObject, placement = TT, ctx: OperationCtx = operationCtx()): number {
  expect(run(w, ttmBoReserve(bo, false, false, null))).toBe(0);
  const ret = run(w, ttmBoValidate(bo, placement, ctx));
  ttmBoUnreserve(bo);
  return ret;
}

/** Give `bo` an unsignalled GPU fence (a job still using it). */
function busy(w: SimWorld, bo: BufferObject): void {
  const fence = w.dev.gfxRing.emit();
  expect(bo.resv.reserveFences(1)).toBe(0);
  bo.resv.addFence(fence, DmaResvUsage.WRITE);
}

/** Resource ids and usages of the device's managers, SYSTEM, TT, VRAM. */
function usage(w: SimWorld): number[] {
  return [TTM_PL_SYSTEM, TTM_PL_TT, TTM_PL_VRAM].map((m) => w.dev.bdev.manager(m)!.usage / PAGE_SIZE);
}

describe('the site table', () => {
  test('every site has what fails, an errno and at least one upstream function', () => {
    for (const site of FAULT_SITES) {
      const info = FAULT_SITE_INFO[site];
      expect(info.fails.length).toBeGreaterThan(10);
      expect(info.errno).toMatch(/^(-E[A-Z]+|VM_FAULT_OOM|0 )/);
      expect(info.upstream.length).toBeGreaterThan(0);
    }
    expect(FAULT_SITES.length).toBe(20);
  });
});

describe("fault site 'driver.move.wait' (amdgpu_bo_move's ttm_bo_wait_ctx before the GART unbind)", () => {
  test('busy BO in TT, interruptible validate to SYSTEM, a signal → -ERESTARTSYS; still in TT, tt populated, nothing allocated in SYSTEM', () => {
    const w = simWorld();
    const bo = placedBo(w, 2, TTM_PL_TT);
    const res = bo.resource!;
    busy(w, bo);
    const log = faultPlan(w.global, { 'driver.move.wait': [1] });
    expect(validate(w, bo, SYS, operationCtx({ interruptible: true }))).toBe(-ERESTARTSYS);
    expect(log).toEqual([
      'resv.reserve#1 bo:0',
      'resource.alloc#1 bo:0',
      'resv.reserve#2 bo:0',
      'driver.move.wait#1 bo:0 FAIL',
    ]);
    expect(bo.resource).toBe(res);
    expect(bo.ttm!.isPopulated()).toBe(true);
    expect(usage(w)).toEqual([0, 2, 0]);
  });

  test('same with no_wait_gpu → -EBUSY; uninterruptible (the 15 s timeout) → -EBUSY', () => {
    const w = simWorld();
    const bo = placedBo(w, 2, TTM_PL_TT);
    busy(w, bo);
    faultPlan(w.global, { 'driver.move.wait': [1, 2] });
    expect(validate(w, bo, SYS, operationCtx({ interruptible: true, noWaitGpu: true }))).toBe(-EBUSY);
    expect(validate(w, bo, SYS, operationCtx())).toBe(-EBUSY);
    expect(bo.resource!.memType).toBe(TTM_PL_TT);
    expect(usage(w)).toEqual([0, 2, 0]);
  });

  test('an idle BO is not asked: its wait returns at once and cannot fail', () => {
    const w = simWorld();
    const bo = placedBo(w, 2, TTM_PL_TT);
    const log = faultPlan(w.global, { 'driver.move.wait': [1] });
    expect(validate(w, bo, SYS, operationCtx({ interruptible: true }))).toBe(0);
    expect(log.filter((l) => l.startsWith('driver.'))).toEqual([]);
    expect(bo.resource!.memType).toBe(TTM_PL_SYSTEM);
    expect(usage(w)).toEqual([2, 0, 0]);
  });
});

describe("fault site 'driver.move.copy' (the driver's copy job for VRAM ↔ TT)", () => {
  test('VRAM → TT, the copy cannot be set up → -ENOMEM; the BO stays in VRAM, the tt made for TT destroyed, no fence, no ghost', () => {
    const w = simWorld();
    const bo = placedBo(w, 2, TTM_PL_VRAM);
    const res = bo.resource!;
    const log = faultPlan(w.global, { 'driver.move.copy': [1] });
    expect(validate(w, bo)).toBe(-ENOMEM);
    expect(log).toEqual([
      'resv.reserve#1 bo:0',
      'resource.alloc#1 bo:0',
      'tt.create#1 bo:0',
      'page.alloc#1 tt:0',
      'resv.reserve#2 bo:0',
      'driver.move.copy#1 bo:0 FAIL',
    ]);
    expect(bo.resource).toBe(res);
    expect(bo.ttm).toBeNull();
    expect(usage(w)).toEqual([0, 0, 2]);
    expect(w.global.ram.usedPages).toBe(0);
    expect(w.global.ttmPagesAllocated).toBe(0);
    expect(w.env.submitted.length).toBe(0);
    expect(w.global.bos.size).toBe(1);
    // Without the fault the same move succeeds through a ghost.
    expect(validate(w, bo)).toBe(0);
    expect(bo.resource!.memType).toBe(TTM_PL_TT);
  });
});

describe("fault site 'tt.create' (the driver's ttm_tt_create returns NULL)", () => {
  test('ttm_bo_init_validate into TT → -ENOMEM; the TT resource freed, the BO put and destroyed', () => {
    const w = simWorld();
    const bo = newBufferObject(w.dev.bdev, 2 * PAGE_SIZE);
    const log = faultPlan(w.global, { 'tt.create': [1] });
    expect(run(w, ttmBoInitValidate(w.dev.bdev, bo, 'device', TT, 1, true, null))).toBe(-ENOMEM);
    expect(log).toEqual(['resv.reserve#1 bo:0', 'resource.alloc#1 bo:0', 'tt.create#1 bo:0 FAIL']);
    expect(bo.destroyed).toBe(true);
    expect(bo.ttm).toBeNull();
    expect(usage(w)).toEqual([0, 0, 0]);
    expect(w.global.boCount).toBe(0);
  });

  test('xe: the tt cannot be created → -ENOMEM before its backup file is asked for', () => {
    const w = simWorld('xe');
    const bo = newBufferObject(w.dev.bdev, 2 * PAGE_SIZE);
    const log = faultPlan(w.global, { 'tt.create': [1] });
    expect(run(w, ttmBoInitValidate(w.dev.bdev, bo, 'device', SYS, 1, true, null))).toBe(-ENOMEM);
    expect(log).toEqual(['resv.reserve#1 bo:0', 'resource.alloc#1 bo:0', 'tt.create#1 bo:0 FAIL']);
    expect(bo.destroyed).toBe(true);
    expect(w.global.swap.usedPages).toBe(0);
  });
});

describe("fault site 'resv.reserve' (dma_resv_reserve_fences)", () => {
  test('in ttm_bo_alloc_resource → -ENOMEM before any manager is asked; the BO keeps its placement', () => {
    const w = simWorld();
    const bo = placedBo(w, 2, TTM_PL_SYSTEM);
    const res = bo.resource!;
    const log = faultPlan(w.global, { 'resv.reserve': [1] });
    expect(validate(w, bo)).toBe(-ENOMEM);
    expect(log).toEqual(['resv.reserve#1 bo:0 FAIL']);
    expect(bo.resource).toBe(res);
    expect(usage(w)).toEqual([2, 0, 0]);
  });

  test("behind a pipelined eviction: ttm_bo_add_pipelined_eviction_fences adds the fence and asks no reservation (7 of the 8 slots free), the move's own one fails → -ENOMEM; the new resource freed, the eviction fence on the BO", () => {
    const w = simWorld();
    const bo = placedBo(w, 2, TTM_PL_SYSTEM);
    const tt = w.dev.bdev.manager(TTM_PL_TT)!;
    const move = w.dev.copyRing.emit();
    tt.evictionFences[0] = move;
    const log = faultPlan(w.global, { 'resv.reserve': [2] });
    expect(validate(w, bo)).toBe(-ENOMEM);
    expect(log).toEqual(['resv.reserve#1 bo:0', 'resource.alloc#1 bo:0', 'resv.reserve#2 bo:0 FAIL']);
    expect(bo.resource!.memType).toBe(TTM_PL_SYSTEM);
    expect(usage(w)).toEqual([2, 0, 0]);
    expect(bo.resv.fencesFor(DmaResvUsage.KERNEL)).toEqual([move]);
  });

  test('in ttm_bo_handle_move_mem (VRAM → TT) → -ENOMEM; the tt it made destroyed, the driver never called', () => {
    const w = simWorld();
    const bo = placedBo(w, 2, TTM_PL_VRAM);
    const log = faultPlan(w.global, { 'resv.reserve': [2] });
    expect(validate(w, bo)).toBe(-ENOMEM);
    expect(log).toEqual([
      'resv.reserve#1 bo:0',
      'resource.alloc#1 bo:0',
      'tt.create#1 bo:0',
      'page.alloc#1 tt:0',
      'resv.reserve#2 bo:0 FAIL',
    ]);
    expect(bo.resource!.memType).toBe(TTM_PL_VRAM);
    expect(bo.ttm).toBeNull();
    expect(w.global.ram.usedPages).toBe(0);
    expect(usage(w)).toEqual([0, 0, 2]);
  });

  test("in ttm_buffer_object_transfer (the ghost of VRAM → TT) → the driver waits for its copy and moves without a ghost; bo_count stays one too high, as upstream's error path leaves it", () => {
    const w = simWorld();
    const bo = placedBo(w, 2, TTM_PL_VRAM);
    const log = faultPlan(w.global, { 'resv.reserve': [3] });
    expect(validate(w, bo)).toBe(0);
    expect(log).toEqual([
      'resv.reserve#1 bo:0',
      'resource.alloc#1 bo:0',
      'tt.create#1 bo:0',
      'page.alloc#1 tt:0',
      'resv.reserve#2 bo:0',
      'driver.move.copy#1 bo:0',
      'ghost.alloc#1 bo:0',
      'resv.reserve#3 bo:0 FAIL',
    ]);
    expect(bo.resource!.memType).toBe(TTM_PL_TT);
    expect(usage(w)).toEqual([0, 2, 0]);
    expect(w.env.submitted.length).toBe(1);
    expect(bo.resv.testSignaled(DmaResvUsage.BOOKKEEP)).toBe(true);
    expect([...w.global.bos].map((b) => b.id)).toEqual(['bo:0']);
    expect(w.global.boCount).toBe(2);
  });
});

describe("fault site 'ghost.alloc' (kmalloc in ttm_buffer_object_transfer)", () => {
  test('VRAM → TT: no ghost → the driver waits for its copy and moves without one; nothing leaks', () => {
    const w = simWorld();
    const bo = placedBo(w, 2, TTM_PL_VRAM);
    const log = faultPlan(w.global, { 'ghost.alloc': [1] });
    expect(validate(w, bo)).toBe(0);
    expect(log.at(-1)).toBe('ghost.alloc#1 bo:0 FAIL');
    expect(bo.resource!.memType).toBe(TTM_PL_TT);
    expect(usage(w)).toEqual([0, 2, 0]);
    expect(w.global.boCount).toBe(1);
    expect(w.global.bos.size).toBe(1);
  });

  test('gutting a busy BO: no ghost → -ENOMEM; the BO keeps its resource and populated tt, the new tt destroyed', () => {
    const w = simWorld();
    const bo = placedBo(w, 2, TTM_PL_TT);
    const tt = bo.ttm!;
    const res = bo.resource!;
    busy(w, bo);
    const log = faultPlan(w.global, { 'ghost.alloc': [1] });
    expect(validate(w, bo, GUT)).toBe(-ENOMEM);
    expect(log).toEqual(['tt.create#1 bo:0', 'ghost.alloc#1 bo:0 FAIL']);
    expect(bo.ttm).toBe(tt);
    expect(tt.isPopulated()).toBe(true);
    expect(bo.resource).toBe(res);
    expect(usage(w)).toEqual([0, 2, 0]);
    expect(w.global.boCount).toBe(1);
  });
});

describe("fault site 'resv.copy' (dma_resv_copy_fences)", () => {
  test('gutting a busy BO: the ghost cannot take the fences → wait for idle instead; the BO ends unplaced with a new unpopulated tt, the ghost destroyed', () => {
    const w = simWorld();
    const bo = placedBo(w, 2, TTM_PL_TT);
    const old = bo.ttm!;
    busy(w, bo);
    const log = faultPlan(w.global, { 'resv.copy': [1] });
    expect(validate(w, bo, GUT)).toBe(0);
    expect(log).toEqual([
      'tt.create#1 bo:0',
      'ghost.alloc#1 bo:0',
      'resv.reserve#1 bo:0',
      'resv.copy#1 bo:0 FAIL',
    ]);
    expect(bo.resource).toBeNull();
    expect(bo.ttm).not.toBe(old);
    expect(bo.ttm!.isPopulated()).toBe(false);
    expect(old.destroyed).toBe(true);
    expect(usage(w)).toEqual([0, 0, 0]);
    expect(w.global.boCount).toBe(1);
    expect(w.global.ram.usedPages).toBe(0);
  });

  test('release of a BO on a shared resv: its own resv cannot take the fences → 30 s wait, the BO keeps the shared resv and is destroyed', () => {
    const w = simWorld();
    const shared = new DmaResv('resv:shared');
    const bo = newBufferObject(w.dev.bdev, 2 * PAGE_SIZE);
    // A caller passing its resv holds it (ttm_bo_init_reserved: dma_resv_assert_held(resv)).
    expect(shared.trylock(w.dev.bdev.env.current())).toBe(true);
    expect(run(w, ttmBoInitValidate(w.dev.bdev, bo, 'device', SYS, 1, false, shared))).toBe(0);
    shared.unlock();
    expect(w.global.ruleBroken).toBe(null);
    const log = faultPlan(w.global, { 'resv.copy': [1] });
    run(w, ttmBoPut(bo));
    expect(log).toEqual(['resv.copy#1 bo:0 FAIL']);
    expect(bo.resv).toBe(shared);
    expect(bo.destroyed).toBe(true);
    expect(usage(w)).toEqual([0, 0, 0]);
    expect(w.global.boCount).toBe(0);
  });
});

describe("fault site 'vm.dummy_page' (alloc_page in ttm_bo_vm_dummy_page)", () => {
  test('unplugged device, no dummy page → VM_FAULT_OOM; nothing mapped, nothing allocated, resv unlocked', () => {
    const w = simWorld();
    const bo = placedBo(w, 2, TTM_PL_SYSTEM);
    const vma = ttmBoMmapObj(bo);
    if (typeof vma === 'number') throw new Error(`mmap: ${vma}`);
    // drm_dev_unplug's effect on the fault path (no PTE to zap yet): drm_dev_enter fails from now on.
    w.dev.bdev.unplugged = true;
    const used = w.global.ram.usedPages;
    const log = faultPlan(w.global, { 'vm.dummy_page': [1] });
    const flags = { allowRetry: true, retryNowait: false, interruptible: true };
    expect(run(w, ttmBoVmFault(vma, 0, flags))).toBe('OOM');
    expect(log).toEqual(['vm.dummy_page#1 bo:0 FAIL']);
    expect(vma.ptes.size).toBe(0);
    expect(w.global.ram.usedPages).toBe(used);
    expect(bo.resv.isLocked()).toBe(false);
    expect(run(w, ttmBoVmFault(vma, 0, flags))).toBe('NOPAGE');
    expect(vma.ptes.size).toBe(2);
  });
});

describe("fault site 'vm.insert_pfn' (vmf_insert_pfn_prot's page-table allocation in ttm_bo_vm_fault_reserved)", () => {
  const flags = { allowRetry: true, retryNowait: false, interruptible: true };

  test('the faulting page\'s page table cannot be allocated → VM_FAULT_NOPAGE with nothing mapped ("Never error on prefaulted PTEs": the access refaults); the refault maps 4 pages asking once more', () => {
    const w = simWorld();
    const bo = placedBo(w, 4, TTM_PL_SYSTEM);
    const vma = ttmBoMmapObj(bo);
    if (typeof vma === 'number') throw new Error(`mmap: ${vma}`);
    const log = faultPlan(w.global, { 'vm.insert_pfn': [1] });
    expect(run(w, ttmBoVmFault(vma, 0, flags))).toBe('NOPAGE');
    expect(log).toEqual(['vm.insert_pfn#1 bo:0 FAIL']);
    expect(vma.ptes.size).toBe(0);
    expect(bo.resv.isLocked()).toBe(false);
    // The second fault allocates the region's page table once; the other 3 PTEs need none.
    expect(run(w, ttmBoVmFault(vma, 0, flags))).toBe('NOPAGE');
    expect(log).toEqual(['vm.insert_pfn#1 bo:0 FAIL', 'vm.insert_pfn#2 bo:0']);
    expect(vma.ptes.size).toBe(4);
  });

  test('a prefault crossing into the next 2 MiB region, whose page table cannot be allocated → the prefault stops at the boundary and the fault returns VM_FAULT_OOM, as the kernel code does', () => {
    const w = simWorld();
    const bo = placedBo(w, 520, TTM_PL_SYSTEM);
    const vma = ttmBoMmapObj(bo);
    if (typeof vma === 'number') throw new Error(`mmap: ${vma}`);
    const log = faultPlan(w.global, { 'vm.insert_pfn': [2] });
    expect(run(w, ttmBoVmFault(vma, 508, flags))).toBe('OOM');
    expect(log).toEqual(['vm.insert_pfn#1 bo:0', 'vm.insert_pfn#2 bo:0 FAIL']);
    expect([...vma.ptes.keys()]).toEqual([508, 509, 510, 511]);
    expect(bo.resv.isLocked()).toBe(false);
  });
});
