// Tests of the object invariants added to the per-step oracles (src/explore/oracles/): for each, a
// hand-built world (test/explore/oracles/worlds.ts, or a small one built here) where exactly that rule
// is broken, and the oracle reports exactly its id, actor and message; where no earlier oracle sees the
// breach, checkAll reports it too.

import { describe, expect, test } from 'vitest';
import {
  checkAll,
  checkBulkRange,
  checkIommuMappings,
  checkPageCaching,
  checkPinCount,
  checkResourceFields,
  checkTtPageAccounting,
  checkTtState,
  checkWwHeld,
} from '../../../src/explore/oracles/index.ts';
import { SwapSpace } from '../../../src/kernel/backup.ts';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitValidate,
  ttmBoPin,
  ttmBoPopulate,
  ttmBoReserve,
  ttmBoSetBulkMove,
  ttmBoUnpin,
  ttmBoUnreserve,
} from '../../../src/kernel/bo.ts';
import {
  PAGE_SIZE,
  TTM_PL_TT,
  TTM_PL_VRAM,
  TTM_TT_FLAG_PRIV_POPULATED,
} from '../../../src/kernel/constants.ts';
import { TtmGlobal } from '../../../src/kernel/device.ts';
import { listMove, listMoveTail } from '../../../src/kernel/list.ts';
import { operationCtx, place, placementOf } from '../../../src/kernel/placement.ts';
import { Ram } from '../../../src/kernel/ram.ts';
import { LruBulkMove, listNameOf, ttmLruBulkMoveTail } from '../../../src/kernel/resource.ts';
import { createSimDevice, type SimDevice } from '../../../src/kernel/simdrv.ts';
import { runSync, SyncEnv } from '../../../src/kernel/sync.ts';
import { WwAcquireCtx } from '../../../src/kernel/ww_mutex.ts';
import { amdWorld } from './worlds.ts';

interface SmallWorld {
  readonly env: SyncEnv;
  readonly global: TtmGlobal;
  readonly dev: SimDevice;
}

function smallWorld(iommuPages?: number): SmallWorld {
  const env = new SyncEnv();
  const global = new TtmGlobal(new Ram(512), new SwapSpace(64));
  const dev = createSimDevice(env, global, 'device:0', {
    vramBytes: 32 * PAGE_SIZE,
    ttBytes: 32 * PAGE_SIZE,
    ...(iommuPages === undefined ? {} : { iommuPages }),
  });
  return { env, global, dev };
}

function makeBo(w: SmallWorld, memType: number, pages: number): BufferObject {
  const bo = newBufferObject(w.dev.bdev, pages * PAGE_SIZE);
  const ret = runSync(
    w.env,
    ttmBoInitValidate(w.dev.bdev, bo, 'device', placementOf(place(memType)), 1, false, null),
  );
  expect(ret).toBe(0);
  return bo;
}

/** Three VRAM BOs: a and b in one bulk move (a range a..b on VRAM lru0), c on its own. */
function bulkWorld(): SmallWorld & { a: BufferObject; b: BufferObject; c: BufferObject; bulk: LruBulkMove } {
  const w = smallWorld();
  const bulk = new LruBulkMove();
  const a = makeBo(w, TTM_PL_VRAM, 2);
  const c = makeBo(w, TTM_PL_VRAM, 2);
  const b = makeBo(w, TTM_PL_VRAM, 2);
  for (const bo of [a, b]) {
    expect(runSync(w.env, ttmBoReserve(bo, false, true, null))).toBe(0);
    ttmBoSetBulkMove(bo, bulk);
    ttmBoUnreserve(bo);
  }
  return { ...w, a, b, c, bulk };
}

