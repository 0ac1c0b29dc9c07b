// shared-iommu: two devices, each with its own managers, LRUs and eviction, behind one IOMMU whose IOVA
// space is too small for both working sets (Daniel Vetter's objection to the two-step design, seed 001).
// Each device runs a client that creates BOs in SYSTEM and renders frames: it reserves a few of its BOs
// with one ww ticket, validates them into TT (the pages get DMA-mapped through the shared IOMMU), fences
// them with a GPU job and unreserves; a frame that fails is retried after a virtual millisecond, up to
// `retries` times (0: until it succeeds, as a compositor would), then dropped. At the end every BO is
// put. Today's kernel maps at populate and keeps the IOVA for the tt's lifetime: when the space is full
// a map fails with -EFAULT and so does the validate. The shared-iommu design binds at the move into TT
// and evicts for IOVA room (each device its own BOs, or any device's); the two-step design likewise.
// Each frame also checks that the devices' DMA goes through the IOMMU the platform put them behind: with
// today's driver every page of a BO in TT has a DMA address that this IOMMU translates to that page.

import type { Rng } from '../../engine/prng.ts';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitValidate,
  ttmBoPut,
  ttmBoUnreserve,
  ttmBoValidate,
} from '../../kernel/bo.ts';
import { memTypeName, PAGE_SIZE, TTM_PL_SYSTEM, TTM_PL_TT } from '../../kernel/constants.ts';
import { TtmGlobal } from '../../kernel/device.ts';
import type { KGen } from '../../kernel/env.ts';
import { EFAULT, ENOSPC } from '../../kernel/errno.ts';
import { Iommu } from '../../kernel/iommu.ts';
import { operationCtx, type Placement, place, placementOf } from '../../kernel/placement.ts';
import { DmaResvUsage, wwAcquireInit } from '../../kernel/resv.ts';
import { createSimDevice, type SimDevice } from '../../kernel/simdrv.ts';
import type { Breach, Scenario, Workload } from '../scenario.ts';
import type { Sim } from '../sim.ts';
import { LIFECYCLE, Lifecycle, type LifecycleCounters, lifecycleStats } from './lifecycle.ts';
import { reserveAll } from './reserve.ts';

export interface SharedIommuConfig {
  /** Devices behind the IOMMU (each with its own TTM: managers, LRUs, eviction). */
  readonly devices: number;
  /** The shared IOVA space, in pages. */
  readonly iovaPages: number;
  readonly bosPerDevice: number;
  readonly minBoPages: number;
  readonly maxBoPages: number;
  readonly frames: number;
  /** BOs a frame uses (its working set), drawn from the device's BOs. */
  readonly setSize: number;
  /** Times a failed frame is tried again before it is dropped; 0: until it succeeds. */
  readonly retries: number;
  readonly ttKiB: number;
  readonly vramKiB: number;
}

export const SHARED_IOMMU_DEFAULTS: SharedIommuConfig = {
  devices: 2,
  iovaPages: 24,
  bosPerDevice: 4,
  minBoPages: 4,
  maxBoPages: 8,
  frames: 6,
  setSize: 2,
  retries: 2,
  ttKiB: 1024,
  vramKiB: 64,
};

const TT_ONLY: Placement = placementOf(place(TTM_PL_TT));
const SYSTEM_ONLY: Placement = placementOf(place(TTM_PL_SYSTEM));

interface Counters {
  frames: number;
  framesDropped: number;
  retries: number;
  efault: number;
  enospc: number;
  backoffs: number;
}

/**
 * The first page of `bo` (in TT, resv held, populated by today's driver) whose DMA address `iommu` does not
 * translate to the page's frame, said in words, or null. A device behind an IOMMU gets its bus addresses
 * from it (dma_map_page through the device's IOMMU domain; ttm_pool_map stores them in dma_address[]).
 */
