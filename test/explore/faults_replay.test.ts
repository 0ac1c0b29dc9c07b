// Tokens of faulted runs replay exactly with the new fault sites: every site added for the driver
// callbacks, fence slots, ghosts, shmem files, restores and CPU faults fires in some two-stage (buggify)
// run of a scenario whose paths it sits on, and that run's token (which names the failed evaluations by
// number) gives the same trace SHA-256 and the same fired faults when replayed.

import { describe, expect, it } from 'vitest';
import { decode, runDecoded } from '../../src/cli/common.ts';
import { Rng } from '../../src/engine/prng.ts';
import { runScenario } from '../../src/explore/run.ts';
import type { FaultSite } from '../../src/kernel/faults.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';

/** Each new site and a scenario whose runs evaluate it (see `ttm-sim faults --scenarios`). */
const WHERE: readonly (readonly [FaultSite, string])[] = [
  ['driver.move.wait', 'vram-pressure-large'],
  ['driver.move.copy', 'move-race'],
  ['tt.create', 'swap-race'],
  ['resv.reserve', 'move-race'],
  ['resv.copy', 'bulk-lru'],
  ['ghost.alloc', 'move-race'],
  ['shmem.create', 'swap-race'],
  ['swapout.write', 'swap-race'],
  ['swapin.read', 'swap-race'],
  ['restore.alloc', 'memory-pressure'],
  ['backup.read', 'memory-pressure'],
  ['vm.dummy_page', 'hot-unplug'],
  ['vm.insert_pfn', 'move-race'],
];

describe('faulted tokens replay exactly', () => {
  for (const [site, name] of WHERE) {
    it(`${site}: the first of seeds 0..29 of ${name} under buggify that fires it replays byte for byte`, () => {
      const scenario = findScenario(name)!;
      let found = false;
      for (let seed = 0n; seed < 30n && !found; seed++) {
        const r = runScenario(scenario, {
          seed,
          faults: { kind: 'buggify', rng: Rng.fromSeed(seed), window: 1_000_000 },
        });
        if (!r.faultsFired.some((f) => f.site === site)) continue;
        found = true;
        const again = runDecoded(decode(r.token, 'replay'), false);
        expect(again.traceSha256).toBe(r.traceSha256);
        expect(again.faultsFired).toEqual(r.faultsFired);
        expect(again.outcome).toBe(r.outcome);
      }
      expect(found).toBe(true);
    });
  }
});
