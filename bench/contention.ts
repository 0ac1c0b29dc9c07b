// Contention: which kind of kernel object meets which kind of task over the should-pass scenarios
// (the default suite). Every scenario runs a few seeds with its trace kept; each step is one trace line
// whose effects name the objects the step changed. The step's task kinds come from what it did:
// - gpu-exec: it submitted a job on a GPU ring that is not a copy ring (ring.submit on a `/gfx` timeline);
// - cpu-fault: every step of a task from the one where the world's CPU fault counter rose (the fault
//   began) to the one where its PTE was installed or found present (bo_vm.ts logs both; a fault that
//   ends without a PTE, in SIGBUS or a retry, leaves the window open until the task's next PTE);
// - reclaim: a shrinker pass, a tt swapout or backup, or pages written to backup or swap;
// - evictor: a BO was evicted (bo.evicted), whoever made room;
// - pin/unpin: bo.pin or bo.unpin (scanout);
// - user-put: a BO was released by its last put outside the delayed-delete worker (bo.zombie, bo.destroy);
// - delayed-delete: any step of a `kworker/` task (ttm_bo_delayed_delete, ghost puts);
// - signal: the step delivered a signal to a task (task.signal) and what the interrupted task did then;
// - gpu-done: the GPU finished a job (a ring's fence.signal; the job's data, a move's copy, lands then).
// Object kinds: the BO by its type (device, kernel, sg) and ghosts, its reservation, tt, resource,
// resource manager, device, pool, IOMMU, fence (a ring's submit or signal), swap, shrinker.
// A cell is met when some step of that task kind changed an object of that kind (a step is attributed
// whole: effects noted between steps, e.g. by the lifecycle's work on the side, count for the next one). Prints the matrix
// (steps per cell) and every empty cell, with the reason when the kernel never lets them meet.
//
// Usage: npm run bench:contention [-- --seeds N --scenario NAME]

import { parseArgs } from 'node:util';
import { Rng } from '../src/engine/prng.ts';
import type { TtmGlobal } from '../src/kernel/device.ts';
import { FenceTimeline } from '../src/kernel/fence.ts';
import type { Scenario } from '../src/sim/scenario.ts';
import { findScenario, suiteScenarios } from '../src/sim/scenarios/index.ts';
import { Sim } from '../src/sim/sim.ts';

export const TASK_KINDS = [
  'gpu-exec',
  'cpu-fault',
  'reclaim',
  'evictor',
  'pin/unpin',
  'user-put',
  'delayed-delete',
  'signal',
  'gpu-done',
] as const;
export type ContentionTask = (typeof TASK_KINDS)[number];

export const OBJECT_KINDS = [
  'bo(device)',
  'bo(kernel)',
  'bo(sg)',
  'ghost',
  'resv',
  'tt',
  'resource',
  'manager',
  'device',
  'pool',
  'iommu',
  'fence',
  'swap',
  'shrinker',
] as const;
export type ContentionObject = (typeof OBJECT_KINDS)[number];

/** Cells the kernel never lets meet, with the reason (listed instead of counted as missing). */
export const NEVER: Readonly<Record<string, string>> = {
  'fence|signal': 'a signal interrupts waits; it creates and signals no fence',
  'bo(sg)|reclaim': 'the pages of an sg BO belong to the exporter; TTM neither swaps nor backs them up',
  'bo(sg)|pin/unpin': 'scanout pins device BOs of the driver, not imports',
  'ghost|signal': 'no task waits on a ghost interruptibly; only the worker waits for its fence',
  'shrinker|gpu-exec': 'the shrinker runs in reclaim only',
  'shrinker|evictor': 'the shrinker runs in reclaim only',
  'shrinker|pin/unpin': 'the shrinker runs in reclaim only',
  'shrinker|user-put': 'the shrinker runs in reclaim only',
  'shrinker|delayed-delete': 'the shrinker runs in reclaim only',
  'shrinker|signal': 'the shrinker runs in reclaim only',
  'shrinker|gpu-done': 'the shrinker runs in reclaim only',
  'device|reclaim': 'reclaim changes no device state',
  'device|evictor': 'evictions change no device state',
  'device|signal': 'a signal changes no device state',
  'device|delayed-delete': 'the worker changes no device state',
  'swap|pin/unpin': 'a pinned BO is never swapped; pinning swaps nothing in',
  'swap|gpu-done': 'a finished job touches no swap (its BO is resident)',
  'pool|gpu-done': 'a finished job allocates or frees no pages',
  'iommu|gpu-done': 'a finished job maps or unmaps nothing',
  'bo(kernel)|gpu-done': 'a finished job changes no BO state',
  'bo(sg)|gpu-done': 'a finished job changes no BO state',
  'ghost|gpu-done': 'a ghost is put by the worker once its fence signalled, not by the GPU',
  'swap|signal': 'a signal interrupts a wait; swap slots move only in swapout, swapin and backup',
  'pool|signal': 'a signal interrupts a wait; pages move only in populate and free',
  'iommu|signal': 'a signal interrupts a wait; mappings change only in populate and free',
  'bo(device)|signal':
    'an interrupted wait unwinds before the BO changes (ttm_bo_validate and the evict walk return -ERESTARTSYS first)',
  'bo(kernel)|signal': 'an interrupted wait unwinds before the BO changes',
  'bo(sg)|signal': 'an interrupted wait unwinds before the BO changes',
  'resource|signal': 'an interrupted wait unwinds before a resource is allocated or freed',
  'manager|signal': 'an interrupted wait unwinds before a manager is charged or credited',
  'fence|delayed-delete': 'the worker waits for fences and creates none',
};