export function dmaNotThrough(bo: BufferObject, iommu: Iommu): string | null {
  const tt = bo.ttm;
  if (tt === null || !tt.isPopulated() || tt.pages === null) return null;
  const dma = tt.dmaAddress;
  for (let i = 0; i < tt.pages.length; i += 1) {
    const page = tt.pages[i];
    if (typeof page !== 'number') continue;
    const addr = dma === null ? null : (dma[i] ?? null);
    if (addr === null) return `${bo.id} page ${i} (frame ${page}) has no DMA address`;
    const frame = iommu.translate(addr);
    if (frame !== page)
      return `${bo.id} page ${i} (frame ${page}) has DMA address ${addr}, which ${iommu.id} ${frame === undefined ? 'does not map' : `maps to frame ${frame}`}`;
  }
  return null;
}

/** One frame: reserve the set, validate each into TT, fence with a GPU job. 0 or the first error. */
function* frame(
  dev: SimDevice,
  set: readonly BufferObject[],
  c: Counters,
  sim: Sim,
  iommu: Iommu,
  breaches: Breach[],
): KGen<number> {
  const ticket = wwAcquireInit(sim.env);
  const locked = yield* reserveAll(set, ticket, () => {
    c.backoffs += 1;
  });
  if (typeof locked === 'number') return locked;
  const ctx = operationCtx({ interruptible: true });
  let ret = 0;
  for (const bo of locked) {
    ret = yield* ttmBoValidate(bo, TT_ONLY, ctx);
    if (ret !== 0) break;
  }
  if (ret === -EFAULT) c.efault += 1;
  if (ret === -ENOSPC) c.enospc += 1;
  // Designs (src/designs) bind DMA their own way; their oracles judge it.
  if (ret === 0 && dev.bdev.global?.designs.size === 0 && breaches.length === 0) {
    for (const bo of locked) {
      const wrong = dmaNotThrough(bo, iommu);
      if (wrong !== null) {
        breaches.push({ id: 'correctness.dma-iommu', actor: bo.id, message: wrong });
        break;
      }
    }
  }
  if (ret === 0) {
    const job = dev.gfxRing.emit();
    for (const bo of locked) {
      bo.resv.reserveFences(1);
      bo.resv.addFence(job, DmaResvUsage.WRITE);
    }
  }
  for (const bo of locked) ttmBoUnreserve(bo);
  return ret;
}

export function sharedIommu(overrides: Partial<SharedIommuConfig> = {}, name = 'shared-iommu'): Scenario {
  const cfg: SharedIommuConfig = { ...SHARED_IOMMU_DEFAULTS, ...overrides };
  const retries = cfg.retries === 0 ? 'until done' : `${cfg.retries} retries`;
  return {
    name,
    summary: `${cfg.devices} devices behind one IOMMU of ${cfg.iovaPages} IOVA pages, ${cfg.bosPerDevice} BOs of ${cfg.minBoPages}-${cfg.maxBoPages} pages each, ${cfg.frames} frames of ${cfg.setSize} BOs into TT (${retries})`,
    config: { scenario: 'shared-iommu', ...cfg, lifecycle: LIFECYCLE },
    sometimes: [
      { id: 'retries', description: 'a frame failed and was tried again' },
      { id: 'efault', description: 'a validate failed with -EFAULT (IOVA exhausted)' },
      { id: 'framesDropped', description: 'a frame was dropped after its retries' },
    ],
    build(sim: Sim, rng: Rng): Workload {
      const global = new TtmGlobal();
      sim.adopt(global);
      const iommu = new Iommu('iommu:shared', cfg.iovaPages);
      const run = new SharedIommuRun(cfg, sim, iommu);
      const devs: SimDevice[] = [];
      const all = run.all;
      // Suspend halfway through the frames (TT evicted: the shared IOVA space empties), resume, then
      // teardown of both devices behind the one IOMMU.
      run.lc = new Lifecycle(sim, [{ global, devices: devs, bos: all }], { hibernate: false });
      for (let d = 0; d < cfg.devices; d += 1) {
        const dev = createSimDevice(sim.env, global, `device:${d}`, {
          vramBytes: cfg.vramKiB * 1024,
          ttBytes: cfg.ttKiB * 1024,
          iommu,
        });
        devs.push(dev);
        const sizes = Array.from(
          { length: cfg.bosPerDevice },
          () => rng.int(cfg.minBoPages, cfg.maxBoPages) * PAGE_SIZE,
        );
        const sets = Array.from({ length: cfg.frames }, () => pickSet(rng, cfg));
        run.lc.worker(`client${d}`, () => run.client(dev, sizes, sets));
      }
      run.lc.start();
      // Methods, not arrow properties: under tsx, keepNames names every arrow stored in a property with
      // a defineProperty call (a runtime call per function per run).
      return {
        stats() {
          return statsOf(run.c, iommu, global, run.lc.c);
        },
        check() {
          return [...run.breaches, ...run.lc.check()];
        },
        describe() {
          return all.map(describeBo);
        },
        worlds() {
          return [global];
        },
      };
    },
  };
}

