// Scenario files: the fields a file may give, per configurable scenario, with their types, ranges,
// whether they are required, and what they mean. This table is the one description of a scenario file:
// the checker reads it (src/sim/scenario_file/build.ts), the JSON Schema is generated from it
// (schema.ts, schema/scenario.schema.json) and so is the README's field reference. The defaults of the
// fields left out are the built-in scenarios' own (vram_pressure.ts, memory_pressure.ts, race_config.ts).

import {
  BO_PLACEMENTS,
  CACHINGS,
  DEVICE_STYLES,
  EVICT_MEMS,
  type RaceTask,
  RECLAIM_MODES,
  TASK_KINDS,
} from '../scenarios/race.ts';
import { type Field, int, kib, NAME, oneOf, opt, req } from './fields.ts';

/** The configurable scenarios, by the name a file gives in "scenario". */
export const CONFIGURABLE = ['vram-pressure', 'memory-pressure', 'race', 'dmem-cgroups'] as const;
export type Configurable = (typeof CONFIGURABLE)[number];

export type FieldTable = Readonly<Record<string, Field>>;

export const VRAM_PRESSURE: FieldTable = {
  vramKiB: opt(kib(4, 1 << 20, 'VRAM size in KiB'), 'Size of the VRAM manager in KiB.'),
  ttKiB: opt(kib(4, 1 << 20, 'TT size in KiB'), 'Size of the TT (GART) manager in KiB.'),
  clients: opt(int(1, 32, 'client tasks'), 'Client tasks, each submitting frames with its own BOs.'),
  bosPerClient: opt(int(1, 32, 'BOs per client'), 'BOs each client creates and validates every frame.'),
  sharedBos: opt(
    int(0, 16, 'BOs shared by every client'),
    'BOs every client reserves with its own, under one ww ticket.',
  ),
  frames: opt(int(1, 100, 'frames per client'), 'Frames each client submits.'),
  minBoKiB: opt(
    kib(4, 1 << 16, 'BO sizes in KiB'),
    'Smallest BO size in KiB (sizes are drawn from the seed).',
  ),
  maxBoKiB: opt(kib(4, 1 << 16, 'BO sizes in KiB'), 'Largest BO size in KiB.'),
  iovaPages: opt(
    int(1, 1 << 20, 'IOVA pages'),
    'IOVA space of the device in pages; TT pages are mapped through it.',
  ),
  readbacks: opt(
    int(0, 16, "client 0's readbacks per frame"),
    'Times per frame client 0 reads its scanout and the first shared BO back through a CPU mapping.',
  ),
  pageTableKiB: opt(
    kib(4, 1 << 16, 'page-table BO size in KiB'),
    "Size in KiB of each client's page table, a kernel BO validated with every frame.",
  ),
};

export const MEMORY_PRESSURE: FieldTable = {
  ramPages: opt(int(16, 1 << 20, 'RAM pages'), 'System RAM in pages.'),
  swapPages: opt(int(0, 1 << 20, 'swap pages'), 'Swap space in pages.'),
  writers: opt(int(1, 16, 'writer tasks'), 'Writer tasks, each creating BOs and filling their pages.'),
  bosPerWriter: opt(int(1, 64, 'BOs per writer'), 'BOs each writer creates.'),
  boPages: opt(int(1, 1 << 16, 'pages per BO'), 'Pages of every BO.'),
  readers: opt(
    int(0, 16, 'reader tasks'),
    "Reader tasks, reading the writers' BOs back and checking every page.",
  ),
  purgeableEvery: opt(
    int(1, 1000, 'every n-th BO purgeable'),
    'Every n-th BO of a writer is marked purgeable.',
  ),
  kswapdWakeups: opt(
    int(0, 10_000, 'kswapd wake-ups'),
    'Times kswapd wakes, 1 ms apart, reclaiming when free RAM is under the watermark.',
  ),
  watermarkPages: opt(
    int(0, 1 << 20, 'free-page watermark'),
    'Free-page watermark under which kswapd reclaims.',
  ),
};

export const DMEM_CGROUPS: FieldTable = {
  vramKiB: opt(kib(4, 1 << 20, 'VRAM size in KiB'), 'Size of the VRAM manager (the dmem region) in KiB.'),
  ttKiB: opt(kib(4, 1 << 20, 'TT size in KiB'), 'Size of the TT (GART) manager in KiB.'),
  bosPerClient: opt(
    int(1, 32, 'BOs per client'),
    'BOs each of the 3 clients creates and validates every frame.',
  ),
  minBoKiB: opt(
    kib(4, 1 << 16, 'BO sizes in KiB'),
    'Smallest BO size in KiB (sizes are drawn from the seed).',
  ),
  maxBoKiB: opt(kib(4, 1 << 16, 'BO sizes in KiB'), 'Largest BO size in KiB.'),
  frames: opt(int(1, 100, 'frames per client'), 'Frames each client submits.'),
  fgLowKiB: opt(kib(0, 1 << 20, 'dmem.low in KiB'), "The foreground cgroup's dmem.low in KiB."),
  fgMinKiB: opt(kib(0, 1 << 20, 'dmem.min in KiB'), "The foreground cgroup's dmem.min in KiB."),
  bgMaxKiB: opt(
    kib(4, 1 << 20, 'dmem.max in KiB'),
    "The background cgroup's dmem.max in KiB, shared by its two job cgroups.",
  ),
};

