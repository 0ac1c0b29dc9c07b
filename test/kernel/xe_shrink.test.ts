// The shape of xe's shrink KUnit test (drivers/gpu/drm/xe/tests/xe_bo.c, xe_bo_shrink_kunit): fill more
// than the machine's RAM with BOs of seeded content, mark some purgeable, let reclaim (the pool shrinker
// and the xe-style BO shrinker) make room, then restore every BO with -EINTR injected at seeded points
// and check every page: content intact for the others, cleared for the purged ones; and at the end no
// frame and no swap slot is left behind.

import { describe, expect, test } from 'vitest';
import { Rng } from '../../src/engine/prng.ts';
import { SwapSpace } from '../../src/kernel/backup.ts';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitReserved,
  ttmBoPopulate,
  ttmBoPut,
  ttmBoReserve,
  ttmBoUnreserve,
} from '../../src/kernel/bo.ts';
import { PAGE_SIZE, TTM_PL_SYSTEM } from '../../src/kernel/constants.ts';
import { currentPlace, readPage, writePage } from '../../src/kernel/content.ts';
import { TtmGlobal } from '../../src/kernel/device.ts';
import { EINTR, ENOMEM } from '../../src/kernel/errno.ts';
import { operationCtx, place, placementOf } from '../../src/kernel/placement.ts';
import { ttmPoolShrinkerScan } from '../../src/kernel/pool_type.ts';
import { pageContent, Ram } from '../../src/kernel/ram.ts';
import { reclaim, XeShrinker } from '../../src/kernel/shrinker.ts';
import { createSimDevice } from '../../src/kernel/simdrv.ts';
import { runSync, SyncEnv } from '../../src/kernel/sync.ts';

const RAM_PAGES = 1024;
const BO_PAGES = 64;
const BOS = 24; // 1536 pages: one and a half times the RAM

function world(seed: bigint) {
  const env = new SyncEnv();
  const global = new TtmGlobal(new Ram(RAM_PAGES), new SwapSpace(8 * RAM_PAGES));
  const dev = createSimDevice(env, global, 'device:0', {
    vramBytes: 64 * PAGE_SIZE,
    ttBytes: 64 * PAGE_SIZE,
    style: 'xe',
  });
  return { env, global, dev, shrinker: new XeShrinker(dev), rng: Rng.fromSeed(seed) };
}

type World = ReturnType<typeof world>;

/** Populate (resv held), reclaiming as kswapd would whenever the page allocator fails; counts -EINTR. */
function populate(w: World, bo: BufferObject): { interrupts: number; reclaims: number } {
  let interrupts = 0;
  let reclaims = 0;
  for (;;) {
    const ret = runSync(w.env, ttmBoPopulate(bo, operationCtx({ interruptible: true })));
    if (ret === 0) return { interrupts, reclaims };
    if (ret === -EINTR) {
      interrupts += 1;
      continue;
    }
    expect(ret).toBe(-ENOMEM);
    reclaims += 1;
    const freed = runSync(
      w.env,
      reclaim(w.dev, w.shrinker, { nrToScan: BO_PAGES, gfpFs: true, gfpIo: true, kswapd: true }),
    );
    expect(freed).toBeGreaterThan(0);
  }
}

function pageWords(bo: BufferObject): (number | null)[] {
  const where = currentPlace(bo)!;
  return Array.from({ length: BO_PAGES }, (_, i) => readPage(bo, where, i));
}

describe('xe_bo_shrink_kunit shape', () => {
  for (const seed of [1n, 2n, 3n]) {
    test(`seed ${seed}: 24 BOs × 64 pages in 1024 pages of RAM, every third purgeable → contents intact or cleared, nothing leaked`, () => {
      const w = world(seed);
      const bos: BufferObject[] = [];
      let reclaims = 0;
      for (let i = 0; i < BOS; i += 1) {
        const bo = newBufferObject(w.dev.bdev, BO_PAGES * PAGE_SIZE);
        const sys = placementOf(place(TTM_PL_SYSTEM));
        expect(
          runSync(
            w.env,
            ttmBoInitReserved(w.dev.bdev, bo, 'device', sys, 1, operationCtx(), null, null, null),
          ),
        ).toBe(0);
        reclaims += populate(w, bo).reclaims;
        const where = currentPlace(bo)!;
        for (let p = 0; p < BO_PAGES; p += 1)
          expect(writePage(bo, where, p, pageContent(bo.id, p, Number(seed)))).toBe(true);
        ttmBoUnreserve(bo);
        if (i % 3 === 2) w.dev.xe!.purgeable.add(bo);
        bos.push(bo);
      }
      expect(reclaims).toBeGreaterThan(0);
      expect(w.shrinker.stats.backedUp).toBeGreaterThan(0);
      expect(w.shrinker.stats.purged).toBeGreaterThan(0);

      let injected = 0;
      let interrupts = 0;
      for (const bo of bos) {
        expect(runSync(w.env, ttmBoReserve(bo, false, false, null))).toBe(0);
        const wasPurged = w.dev.xe!.purgeable.has(bo) && bo.ttm!.isBackedUp();
        if (bo.ttm!.isBackedUp() && !wasPurged && w.rng.chance(1, 2)) {
          w.global.swap.interruptAfterReads = w.rng.int(0, BO_PAGES - 1);
          injected += 1;
        }
        interrupts += populate(w, bo).interrupts;
        w.global.swap.interruptAfterReads = null;
        const expected = Array.from({ length: BO_PAGES }, (_, p) =>
          wasPurged ? 0 : pageContent(bo.id, p, Number(seed)),
        );
        expect(pageWords(bo), bo.id).toEqual(expected);
        ttmBoUnreserve(bo);
      }
      expect(interrupts).toBe(injected);
      expect(injected).toBeGreaterThan(0);
      // Deterministic totals of both phases (the injected signals do not change what is reclaimed).
      expect(w.shrinker.stats).toEqual({ purged: 960, backedUp: 1152, busy: 168 });

      for (const bo of bos) runSync(w.env, ttmBoPut(bo));
      w.env.flushWork();
      ttmPoolShrinkerScan(w.global.poolMgr, RAM_PAGES);
      expect(w.global.ram.usedPages).toBe(0);
      expect(w.global.swap.usedPages).toBe(0);
      expect(w.global.boCount).toBe(0);
    });
  }
});
