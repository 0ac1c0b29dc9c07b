// upload-race: uploader tasks race over the page pool and the IOMMU, the way a driver's upload path does.
// Each uploader creates write-combined staging BOs of a few pages in SYSTEM, mmaps each one and touches
// every page: the first fault populates the tt (ttm_pool_alloc: pooled write-combined blocks first, then
// pages from the system with their caching change staged and applied in a batch, every block mapped
// through the IOMMU), later faults map the remaining pages. Then it unmaps and puts the BO, whose pages
// go back (cleared) to the global write-combined pool, where the other uploader's next populate finds
// them. The IOVA space is small: when both uploaders hold mapped staging BOs, a populate can find no
// IOVA range for a later block and fail with -EFAULT halfway (so can an injected fault). The run checks
// that a failed populate reaches userspace as SIGBUS (never VM_FAULT_OOM) and that nothing is left: no
// BO, no IOMMU mapping, no frame. The `upload-dma` variant gives the device a pool that allocates coherent
// DMA memory (use_dma_alloc: ttm_pool_alloc_page's dma_alloc_attrs path, the pool's own types) and has
// each uploader read its pages back after the upload.

import type { Rng } from '../../engine/prng.ts';
import { type BufferObject, newBufferObject, ttmBoInitValidate, ttmBoPut } from '../../kernel/bo.ts';
import { ttmBoMmapObj, ttmBoVmClose } from '../../kernel/bo_vm.ts';
import { PAGE_SIZE, TTM_PL_SYSTEM } from '../../kernel/constants.ts';
import { TtmGlobal } from '../../kernel/device.ts';
import type { KGen } from '../../kernel/env.ts';
import { errnoName } from '../../kernel/errno.ts';
import { place, placementOf } from '../../kernel/placement.ts';
import { createSimDevice, type SimDevice } from '../../kernel/simdrv.ts';
import { dataStats, PageData, stepCounter } from '../data_checks.ts';
import type { Breach, Scenario, Workload } from '../scenario.ts';
import type { Sim } from '../sim.ts';
import { LIFECYCLE, Lifecycle, lifecycleStats } from './lifecycle.ts';
import { type FaultTally, oneWorldWorkload, touchPage, VALIDATE_ERRNOS } from './race_common.ts';

export interface UploadRaceConfig {
  readonly uploaders: number;
  readonly bosPerUploader: number;
  readonly minBoPages: number;
  readonly maxBoPages: number;
  /** The device's IOVA space in pages (small: concurrent populates exhaust it). */
  readonly iovaPages: number;
  /**
   * The device's pool allocates coherent DMA memory (use_dma_alloc): each block is mapped through the
   * IOMMU when it is allocated and stays mapped while it is pooled, in the device's own pool types.
   */
  readonly useDmaAlloc?: boolean;
  /**
   * After the upload the uploader reads every page of the BO again (as a driver reading back what it
   * staged): what it wrote must still be there while the other uploader's populates allocate and clear.
   */
  readonly readBack?: boolean;
}

const DEFAULTS: UploadRaceConfig = {
  uploaders: 2,
  bosPerUploader: 4,
  minBoPages: 3,
  maxBoPages: 7,
  iovaPages: 12,
};

const SYSTEM_ONLY = placementOf(place(TTM_PL_SYSTEM));

interface Counters extends FaultTally {
  created: number;
  createFailures: number;
}