describe('accounting.tt-pages', () => {
  test('ttm_pages_allocated one page over the populated tts → the counter vs their pages; a tt being populated under its resv may be counted', () => {
    const w = amdWorld();
    expect(w.global.ttmPagesAllocated).toBe(4);
    w.global.ttmPagesAllocated += 1;
    const want = {
      oracle: 'accounting.tt-pages',
      kind: 'correctness',
      actor: 'ttm',
      message: 'ttm_pages_allocated is 5, but populated non-EXTERNAL tts hold 4 pages',
    };
    expect(checkTtPageAccounting(w.global)).toEqual(want);
    expect(checkAll([w.global])).toEqual(want);
    w.global.ttmPagesAllocated = 3;
    expect(checkTtPageAccounting(w.global)?.message).toBe(
      'ttm_pages_allocated is 3, but populated non-EXTERNAL tts hold 4 pages',
    );
  });

  test('a tt counted but not yet populated: allowed under its BO’s resv, a breach once the resv is free; the DMA32 count likewise', () => {
    const w = smallWorld();
    const bo = makeBo(w, TTM_PL_TT, 3);
    expect(w.global.ttmPagesAllocated).toBe(3);
    expect(runSync(w.env, ttmBoReserve(bo, false, true, null))).toBe(0);
    bo.ttm!.pageFlags &= ~TTM_TT_FLAG_PRIV_POPULATED;
    bo.ttm!.pages!.fill(null);
    expect(checkTtPageAccounting(w.global)).toBeNull();
    ttmBoUnreserve(bo);
    expect(checkTtPageAccounting(w.global)).toEqual({
      oracle: 'accounting.tt-pages',
      kind: 'correctness',
      actor: 'ttm',
      message: 'ttm_pages_allocated is 3, but populated non-EXTERNAL tts hold 0 pages',
    });
    w.global.ttmPagesAllocated = 0;
    w.global.ttmDma32PagesAllocated = 2;
    expect(checkTtPageAccounting(w.global)?.message).toBe(
      'ttm_dma32_pages_allocated is 2, but populated non-EXTERNAL tts of DMA32 pools hold 0 pages',
    );
  });
});

describe('pin.count', () => {
  test('a zombie still pinned → deleted but pinned', () => {
    const w = amdWorld();
    w.pinned.deleted = true;
    const want = {
      oracle: 'pin.count',
      kind: 'correctness',
      actor: 'bo:2',
      message: 'bo:2 is a zombie (deleted) but pinned (count 1)',
    };
    expect(checkPinCount(w.global)).toEqual(want);
    expect(checkAll([w.global])).toEqual(want);
  });

  test('pin_count below zero → its count; a ghost pinned → a ghost of its BO', () => {
    const w = amdWorld();
    w.vramBo.pinCount = -1;
    expect(checkPinCount(w.global)?.message).toBe('bo:0 has pin_count -1');
    expect(checkAll([w.global])?.oracle).toBe('pin.count');
    w.vramBo.pinCount = 0;
    w.pinned.ghostOf = w.vramBo;
    expect(checkPinCount(w.global)?.message).toBe('bo:2 is a ghost of bo:0 but pinned (count 1)');
  });
});

describe('resource.fields', () => {
  test('placement flags outside TTM_PL_FLAG_* → the flags', () => {
    const w = amdWorld();
    (w.vramBo.resource as { placement: number }).placement = 0x100;
    const want = {
      oracle: 'resource.fields',
      kind: 'correctness',
      actor: 'res:0',
      message: 'res:0 has placement flags 0x100',
    };
    expect(checkResourceFields(w.global)).toEqual(want);
    expect(checkAll([w.global])).toEqual(want);
  });

  test('size other than its BO’s, a start off its allocator node, a resource past the manager’s end', () => {
    const w = amdWorld();
    const res = w.pinned.resource!;
    res.size += PAGE_SIZE;
    expect(checkResourceFields(w.global)?.message).toBe('res:2 has size 12288 B, but its bo:2 has 8192 B');
    res.size -= PAGE_SIZE;
    res.start += 1;
    expect(checkResourceFields(w.global)?.message).toBe('res:2 (pages 5+2) has allocator node 4+2');
    res.start = 63;
    res.node = { start: 63, size: 2 };
    expect(checkResourceFields(w.global)?.message).toBe(
      "res:2 covers pages 63..64, outside device:0/man2's 64 pages",
    );
  });
});