export interface Matrix {
  /** Steps per `object|task` cell. */
  readonly cells: Map<string, number>;
  /** Runs per scenario. */
  readonly runs: number;
}

interface Line {
  readonly actor: string;
  readonly event: string;
  readonly effects?: readonly { actor: string; event: string; data?: Record<string, unknown> }[];
}

/** Which timelines are copy rings (fence context → timeline name), recorded as timelines emit. */
const timelineNames = new Map<number, string>();
const originalEmit = FenceTimeline.prototype.emit;
FenceTimeline.prototype.emit = function emitNamed(this: FenceTimeline) {
  timelineNames.set(this.context, this.name);
  return originalEmit.call(this);
};

function cpuFaults(worlds: readonly TtmGlobal[]): number {
  let n = 0;
  for (const g of worlds) n += g.counters.cpuFaults;
  return n;
}

/**
 * Tasks that installed or found a PTE since the last look (the end of their fault). Every mapping seen
 * is kept until it is closed and read to its end: a fault's last install and the unmap can share a step.
 */
class PteWatch {
  private readonly known: {
    vma: { readonly log: readonly { op: string; task: string }[]; closed: boolean };
    seen: number;
  }[] = [];
  private readonly listed = new WeakSet<object>();

  ended(worlds: readonly TtmGlobal[]): Set<string> {
    for (const g of worlds) {
      for (const bo of g.bos) {
        for (const vma of bo.mappings) {
          if (this.listed.has(vma)) continue;
          this.listed.add(vma);
          this.known.push({ vma, seen: 0 });
        }
      }
    }
    const out = new Set<string>();
    for (const k of this.known) {
      for (; k.seen < k.vma.log.length; k.seen += 1) {
        const e = k.vma.log[k.seen]!;
        if (e.op !== 'zap') out.add(e.task);
      }
    }
    for (let i = this.known.length - 1; i >= 0; i -= 1)
      if (this.known[i]!.vma.closed) this.known.splice(i, 1);
    return out;
  }
}

function backedUp(worlds: readonly TtmGlobal[]): number {
  let n = 0;
  for (const g of worlds) n += g.counters.pagesBackedUp;
  return n;
}

/** The kinds of the objects a run's BOs are (from their bo.init and bo.ghost effects). */
class BoKinds {
  private readonly kinds = new Map<string, ContentionObject>();
  note(actor: string, event: string, data: Record<string, unknown> | undefined): void {
    if (event === 'bo.init')
      this.kinds.set(actor, `bo(${String(data?.boType ?? 'device')})` as ContentionObject);
    if (event === 'bo.ghost') this.kinds.set(actor, 'ghost');
  }
  of(actor: string): ContentionObject {
    return this.kinds.get(actor) ?? 'bo(device)';
  }
}

function objectKind(actor: string, bos: BoKinds): ContentionObject | null {
  if (actor.startsWith('bo:')) return actor.endsWith('/resv') ? 'resv' : bos.of(actor);
  if (actor.startsWith('tt:')) return 'tt';
  if (actor.startsWith('res:')) return 'resource';
  if (actor.startsWith('gpu:')) return 'fence';
  if (actor.startsWith('iommu')) return 'iommu';
  if (actor === 'pool') return 'pool';
  if (actor === 'swap') return 'swap';
  if (actor.startsWith('device:')) {
    if (actor.includes('/man')) return 'manager';
    if (actor.endsWith('/shrinker')) return 'shrinker';
    return actor.includes('/') ? null : 'device';
  }
  return null;
}

