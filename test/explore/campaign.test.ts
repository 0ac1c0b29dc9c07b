// Campaigns, shrinking and livelock reports: exact results on small scenarios, resuming from a corpus,
// and shrunk tokens that replay.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeToken } from '../../src/engine/token.ts';
import type { CampaignOptions } from '../../src/explore/campaign.ts';
import { calibrate, pctMissBounds } from '../../src/explore/campaign.ts';
import { CORPUS_FILE } from '../../src/explore/corpus.ts';
import { fuzz, prepareCampaign } from '../../src/explore/fuzz.ts';
import { findCycle } from '../../src/explore/livelock.ts';
import { runScenario } from '../../src/explore/run.ts';
import { shrink } from '../../src/explore/shrink.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';

const abba = findScenario('abba-deadlock')!;
const abbaWw = findScenario('abba-ww')!;
const memory = findScenario('memory-pressure')!;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ttm-sim-corpus-'));
  dirs.push(d);
  return d;
}

async function campaign(opts: CampaignOptions, corpusDir?: string) {
  const p = prepareCampaign(opts, corpusDir);
  if (!p.ok) throw new Error(p.reason);
  return fuzz(opts, p, corpusDir === undefined ? {} : { corpusDir });
}

/** The saved campaign without wall-clock fields (shrinking times). */
function saved(dir: string): unknown {
  const data = JSON.parse(readFileSync(join(dir, CORPUS_FILE), 'utf8'));
  for (const f of data.failures) if (f.shrunk !== null) f.shrunk.ms = 0;
  return data;
}

describe('fuzz campaigns', () => {
  it('abba-deadlock: the portfolio finds the deadlock at schedule 0 and shrinks it to 2 preemptions', async () => {
    const r = await campaign({ scenario: abba, baseSeed: 0n, schedules: 30, faults: 'off' });
    const s = r.state;
    expect(r.stopped).toBe('done');
    expect(s.calibration).toEqual({
      k: 5,
      n: 2,
      steps: 6,
      meanSteps: 6,
      faultSites: 0,
      sites: [],
      siteSteps: {},
    });
    expect(s.armRuns).toEqual({ random: 5, 'pct:1:5': 5, 'pct:2:5': 5, 'pct:3:5': 5, pos: 5, cover: 5 });
    expect(s.armFailures).toEqual({ random: 1, cover: 1, 'pct:3:5': 2, pos: 3 });
    expect([s.coverage.triples.size, s.coverage.pairs.size, s.corpus.length]).toEqual([17, 24, 3]);
    expect(s.failures).toHaveLength(1);
    const f = s.failures[0]!;
    expect(f).toMatchObject({
      signature: 'liveness.deadlock | task:ab | blocked | ',
      id: 'liveness.deadlock',
      schedule: 0,
      arm: 'random',
      token: 'AQAAAAAAAAAAAIYBF__MW-JCntGnDblP4cYA2Dgx5w',
      steps: 6,
      count: 7,
    });
    expect(f.shrunk).toMatchObject({
      token: 'AQAAAAAAAAAAAYYBF__MW-JCntGnDblP4cYBBQABAQAAj_eGqQ',
      steps: 6,
      preemptions: 2,
      faults: 0,
      tries: 12,
    });
    // The shrunk token replays to the same signature.
    const d = decodeToken(f.shrunk!.token);
    if (!d.ok) throw new Error(d.reason);
    const again = runScenario(abba, { seed: d.token.seed, strategy: d.token.strategy, tape: d.token.tape! });
    expect(again.signature).toBe(f.signature);
  });

  it('abba-ww: green, with PCT miss bounds from the calibrated n and k', async () => {
    const r = await campaign({ scenario: abbaWw, baseSeed: 0n, schedules: 60, faults: 'off' });
    expect(r.state.failures).toEqual([]);
    // The whole life: the lifecycle task and the GPU ring race the two tasks; the suspend's evictions
    // and the teardown bring fault sites.
    expect(r.state.calibration).toMatchObject({ k: 19, n: 4, steps: 35, meanSteps: 33, faultSites: 18 });
    const bounds = pctMissBounds(r.state).map((b) => ({ ...b, miss: Number(b.miss.toPrecision(4)) }));
    expect(bounds).toEqual([
      { d: 1, n: 4, k: 19, schedules: 10, miss: 0.05631 },
      { d: 2, n: 4, k: 19, schedules: 10, miss: 0.8759 },
      { d: 3, n: 4, k: 19, schedules: 10, miss: 0.9931 },
    ]);
  });

  it('an interrupted campaign resumed from its corpus ends as the uninterrupted one', async () => {
    const whole = tempDir();
    await campaign({ scenario: abba, baseSeed: 3n, schedules: 40, faults: 'off' }, whole);
    const parts = tempDir();
    const first = await campaign({ scenario: abba, baseSeed: 3n, schedules: 17, faults: 'off' }, parts);
    expect(first.state.next).toBe(17);
    const second = await campaign({ scenario: abba, baseSeed: 3n, schedules: 40, faults: 'off' }, parts);
    expect(second.resumedAt).toBe(17);
    expect(second.ranNow).toBe(23);
    expect(saved(parts)).toEqual(saved(whole));
  });

  it('a corpus of another campaign is refused with the field that differs', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, CORPUS_FILE),
      JSON.stringify({ format: 1, scenario: 'abba-deadlock', scenarioHash: 'x', baseSeed: '0' }),
    );
    const p = prepareCampaign({ scenario: abba, baseSeed: 0n, schedules: 1 }, dir);
    expect(p.ok).toBe(false);
    expect(!p.ok && p.reason).toMatch(
      /campaign\.json belongs to another campaign \(scenarioHash "x", this one "[0-9a-f]{32}"\); use another --corpus directory or the same options$/,
    );
    writeFileSync(join(dir, CORPUS_FILE), '{');
    const q = prepareCampaign({ scenario: abba, baseSeed: 0n, schedules: 1 }, dir);
    expect(!q.ok && q.reason).toMatch(
      /campaign\.json is not valid JSON; move it away to start a new campaign there$/,
    );
  });
});

