// The manager's pipelined-eviction fences as "drm/ttm: rework pipelined eviction fence handling" (7.0)
// has them: TTM_NUM_MOVE_FENCES slots per manager, one per fence context (ttm_bo_move_pipeline_evict),
// every one added to a new user of the manager's memory (ttm_bo_add_pipelined_eviction_fences) after
// ttm_bo_alloc_resource reserved that many fence slots, and every one waited for by
// ttm_resource_manager_evict_all. The form before it (one man->move) runs only with the mutation that
// lives in it, move-fence-no-put.

import { describe, expect, test } from 'vitest';
import {
  type BufferObject,
  MUTATION_MOVE_FENCE_NO_PUT,
  moveFenceSlots,
  olderMoveFenceForm,
  ttmBoAddPipelinedEvictionFences,
  ttmBoReserve,
  ttmBoUnreserve,
  ttmBoValidate,
  ttmResourceManagerEvictAll,
} from '../../src/kernel/bo.ts';
import { ttmBoMoveAccelCleanup } from '../../src/kernel/bo_util.ts';
import { TTM_PL_SYSTEM, TTM_PL_TT, TTM_PL_VRAM } from '../../src/kernel/constants.ts';
import { EBUSY } from '../../src/kernel/errno.ts';
import { type DmaFence, FenceTimeline } from '../../src/kernel/fence.ts';
import { operationCtx, place, placementOf } from '../../src/kernel/placement.ts';
import { TTM_NUM_MOVE_FENCES, ttmResourceAlloc } from '../../src/kernel/resource.ts';
import { DmaResvUsage } from '../../src/kernel/resv.ts';
import { runSync } from '../../src/kernel/sync.ts';
import { ttmResourceManagerCleanup } from '../../src/kernel/teardown.ts';
import { placedBo, run, type SimWorld, simWorld } from './fault_fixtures.ts';

/** Evict `bo` (in VRAM) to SYSTEM behind `fence`, pipelined: the VRAM node is freed at once. */
function pipelinedEvict(w: SimWorld, bo: BufferObject, fence: DmaFence): void {
  expect(run(w, ttmBoReserve(bo, false, false, null))).toBe(0);
  const mem = ttmResourceAlloc(bo, place(TTM_PL_SYSTEM));
  if (typeof mem === 'number') throw new Error(`alloc ${mem}`);
  // ttm_bo_handle_move_mem reserves the slot the move's fence takes on the BO.
  expect(bo.resv.reserveFences(1)).toBe(0);
  expect(run(w, ttmBoMoveAccelCleanup(bo, fence, true, true, mem))).toBe(0);
  ttmBoUnreserve(bo);
}

function ids(fences: readonly (DmaFence | null)[]): (string | null)[] {
  return fences.map((f) => (f === null ? null : f.id));
}

