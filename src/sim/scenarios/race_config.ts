// The race scenario's config (race.ts): the devices (each its own TTM world), the buffer objects created
// on them before the run and the racing tasks, with their defaults, the built-in `race` config, and what
// a config may not say (raceProblems: names, references, room, combinations the model cannot run).
// Scenario files (src/sim/scenario_file.ts) are checked against the same rules.

import {
  TTM_ALLOCATION_POOL_BENEFICIAL_ORDER,
  TTM_ALLOCATION_PROPAGATE_ENOSPC,
} from '../../kernel/allocation.ts';
import { type Caching, PAGE_SIZE } from '../../kernel/constants.ts';

// ---------------------------------------------------------------------------------------------------
// The config

export type DeviceStyle = 'amdgpu' | 'xe';
export type BoPlacement = 'vram' | 'tt' | 'vram-or-tt' | 'system';
export type ReclaimMode = 'pool' | 'shrinker' | 'swapout';
export type EvictMem = 'vram' | 'tt';

export const DEVICE_STYLES: readonly DeviceStyle[] = ['amdgpu', 'xe'];
export const BO_PLACEMENTS: readonly BoPlacement[] = ['vram', 'tt', 'vram-or-tt', 'system'];
export const RECLAIM_MODES: readonly ReclaimMode[] = ['pool', 'shrinker', 'swapout'];
export const EVICT_MEMS: readonly EvictMem[] = ['vram', 'tt'];
export const CACHINGS: readonly Caching[] = ['cached', 'write_combined', 'uncached'];
export const TASK_KINDS = ['fault', 'exec', 'reclaim', 'put', 'signal', 'evict'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** One device, in a world of its own (RAM, swap, TTM globals). */
export interface RaceDevice {
  readonly name: string;
  readonly style: DeviceStyle;
  readonly vramKiB: number;
  readonly ttKiB: number;
  readonly ramPages: number;
  readonly swapPages: number;
  /** Caching of the tts an amdgpu-style device creates (xe's are cached). */
  readonly caching: Caching;
  /** TTM_ALLOCATION_PROPAGATE_ENOSPC on the device (left out: off). */
  readonly propagateEnospc?: boolean;
  /** TTM_ALLOCATION_POOL_BENEFICIAL_ORDER(n) on the device (left out or 0: none). */
  readonly beneficialOrder?: number;
}

/** The TTM_ALLOCATION_* flags a race device passes to ttm_device_init beside the DMA ones. */
export function raceAllocFlags(d: RaceDevice): number {
  const enospc = d.propagateEnospc === true ? TTM_ALLOCATION_PROPAGATE_ENOSPC : 0;
  return enospc | TTM_ALLOCATION_POOL_BENEFICIAL_ORDER(d.beneficialOrder ?? 0);
}

export interface RaceBo {
  readonly name: string;
  /** The device's name. */
  readonly device: string;
  readonly kib: number;
  readonly placement: BoPlacement;
  /** Pinned from creation until its owner puts it. */
  readonly pinned: boolean;
}

interface TaskBase {
  readonly name: string;
  /** Virtual milliseconds before the task starts. */
  readonly delayMs: number;
}

export interface FaultTask extends TaskBase {
  readonly kind: 'fault';
  readonly bo: string;
  /** Times the task maps the BO, touches every page and unmaps it. */
  readonly repeat: number;
}

export interface ExecTask extends TaskBase {
  readonly kind: 'exec';
  readonly bos: readonly string[];
  /** Submissions. */
  readonly repeat: number;
  /** Virtual milliseconds the reservations are held after validation (a long ioctl). */
  readonly holdMs: number;
}

export interface ReclaimTask extends TaskBase {
  readonly kind: 'reclaim';
  readonly device: string;
  readonly mode: ReclaimMode;
  /** Pages each round asks for (nr_to_scan; swapout: pages to swap out). */
  readonly pages: number;
  readonly repeat: number;
}

export interface PutTask extends TaskBase {
  readonly kind: 'put';
  readonly bo: string;
}

export interface SignalTask {
  readonly kind: 'signal';
  readonly name: string;
  /** The task signalled. */
  readonly target: string;
  /** Virtual milliseconds until the first signal; each repeat comes as much later again. */
  readonly afterMs: number;
  readonly repeat: number;
}

export interface EvictTask extends TaskBase {
  readonly kind: 'evict';
  readonly device: string;
  readonly mem: EvictMem;
  readonly repeat: number;
}

export type RaceTask = FaultTask | ExecTask | ReclaimTask | PutTask | SignalTask | EvictTask;

export interface RaceConfig {
  readonly devices: readonly RaceDevice[];
  readonly bos: readonly RaceBo[];
  readonly tasks: readonly RaceTask[];
}

/** Defaults of the fields a config may leave out (device names of BOs and tasks: the only device). */
export const RACE_DEFAULTS = {
  device: { style: 'amdgpu', vramKiB: 256, ttKiB: 512, ramPages: 4096, swapPages: 4096, caching: 'cached' },
  bo: { pinned: false },
  task: { delayMs: 0, repeat: 1, holdMs: 0, pages: 64 },
} as const;

/** The `race` built-in: one device, four BOs, five racing tasks. */
export const DEFAULT_RACE_CONFIG: RaceConfig = {
  devices: [
    {
      name: 'gpu0',
      style: 'amdgpu',
      vramKiB: 64,
      ttKiB: 64,
      ramPages: 1024,
      swapPages: 1024,
      caching: 'write_combined',
    },
  ],
  bos: [
    { name: 'color', device: 'gpu0', kib: 32, placement: 'vram-or-tt', pinned: false },
    { name: 'depth', device: 'gpu0', kib: 16, placement: 'vram', pinned: false },
    { name: 'staging', device: 'gpu0', kib: 16, placement: 'tt', pinned: false },
    { name: 'readback', device: 'gpu0', kib: 8, placement: 'system', pinned: false },
  ],
  tasks: [
    { kind: 'exec', name: 'render', bos: ['color', 'depth', 'staging'], repeat: 8, holdMs: 1, delayMs: 0 },
    { kind: 'fault', name: 'reader', bo: 'color', repeat: 4, delayMs: 0 },
    { kind: 'reclaim', name: 'swapper', device: 'gpu0', mode: 'swapout', pages: 8, repeat: 3, delayMs: 0 },
    { kind: 'evict', name: 'suspend', device: 'gpu0', mem: 'vram', repeat: 3, delayMs: 0 },
    { kind: 'put', name: 'closer', bo: 'color', delayMs: 0 },
    { kind: 'signal', name: 'sigterm', target: 'reader', afterMs: 1, repeat: 2 },
  ],
};

/** A problem with a config: where (a path into it), what, and how to fix it. */
export interface ConfigProblem {
  readonly path: readonly (string | number)[];
  readonly problem: string;
  readonly fix: string;
}

/** Task names the scenario uses itself. */
const RESERVED_TASK = /^(teardown|lifecycle|kworker.*)$/;

/** What the BO's placement allows, in KiB: the largest manager it may live in. */
export function placementRoomKiB(dev: RaceDevice, placement: BoPlacement): number {
  switch (placement) {
    case 'vram':
      return dev.vramKiB;
    case 'tt':
      return dev.ttKiB;
    case 'vram-or-tt':
      return Math.max(dev.vramKiB, dev.ttKiB);
    case 'system':
      return (dev.ramPages * PAGE_SIZE) / 1024;
  }
}

function roomText(dev: RaceDevice, placement: BoPlacement): string {
  switch (placement) {
    case 'vram':
      return `VRAM of "${dev.name}" has ${dev.vramKiB} KiB`;
    case 'tt':
      return `TT of "${dev.name}" has ${dev.ttKiB} KiB`;
    case 'vram-or-tt':
      return `VRAM of "${dev.name}" has ${dev.vramKiB} KiB, TT ${dev.ttKiB} KiB`;
    case 'system':
      return `RAM of "${dev.name}" has ${dev.ramPages} pages (${placementRoomKiB(dev, placement)} KiB)`;
  }
}

/**
 * What is wrong with a config beyond each field's own type and range: duplicate names, references to
 * BOs, devices and tasks that do not exist, BOs no manager they may go to can hold, and combinations
 * the model cannot run. Empty when the config can run.
 */
export function raceProblems(cfg: RaceConfig): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const devices = new Map<string, RaceDevice>();
  cfg.devices.forEach((d, i) => {
    if (devices.has(d.name)) {
      out.push({
        path: ['devices', i, 'name'],
        problem: `device "${d.name}" is named twice`,
        fix: 'give every device its own name',
      });
    } else devices.set(d.name, d);
  });
  const deviceNames = [...devices.keys()].map((n) => `"${n}"`).join(', ');
  const deviceRef = (path: (string | number)[], name: string): RaceDevice | undefined => {
    const d = devices.get(name);
    if (d !== undefined) return d;
    if (name === '') {
      out.push({
        path,
        problem: `missing field (the config has ${cfg.devices.length} devices)`,
        fix: `name the device: one of ${deviceNames}`,
      });
    } else {
      out.push({ path, problem: `no device is named "${name}"`, fix: `use one of ${deviceNames}` });
    }
    return undefined;
  };
  const bos = new Map<string, RaceBo>();
  cfg.bos.forEach((bo, i) => {
    if (bos.has(bo.name)) {
      out.push({
        path: ['bos', i, 'name'],
        problem: `BO "${bo.name}" is named twice`,
        fix: 'give every BO its own name',
      });
    } else bos.set(bo.name, bo);
    const dev = deviceRef(['bos', i, 'device'], bo.device);
    if (dev === undefined) return;
    const room = placementRoomKiB(dev, bo.placement);
    if (bo.kib > room) {
      out.push({
        path: ['bos', i, 'kib'],
        problem: `${bo.kib} KiB is larger than every manager placement "${bo.placement}" may use (${roomText(dev, bo.placement)})`,
        fix: `make it at most ${room} KiB, or give the device more room`,
      });
    }
  });
  const boNames = [...bos.keys()].map((n) => `"${n}"`).join(', ');
  const boRef = (path: (string | number)[], name: string): RaceBo | undefined => {
    const bo = bos.get(name);
    if (bo === undefined)
      out.push({ path, problem: `no BO is named "${name}"`, fix: `use one of ${boNames}` });
    return bo;
  };
  const tasks = new Map<string, RaceTask>();
  cfg.tasks.forEach((t, i) => {
    if (tasks.has(t.name)) {
      out.push({
        path: ['tasks', i, 'name'],
        problem: `task "${t.name}" is named twice`,
        fix: 'give every task its own name',
      });
    } else tasks.set(t.name, t);
    if (RESERVED_TASK.test(t.name)) {
      out.push({
        path: ['tasks', i, 'name'],
        problem: `"${t.name}" is a task name the scenario uses itself`,
        fix: 'choose another name',
      });
    }
  });
  const putBy = new Map<string, number>();
  cfg.tasks.forEach((t, i) => {
    switch (t.kind) {
      case 'fault':
        boRef(['tasks', i, 'bo'], t.bo);
        break;
      case 'put': {
        if (boRef(['tasks', i, 'bo'], t.bo) === undefined) break;
        const first = putBy.get(t.bo);
        if (first !== undefined) {
          out.push({
            path: ['tasks', i, 'bo'],
            problem: `BO "${t.bo}" is put already by tasks[${first}] ("${cfg.tasks[first]!.name}"); its owner has one reference`,
            fix: 'put every BO at most once',
          });
        } else putBy.set(t.bo, i);
        break;
      }
      case 'exec': {
        const seen = new Set<string>();
        let device: string | null = null;
        t.bos.forEach((name, j) => {
          const bo = boRef(['tasks', i, 'bos', j], name);
          if (bo === undefined) return;
          if (seen.has(name)) {
            out.push({
              path: ['tasks', i, 'bos', j],
              problem: `BO "${name}" is listed twice`,
              fix: 'list every BO of a submission once',
            });
          }
          seen.add(name);
          if (device === null) device = bo.device;
          else if (bo.device !== device) {
            out.push({
              path: ['tasks', i, 'bos', j],
              problem: `BO "${name}" is on device "${bo.device}" but the submission's first BO is on "${device}"`,
              fix: 'submit BOs of one device (the job runs on that GPU)',
            });
          }
        });
        break;
      }
      case 'reclaim': {
        const dev = deviceRef(['tasks', i, 'device'], t.device);
        if (dev !== undefined && t.mode === 'shrinker' && dev.style !== 'xe') {
          out.push({
            path: ['tasks', i, 'mode'],
            problem: `mode "shrinker" runs the xe BO shrinker, but device "${dev.name}" is ${dev.style}-style`,
            fix: 'use mode "swapout" or "pool" for an amdgpu-style device, or make the device "xe"',
          });
        }
        break;
      }
      case 'evict':
        deviceRef(['tasks', i, 'device'], t.device);
        break;
      case 'signal':
        break;
    }
  });
  cfg.tasks.forEach((t, i) => {
    if (t.kind !== 'signal') return;
    const target = tasks.get(t.target);
    if (target === undefined) {
      const names = cfg.tasks
        .filter((x) => x.kind !== 'signal')
        .map((x) => `"${x.name}"`)
        .join(', ');
      out.push({
        path: ['tasks', i, 'target'],
        problem: `no task is named "${t.target}"`,
        fix: names === '' ? 'add a task to signal' : `use one of ${names}`,
      });
    } else if (target.kind === 'signal') {
      out.push({
        path: ['tasks', i, 'target'],
        problem: `"${t.target}" is a signal, not a task that runs`,
        fix: 'signal a fault, exec, reclaim, put or evict task',
      });
    }
  });
  return out;
}
