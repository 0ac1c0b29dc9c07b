// hot-unplug: a GPU is surprise-removed while userspace is using it, the way amdgpu's PCI remove path
// does it. The driver loads, allocates its kernel BOs (a contiguous ring buffer pinned top-down in VRAM
// and an IB pool pinned in TT, type ttm_bo_type_kernel: no mmap offset; tts are uncached) and writes the
// IB pool through ttm_bo_access; clients create a BO in CPU-visible VRAM (a placement with lpfn) and a
// TT BO each, mmap both (a private writable mapping is refused first) and touch every page frame after
// frame (VRAM faults map iomem PTEs into the aperture, TT faults populate the tt), and a debugger reads
// and writes their BOs
// with ttm_bo_access (ptrace on the mapping: SYSTEM/TT through a kernel map, VRAM -EIO with no
// access_memory hook). An importer wraps a foreign dma-buf as an sg BO, which the fault handler refuses
// to map. At a point drawn from the seed the driver runs drm_dev_unplug: every user mapping of the device
// is zapped and later faults get the dummy page (drm_dev_enter fails). The driver then frees its kernel
// BOs (amdgpu_driver_unload_kms); the clients go on, draw one last frame once the device is gone (every
// touch then maps the dummy page) and close; the drm device is released with the last close (drmm actions
// free the dummy pages) and ttm_device_fini takes TTM down.
//
// Checks (each a rule of the upstream code it names):
// - drm_dev_unplug (drm_drv.c): "Clear all CPU mappings pointing to this device": once it returned, no
//   VMA of the device maps VRAM, TT or system pages of a BO, only dummy pages;
// - ttm_bo_vm_fault (ttm_bo_vm.c): an unplugged device's fault maps the dummy page over the whole VMA
//   ("ttm_bo_vm_dummy_page"), never the BO; the dummy page is "alloc_page(GFP_KERNEL | __GFP_ZERO)": an
//   allocated frame that reads zeros;
// - ttm_bo_vm_reserve: "Refuse to fault imported pages": a fault on the sg BO is SIGBUS, no PTE;
// - ttm_bo_mmap_obj: "if (is_cow_mapping(vma->vm_flags)) return -EINVAL;";
// - ttm_bo_validate: a pinned BO is not moved: -EINVAL into another placement, 0 where it is; a client's
//   VRAM BO goes to invisible VRAM after each frame and back into the visible window before the next
//   (VRAM→VRAM moves by memcpy, [fpfn, lpfn) places): what the CPU wrote through its iomem PTEs must
//   read back after each round trip (src/sim/data_checks.ts);
// - ttm_bo_access: -EIO for VRAM with no access_memory hook and for a range beyond the BO; a read after
//   a write of the same BO returns the words written;
// - ttm_bo_release / ttm_bo_init_reserved: the driver's destroy callback runs exactly once per BO;
// - at the end nothing is left: no BO, no VRAM/TT use, no page frame once the dummy pages are released.

import type { Rng } from '../../engine/prng.ts';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitReserved,
  ttmBoPin,
  ttmBoPut,
  ttmBoReserve,
  ttmBoUnpin,
  ttmBoUnreserve,
  ttmBoValidate,
} from '../../kernel/bo.ts';
import {
  type CpuMapping,
  drmDevRelease,
  drmDevUnplug,
  ttmBoAccess,
  ttmBoMmapObj,
  ttmBoVmAccess,
  ttmBoVmClose,
  ttmBoVmFault,
} from '../../kernel/bo_vm.ts';
import {
  PAGE_SIZE,
  TTM_PL_FLAG_CONTIGUOUS,
  TTM_PL_FLAG_TOPDOWN,
  TTM_PL_SYSTEM,
  TTM_PL_TT,
  TTM_PL_VRAM,
} from '../../kernel/constants.ts';
import { TtmGlobal, ttmDeviceFini } from '../../kernel/device.ts';
import type { KGen } from '../../kernel/env.ts';
import { EFAULT, EINTR, EINVAL, EIO, ENOMEM, ERESTARTSYS, errnoName } from '../../kernel/errno.ts';
import { DmaFence } from '../../kernel/fence.ts';
import { operationCtx, place, placementOf } from '../../kernel/placement.ts';
import { createSimDevice, type SimDevice } from '../../kernel/simdrv.ts';
import { ttmDeviceDrainWorkqueue, ttmRangeManFini } from '../../kernel/teardown.ts';
import { dataStats, PageData, stepCounter } from '../data_checks.ts';
import { endOfLifeChecks, type WorldRecord } from '../end_checks.ts';
import type { Breach, Scenario, Workload } from '../scenario.ts';
import type { Sim } from '../sim.ts';
import { oneWorldWorkload, VALIDATE_ERRNOS } from './race_common.ts';