describe('eviction-fence slots (ttm_bo_move_pipeline_evict)', () => {
  test('8 slots; a fence takes the first free slot, a later one of its context replaces it, an earlier one does not', () => {
    const w = simWorld();
    const vram = w.dev.bdev.manager(TTM_PL_VRAM)!;
    expect(TTM_NUM_MOVE_FENCES).toBe(8);
    expect(ids(vram.evictionFences)).toEqual([null, null, null, null, null, null, null, null]);
    const a = new FenceTimeline(w.env, 'copy-a');
    const b = new FenceTimeline(w.env, 'copy-b');
    const a1 = a.emit();
    const a2 = a.emit();
    const b1 = b.emit();
    pipelinedEvict(w, placedBo(w, 1, TTM_PL_VRAM), a1);
    pipelinedEvict(w, placedBo(w, 1, TTM_PL_VRAM), b1);
    expect(ids(vram.evictionFences.slice(0, 3))).toEqual([a1.id, b1.id, null]);
    pipelinedEvict(w, placedBo(w, 1, TTM_PL_VRAM), a2);
    expect(ids(vram.evictionFences.slice(0, 3))).toEqual([a2.id, b1.id, null]);
    pipelinedEvict(w, placedBo(w, 1, TTM_PL_VRAM), a1);
    expect(ids(vram.evictionFences.slice(0, 3))).toEqual([a2.id, b1.id, null]);
    expect(vram.move).toBe(a2);
    expect(vram.usage).toBe(0);
    expect(w.global.ruleBroken).toBeNull();
  });

  test('a ninth context finds every slot taken: WARN "not enough fence slots", the fence is waited for, no slot changes', () => {
    const w = simWorld();
    const vram = w.dev.bdev.manager(TTM_PL_VRAM)!;
    const fences: DmaFence[] = [];
    for (let i = 0; i < 9; i += 1) fences.push(new FenceTimeline(w.env, `copy-${i}`).emit());
    for (let i = 0; i < 8; i += 1) pipelinedEvict(w, placedBo(w, 1, TTM_PL_VRAM), fences[i]!);
    expect(w.global.ruleBroken).toBeNull();
    expect(fences.map((f) => f.signaled)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    pipelinedEvict(w, placedBo(w, 1, TTM_PL_VRAM), fences[8]!);
    expect(fences[8]!.signaled).toBe(true);
    expect(ids(vram.evictionFences)).toEqual(ids(fences.slice(0, 8)));
    expect(w.global.ruleBroken?.rule.id).toBe('bo-util.pipeline-evict.fence-slots');
    expect(w.global.ruleBroken?.actor).toBe(vram.id);
    expect(w.global.ruleBroken?.message).toBe(
      `a pipelined eviction finds a slot for its fence: drivers evict with at most TTM_NUM_MOVE_FENCES fence contexts per manager: ${fences[8]!.id} finds all 8 slots held by other contexts`,
    );
  });
});

describe('ttm_bo_add_pipelined_eviction_fences and ttm_bo_alloc_resource', () => {
  test('every slot fence is added to the new user as KERNEL; no_wait_gpu with one unsignalled → -EBUSY', () => {
    const w = simWorld();
    const vram = w.dev.bdev.manager(TTM_PL_VRAM)!;
    const a1 = new FenceTimeline(w.env, 'copy-a').emit();
    const b1 = new FenceTimeline(w.env, 'copy-b').emit();
    vram.evictionFences[0] = a1;
    vram.evictionFences[3] = b1;
    const bo = placedBo(w, 1, TTM_PL_SYSTEM);
    expect(run(w, ttmBoReserve(bo, false, false, null))).toBe(0);
    expect(bo.resv.reserveFences(TTM_NUM_MOVE_FENCES)).toBe(0);
    expect(ttmBoAddPipelinedEvictionFences(bo, vram, true)).toBe(-EBUSY);
    expect(bo.resv.fencesFor(DmaResvUsage.KERNEL)).toEqual([]);
    a1.signal();
    expect(ttmBoAddPipelinedEvictionFences(bo, vram, true)).toBe(-EBUSY);
    b1.signal();
    expect(ttmBoAddPipelinedEvictionFences(bo, vram, true)).toBe(0);
    const c1 = new FenceTimeline(w.env, 'copy-c').emit();
    const d1 = new FenceTimeline(w.env, 'copy-d').emit();
    vram.evictionFences[0] = c1;
    vram.evictionFences[7] = d1;
    expect(ttmBoAddPipelinedEvictionFences(bo, vram, false)).toBe(0);
    expect(ids(bo.resv.fencesFor(DmaResvUsage.KERNEL))).toEqual([c1.id, d1.id]);
    // 8 reserved, 3 taken (b1 is signalled and pruned from the list but took its slot), none asked again.
    expect(bo.resv.slotsReserved).toBe(5);
    ttmBoUnreserve(bo);
  });

  test('validate into VRAM behind two contexts: the BO carries both fences; 8 slots reserved for the move', () => {
    const w = simWorld();
    const vram = w.dev.bdev.manager(TTM_PL_VRAM)!;
    const a1 = new FenceTimeline(w.env, 'copy-a').emit();
    const b1 = new FenceTimeline(w.env, 'copy-b').emit();
    vram.evictionFences[0] = a1;
    vram.evictionFences[1] = b1;
    const bo = placedBo(w, 1, TTM_PL_TT);
    expect(run(w, ttmBoReserve(bo, false, false, null))).toBe(0);
    expect(moveFenceSlots(w.global)).toBe(8);
    expect(run(w, ttmBoValidate(bo, placementOf(place(TTM_PL_VRAM)), operationCtx()))).toBe(0);
    expect(bo.resource!.memType).toBe(TTM_PL_VRAM);
    // The copy (TT → VRAM) syncs to the resv: it depends on both eviction fences.
    const kernel = bo.resv.fencesFor(DmaResvUsage.KERNEL);
    expect(kernel.slice(0, 2)).toEqual([a1, b1]);
    ttmBoUnreserve(bo);
  });
});

describe('ttm_resource_manager_evict_all and ttm_resource_manager_cleanup', () => {
  test('evict_all waits for every unsignalled slot fence, slot by slot; cleanup empties the slots', () => {
    const w = simWorld();
    const vram = w.dev.bdev.manager(TTM_PL_VRAM)!;
    const fences = [0, 1, 2].map((i) => new FenceTimeline(w.env, `copy-${i}`).emit());
    vram.evictionFences[0] = fences[0]!;
    vram.evictionFences[2] = fences[1]!;
    vram.evictionFences[5] = fences[2]!;
    fences[1]!.signal();
    const waited: string[][] = [];
    const ret = runSync(w.env, ttmResourceManagerEvictAll(w.dev.bdev, vram), {
      onFenceWait: (fs) => {
        waited.push(fs.map((f) => f.id));
        for (const f of fs) f.signal();
      },
    });
    expect(ret).toBe(0);
    expect(waited).toEqual([[fences[0]!.id], [fences[2]!.id]]);
    ttmResourceManagerCleanup(vram);
    expect(ids(vram.evictionFences)).toEqual([null, null, null, null, null, null, null, null]);
    expect(vram.move).toBeNull();
  });
});

describe('the form before the slots (move-fence-no-put)', () => {
  test('one fence in slot 0, replaced by any fence once it has signalled; 1 slot reserved', () => {
    const w = simWorld();
    w.global.mutations = new Set([MUTATION_MOVE_FENCE_NO_PUT]);
    expect(olderMoveFenceForm(w.global)).toBe(true);
    expect(moveFenceSlots(w.global)).toBe(1);
    const vram = w.dev.bdev.manager(TTM_PL_VRAM)!;
    const a1 = new FenceTimeline(w.env, 'copy-a').emit();
    const b1 = new FenceTimeline(w.env, 'copy-b').emit();
    pipelinedEvict(w, placedBo(w, 1, TTM_PL_VRAM), a1);
    pipelinedEvict(w, placedBo(w, 1, TTM_PL_VRAM), b1);
    // dma_fence_is_later across contexts is false: b1 is dropped while a1 runs.
    expect(ids(vram.evictionFences.slice(0, 2))).toEqual([a1.id, null]);
    a1.signal();
    pipelinedEvict(w, placedBo(w, 1, TTM_PL_VRAM), b1);
    expect(ids(vram.evictionFences.slice(0, 2))).toEqual([b1.id, null]);
    expect(w.global.ruleBroken).toBeNull();
  });
});
