// The shrinker-contract rules of src/kernel/rules/xe_shrinker.ts (scan only after a non-empty count, with
// nr_to_scan > 0; xe_shrinker_count's value; the walk skipping no BO it could take): holding on the
// model's xe shrinker, and each firing when broken.

import { describe, expect, test } from 'vitest';
import { SwapSpace } from '../../src/kernel/backup.ts';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitReserved,
  ttmBoPopulate,
  ttmBoUnreserve,
} from '../../src/kernel/bo.ts';
import { PAGE_SIZE, TTM_PL_SYSTEM, TTM_PL_TT } from '../../src/kernel/constants.ts';
import { TtmGlobal } from '../../src/kernel/device.ts';
import { DmaFence } from '../../src/kernel/fence.ts';
import { operationCtx, place, placementOf } from '../../src/kernel/placement.ts';
import { SHRINK_EMPTY, SHRINK_STOP } from '../../src/kernel/pool_type.ts';
import { Ram } from '../../src/kernel/ram.ts';
import { DmaResvUsage } from '../../src/kernel/resv.ts';
import { checkXeShrinkerCount, checkXeShrinkerWalkSkips } from '../../src/kernel/rules/xe_shrinker.ts';
import { XeShrinker } from '../../src/kernel/shrinker.ts';
import { createSimDevice } from '../../src/kernel/simdrv.ts';
import { runSync, SyncEnv } from '../../src/kernel/sync.ts';

function world(swapPages = 4096) {
  const env = new SyncEnv();
  const global = new TtmGlobal(new Ram(1024), new SwapSpace(swapPages));
  const dev = createSimDevice(env, global, 'device:0', {
    vramBytes: 64 * PAGE_SIZE,
    ttBytes: 64 * PAGE_SIZE,
    style: 'xe',
  });
  return { env, global, dev, shrinker: new XeShrinker(dev) };
}
type World = ReturnType<typeof world>;

/** A SYSTEM BO of `pages` pages, populated unless `populated` is false, unreserved; busy with a fence if asked. */
function systemBo(w: World, pages: number, populated = true, busy = false): BufferObject {
  const bo = newBufferObject(w.dev.bdev, pages * PAGE_SIZE);
  const sys = placementOf(place(TTM_PL_SYSTEM));
  expect(
    runSync(w.env, ttmBoInitReserved(w.dev.bdev, bo, 'device', sys, 1, operationCtx(), null, null, null)),
  ).toBe(0);
  if (populated) expect(runSync(w.env, ttmBoPopulate(bo, operationCtx()))).toBe(0);
  if (busy) {
    expect(bo.resv.reserveFences(1)).toBe(0);
    bo.resv.addFence(new DmaFence(1000 + w.env.nextId('fence-ctx'), 1), DmaResvUsage.WRITE);
  }
  ttmBoUnreserve(bo);
  return bo;
}

const DIRECT = { gfpFs: true, gfpIo: false, kswapd: false } as const;

describe('the shrinker rules hold on the model', () => {
  test('count: 4 + 8 shrinkable, 2 purgeable, an unpopulated BO not counted; a scan of 6 backs up what it can', () => {
    const w = world();
    const a = systemBo(w, 4);
    systemBo(w, 8);
    const p = systemBo(w, 2);
    systemBo(w, 16, false);
    w.dev.xe!.purgeable.add(p);
    expect(w.shrinker.count({ nrToScan: 6, ...DIRECT })).toBe(14);
    expect(w.shrinker.count({ nrToScan: 6, ...DIRECT, gfpFs: false })).toBe(2);
    expect(runSync(w.env, w.shrinker.scan({ nrToScan: 6, ...DIRECT }))).toBe(6);
    expect(a.ttm!.isBackedUp()).toBe(true);
    expect(w.global.ruleBroken).toBeNull();
  });

  test('direct reclaim over BOs all busy on the GPU: SHRINK_STOP, and no rule broken (the walk may not wait)', () => {
    const w = world();
    systemBo(w, 4, true, true);
    systemBo(w, 4, true, true);
    expect(runSync(w.env, w.shrinker.scan({ nrToScan: 8, ...DIRECT }))).toBe(SHRINK_STOP);
    expect(w.global.ruleBroken).toBeNull();
  });

  test("swap space for 2 of a BO's 4 pages: count says 2, the page-by-page backup frees 2, no rule broken", () => {
    const w = world(2);
    systemBo(w, 4);
    expect(w.shrinker.count({ nrToScan: 4, ...DIRECT })).toBe(2);
    expect(runSync(w.env, w.shrinker.scan({ nrToScan: 4, ...DIRECT }))).toBe(2);
    expect(w.global.ruleBroken).toBeNull();
  });
});