describe('calibrate', () => {
  it('swap-race with swapout-busy-zombie-progress: the eight livelocking runs (50,000 steps each) are left out', () => {
    // Seeds 3..10 under random: every run livelocks (the suspend's ttm_device_prepare_hibernation loops
    // on the busy zombie's swapout that reports progress). Counted, they would give every campaign run a
    // budget of a million steps; left out, the calibration keeps its floor.
    const c = calibrate(findScenario('swap-race')!, 3n, ['swapout-busy-zombie-progress']);
    expect(c).toMatchObject({ k: 1, n: 8, steps: 100, meanSteps: 100, faultSites: 0 });
  });
});

describe('shrink', () => {
  // No wall-clock limit of its own worth pinning: runs of the whole life are long and the search makes
  // dozens of them.
  it('memory-pressure seed 129 with the stale-restore mutation: 10 preemptions shrink to none, one of six tasks left out', {
    timeout: 900_000,
  }, () => {
    // A budget this test never reaches: it pins the search's result, not its speed.
    const s = shrink(
      { scenario: memory, options: { seed: 129n, mutations: ['pool-restore-stale-state'] } },
      600_000,
    );
    expect(s.signature).toBe('tt.restore.post | tt | populated | ');
    expect(s).toMatchObject({
      token:
        'AQAAAAAAAACBAdoN4sb8GS-BFo7RgAFi2C0TFAAAAAAAAAAAAAAAAAAAAAAAAAAAARhwb29sLXJlc3RvcmUtc3RhbGUtc3RhdGUBDHRhc2s6cmVhZGVyMAH3xtc',
      preemptions: 0,
      preemptionsBefore: 10,
      omitted: ['task:reader0'],
      omittableBefore: 6,
      steps: 164,
      stepsBefore: 166,
      tries: 27,
      timedOut: false,
    });
    expect(s.run.failure).toMatchObject({ id: 'tt.restore.post', step: 163, actor: 'tt:1' });
  });

  it('the abba deadlock keeps its two preemptions, at steps 1 and 3', () => {
    const s = shrink({ scenario: abba, options: { seed: 0n } });
    expect([s.preemptions, s.preemptionSteps, s.steps]).toEqual([2, [1, 3], 6]);
  });

  it('a passing run has nothing to shrink', () => {
    const s = shrink({ scenario: abbaWw, options: { seed: 0n } });
    expect(s.signature).toBeNull();
    expect(s.tries).toBe(1);
  });
});

describe('findCycle', () => {
  const line = (step: number, actor: string, event: string) =>
    JSON.stringify({ actor, event, from: 'a', src: 'x', step, t: 0, to: 'b' });

  it('names the shortest repeating round at the end of a trace', () => {
    const lines = [line(0, 'task:x', 'task.run'), line(1, 'task:y', 'task.run')];
    for (let i = 0; i < 12; i++) {
      lines.push(
        line(2 + 3 * i, 'task:a', 'task.run'),
        line(3 + 3 * i, 'bo:1', 'bo.evict'),
        line(4 + 3 * i, 'task:b', 'task.run'),
      );
    }
    expect(findCycle(lines)).toEqual({
      period: 3,
      length: 36,
      round: ['task:a task.run a→b', 'bo:1 bo.evict a→b', 'task:b task.run a→b'],
    });
  });

  it('a tail that does not repeat three times is no cycle', () => {
    const lines = [0, 1, 2, 3, 4, 5].map((i) => line(i, `task:${i}`, 'task.run'));
    expect(findCycle(lines)).toBeNull();
  });
});
