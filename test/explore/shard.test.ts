// Sliced campaigns: which schedules a slice owns, slice 0 of 1 being the whole campaign, the merge
// being a function of the set of slices (every order gives the same report bytes), the refusals of a
// merge, the stop flag with resume, and slices on worker threads ending as on the main thread.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mergedJson, mergedText } from '../../src/cli/campaign_report.ts';
import { calibrate, scheduleIndex, sliceSchedules } from '../../src/explore/campaign.ts';
import { type OnDisk, readCorpusFile, toRecord } from '../../src/explore/corpus.ts';
import { fuzz, prepareCampaign } from '../../src/explore/fuzz.ts';
import { mergeShards, parseShard, type ShardInput } from '../../src/explore/shard.ts';
import {
  runShardsHere,
  runShardsOnPool,
  runShardTask,
  type ShardTask,
  shardTasks,
} from '../../src/explore/shard_run.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';
import { createPool } from '../../workers/pool.ts';

const abba = findScenario('abba-deadlock')!;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ttm-sim-shard-'));
  dirs.push(d);
  return d;
}

/** A record without its wall-clock values (shrinking times). */
function norm(r: OnDisk): OnDisk {
  const c = structuredClone(r);
  for (const f of c.failures) if (f.shrunk !== null) (f.shrunk as { ms: number }).ms = 0;
  return c;
}

const calibration = calibrate(abba, 0n, []);
/** abba-deadlock, 30 schedules, no faults: the deadlock is found in several slices. */
const base: Omit<ShardTask, 'shard'> = {
  scenario: 'abba-deadlock',
  baseSeed: '0',
  schedules: 30,
  mutations: [],
  faults: 'off',
  shrink: true,
  calibration,
};

function inputs(records: readonly OnDisk[]): ShardInput[] {
  return records.map((data) => ({ source: `dir/shard-${data.shard}-of-${data.shards}.json`, data }));
}

function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [xs.slice()];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

describe('slices of a campaign', () => {
  it('sliceSchedules, scheduleIndex: 10 schedules in 3 slices → 4, 3, 3; slice 1 owns 1, 4, 7', () => {
    const shares = [0, 1, 2].map((index) => sliceSchedules({ schedules: 10, shard: { index, count: 3 } }));
    expect(shares).toEqual([4, 3, 3]);
    expect([0, 1, 2].map((j) => scheduleIndex({ shard: { index: 1, count: 3 } }, j))).toEqual([1, 4, 7]);
    expect(sliceSchedules({ schedules: 2, shard: { index: 2, count: 3 } })).toBe(0);
    expect(sliceSchedules({ schedules: 10 })).toBe(10);
  });

  it('parseShard: K/N with K < N ≤ 10000, else a reason', () => {
    expect(parseShard('2/3')).toEqual({ ok: true, slice: { index: 2, count: 3 } });
    expect(parseShard('3/3')).toEqual({
      ok: false,
      reason: 'K must be below N (slices are numbered 0..N-1), got "3/3"',
    });
    for (const bad of ['x', '0/0', '1/10001', '01/2', '-1/2']) {
      expect(parseShard(bad)).toEqual({
        ok: false,
        reason: `must be K/N with N in 1..10000 (e.g. 0/4), got "${bad}"`,
      });
    }
  });

  it('fuzz: slice 0 of 1 is the whole campaign (same state, same first failure)', async () => {
    const opts = { scenario: abba, baseSeed: 0n, schedules: 30, faults: 'off' } as const;
    const p = prepareCampaign(opts, undefined);
    if (!p.ok) throw new Error(p.reason);
    const whole = await fuzz(opts, p);
    const slice = await runShardTask({ ...base, shard: { index: 0, count: 1 } });
    const { shard, shards, schedules, ...rest } = slice.record;
    expect([shard, shards, schedules]).toEqual([0, 1, 30]);
    expect(norm(rest as OnDisk)).toEqual(norm(toRecord(whole.identity, whole.state)));
  });

  it('fuzz: each of 2 slices takes every arm of the portfolio in turn', async () => {
    const { calibration: _, ...own } = base;
    const r = await runShardTask({
      ...own,
      scenario: 'abba-ww',
      schedules: 24,
      shard: { index: 1, count: 2 },
    });
    expect(r.record.next).toBe(12);
    // PCT's k is the scenario's calibrated choice count (it changes with the scenario, not the slicing).
    const k = r.record.calibration.k;
    expect(r.record.armRuns).toEqual({
      random: 2,
      [`pct:1:${k}`]: 2,
      [`pct:2:${k}`]: 2,
      [`pct:3:${k}`]: 2,
      pos: 2,
      cover: 2,
    });
  });
});

