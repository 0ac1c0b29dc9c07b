// move-race: pipelined moves, evictions, ghosts and gutting racing CPU faults and ptrace-style access on
// an amdgpu-style device whose DMA goes through an IOMMU. Client tasks keep validating their BOs into a
// small VRAM, evicting each other: VRAM→TT copies are pipelined behind the manager's move fence, TT→VRAM
// moves leave ghosts holding the old memory until the copy's fence signals. VRAM evicts to TT or, when
// TT has no room, to SYSTEM (amdgpu's GTT|CPU eviction domain), which needs a bounce through TT
// (-EMULTIHOP). A reader creates staging BOs in SYSTEM, mmaps them and touches every page, so the CPU
// fault handler populates them. A purger drops the backing store of a busy scratch BO (pipelined gutting:
// a ghost keeps the old memory) while a dumper reads the scratch BO through ttm_bo_access. At the end
// every BO is put. The run checks what userspace sees (only errors ttm_bo_validate and ttm_bo_access
// return, never VM_FAULT_OOM from a TTM fault) and that nothing is left: no BO, no byte of VRAM or TT,
// no IOMMU mapping, no fence reference, no frame, no lock.

import type { Rng } from '../../engine/prng.ts';
import {
  type BufferObject,
  newBufferObject,
  ttmBoGet,
  ttmBoInitValidate,
  ttmBoPut,
  ttmBoReserve,
  ttmBoUnreserve,
  ttmBoValidate,
} from '../../kernel/bo.ts';
import { ttmBoAccess, ttmBoMmapObj, ttmBoVmClose } from '../../kernel/bo_vm.ts';
import {
  type Caching,
  PAGE_SIZE,
  TTM_PL_FLAG_FALLBACK,
  TTM_PL_SYSTEM,
  TTM_PL_TT,
  TTM_PL_VRAM,
} from '../../kernel/constants.ts';
import { TtmGlobal } from '../../kernel/device.ts';
import type { KGen } from '../../kernel/env.ts';
import { EFAULT, EIO, ENODATA, ENOMEM, ERESTARTSYS, errnoName } from '../../kernel/errno.ts';
import { NO_PLACEMENT, operationCtx, type Placement, place, placementOf } from '../../kernel/placement.ts';
import { DmaResvUsage } from '../../kernel/resv.ts';
import { createSimDevice } from '../../kernel/simdrv.ts';
import { ttmSgTtInit } from '../../kernel/tt.ts';
import type { Breach, Scenario, Workload } from '../scenario.ts';
import type { Sim } from '../sim.ts';
import { type FaultTally, leakChecks, touchPage, VALIDATE_ERRNOS } from './race_common.ts';

export interface MoveRaceConfig {
  readonly vramPages: number;
  readonly ttPages: number;
  /** The device's IOVA space in pages. */
  readonly iovaPages: number;
  readonly clients: number;
  readonly bosPerClient: number;
  /** Rounds of validate-into-VRAM per client. */
  readonly frames: number;
  readonly minBoPages: number;
  readonly maxBoPages: number;
  readonly scratchPages: number;
  /** Staging BOs the reader creates in SYSTEM and faults in. */
  readonly stagingBos: number;
  readonly minStagingPages: number;
  readonly maxStagingPages: number;
  /** Caching of the staging BOs' tts (USWC upload buffers are write-combined). */
  readonly stagingCaching: Caching;
  /** ttm_bo_access calls of the dumper on the scratch BO. */
  readonly dumps: number;
}

const DEFAULTS: MoveRaceConfig = {
  vramPages: 24,
  ttPages: 16,
  iovaPages: 256,
  clients: 2,
  bosPerClient: 3,
  frames: 3,
  minBoPages: 4,
  maxBoPages: 10,
  scratchPages: 6,
  stagingBos: 3,
  minStagingPages: 3,
  maxStagingPages: 7,
  stagingCaching: 'write_combined',
  dumps: 3,
};

/** User BOs: VRAM, or TT when VRAM cannot be made free. */
const VRAM_OR_TT: Placement = placementOf(place(TTM_PL_VRAM), place(TTM_PL_TT, TTM_PL_FLAG_FALLBACK));
const SYSTEM_ONLY: Placement = placementOf(place(TTM_PL_SYSTEM));
/** amdgpu_evict_flags for VRAM: the GTT | CPU domain; SYSTEM is taken when GTT has no room. */
const GTT_OR_CPU: Placement = placementOf(place(TTM_PL_TT), place(TTM_PL_SYSTEM));