export interface HotUnplugConfig {
  readonly clients: number;
  /** Frames each client draws (one touch of every page of both BOs and a debugger access per frame). */
  readonly frames: number;
  /** Pages of each client BO. */
  readonly boPages: number;
  /**
   * The unplug comes once the clients together drew a number of frames drawn from the seed in
   * clients + 1..clients × frames: mid-run, after some client's BOs made a round trip through invisible
   * VRAM and were read back, and before the last frame every client draws once the device is gone.
   */
  readonly unplugAfterFrames: 'drawn';
}

const DEFAULTS: HotUnplugConfig = { clients: 2, frames: 3, boPages: 3, unplugAfterFrames: 'drawn' };

/** VRAM pages the CPU can reach through the PCI BAR (amdgpu's visible VRAM); the rest is invisible. */
const VISIBLE_VRAM_PAGES = 16;

/** A BO userspace maps: CPU-visible VRAM only (AMDGPU_GEM_CREATE_CPU_ACCESS_REQUIRED: lpfn = visible end). */
const VRAM_VISIBLE = placementOf(place(TTM_PL_VRAM, 0, 0, VISIBLE_VRAM_PAGES));
/**
 * The CPU-invisible part of VRAM (fpfn = visible end), where amdgpu_evict_flags first tries to put a BO
 * it takes out of visible VRAM ("Try evicting to the CPU inaccessible part of VRAM first").
 */
const VRAM_INVISIBLE = placementOf(place(TTM_PL_VRAM, 0, VISIBLE_VRAM_PAGES, 0));
/** The kernel's ring: contiguous, from the top of VRAM (amdgpu places what the CPU does not map top-down). */
const VRAM_KERNEL = placementOf(place(TTM_PL_VRAM, TTM_PL_FLAG_CONTIGUOUS | TTM_PL_FLAG_TOPDOWN));
const TT_ONLY = placementOf(place(TTM_PL_TT));

/**
 * What ttm_bo_access may return besides the length: a signal on the interruptible reserve, a populate
 * that found no page or IOVA range. (-EIO and -ENODATA are checked where they are the answer.)
 */
const ACCESS_ERRNOS: ReadonlySet<number> = new Set([-ERESTARTSYS, -EINTR, -ENOMEM, -EFAULT]);

/** Faults on one page before a touch gives up (a liveness bound; never reached in a passing run). */
const MAX_FAULTS = 16;

/** The word the debugger writes into page `i` of a BO in frame `frame` (never zero, unique per BO page). */
function pattern(client: number, frame: number, i: number): number {
  return 0x5a000000 + client * 0x10000 + frame * 0x100 + i + 1;
}

interface Counters {
  faults: number;
  pagesMapped: number;
  dummyPtes: number;
  sigbus: number;
  accesses: number;
  accessErrors: number;
  vramAccessEio: number;
  createFailures: number;
  /** Frames drawn after the unplug (faults then go to the dummy page). */
  framesAfterUnplug: number;
  /** Clients that drew their last frame, after the unplug. */
  lastFrames: number;
  /** Dummy-page PTEs whose page was read and found zero. */
  dummyReads: number;
  /** Validations of a client's VRAM BO into or out of the CPU-visible window that returned 0. */
  revalidated: number;
}