/**
 * One run: its counters and BOs, and the clients' bodies. The bodies are generator methods of this
 * class rather than generator closures made in the build, which kept the whole run alive through
 * young-generation collections (see RaceRun in race.ts).
 */
class SharedIommuRun {
  readonly c: Counters = { frames: 0, framesDropped: 0, retries: 0, efault: 0, enospc: 0, backoffs: 0 };
  readonly all: BufferObject[] = [];
  /** Frames whose DMA did not go through the shared IOMMU. */
  readonly breaches: Breach[] = [];
  lc!: Lifecycle;

  constructor(
    readonly cfg: SharedIommuConfig,
    readonly sim: Sim,
    readonly iommu: Iommu,
  ) {}

  /** The client of `dev`: BOs of `sizes` bytes in SYSTEM, a frame per set of BO indices, retried. */
  *client(dev: SimDevice, sizes: readonly number[], sets: readonly number[][]): KGen<number> {
    const { cfg, c } = this;
    const bos: BufferObject[] = [];
    for (const size of sizes) {
      const bo = newBufferObject(dev.bdev, size);
      this.all.push(bo);
      const ret = yield* ttmBoInitValidate(dev.bdev, bo, 'device', SYSTEM_ONLY, 1, true, null);
      if (ret === 0) bos.push(bo);
    }
    for (const [f, picks] of sets.entries()) {
      if (f === Math.ceil(sets.length / 2)) yield* this.lc.freezePoint();
      const set = picks.map((i) => bos[i]).filter((b): b is BufferObject => b !== undefined);
      for (let attempt = 0; ; attempt += 1) {
        if ((yield* frame(dev, set, c, this.sim, this.iommu, this.breaches)) === 0) {
          c.frames += 1;
          break;
        }
        if (cfg.retries !== 0 && attempt >= cfg.retries) {
          c.framesDropped += 1;
          break;
        }
        c.retries += 1;
        // A client sleeping before its retry is frozen there if the suspend comes first.
        yield* this.lc.freezePoint();
        yield { kind: 'sleep', ms: 1 };
      }
    }
    for (const bo of bos) yield* ttmBoPut(bo);
    return 0;
  }
}

/**
 * The run's statistics: counters, IOVA map failures, BOs left. One object literal of fixed shape, not
 * the parts spread together: see statsOf in race.ts.
 */
function statsOf(
  c: Counters,
  iommu: Iommu,
  global: TtmGlobal,
  life: LifecycleCounters,
): Record<string, number> {
  return {
    frames: c.frames,
    framesDropped: c.framesDropped,
    retries: c.retries,
    efault: c.efault,
    enospc: c.enospc,
    backoffs: c.backoffs,
    iovaMapFailures: iommu.mapFailures,
    boCount: global.boCount,
    ...lifecycleStats(life),
  };
}

/** `setSize` distinct BO indices of a device, in the order drawn. */
function pickSet(rng: Rng, cfg: SharedIommuConfig): number[] {
  const out: number[] = [];
  const n = Math.min(cfg.setSize, cfg.bosPerDevice);
  while (out.length < n) {
    const i = rng.int(0, cfg.bosPerDevice - 1);
    if (!out.includes(i)) out.push(i);
  }
  return out;
}

function describeBo(bo: BufferObject): string {
  const where = bo.destroyed
    ? 'destroyed'
    : bo.resource === null
      ? 'no resource'
      : memTypeName(bo.resource.memType);
  return `${bo.id} (${bo.bdev.id}) ${bo.size / PAGE_SIZE} pages: ${where}`;
}
