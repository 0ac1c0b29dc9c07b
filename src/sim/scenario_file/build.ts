// Scenario files: from a parsed file to a Scenario. The file names the scenario it configures; its
// fields are checked against that scenario's table (tables.ts), then the config as a whole is checked
// (names referenced that do not exist, BOs no manager can hold, BOs that do not fit next to each other:
// raceProblems and the BO creation of src/sim/scenarios/race.ts), and the scenario is built with every
// default filled in, so its hash names exactly what runs.

import { Rng } from '../../engine/prng.ts';
import type { Scenario } from '../scenario.ts';
import { dmemCgroups } from '../scenarios/dmem.ts';
import { findScenario } from '../scenarios/index.ts';
import { memoryPressure } from '../scenarios/memory_pressure.ts';
import {
  RACE_DEFAULTS,
  type RaceBo,
  type RaceConfig,
  type RaceDevice,
  RaceSetupError,
  type RaceTask,
  race,
  raceProblems,
  TASK_KINDS,
} from '../scenarios/race.ts';
import { vramPressure } from '../scenarios/vram_pressure.ts';
import { Sim } from '../sim.ts';
import {
  type Checker,
  closest,
  type Field,
  fieldNode,
  joinPath,
  kindOf,
  nodeAt,
  oneOf,
  quoted,
  renderPath,
} from './fields.ts';
import type { JNode, Pos } from './json.ts';
import {
  BO,
  CONFIGURABLE,
  DEVICE,
  DMEM_CGROUPS,
  MEMORY_PRESSURE,
  RACE_TOP,
  TASK_BASE,
  TASK_FIELDS,
  TASKS,
  VRAM_PRESSURE,
} from './tables.ts';

export type Built = { scenario: Scenario } | null;

/** Top-level fields every file may have besides its scenario's: the name, and the schema editors read. */
const TOP_LEVEL = ['scenario', '$schema'];

function overrides(
  ck: Checker,
  root: JNode,
  fields: Readonly<Record<string, Field>>,
  what: string,
): Record<string, number> | null {
  const before = ck.issues.length;
  const v = ck.fields(root, '', fields, what, TOP_LEVEL);
  return v === null || ck.issues.length > before ? null : (v as Record<string, number>);
}

function vramPressureFile(ck: Checker, root: JNode): Built {
  const o = overrides(ck, root, VRAM_PRESSURE, 'a vram-pressure config');
  if (o === null) return null;
  const cfg = vramPressure(o).config as Record<string, number>;
  const at = (key: string): Pos => nodeAt(root, [key]).pos;
  const min = cfg.minBoKiB!;
  const max = cfg.maxBoKiB!;
  const room = Math.max(cfg.vramKiB!, cfg.ttKiB!);
  if (min > max) {
    ck.issue(
      at('maxBoKiB'),
      'maxBoKiB',
      `${max} is below minBoKiB (${min})`,
      `make maxBoKiB at least ${min} or minBoKiB at most ${max}`,
    );
  } else if (max > room) {
    ck.issue(
      at('maxBoKiB'),
      'maxBoKiB',
      `a BO of ${max} KiB is larger than every manager it may be placed in (VRAM ${cfg.vramKiB} KiB, TT ${cfg.ttKiB} KiB)`,
      `make it at most ${room}, or give VRAM or TT more room`,
    );
  } else {
    const shared = cfg.sharedBos! * max;
    const fits = cfg.vramKiB! + Math.min(cfg.ttKiB!, cfg.iovaPages! * 4);
    if (shared > fits) {
      ck.issue(
        at('sharedBos'),
        'sharedBos',
        `${cfg.sharedBos} shared BOs of up to ${max} KiB may not fit in VRAM (${cfg.vramKiB} KiB) and TT (${Math.min(cfg.ttKiB!, cfg.iovaPages! * 4)} KiB mappable) before any client runs`,
        'use fewer shared BOs, smaller BOs, or more VRAM or TT',
      );
    }
  }
  return ck.issues.length > 0 ? null : { scenario: vramPressure(o) };
}

