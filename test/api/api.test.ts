// The public API (src/index.ts): run, replay, shrink and fuzz return what the commands print, bad
// input throws TtmSimError with the command line's message, and the catalogues list what the
// commands list.

import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DESIGNS } from '../../src/designs/index.ts';
import { MUTATIONS } from '../../src/explore/mutations.ts';
import {
  designs,
  fuzz,
  mutations,
  type RunEvent,
  replay,
  run,
  run$,
  scenarios,
  shrink,
  TtmSimError,
} from '../../src/index.ts';

const VRAM_SEED_2 = 'AQAAAAAAAAACAISuyq1GWq5kHSxDIFim760A3wl_rA';
const ABBA_SEED_0 = 'AQAAAAAAAAAAAIYBF__MW-JCntGnDblP4cYA2Dgx5w';
const ABBA_SHRUNK = 'AQAAAAAAAAAAAYYBF__MW-JCntGnDblP4cYBBQABAQAAj_eGqQ';

function refused(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TtmSimError);
    return (err as Error).message;
  }
  throw new Error('no TtmSimError thrown');
}

describe('run and replay', () => {
  it('run: vram-pressure seed 2 → the README token, 446 steps, 315 choices, pass', () => {
    const r = run({ scenario: 'vram-pressure', seed: 2 });
    expect(r.token).toBe(VRAM_SEED_2);
    expect([r.steps, r.choices, r.outcome, r.strategy, r.seed]).toEqual([446, 315, 'pass', 'random', '2']);
    expect(r.traceSha256).toBe('04901fe2440b5f99ed89f001338d908ea13fad4fdf6f298ce88a750a5f790517');
    expect(r.failure).toBeNull();
    expect(r.trace).toBeNull();
    expect([r.stats.evictions, r.stats.moves, r.stats.backoffs]).toEqual([37, 46, 7]);
  });

  it('replay: the token gives the same report, and a trace whose lines hash to traceSha256', () => {
    const a = run({ scenario: 'vram-pressure', seed: 2n });
    const b = replay(VRAM_SEED_2, { trace: true });
    expect({ ...b, trace: null }).toEqual(a);
    expect(b.trace?.length).toBe(446);
    const text = (b.trace ?? []).map((l) => `${l}\n`).join('');
    expect(createHash('sha256').update(text).digest('hex')).toBe(a.traceSha256);
  });

  it('run: abba-deadlock seed 0 fails with liveness.deadlock and its cycle', () => {
    const r = run({ scenario: 'abba-deadlock', seed: 0 });
    expect(r.token).toBe(ABBA_SEED_0);
    expect(r.outcome).toBe('liveness');
    expect(r.failure?.id).toBe('liveness.deadlock');
    expect(r.failure?.message).toBe(
      'deadlock: task:ab waits for bo:1/resv held by task:ba → task:ba waits for bo:0/resv held by task:ab',
    );
    expect(r.failureStep).toBe(5);
    const pass = run({ scenario: 'abba-deadlock', seed: 1 });
    expect([pass.outcome, pass.failureStep]).toEqual(['pass', null]);
  });

  it('run: mutations are named in the report, canonical and sorted', () => {
    const r = run({ scenario: 'bulk-lru', seed: 0, mutations: ['bulk-move-pinned'] });
    expect(r.mutations).toEqual(['bulk-move-pinned']);
    expect(r.failure?.id).toBe('pinned.resident');
    expect(replay(r.token).mutations).toEqual(['bulk-move-pinned']);
  });
});