export function hotUnplug(overrides: Partial<HotUnplugConfig> = {}, name = 'hot-unplug'): Scenario {
  const cfg: HotUnplugConfig = { ...DEFAULTS, ...overrides };
  return {
    name,
    summary: `${cfg.clients} clients × a VRAM and a TT BO of ${cfg.boPages} pages mmapped and read by a debugger, kernel BOs pinned, an imported sg BO, drm_dev_unplug mid-run, teardown after the last close`,
    config: { scenario: 'hot-unplug', ...cfg },
    sometimes: [
      { id: 'framesAfterUnplug', description: 'a client drew a frame after the device was unplugged' },
      { id: 'dummyPtes', description: 'a fault mapped the dummy page of an unplugged device' },
    ],
    build(sim: Sim, rng: Rng): Workload {
      const global = new TtmGlobal();
      sim.adopt(global);
      const dev = createSimDevice(sim.env, global, 'device:0', {
        vramBytes: 32 * PAGE_SIZE,
        ttBytes: 32 * PAGE_SIZE,
        // Uncached GTT, as amdgpu gives BOs created without AMDGPU_GEM_CREATE_CPU_GTT_USWC on
        // platforms without coherent snooping.
        ttCaching: 'uncached',
      });
      const run = new HotUnplugRun(dev, global, cfg);
      run.data = new PageData(run.breaches, stepCounter(sim));
      const unplugAfter = rng.int(
        Math.min(cfg.clients + 1, cfg.clients * cfg.frames),
        cfg.clients * cfg.frames,
      );
      sim.spawn('driver', () => run.driver('task:driver', unplugAfter));
      for (let c = 0; c < cfg.clients; c += 1)
        sim.spawn(`client${c}`, () => run.client(`task:client${c}`, c));
      sim.spawn('importer', () => run.importer('task:importer'));
      return oneWorldWorkload(
        global,
        run.all,
        () => statsOf(run),
        () => [...run.breaches, ...run.endChecks()],
      );
    },
  };
}

/** One run: the device, the BOs, counters and breaches, and the tasks' bodies (methods: see RaceRun). */
class HotUnplugRun {
  readonly c: Counters = {
    faults: 0,
    pagesMapped: 0,
    dummyPtes: 0,
    sigbus: 0,
    accesses: 0,
    accessErrors: 0,
    vramAccessEio: 0,
    createFailures: 0,
    framesAfterUnplug: 0,
    lastFrames: 0,
    dummyReads: 0,
    revalidated: 0,
  };
  readonly breaches: Breach[] = [];
  /** What the clients' VRAM BOs must hold, checked on every CPU read through an iomem PTE. */
  data!: PageData;
  readonly all: BufferObject[] = [];
  /** Tasks other than the driver still running (the drm device is released after the last). */
  users: number;
  /** drm_dev_unplug returned. */
  unplugged = false;
  /** Regular frames the clients drew so far (the driver's unplug waits for a drawn number of them). */
  framesDrawn = 0;
  /** The number of frames the unplug waits for (set by the driver), and the fence that says they were drawn. */
  unplugAfter = Number.POSITIVE_INFINITY;
  readonly unplugDue = new DmaFence(0, 0, 'fence:hot-unplug.due');
  released = false;

  /** What the end checks look at, recorded after init (the managers are gone from the device by then). */
  readonly world: WorldRecord;

  constructor(
    readonly dev: SimDevice,
    readonly global: TtmGlobal,
    readonly cfg: HotUnplugConfig,
  ) {
    this.users = cfg.clients + 1;
    const system = dev.bdev.manager(TTM_PL_SYSTEM);
    this.world = {
      global,
      devices: [{ bdev: dev.bdev, managers: [...(system === null ? [] : [system]), dev.vram, dev.tt] }],
      iommus: [],
      bos: this.all,
    };
  }

  private breach(id: string, actor: string, message: string): void {
    this.breaches.push({ id, actor, message });
  }

