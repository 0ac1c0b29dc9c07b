// Tests of src/kernel/rules/placement.ts: where a resource lands (ttm_bo_validate's places, drm_mm's insert
// modes in ttm_range_man_alloc), what a ghost copies (ttm_buffer_object_transfer), and a closed VMA's PTEs.
// For each rule the state a correct kernel leaves passes, and a hand-made state that breaks exactly that
// rule is recorded on the world as its first broken rule, with the rule's id, actor and message.

import { describe, expect, test } from 'vitest';
import { SwapSpace } from '../../../src/kernel/backup.ts';
import { type BufferObject, newBufferObject, ttmBoInitValidate } from '../../../src/kernel/bo.ts';
import { ttmBufferObjectTransfer } from '../../../src/kernel/bo_util.ts';
import { CpuMapping, ttmBoMmapObj, ttmBoVmClose, ttmBoVmFault } from '../../../src/kernel/bo_vm.ts';
import {
  PAGE_SIZE,
  TTM_PL_FLAG_CONTIGUOUS,
  TTM_PL_FLAG_DESIRED,
  TTM_PL_FLAG_TOPDOWN,
  TTM_PL_TT,
  TTM_PL_VRAM,
} from '../../../src/kernel/constants.ts';
import { TtmGlobal } from '../../../src/kernel/device.ts';
import { place, placementOf } from '../../../src/kernel/placement.ts';
import { Ram } from '../../../src/kernel/ram.ts';
import type { RangeNode } from '../../../src/kernel/range_allocator.ts';
import {
  type RangeManager,
  ttmResourceAlloc,
  ttmResourceCompatible,
  ttmResourceFree,
  ttmResourceIntersects,
} from '../../../src/kernel/resource.ts';
import {
  checkGhostCopy,
  checkIomemFault,
  checkRangeAlloc,
  checkResourceCompatible,
  checkResourceIntersects,
  checkValidatePlace,
  checkVmClosed,
  PLACEMENT_RULES,
} from '../../../src/kernel/rules/placement.ts';
import { KERNEL_RULES } from '../../../src/kernel/rules.ts';
import { createSimDevice, type SimDevice } from '../../../src/kernel/simdrv.ts';
import { runSync, SyncEnv } from '../../../src/kernel/sync.ts';

interface World {
  readonly env: SyncEnv;
  readonly global: TtmGlobal;
  readonly dev: SimDevice;
  /** 2 pages in VRAM, at page 0. */
  readonly vram: BufferObject;
}

function world(): World {
  const env = new SyncEnv();
  const global = new TtmGlobal(new Ram(512), new SwapSpace(64));
  const dev = createSimDevice(env, global, 'device:0', {
    vramBytes: 32 * PAGE_SIZE,
    ttBytes: 32 * PAGE_SIZE,
  });
  const vram = newBufferObject(dev.bdev, 2 * PAGE_SIZE);
  const p = placementOf(place(TTM_PL_VRAM));
  expect(runSync(env, ttmBoInitValidate(dev.bdev, vram, 'device', p, 1, false, null))).toBe(0);
  expect(global.ruleBroken).toBeNull();
  return { env, global, dev, vram };
}

function broken(g: TtmGlobal): { id: string; actor: string; message: string } | null {
  const b = g.ruleBroken;
  return b === null ? null : { id: b.rule.id, actor: b.actor, message: b.message };
}

describe('PLACEMENT_RULES', () => {
  test('seven return checks with one-line upstream text, all in KERNEL_RULES', () => {
    expect(PLACEMENT_RULES.map((r) => r.id)).toEqual([
      'bo.validate.post-place',
      'range.alloc.where',
      'ghost.transfer.copy',
      'vm.close.no-ptes',
      'vm.fault.iomem-no-populate',
      'resource.intersects.returns',
      'resource.compatible.returns',
    ]);
    for (const r of PLACEMENT_RULES) {
      expect(r.when).toBe('return');
      expect(KERNEL_RULES).toContain(r);
      for (const u of r.upstream) expect(u.text).not.toContain('\n');
    }
  });
});

