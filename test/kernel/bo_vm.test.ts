// Tests of src/kernel/bo_vm.ts (ttm_bo_vm.c): mmap, every return path of ttm_bo_vm_fault, the 16-PTE
// prefault, check-and-set PTE installs, the dummy page after unplug, and PTE zaps on unmap_virtual and
// moves. Single-threaded (runSync, with hooks standing in for the other thread); the races are in
// test/sim/fault_races.test.ts. Populate errors are injected by wrapping ttmBoPopulate (vi.mock), since
// the tt model decides on its own when a populate fails.

import { beforeEach, describe, expect, test, vi } from 'vitest';
import {
  type BufferObject,
  ttmBoInitValidate,
  ttmBoPopulate,
  ttmBoReserve,
  ttmBoUnmapVirtual,
  ttmBoUnreserve,
  ttmBoValidate,
} from '../../src/kernel/bo.ts';
import {
  type CpuMapping,
  drmDevUnplug,
  type FaultFlags,
  type Pte,
  TTM_BO_VM_NUM_PREFAULT,
  ttmBoMmapObj,
  ttmBoVmClose,
  ttmBoVmFault,
  type VmFault,
  vmfInsertPfnProt,
} from '../../src/kernel/bo_vm.ts';
import {
  PAGE_SIZE,
  TTM_PL_SYSTEM,
  TTM_PL_TT,
  TTM_PL_VRAM,
  TTM_TT_FLAG_EXTERNAL,
  TTM_TT_FLAG_EXTERNAL_MAPPABLE,
} from '../../src/kernel/constants.ts';
import { ttmSetDriverManager } from '../../src/kernel/device.ts';
import { EAGAIN, EINTR, EINVAL, EIO, ENOMEM, ERESTARTSYS } from '../../src/kernel/errno.ts';
import { DmaFence } from '../../src/kernel/fence.ts';
import { KernelOops } from '../../src/kernel/oops.ts';
import { operationCtx, place, placementOf } from '../../src/kernel/placement.ts';
import {
  RangeManager,
  ttmResourceManagerInit,
  ttmResourceManagerSetUsed,
} from '../../src/kernel/resource.ts';
import { DmaResvUsage } from '../../src/kernel/resv.ts';
import { runSync, type SyncHooks } from '../../src/kernel/sync.ts';
import { kunitBo, mockManagerInit, type TestDevice, testDevice } from '../kunit/fixtures.ts';

vi.mock('../../src/kernel/bo.ts', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/kernel/bo.ts')>();
  return { ...mod, ttmBoPopulate: vi.fn(mod.ttmBoPopulate) };
});

const MANAGER_SIZE = 1 << 20;
const VRAM_SIZE = 1 << 20;

/** First attempt of a user fault: FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_INTERRUPTIBLE. */
const FIRST: FaultFlags = { allowRetry: true, retryNowait: false, interruptible: true };
/** FIRST | FAULT_FLAG_RETRY_NOWAIT. */
const NOWAIT: FaultFlags = { allowRetry: true, retryNowait: true, interruptible: true };
/** Retry not allowed (FAULT_FLAG_TRIED, or get_user_pages without FOLL_UNLOCKABLE). */
const NO_RETRY: FaultFlags = { allowRetry: false, retryNowait: false, interruptible: true };

/** A full test device with a mock TT manager (use_tt) and a range VRAM manager without a tt (iomem). */
function device(): TestDevice {
  const t = testDevice();
  mockManagerInit(t.bdev, TTM_PL_TT, MANAGER_SIZE);
  const vram = new RangeManager(t.bdev, TTM_PL_VRAM, false, VRAM_SIZE);
  ttmResourceManagerInit(vram, VRAM_SIZE);
  ttmSetDriverManager(t.bdev, TTM_PL_VRAM, vram);
  ttmResourceManagerSetUsed(vram, true);
  return t;
}

