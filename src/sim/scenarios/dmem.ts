// dmem-cgroups: clients in dmem cgroups share a small VRAM (kernel/cgroup/dmem.c, 6.14+). The driver
// registers its VRAM manager as a dmem region (amdgpu and xe: drmm_cgroup_register_region at
// ttm_range_man_init, kept in man->cg); the cgroups are a foreground one with dmem.low and dmem.min
// (a game, a compositor) and a background one with dmem.max whose two children (batch jobs) share that
// limit. Each client creates its BOs, then submits frames: it reserves its BOs with one ww ticket,
// validates them into VRAM with TT as fallback, fences them with a GPU job whose data every page carries,
// and unreserves. A charge over a max evicts within the limiting pool's subtree (the sibling job's BOs);
// a full VRAM evicts the background before the foreground's protected use. The whole lifecycle of
// lifecycle.ts runs around it (suspend evicts everything regardless of cgroups, as
// ttm_resource_manager_evict_all does); after teardown no pool may keep a charge.
// `cgroups: 'design'` makes the same workload run without cgroups unless the `dmem` design is on, so
// `ttm-sim compare` shows today's kernel without cgroups next to dmem with and without protections.

import { DESIGN_DMEM, designValue } from '../../designs/spec.ts';
import type { Rng } from '../../engine/prng.ts';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitValidate,
  ttmBoPut,
  ttmBoUnreserve,
  ttmBoValidate,
} from '../../kernel/bo.ts';
import {
  memTypeName,
  PAGE_SIZE,
  TTM_PL_FLAG_FALLBACK,
  TTM_PL_TT,
  TTM_PL_VRAM,
} from '../../kernel/constants.ts';
import { TtmGlobal } from '../../kernel/device.ts';
import {
  type DmemCgroup,
  DmemCgroupTree,
  type DmemRegion,
  dmemCgroupRegisterRegion,
  dmemFindPool,
  dmemSetLimit,
} from '../../kernel/dmem_cgroup.ts';
import type { KGen } from '../../kernel/env.ts';
import { operationCtx, type Placement, place, placementOf } from '../../kernel/placement.ts';
import { DmaResvUsage, wwAcquireInit } from '../../kernel/resv.ts';
import { createSimDevice, type SimDevice } from '../../kernel/simdrv.ts';
import { dataStats, PageData, stepCounter } from '../data_checks.ts';
import type { Breach, Scenario, Workload } from '../scenario.ts';
import type { Sim } from '../sim.ts';
import { LIFECYCLE, Lifecycle, lifecycleStats } from './lifecycle.ts';
import { reserveAll } from './reserve.ts';

export interface DmemConfig {
  readonly vramKiB: number;
  readonly ttKiB: number;
  /** BOs per client and their size range. */
  readonly bosPerClient: number;
  readonly minBoKiB: number;
  readonly maxBoKiB: number;
  readonly frames: number;
  /** The foreground cgroup's dmem.low and dmem.min (KiB). */
  readonly fgLowKiB: number;
  readonly fgMinKiB: number;
  /** The background cgroup's dmem.max (KiB), shared by its two job cgroups. */
  readonly bgMaxKiB: number;
  /**
   * 'on': the cgroups always; 'design': only with the `dmem` design on (its `protect` parameter decides
   * whether the foreground gets dmem.low/min), otherwise no region and no cgroup (today's kernel).
   */
  readonly cgroups: 'on' | 'design';
  /**
   * The cgroup tree (absent: 'fg-bg'). 'fg-bg': the foreground `fg` (low, min) next to `bg` (max) over
   * jobs `bg/a` and `bg/b`. 'low-siblings': `g` (the max) over `g/p` (the low and min, client p0) and
   * `g/q` (clients q0 and q1), so the charges that hit g's max find the protected sibling's BOs within
   * their low: dmem.low is best-effort, and ttm_bo_evict_alloc's walks that ignore it evict them.
   */
  readonly layout?: 'fg-bg' | 'low-siblings';
}

const DEFAULTS: DmemConfig = {
  vramKiB: 256,
  ttKiB: 1024,
  bosPerClient: 3,
  minBoKiB: 16,
  maxBoKiB: 64,
  frames: 4,
  fgLowKiB: 128,
  fgMinKiB: 32,
  bgMaxKiB: 128,
  cgroups: 'on',
};

