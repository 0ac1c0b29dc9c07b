// How long a page operation of a scenario-file run takes: the estimate of src/sim/scenario_file/work.ts
// against the wall-clock time of one run (seed 1) of six large configurations of the three configurable
// scenarios, to check that the default work limit (DEFAULT_WORK_LIMIT) stands for a run of seconds, not
// minutes. Prints one row per configuration: estimated page operations, steps, ms, µs per operation.
//
//   npx tsx bench/scenario_work.ts

import { runScenario } from '../src/explore/run.ts';
import type { Scenario } from '../src/sim/scenario.ts';
import { DEFAULT_WORK_LIMIT, estimateWork } from '../src/sim/scenario_file.ts';
import { memoryPressure } from '../src/sim/scenarios/memory_pressure.ts';
import { type RaceConfig, race } from '../src/sim/scenarios/race.ts';
import { vramPressure } from '../src/sim/scenarios/vram_pressure.ts';

const device = {
  name: 'g',
  style: 'amdgpu',
  vramKiB: 1 << 16,
  ttKiB: 1 << 16,
  ramPages: 1 << 16,
  swapPages: 1 << 16,
  caching: 'cached',
} as const;

function oneBo(kib: number, tasks: RaceConfig['tasks']): Scenario {
  return race({
    devices: [device],
    bos: [{ name: 'a', device: 'g', kib, placement: 'vram-or-tt', pinned: false }],
    tasks,
  });
}

const CASES: readonly [string, Scenario][] = [
  ['memory-pressure boPages 1024', memoryPressure({ boPages: 1024, ramPages: 8192 })],
  ['memory-pressure 8 writers x 16 BOs', memoryPressure({ writers: 8, bosPerWriter: 16, ramPages: 4096 })],
  [
    'vram-pressure BOs 1-4 MiB',
    vramPressure({ minBoKiB: 1024, maxBoKiB: 4096, vramKiB: 16384, ttKiB: 32768, iovaPages: 16384 }),
  ],
  [
    'vram-pressure BOs 256 KiB-1 MiB',
    vramPressure({ minBoKiB: 256, maxBoKiB: 1024, vramKiB: 4096, ttKiB: 8192, iovaPages: 4096 }),
  ],
  ['race fault 4 MiB x 8', oneBo(4096, [{ kind: 'fault', name: 'f', bo: 'a', repeat: 8, delayMs: 0 }])],
  [
    'race fault + evict 16 MiB x 4',
    oneBo(16384, [
      { kind: 'fault', name: 'f', bo: 'a', repeat: 4, delayMs: 0 },
      { kind: 'evict', name: 'e', device: 'g', mem: 'vram', repeat: 4, delayMs: 0 },
    ]),
  ],
];

// One run first, so the first row does not pay for the compiler warming up.
runScenario(memoryPressure({}), { seed: 1n });
process.stdout.write(`default work limit ${DEFAULT_WORK_LIMIT} page operations per run\n`);
for (const [name, scenario] of CASES) {
  const ops = estimateWork(scenario.config as Record<string, unknown>).ops;
  const t0 = performance.now();
  const r = runScenario(scenario, { seed: 1n });
  const ms = performance.now() - t0;
  process.stdout.write(
    `${name.padEnd(34)} ${String(ops).padStart(7)} ops  ${String(r.steps).padStart(6)} steps  ${ms.toFixed(0).padStart(6)} ms  ${((ms * 1000) / ops).toFixed(0).padStart(4)} µs/op  ${r.outcome}\n`,
  );
}
