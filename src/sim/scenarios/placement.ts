// placement: a driver that places its BOs the way amdgpu does (amdgpu_bo_placement_from_domain,
// amdgpu_bo_pin_restricted, amdgpu_evict_flags), on a device whose GTT is small. Every kind of place
// and both passes of ttm_bo_validate / ttm_bo_mem_space are used:
// - a scanout the CPU accesses, created in visible VRAM (GTT as TTM_PL_FLAG_FALLBACK) and pinned later
//   into visible VRAM with TTM_PL_FLAG_CONTIGUOUS: its resource, in range but not contiguous, is not
//   compatible, so the pin moves it;
// - staging BOs that prefer VRAM only while it has room (TTM_PL_FLAG_DESIRED) and otherwise take GTT,
//   evicting there rather than in VRAM;
// - textures created in VRAM only, submitted in VRAM only and in VRAM|GTT (top-down VRAM, GTT as the
//   fallback) in turn, which evict other BOs once VRAM is full, while GTT is full of staging BOs: the victims' eviction to GTT (SYSTEM as fallback) must make room in GTT first (the force_space
//   pass of ttm_bo_mem_space);
// - a texture read back through SYSTEM and uploaded again (VRAM↔SYSTEM bounces through a TEMPORARY GTT
//   place, -EMULTIHOP).
// Two workers share the device: a display (scanout frames, pin, unpin) and an uploader (staging,
// textures, readback). GPU jobs write every page they use (data checks); the lifecycle suspends,
// resumes and tears down as in every scenario (lifecycle.ts).

import type { Rng } from '../../engine/prng.ts';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitValidate,
  ttmBoPin,
  ttmBoPut,
  ttmBoReserve,
  ttmBoUnpin,
  ttmBoUnreserve,
  ttmBoValidate,
} from '../../kernel/bo.ts';
import {
  memTypeName,
  PAGE_SIZE,
  TTM_PL_FLAG_CONTIGUOUS,
  TTM_PL_FLAG_DESIRED,
  TTM_PL_FLAG_FALLBACK,
  TTM_PL_FLAG_TOPDOWN,
  TTM_PL_SYSTEM,
  TTM_PL_TT,
  TTM_PL_VRAM,
} from '../../kernel/constants.ts';
import { TtmGlobal } from '../../kernel/device.ts';
import type { KGen } from '../../kernel/env.ts';
import { operationCtx, type Placement, place, placementOf } from '../../kernel/placement.ts';
import { DmaResvUsage, wwAcquireInit } from '../../kernel/resv.ts';
import { createSimDevice, type SimDevice } from '../../kernel/simdrv.ts';
import { dataStats, PageData, stepCounter } from '../data_checks.ts';
import type { Scenario, Workload } from '../scenario.ts';
import type { Sim } from '../sim.ts';
import { LIFECYCLE, Lifecycle, lifecycleStats } from './lifecycle.ts';
import { reserveAll } from './reserve.ts';

export interface PlacementConfig {
  readonly vramKiB: number;
  /** The CPU-visible start of VRAM (amdgpu's visible_vram_size). */
  readonly visibleKiB: number;
  readonly ttKiB: number;
  readonly scanoutKiB: number;
  readonly textures: number;
  readonly textureKiB: number;
  readonly staging: number;
  readonly stagingKiB: number;
  readonly frames: number;
}

const DEFAULTS: PlacementConfig = {
  vramKiB: 128,
  visibleKiB: 64,
  ttKiB: 64,
  scanoutKiB: 32,
  textures: 3,
  textureKiB: 32,
  staging: 3,
  stagingKiB: 16,
  frames: 3,
};

/** amdgpu's VRAM|GTT domain: VRAM (top-down, not CPU-visible), GTT only as the fallback. */
const VRAM_OR_GTT: Placement = placementOf(
  place(TTM_PL_VRAM, TTM_PL_FLAG_TOPDOWN),
  place(TTM_PL_TT, TTM_PL_FLAG_FALLBACK),
);
const VRAM_ONLY: Placement = placementOf(place(TTM_PL_VRAM));
/** VRAM while it has room, else GTT, evicting in GTT rather than in VRAM. */
const VRAM_DESIRED_OR_GTT: Placement = placementOf(place(TTM_PL_VRAM, TTM_PL_FLAG_DESIRED), place(TTM_PL_TT));
const SYSTEM_ONLY: Placement = placementOf(place(TTM_PL_SYSTEM));

/** A scanout pin (amdgpu_bo_pin_restricted with VRAM_CONTIGUOUS): contiguous, inside visible VRAM. */
function scanoutPin(cfg: PlacementConfig): Placement {
  return placementOf(place(TTM_PL_VRAM, TTM_PL_FLAG_CONTIGUOUS, 0, visiblePages(cfg)));
}

/**
 * A BO the CPU accesses (AMDGPU_GEM_CREATE_CPU_ACCESS_REQUIRED): visible VRAM ("places[c].lpfn =
 * min_not_zero(places[c].lpfn, visible_pfn)"), GTT as the fallback.
 */