/** The clients: their task names and cgroup paths (fg: foreground; bg/a, bg/b: background jobs). */
const CLIENTS = [
  { name: 'fg0', cgroup: 'fg' },
  { name: 'job-a', cgroup: 'bg/a' },
  { name: 'job-b', cgroup: 'bg/b' },
] as const;

/** The clients of the 'low-siblings' layout: the protected p0, then q0 and q1 sharing g/q. */
const LOW_SIBLING_CLIENTS = [
  { name: 'p0', cgroup: 'g/p' },
  { name: 'q0', cgroup: 'g/q' },
  { name: 'q1', cgroup: 'g/q' },
] as const;

function clientsOf(cfg: DmemConfig): readonly { readonly name: string; readonly cgroup: string }[] {
  return cfg.layout === 'low-siblings' ? LOW_SIBLING_CLIENTS : CLIENTS;
}

/** Where BOs go: VRAM, or TT when VRAM cannot be made free (amdgpu's VRAM|GTT domain). */
const VRAM_OR_TT: Placement = placementOf(place(TTM_PL_VRAM), place(TTM_PL_TT, TTM_PL_FLAG_FALLBACK));

/** What the cgroups of a run are: none, limits only, or limits and protections. */
type CgroupMode = 'none' | 'limits' | 'protect';

function modeOf(cfg: DmemConfig, designs: ReadonlySet<string>): CgroupMode {
  if (cfg.cgroups === 'on') return 'protect';
  const v = designValue(designs, DESIGN_DMEM, 'low');
  if (v === undefined) return 'none';
  return v === 'none' ? 'limits' : 'protect';
}

interface Counters {
  created: number;
  createFailures: number;
  submits: number;
  submitFailures: number;
  backoffs: number;
  /** Frames whose BOs were all in VRAM after validation, per client (fg0, job-a, job-b). */
  inVram: number[];
  /** BOs of a client found in TT after a validate (placed in the fallback), per client. */
  inTt: number[];
}

/** One run: the device, its region and cgroups, counters and the clients' bodies (generator methods). */
class DmemRun {
  readonly c: Counters = {
    created: 0,
    createFailures: 0,
    submits: 0,
    submitFailures: 0,
    backoffs: 0,
    inVram: [0, 0, 0],
    inTt: [0, 0, 0],
  };
  readonly all: BufferObject[] = [];
  readonly data: PageData;
  lc!: Lifecycle;
  tree: DmemCgroupTree | null = null;
  region: DmemRegion | null = null;
  readonly cgroups: DmemCgroup[] = [];

  constructor(
    readonly cfg: DmemConfig,
    readonly sim: Sim,
    readonly global: TtmGlobal,
    readonly dev: SimDevice,
  ) {
    this.data = new PageData([], stepCounter(sim));
  }

  /** drmm_cgroup_register_region for VRAM, the cgroup tree, the limits, and each client's cgroup.procs. */
  setUp(mode: CgroupMode): void {
    if (mode === 'none') return;
    const cfg = this.cfg;
    const tree = new DmemCgroupTree(this.global);
    const vram = this.dev.bdev.manager(TTM_PL_VRAM);
    const region = dmemCgroupRegisterRegion(tree, cfg.vramKiB * 1024, `drm/${this.dev.bdev.id}/vram0`);
    if (vram === null || region === null) return;
    vram.cg = region;
    this.tree = tree;
    this.region = region;
    if (cfg.layout === 'low-siblings') {
      this.setUpLowSiblings(mode, tree, region);
      return;
    }
    const fg = tree.createCgroup('fg');
    const bg = tree.createCgroup('bg');
    const a = tree.createCgroup('a', bg);
    const b = tree.createCgroup('b', bg);
    // The root has no dmem.max (CFTYPE_NOT_ON_ROOT): an administrator's write there is refused and
    // changes nothing (dmem.limit-write.post checks both writes).
    dmemSetLimit(tree.root, region, 'max', cfg.bgMaxKiB * 1024);
    dmemSetLimit(bg, region, 'max', cfg.bgMaxKiB * 1024);
    if (mode === 'protect') {
      dmemSetLimit(fg, region, 'low', cfg.fgLowKiB * 1024);
      dmemSetLimit(fg, region, 'min', cfg.fgMinKiB * 1024);
    }
    const byPath = new Map<string, DmemCgroup>([
      ['fg', fg],
      ['bg/a', a],
      ['bg/b', b],
    ]);
    for (const cl of CLIENTS) tree.attachTask(`task:${cl.name}`, byPath.get(cl.cgroup)!);
    this.cgroups.push(fg, bg, a, b);
  }