describe('the shrinker rules fire', () => {
  test('shrinker.scan.after-count: a scan with nr_to_scan 0', () => {
    const w = world();
    systemBo(w, 4);
    runSync(w.env, w.shrinker.scan({ nrToScan: 0, ...DIRECT }));
    expect(w.global.ruleBroken?.rule.id).toBe('shrinker.scan.after-count');
    expect(w.global.ruleBroken?.actor).toBe('device:0/shrinker');
    expect(w.global.ruleBroken?.message).toBe(
      "a shrinker's scan_objects is called only after its count_objects reported freeable objects (neither 0 nor SHRINK_EMPTY), with nr_to_scan > 0: scanned with nr_to_scan 0 while count_objects reports 4",
    );
  });

  test('shrinker.scan.after-count: a scan while count_objects reports SHRINK_EMPTY', () => {
    const w = world();
    runSync(w.env, w.shrinker.scan({ nrToScan: 4, ...DIRECT }));
    expect(
      w.global.ruleBroken?.message.endsWith(
        'scanned with nr_to_scan 4 while count_objects reports SHRINK_EMPTY',
      ),
    ).toBe(true);
  });

  test('xe.shrinker.count: a count that includes an unpopulated tt', () => {
    const w = world();
    systemBo(w, 4);
    systemBo(w, 16, false);
    const men = [w.dev.bdev.manager(TTM_PL_SYSTEM)!, w.dev.bdev.manager(TTM_PL_TT)!];
    checkXeShrinkerCount(w.global, 'device:0/shrinker', men, () => false, true, 4096, 20, SHRINK_EMPTY);
    expect(w.global.ruleBroken?.rule.id).toBe('xe.shrinker.count');
    expect(
      w.global.ruleBroken?.message.endsWith(
        'returned 20, but the LRUs hold 0 purgeable and 4 shrinkable pages (backup space 4096 pages, __GFP_FS true)',
      ),
    ).toBe(true);
  });

  test('xe.shrinker.walk-skips: a SHRINK_STOP scan that handed nothing to xe_bo_shrink while an idle BO was free', () => {
    const w = world();
    const bo = systemBo(w, 4);
    const men = [w.dev.bdev.manager(TTM_PL_SYSTEM)!, w.dev.bdev.manager(TTM_PL_TT)!];
    const audit = { turns: 0, handed: [], passes: 2, interrupted: false };
    checkXeShrinkerWalkSkips(w.global, 'device:0/shrinker', men, operationCtx({ noWaitGpu: true }), audit);
    expect(w.global.ruleBroken?.rule.id).toBe('xe.shrinker.walk-skips');
    expect(w.global.ruleBroken?.actor).toBe('device:0/shrinker');
    expect(w.global.ruleBroken?.message.endsWith(`${bo.id} (4 pages) was never handed to xe_bo_shrink`)).toBe(
      true,
    );
  });

  test('xe.shrinker.walk-skips: not judged after a scheduling point, nor for a BO handed over', () => {
    const w = world();
    const bo = systemBo(w, 4);
    const men = [w.dev.bdev.manager(TTM_PL_SYSTEM)!];
    const ctx = operationCtx({ noWaitGpu: true });
    checkXeShrinkerWalkSkips(w.global, 'device:0/shrinker', men, ctx, {
      turns: 1,
      handed: [],
      passes: 1,
      interrupted: false,
    });
    checkXeShrinkerWalkSkips(w.global, 'device:0/shrinker', men, ctx, {
      turns: 0,
      handed: [bo.id],
      passes: 1,
      interrupted: false,
    });
    expect(w.global.ruleBroken).toBeNull();
  });
});
