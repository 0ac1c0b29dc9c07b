// The frame-recycle scenario (src/sim/scenarios/frame_recycle.ts): a device that frees written pages to
// the system and a device whose pool allocates coherent DMA memory share a small RAM; the reader's pages
// land on frames the writer filled and must still read zeros; a debugger peeks single bytes with
// ttm_bo_access. Ten seeds pass; the counts of one run are exact.

import { describe, expect, test } from 'vitest';
import { runScenario } from '../../src/explore/run.ts';
import { frameRecycle } from '../../src/sim/scenarios/frame_recycle.ts';

describe('frame-recycle', () => {
  test('ten random schedules pass, and the reader gets frames the writer filled', () => {
    const s = frameRecycle();
    let recycled = 0;
    let peeks = 0;
    for (let seed = 0; seed < 10; seed += 1) {
      const r = runScenario(s, { seed: BigInt(seed) });
      expect(r.failure, `seed ${seed}`).toBeNull();
      recycled += r.stats.recycledFrames ?? 0;
      peeks += r.stats.peeks ?? 0;
    }
    expect([recycled, peeks]).toEqual(RECYCLED_AND_PEEKS);
  });

  test('seed 2: 8 BOs, every mapped page verified, the whole life run, nothing left', () => {
    const r = runScenario(frameRecycle(), { seed: 2n });
    expect(r.failure).toBeNull();
    const st = r.stats;
    expect([st.created, st.pagesMapped, st.pagesVerified, st.peeks, st.recycledFrames, st.boCount]).toEqual(
      SEED2,
    );
    expect([st.lifeSuspends, st.lifeResumes, st.lifeDevicesFini, st.lifeTeardowns]).toEqual([1, 1, 2, 1]);
  });
});

const RECYCLED_AND_PEEKS = [36, 82];
const SEED2 = [8, 26, 26, 12, 2, 0];