  /** A new BO of `pages` pages and `type`, validated into `placement`; null (counted) when that failed. */
  private *create(
    who: string,
    pages: number,
    type: 'device' | 'kernel' | 'sg',
    placement: typeof TT_ONLY,
  ): KGen<BufferObject | null> {
    const bo = newBufferObject(this.dev.bdev, pages * PAGE_SIZE);
    this.all.push(bo);
    // ttm_bo_init_reserved then unreserve, as amdgpu_bo_create does (an import passes its sg table).
    const ctx = operationCtx({ interruptible: true });
    const sg = type === 'sg' ? { nents: pages } : null;
    const ret = yield* ttmBoInitReserved(this.dev.bdev, bo, type, placement, 1, ctx, sg, null, this.destroy);
    if (ret === 0) ttmBoUnreserve(bo);
    if (ret === 0) return bo;
    this.c.createFailures += 1;
    if (!VALIDATE_ERRNOS.has(ret))
      this.breach('correctness.errno', who, `creating ${bo.id} returned ${errnoName(ret)}`);
    return null;
  }

  /**
   * The driver: load (kernel BOs pinned), unplug once the clients drew `unplugAfter` frames, unload (kernel BOs freed),
   * then, after the last user closed, release the drm device and take TTM down.
   */
  *driver(who: string, unplugAfter: number): KGen<number> {
    const ring = yield* this.create(who, 2, 'kernel', VRAM_KERNEL);
    const ib = yield* this.create(who, 2, 'kernel', TT_ONLY);
    const pinned: BufferObject[] = [];
    for (const bo of [ring, ib]) {
      if (bo === null) continue;
      // ttm_bo_pin needs the resv; the kernel's own BOs are reserved without a signal to stop it.
      if ((yield* ttmBoReserve(bo, false, false, null)) !== 0) continue;
      ttmBoPin(bo);
      // A pinned BO stays where it is: validating it into a placement it is not in is -EINVAL
      // (ttm_bo_validate: "if (bo->pin_count) return -EINVAL" once the resource is incompatible),
      // into one it is in is 0.
      const away = yield* ttmBoValidate(bo, bo === ring ? TT_ONLY : VRAM_KERNEL, operationCtx());
      const stay = yield* ttmBoValidate(bo, bo === ring ? VRAM_KERNEL : TT_ONLY, operationCtx());
      if (away !== -EINVAL || stay !== 0) {
        this.breach(
          'correctness.pinned-move',
          who,
          `validating pinned ${bo.id}: elsewhere ${away}, in place ${stay}`,
        );
      }
      ttmBoUnreserve(bo);
      pinned.push(bo);
    }
    if (ib !== null && pinned.includes(ib)) {
      const words = [0xfeed0001, 0xfeed0002];
      const w = yield* ttmBoAccess(ib, 0, 2 * PAGE_SIZE, true, words);
      if (w === 2 * PAGE_SIZE) yield* this.readBack(who, ib, words);
      else this.accessError(who, ib, w);
    }
    this.unplugAfter = unplugAfter;
    if (this.framesDrawn < unplugAfter)
      yield { kind: 'fences', fences: [this.unplugDue], interruptible: false, timeoutMs: null };
    yield* drmDevUnplug(this.dev.bdev);
    this.unplugged = true;
    this.mappingsAfterUnplug(who, 'drm_dev_unplug returned');
    // amdgpu_driver_unload_kms: the driver's kernel BOs go (unpinned under their resv, then put).
    for (const bo of pinned) {
      yield* ttmBoReserve(bo, false, false, null);
      ttmBoUnpin(bo);
      ttmBoUnreserve(bo);
      yield* ttmBoPut(bo);
    }
    // The drm device is released with the last close (amdgpu_driver_release_kms): the delayed deletes
    // are drained, amdgpu_ttm_fini takes VRAM then TT down and runs ttm_device_fini, and drm_dev_release's
    // managed actions free the dummy pages last.
    while (this.users > 0) yield { kind: 'sleep', ms: 1 };
    const bdev = this.dev.bdev;
    yield* ttmDeviceDrainWorkqueue(bdev);
    for (const memType of [TTM_PL_VRAM, TTM_PL_TT]) {
      const ret = yield* ttmRangeManFini(bdev, memType);
      if (ret !== 0)
        this.breach('correctness.errno', who, `ttm_range_man_fini(${memType}) returned ${errnoName(ret)}`);
    }
    ttmDeviceFini(bdev);
    drmDevRelease(bdev);
    this.released = true;
    return 0;
  }