export const RACE_TOP: FieldTable = {
  devices: req(
    {
      t: 'node',
      what: '[{"name": "gpu0", "vramKiB": 256, "ttKiB": 512}]',
      list: { min: 1, max: 8, of: 'device' },
    },
    'The devices, each in a TTM world of its own (RAM, swap, TTM globals).',
  ),
  bos: req(
    {
      t: 'node',
      what: '[{"name": "a", "kib": 64, "placement": "vram-or-tt"}]',
      list: { min: 1, max: 64, of: 'bo' },
    },
    'The buffer objects, created before the tasks start.',
  ),
  tasks: req(
    { t: 'node', what: '[{"name": "t", "kind": "fault", "bo": "a"}]', list: { min: 1, max: 32, of: 'task' } },
    'The racing tasks.',
  ),
};

export const DEVICE: FieldTable = {
  name: req(NAME, 'The name BOs and tasks refer to the device by.'),
  style: opt(
    oneOf(DEVICE_STYLES),
    'Which driver the device behaves like (amdgpu or xe: its reclaim and caching).',
  ),
  vramKiB: opt(kib(4, 1 << 20, 'VRAM size in KiB'), 'Size of the VRAM manager in KiB.'),
  ttKiB: opt(kib(4, 1 << 20, 'TT size in KiB'), 'Size of the TT manager in KiB.'),
  ramPages: opt(int(64, 1 << 20, 'RAM pages'), 'System RAM of its world in pages.'),
  swapPages: opt(int(0, 1 << 20, 'swap pages'), 'Swap space of its world in pages.'),
  caching: opt(oneOf(CACHINGS), "Caching of the tts an amdgpu-style device creates (xe's are cached)."),
  propagateEnospc: opt(
    { t: 'bool' },
    'TTM_ALLOCATION_PROPAGATE_ENOSPC: ttm_bo_validate returns -ENOSPC instead of -ENOMEM when no place fits even after evicting. Off when left out.',
  ),
  beneficialOrder: opt(
    int(0, 10, 'page order'),
    'TTM_ALLOCATION_POOL_BENEFICIAL_ORDER: the highest page order the device benefits from (amdgpu gives 9); upstream, larger orders get no direct reclaim, which changes no allocation of the model (it reclaims at order 0 only). 0 or left out: none.',
  ),
};

export const BO: FieldTable = {
  name: req(NAME, 'The name tasks refer to the BO by.'),
  device: opt(NAME, 'The device the BO is created on (required when there are several devices).'),
  kib: req(kib(4, 1 << 20, 'BO size in KiB'), 'Size of the BO in KiB.'),
  placement: req(oneOf(BO_PLACEMENTS), 'Where the BO may be placed.'),
  pinned: opt({ t: 'bool' }, 'Pinned from creation until a put task drops it.'),
};

const REPEAT = opt(int(1, 1000, 'repetitions'), 'Times the task does its work.');
const DELAY = opt(int(0, 60_000, 'virtual milliseconds'), 'Virtual milliseconds before the task starts.');
const TASK_COMMON: FieldTable = {
  name: req(NAME, 'The name signal tasks refer to the task by.'),
  kind: req(oneOf(TASK_KINDS), 'What the task does; the other fields depend on it.'),
};
const ON_DEVICE = opt(NAME, 'The device (required when there are several devices).');

export const TASKS: Readonly<Record<RaceTask['kind'], FieldTable>> = {
  fault: {
    ...TASK_COMMON,
    bo: req(NAME, 'The BO the task maps, touches page by page and unmaps.'),
    repeat: REPEAT,
    delayMs: DELAY,
  },
  exec: {
    ...TASK_COMMON,
    bos: req(
      { t: 'names', min: 1, max: 16, what: 'BO names' },
      'The BOs each submission reserves and validates.',
    ),
    repeat: REPEAT,
    holdMs: opt(
      int(0, 60_000, 'virtual milliseconds'),
      'Virtual milliseconds the reservations are held after validation (a long ioctl).',
    ),
    delayMs: DELAY,
  },
  reclaim: {
    ...TASK_COMMON,
    device: ON_DEVICE,
    mode: req(
      oneOf(RECLAIM_MODES),
      'pool: the page-pool shrinker; shrinker: the xe BO shrinker; swapout: ttm_bo_swapout.',
    ),
    pages: opt(int(1, 1 << 20, 'pages per round'), 'Pages each round asks for.'),
    repeat: REPEAT,
    delayMs: DELAY,
  },
  put: { ...TASK_COMMON, bo: req(NAME, 'The BO whose last reference the task drops.'), delayMs: DELAY },
  signal: {
    ...TASK_COMMON,
    target: req(NAME, 'The task signalled.'),
    afterMs: req(
      int(1, 60_000, 'virtual milliseconds'),
      'Virtual milliseconds until the first signal; each repeat comes as much later again.',
    ),
    repeat: opt(int(1, 100, 'signals'), 'Signals sent.'),
  },
  evict: {
    ...TASK_COMMON,
    device: ON_DEVICE,
    mem: req(oneOf(EVICT_MEMS), 'The memory type evicted.'),
    repeat: REPEAT,
    delayMs: DELAY,
  },
};

/** The task fields common to every kind (what a task without a valid kind is checked against). */
export const TASK_BASE: FieldTable = TASK_COMMON;

/** Every field some kind of task has. */
export const TASK_FIELDS: readonly string[] = [
  ...new Set(Object.values(TASKS).flatMap((f) => Object.keys(f))),
];

/** The fields of a file configuring a built-in with overrides. */
export const OVERRIDES: Readonly<Record<Exclude<Configurable, 'race'>, FieldTable>> = {
  'vram-pressure': VRAM_PRESSURE,
  'memory-pressure': MEMORY_PRESSURE,
  'dmem-cgroups': DMEM_CGROUPS,
};