/** A device BO of `pages` pages validated into `memType` and unreserved. */
function placedBo(t: TestDevice, pages: number, memType: number, size = pages * PAGE_SIZE): BufferObject {
  const bo = kunitBo(t, size);
  const err = runSync(
    t.env,
    ttmBoInitValidate(t.bdev, bo, 'device', placementOf(place(memType)), 0, false, null),
  );
  expect(err).toBe(0);
  return bo;
}

function mmap(bo: BufferObject, numPages?: number): CpuMapping {
  const vma = ttmBoMmapObj(bo, numPages === undefined ? {} : { numPages });
  if (typeof vma === 'number') throw new Error(`ttm_bo_mmap_obj: ${vma}`);
  return vma;
}

function fault(
  t: TestDevice,
  vma: CpuMapping,
  page: number,
  flags: FaultFlags,
  hooks: SyncHooks = {},
): VmFault {
  return runSync(t.env, ttmBoVmFault(vma, page, flags), hooks);
}

function mappedPages(vma: CpuMapping): number[] {
  return [...vma.ptes.keys()].sort((a, b) => a - b);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

const populate = vi.mocked(ttmBoPopulate);

beforeEach(() => {
  populate.mockClear();
});

describe('ttm_bo_mmap_obj / ttm_bo_vm_close', () => {
  test('ttm_bo_mmap_obj: private writable (COW) mapping → -EINVAL, no reference taken', () => {
    const t = device();
    const bo = placedBo(t, 2, TTM_PL_SYSTEM);
    expect(ttmBoMmapObj(bo, { shared: false, mayWrite: true })).toBe(-EINVAL);
    expect(bo.kref).toBe(1);
    expect(bo.mappings.size).toBe(0);
  });

  test('ttm_bo_mmap_obj: private read-only mapping is not COW → mapped, BO reference taken', () => {
    const t = device();
    const bo = placedBo(t, 2, TTM_PL_SYSTEM);
    const vma = ttmBoMmapObj(bo, { shared: false, mayWrite: false });
    expect(typeof vma).toBe('object');
    expect(bo.kref).toBe(2);
  });

  test('ttm_bo_vm_close: shared mapping with PTEs → PTEs zapped, unlinked, BO reference dropped', () => {
    const t = device();
    const bo = placedBo(t, 2, TTM_PL_SYSTEM);
    const vma = mmap(bo);
    expect(bo.kref).toBe(2);
    expect(bo.mappings.has(vma)).toBe(true);
    expect(t.bdev.vmas.has(vma)).toBe(true);
    expect(fault(t, vma, 0, FIRST)).toBe('NOPAGE');
    expect(vma.ptes.size).toBe(2);
    runSync(t.env, ttmBoVmClose(vma));
    expect(vma.ptes.size).toBe(0);
    expect(vma.closed).toBe(true);
    expect(bo.mappings.size).toBe(0);
    expect(t.bdev.vmas.size).toBe(0);
    expect(bo.kref).toBe(1);
  });
});

describe('ttm_bo_vm_fault: installing PTEs', () => {
  test('ttm_bo_vm_fault: SYSTEM BO, unpopulated tt → populated, PTEs of all 4 pages, NOPAGE, resv unlocked', () => {
    const t = device();
    const bo = placedBo(t, 4, TTM_PL_SYSTEM);
    expect(bo.ttm?.isPopulated()).toBe(false);
    const vma = mmap(bo);
    expect(fault(t, vma, 0, FIRST)).toBe('NOPAGE');
    expect(bo.ttm?.isPopulated()).toBe(true);
    expect(populate).toHaveBeenCalledTimes(1);
    expect(populate.mock.calls[0]![1]).toMatchObject({ interruptible: true, forceAlloc: true });
    expect(mappedPages(vma)).toEqual([0, 1, 2, 3]);
    for (const [page, pte] of vma.ptes) {
      expect(pte).toEqual({
        kind: 'page',
        pfn: bo.ttm!.pages![page],
        memType: TTM_PL_SYSTEM,
        caching: 'cached',
      });
    }
    expect(vma.log.filter((e) => e.op === 'install').length).toBe(4);
    expect(bo.resv.isLocked()).toBe(false);
    expect(bo.kref).toBe(2);
  });

  test('ttm_bo_vm_fault: 20-page TT BO, fault at page 0 → 16 PTEs (TTM_BO_VM_NUM_PREFAULT), pages 0..15', () => {
    const t = device();
    const bo = placedBo(t, 20, TTM_PL_TT);
    const vma = mmap(bo);
    expect(fault(t, vma, 0, FIRST)).toBe('NOPAGE');
    expect(TTM_BO_VM_NUM_PREFAULT).toBe(16);
    expect(mappedPages(vma)).toEqual(range(0, 16));
    expect(vma.ptes.get(15)).toEqual({
      kind: 'page',
      pfn: bo.ttm!.pages![15],
      memType: TTM_PL_TT,
      caching: 'cached',
    });
  });

  test('ttm_bo_vm_fault: 20-page TT BO, fault at page 10 → 10 PTEs, capped at the BO (VMA) end', () => {
    const t = device();
    const bo = placedBo(t, 20, TTM_PL_TT);
    const vma = mmap(bo);
    expect(fault(t, vma, 10, FIRST)).toBe('NOPAGE');
    expect(mappedPages(vma)).toEqual(range(10, 20));
  });

  test('ttm_bo_vm_fault: VMA over pages 2..5 of a 20-page BO, fault at 3 → PTEs 3..5 only', () => {
    const t = device();
    const bo = placedBo(t, 20, TTM_PL_TT);
    const vma = ttmBoMmapObj(bo, { pgoff: 2, numPages: 4 }) as CpuMapping;
    expect(fault(t, vma, 3, FIRST)).toBe('NOPAGE');
    expect(mappedPages(vma)).toEqual([3, 4, 5]);
  });

  test('ttm_bo_vm_fault: VRAM without a tt → iomem PTEs at resource start + offset, no populate', () => {
    const t = device();
    const filler = placedBo(t, 3, TTM_PL_VRAM);
    const bo = placedBo(t, 4, TTM_PL_VRAM);
    const start = bo.resource!.start;
    expect(start).not.toBe(filler.resource!.start);
    const vma = mmap(bo);
    expect(fault(t, vma, 1, FIRST)).toBe('NOPAGE');
    expect(populate).not.toHaveBeenCalled();
    expect(bo.ttm).toBe(null);
    expect(mappedPages(vma)).toEqual([1, 2, 3]);
    for (const [page, pte] of vma.ptes) {
      expect(pte).toEqual({ kind: 'iomem', pfn: start + page, memType: TTM_PL_VRAM, caching: 'cached' });
    }
  });

  test('ttm_bo_vm_fault: PTE already present → left alone (NOPAGE as vmf_insert_pfn_prot), the rest installed', () => {
    const t = device();
    const bo = placedBo(t, 4, TTM_PL_TT);
    const vma = mmap(bo);
    const other: Pte = { kind: 'page', pfn: 999_999, memType: TTM_PL_TT, caching: 'write_combined' };
    expect(vmfInsertPfnProt(vma, 2, other)).toBe('NOPAGE');
    expect(fault(t, vma, 0, FIRST)).toBe('NOPAGE');
    expect(vma.ptes.get(2)).toBe(other);
    expect(mappedPages(vma)).toEqual([0, 1, 2, 3]);
    expect(vma.log.map((e) => `${e.op} ${e.page}`)).toEqual([
      'install 2',
      'install 0',
      'install 1',
      'present 2',
      'install 3',
    ]);
  });

  test('ttm_bo_vm_fault: second fault on a mapped page → every PTE present, none replaced, NOPAGE', () => {
    const t = device();
    const bo = placedBo(t, 2, TTM_PL_TT);
    const vma = mmap(bo);
    expect(fault(t, vma, 0, FIRST)).toBe('NOPAGE');
    const before = new Map(vma.ptes);
    expect(fault(t, vma, 0, FIRST)).toBe('NOPAGE');
    expect(vma.ptes).toEqual(before);
    expect(vma.log.map((e) => `${e.op} ${e.page}`)).toEqual([
      'install 0',
      'install 1',
      'present 0',
      'present 1',
    ]);
  });

  test('vmf_insert_pfn_prot: page outside the VMA → SIGBUS', () => {
    const t = device();
    const bo = placedBo(t, 2, TTM_PL_TT);
    const vma = mmap(bo);
    expect(vmfInsertPfnProt(vma, 2, { kind: 'page', pfn: 1, memType: TTM_PL_TT, caching: 'cached' })).toBe(
      'SIGBUS',
    );
  });
});

describe('ttm_bo_vm_fault: error returns', () => {
  test('ttm_bo_vm_fault: offset at PFN_UP(size) (VMA larger than the BO) → SIGBUS, resv unlocked', () => {
    const t = device();
    const bo = placedBo(t, 2, TTM_PL_TT, 5000);
    const vma = mmap(bo, 4);
    expect(fault(t, vma, 2, FIRST)).toBe('SIGBUS');
    expect(fault(t, vma, 3, FIRST)).toBe('SIGBUS');
    expect(vma.ptes.size).toBe(0);
    expect(bo.resv.isLocked()).toBe(false);
    expect(fault(t, vma, 1, FIRST)).toBe('NOPAGE');
    // The prefault runs to the VMA's end (page_last), as the kernel's loop does, but page 2 has no tt page.
    expect(mappedPages(vma)).toEqual([1]);
  });

  test('ttm_bo_vm_fault: EXTERNAL tt without EXTERNAL_MAPPABLE → SIGBUS, resv unlocked, nothing populated', () => {
    const t = device();
    const bo = placedBo(t, 2, TTM_PL_TT);
    bo.ttm!.pageFlags |= TTM_TT_FLAG_EXTERNAL;
    const vma = mmap(bo);
    expect(fault(t, vma, 0, FIRST)).toBe('SIGBUS');
    expect(vma.ptes.size).toBe(0);
    expect(populate).not.toHaveBeenCalled();
    expect(bo.resv.isLocked()).toBe(false);
  });

  test('ttm_bo_vm_fault: EXTERNAL | EXTERNAL_MAPPABLE tt → mapped, NOPAGE', () => {
    const t = device();
    const bo = placedBo(t, 2, TTM_PL_TT);
    bo.ttm!.pageFlags |= TTM_TT_FLAG_EXTERNAL | TTM_TT_FLAG_EXTERNAL_MAPPABLE;
    const vma = mmap(bo);
    expect(fault(t, vma, 0, FIRST)).toBe('NOPAGE');
    expect(mappedPages(vma)).toEqual([0, 1]);
  });

  test('ttm_bo_vm_fault: populate succeeds but the faulting page is NULL → OOM, resv unlocked', () => {
    const t = device();
    const bo = placedBo(t, 4, TTM_PL_SYSTEM);
    populate.mockImplementationOnce(function* () {
      yield { kind: 'yield', label: 'tt.populate' };
      return 0;
    });
    const vma = mmap(bo);
    expect(fault(t, vma, 0, FIRST)).toBe('OOM');
    expect(vma.ptes.size).toBe(0);
    expect(bo.resv.isLocked()).toBe(false);
  });

  test('ttm_bo_vm_fault: NULL page after the faulting one → prefault stops before it, NOPAGE', () => {
    const t = device();
    const bo = placedBo(t, 8, TTM_PL_TT);
    const pages = bo.ttm!.pages!;
    const saved = pages[3]!;
    pages[3] = null;
    const vma = mmap(bo);
    expect(fault(t, vma, 0, FIRST)).toBe('NOPAGE');
    pages[3] = saved;
    expect(mappedPages(vma)).toEqual([0, 1, 2]);
  });

  test.each([
    { description: 'interrupted (-EINTR)', err: -EINTR, expected: 'NOPAGE' },
    { description: 'signal (-ERESTARTSYS)', err: -ERESTARTSYS, expected: 'NOPAGE' },
    { description: 'restore to resume (-EAGAIN)', err: -EAGAIN, expected: 'NOPAGE' },
    { description: 'out of memory (-ENOMEM)', err: -ENOMEM, expected: 'SIGBUS' },
    { description: 'any other error (-EIO)', err: -EIO, expected: 'SIGBUS' },
  ])(
    'ttm_bo_vm_fault: populate fails, $description → $expected, no PTE, resv unlocked',
    ({ err, expected }) => {
      const t = device();
      const bo = placedBo(t, 2, TTM_PL_SYSTEM);
      populate.mockImplementationOnce(function* () {
        yield { kind: 'yield', label: 'tt.populate' };
        return err;
      });
      const vma = mmap(bo);
      expect(fault(t, vma, 0, FIRST)).toBe(expected);
      expect(vma.ptes.size).toBe(0);
      expect(bo.resv.isLocked()).toBe(false);
      expect(bo.kref).toBe(2);
    },
  );

  test('ttm_bo_vm_fault: first PTE insert fails (page table OOM) → NOPAGE (refault), nothing installed', () => {
    const t = device();
    const bo = placedBo(t, 4, TTM_PL_TT);
    const vma = mmap(bo);
    vma.failInsertPages.add(0);
    expect(fault(t, vma, 0, FIRST)).toBe('NOPAGE');
    expect(vma.ptes.size).toBe(0);
    expect(bo.resv.isLocked()).toBe(false);
  });

  test('ttm_bo_vm_fault: prefault insert of page 2 fails → loop stops there, its OOM is returned', () => {
    const t = device();
    const bo = placedBo(t, 4, TTM_PL_TT);
    const vma = mmap(bo);
    vma.failInsertPages.add(2);
    expect(fault(t, vma, 0, FIRST)).toBe('OOM');
    expect(mappedPages(vma)).toEqual([0, 1]);
    expect(bo.resv.isLocked()).toBe(false);
  });

  test('ttm_bo_vm_fault: BO without a resource → the NULL dereference of ttm_mem_io_reserve(bdev, bo->resource), an oops naming bo->resource; the resv stays held as the dying task left it', () => {
    const t = device();
    const bo = kunitBo(t, 2 * PAGE_SIZE);
    const vma = mmap(bo);
    let oops: unknown = null;
    try {
      fault(t, vma, 0, FIRST);
    } catch (err) {
      oops = err;
    }
    expect(oops).toBeInstanceOf(KernelOops);
    const o = oops as KernelOops;
    expect([o.pointer, o.func, o.actor]).toEqual(['bo->resource', 'ttm_bo_vm_fault_reserved', bo.id]);
    expect(o.message).toBe(
      `BUG: kernel NULL pointer dereference: bo->resource of ${bo.id} is NULL in ttm_bo_vm_fault_reserved (ttm_mem_io_reserve(bdev, bo->resource))`,
    );
    expect(bo.resv.isLocked()).toBe(true);
    expect(vma.ptes.size).toBe(0);
  });
});

describe('ttm_bo_vm_fault: reservation contention (ttm_bo_vm_reserve)', () => {
  test('ttm_bo_vm_fault: resv held, allow retry → waits for the holder without keeping the lock, RETRY', () => {
    const t = device();
    const bo = placedBo(t, 2, TTM_PL_TT);
    const vma = mmap(bo);
    expect(bo.resv.trylock('task:holder')).toBe(true);
    let krefWhileWaiting = 0;
    const ret = fault(t, vma, 0, FIRST, {
      onLockContended: () => {
        krefWhileWaiting = bo.kref;
        bo.resv.unlock();
      },
    });
    expect(ret).toBe('RETRY');
    expect(krefWhileWaiting).toBe(3);
    expect(bo.kref).toBe(2);
    expect(bo.resv.isLocked()).toBe(false);
    expect(vma.ptes.size).toBe(0);
    expect(fault(t, vma, 0, NO_RETRY)).toBe('NOPAGE');
    expect(mappedPages(vma)).toEqual([0, 1]);
  });

  test('ttm_bo_vm_fault: resv held, allow retry + RETRY_NOWAIT → RETRY at once, no sleep, lock untouched', () => {
    const t = device();
    const bo = placedBo(t, 2, TTM_PL_TT);
    const vma = mmap(bo);
    expect(bo.resv.trylock('task:holder')).toBe(true);
    // Without an onLockContended hook a sleep would throw WouldSleepForever.
    expect(fault(t, vma, 0, NOWAIT)).toBe('RETRY');
    expect(bo.resv.lock.holder?.task).toBe('task:holder');
    expect(bo.kref).toBe(2);
    bo.resv.unlock();
  });

  test('ttm_bo_vm_fault: resv held, allow retry, signal during the wait → RETRY, lock not taken', () => {
    const t = device();
    const bo = placedBo(t, 2, TTM_PL_TT);
    const vma = mmap(bo);
    expect(bo.resv.trylock('task:holder')).toBe(true);
    expect(fault(t, vma, 0, FIRST, { signalPending: true })).toBe('RETRY');
    expect(bo.resv.lock.holder?.task).toBe('task:holder');
    expect(bo.kref).toBe(2);
    bo.resv.unlock();
  });

  test('ttm_bo_vm_fault: resv held, retry not allowed, signal → NOPAGE, no PTE, lock not taken', () => {
    const t = device();
    const bo = placedBo(t, 2, TTM_PL_TT);
    const vma = mmap(bo);
    expect(bo.resv.trylock('task:holder')).toBe(true);
    expect(fault(t, vma, 0, NO_RETRY, { signalPending: true })).toBe('NOPAGE');
    expect(vma.ptes.size).toBe(0);
    expect(bo.resv.lock.holder?.task).toBe('task:holder');
    bo.resv.unlock();
  });

  test('ttm_bo_vm_fault: resv held, retry not allowed → blocks until released, maps, NOPAGE, unlocks', () => {
    const t = device();
    const bo = placedBo(t, 2, TTM_PL_TT);
    const vma = mmap(bo);
    expect(bo.resv.trylock('task:holder')).toBe(true);
    const ret = fault(t, vma, 0, NO_RETRY, { onLockContended: () => bo.resv.unlock() });
    expect(ret).toBe('NOPAGE');
    expect(mappedPages(vma)).toEqual([0, 1]);
    expect(bo.resv.isLocked()).toBe(false);
  });
});

describe('ttm_bo_vm_fault: pipelined moves (ttm_bo_vm_fault_idle)', () => {
  function kernelFence(bo: BufferObject, usage = DmaResvUsage.KERNEL): DmaFence {
    const fence = new DmaFence(bo.bdev.env.nextId('fence-ctx') + 100, 1);
    expect(bo.resv.reserveFences(1)).toBe(0);
    bo.resv.addFence(fence, usage);
    return fence;
  }

  test('ttm_bo_vm_fault: unsignalled KERNEL fence, first attempt → waits, unlocks, RETRY; retry → NOPAGE', () => {
    const t = device();
    const bo = placedBo(t, 2, TTM_PL_TT);
    const fence = kernelFence(bo);
    const vma = mmap(bo);
    let lockedWhileWaiting = false;
    const ret = fault(t, vma, 0, FIRST, {
      onFenceWait: () => {
        lockedWhileWaiting = bo.resv.isLocked();
        fence.signal();
      },
    });
    expect(ret).toBe('RETRY');
    expect(lockedWhileWaiting).toBe(true);
    expect(bo.resv.isLocked()).toBe(false);
    expect(vma.ptes.size).toBe(0);
    expect(bo.kref).toBe(2);
    expect(fault(t, vma, 0, NO_RETRY)).toBe('NOPAGE');
    expect(mappedPages(vma)).toEqual([0, 1]);
  });

  test('ttm_bo_vm_fault: unsignalled KERNEL fence, RETRY_NOWAIT → RETRY at once, resv unlocked', () => {
    const t = device();
    const bo = placedBo(t, 2, TTM_PL_TT);
    const fence = kernelFence(bo);
    const vma = mmap(bo);
    expect(fault(t, vma, 0, NOWAIT)).toBe('RETRY');
    expect(fence.signaled).toBe(false);
    expect(bo.resv.isLocked()).toBe(false);
    expect(bo.kref).toBe(2);
  });

  test('ttm_bo_vm_fault: unsignalled KERNEL fence, retry not allowed → waits with the lock held, NOPAGE mapped', () => {
    const t = device();
    const bo = placedBo(t, 2, TTM_PL_TT);
    const fence = kernelFence(bo);
    const vma = mmap(bo);
    expect(fault(t, vma, 0, NO_RETRY, { onFenceWait: () => fence.signal() })).toBe('NOPAGE');
    expect(mappedPages(vma)).toEqual([0, 1]);
    expect(bo.resv.isLocked()).toBe(false);
  });

  test('ttm_bo_vm_fault: unsignalled KERNEL fence, retry not allowed, signal (-ERESTARTSYS) → NOPAGE, no PTE', () => {
    const t = device();
    const bo = placedBo(t, 2, TTM_PL_TT);
    kernelFence(bo);
    const vma = mmap(bo);
    expect(fault(t, vma, 0, NO_RETRY, { signalPending: true })).toBe('NOPAGE');
    expect(vma.ptes.size).toBe(0);
    expect(bo.resv.isLocked()).toBe(false);
  });

  test('ttm_bo_vm_fault: unsignalled KERNEL fence, retry not allowed, wait fails otherwise (-EIO) → SIGBUS', () => {
    const t = device();
    const bo = placedBo(t, 2, TTM_PL_TT);
    kernelFence(bo);
    const vma = mmap(bo);
    const gen = ttmBoVmFault(vma, 0, NO_RETRY);
    let step = gen.next(0);
    while (!step.done && step.value.kind !== 'fences') step = gen.next(0);
    expect(step.done).toBe(false);
    step = gen.next(-EIO);
    expect(step).toEqual({ done: true, value: 'SIGBUS' });
    expect(vma.ptes.size).toBe(0);
    expect(bo.resv.isLocked()).toBe(false);
  });

  test('ttm_bo_vm_fault: only a BOOKKEEP fence pending → no wait (faults wait for KERNEL only), NOPAGE', () => {
    const t = device();
    const bo = placedBo(t, 2, TTM_PL_TT);
    kernelFence(bo, DmaResvUsage.BOOKKEEP);
    const vma = mmap(bo);
    expect(fault(t, vma, 0, FIRST)).toBe('NOPAGE');
    expect(mappedPages(vma)).toEqual([0, 1]);
  });
});

describe('ttm_bo_vm_fault: unplugged device (ttm_bo_vm_dummy_page)', () => {
  test('drm_dev_unplug: zaps every CPU mapping of the device', () => {
    const t = device();
    const a = placedBo(t, 2, TTM_PL_TT);
    const b = placedBo(t, 2, TTM_PL_VRAM);
    const va = mmap(a);
    const vb = mmap(b);
    expect(fault(t, va, 0, FIRST)).toBe('NOPAGE');
    expect(fault(t, vb, 0, FIRST)).toBe('NOPAGE');
    runSync(t.env, drmDevUnplug(t.bdev));
    expect(t.bdev.unplugged).toBe(true);
    expect(va.ptes.size + vb.ptes.size).toBe(0);
  });

  test('ttm_bo_vm_fault: device unplugged → one zeroed dummy page over the whole VMA, NOPAGE, no populate', () => {
    const t = device();
    const bo = placedBo(t, 4, TTM_PL_SYSTEM);
    const vma = mmap(bo);
    runSync(t.env, drmDevUnplug(t.bdev));
    const ram = t.global.ram;
    const used = ram.usedPages;
    expect(fault(t, vma, 2, FIRST)).toBe('NOPAGE');
    expect(ram.usedPages).toBe(used + 1);
    expect(mappedPages(vma)).toEqual([0, 1, 2, 3]);
    const pfns = new Set([...vma.ptes.values()].map((p) => p.pfn));
    expect(pfns.size).toBe(1);
    const pfn = [...pfns][0]!;
    expect(ram.read(pfn)).toBe(0);
    for (const pte of vma.ptes.values())
      expect(pte).toEqual({ kind: 'dummy', pfn, memType: null, caching: 'cached' });
    expect(populate).not.toHaveBeenCalled();
    expect(bo.ttm?.isPopulated()).toBe(false);
    expect(bo.resv.isLocked()).toBe(false);
  });

  test('ttm_bo_vm_fault: device unplugged, no page for the dummy → OOM, resv unlocked', () => {
    const t = device();
    const bo = placedBo(t, 2, TTM_PL_SYSTEM);
    const vma = mmap(bo);
    runSync(t.env, drmDevUnplug(t.bdev));
    t.global.ram.failNextAllocs = 1;
    expect(fault(t, vma, 0, FIRST)).toBe('OOM');
    expect(vma.ptes.size).toBe(0);
    expect(bo.resv.isLocked()).toBe(false);
  });
});

describe('ttm_bo_unmap_virtual', () => {
  test('ttm_bo_unmap_virtual: two mappings with PTEs → every PTE of both zapped, other BOs untouched', () => {
    const t = device();
    const bo = placedBo(t, 4, TTM_PL_TT);
    const other = placedBo(t, 2, TTM_PL_TT);
    const v1 = mmap(bo);
    const v2 = mmap(bo);
    const v3 = mmap(other);
    expect(fault(t, v1, 0, FIRST)).toBe('NOPAGE');
    expect(fault(t, v2, 2, FIRST)).toBe('NOPAGE');
    expect(fault(t, v3, 0, FIRST)).toBe('NOPAGE');
    ttmBoUnmapVirtual(bo);
    expect(v1.ptes.size + v2.ptes.size).toBe(0);
    expect(v2.log.filter((e) => e.op === 'zap').map((e) => e.page)).toEqual([2, 3]);
    expect(mappedPages(v3)).toEqual([0, 1]);
  });

  test('ttm_bo_validate: TT → VRAM move zaps the PTEs first; the next fault maps the VRAM aperture', () => {
    const t = device();
    const bo = placedBo(t, 2, TTM_PL_TT);
    const vma = mmap(bo);
    expect(fault(t, vma, 0, FIRST)).toBe('NOPAGE');
    expect(vma.ptes.get(0)?.kind).toBe('page');
    expect(runSync(t.env, ttmBoReserve(bo, false, false, null))).toBe(0);
    const err = runSync(t.env, ttmBoValidate(bo, placementOf(place(TTM_PL_VRAM)), operationCtx()));
    expect(err).toBe(0);
    expect(vma.ptes.size).toBe(0);
    ttmBoUnreserve(bo);
    expect(fault(t, vma, 0, FIRST)).toBe('NOPAGE');
    expect(vma.ptes.get(0)).toEqual({
      kind: 'iomem',
      pfn: bo.resource!.start,
      memType: TTM_PL_VRAM,
      caching: 'cached',
    });
  });
});