  /** A client: a VRAM and a TT BO, mmapped, touched and accessed by the debugger every frame, then closed. */
  *client(who: string, index: number): KGen<number> {
    const { cfg } = this;
    const vram = yield* this.create(who, cfg.boPages, 'device', VRAM_VISIBLE);
    if (vram !== null) this.data.trackNew(vram);
    const tt = yield* this.create(who, cfg.boPages, 'device', TT_ONLY);
    const vmas: CpuMapping[] = [];
    for (const bo of [vram, tt]) {
      if (bo === null) continue;
      // A private writable mapping would be copy-on-write: ttm_bo_mmap_obj refuses it (-EINVAL).
      const cow = ttmBoMmapObj(bo, { shared: false, mayWrite: true });
      if (cow !== -EINVAL)
        this.breach('correctness.mmap-cow', who, `a private writable mmap of ${bo.id} gave ${cow}`);
      const vma = ttmBoMmapObj(bo);
      if (typeof vma === 'number')
        this.breach('correctness.errno', who, `mmap of ${bo.id} returned ${errnoName(vma)}`);
      else vmas.push(vma);
    }
    // The frames drawn, then one more once the device is gone: userspace keeps its mappings and touches
    // them after the removal (each fault then maps the dummy page, which reads zeros).
    for (let frame = 0; frame <= cfg.frames; frame += 1) {
      if (frame === cfg.frames) {
        while (!this.unplugged) yield { kind: 'sleep', ms: 1 };
        this.c.lastFrames += 1;
      }
      if (this.unplugged) this.c.framesAfterUnplug += 1;
      if (vram !== null) yield* this.revalidate(who, vram, VRAM_VISIBLE);
      for (const vma of vmas) {
        for (let page = 0; page < vma.numPages; page += 1) {
          if (!(yield* this.touch(who, vma, page))) break;
        }
      }
      if (this.unplugged) this.mappingsAfterUnplug(who, `frame ${frame} after the unplug`);
      if (this.unplugged) this.dummyPagesZero(who, vmas);
      if (frame === cfg.frames) break;
      this.framesDrawn += 1;
      if (this.framesDrawn >= this.unplugAfter && !this.unplugDue.signaled) this.unplugDue.signal();
      if (vram !== null) yield* this.revalidate(who, vram, VRAM_INVISIBLE);
      if (tt !== null) yield* this.debugAccess(who, tt, vmas, index, frame);
      if (vram !== null) {
        const buf: number[] = [];
        const r = yield* ttmBoAccess(vram, 0, PAGE_SIZE, false, buf);
        if (r === -EIO) this.c.vramAccessEio += 1;
        else if (!ACCESS_ERRNOS.has(r)) {
          this.breach('correctness.access', who, `ttm_bo_access of VRAM ${vram.id} returned ${r}, not -EIO`);
        }
      }
    }
    for (const vma of vmas) yield* ttmBoVmClose(vma);
    for (const bo of [vram, tt]) if (bo !== null) yield* ttmBoPut(bo);
    this.users -= 1;
    return 0;
  }

  /** The importer: an sg BO in TT (a foreign dma-buf), mmapped; every fault on it must be SIGBUS. */
  *importer(who: string): KGen<number> {
    const bo = yield* this.create(who, 2, 'sg', TT_ONLY);
    if (bo !== null) {
      const vma = ttmBoMmapObj(bo);
      if (typeof vma !== 'number') {
        const flags = { allowRetry: true, retryNowait: false, interruptible: true };
        const ret = yield* ttmBoVmFault(vma, 0, flags);
        if (ret === 'SIGBUS') this.c.sigbus += 1;
        else
          this.breach(
            'correctness.fault-imported',
            who,
            `fault on imported ${bo.id} returned ${ret}, not SIGBUS`,
          );
        if (vma.ptes.size !== 0)
          this.breach('correctness.fault-imported', who, `imported ${bo.id} got a PTE`);
        yield* ttmBoVmClose(vma);
      }
      yield* ttmBoPut(bo);
    }
    this.users -= 1;
    return 0;
  }

