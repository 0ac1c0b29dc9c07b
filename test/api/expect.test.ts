// expectNoFailure: resolves on a scenario that passes; on a catalogue mutation it rejects with the
// failing check, the token, the shrunk token, the shrunk trace and a `replay` line that, pasted back
// into the options, runs the failure alone. seedTitle puts the seed into a test title.

import { describe, expect, it } from 'vitest';
import {
  expectNoFailure,
  MESSAGE_TRACE_ROWS,
  ScheduleFailed,
  seedTitle,
  TtmSimError,
} from '../../src/index.ts';

const TOKEN = 'AQAAAAAAAAAAAFB6VG1SpxFvg7bysYeoXfMCARBidWxrLW1vdmUtcGlubmVkjUVW1w';
const SHRUNK =
  'AQAAAAAAAAAAAVB6VG1SpxFvg7bysYeoXfMTAQABEGJ1bGstbW92ZS1waW5uZWQDDnRhc2s6bGlmZWN5Y2xlCnRhc2s6cml2YWwJdGFzazp1c2Vy39bbIA';

const DMA32 = 'AQAAAAAAAAAAAJ0wM2seWuj8qSnUQUcj1-MCARFwb29sLWRtYTMyLXNoYXJlZOOaMxk';

async function caught(p: Promise<void>): Promise<ScheduleFailed> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ScheduleFailed);
    return err as ScheduleFailed;
  }
  throw new Error('expectNoFailure resolved');
}