  /** The 'low-siblings' tree: g (dmem.max) over g/p (dmem.low, dmem.min) and g/q. */
  private setUpLowSiblings(mode: CgroupMode, tree: DmemCgroupTree, region: DmemRegion): void {
    const cfg = this.cfg;
    const g = tree.createCgroup('g');
    const p = tree.createCgroup('p', g);
    const q = tree.createCgroup('q', g);
    dmemSetLimit(g, region, 'max', cfg.bgMaxKiB * 1024);
    if (mode === 'protect') {
      dmemSetLimit(p, region, 'low', cfg.fgLowKiB * 1024);
      dmemSetLimit(p, region, 'min', cfg.fgMinKiB * 1024);
    }
    tree.attachTask('task:p0', p);
    tree.attachTask('task:q0', q);
    tree.attachTask('task:q1', q);
    // Stats read index 0 as the protected cgroup and 1 as the limited one.
    this.cgroups.push(p, g, q);
  }

  /** Reserve, validate, fence and unreserve the client's BOs once. */
  *frame(client: number, bos: readonly BufferObject[]): KGen<void> {
    const { c, sim } = this;
    const env = sim.env;
    const ticket = wwAcquireInit(env);
    const locked = yield* reserveAll(bos, ticket, () => {
      c.backoffs += 1;
    });
    if (typeof locked === 'number') {
      c.submitFailures += 1;
      return;
    }
    const ctx = operationCtx({ interruptible: true });
    let failed = false;
    for (const bo of locked) if ((yield* ttmBoValidate(bo, VRAM_OR_TT, ctx)) !== 0) failed = true;
    if (failed) c.submitFailures += 1;
    else {
      const job = this.dev.gfxRing.emit();
      this.data.gpuJob(locked, job, env.current());
      for (const bo of locked) {
        bo.resv.reserveFences(1);
        bo.resv.addFence(job, DmaResvUsage.WRITE);
      }
      c.submits += 1;
      const tt = locked.filter((bo) => bo.resource?.memType === TTM_PL_TT).length;
      c.inTt[client]! += tt;
      if (tt === 0) c.inVram[client]! += 1;
    }
    for (const bo of locked) ttmBoUnreserve(bo);
  }

  /** A client: create its BOs (charged to its cgroup), submit its frames, put them. */
  *client(client: number, sizes: readonly number[]): KGen<number> {
    const { cfg, c, dev } = this;
    const bos: BufferObject[] = [];
    for (const size of sizes) {
      const bo = newBufferObject(dev.bdev, size);
      this.all.push(bo);
      const ret = yield* ttmBoInitValidate(dev.bdev, bo, 'device', VRAM_OR_TT, 1, true, null);
      if (ret === 0) {
        this.data.trackNew(bo);
        bos.push(bo);
        c.created += 1;
      } else {
        c.createFailures += 1;
      }
    }
    for (let frame = 0; frame < cfg.frames; frame += 1) {
      if (frame === Math.ceil(cfg.frames / 2)) yield* this.lc.freezePoint();
      yield* this.frame(client, bos);
    }
    for (const bo of bos) yield* ttmBoPut(bo);
    return 0;
  }

  /** After teardown no pool keeps a charge: every resource was freed, so every usage is 0. */
  check(): Breach[] {
    const region = this.region;
    const tree = this.tree;
    if (region === null || tree === null) return [];
    const out: Breach[] = [];
    for (const cg of tree.cgroups()) {
      const pool = dmemFindPool(cg, region);
      if (pool !== null && pool.usage !== 0) {
        out.push({
          id: 'dmem.usage.charged-resources',
          actor: pool.id,
          message: `after teardown ${pool.id} is still charged ${pool.usage} B with no resource left`,
        });
      }
    }
    return out;
  }
}

