// pool-dma32: two devices share one machine's page pools. device:0 addresses all of RAM; device:1 only
// its first `dma32Pages` (a DMA32 device: its pool allocates with GFP_DMA32 and pools in the global DMA32
// types). device:1 keeps a framebuffer in low memory for the whole run; device:0 populates write-combined
// BOs and puts them (their pages stay pooled, some of them above the DMA32 limit); device:1 populates
// write-combined BOs round after round. Every page a device:1 tt holds must be below the DMA32 limit. At
// the end every BO is put and nothing may be left (no BO, no frame once the pools are drained, no lock).

import type { Rng } from '../../engine/prng.ts';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitReserved,
  ttmBoPopulate,
  ttmBoPut,
  ttmBoUnreserve,
} from '../../kernel/bo.ts';
import { PAGE_SIZE, TTM_PL_SYSTEM } from '../../kernel/constants.ts';
import { TtmGlobal } from '../../kernel/device.ts';
import type { KGen } from '../../kernel/env.ts';
import { operationCtx, place, placementOf } from '../../kernel/placement.ts';
import {
  NUMA_NO_NODE,
  Pool,
  SHRINK_STOP,
  TTM_ALLOCATION_POOL_USE_DMA32,
  ttmPoolShrinkerScan,
} from '../../kernel/pool.ts';
import { Ram } from '../../kernel/ram.ts';
import { createSimDevice, type SimDevice } from '../../kernel/simdrv.ts';
import { ttmTtPfn } from '../../kernel/tt.ts';
import type { Breach, Scenario, Workload } from '../scenario.ts';
import type { Sim } from '../sim.ts';
import { Completion, checkErrno, leakChecks } from './swap_checks.ts';

export interface PoolDma32Config {
  readonly ramPages: number;
  /** Frames below this are DMA32-addressable. */
  readonly dma32Pages: number;
  /** device:1's framebuffer, kept for the whole run. */
  readonly framebufferPages: number;
  /** device:0: rounds of `bos` BOs of `boPages`, populated then put. */
  readonly rounds0: number;
  readonly bos0: number;
  /** device:1: rounds of `bos` BOs of `boPages`, populated, checked, then put. */
  readonly rounds1: number;
  readonly bos1: number;
  readonly minBoPages: number;
  readonly maxBoPages: number;
}

const DEFAULTS: PoolDma32Config = {
  ramPages: 128,
  dma32Pages: 64,
  framebufferPages: 16,
  rounds0: 2,
  bos0: 4,
  rounds1: 3,
  bos1: 2,
  minBoPages: 8,
  maxBoPages: 16,
};

const SYSTEM_ONLY = placementOf(place(TTM_PL_SYSTEM));

interface Counters {
  populated0: number;
  populated1: number;
  failed: number;
  directReclaims: number;
}

