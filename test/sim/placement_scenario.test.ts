// The placement scenario (src/sim/scenarios/placement.ts): amdgpu's placements on a small GTT. Every seed
// below passes every check; each run pins the scanout contiguously once, reads a texture back through
// SYSTEM and uploads it again in each of its 3 frames, and sends the staging BOs that find VRAM full to
// GTT; nothing is left at the end.

import { describe, expect, test } from 'vitest';
import { runScenario } from '../../src/explore/run.ts';
import { placementScenario } from '../../src/sim/scenarios/placement.ts';

const scenario = placementScenario();

describe('placement scenario', () => {
  test('seeds 0..4 pass: one contiguous pin, 3 readbacks, 9 GPU jobs, the staging BOs in GTT once VRAM is full', () => {
    const got = [0n, 1n, 2n, 3n, 4n].map((seed) => {
      const r = runScenario(scenario, { seed });
      const s = r.stats;
      return [
        r.outcome,
        s.pins,
        s.stagedInGtt,
        s.stagedInVram,
        s.readbacks,
        s.evictions,
        s.gpuJobs,
        s.pagesVerified,
        s.boCount,
      ];
    });
    expect(got).toEqual([
      ['pass', 1, 2, 1, 3, 18, 9, 96, 0],
      ['pass', 1, 2, 1, 3, 22, 9, 96, 0],
      ['pass', 1, 3, 0, 3, 22, 9, 100, 0],
      ['pass', 1, 3, 0, 3, 19, 9, 100, 0],
      ['pass', 1, 3, 0, 3, 16, 9, 100, 0],
    ]);
  });

  test('config and summary name what shapes the workload', () => {
    expect(scenario.name).toBe('placement');
    expect(scenario.config).toEqual({
      scenario: 'placement',
      vramKiB: 128,
      visibleKiB: 64,
      ttKiB: 64,
      scanoutKiB: 32,
      textures: 3,
      textureKiB: 32,
      staging: 3,
      stagingKiB: 16,
      frames: 3,
      lifecycle: 'init,work,suspend,resume,work,teardown',
    });
    expect(scenario.summary).toBe(
      'VRAM 128 KiB (64 visible), GTT 64 KiB: contiguous scanout pin, DESIRED/FALLBACK places, evictions into a full GTT, VRAM↔SYSTEM bounces',
    );
  });
});