export function uploadRace(overrides: Partial<UploadRaceConfig> = {}, name = 'upload-race'): Scenario {
  const cfg: UploadRaceConfig = { ...DEFAULTS, ...overrides };
  return {
    name,
    summary: `${cfg.uploaders} uploaders × ${cfg.bosPerUploader} write-combined staging BOs of ${cfg.minBoPages}-${cfg.maxBoPages} pages, populated by CPU faults through the page pool${cfg.useDmaAlloc === true ? ' (coherent DMA allocation)' : ''} and an IOMMU`,
    config: { scenario: 'upload-race', ...cfg, lifecycle: LIFECYCLE },
    build(sim: Sim, rng: Rng): Workload {
      const global = new TtmGlobal();
      sim.adopt(global);
      const dev = createSimDevice(sim.env, global, 'device:0', {
        vramBytes: 16 * PAGE_SIZE,
        ttBytes: 16 * PAGE_SIZE,
        ttCaching: 'write_combined',
        iommuPages: cfg.iovaPages,
        useDmaAlloc: cfg.useDmaAlloc === true,
      });
      const run = new UploadRaceRun(dev, cfg.readBack === true);
      run.data = new PageData(run.breaches, stepCounter(sim));
      // Suspend while each uploader holds its middle staging BO (populated, unmapped), resume, teardown.
      const lc = new Lifecycle(sim, [{ global, devices: [dev], bos: run.all }], { hibernate: false });
      run.lc = lc;
      for (let u = 0; u < cfg.uploaders; u += 1) {
        const sizes = Array.from({ length: cfg.bosPerUploader }, () =>
          rng.int(cfg.minBoPages, cfg.maxBoPages),
        );
        lc.worker(`uploader${u}`, () => run.uploader(`task:uploader${u}`, sizes));
      }
      lc.start();
      return oneWorldWorkload(
        global,
        run.all,
        () => statsOf(run, global),
        () => [...run.breaches, ...lc.check()],
      );
    },
  };
}

/**
 * One run: its device, counters, breaches and BOs, and the uploaders' bodies. The bodies are generator
 * methods of this class rather than generator closures made in the build, which kept the whole run
 * alive through young-generation collections (see RaceRun in race.ts).
 */
class UploadRaceRun {
  readonly c: Counters = { created: 0, createFailures: 0, faults: 0, sigbus: 0, pagesMapped: 0 };
  readonly breaches: Breach[] = [];
  /** What every page must hold, and the checks on every read (src/sim/data_checks.ts). */
  data!: PageData;
  readonly all: BufferObject[] = [];
  lc!: Lifecycle;

  constructor(
    readonly dev: SimDevice,
    readonly readBack: boolean,
  ) {}

  /** An uploader (`who`): per size, a staging BO created, mapped, touched page by page and put. */
  *uploader(who: string, sizes: readonly number[]): KGen<number> {
    const { c, dev } = this;
    for (const [i, pages] of sizes.entries()) {
      const bo = newBufferObject(dev.bdev, pages * PAGE_SIZE);
      this.all.push(bo);
      const ret = yield* ttmBoInitValidate(dev.bdev, bo, 'device', SYSTEM_ONLY, 1, true, null);
      if (ret !== 0) {
        c.createFailures += 1;
        if (!VALIDATE_ERRNOS.has(ret)) {
          this.breaches.push({
            id: 'correctness.errno',
            actor: who,
            message: `creating ${bo.id} returned ${errnoName(ret)}`,
          });
        }
        continue;
      }
      c.created += 1;
      this.data.trackNew(bo);
      const vma = ttmBoMmapObj(bo);
      if (typeof vma !== 'number') {
        let uploaded = 0;
        for (let page = 0; page < pages; page += 1) {
          // The upload: each page reads zeros (fresh), then gets the data written through its PTE.
          if (!(yield* touchPage(vma, page, who, c, this.breaches, this.data, true))) break;
          uploaded += 1;
        }
        if (this.readBack) {
          yield { kind: 'yield', label: 'read-back' };
          for (let page = 0; page < uploaded; page += 1) {
            if (!(yield* touchPage(vma, page, who, c, this.breaches, this.data, false))) break;
          }
        }
        yield* ttmBoVmClose(vma);
      }
      if (i === Math.floor(sizes.length / 2)) yield* this.lc.freezePoint();
      yield* ttmBoPut(bo);
    }
    yield* this.lc.freezePoint();
    return 0;
  }
}

/**
 * The run's statistics: counters, pooled pages, IOMMU map failures, BOs left. One object literal of
 * fixed shape, not the parts spread together: see statsOf in race.ts.
 */
function statsOf(run: UploadRaceRun, global: TtmGlobal): Record<string, number> {
  const c = run.c;
  return {
    created: c.created,
    createFailures: c.createFailures,
    faults: c.faults,
    sigbus: c.sigbus,
    pagesMapped: c.pagesMapped,
    pooledPages: global.poolMgr.allocatedPages,
    iommuMapFailures: run.dev.bdev.iommu?.mapFailures ?? 0,
    boCount: global.boCount,
    ...dataStats(run.data),
    ...lifecycleStats(run.lc.c),
  };
}