export function poolDma32(overrides: Partial<PoolDma32Config> = {}, name = 'pool-dma32'): Scenario {
  const cfg: PoolDma32Config = { ...DEFAULTS, ...overrides };
  return {
    name,
    summary: `${cfg.ramPages} pages of RAM, ${cfg.dma32Pages} of them DMA32; a DMA32 device and a 64-bit device populating write-combined BOs through the shared page pools`,
    config: { scenario: 'pool-dma32', ...cfg },
    build(sim: Sim, rng: Rng): Workload {
      const global = new TtmGlobal(new Ram(cfg.ramPages, cfg.dma32Pages));
      sim.adopt(global);
      global.ttmPagesLimit = cfg.ramPages;
      global.ttmDma32PagesLimit = cfg.ramPages;
      const c: Counters = { populated0: 0, populated1: 0, failed: 0, directReclaims: 0 };
      const make = (id: string): SimDevice =>
        createSimDevice(sim.env, global, id, {
          vramBytes: 16 * PAGE_SIZE,
          ttBytes: 16 * PAGE_SIZE,
          ttCaching: 'write_combined',
        });
      const dev0 = make('device:0');
      const dev1 = make('device:1');
      // ttm_device_init(..., use_dma32 = true) for device:1.
      dev1.bdev.pool = new Pool({}, NUMA_NO_NODE, TTM_ALLOCATION_POOL_USE_DMA32, global, dev1.bdev);
      // biome-ignore lint/correctness/useYield: the pool shrinker never sleeps; the hook's type is a KGen.
      global.directReclaim = function* (pages: number): KGen<number> {
        c.directReclaims += 1;
        const freed = ttmPoolShrinkerScan(global.poolMgr, pages, global.mutations);
        return freed === SHRINK_STOP ? 0 : freed;
      };
      const breaches: Breach[] = [];
      const all: BufferObject[] = [];

      /** A new SYSTEM BO of `dev` with a populated tt, unreserved; null when that failed. */
      const create = function* (dev: SimDevice, who: string, pages: number): KGen<BufferObject | null> {
        const bo = newBufferObject(dev.bdev, pages * PAGE_SIZE);
        all.push(bo);
        const ctx = operationCtx({ interruptible: true });
        const ret = yield* ttmBoInitReserved(dev.bdev, bo, 'device', SYSTEM_ONLY, 1, ctx, null, null, null);
        checkErrno(ret, `creating ${bo.id}`, who, breaches);
        if (ret !== 0) return null;
        const p = yield* ttmBoPopulate(bo, ctx);
        checkErrno(p, `populating ${bo.id}`, who, breaches);
        ttmBoUnreserve(bo);
        if (p !== 0) {
          c.failed += 1;
          yield* ttmBoPut(bo);
          return null;
        }
        return bo;
      };

      /** device:1 maps every page for DMA: each must be a frame it can address. */
      const checkDma32 = (bo: BufferObject, who: string): void => {
        const tt = bo.ttm;
        if (tt === null) return;
        for (let i = 0; i < tt.numPages; i += 1) {
          const pfn = ttmTtPfn(tt, i);
          if (pfn !== null && pfn >= cfg.dma32Pages) {
            breaches.push({
              id: 'correctness.dma32',
              actor: who,
              message: `${bo.id} page ${i} is frame ${pfn}, above the DMA32 limit (${cfg.dma32Pages}): ${bo.bdev.id} cannot address it`,
            });
            return;
          }
        }
      };

      const sizes0 = Array.from({ length: cfg.rounds0 * cfg.bos0 }, () =>
        rng.int(cfg.minBoPages, cfg.maxBoPages),
      );
      const sizes1 = Array.from({ length: cfg.rounds1 * cfg.bos1 }, () =>
        rng.int(cfg.minBoPages, cfg.maxBoPages),
      );
      const workDone = new Completion(sim.env, 'work-done');
      let working = 2;
      const finished = (): void => {
        working -= 1;
        if (working === 0) workDone.complete();
      };

      sim.spawn('display1', function* () {
        const fb = yield* create(dev1, 'task:display1', cfg.framebufferPages);
        if (fb !== null) checkDma32(fb, 'task:display1');
        yield* workDone.wait();
        if (fb !== null) yield* ttmBoPut(fb);
        return 0;
      });

      sim.spawn('gpu0', function* () {
        for (let round = 0; round < cfg.rounds0; round += 1) {
          const bos: BufferObject[] = [];
          for (let i = 0; i < cfg.bos0; i += 1) {
            const bo = yield* create(dev0, 'task:gpu0', sizes0[round * cfg.bos0 + i]!);
            if (bo === null) continue;
            c.populated0 += 1;
            bos.push(bo);
          }
          for (const bo of bos) {
            yield { kind: 'yield', label: 'gpu0.put' };
            yield* ttmBoPut(bo);
          }
        }
        finished();
        return 0;
      });

      sim.spawn('gpu1', function* () {
        for (let round = 0; round < cfg.rounds1; round += 1) {
          const bos: BufferObject[] = [];
          for (let i = 0; i < cfg.bos1; i += 1) {
            const bo = yield* create(dev1, 'task:gpu1', sizes1[round * cfg.bos1 + i]!);
            if (bo === null) continue;
            c.populated1 += 1;
            checkDma32(bo, 'task:gpu1');
            bos.push(bo);
          }
          for (const bo of bos) {
            yield { kind: 'yield', label: 'gpu1.put' };
            yield* ttmBoPut(bo);
          }
        }
        finished();
        return 0;
      });

      return {
        stats: () => ({ ...c, pooledPages: global.poolMgr.allocatedPages, boCount: global.boCount }),
        check: () => [
          ...breaches,
          ...leakChecks(dev0, global, all),
          ...[dev1.vram, dev1.tt]
            .filter((man) => man.usage !== 0)
            .map((man) => ({
              id: 'correctness.leak',
              actor: man.id,
              message: `${man.usage} B still in use`,
            })),
        ],
        describe: () =>
          all.map(
            (bo) =>
              `${bo.id} ${bo.bdev.id} ${bo.size / PAGE_SIZE} pages: ${bo.destroyed ? 'destroyed' : 'alive'}`,
          ),
        worlds: () => [global],
      };
    },
  };
}