function dmemCgroupsFile(ck: Checker, root: JNode): Built {
  const o = overrides(ck, root, DMEM_CGROUPS, 'a dmem-cgroups config');
  if (o === null) return null;
  const cfg = dmemCgroups(o).config as Record<string, number>;
  const at = (key: string): Pos => nodeAt(root, [key]).pos;
  const min = cfg.minBoKiB!;
  const max = cfg.maxBoKiB!;
  const room = Math.max(cfg.vramKiB!, cfg.ttKiB!);
  if (min > max) {
    ck.issue(
      at('maxBoKiB'),
      'maxBoKiB',
      `${max} is below minBoKiB (${min})`,
      `make maxBoKiB at least ${min} or minBoKiB at most ${max}`,
    );
  } else if (max > room) {
    ck.issue(
      at('maxBoKiB'),
      'maxBoKiB',
      `a BO of ${max} KiB is larger than every manager it may be placed in (VRAM ${cfg.vramKiB} KiB, TT ${cfg.ttKiB} KiB)`,
      `make it at most ${room}, or give VRAM or TT more room`,
    );
  }
  return ck.issues.length > 0 ? null : { scenario: dmemCgroups(o) };
}

function memoryPressureFile(ck: Checker, root: JNode): Built {
  const o = overrides(ck, root, MEMORY_PRESSURE, 'a memory-pressure config');
  if (o === null) return null;
  const cfg = memoryPressure(o).config as Record<string, number>;
  const at = (key: string): Pos => nodeAt(root, [key]).pos;
  if (cfg.boPages! > cfg.ramPages!) {
    ck.issue(
      at('boPages'),
      'boPages',
      `a BO of ${cfg.boPages} pages is larger than RAM (${cfg.ramPages} pages), the only place its pages can be`,
      `make it at most ${cfg.ramPages} pages, or give RAM more pages`,
    );
  }
  if (cfg.watermarkPages! > cfg.ramPages!) {
    ck.issue(
      at('watermarkPages'),
      'watermarkPages',
      `the watermark (${cfg.watermarkPages} pages) is above RAM (${cfg.ramPages} pages)`,
      `make it at most ${cfg.ramPages}`,
    );
  }
  return ck.issues.length > 0 ? null : { scenario: memoryPressure(o) };
}

function raceFile(ck: Checker, root: JNode): Built {
  const top = ck.fields(root, '', RACE_TOP, 'a race config', TOP_LEVEL);
  if (top === null) return null;
  const before = ck.issues.length;
  const list = <T>(key: string, what: string, item: (n: JNode, p: string) => T | null) => {
    const node = fieldNode(root, key);
    const spec = RACE_TOP[key]!.spec;
    if (node === undefined || spec.t !== 'node') return null;
    return ck.list(node, key, spec.list.min, spec.list.max, what, item);
  };
  const devices = list('devices', 'devices', (n, p) => {
    const v = ck.fields(n, p, DEVICE, 'a device');
    return v === null ? null : ({ ...RACE_DEFAULTS.device, ...v } as RaceDevice);
  });
  const only = devices?.length === 1 ? devices[0]!.name : '';
  const bos = list('bos', 'BOs', (n, p) => {
    const v = ck.fields(n, p, BO, 'a BO');
    return v === null ? null : ({ device: only, ...RACE_DEFAULTS.bo, ...v } as RaceBo);
  });
  const tasks = list('tasks', 'tasks', (n, p) => task(ck, n, p, only));
  if (devices === null || bos === null || tasks === null || ck.issues.length > before) return null;
  const cfg: RaceConfig = { devices, bos, tasks };
  for (const p of raceProblems(cfg)) {
    ck.issue(nodeAt(root, p.path).pos, renderPath(p.path), p.problem, p.fix);
  }
  if (ck.issues.length > before) return null;
  const scenario = race(cfg);
  // Create the BOs once, as every run does before its first step: they must fit next to each other.
  try {
    scenario.build(new Sim({ seed: 0n }), Rng.fromSeed(0n));
  } catch (err) {
    if (!(err instanceof RaceSetupError)) throw err;
    ck.issue(nodeAt(root, err.path).pos, renderPath(err.path), err.problem, err.fix);
    return null;
  }
  return { scenario };
}

