// The default suite (src/explore/suite.ts): which scenarios it runs, the equal split of the schedule
// count, that each scenario's campaign is the campaign `fuzz --scenario` runs with its share, the worst
// outcome and its exit code, a suite cut short and resumed from its corpus ending as one that ran
// through (unsliced and sliced), slices on 2 worker threads ending as on this thread, and slices run
// apart merging into the whole.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { suiteJson } from '../../src/cli/suite_report.ts';
import { toRecord } from '../../src/explore/corpus.ts';
import { fuzz, prepareCampaign } from '../../src/explore/fuzz.ts';
import {
  defaultSuite,
  mergeSuite,
  prepareSuite,
  readManifest,
  runSuite,
  type SuiteOptions,
  type SuiteResult,
  scenarioDir,
  splitSchedules,
  worstOutcome,
} from '../../src/explore/suite.ts';
import { SCENARIOS } from '../../src/sim/scenarios/index.ts';

const root = mkdtempSync(join(tmpdir(), 'ttm-sim-suite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Three quick scenarios; calibrate fails with calibrator-lost-update. */
const SMALL: SuiteOptions = {
  scenarios: ['abba-ww', 'calibrate', 'stress-pte'],
  schedules: 40,
  shrink: false,
  mutations: ['calibrator-lost-update'],
};

/** The report body as its JSON text: what must not depend on how the suite ran. */
function body(r: SuiteResult): string {
  return JSON.stringify(suiteJson(r.report));
}

describe('the default suite', () => {
  test('runs every built-in scenario expected to pass, in SCENARIOS order', () => {
    const names = defaultSuite();
    expect(names).toEqual(SCENARIOS.filter((s) => s.expect !== 'fail').map((s) => s.name));
    // Demonstrations that fail by design stay out; the calibrators and stress shapes pass unmutated.
    expect(names).not.toContain('abba-deadlock');
    expect(names).not.toContain('shared-iommu-retry');
    for (const n of ['calibrate', 'stress-pte', 'stress-bind', 'stress-signal', 'vram-pressure', 'small']) {
      expect(names).toContain(n);
    }
  });

  test('splits the schedule count in equal shares, one more for the first N mod S', () => {
    expect(splitSchedules(100, 17)).toEqual([...Array(15).fill(6), 5, 5]);
    expect(splitSchedules(40, 3)).toEqual([14, 13, 13]);
    expect(splitSchedules(2, 3)).toEqual([1, 1, 0]);
    expect(splitSchedules(Number.POSITIVE_INFINITY, 2)).toEqual([
      Number.POSITIVE_INFINITY,
      Number.POSITIVE_INFINITY,
    ]);
    const prep = prepareSuite({ schedules: 1000 });
    expect(prep.ok).toBe(true);
    if (!prep.ok) return;
    const n = defaultSuite().length;
    expect(prep.suite.shares).toEqual(splitSchedules(1000, n));
    expect(prep.suite.shares.reduce((a, b) => a + b, 0)).toBe(1000);
  });

  test('a time budget alone is split in time, each scenario an equal part of what is left', async () => {
    // A clock that moves 1 ms at every reading: the stopping points are a function of the run.
    const clocked = () => {
      let t = 0;
      return () => {
        t += 1;
        return t;
      };
    };
    const opts: SuiteOptions = {
      scenarios: ['calibrate', 'stress-pte', 'abba-ww'],
      schedules: Number.POSITIVE_INFINITY,
      timeBudgetMs: 600,
      shrink: false,
    };
    const r = await runSuite({ ...opts, now: clocked() });
    expect(r.run.stopped).toBe('time-budget');
    expect(r.report.manifest.schedules).toBe(null);
    expect(r.report.campaigns.map((c) => [c.share, c.complete])).toEqual([
      [null, false],
      [null, false],
      [null, false],
    ]);
    for (const c of r.report.campaigns) expect(c.state!.next).toBeGreaterThan(10);
    expect(body(await runSuite({ ...opts, now: clocked() }))).toBe(body(r));
  });

  test('the worst outcome: a crash, then correctness, then liveness, over pass', () => {
    expect(worstOutcome([])).toBe('pass');
    expect(worstOutcome(['pass', 'liveness'])).toBe('liveness');
    expect(worstOutcome(['liveness', 'correctness', 'pass'])).toBe('correctness');
    expect(worstOutcome(['correctness', 'crash', 'liveness'])).toBe('crash');
  });

  test('refuses an unknown scenario, a scenario given twice and an empty suite', () => {
    const unknown = prepareSuite({ scenarios: ['nope'], schedules: 3 });
    expect(unknown.ok).toBe(false);
    expect(unknown.ok ? '' : unknown.reason).toMatch(/^unknown scenario "nope"/);
    expect(prepareSuite({ scenarios: ['small', 'small'], schedules: 3 })).toEqual({
      ok: false,
      reason: 'scenario small is in the suite twice',
    });
    expect(prepareSuite({ scenarios: [], schedules: 3 })).toEqual({
      ok: false,
      reason: 'a suite needs at least one scenario',
    });
  });

  test("each scenario's campaign is the campaign of that scenario alone with its share", async () => {
    const r = await runSuite(SMALL);
    expect(r.report.campaigns.map((c) => [c.scenario, c.share, c.state?.next, c.complete])).toEqual([
      ['abba-ww', 14, 14, true],
      ['calibrate', 13, 13, true],
      ['stress-pte', 13, 13, true],
    ]);
    expect(r.report.ran).toBe(40);
    // The suite's fault-site counts are the sums of its campaigns'.
    const sites = suiteJson(r.report).faultSites as {
      evaluated: Record<string, number>;
      fired: Record<string, number>;
    };
    for (const key of ['evaluated', 'fired'] as const) {
      const sum: Record<string, number> = {};
      for (const c of r.report.campaigns) {
        const counts = key === 'evaluated' ? c.state!.faultSitesEvaluated : c.state!.faultSitesFired;
        for (const [k, v] of Object.entries(counts)) sum[k] = (sum[k] ?? 0) + v;
      }
      expect(sites[key]).toEqual(sum);
    }
    expect(Object.keys(sites.evaluated).length).toBeGreaterThan(0);
    expect(r.run).toMatchObject({ stopped: 'done', ranNow: 40, resumed: 0, threads: 0 });
    const calibrate = r.report.campaigns[1]!;
    const alone = prepareCampaign(
      {
        scenario: SCENARIOS.find((s) => s.name === 'calibrate')!,
        baseSeed: 0n,
        schedules: 13,
        mutations: ['calibrator-lost-update'],
        shrink: false,
      },
      undefined,
    );
    if (!alone.ok) throw new Error(alone.reason);
    const a = await fuzz(
      {
        scenario: SCENARIOS.find((s) => s.name === 'calibrate')!,
        baseSeed: 0n,
        schedules: 13,
        mutations: ['calibrator-lost-update'],
        shrink: false,
      },
      alone,
    );
    expect(JSON.stringify(toRecord(calibrate.identity!, calibrate.state!))).toBe(
      JSON.stringify(toRecord(a.identity, a.state)),
    );
  });

  test('the exit code is the worst outcome: correctness 1 over liveness 3, liveness alone 3, pass 0', async () => {
    const both = await runSuite({ ...SMALL, scenarios: ['abba-deadlock', 'calibrate'], schedules: 24 });
    expect(both.report.campaigns.map((c) => c.outcome)).toEqual(['liveness', 'correctness']);
    expect(both.report.worst).toBe('correctness');
    expect(both.exitCode).toBe(1);
    const live = await runSuite({ scenarios: ['abba-deadlock', 'calibrate'], schedules: 24, shrink: false });
    expect(live.report.campaigns.map((c) => c.outcome)).toEqual(['liveness', 'pass']);
    expect([live.report.worst, live.exitCode]).toEqual(['liveness', 3]);
    const pass = await runSuite({ scenarios: ['calibrate', 'stress-pte'], schedules: 24, shrink: false });
    expect([pass.report.worst, pass.exitCode, pass.report.failures]).toEqual(['pass', 0, 0]);
  });

  test('a suite cut short and resumed from its corpus ends exactly as one that ran through', async () => {
    const whole = await runSuite(SMALL);
    const dir = join(root, 'resume');
    const stop = new AbortController();
    const cut = await runSuite({
      ...SMALL,
      corpusDir: dir,
      progressMs: 0,
      // Stopped after exactly 20 schedules: in the middle of calibrate's campaign.
      onProgress: (p) => {
        if (p.done >= 20) stop.abort();
      },
      signal: stop.signal,
    });
    expect(cut.run.stopped).toBe('interrupted');
    expect(cut.report.campaigns.map((c) => c.state?.next ?? null)).toEqual([14, 6, null]);
    expect(cut.exitCode).toBe(1);
    expect(readManifest(dir)).toMatchObject({
      kind: 'ok',
      manifest: { scenarios: SMALL.scenarios, schedules: 40 },
    });
    const resumed = await runSuite({ ...SMALL, corpusDir: dir });
    expect(resumed.run).toMatchObject({ stopped: 'done', ranNow: 20, resumed: 20 });
    expect(body(resumed)).toBe(body(whole));
    // Other options are refused, naming what differs.
    const other = prepareSuite({ ...SMALL, corpusDir: dir, baseSeed: 5n });
    expect(other.ok ? '' : other.reason).toBe(
      `${join(dir, 'suite.json')} belongs to another suite (baseSeed "0", this one "5"); use another --corpus directory or the same options`,
    );
  });

  test('sliced: on 2 worker threads as on this thread; cut short and resumed as run through', async () => {
    const here = await runSuite({ ...SMALL, shards: 2, workers: 0 });
    const pool = await runSuite({ ...SMALL, shards: 2, workers: 2 });
    expect(pool.run.threads).toBe(2);
    expect(body(pool)).toBe(body(here));
    expect(here.report.campaigns.map((c) => c.slices?.parts)).toEqual([
      [
        { shard: 0, ran: 7, share: 7 },
        { shard: 1, ran: 7, share: 7 },
      ],
      [
        { shard: 0, ran: 7, share: 7 },
        { shard: 1, ran: 6, share: 6 },
      ],
      [
        { shard: 0, ran: 7, share: 7 },
        { shard: 1, ran: 6, share: 6 },
      ],
    ]);
    expect(here.exitCode).toBe(1);

    const dir = join(root, 'sliced');
    const stop = new AbortController();
    const cut = await runSuite({
      ...SMALL,
      shards: 2,
      corpusDir: dir,
      progressMs: 0,
      onProgress: (p) => {
        if (p.done >= 10) stop.abort();
      },
      signal: stop.signal,
    });
    expect(cut.run.stopped).toBe('interrupted');
    expect(cut.report.complete).toBe(false);
    const resumed = await runSuite({ ...SMALL, shards: 2, corpusDir: dir });
    expect(resumed.run.resumed).toBe(cut.report.ran);
    expect(body(resumed)).toBe(body(here));

    // Slices run apart, each in its own directory, merge into the whole.
    const parts = await Promise.all(
      [0, 1].map(async (k) => {
        const d = join(root, `apart-${k}`);
        await runSuite({ ...SMALL, shards: 2, runShards: [k], corpusDir: d });
        return d;
      }),
    );
    const manifest = readManifest(parts[0]!);
    if (manifest.kind !== 'ok') throw new Error('no manifest');
    const inputs = SMALL.scenarios!.map((scenario) => ({
      scenario,
      records: parts
        .flatMap((d, k) => [join(scenarioDir(d, scenario), `shard-${k}-of-2.json`)])
        .reverse()
        .map((f) => JSON.parse(readFileSync(f, 'utf8'))),
    }));
    const merged = mergeSuite(manifest.manifest, inputs);
    if (!merged.ok) throw new Error(merged.reason);
    expect(JSON.stringify(suiteJson(merged.report))).toBe(body(here));
  });
});