describe('bo.validate.post-place', () => {
  test('a resource inside a place holds; outside fpfn, of another type, or not CONTIGUOUS breaks it', () => {
    const w = world();
    checkValidatePlace(w.vram, placementOf(place(TTM_PL_TT), place(TTM_PL_VRAM, 0, 0, 2)));
    expect(broken(w.global)).toBeNull();
    checkValidatePlace(w.vram, placementOf(place(TTM_PL_VRAM, 0, 4, 0)));
    expect(broken(w.global)).toEqual({
      id: 'bo.validate.post-place',
      actor: 'bo:0',
      message:
        'ttm_bo_validate returning 0 with places: the resource lies in one of them (its memory type; for a range node, inside [fpfn, lpfn); CONTIGUOUS if the place asks for it): res:0 (type 2, flags 0x0, pages 0..1) lies in none of {type 2, flags 0x0, fpfn 4, lpfn 0}',
    });
    const v = world();
    checkValidatePlace(v.vram, placementOf(place(TTM_PL_VRAM, 0, 0, 1)));
    expect(broken(v.global)?.message).toContain('lies in none of {type 2, flags 0x0, fpfn 0, lpfn 1}');
    const u = world();
    checkValidatePlace(u.vram, placementOf(place(TTM_PL_TT), place(TTM_PL_VRAM, TTM_PL_FLAG_CONTIGUOUS)));
    expect(broken(u.global)?.message).toContain('{type 1, flags 0x0, fpfn 0, lpfn 0}, {type 2, flags 0x1');
  });
});

describe('range.alloc.where', () => {
  const A: RangeNode = { start: 0, size: 2 };
  const B: RangeNode = { start: 6, size: 2 };
  const run = (flags: number, node: RangeNode, fpfn = 0, lpfn = 0, align = 1) => {
    const w = world();
    checkRangeAlloc(
      w.vram,
      place(TTM_PL_VRAM, flags, fpfn, lpfn),
      [A, node, B].sort((x, y) => x.start - y.start),
      32,
      node,
      2,
      align,
    );
    return broken(w.global);
  };

  test('BEST: the bottom of the smallest gap that fits holds; a larger gap or not its bottom breaks it', () => {
    expect(run(0, { start: 2, size: 2 })).toBeNull();
    expect(run(0, { start: 8, size: 2 })).toEqual({
      id: 'range.alloc.where',
      actor: 'bo:0',
      message:
        'ttm_range_man_alloc returning a node: num_pages pages inside [fpfn, lpfn or the manager size), start aligned; TOPDOWN: no aligned fit above it in the range (DRM_MM_INSERT_HIGH); otherwise at the bottom of its hole and no smaller hole in the range fits (DRM_MM_INSERT_BEST): node in a gap of 24 pages, but gap 2..5 (4 pages) fits',
    });
    expect(run(0, { start: 3, size: 2 })?.message).toContain('node at 3, not at the bottom of its gap 2..5');
    // Within [8, 32) the only gap is 8..31: its bottom holds.
    expect(run(0, { start: 8, size: 2 }, 8)).toBeNull();
  });

  test('TOPDOWN: the highest aligned fit holds; a lower one breaks it', () => {
    expect(run(TTM_PL_FLAG_TOPDOWN, { start: 30, size: 2 })).toBeNull();
    expect(run(TTM_PL_FLAG_TOPDOWN, { start: 2, size: 2 })?.message).toContain(
      'TOPDOWN node at 2, but 2 pages fit at 30',
    );
    expect(run(TTM_PL_FLAG_TOPDOWN, { start: 12, size: 2 }, 0, 14)).toBeNull();
    expect(run(TTM_PL_FLAG_TOPDOWN, { start: 28, size: 2 }, 0, 0, 4)).toBeNull();
  });

  test('outside the range, misaligned, over another node or of the wrong size breaks it', () => {
    expect(run(0, { start: 8, size: 2 }, 10)?.message).toContain('node 8..9 outside [10, 32)');
    expect(run(TTM_PL_FLAG_TOPDOWN, { start: 30, size: 2 }, 0, 16)?.message).toContain('outside [0, 16)');
    expect(run(0, { start: 2, size: 2 }, 0, 0, 4)?.message).toContain('node start 2 not aligned to 4');
    expect(run(0, { start: 5, size: 2 })?.message).toContain('node 5..6 overlaps another');
    expect(run(0, { start: 2, size: 3 })?.message).toContain('a node of 3 pages for 2');
  });

  test('the range manager keeps it through ttm_resource_alloc: TOPDOWN at the top, BEST in the smallest gap', () => {
    const w = world();
    const man = w.dev.bdev.manager(TTM_PL_VRAM) as RangeManager;
    const top = ttmResourceAlloc(w.vram, place(TTM_PL_VRAM, TTM_PL_FLAG_TOPDOWN));
    expect(typeof top === 'number' ? top : top.start).toBe(30);
    const low = ttmResourceAlloc(w.vram, place(TTM_PL_VRAM, 0, 3, 9));
    expect(typeof low === 'number' ? low : low.start).toBe(3);
    expect(man.mm.allocated.map((n) => n.start)).toEqual([0, 3, 30]);
    if (typeof top !== 'number') ttmResourceFree(w.vram, top);
    if (typeof low !== 'number') ttmResourceFree(w.vram, low);
    expect(broken(w.global)).toBeNull();
  });
});

