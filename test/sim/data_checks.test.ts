// The data checks (src/sim/data_checks.ts): each fires, with its id and the page, when a page's content
// is broken by hand after the event its contract covers; GPU jobs run after their dependencies; a
// scenario run verifies an exact number of pages.

import { describe, expect, test } from 'vitest';
import { runScenario } from '../../src/explore/run.ts';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitReserved,
  ttmBoPopulate,
  ttmBoValidate,
} from '../../src/kernel/bo.ts';
import { TTM_PL_TT, TTM_PL_VRAM } from '../../src/kernel/constants.ts';
import { currentPlace } from '../../src/kernel/content.ts';
import { TtmGlobal } from '../../src/kernel/device.ts';
import { FenceTimeline } from '../../src/kernel/fence.ts';
import { operationCtx, place, placementOf } from '../../src/kernel/placement.ts';
import { Ram } from '../../src/kernel/ram.ts';
import { createSimDevice, type SimDevice } from '../../src/kernel/simdrv.ts';
import { runSync, SyncEnv } from '../../src/kernel/sync.ts';
import { ttmTtSwapout } from '../../src/kernel/tt.ts';
import { DATA_CHECKS, dataWord, PageData } from '../../src/sim/data_checks.ts';
import type { Breach } from '../../src/sim/scenario.ts';
import { small } from '../../src/sim/scenarios/small.ts';
import { Sim } from '../../src/sim/sim.ts';

const PAGES = 4;

interface Setup {
  env: SyncEnv;
  dev: SimDevice;
  global: TtmGlobal;
  bo: BufferObject;
  data: PageData;
  breaches: Breach[];
}

/** A 4-page device BO created in TT (pages from the pool), tracked as fresh zeros. */
function setup(): Setup {
  const env = new SyncEnv();
  const global = new TtmGlobal(new Ram(256));
  const dev = createSimDevice(env, global, 'device:0', { vramBytes: 64 * 4096, ttBytes: 64 * 4096 });
  const bo = newBufferObject(dev.bdev, PAGES * 4096);
  const ctx = operationCtx();
  const tt = placementOf(place(TTM_PL_TT));
  expect(runSync(env, ttmBoInitReserved(dev.bdev, bo, 'device', tt, 1, ctx, null, null, null))).toBe(0);
  expect(runSync(env, ttmBoPopulate(bo, ctx))).toBe(0);
  const breaches: Breach[] = [];
  const data = new PageData(breaches, () => 7);
  data.track(bo, 'zero');
  return { env, dev, global, bo, data, breaches };
}

function readAll(s: Setup): boolean[] {
  const where = currentPlace(s.bo)!;
  return Array.from({ length: PAGES }, (_, i) => s.data.verifyAt(s.bo, where, i, 'task:test'));
}

function frameOf(bo: BufferObject, page: number): number {
  return bo.ttm!.pages![page] as number;
}