  /** Reserve `bo` (uninterruptibly, as a driver's own move does), validate it into `placement`, unreserve. */
  private *revalidate(who: string, bo: BufferObject, placement: typeof TT_ONLY): KGen<void> {
    if ((yield* ttmBoReserve(bo, false, false, null)) !== 0) return;
    const ret = yield* ttmBoValidate(bo, placement, operationCtx());
    ttmBoUnreserve(bo);
    if (ret === 0) this.c.revalidated += 1;
    else if (!VALIDATE_ERRNOS.has(ret))
      this.breach('correctness.errno', who, `validating ${bo.id} returned ${errnoName(ret)}`);
  }

  /** A user access to `page` of `vma`: fault until a PTE is there. False when it gave up (SIGBUS/OOM). */
  private *touch(who: string, vma: CpuMapping, page: number): KGen<boolean> {
    for (let attempt = 0; attempt < MAX_FAULTS; attempt += 1) {
      const pte = vma.ptes.get(page);
      if (pte !== undefined) {
        this.c.pagesMapped += 1;
        if (pte.kind === 'dummy') this.c.dummyPtes += 1;
        // A read of an iomem page checks what the BO last held there, then the next word is written.
        if (pte.kind === 'iomem' && this.data.shadowOf(vma.bo) !== undefined) {
          this.data.verifyPte(vma.bo, pte, page, who);
          this.data.cpuWritePte(vma.bo, pte, page);
        }
        return true;
      }
      this.c.faults += 1;
      const wasUnplugged = this.unplugged;
      const flags = { allowRetry: attempt === 0, retryNowait: false, interruptible: true };
      const ret = yield* ttmBoVmFault(vma, page, flags);
      if (ret === 'SIGBUS') {
        this.c.sigbus += 1;
        return false;
      }
      // VM_FAULT_OOM: the dummy page's alloc_page failed, or (as upstream returns it) a prefaulted PTE's
      // page-table allocation after the first one; userspace sees the OOM killer, this touch gives up.
      if (ret === 'OOM') return false;
      if (wasUnplugged) {
        const got = vma.ptes.get(page);
        if (got !== undefined && got.kind !== 'dummy') {
          this.breach(
            'correctness.unplug-pte',
            who,
            `${vma.bo.id} page ${page}: a fault on the unplugged device mapped ${got.kind} pfn ${got.pfn}, not the dummy page`,
          );
        }
      }
    }
    this.breach(
      'correctness.fault-stuck',
      who,
      `${vma.bo.id} page ${page} still unmapped after ${MAX_FAULTS} faults`,
    );
    return false;
  }

  /**
   * The debugger on a TT BO: a write of a pattern through the mapping (ptrace: ttm_bo_vm_access), a read
   * that must return it (ttm_bo_access), and an access beyond the BO (-EIO).
   */
  private *debugAccess(
    who: string,
    bo: BufferObject,
    vmas: readonly CpuMapping[],
    client: number,
    frame: number,
  ): KGen<void> {
    const pages = bo.size / PAGE_SIZE;
    const words = Array.from({ length: pages }, (_, i) => pattern(client, frame, i));
    const vma = vmas.find((v) => v.bo === bo);
    this.c.accesses += 1;
    const w =
      vma === undefined
        ? yield* ttmBoAccess(bo, 0, bo.size, true, words)
        : yield* ttmBoVmAccess(vma, 0, bo.size, true, words);
    if (w !== bo.size) {
      this.accessError(who, bo, w);
      return;
    }
    yield* this.readBack(who, bo, words);
    const beyond = yield* ttmBoAccess(bo, bo.size - PAGE_SIZE, 2 * PAGE_SIZE, false, []);
    if (beyond !== -EIO) {
      this.breach(
        'correctness.access',
        who,
        `ttm_bo_access beyond the end of ${bo.id} returned ${beyond}, not -EIO`,
      );
    }
  }