/** One task: the fields its kind has, defaults filled in. */
function task(ck: Checker, node: JNode, path: string, only: string): RaceTask | null {
  if (node.kind !== 'object') {
    ck.fields(node, path, TASK_BASE, 'a task');
    return null;
  }
  const kindNode = fieldNode(node, 'kind');
  const kind =
    kindNode === undefined
      ? undefined
      : (ck.value(kindNode, joinPath(path, 'kind'), oneOf(TASK_KINDS)) as RaceTask['kind'] | undefined);
  if (kind === undefined) {
    // Without a kind the other fields cannot be judged: only the name (and a missing kind) are.
    const skip = TASK_FIELDS.filter((f) => f !== 'name' && (f !== 'kind' || kindNode !== undefined));
    ck.fields(node, path, TASK_BASE, 'a task', skip);
    return null;
  }
  const before = ck.issues.length;
  const v = ck.fields(node, path, TASKS[kind], `a ${kind} task`, ['kind']);
  if (v === null || ck.issues.length > before) return null;
  const d = RACE_DEFAULTS.task;
  switch (kind) {
    case 'fault':
      return { kind, name: '', bo: '', repeat: d.repeat, delayMs: d.delayMs, ...v } as RaceTask;
    case 'exec':
      return {
        kind,
        name: '',
        bos: [],
        repeat: d.repeat,
        holdMs: d.holdMs,
        delayMs: d.delayMs,
        ...v,
      } as RaceTask;
    case 'reclaim':
      return {
        kind,
        name: '',
        device: only,
        mode: 'pool',
        pages: d.pages,
        repeat: d.repeat,
        delayMs: d.delayMs,
        ...v,
      } as RaceTask;
    case 'put':
      return { kind, name: '', bo: '', delayMs: d.delayMs, ...v } as RaceTask;
    case 'signal':
      return { kind, name: '', target: '', afterMs: 1, repeat: d.repeat, ...v } as RaceTask;
    case 'evict':
      return {
        kind,
        name: '',
        device: only,
        mem: 'vram',
        repeat: d.repeat,
        delayMs: d.delayMs,
        ...v,
      } as RaceTask;
  }
}

export function checkFile(ck: Checker, root: JNode): Built {
  if (root.kind !== 'object') {
    ck.issue(
      root.pos,
      '',
      `expected a JSON object, got ${kindOf(root)}`,
      `write {"scenario": NAME, ...} with NAME one of ${quoted(CONFIGURABLE)}`,
    );
    return null;
  }
  const nameNode = fieldNode(root, 'scenario');
  if (nameNode === undefined) {
    ck.issue(
      root.pos,
      'scenario',
      'missing field "scenario"',
      `add "scenario": one of ${quoted(CONFIGURABLE)}`,
    );
    return null;
  }
  if (nameNode.kind !== 'string') {
    ck.issue(
      nameNode.pos,
      'scenario',
      `expected a scenario name, got ${kindOf(nameNode)}`,
      `use one of ${quoted(CONFIGURABLE)}`,
    );
    return null;
  }
  const schemaNode = fieldNode(root, '$schema');
  if (schemaNode !== undefined && schemaNode.kind !== 'string') {
    ck.issue(
      schemaNode.pos,
      '$schema',
      `expected the path or URL of the JSON Schema, got ${kindOf(schemaNode)}`,
      'write it as a "string", or remove it (it only tells editors how to check the file)',
    );
  }
  const name = nameNode.value;
  switch (name) {
    case 'vram-pressure':
      return vramPressureFile(ck, root);
    case 'memory-pressure':
      return memoryPressureFile(ck, root);
    case 'race':
      return raceFile(ck, root);
    case 'dmem-cgroups':
      return dmemCgroupsFile(ck, root);
  }
  if (findScenario(name) !== undefined) {
    ck.issue(
      nameNode.pos,
      'scenario',
      `the built-in scenario "${name}" has no settings a file can change`,
      `run it by name, or configure one of ${quoted(CONFIGURABLE)}`,
    );
  } else {
    const guess = closest(name, [...CONFIGURABLE]);
    ck.issue(
      nameNode.pos,
      'scenario',
      `unknown scenario "${name}"`,
      guess === null
        ? `use one of ${quoted(CONFIGURABLE)}`
        : `did you mean "${guess}"? The scenarios a file configures are ${quoted(CONFIGURABLE)}`,
    );
  }
  return null;
}