describe('ghost.transfer.copy', () => {
  test('a ghost of the BO holds; a ghost of another priority or pinned breaks it', () => {
    const w = world();
    const res = w.vram.resource;
    w.vram.priority = 1;
    const ghost = ttmBufferObjectTransfer(w.vram);
    if (typeof ghost === 'number') throw new Error(`transfer failed with ${ghost}`);
    expect(ghost.priority).toBe(1);
    expect(ghost.resource).toBe(res);
    expect(broken(w.global)).toBeNull();
    ghost.priority = 0;
    checkGhostCopy(w.vram, ghost, res);
    expect(broken(w.global)).toEqual({
      id: 'ghost.transfer.copy',
      actor: 'bo:0',
      message: `ttm_buffer_object_transfer returning a ghost: a copy of the BO (device, size, type, priority, page alignment, its old resource), unpinned, its own resv held by the caller: ${ghost.id} has priority 0, bo:0 1`,
    });
    const v = world();
    const vres = v.vram.resource;
    const g2 = ttmBufferObjectTransfer(v.vram);
    if (typeof g2 === 'number') throw new Error(`transfer failed with ${g2}`);
    g2.pinCount = 1;
    checkGhostCopy(v.vram, g2, vres);
    expect(broken(v.global)?.message).toContain(`${g2.id} has pin_count 1`);
  });
});

describe('vm.close.no-ptes', () => {
  test('ttm_bo_vm_close leaves no PTE; a VMA keeping one breaks it', () => {
    const w = world();
    const vma = ttmBoMmapObj(w.vram);
    if (!(vma instanceof CpuMapping)) throw new Error(`mmap failed with ${vma}`);
    vma.ptes.set(0, { kind: 'iomem', pfn: 0, memType: TTM_PL_VRAM, caching: 'write_combined' });
    runSync(w.env, ttmBoVmClose(vma));
    expect(vma.ptes.size).toBe(0);
    expect(broken(w.global)).toBeNull();
    const v = world();
    const kept = ttmBoMmapObj(v.vram);
    if (!(kept instanceof CpuMapping)) throw new Error(`mmap failed with ${kept}`);
    kept.ptes.set(1, { kind: 'iomem', pfn: 1, memType: TTM_PL_VRAM, caching: 'write_combined' });
    v.vram.mappings.delete(kept);
    v.dev.bdev.vmas.delete(kept);
    checkVmClosed(kept);
    expect(broken(v.global)).toEqual({
      id: 'vm.close.no-ptes',
      actor: 'bo:0',
      message: `after ttm_bo_vm_close a VMA has no PTE left and is on no mapping list of its BO or device: ${kept.id} keeps 1 PTE(s)`,
    });
  });
});