function visibleOrGtt(cfg: PlacementConfig): Placement {
  return placementOf(place(TTM_PL_VRAM, 0, 0, visiblePages(cfg)), place(TTM_PL_TT, TTM_PL_FLAG_FALLBACK));
}

function visiblePages(cfg: PlacementConfig): number {
  return (cfg.visibleKiB * 1024) / PAGE_SIZE;
}

interface Counters {
  created: number;
  createFailures: number;
  submits: number;
  submitFailures: number;
  backoffs: number;
  pins: number;
  pinFailures: number;
  readbacks: number;
  readbackFailures: number;
  stagedInVram: number;
  stagedInGtt: number;
}

export function placementScenario(overrides: Partial<PlacementConfig> = {}, name = 'placement'): Scenario {
  const cfg: PlacementConfig = { ...DEFAULTS, ...overrides };
  return {
    name,
    summary: `VRAM ${cfg.vramKiB} KiB (${cfg.visibleKiB} visible), GTT ${cfg.ttKiB} KiB: contiguous scanout pin, DESIRED/FALLBACK places, evictions into a full GTT, VRAM↔SYSTEM bounces`,
    config: { scenario: 'placement', ...cfg, lifecycle: LIFECYCLE },
    sometimes: [
      { id: 'pins', description: 'the scanout was pinned contiguously into visible VRAM' },
      { id: 'stagedInGtt', description: 'a staging BO found VRAM full and went to GTT' },
      { id: 'readbacks', description: 'a texture went to SYSTEM and back to VRAM through GTT bounces' },
      { id: 'evictions', description: 'a validate evicted another BO' },
    ],
    build(sim: Sim, _rng: Rng): Workload {
      const global = new TtmGlobal();
      sim.adopt(global);
      const dev = createSimDevice(sim.env, global, 'device:0', {
        vramBytes: cfg.vramKiB * 1024,
        ttBytes: cfg.ttKiB * 1024,
        ttCaching: 'write_combined',
        iommuPages: 512,
      });
      const run = new PlacementRun(cfg, sim, global, dev);
      const lc = new Lifecycle(sim, [{ global, devices: [dev], bos: run.all }], { hibernate: false });
      run.lc = lc;
      lc.worker('display', () => run.display());
      lc.worker('uploader', () => run.uploader());
      lc.start();
      return {
        stats() {
          return statsOf(run);
        },
        check() {
          return [...run.data.breaches, ...lc.check()];
        },
        describe() {
          return run.all.map(describeBo);
        },
        worlds() {
          return [global];
        },
      };
    },
  };
}

/** One run: the device, counters, BOs and the workers' bodies (generator methods, see race.ts). */
class PlacementRun {
  readonly c: Counters = {
    created: 0,
    createFailures: 0,
    submits: 0,
    submitFailures: 0,
    backoffs: 0,
    pins: 0,
    pinFailures: 0,
    readbacks: 0,
    readbackFailures: 0,
    stagedInVram: 0,
    stagedInGtt: 0,
  };
  readonly all: BufferObject[] = [];
  readonly data: PageData;
  lc!: Lifecycle;

  constructor(
    readonly cfg: PlacementConfig,
    readonly sim: Sim,
    readonly global: TtmGlobal,
    readonly dev: SimDevice,
  ) {
    this.data = new PageData([], stepCounter(sim));
  }

  /** Create a BO of `kib` KiB validated into `placement`; null when it could not be placed. */
  *create(kib: number, placement: Placement): KGen<BufferObject | null> {
    const bo = newBufferObject(this.dev.bdev, kib * 1024);
    this.all.push(bo);
    const ret = yield* ttmBoInitValidate(this.dev.bdev, bo, 'device', placement, 1, true, null);
    if (ret !== 0) {
      this.c.createFailures += 1;
      return null;
    }
    this.data.trackNew(bo);
    this.c.created += 1;
    return bo;
  }

  /** Reserve `bos` with one ticket, validate each into `placement`, run a GPU job writing them all. */
  *submit(bos: readonly BufferObject[], placement: Placement): KGen<void> {
    const env = this.sim.env;
    const ticket = wwAcquireInit(env);
    const locked = yield* reserveAll(bos, ticket, () => {
      this.c.backoffs += 1;
    });
    if (typeof locked === 'number') {
      this.c.submitFailures += 1;
      return;
    }
    const ctx = operationCtx({ interruptible: true });
    let failed = false;
    for (const bo of locked) if ((yield* ttmBoValidate(bo, placement, ctx)) !== 0) failed = true;
    if (failed) this.c.submitFailures += 1;
    else {
      const job = this.dev.gfxRing.emit();
      this.data.gpuJob(locked, job, env.current());
      for (const bo of locked) {
        bo.resv.reserveFences(1);
        bo.resv.addFence(job, DmaResvUsage.WRITE);
      }
      this.c.submits += 1;
    }
    for (const bo of locked) ttmBoUnreserve(bo);
  }