/** What ttm_bo_access may return besides the length (-EIO for VRAM: no access_memory hook in the model). */
const ACCESS_ERRNOS: ReadonlySet<number> = new Set([-EIO, -ENODATA, -ERESTARTSYS, -ENOMEM, -EFAULT]);

interface Counters extends FaultTally {
  created: number;
  createFailures: number;
  validated: number;
  validateFailures: number;
  purges: number;
  dumpsOk: number;
  dumpsNoData: number;
}

export function moveRace(overrides: Partial<MoveRaceConfig> = {}, name = 'move-race'): Scenario {
  const cfg: MoveRaceConfig = { ...DEFAULTS, ...overrides };
  return {
    name,
    summary: `${cfg.clients} clients × ${cfg.bosPerClient} BOs in ${cfg.vramPages} pages of VRAM and ${cfg.ttPages} of TT (IOMMU): pipelined moves, multihop evictions, ghosts, gutting vs ttm_bo_access, faults populating staging BOs`,
    config: { scenario: 'move-race', ...cfg },
    build(sim: Sim, rng: Rng): Workload {
      const global = new TtmGlobal();
      sim.adopt(global);
      const dev = createSimDevice(sim.env, global, 'device:0', {
        vramBytes: cfg.vramPages * PAGE_SIZE,
        ttBytes: cfg.ttPages * PAGE_SIZE,
        iommuPages: cfg.iovaPages,
      });
      const staging = new WeakSet<BufferObject>();
      const base = dev.bdev.funcs;
      dev.bdev.funcs = {
        ...base,
        // amdgpu: USWC GTT BOs; DMA addresses through the IOMMU (ttm_sg_tt_init).
        ttmTtCreate: (bo, pageFlags) =>
          ttmSgTtInit(bo, pageFlags, staging.has(bo) ? cfg.stagingCaching : 'write_combined'),
        evictFlags: (bo) => (bo.resource?.memType === TTM_PL_VRAM ? GTT_OR_CPU : base.evictFlags(bo)),
      };
      const c: Counters = {
        created: 0,
        createFailures: 0,
        validated: 0,
        validateFailures: 0,
        faults: 0,
        sigbus: 0,
        pagesMapped: 0,
        purges: 0,
        dumpsOk: 0,
        dumpsNoData: 0,
      };
      const breaches: Breach[] = [];
      const all: BufferObject[] = [];

      /** A ttm_bo_validate (or creation) error must be one userspace may see. */
      const checkErrno = (ret: number, who: string, bo: BufferObject): void => {
        if (ret === 0 || VALIDATE_ERRNOS.has(ret)) return;
        breaches.push({
          id: 'correctness.errno',
          actor: who,
          message: `ttm_bo_validate of ${bo.id} returned ${errnoName(ret)}, which it never returns to userspace`,
        });
      };

      /** A new BO, validated (interruptibly) into `placement` and unreserved; null when that failed. */
      const create = function* (
        who: string,
        pages: number,
        placement: Placement,
        isStaging: boolean,
      ): KGen<BufferObject | null> {
        const bo = newBufferObject(dev.bdev, pages * PAGE_SIZE);
        if (isStaging) staging.add(bo);
        all.push(bo);
        const ret = yield* ttmBoInitValidate(dev.bdev, bo, 'device', placement, 1, true, null);
        checkErrno(ret, who, bo);
        if (ret !== 0) {
          c.createFailures += 1;
          return null;
        }
        c.created += 1;
        return bo;
      };

      for (let client = 0; client < cfg.clients; client += 1) {
        const who = `task:client${client}`;
        const sizes = Array.from({ length: cfg.bosPerClient }, () => rng.int(cfg.minBoPages, cfg.maxBoPages));
        sim.spawn(`client${client}`, function* () {
          const bos: BufferObject[] = [];
          for (const pages of sizes) {
            const bo = yield* create(who, pages, VRAM_OR_TT, false);
            if (bo !== null) bos.push(bo);
          }
          for (let frame = 0; frame < cfg.frames; frame += 1) {
            for (const bo of bos) {
              if ((yield* ttmBoReserve(bo, true, false, null)) !== 0) continue;
              const ret = yield* ttmBoValidate(bo, VRAM_OR_TT, operationCtx({ interruptible: true }));
              checkErrno(ret, who, bo);
              if (ret === 0) {
                c.validated += 1;
                // The frame's GPU job uses the BO.
                const job = dev.gfxRing.emit();
                bo.resv.reserveFences(1);
                bo.resv.addFence(job, DmaResvUsage.WRITE);
              } else {
                c.validateFailures += 1;
              }
              ttmBoUnreserve(bo);
            }
          }
          for (const bo of bos) yield* ttmBoPut(bo);
          return 0;
        });
      }

      // The reader: staging BOs in SYSTEM, populated by the CPU fault handler.
      const stagingSizes = Array.from({ length: cfg.stagingBos }, () =>
        rng.int(cfg.minStagingPages, cfg.maxStagingPages),
      );
      sim.spawn('reader', function* () {
        for (const pages of stagingSizes) {
          const bo = yield* create('task:reader', pages, SYSTEM_ONLY, true);
          if (bo === null) continue;
          const vma = ttmBoMmapObj(bo);
          if (typeof vma !== 'number') {
            for (let page = 0; page < pages; page += 1) {
              if (!(yield* touchPage(vma, page, 'task:reader', c, breaches))) break;
            }
            yield* ttmBoVmClose(vma);
          }
          yield* ttmBoPut(bo);
        }
        return 0;
      });

      // The scratch BO: its backing store dropped by the purger while the GPU uses it, read by the dumper.
      let scratch: BufferObject | null = null;
      let scratchSettled = false;
      sim.spawn('purger', function* () {
        scratch = yield* create('task:purger', cfg.scratchPages, VRAM_OR_TT, false);
        if (scratch !== null) {
          ttmBoGet(scratch); // the dumper's reference
          if ((yield* ttmBoReserve(scratch, true, false, null)) === 0) {
            const job = dev.gfxRing.emit();
            scratch.resv.reserveFences(1);
            scratch.resv.addFence(job, DmaResvUsage.WRITE);
            ttmBoUnreserve(scratch);
          }
        }
        scratchSettled = true;
        if (scratch === null) return 0;
        // Purge when the dumper wakes up too.
        yield { kind: 'sleep', ms: 1 };
        if ((yield* ttmBoReserve(scratch, true, false, null)) === 0) {
          // madvise(DONTNEED)-style: an empty placement drops the backing store (pipelined gutting).
          const ret = yield* ttmBoValidate(scratch, NO_PLACEMENT, operationCtx({ interruptible: true }));
          checkErrno(ret, 'task:purger', scratch);
          if (ret === 0) c.purges += 1;
          ttmBoUnreserve(scratch);
        }
        yield* ttmBoPut(scratch);
        return 0;
      });

      sim.spawn('dumper', function* () {
        while (!scratchSettled) yield { kind: 'sleep', ms: 1 };
        const bo = scratch;
        if (bo === null) return 0;
        for (let i = 0; i < cfg.dumps; i += 1) {
          const buf: number[] = [];
          const ret = yield* ttmBoAccess(bo, 0, PAGE_SIZE, false, buf);
          if (ret === PAGE_SIZE) c.dumpsOk += 1;
          else if (ret === -ENODATA) c.dumpsNoData += 1;
          else if (!ACCESS_ERRNOS.has(ret)) {
            breaches.push({
              id: 'correctness.errno',
              actor: 'task:dumper',
              message: `ttm_bo_access of ${bo.id} returned ${errnoName(ret)}`,
            });
          }
          yield { kind: 'sleep', ms: 1 };
        }
        yield* ttmBoPut(bo);
        return 0;
      });

      return {
        stats: () => ({ ...c, ...eventStats(sim), boCount: global.boCount }),
        check: () => [...breaches, ...leakChecks(dev, global, all)],
        describe: () =>
          all.map((bo) => `${bo.id} ${bo.size / PAGE_SIZE} pages: ${bo.destroyed ? 'destroyed' : 'alive'}`),
        worlds: () => [global],
      };
    },
  };
}

function eventStats(sim: Sim): Record<string, number> {
  const n = sim.mirror.counts;
  return {
    evictions: n.get('bo.evicted') ?? 0,
    moves: n.get('bo.moved') ?? 0,
    ghosts: n.get('bo.ghost') ?? 0,
    zombies: n.get('bo.zombie') ?? 0,
  };
}