function sizeBytes(rng: Rng, cfg: DmemConfig): number {
  return rng.int((cfg.minBoKiB * 1024) / PAGE_SIZE, (cfg.maxBoKiB * 1024) / PAGE_SIZE) * PAGE_SIZE;
}

export function dmemCgroups(overrides: Partial<DmemConfig> = {}, name = 'dmem-cgroups'): Scenario {
  const cfg: DmemConfig = { ...DEFAULTS, ...overrides };
  const cgText =
    cfg.cgroups !== 'on'
      ? 'cgroups only with --design dmem'
      : cfg.layout === 'low-siblings'
        ? `g max ${cfg.bgMaxKiB} KiB over p (low ${cfg.fgLowKiB} KiB min ${cfg.fgMinKiB} KiB) and q`
        : `fg low ${cfg.fgLowKiB} KiB min ${cfg.fgMinKiB} KiB, bg max ${cfg.bgMaxKiB} KiB over jobs a and b`;
  return {
    name,
    summary: `3 clients in dmem cgroups (${cgText}), ${cfg.bosPerClient} BOs each, ${cfg.frames} frames, VRAM ${cfg.vramKiB} KiB, TT ${cfg.ttKiB} KiB: charge, evict within the limit, protect`,
    config: { scenario: 'dmem-cgroups', ...cfg, lifecycle: LIFECYCLE },
    sometimes: [
      // Without the design, dmem-compare has no cgroup whose max a charge could hit.
      ...(cfg.cgroups === 'on'
        ? [{ id: 'bgLimitHits', description: "a charge hit the background cgroup's dmem.max" }]
        : []),
      { id: 'evictions', description: 'a validate evicted another BO' },
      { id: 'fgInTt', description: "the foreground client's BO ended a validate in TT" },
      { id: 'bgInTt', description: "a background job's BO ended a validate in TT" },
      { id: 'submitFailures', description: 'a submit could not place its BOs' },
    ],
    build(sim: Sim, rng: Rng): Workload {
      const global = new TtmGlobal();
      sim.adopt(global);
      const dev = createSimDevice(sim.env, global, 'device:0', {
        vramBytes: cfg.vramKiB * 1024,
        ttBytes: cfg.ttKiB * 1024,
        ttCaching: 'write_combined',
      });
      const run = new DmemRun(cfg, sim, global, dev);
      run.setUp(modeOf(cfg, global.designs));
      const lc = new Lifecycle(sim, [{ global, devices: [dev], bos: run.all }], { hibernate: false });
      run.lc = lc;
      for (const [i, cl] of clientsOf(cfg).entries()) {
        const sizes = Array.from({ length: cfg.bosPerClient }, () => sizeBytes(rng, cfg));
        lc.worker(cl.name, () => run.client(i, sizes));
      }
      lc.start();
      return {
        stats() {
          return statsOf(run);
        },
        check() {
          return [...run.data.breaches, ...lc.check(), ...run.check()];
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

/** Peak usage of a cgroup's pool in bytes (0 without cgroups). */
function peak(run: DmemRun, i: number): number {
  const cg = run.cgroups[i];
  if (cg === undefined || run.region === null) return 0;
  return dmemFindPool(cg, run.region)?.watermark ?? 0;
}

function failcnt(run: DmemRun, i: number): number {
  const cg = run.cgroups[i];
  if (cg === undefined || run.region === null) return 0;
  return dmemFindPool(cg, run.region)?.failcnt ?? 0;
}

/** The run's statistics, one object literal of fixed shape (see statsOf in race.ts). */
function statsOf(run: DmemRun): Record<string, number> {
  const c = run.c;
  const m = run.sim.mirror;
  return {
    created: c.created,
    createFailures: c.createFailures,
    submits: c.submits,
    submitFailures: c.submitFailures,
    backoffs: c.backoffs,
    fgFramesInVram: c.inVram[0]!,
    bgFramesInVram: c.inVram[1]! + c.inVram[2]!,
    fgInTt: c.inTt[0]!,
    bgInTt: c.inTt[1]! + c.inTt[2]!,
    fgPeakBytes: peak(run, 0),
    bgPeakBytes: peak(run, 1),
    bgLimitHits: failcnt(run, 1),
    evictions: m.count('bo.evicted'),
    moves: m.count('bo.moved'),
    zombies: m.count('bo.zombie'),
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