describe('scenario files', () => {
  it('run: examples/race-small.json seed 1 → a token that replays given the file', () => {
    const r = run({ scenario: 'examples/race-small.json', seed: 1 });
    expect([r.scenario, r.token, r.steps, r.outcome]).toEqual([
      'race',
      'AQAAAAAAAAABAOasXz4Y31wUCEYscKnqayUA4bHgDg',
      135,
      'pass',
    ]);
    expect(r.traceSha256).toBe('fcfba75a5464d8386e7fed3648dce124e257f9851e2f710e43837dfbfb0ac9c6');
    expect(replay(r.token, { scenario: 'examples/race-small.json' }).traceSha256).toBe(r.traceSha256);
    expect(refused(() => replay(r.token))).toBe(
      "replay: the token is for scenario e6ac5f3e, which is none of this build's built-in scenarios: a token of a scenario file runs with the file, 'ttm-sim replay TOKEN --scenario FILE' (or the token was made by a build with another scenario set; 'ttm-sim scenarios' shows the hashes here)",
    );
    expect(refused(() => replay(r.token, { scenario: 'examples/memory-small.json' }))).toBe(
      "replay: scenario examples/memory-small.json: the token is for scenario e6ac5f3e, but the file's configuration hash is 2263aab6; give the file the token was made from, as it was then (a changed setting is another scenario)",
    );
  });

  it('fuzz: a scenario file whose path has a space is quoted in the commands the report suggests', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttm-sim api '));
    try {
      const file = join(dir, 'race small.json');
      copyFileSync('examples/race-small.json', file);
      const r = await fuzz({ scenario: file, schedules: 2, faults: 'off' });
      expect(r.outcome).toBe('pass');
      const lines = r.text.split('\n');
      expect(
        lines.slice(
          lines.findIndex((l) => l.startsWith('  next ')),
          -2,
        ),
      ).toEqual([
        `  next        run longer (or add --workers N to use N cores): npx ttm-sim fuzz --scenario '${file}' --faults off --schedules 20`,
        `              one scenario in depth: npx ttm-sim fuzz --scenario '${file}' --faults off --schedules 1000`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('run$', () => {
  it('run$: abba-deadlock seed 0 as a stream: every delivery, each step as the trace has it, then the report', () => {
    const events: RunEvent[] = [];
    run$({ scenario: 'abba-deadlock', seed: 0 }).subscribe((e) => events.push(e));
    const steps = events.filter((e) => e.kind === 'step').map((e) => e.line);
    const trace = replay(ABBA_SEED_0, { trace: true }).trace ?? [];
    expect(steps.map((l) => l.step)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(steps).toEqual(trace.map((l) => JSON.parse(l)));
    expect(events.filter((e) => e.kind === 'delivery').length).toBe(6);
    const last = events.at(-1);
    expect(last?.kind === 'result' && [last.report.token, last.report.failure?.id]).toEqual([
      ABBA_SEED_0,
      'liveness.deadlock',
    ]);
  });

  it('run$: bad options throw when it is called, before anything is subscribed', () => {
    expect(refused(() => run$({ seed: -1 }))).toBe(
      'run$: seed must be an unsigned 64-bit integer (a number or a bigint), got -1',
    );
  });
});

describe('shrink', () => {
  it('shrink: the abba-deadlock token → the README shrunk token, 6 steps, 2 preemptions marked', () => {
    const s = shrink(ABBA_SEED_0, { budgetMs: 60_000 });
    expect(s.token).toBe(ABBA_SHRUNK);
    expect(s.original).toBe(ABBA_SEED_0);
    expect(s.signature).toBe('liveness.deadlock | task:ab | blocked | ');
    expect([s.steps, s.stepsBefore, s.preemptions, s.preemptionsBefore, s.faults, s.tries]).toEqual([
      6, 6, 2, 2, 0, 12,
    ]);
    expect(s.timedOut).toBe(false);
    expect(s.rows.slice(1)).toEqual([
      '▶    1  task:ba  task.run  ready → runnable',
      '     2  task:ba  task.run  runnable  [bo:1/resv resv.locked]',
      '▶    3  task:ab  task.run  runnable  [bo:0/resv resv.locked]',
      '     4  task:ab  task.run  runnable → blocked  [bo:1/resv resv.locked]',
      '     5  task:ba  task.run  runnable → blocked  [bo:0/resv resv.locked]',
    ]);
    expect(replay(s.token).failure?.id).toBe('liveness.deadlock');
  });

  it('shrink: the token of a passing run is refused', () => {
    expect(refused(() => shrink(VRAM_SEED_2))).toBe(
      "shrink: this token's run passes; shrink needs the token of a failing run",
    );
  });
});

describe('fuzz', () => {
  it('fuzz: 6 schedules of abba-deadlock find the deadlock at schedule 0, shrunk to the README token', async () => {
    const r = await fuzz({ scenario: 'abba-deadlock', schedules: 6, shrinkBudgetMs: 60_000 });
    expect([r.outcome, r.exitCode, r.schedules, r.complete]).toEqual(['liveness', 3, 6, true]);
    expect(r.scenarios).toEqual(['abba-deadlock']);
    expect(r.failures.map((f) => [f.scenario, f.id, f.schedule, f.token, f.shrunk?.token])).toEqual([
      ['abba-deadlock', 'liveness.deadlock', 0, ABBA_SEED_0, ABBA_SHRUNK],
    ]);
    expect(r.json.worst).toBe('liveness');
    expect(r.text.split('\n')[0]).toMatch(/^ttm-sim fuzz: /);
  });

  it('fuzz: on 2 worker threads, the same failures as on this thread', async () => {
    const r = await fuzz({ scenario: 'abba-deadlock', schedules: 6, workers: 2, shrink: false });
    expect([r.outcome, r.schedules]).toEqual(['liveness', 6]);
    expect(r.failures.map((f) => [f.schedule, f.token])).toEqual([[0, ABBA_SEED_0]]);
  });

  it('fuzz: a corpus directory is locked while a campaign runs on it, and resumed from afterwards', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttm-sim-api-corpus-'));
    try {
      const first = fuzz({ scenario: 'abba-ww', schedules: 40, faults: 'off', corpusDir: dir });
      await expect(fuzz({ scenario: 'abba-ww', schedules: 40, corpusDir: dir })).rejects.toThrow(
        new TtmSimError(
          'fuzz',
          `corpusDir: ${join(dir, 'campaign.lock')} is held by the campaign of pid ${process.pid}; wait for it to finish (or stop it with Ctrl-C), or use another --corpus directory`,
        ),
      );
      expect((await first).schedules).toBe(40);
      expect(readdirSync(dir).sort()).toEqual(['abba-ww', 'suite.json']);
      const more = await fuzz({ scenario: 'abba-ww', schedules: 44, faults: 'off', corpusDir: dir });
      expect([more.schedules, more.complete, more.outcome]).toEqual([44, true, 'pass']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fuzz: an aborted signal stops every campaign before its first schedule: exit code 130', async () => {
    const c = new AbortController();
    c.abort();
    const r = await fuzz({
      scenario: ['abba-ww', 'calibrate'],
      schedules: 40,
      faults: 'off',
      signal: c.signal,
    });
    expect([r.exitCode, r.complete, r.schedules, r.outcome]).toEqual([130, false, 0, 'pass']);
    expect(r.text.split('\n')[0]).toBe(
      'ttm-sim fuzz: 0 schedules of 2 scenarios, stopped early, no failure so far',
    );
    expect(r.text).toContain(
      '\n  stopped     0 of 40 schedules run; abba-ww not started, calibrate not started\n',
    );
  });

  it('fuzz: a suite of two passing scenarios reports pass with exit code 0', async () => {
    const r = await fuzz({ scenario: ['abba-ww', 'calibrate'], schedules: 4, faults: 'off' });
    expect([r.outcome, r.exitCode, r.schedules, r.failures.length]).toEqual(['pass', 0, 4, 0]);
    expect(r.scenarios).toEqual(['abba-ww', 'calibrate']);
  });
});

describe('the suite report a kernel developer reads (fuzz().text, as npm start prints it)', () => {
  it('a passing suite: nothing found, then how to run longer, one scenario in depth, every scenario', async () => {
    const r = await fuzz({ scenario: ['calibrate', 'stress-pte'], schedules: 12 });
    const lines = r.text.split('\n');
    expect(lines[0]).toBe('ttm-sim fuzz: 12 schedules of 2 scenarios, no failure');
    expect(lines.slice(7, 10)).toEqual([
      '    scenario    schedules  failures  transitions  orderings  rare cases reached',
      '    calibrate         6/6  none                4          4  -',
      '    stress-pte        6/6  none                4          4  -',
    ]);
    expect(lines.slice(-5)).toEqual([
      '  found       nothing: no check failed, no run deadlocked, livelocked or crashed',
      '  next        run longer (or add --workers N to use N cores): npx ttm-sim fuzz --scenario calibrate --scenario stress-pte --schedules 120',
      '              one scenario in depth: npx ttm-sim fuzz --scenario calibrate --schedules 1000',
      '              every scenario expected to pass (28 of 30): npx ttm-sim fuzz',
      '              the 2 that fail by design: npx ttm-sim fuzz --scenario abba-deadlock --scenario shared-iommu-retry',
    ]);
    // A quoted command is never cut by the wrapping.
    expect(r.text).toContain("('npx ttm-sim faults' says what each one fails)");
    expect(r.text).not.toMatch(/\b(arms?|tapes?|corpus|k =|n =)\b/);
  });
});

describe('the default suite (npm start)', () => {
  it("its report says what ran in a kernel developer's words, and how to run longer and the demonstrations", async () => {
    const r = await fuzz({ schedules: 28, faults: 'off', shrink: false });
    const lines = r.text.split('\n');
    expect(lines.slice(1, 8)).toEqual([
      '  workload    every built-in scenario expected to pass (28 of 30): kernel tasks (GPU submits under ww',
      '              reservations, eviction, swapout, the shrinker, CPU faults, delayed delete) racing on TTM',
      '              devices, buffer objects and fences through a whole life of init, work, suspend, resume and',
      "              teardown ('npx ttm-sim scenarios' describes each). 28 schedules in equal shares (1 each), each",
      '              one interleaving from its own seed (base seed 0), drawn in turn by a random walk, PCT (aimed',
      '              at bugs needing 1, 2 or 3 preemptions), POS, and mutation of earlier interleavings that',
      '              reached new states; no faults injected.',
    ]);
    // After the label (`next`, or blank when a failure's commands come first).
    expect(lines.slice(-3).map((l) => l.slice(14))).toEqual([
      'run longer (or add --workers N to use N cores): npx ttm-sim fuzz --faults off --schedules 280',
      `one scenario in depth: npx ttm-sim fuzz --scenario ${r.failures[0]?.scenario ?? 'vram-pressure'} --faults off --schedules 1000`,
      'the 2 that fail by design: npx ttm-sim fuzz --scenario abba-deadlock --scenario shared-iommu-retry',
    ]);
  });
});

describe('the report of a scenario file', () => {
  it('its next commands name the file, so the tokens they take are read with it', async () => {
    const token =
      'AQAAAAAAAAADAiJjqrapWdi7NHJ3h1NeWxwGAxYBGHBvb2wtcmVzdG9yZS1zdGFsZS1zdGF0ZScFCgEBAQcxAQUGBgEBAgcGNAkCAQIBCgEJAwkDAwEMFwEFAQsHAQv78yFf';
    const r = await fuzz({
      scenario: 'examples/memory-small.json',
      schedules: 8,
      mutations: ['pool-restore-stale-state'],
      shrink: false,
    });
    expect(r.failures.map((f) => [f.id, f.schedule, f.token])).toEqual([['tt.restore.post', 3, token]]);
    const lines = r.text.split('\n');
    expect(lines.slice(lines.findIndex((l) => l.startsWith('  next ')))).toEqual([
      `  next        see the first failure step by step, its preemptions marked: npx ttm-sim shrink ${token} --scenario examples/memory-small.json`,
      `              draw it (statecharts, timeline): npx ttm-sim view ${token} --scenario examples/memory-small.json --out failure.html`,
      '              run longer (or add --workers N to use N cores): npx ttm-sim fuzz --scenario examples/memory-small.json --mutation pool-restore-stale-state --schedules 80',
      '              one scenario in depth: npx ttm-sim fuzz --scenario examples/memory-small.json --mutation pool-restore-stale-state --schedules 1000',
      '              every scenario expected to pass (28 of 30): npx ttm-sim fuzz',
      '              the 2 that fail by design: npx ttm-sim fuzz --scenario abba-deadlock --scenario shared-iommu-retry',
    ]);
  });
});

describe('bad input throws TtmSimError naming the problem', () => {
  it.each([
    ['run: seed must be an unsigned 64-bit integer (a number or a bigint), got -1', () => run({ seed: -1 })],
    [
      'run: seed must be an unsigned 64-bit integer (a number or a bigint), got 1.5',
      () => run({ seed: 1.5 }),
    ],
    [
      'run: seed must be an unsigned 64-bit integer (a number or a bigint), got 18446744073709551616',
      () => run({ seed: 1n << 64n }),
    ],
    [
      "run: mutations: unknown mutation 'no-such-bug'; 'ttm-sim mutations' lists them",
      () => run({ mutations: ['no-such-bug'] }),
    ],
    [
      'run: faults must be one of off, uniform, buggify, got "sometimes"',
      () => run({ faults: 'sometimes' as 'off' }),
    ],
    [
      'replay: bad token: token is truncated: 6 bytes, at least 31 expected; copy the whole line',
      () => replay('AQAAAAAA'),
    ],
    ['replay: expected a token string, got number', () => replay(42 as unknown as string)],
    [
      "run: mutations: mutation 'calibrator-lost-update' cannot act in abba-ww: it is read by the calibrate scenario, which that scenario does not run; it acts in calibrate (its bug shows in calibrate); pick one of those with --scenario, or another mutation",
      () => run({ scenario: 'abba-ww', mutations: ['calibrator-lost-update'] }),
    ],

    ['shrink: budgetMs must be a positive integer, got 0', () => shrink(ABBA_SEED_0, { budgetMs: 0 })],
  ])('%s', (message, fn) => {
    expect(refused(fn)).toBe(message);
  });

  it('run: an unknown scenario names the built-in ones', () => {
    expect(refused(() => run({ scenario: 'nope' }))).toMatch(
      /^run: unknown scenario "nope"; the built-in ones are: vram-pressure, vram-pressure-large, abba-deadlock, /,
    );
  });

  it('fuzz: bad counts and strategies reject before anything runs', async () => {
    await expect(fuzz({ scenario: 'abba-ww', schedules: -3 })).rejects.toThrow(
      new TtmSimError('fuzz', 'schedules must be a positive integer, got -3'),
    );
    await expect(fuzz({ scenario: [] })).rejects.toThrow(
      'fuzz: scenario: give at least one scenario, or none for the default suite',
    );
    await expect(fuzz({ scenario: 'abba-ww', strategy: 'dfs' })).rejects.toBeInstanceOf(TtmSimError);
    await expect(fuzz({ scenario: ['abba-ww', 'abba-ww'] })).rejects.toThrow(
      'fuzz: scenario abba-ww is in the suite twice',
    );
  });
});

describe('catalogues', () => {
  it('scenarios: the 30 built-in ones in `ttm-sim scenarios` order; two fail by design', () => {
    expect(scenarios.length).toBe(30);
    expect(scenarios[0]).toMatchObject({ name: 'vram-pressure', expect: 'pass' });
    expect(scenarios.filter((s) => s.expect === 'fail').map((s) => s.name)).toEqual([
      'abba-deadlock',
      'shared-iommu-retry',
    ]);
    expect(scenarios.every((s) => /^[0-9a-f]{8}/.test(s.hash))).toBe(true);
  });

  it('mutations and designs: the catalogues the commands print', () => {
    expect(mutations).toBe(MUTATIONS);
    expect(designs).toBe(DESIGNS);
    expect(mutations.find((m) => m.name === 'bulk-move-pinned')?.scenario).toBe('bulk-lru');
  });
});
