// The built-in scenarios, by name, and what a campaign over each finds on the unmutated model (the
// default suite runs those expected to pass).

import type { Scenario } from '../scenario.ts';
import { abbaDeadlock } from './abba.ts';
import { bulkLru } from './bulk_lru.ts';
import { bulkTicket } from './bulk_ticket.ts';
import { calibrate } from './calibrate.ts';
import { dmemCgroups } from './dmem.ts';
import { dmemLow } from './dmem_low.ts';
import { frameRecycle } from './frame_recycle.ts';
import { hotUnplug } from './hot_unplug.ts';
import { memoryPressure } from './memory_pressure.ts';
import { moveRace } from './move_race.ts';
import { placementScenario } from './placement.ts';
import { poolDma32 } from './pool_dma32.ts';
import { poolReclaim } from './pool_reclaim.ts';
import { race } from './race.ts';
import { sharedIommu } from './shared_iommu.ts';
import { small } from './small.ts';
import { stressScenarios } from './stress.ts';
import { swapRace } from './swap_race.ts';
import { ticketContention } from './ticket_contention.ts';
import { uploadRace } from './upload_race.ts';
import { vmReset } from './vm_reset.ts';
import { vramPressure } from './vram_pressure.ts';

/** `s`, marked as failing on some schedules by design (a demonstration, left out of the default suite). */
function expectFailures(s: Scenario): Scenario {
  return { ...s, expect: 'fail' };
}

export const SCENARIOS: readonly Scenario[] = [
  vramPressure(),
  vramPressure({ clients: 6, bosPerClient: 4, frames: 6, vramKiB: 384 }, 'vram-pressure-large'),
  expectFailures(abbaDeadlock(false, 'abba-deadlock')),
  abbaDeadlock(true, 'abba-ww'),
  memoryPressure(),
  // The same pressure with write-combined tts, a swap space smaller than what reclaim wants (backups
  // stop halfway, then find no room) and one writer reclaiming from a GFP_NOFS context (purge only).
  memoryPressure(
    { ttCaching: 'write_combined', swapPages: 128, nofsWriters: 1, kswapdWakeups: 6, watermarkPages: 24 },
    'memory-pressure-wc',
  ),
  moveRace(),
  placementScenario(),
  uploadRace(),
  // The same uploads on a device whose pool allocates coherent DMA memory (use_dma_alloc), with staging
  // BOs big enough for multi-page blocks and an IOVA space that pooled blocks keep mapped.
  uploadRace(
    { useDmaAlloc: true, minBoPages: 5, maxBoPages: 11, iovaPages: 48, readBack: true },
    'upload-dma',
  ),
  swapRace(),
  bulkLru(),
  bulkTicket(),
  poolReclaim(),
  poolDma32(),
  calibrate(),
  race(),
  ...stressScenarios(),
  sharedIommu(),
  // Retried until done, two devices behind one IOMMU livelock on today's kernel (README "Two devices
  // fighting over one IOMMU"): the design explorer's demonstration.
  expectFailures(sharedIommu({ retries: 0 }, 'shared-iommu-retry')),
  small(),
  ticketContention(),
  hotUnplug(),
  dmemCgroups(),
  // The dmem-cgroups workload without cgroups unless the dmem design is on: compare's baseline is today's
  // kernel with no cgroup configured (README "dmem cgroups").
  dmemCgroups({ cgroups: 'design' }, 'dmem-compare'),
  dmemLow(),
  vmReset(),
  frameRecycle(),
];

export const DEFAULT_SCENARIO = 'vram-pressure';

/** The scenarios of the default suite: every built-in scenario expected to pass, in SCENARIOS order. */
export function suiteScenarios(): readonly Scenario[] {
  return SCENARIOS.filter((s) => (s.expect ?? 'pass') === 'pass');
}

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