describe('expectNoFailure', () => {
  it('expectNoFailure: 12 schedules of abba-ww pass → resolves', async () => {
    await expect(expectNoFailure({ scenario: 'abba-ww', schedules: 12 })).resolves.toBeUndefined();
  });

  it('expectNoFailure: bulk-move-pinned in bulk-lru → the exact message: check, token, shrunk token, replay line, trace', async () => {
    const e = await caught(
      expectNoFailure({
        scenario: 'bulk-lru',
        schedules: 6,
        mutations: ['bulk-move-pinned'],
        shrinkBudgetMs: 60_000,
      }),
    );
    expect([e.kind, e.id, e.token, e.shrunk]).toEqual(['correctness', 'pinned.resident', TOKEN, SHRUNK]);
    expect(e.message).toBe(
      [
        'ttm-sim: bulk-lru failed at schedule 0 of 6 (base seed 0, random): correctness pinned.resident on bo:6',
        '  pinned (count 1) but its resource res:6 (vram) is not on device:0 unevictable',
        `  token   ${TOKEN}`,
        `  shrunk  ${SHRUNK} (28 → 12 steps, 0 preemptions, 0 faults)`,
        `  replay  { seed: 0, replay: "${SHRUNK}" }`,
        '',
        'trace of the shrunk run (12 steps; pinned.resident on bo:4 at step 11):',
        '     0  task:display  task.run  ready → blocked  [device:0/man0 man.enable; device:0 dev.init; device:0/man2 man.enable; …]',
        '     1  task:vm  task.run  ready → runnable  [bo:0/resv resv.locked; bo:0 bo.init]',
        '     2  task:vm  task.run  runnable  [res:0 res.init; device:0/man0 man.usage; bo:0 bo.unmap; …]',
        '     3  task:vm  task.run  runnable  [res:1 res.init; device:0/man2 man.usage; bo:1 bo.unmap; …]',
        '     4  task:vm  task.run  runnable  [res:2 res.init; device:0/man2 man.usage; bo:2 bo.unmap; …]',
        '     5  task:vm  task.run  runnable → blocked  [res:3 res.init; device:0/man2 man.usage; bo:3 bo.unmap; …]',
        '     6  task:display  fence.signaled  blocked → runnable',
        '     7  task:display  task.run  runnable  [bo:0/resv resv.locked; bo:4 bo.init]',
        '     8  task:display  task.run  runnable → blocked  [res:4 res.init; device:0/man2 man.usage; bo:4 bo.unmap; …]',
        '     9  task:vm  fence.signaled  blocked → runnable',
        '    10  task:vm  task.run  runnable',
        '    11  task:vm  task.run  runnable  [bo:0/resv resv.locked; gpu:1 ring.submit; bo:0/resv resv.unlocked]',
      ].join('\n'),
    );
  });

  it('expectNoFailure: a further distinct failure gets an `also` line with its shrunk token', async () => {
    const e = await caught(
      expectNoFailure({
        scenario: 'bulk-lru',
        schedules: 6,
        mutations: ['bulk-move-stale-first'],
        shrinkBudgetMs: 60_000,
      }),
    );
    expect(e.message.split('\n')[0]).toBe(
      'ttm-sim: bulk-lru failed at schedule 0 of 6 (base seed 0, random): correctness lru.bulk-range on bo:4',
    );
    expect(e.message.split('\n').slice(5, 8)).toEqual([
      '  also    correctness lru.bulk-range on bo:3 at schedule 1: AQAAAAAAAAABAVB6VG1SpxFvg7bysYeoXfMTHwAAAAAAAAAAAAAAAAABAQAAAQEBAQEBAAAAAAAAAAABFWJ1bGstbW92ZS1zdGFsZS1maXJzdAEKdGFzazpyaXZhbL95Y9w',
      '',
      'trace of the shrunk run (9 steps; lru.bulk-range on bo:2 at step 8):',
    ]);
  });

  it('expectNoFailure: the replay line pasted back runs the shrunk schedule alone and fails the same way', async () => {
    const e = await caught(expectNoFailure({ scenario: 'bulk-lru', seed: 0, replay: SHRUNK }));
    expect([e.kind, e.id, e.token, e.shrunk]).toEqual(['correctness', 'pinned.resident', SHRUNK, SHRUNK]);
    expect(e.message.split('\n').slice(0, 4)).toEqual([
      'ttm-sim: bulk-lru failed replaying its token: correctness: pinned.resident on bo:4 at step 11',
      '  pinned (count 1) but its resource res:4 (vram) is not on device:0 unevictable',
      `  token   ${SHRUNK}`,
      `  replay  { seed: 0, replay: "${SHRUNK}" }`,
    ]);
  });

  it('expectNoFailure: a long failing run shows only the last MESSAGE_TRACE_ROWS rows of its trace', async () => {
    const e = await caught(expectNoFailure({ scenario: 'pool-dma32', replay: DMA32 }));
    const lines = e.message.split('\n');
    expect(lines[5]).toBe(
      `trace of the run (its last ${MESSAGE_TRACE_ROWS} of 57 steps; correctness.dma32 on task:gpu1 at step 57):`,
    );
    expect(lines.length).toBe(6 + MESSAGE_TRACE_ROWS);
  });

  it('expectNoFailure: without a scenario, or with a bad option → TtmSimError', async () => {
    await expect(expectNoFailure({} as { scenario: string })).rejects.toThrow(
      new TtmSimError(
        'expectNoFailure',
        'options.scenario is required: a built-in scenario name or a scenario file',
      ),
    );
    await expect(expectNoFailure({ scenario: 'abba-ww', seed: -2 })).rejects.toThrow(
      'expectNoFailure: seed must be an unsigned 64-bit integer (a number or a bigint), got -2',
    );
  });
});

describe('seedTitle', () => {
  it('seedTitle: the seed and schedules, or the token replayed', () => {
    expect(seedTitle('bulk-lru keeps pinned BOs resident', { schedules: 50 })).toBe(
      'bulk-lru keeps pinned BOs resident (seed: 0, 50 schedules)',
    );
    expect(seedTitle('t', { seed: 7n })).toBe('t (seed: 7, 100 schedules)');
    expect(seedTitle('t', { replay: SHRUNK })).toBe(`t (replay: ${SHRUNK})`);
  });
});
