// Perfetto JSON of stress runs: process "worker threads" with one named track per thread, a slice per
// segment on its thread's track, wake-up arrows from the segment that moved the epoch to the woken
// thread; every event has its phase's fields and every flow pairs up, for stress and other runs alike.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { TraceLine } from '../../src/engine/trace.ts';
import { runScenario } from '../../src/explore/run.ts';
import type { Scenario } from '../../src/sim/scenario.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';
import { stressScenarios } from '../../src/sim/scenarios/stress.ts';
import { STEP_US, type TraceEvent, toPerfetto, workerTracks } from '../../src/viz/perfetto.ts';
import { flowProblems, formatProblems } from './trace_event_format.ts';

const BIN = join(import.meta.dirname, '../../bin/ttm-sim.js');

function stress(name: string): Scenario {
  return stressScenarios().find((s) => s.name === name)!;
}

function perfetto(scenario: Scenario, seed: bigint) {
  const r = runScenario(scenario, { seed, keepTrace: true });
  const lines = (r.trace ?? []).map((l) => JSON.parse(l) as TraceLine);
  const json = toPerfetto({
    lines,
    failure: r.failure,
    token: r.token,
    traceSha256: r.traceSha256,
    workers: workerTracks(scenario.config),
  });
  const events = (JSON.parse(json) as { traceEvents: TraceEvent[] }).traceEvents;
  return { r, lines, json, events, workers: events.filter((e) => e.pid === 3) };
}

describe('perfetto: worker threads of stress runs', () => {
  const bind = perfetto(stress('stress-bind'), 1n);

  test('stress-bind seed 1: process "worker threads" with one named track per thread', () => {
    expect(bind.r.token).toBe('AQAAAAAAAAABAGlcFsbFhwC5wpq1xcYvJHYA_9pvWg');
    expect(
      bind.workers.filter((e) => e.ph === 'M').map((e) => [e.tid, (e.args as { name: string }).name]),
    ).toEqual([
      [0, 'worker threads'],
      [1, 'thread 0 (bind)'],
      [2, 'thread 1 (bind)'],
      [3, 'thread 2 (bind)'],
      [4, 'thread 3 (fault)'],
      [5, 'thread 4 (reclaim)'],
      [6, 'thread 5 (fence)'],
    ]);
  });

  test('one slice per step of a thread’s task, on that thread’s track, at the step’s time', () => {
    const slices = bind.workers.filter((e) => e.ph === 'X');
    expect(slices).toHaveLength(116);
    const tids = new Map(workerTracks(stress('stress-bind').config).map((w, i) => [w.actor, i + 1]));
    slices.forEach((x, k) => {
      const line = bind.lines[k]!;
      expect([x.tid, x.ts, x.dur]).toEqual([tids.get(line.actor), line.step * STEP_US, STEP_US]);
      expect(x.name).toBe(line.src === line.actor || line.src === 'engine' ? 'segment' : line.event);
    });
    expect(slices.filter((x) => x.name === 'segment')).toHaveLength(85);
    expect(slices.filter((x) => x.name === 'fence.signaled')).toHaveLength(31);
  });

  test('a wake-up arrow from the segment that moved the epoch to each woken thread’s step (31 of them)', () => {
    const starts = bind.workers.filter((e) => e.ph === 's');
    const ends = bind.workers.filter((e) => e.ph === 'f');
    expect(starts).toHaveLength(31);
    expect(ends.map((e) => e.id)).toEqual(starts.map((e) => e.id));
    // The first: task:fence:5 woken at step 7 by the segment task:bind:2 ran at step 2.
    expect([starts[0]!.tid, starts[0]!.ts, ends[0]!.tid, ends[0]!.ts]).toEqual([3, 25, 6, 71]);
    for (const s of starts) expect(s.cat).toBe('wakeup');
  });

  test.each([
    ['stress-pte', 1n, 5, 0],
    ['stress-bind', 2n, 7, 61],
    ['stress-signal', 1n, 8, 25],
  ])(
    '%s seed %d: every event has its phase’s fields, every flow pairs up (%d names, %d wake-ups)',
    (name, seed, names, wakes) => {
      const run = perfetto(stress(name), seed);
      expect(run.events.flatMap(formatProblems)).toEqual([]);
      expect(flowProblems(run.events)).toEqual([]);
      expect(run.workers.filter((e) => e.ph === 'M')).toHaveLength(names);
      expect(run.workers.filter((e) => e.ph === 's')).toHaveLength(wakes);
    },
  );

  test('runs of other scenarios have no worker threads; their flows pair up too', () => {
    expect(workerTracks(findScenario('vram-pressure')!.config)).toEqual([]);
    for (const [name, seed] of [
      ['vram-pressure', 1n],
      ['memory-pressure', 1n],
      ['abba-deadlock', 0n],
    ] as const) {
      const run = perfetto(findScenario(name)!, seed);
      expect(run.workers).toEqual([]);
      expect(run.events.flatMap(formatProblems)).toEqual([]);
      expect(flowProblems(run.events)).toEqual([]);
    }
  });

  test('the pairing check finds a flow without an end, a second start and an end before its start', () => {
    const x = (ts: number): TraceEvent => ({ name: 'x', ph: 'X', pid: 1, tid: 1, ts, dur: 10 });
    const flow = (ph: 's' | 'f', id: number, ts: number): TraceEvent => ({
      name: 'm',
      ph,
      cat: 'message',
      pid: 1,
      tid: 1,
      ts,
      id,
      ...(ph === 'f' ? { bp: 'e' as const } : {}),
    });
    expect(
      flowProblems([x(0), x(10), flow('s', 1, 5), flow('s', 2, 15), flow('s', 2, 16), flow('f', 2, 3)]),
    ).toEqual([
      "flow 2: a second 's'",
      'flow 1: starts and never ends',
      'flow 2: ends at 3 before it starts at 16',
    ]);
  });

  test('ttm-sim trace of a stress token writes the worker tracks', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ttm-perfetto-')), 'bind.json');
    const r = spawnSync(process.execPath, [BIN, 'trace', bind.r.token, '--perfetto', out], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(bind.json);
  });
});