describe('mergeShards', () => {
  it('3 slices merged in all 6 orders → byte-identical JSON and text; counts summed, first failure kept', async () => {
    const outcomes = await runShardsHere(shardTasks(base, 3));
    const records = outcomes.map((o) => o.record);
    expect(records.map((r) => [r.next, r.failures.map((f) => [f.schedule, f.count])])).toEqual([
      [10, [[0, 3]]],
      [10, [[16, 2]]],
      [10, [[20, 1]]],
    ]);
    const reports = permutations(records).map((order) => {
      const m = mergeShards(inputs(order));
      if (!m.ok) throw new Error(m.reason);
      return { json: JSON.stringify(mergedJson(m.merged)), text: mergedText(m.merged) };
    });
    for (const r of reports.slice(1)) {
      expect(r.json).toBe(reports[0]!.json);
      expect(r.text).toBe(reports[0]!.text);
    }
    const json = JSON.parse(reports[0]!.json);
    expect(json).toMatchObject({
      schedules: 30,
      complete: true,
      shards: {
        count: 3,
        present: [
          { shard: 0, ran: 10, share: 10 },
          { shard: 1, ran: 10, share: 10 },
          { shard: 2, ran: 10, share: 10 },
        ],
        missing: [],
      },
      coverage: { triples: 17, pairs: 24 },
      arms: { random: 6, 'pct:1:5': 6, 'pct:2:5': 6, 'pct:3:5': 6, pos: 3, cover: 3 },
      armFailures: { random: 3, 'pct:3:5': 2, cover: 1 },
    });
    expect(json.failures).toHaveLength(1);
    expect(json.failures[0]).toMatchObject({
      id: 'liveness.deadlock',
      schedule: 0,
      count: 6,
      token: 'AQAAAAAAAAAAAIYBF__MW-JCntGnDblP4cYA2Dgx5w',
    });
    expect(reports[0]!.text.split('\n').slice(0, 3)).toEqual([
      'ttm-sim fuzz abba-deadlock: 30 schedules in shards 0,1,2 of 3, portfolio, faults off, base seed 0',
      '  shards      0: 10 of 10 · 1: 10 of 10 · 2: 10 of 10 schedules',
      '  stopped     all schedules run',
    ]);
  });

  it('refuses other campaigns (naming the field) and a shard given twice; a subset names the missing', async () => {
    const [r0, r1, r2] = (await runShardsHere(shardTasks({ ...base, schedules: 6, shrink: false }, 3))).map(
      (o) => o.record,
    );
    const other = { ...r1!, baseSeed: '5' };
    expect(mergeShards(inputs([r0!, other]))).toEqual({
      ok: false,
      reason:
        'dir/shard-1-of-3.json belongs to another campaign than dir/shard-0-of-3.json (baseSeed "5", not "0"); merge the shards of one campaign',
    });
    const count = { ...r1!, shards: 4 };
    const c = mergeShards(inputs([r0!, count]));
    expect(!c.ok && c.reason).toBe(
      'dir/shard-1-of-4.json belongs to another campaign than dir/shard-0-of-3.json (shards 4, not 3); merge the shards of one campaign',
    );
    // A cover-only campaign is another campaign than the portfolio one.
    const cover = await runShardTask({
      ...base,
      schedules: 6,
      shrink: false,
      arms: [{ kind: 'cover' }],
      shard: { index: 1, count: 3 },
    });
    const c2 = mergeShards(inputs([r0!, cover.record]));
    expect(!c2.ok && c2.reason).toBe(
      'dir/shard-1-of-3.json belongs to another campaign than dir/shard-0-of-3.json (strategy "cover", not "portfolio"); merge the shards of one campaign',
    );
    const twice = mergeShards([
      { source: 'a/shard-2-of-3.json', data: r2! },
      { source: 'b/shard-2-of-3.json', data: r2! },
    ]);
    expect(twice).toEqual({
      ok: false,
      reason: 'shard 2 of 3 is given twice (a/shard-2-of-3.json, b/shard-2-of-3.json); pass each shard once',
    });
    expect(mergeShards([])).toEqual({ ok: false, reason: 'no shard files to merge' });
    const subset = mergeShards(inputs([r2!, r0!]));
    if (!subset.ok) throw new Error(subset.reason);
    expect([subset.merged.missing, subset.merged.complete, subset.merged.state.next]).toEqual([
      [1],
      false,
      4,
    ]);
    expect(mergedText(subset.merged).split('\n').slice(0, 3)).toEqual([
      'ttm-sim fuzz abba-deadlock: 4 schedules in shards 0,2 of 3, portfolio, faults off, base seed 0',
      '  shards      0: 2 of 2 · 2: 2 of 2 schedules; missing 1',
      '  stopped     4 of 6 schedules run; shard 1 missing',
    ]);
  });
});

describe('running slices', () => {
  it('the stop flag ends a slice before its next schedule; resumed from its corpus file it ends as one run through', async () => {
    const dir = tempDir();
    const stop = new SharedArrayBuffer(4);
    const task: ShardTask = { ...base, shard: { index: 1, count: 2 }, corpusDir: dir, stop };
    // Stop as soon as the slice reports its first failure (its 5th schedule, j = 4: index 1 + 4·2 = 9).
    const first = await runShardTask(task, {
      onMessage: (m) => {
        if (m.type === 'failure') Atomics.store(new Int32Array(stop), 0, 1);
      },
    });
    expect([first.stopped, first.ranNow, first.record.failures[0]?.schedule]).toEqual(['interrupted', 5, 9]);
    const saved = readCorpusFile(join(dir, 'shard-1-of-2.json'));
    expect(saved.kind === 'ok' && saved.data.next).toBe(5);
    Atomics.store(new Int32Array(stop), 0, 0);
    const second = await runShardTask(task);
    expect([second.stopped, second.resumedAt, second.ranNow]).toEqual(['done', 5, 10]);
    const through = await runShardTask({ ...base, shard: { index: 1, count: 2 } });
    expect(norm(second.record)).toEqual(norm(through.record));
  });

  it('runShardsOnPool: 3 slices on 2 worker threads end with the records of the main thread', async () => {
    const tasks = shardTasks({ ...base, shrink: false }, 3);
    const pool = createPool('campaign.worker.ts', 2);
    try {
      const messages: string[] = [];
      const onPool = await runShardsOnPool(pool, tasks, {
        onMessage: (m) => {
          if (m.type === 'failure') messages.push(`${m.shard}:${m.failure.schedule}`);
        },
      });
      const here = await runShardsHere(tasks);
      expect(onPool.map((o) => o.record)).toEqual(here.map((o) => o.record));
      expect(messages.sort()).toEqual(['0:0', '1:16', '2:20']);
    } finally {
      await pool.destroy();
    }
  });
});