describe('lru.bulk-range', () => {
  test('the hand-built bulk move holds every invariant', () => {
    const w = bulkWorld();
    const pos = w.bulk.pos[TTM_PL_VRAM]![0]!;
    expect([pos.first?.id, pos.last?.id]).toEqual([w.a.resource!.id, w.b.resource!.id]);
    expect(checkAll([w.global])).toBeNull();
  });

  test('a resource of another BO spliced into the range → not this bulk move’s', () => {
    const w = bulkWorld();
    listMove(w.c.resource!.lru, w.a.resource!.lru);
    const want = {
      oracle: 'lru.bulk-range',
      kind: 'correctness',
      actor: 'bo:1',
      message:
        'bulk move (vram, priority 0): res:1 in the range belongs to bo:1, which does not use this bulk move',
    };
    expect(checkBulkRange(w.global)).toEqual(want);
    expect(checkAll([w.global])).toEqual(want);
  });

  test('last cleared → first without last; last pulled back to first → a member outside its range', () => {
    const w = bulkWorld();
    const pos = w.bulk.pos[TTM_PL_VRAM]![0]!;
    const last = pos.last;
    pos.last = null;
    expect(checkBulkRange(w.global)?.message).toBe(
      'bulk move (vram, priority 0): first is res:0, last is NULL',
    );
    pos.last = pos.first;
    expect(checkBulkRange(w.global)).toEqual({
      oracle: 'lru.bulk-range',
      kind: 'correctness',
      actor: 'bo:2',
      message: "res:2 of bo:2 is on device:0/man2 lru0 outside its bulk move's (vram, priority 0) range",
    });
    // c to the front of VRAM lru0 (c, a, b), then the range reversed: b..a.
    listMove(w.c.resource!.lru, w.dev.vram.lru[0]!);
    pos.first = last;
    pos.last = w.a.resource;
    expect(checkBulkRange(w.global)?.message).toBe(
      'bulk move (vram, priority 0): walking on from first res:2 reaches the head of device:0/man2 lru0 before last res:0',
    );
  });
});

describe('lru.bulk-range and lru.placement: a resource unpinned into an empty bulk range', () => {
  test('stays on the unevictable list as the whole range (ttm_lru_bulk_move_add does not move it): both accept it, as the kernel leaves it', () => {
    const w = smallWorld();
    const bulk = new LruBulkMove();
    const s = makeBo(w, TTM_PL_VRAM, 2);
    expect(runSync(w.env, ttmBoReserve(s, false, true, null))).toBe(0);
    ttmBoPin(s);
    ttmBoSetBulkMove(s, bulk);
    ttmBoUnpin(s);
    ttmBoUnreserve(s);
    const pos = bulk.pos[TTM_PL_VRAM]![0]!;
    expect([pos.first?.id, pos.last?.id, listNameOf(s.resource!)]).toEqual(['res:0', 'res:0', 'unevictable']);
    expect(w.global.ruleBroken).toBeNull();
    expect(checkAll([w.global])).toBeNull();
    ttmLruBulkMoveTail(bulk);
    expect(listNameOf(s.resource!)).toBe('lru0');
    expect(checkAll([w.global])).toBeNull();
  });

  test('a range on another manager’s LRU → on neither its LRU nor the unevictable list', () => {
    const w = bulkWorld();
    for (const bo of [w.a, w.b]) listMoveTail(bo.resource!.lru, w.dev.tt.lru[0]!);
    expect(checkBulkRange(w.global)?.message).toBe(
      'bulk move (vram, priority 0): the range res:0..res:2 is on neither device:0/man2 lru0 nor device:0 unevictable',
    );
  });
});

describe('tt.state', () => {
  test('a page array longer than num_pages → slots vs num_pages', () => {
    const w = amdWorld();
    w.ttBo.ttm!.pages!.push(null);
    const want = {
      oracle: 'tt.state',
      kind: 'correctness',
      actor: 'bo:1',
      message: 'tt:0 has 5 page slots for num_pages 4',
    };
    expect(checkTtState(w.global)).toEqual(want);
    expect(checkAll([w.global])).toEqual(want);
  });

  test('populated with an empty slot, unpopulated with pages, populated and SWAPPED; none judged while the resv is held', () => {
    const w = amdWorld();
    const tt = w.ttBo.ttm!;
    const frame = tt.pages![1];
    tt.pages![1] = null;
    expect(checkTtState(w.global)?.message).toBe('tt:0 is populated but slot 1 of 4 holds no page');
    expect(runSync(w.env, ttmBoReserve(w.ttBo, false, true, null))).toBe(0);
    expect(checkTtState(w.global)).toBeNull();
    ttmBoUnreserve(w.ttBo);
    tt.pages![1] = frame!;
    tt.pageFlags &= ~TTM_TT_FLAG_PRIV_POPULATED;
    expect(checkTtState(w.global)?.message).toBe(
      `tt:0 is no state flags (not populated) but slot 0 holds frame ${tt.pages![0]}`,
    );
    tt.pageFlags |= TTM_TT_FLAG_PRIV_POPULATED | 1;
    expect(checkTtState(w.global)?.message).toBe(
      'tt:0 is SWAPPED|PRIV_POPULATED: a populated tt is neither swapped nor backed up',
    );
  });
});