describe('DATA_CHECKS catalogue', () => {
  test('four checks, each evaluated at the read (step) with an upstream source', () => {
    expect(DATA_CHECKS.map((c) => [c.id, c.when])).toEqual([
      ['data.fresh-zero', 'step'],
      ['data.move', 'step'],
      ['data.swap-restore', 'step'],
      ['data.resident', 'step'],
    ]);
    for (const c of DATA_CHECKS) {
      expect(c.upstream.length).toBeGreaterThan(0);
      for (const u of c.upstream) expect(u.file).toMatch(/^(drivers\/gpu\/drm\/ttm|include\/linux)\//);
    }
  });

  test('dataWord: never zero, distinct over 8 BOs × 16 pages × 8 generations', () => {
    const seen = new Set<number>();
    for (let key = 0; key < 8; key += 1)
      for (let page = 0; page < 16; page += 1)
        for (let gen = 1; gen <= 8; gen += 1) {
          const w = dataWord(key, page, gen);
          expect(w).not.toBe(0);
          seen.add(w);
        }
    expect(seen.size).toBe(8 * 16 * 8);
  });
});

describe('each data check fires when its content is broken by hand', () => {
  test('data.fresh-zero: a fresh pool page not cleared → breach on that page only', () => {
    const s = setup();
    s.global.ram.write(frameOf(s.bo, 2), 0xdead);
    expect(readAll(s)).toEqual([true, true, false, true]);
    expect(s.breaches.map((b) => b.id)).toEqual(['data.fresh-zero']);
    expect(s.breaches[0]!.message).toBe(
      `${s.bo.id} page 2: CPU read at step 7 reads 0000dead, expected zeros`,
    );
    expect(s.data.stats.pagesVerified).toBe(4);
  });

  test('data.move: a page corrupted after a GPU copy TT → VRAM → breach on page 1', () => {
    const s = setup();
    expect(s.data.cpuWriteAll(s.bo, currentPlace(s.bo)!)).toBe(true);
    expect(runSync(s.env, ttmBoValidate(s.bo, placementOf(place(TTM_PL_VRAM)), operationCtx()))).toBe(0);
    expect(s.bo.resource!.memType).toBe(TTM_PL_VRAM);
    for (const f of s.env.submitted) f.signal();
    s.dev.vram.content![s.bo.resource!.start + 1] = 0;
    expect(readAll(s)).toEqual([true, false, true, true]);
    expect(s.breaches.map((b) => b.id)).toEqual(['data.move']);
    expect(s.breaches[0]!.message).toBe(
      `${s.bo.id} page 1: CPU read at step 7 reads zeros, expected ${dataWord(0, 1, 1).toString(16).padStart(8, '0')} (${s.bo.id} page 1 generation 1)`,
    );
  });

  test('data.move: read before the copy fence signalled (an illegal read) sees the data missing', () => {
    const s = setup();
    s.data.cpuWriteAll(s.bo, currentPlace(s.bo)!);
    expect(runSync(s.env, ttmBoValidate(s.bo, placementOf(place(TTM_PL_VRAM)), operationCtx()))).toBe(0);
    expect(s.env.submitted.length).toBe(1);
    expect(readAll(s).filter((ok) => !ok).length).toBeGreaterThan(0);
    expect(new Set(s.breaches.map((b) => b.id))).toEqual(new Set(['data.move']));
  });

  test('data.swap-restore: a page zeroed after ttm_tt_swapout and swapin → breach on page 3', () => {
    const s = setup();
    s.data.cpuWriteAll(s.bo, currentPlace(s.bo)!);
    const before = frameOf(s.bo, 3);
    expect(ttmTtSwapout(s.dev.bdev, s.bo.ttm!)).toBe(PAGES);
    // Frames freed by the swapout are taken first by something else, so the swapin gets others.
    const hog = s.global.ram.allocPages(2);
    expect(runSync(s.env, ttmBoPopulate(s.bo, operationCtx()))).toBe(0);
    expect(frameOf(s.bo, 3)).not.toBe(before);
    s.global.ram.write(frameOf(s.bo, 3), 0);
    expect(readAll(s)).toEqual([true, true, true, false]);
    expect(s.breaches.map((b) => b.id)).toEqual(['data.swap-restore']);
    expect(s.breaches[0]!.message).toMatch(
      new RegExp(`^${s.bo.id} page 3: CPU read at step 7 reads zeros, expected`),
    );
    s.global.ram.freeBlock(hog);
  });

  test('data.resident: a page overwritten in place by another word → breach naming whose word it is', () => {
    const s = setup();
    s.data.cpuWriteAll(s.bo, currentPlace(s.bo)!);
    s.global.ram.write(frameOf(s.bo, 0), dataWord(0, 2, 1));
    expect(readAll(s)).toEqual([false, true, true, true]);
    expect(s.breaches.map((b) => b.id)).toEqual(['data.resident']);
    expect(s.breaches[0]!.message).toContain(
      `reads ${dataWord(0, 2, 1).toString(16).padStart(8, '0')} (${s.bo.id} page 2 generation 1)`,
    );
  });

  test('a broken page is reported once: the next read of the same word passes', () => {
    const s = setup();
    s.global.ram.write(frameOf(s.bo, 1), 5);
    readAll(s);
    readAll(s);
    expect(s.breaches.length).toBe(1);
    expect(s.data.stats.pagesVerified).toBe(8);
  });

  test('fresh device memory is not judged: its first read becomes what it must hold', () => {
    const s = setup();
    s.data.cpuWriteAll(s.bo, currentPlace(s.bo)!);
    const other = newBufferObject(s.dev.bdev, PAGES * 4096);
    const vram = placementOf(place(TTM_PL_VRAM));
    expect(
      runSync(
        s.env,
        ttmBoInitReserved(s.dev.bdev, other, 'device', vram, 1, operationCtx(), null, null, null),
      ),
    ).toBe(0);
    s.data.track(other, 'unknown');
    const where = currentPlace(other)!;
    s.dev.vram.content![other.resource!.start] = 99;
    expect(s.data.verifyAt(other, where, 0, 'task:test')).toBe(true);
    expect(s.data.stats.pagesUnjudged).toBe(1);
    s.dev.vram.content![other.resource!.start] = 98;
    expect(s.data.verifyAt(other, where, 0, 'task:test')).toBe(false);
    expect(s.breaches.map((b) => b.id)).toEqual(['data.resident']);
  });
});

describe('GPU jobs', () => {
  test('a job depends on the fences its BOs hold, reads every page after them and writes generation 2', () => {
    const s = setup();
    s.data.cpuWriteAll(s.bo, currentPlace(s.bo)!);
    expect(runSync(s.env, ttmBoValidate(s.bo, placementOf(place(TTM_PL_VRAM)), operationCtx()))).toBe(0);
    const copy = s.env.submitted[0]!;
    const job = new FenceTimeline(s.env, 'gfx').emit();
    s.data.gpuJob([s.bo], job, 'task:render');
    expect(job.deps).toEqual([copy]);
    expect(job.pendingDep()).toBe(copy);
    copy.signal();
    expect(job.pendingDep()).toBeNull();
    job.signal();
    expect(s.breaches).toEqual([]);
    expect(s.data.stats).toMatchObject({ gpuJobs: 1, gpuPagesWritten: 4, pagesVerified: 4 });
    const where = currentPlace(s.bo)!;
    expect(s.dev.vram.content![where.res.start + 2]).toBe(dataWord(0, 2, 2));
    expect(readAll(s)).toEqual([true, true, true, true]);
  });

  test('the ring signals a job only after its dependency and after the job before it (seeds 0..19)', () => {
    let deferred = 0;
    for (let seed = 0n; seed < 20n; seed += 1n) {
      const sim = new Sim({ seed, keepTrace: true });
      const a = new FenceTimeline(sim.env, 'copy');
      const b = new FenceTimeline(sim.env, 'gfx');
      const order: string[] = [];
      const fa = a.emit();
      const fb1 = b.emit();
      fb1.deps = [fa];
      const fb2 = b.emit();
      for (const f of [fa, fb1, fb2]) f.onSignal(() => order.push(f.id));
      sim.run(100);
      expect(order.indexOf(fa.id)).toBeLessThan(order.indexOf(fb1.id));
      expect(order.indexOf(fb1.id)).toBeLessThan(order.indexOf(fb2.id));
      expect(order.length).toBe(3);
      if (sim.trace.lines().some((l) => l.includes(`"src":"gpu:${b.context}"`))) deferred += 1;
    }
    expect(deferred).toBeGreaterThan(0);
  });
});

describe('a scenario run reads back every page it checks', () => {
  test('small seed 0: exact pages verified and written, no data breach', () => {
    // The workload's own checks only (the per-step oracles are judged by their own tests).
    const r = runScenario(small(), { seed: 0n, oracles: false });
    expect(r.failure).toBeNull();
    expect([
      r.stats.pagesVerified,
      r.stats.cpuPagesWritten,
      r.stats.gpuJobs,
      r.stats.gpuPagesWritten,
    ]).toEqual([44, 0, 9, 52]);
  });
});