  /** Reserve `bo` alone and validate it into `placement` (no ww ticket, as a page-flip path does). */
  *move(bo: BufferObject, placement: Placement): KGen<number> {
    const ret = yield* ttmBoReserve(bo, true, false, null);
    if (ret !== 0) return ret;
    const v = yield* ttmBoValidate(bo, placement, operationCtx({ interruptible: true }));
    ttmBoUnreserve(bo);
    return v;
  }

  /** The display: a scanout rendered every frame, pinned contiguously from frame 1 to the last. */
  *display(): KGen<number> {
    const { cfg, c } = this;
    const scanout = yield* this.create(cfg.scanoutKiB, visibleOrGtt(cfg));
    if (scanout === null) return 0;
    for (let frame = 0; frame < cfg.frames; frame += 1) {
      if (frame === Math.ceil(cfg.frames / 2)) yield* this.lc.freezePoint();
      if (frame === 1) {
        if ((yield* ttmBoReserve(scanout, true, false, null)) === 0) {
          const ret = yield* ttmBoValidate(scanout, scanoutPin(cfg), operationCtx({ interruptible: true }));
          if (ret === 0) {
            ttmBoPin(scanout);
            c.pins += 1;
          } else c.pinFailures += 1;
          ttmBoUnreserve(scanout);
        }
      }
      yield* this.submit([scanout], scanout.pinCount > 0 ? scanoutPin(cfg) : visibleOrGtt(cfg));
    }
    if ((yield* ttmBoReserve(scanout, false, false, null)) === 0) {
      if (scanout.pinCount > 0) ttmBoUnpin(scanout);
      ttmBoUnreserve(scanout);
    }
    yield* ttmBoPut(scanout);
    return 0;
  }

  /**
   * The uploader: textures in VRAM only, then staging BOs (VRAM while it has room, else GTT, which they
   * fill), then frames: the textures evict each other and the scanout into a GTT full of staging BOs,
   * and one texture is read back through SYSTEM and uploaded again.
   */
  *uploader(): KGen<number> {
    const { cfg, c } = this;
    const textures: BufferObject[] = [];
    for (let i = 0; i < cfg.textures; i += 1) {
      const bo = yield* this.create(cfg.textureKiB, VRAM_ONLY);
      if (bo !== null) textures.push(bo);
    }
    const staging: BufferObject[] = [];
    for (let i = 0; i < cfg.staging; i += 1) {
      const bo = yield* this.create(cfg.stagingKiB, VRAM_DESIRED_OR_GTT);
      if (bo === null) continue;
      if (bo.resource?.memType === TTM_PL_VRAM) c.stagedInVram += 1;
      else c.stagedInGtt += 1;
      staging.push(bo);
    }
    for (let frame = 0; frame < cfg.frames; frame += 1) {
      if (frame === Math.ceil(cfg.frames / 2)) yield* this.lc.freezePoint();
      // The staging copies feed the textures: both in one submission, each in its own domain.
      yield* this.submit(staging, VRAM_DESIRED_OR_GTT);
      yield* this.submit(textures, frame % 2 === 0 ? VRAM_ONLY : VRAM_OR_GTT);
      const t = textures[frame % Math.max(textures.length, 1)];
      if (t !== undefined) {
        const down = yield* this.move(t, SYSTEM_ONLY);
        const up = down === 0 ? yield* this.move(t, VRAM_ONLY) : down;
        if (down === 0 && up === 0) c.readbacks += 1;
        else c.readbackFailures += 1;
      }
    }
    for (const bo of textures) yield* ttmBoPut(bo);
    for (const bo of staging) yield* ttmBoPut(bo);
    return 0;
  }
}

function statsOf(run: PlacementRun): Record<string, number> {
  const c = run.c;
  const m = run.sim.mirror;
  return {
    created: c.created,
    createFailures: c.createFailures,
    submits: c.submits,
    submitFailures: c.submitFailures,
    backoffs: c.backoffs,
    pins: c.pins,
    pinFailures: c.pinFailures,
    readbacks: c.readbacks,
    readbackFailures: c.readbackFailures,
    stagedInVram: c.stagedInVram,
    stagedInGtt: c.stagedInGtt,
    evictions: m.count('bo.evicted'),
    moves: m.count('bo.moved'),
    ghosts: m.count('bo.ghost'),
    destroyed: m.count('bo.destroy'),
    boCount: run.global.boCount,
    ...dataStats(run.data),
    ...lifecycleStats(run.lc.c),
  };
}

function describeBo(bo: BufferObject): string {
  const where = bo.destroyed
    ? 'destroyed'
    : bo.resource === null
      ? 'no resource'
      : memTypeName(bo.resource.memType);
  return `${bo.id} ${bo.size / 1024} KiB: ${where}`;
}
