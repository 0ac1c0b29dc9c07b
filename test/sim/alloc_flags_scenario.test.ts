// Scenario files give a race device its TTM_ALLOCATION_* flags (src/sim/scenario_file/tables.ts DEVICE:
// propagateEnospc, beneficialOrder; src/sim/scenarios/race_config.ts raceAllocFlags): checked like every
// field, off when left out, and passed to ttm_device_init of the device (src/kernel/simdrv.ts).

import { describe, expect, test } from 'vitest';
import { runScenario } from '../../src/explore/run.ts';
import { scenarioFromText } from '../../src/sim/scenario_file.ts';
import { type RaceConfig, raceAllocFlags } from '../../src/sim/scenarios/race.ts';

/** An xe device whose 64 KiB of VRAM cannot hold both 48 KiB BOs one exec validates into it. */
function text(device: string): string {
  return `{
  "scenario": "race",
  "devices": [{ "name": "xe0", "style": "xe", "vramKiB": 64, "ttKiB": 128, "ramPages": 512${device} }],
  "bos": [
    { "name": "a", "kib": 48, "placement": "vram" },
    { "name": "b", "kib": 48, "placement": "vram" }
  ],
  "tasks": [
    { "name": "e", "kind": "exec", "bos": ["a", "b"], "repeat": 2 },
    { "name": "r", "kind": "reclaim", "mode": "shrinker", "pages": 16 }
  ]
}`;
}

const FLAGS = ', "propagateEnospc": true, "beneficialOrder": 9';

function load(device: string) {
  const r = scenarioFromText('flags.json', text(device));
  if (!r.ok) throw new Error(r.reason);
  return r.scenario;
}

describe('scenario file: a device’s allocation flags', () => {
  test('propagateEnospc and beneficialOrder reach the config; raceAllocFlags gives 1033 (BIT(10) | 9), 0 when left out', () => {
    const on = (load(FLAGS).config as unknown as RaceConfig).devices[0]!;
    expect(on.propagateEnospc).toBe(true);
    expect(on.beneficialOrder).toBe(9);
    expect(raceAllocFlags(on)).toBe(1033);
    const off = (load('').config as unknown as RaceConfig).devices[0]!;
    expect(off.propagateEnospc).toBeUndefined();
    expect(off.beneficialOrder).toBeUndefined();
    expect(raceAllocFlags(off)).toBe(0);
  });

  test('out of range or of the wrong type: refused with the field named', () => {
    const r = scenarioFromText('x.json', text(', "beneficialOrder": 11, "propagateEnospc": 1'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe(
      [
        'x.json:3:112: devices[0].beneficialOrder: 11 is out of range; use a value from 0 to 10',
        'x.json:3:135: devices[0].propagateEnospc: expected true or false, got the integer 1; write true or false without quotes',
      ].join('\n'),
    );
  });

  test('seeds 1 and 2: both execs fail (no place for both BOs), the run passes, and the flags change no kernel step', () => {
    for (const seed of [1n, 2n]) {
      const plain = runScenario(load(''), { seed });
      const flagged = runScenario(load(FLAGS), { seed });
      expect(flagged.outcome).toBe('pass');
      expect(flagged.stats.execFailures).toBe(2);
      expect(plain.stats.execFailures).toBe(2);
      // The errno userspace gets differs (-ENOSPC for -ENOMEM), the trace does not; the tokens do (the file).
      expect(flagged.traceSha256).toBe(plain.traceSha256);
      expect(flagged.token).not.toBe(plain.token);
    }
  });
});