describe('vm.fault.iomem-no-populate', () => {
  test('a fault on VRAM holds; a tt populated across an iomem fault breaks it', () => {
    const w = world();
    const vma = ttmBoMmapObj(w.vram);
    if (!(vma instanceof CpuMapping)) throw new Error(`mmap failed with ${vma}`);
    const flags = { allowRetry: true, retryNowait: false, interruptible: true };
    expect(runSync(w.env, ttmBoVmFault(vma, 0, flags))).toBe('NOPAGE');
    expect(vma.ptes.get(0)?.kind).toBe('iomem');
    expect(broken(w.global)).toBeNull();
    const tt = newBufferObject(w.dev.bdev, PAGE_SIZE);
    const ttPlace = placementOf(place(TTM_PL_TT));
    expect(runSync(w.env, ttmBoInitValidate(w.dev.bdev, tt, 'device', ttPlace, 1, false, null))).toBe(0);
    expect(tt.ttm?.isPopulated()).toBe(true);
    w.vram.ttm = tt.ttm;
    checkIomemFault(w.vram, true);
    expect(broken(w.global)).toBeNull();
    checkIomemFault(w.vram, false);
    expect(broken(w.global)).toEqual({
      id: 'vm.fault.iomem-no-populate',
      actor: 'bo:0',
      message: `ttm_bo_vm_fault_reserved on a BO whose resource is iomem (a manager without tts) populates no tt: only the non-iomem branch calls ttm_tt_populate: ${tt.ttm!.id} was populated by a fault on res:0 (type 2, iomem)`,
    });
  });
});

describe('resource.intersects.returns', () => {
  test('the model’s answers hold; a wrong answer for an overlapping or a disjoint range breaks it', () => {
    const w = world();
    const res = w.vram.resource!;
    expect(res.node).toEqual({ start: 0, size: 2 });
    const bdev = w.dev.bdev;
    expect(ttmResourceIntersects(bdev, res, place(TTM_PL_VRAM), w.vram.size)).toBe(true);
    expect(ttmResourceIntersects(bdev, res, place(TTM_PL_VRAM, 0, 1, 8), w.vram.size)).toBe(true);
    expect(ttmResourceIntersects(bdev, res, place(TTM_PL_VRAM, 0, 2, 8), w.vram.size)).toBe(false);
    expect(ttmResourceIntersects(bdev, res, place(TTM_PL_VRAM, 0, 0, 0), w.vram.size)).toBe(true);
    expect(broken(w.global)).toBeNull();
    expect(checkResourceIntersects(w.global, res, place(TTM_PL_VRAM, 0, 2, 8), false)).toBe(false);
    expect(broken(w.global)).toBeNull();
    expect(checkResourceIntersects(w.global, res, place(TTM_PL_VRAM), false)).toBe(false);
    expect(broken(w.global)).toEqual({
      id: 'resource.intersects.returns',
      actor: res.id,
      message: `ttm_resource_intersects returns true exactly when some page of the resource lies in [fpfn, lpfn) of the place (lpfn 0: up to the end); for a manager without a range, always true: returned false for ${res.id} (pages 0..1) and {type 2, flags 0x0, fpfn 0, lpfn 0}`,
    });
  });
});

describe('resource.compatible.returns', () => {
  test('the model’s answers hold; true for a range outside lpfn, or for a DESIRED place while evicting, breaks it', () => {
    const w = world();
    const res = w.vram.resource!;
    const inside = placementOf(place(TTM_PL_VRAM, 0, 0, 2));
    const beyond = placementOf(place(TTM_PL_VRAM, 0, 1, 0));
    const desired = placementOf(place(TTM_PL_VRAM, TTM_PL_FLAG_DESIRED));
    expect(ttmResourceCompatible(res, inside, false)).toBe(true);
    expect(ttmResourceCompatible(res, beyond, false)).toBe(false);
    expect(ttmResourceCompatible(res, desired, false)).toBe(true);
    expect(ttmResourceCompatible(res, desired, true)).toBe(false);
    expect(broken(w.global)).toBeNull();
    checkResourceCompatible(w.global, res, beyond, false, true);
    expect(broken(w.global)).toEqual({
      id: 'resource.compatible.returns',
      actor: res.id,
      message: `ttm_resource_compatible returns true exactly when the resource is not TEMPORARY and lies in a place of the placement that this pass does not skip (DESIRED places when evicting, FALLBACK places otherwise): its memory type, CONTIGUOUS if asked, inside [fpfn, lpfn): returned true for ${res.id} (type 2, flags 0x0, pages 0..1) and {type 2, flags 0x0, fpfn 1, lpfn 0}`,
    });
    const v = world();
    checkResourceCompatible(v.global, v.vram.resource!, desired, true, true);
    expect(broken(v.global)?.message).toContain(' evicting and {type 2, flags 0x8, fpfn 0, lpfn 0}');
  });
});