/** The task kinds of one step. */
function taskKinds(line: Line, faulting: boolean, backup: boolean): Set<ContentionTask> {
  const out = new Set<ContentionTask>();
  if (line.actor.startsWith('gpu:')) out.add('gpu-done');
  if (line.actor.startsWith('task:kworker/')) out.add('delayed-delete');
  if (line.event === 'task.signal') out.add('signal');
  if (faulting) out.add('cpu-fault');
  if (backup) out.add('reclaim');
  for (const e of line.effects ?? []) {
    if (e.event === 'ring.submit') {
      const ctx = Number(e.actor.slice('gpu:'.length));
      if (!(timelineNames.get(ctx) ?? '').endsWith('/copy')) out.add('gpu-exec');
    }
    if (e.event.startsWith('shrinker.') || e.event === 'tt.swapout' || e.event === 'tt.backup')
      out.add('reclaim');
    if (e.event === 'bo.evicted') out.add('evictor');
    if (e.event === 'bo.pin' || e.event === 'bo.unpin') out.add('pin/unpin');
    if ((e.event === 'bo.zombie' || e.event === 'bo.destroy') && !line.actor.startsWith('task:kworker/'))
      out.add('user-put');
  }
  return out;
}

/** Run `scenario` for seeds 0..seeds-1 and add what met what into `cells`. */
export function measure(
  scenario: Scenario,
  seeds: number,
  cells: Map<string, number>,
  maxSteps = 200_000,
): void {
  for (let s = 0; s < seeds; s += 1) {
    const seed = BigInt(s);
    const sim = new Sim({ seed, keepTrace: true });
    const workload = scenario.build(sim, Rng.fromSeed(seed).fork(`scenario:${scenario.name}`));
    const worlds = workload.worlds();
    const bos = new BoKinds();
    let seen = 0;
    let faults = cpuFaults(worlds);
    let backups = backedUp(worlds);
    // The signal's interrupted task acts in the steps right after the delivery: follow it one step.
    let signalled: string | null = null;
    const faulting = new Set<string>();
    const ptes = new PteWatch();
    for (let steps = 0; steps < maxSteps && sim.scheduler.step(); steps += 1) {
      const lines = sim.trace.lines();
      const f = cpuFaults(worlds);
      const b = backedUp(worlds);
      for (; seen < lines.length; seen += 1) {
        const line = JSON.parse(lines[seen]!) as Line;
        for (const e of line.effects ?? []) bos.note(e.actor, e.event, e.data);
        if (f > faults) faulting.add(line.actor);
        const kinds = taskKinds(line, faulting.has(line.actor), b > backups);
        if (signalled !== null && line.actor === signalled) {
          kinds.add('signal');
          signalled = null;
        }
        if (line.event === 'task.signal') signalled = line.actor;
        for (const e of line.effects ?? []) {
          const obj = objectKind(e.actor, bos);
          if (obj === null) continue;
          for (const k of kinds) cells.set(`${obj}|${k}`, (cells.get(`${obj}|${k}`) ?? 0) + 1);
        }
      }
      for (const t of ptes.ended(worlds)) faulting.delete(t);
      faults = f;
      backups = b;
    }
  }
}

function main(): void {
  const { values } = parseArgs({ options: { seeds: { type: 'string' }, scenario: { type: 'string' } } });
  const seeds = Number(values.seeds ?? 10);
  const scenarios =
    values.scenario === undefined
      ? suiteScenarios().filter((s) => !s.name.startsWith('stress'))
      : [findScenario(values.scenario)!];
  const cells = new Map<string, number>();
  const perScenario: string[] = [];
  for (const sc of scenarios) {
    const mine = new Map<string, number>();
    measure(sc, seeds, mine);
    for (const [k, v] of mine) cells.set(k, (cells.get(k) ?? 0) + v);
    perScenario.push(`${sc.name}: ${mine.size} cells`);
  }
  const w = 15;
  const head = ''.padEnd(12) + TASK_KINDS.map((t) => t.padStart(w)).join('');
  console.log(`contention over ${scenarios.length} should-pass scenarios × ${seeds} seeds (steps per cell)`);
  console.log(head);
  let met = 0;
  let never = 0;
  const empty: string[] = [];
  for (const o of OBJECT_KINDS) {
    let row = o.padEnd(12);
    for (const t of TASK_KINDS) {
      const key = `${o}|${t}`;
      const n = cells.get(key) ?? 0;
      if (n > 0) met += 1;
      else if (NEVER[key] !== undefined) never += 1;
      else empty.push(key);
      row += (n > 0 ? String(n) : NEVER[key] !== undefined ? '·' : '-').padStart(w);
    }
    console.log(row);
  }
  const total = OBJECT_KINDS.length * TASK_KINDS.length;
  console.log(
    `met ${met} of ${total} cells; ${never} the kernel never allows (·); ${empty.length} allowed and not met (-)`,
  );
  console.log(perScenario.join('; '));
  if (empty.length > 0) console.log(`not met: ${empty.join(', ')}`);
  for (const [k, why] of Object.entries(NEVER))
    if ((cells.get(k) ?? 0) > 0) console.log(`met although listed as never: ${k} (${why})`);
}

if (process.argv[1]?.endsWith('contention.ts')) main();