describe('pages.caching', () => {
  test('a page of the write-combined tt back to write-back → the slot and its caching; a pooled WC page set to write-back → the pool type', () => {
    const w = amdWorld();
    const frame = w.ttBo.ttm!.pages![1] as number;
    expect(w.global.ram.getCaching(frame)).toBe('wc');
    w.global.ram.setCaching(frame, 1, 'wb');
    const want = {
      oracle: 'pages.caching',
      kind: 'correctness',
      actor: 'bo:1',
      message: `tt:0 (write_combined) slot 1 holds frame ${frame}, which is wb`,
    };
    expect(checkPageCaching(w.global)).toEqual(want);
    expect(checkAll([w.global])).toEqual(want);
    const v = amdWorld();
    const pt = v.global.poolMgr.shrinkerList.find((t) => t.pages.length > 0)!;
    v.global.ram.setCaching(pt.pages[0]!, 1, 'wb');
    expect(checkPageCaching(v.global)?.message).toBe(
      `frame ${pt.pages[0]} pooled in global write_combined order ${pt.order} is wb`,
    );
  });
});

describe('ww.held', () => {
  test('a ticket counting a lock it does not hold → acquired above the locks held', () => {
    const w = amdWorld();
    const ctx = new WwAcquireCtx(7, 'task:a');
    expect(w.vramBo.resv.lock.attempt('task:a', ctx, false)).toBe(0);
    expect(checkWwHeld(w.global)).toBeNull();
    ctx.acquired += 1;
    const want = {
      oracle: 'ww.held',
      kind: 'correctness',
      actor: 'task:a',
      message: 'ticket 7 of task:a holds 1 locks (bo:0/resv) but counts 2',
    };
    expect(checkWwHeld(w.global)).toEqual(want);
    expect(checkAll([w.global])).toEqual(want);
  });
});

describe('iommu.mappings', () => {
  function iommuWorld(): SmallWorld & { bo: BufferObject } {
    const w = smallWorld(64);
    const bo = makeBo(w, TTM_PL_TT, 3);
    expect(runSync(w.env, ttmBoReserve(bo, false, true, null))).toBe(0);
    expect(runSync(w.env, ttmBoPopulate(bo, operationCtx()))).toBe(0);
    ttmBoUnreserve(bo);
    return { ...w, bo };
  }

  test('the populated tt’s DMA addresses translate to its pages → null; one pointed elsewhere → the slot', () => {
    const w = iommuWorld();
    const tt = w.bo.ttm!;
    expect(tt.dmaAddress).not.toBeNull();
    expect(w.dev.bdev.iommu!.mappingCount).toBeGreaterThan(0);
    expect(checkAll([w.global])).toBeNull();
    tt.dmaAddress![2] = 40;
    const want = {
      oracle: 'iommu.mappings',
      kind: 'correctness',
      actor: 'bo:0',
      message: `tt:0 slot 2 holds frame ${tt.pages![2]} but DMA address 40 (unmapped), via iommu:device:0`,
    };
    expect(checkIommuMappings(w.global)).toEqual(want);
    expect(checkAll([w.global])).toEqual(want);
  });

  test('a mapped frame freed behind the mapping → maps a free frame', () => {
    const w = iommuWorld();
    const tt = w.bo.ttm!;
    const frame = tt.pages![0] as number;
    const iova = tt.dmaAddress![0]!;
    w.global.ram.freeBlock(frame);
    expect(checkIommuMappings(w.global)).toEqual({
      oracle: 'iommu.mappings',
      kind: 'correctness',
      actor: 'iommu:device:0',
      message: `iommu:device:0 maps IOVA ${iova} for device:0 to frame ${frame}, which RAM holds as free`,
    });
  });
});