  /** ttm_bo_access reads `words` back from `bo` (only this task writes it). */
  private *readBack(who: string, bo: BufferObject, words: readonly number[]): KGen<void> {
    const got: number[] = [];
    const r = yield* ttmBoAccess(bo, 0, words.length * PAGE_SIZE, false, got);
    if (r !== words.length * PAGE_SIZE) {
      this.accessError(who, bo, r);
      return;
    }
    for (let i = 0; i < words.length; i += 1) {
      if (got[i] !== words[i]) {
        this.breach(
          'correctness.access-data',
          who,
          `${bo.id} page ${i}: ttm_bo_access read ${got[i]?.toString(16)}, wrote ${words[i]?.toString(16)}`,
        );
        return;
      }
    }
  }

  private accessError(who: string, bo: BufferObject, ret: number): void {
    this.c.accessErrors += 1;
    if (!ACCESS_ERRNOS.has(ret))
      this.breach('correctness.errno', who, `ttm_bo_access of ${bo.id} returned ${ret}`);
  }

  /** drm_dev_unplug's promise: no VMA of the device maps anything but dummy pages. */
  private mappingsAfterUnplug(who: string, when: string): void {
    for (const vma of this.dev.bdev.vmas) {
      for (const [page, pte] of vma.ptes) {
        if (pte.kind === 'dummy') continue;
        this.breach(
          'correctness.unplug-pte',
          who,
          `${when}: ${vma.id} of ${vma.bo.id} still maps page ${page} (${pte.kind} pfn ${pte.pfn})`,
        );
        return;
      }
    }
  }

  /**
   * ttm_bo_vm_dummy_page maps "alloc_page(GFP_KERNEL | __GFP_ZERO)": every dummy PTE of the client's
   * VMAs maps an allocated frame that reads zeros (nothing writes a dummy page).
   */
  private dummyPagesZero(who: string, vmas: readonly CpuMapping[]): void {
    const ram = this.global.ram;
    for (const vma of vmas) {
      for (const [page, pte] of vma.ptes) {
        if (pte.kind !== 'dummy') continue;
        const word = ram.isAllocated(pte.pfn) ? ram.read(pte.pfn) : null;
        if (word !== 0) {
          this.breach(
            'correctness.dummy-page',
            who,
            `${vma.id} of ${vma.bo.id} page ${page} maps dummy pfn ${pte.pfn}, which ${word === null ? 'is free' : `reads ${word.toString(16)}, not zeros`}`,
          );
          return;
        }
        this.c.dummyReads += 1;
      }
    }
  }

  /**
   * The driver's destroy callback (amdgpu_bo_destroy frees the driver's container): TTM calls it once
   * per BO, when the last reference goes ("bo->destroy(bo);" in ttm_bo_release) or when
   * ttm_bo_init_reserved fails ("If a failure occurs, the function will call the @destroy function").
   */
  readonly destroy = (bo: BufferObject): void => {
    this.destroyCalls.set(bo, (this.destroyCalls.get(bo) ?? 0) + 1);
  };
  readonly destroyCalls = new Map<BufferObject, number>();

  /** At the end: the device was released and taken down, and every count is back at zero (END_CHECKS). */
  endChecks(): Breach[] {
    if (!this.released) return [{ id: 'correctness.teardown', message: 'the drm device was never released' }];
    for (const bo of this.all) {
      const calls = this.destroyCalls.get(bo) ?? 0;
      if (calls !== 1)
        return [
          {
            id: 'correctness.destroy',
            message: `the driver's destroy callback ran ${calls} times for ${bo.id}`,
          },
        ];
    }
    return endOfLifeChecks(this.world, true);
  }
}

/** The run's statistics: one object literal of fixed shape (see statsOf in race.ts). */
function statsOf(run: HotUnplugRun): Record<string, number> {
  const c = run.c;
  return {
    faults: c.faults,
    pagesMapped: c.pagesMapped,
    dummyPtes: c.dummyPtes,
    sigbus: c.sigbus,
    accesses: c.accesses,
    accessErrors: c.accessErrors,
    vramAccessEio: c.vramAccessEio,
    createFailures: c.createFailures,
    framesAfterUnplug: c.framesAfterUnplug,
    lastFrames: c.lastFrames,
    dummyReads: c.dummyReads,
    revalidated: c.revalidated,
    ...dataStats(run.data),
    boCount: run.global.boCount,
  };
}
