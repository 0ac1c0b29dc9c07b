// Perfetto / Chrome Trace Event JSON: required fields per phase, flows that join a sender's slice to
// the receiver's, memory counters, the failing check as an instant event, and identical bytes for one
// token.

import { describe, expect, test } from 'vitest';
import type { TraceLine } from '../../src/engine/trace.ts';
import { type RunOptions, runScenario } from '../../src/explore/run.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';
import { STEP_US, type TraceEvent, toPerfetto } from '../../src/viz/perfetto.ts';
import { formatProblems } from './trace_event_format.ts';

function perfetto(
  scenario: string,
  seed: bigint,
  opts: Omit<RunOptions, 'seed' | 'keepTrace'> = {},
): { json: string; events: TraceEvent[]; steps: number } {
  const r = runScenario(findScenario(scenario)!, { ...opts, seed, keepTrace: true });
  const lines = (r.trace ?? []).map((l) => JSON.parse(l) as TraceLine);
  const json = toPerfetto({
    lines,
    failure: r.failure,
    failureStep: r.failureStep,
    token: r.token,
    traceSha256: r.traceSha256,
  });
  return { json, events: (JSON.parse(json) as { traceEvents: TraceEvent[] }).traceEvents, steps: r.steps };
}

describe('perfetto', () => {
  const run = perfetto('vram-pressure', 1n);

  test('every event has the fields its phase requires', () => {
    expect(run.events.flatMap(formatProblems)).toEqual([]);
  });

  test('one X slice per delivered message on the receiver track, plus thread names for every actor', () => {
    const slices = run.events.filter((e) => e.ph === 'X' && !String(e.cat).startsWith('effect.'));
    expect(slices).toHaveLength(run.steps);
    expect(slices.map((e) => e.ts)).toEqual(Array.from({ length: run.steps }, (_, k) => k * STEP_US));
    const names = run.events
      .filter((e) => e.name === 'thread_name')
      .map((e) => (e.args as { name: string }).name);
    expect(names).toContain('task:client0');
    expect(names).toContain('device:0/man2');
  });

  test('every flow start lies inside a slice of the sender track and has exactly one end', () => {
    const starts = run.events.filter((e) => e.ph === 's');
    const ends = run.events.filter((e) => e.ph === 'f');
    expect(starts.length).toBeGreaterThan(50);
    expect(ends.map((e) => e.id)).toEqual(starts.map((e) => e.id));
    const slices = run.events.filter((e) => e.ph === 'X');
    for (const s of starts) {
      const inside = slices.some((x) => x.tid === s.tid && x.ts! <= s.ts! && s.ts! < x.ts! + x.dur!);
      expect(inside).toBe(true);
    }
  });

  test('VRAM usage is a counter track whose last value is 0 (everything freed)', () => {
    const vram = run.events.filter((e) => e.ph === 'C' && e.name === 'device:0 vram bytes');
    expect(vram.length).toBeGreaterThan(5);
    expect((vram.at(-1)!.args as { bytes: number }).bytes).toBe(0);
    expect(Math.max(...vram.map((e) => (e.args as { bytes: number }).bytes))).toBeLessThanOrEqual(256 * 1024);
  });

  test('the same token gives byte-identical JSON', () => {
    expect(perfetto('vram-pressure', 1n).json).toBe(run.json);
  });

  test('a per-step check fails on the step it judged: the instant starts that step', () => {
    const bad = perfetto('upload-race', 1n, { mutations: ['pool-alloc-error-no-unmap'] });
    const instants = bad.events.filter((e) => e.ph === 'i');
    expect(instants.map((e) => [e.name, e.ts])).toEqual([['iommu.mappings', 16 * STEP_US]]);
    expect(bad.steps).toBe(17);
  });

  test('a deadlock is a global instant event on the last step, where the cycle closed', () => {
    const dead = perfetto('abba-deadlock', 0n);
    const instants = dead.events.filter((e) => e.ph === 'i');
    expect(instants).toEqual([
      {
        name: 'liveness.deadlock',
        ph: 'i',
        s: 'g',
        pid: 1,
        tid: expect.any(Number),
        ts: (dead.steps - 1) * STEP_US,
        args: {
          kind: 'liveness',
          message:
            'deadlock: task:ab waits for bo:1/resv held by task:ba → task:ba waits for bo:0/resv held by task:ab',
        },
      },
    ]);
  });
});

describe('perfetto: page memory counters', () => {
  const run = perfetto('vram-pressure', 1n);

  test('vram-pressure (write-combined tts): pooled pages are a counter track', () => {
    const pool = run.events.filter((e) => e.ph === 'C' && e.name === 'pool pages');
    expect(pool.length).toBeGreaterThan(10);
    expect(Math.max(...pool.map((e) => (e.args as { pages: number }).pages))).toBeGreaterThan(0);
  });

  test('memory-pressure: swap pages are a counter track that ends at 0', () => {
    const mp = perfetto('memory-pressure', 1n);
    expect(mp.events.flatMap(formatProblems)).toEqual([]);
    const swap = mp.events.filter((e) => e.ph === 'C' && e.name === 'swap pages');
    expect(swap.length).toBeGreaterThan(10);
    expect((swap.at(-1)!.args as { pages: number }).pages).toBe(0);
    expect(Math.max(...swap.map((e) => (e.args as { pages: number }).pages))).toBeGreaterThan(0);
  });
});

describe('perfetto: IOVA counter', () => {
  test('vram-pressure maps tt pages through the device IOMMU: an IOVA counter track that ends at 0', () => {
    const run = perfetto('vram-pressure', 1n);
    const iova = run.events.filter((e) => e.ph === 'C' && e.name === 'iommu:device:0 pages');
    expect(iova.length).toBeGreaterThan(5);
    expect((iova.at(-1)!.args as { pages: number }).pages).toBe(0);
    expect(Math.max(...iova.map((e) => (e.args as { pages: number }).pages))).toBeGreaterThan(0);
  });
});
