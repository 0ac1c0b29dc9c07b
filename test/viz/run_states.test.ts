// The viewer's state recorder and the step a failure belongs to (RunResult.failureStep), without a
// browser: recording changes nothing in the run; the recorded values at a failing step are the model's;
// failureStep names the trace line of the failure for every kind, whatever failure.step counts.

import { describe, expect, test } from 'vitest';
import { type RunOptions, runScenario } from '../../src/explore/run.ts';
import type { KGen } from '../../src/kernel/env.ts';
import type { Scenario } from '../../src/sim/scenario.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';
import type { Sim } from '../../src/sim/sim.ts';
import { type RunStates, StateRecorder } from '../../src/viz/run_states.ts';

function record(
  scenario: string,
  opts: RunOptions,
): { states: RunStates; r: ReturnType<typeof runScenario> } {
  const recorder = new StateRecorder();
  const r = runScenario(findScenario(scenario)!, { ...opts, keepTrace: true, onStep: recorder.onStep });
  return { states: recorder.result(r.trace!.length), r };
}

/** Every value of `object` after line `line`, folded from the recorded changes. */
function valuesAt(st: RunStates, line: number, object: string): Record<string, string> {
  const cur = new Map<number, number>();
  const fold = (pairs: readonly number[]) => {
    for (let i = 0; i < pairs.length; i += 2) cur.set(pairs[i]!, pairs[i + 1]!);
  };
  fold(st.initial);
  for (let s = 0; s <= line; s += 1) fold(st.steps[s]!);
  const out: Record<string, string> = {};
  for (const [k, t] of cur) {
    const [o, field] = st.keys[k]!;
    if (st.objects[o]![0] === object && t >= 0) out[field] = st.texts[t]!;
  }
  return out;
}

describe('StateRecorder', () => {
  test('recording every step leaves the run as it is: same trace SHA-256, token and outcome', () => {
    const plain = runScenario(findScenario('vram-pressure')!, { seed: 1n, keepTrace: true });
    const { r, states } = record('vram-pressure', { seed: 1n });
    expect(r.traceSha256).toBe(plain.traceSha256);
    expect(r.token).toBe(plain.token);
    expect(r.outcome).toBe(plain.outcome);
    expect(states.steps).toHaveLength(plain.steps);
  });

  test('pool-alloc-error-no-unmap, upload-race seed 1: at the failing line the IOMMU still maps IOVA 8 (4 pages) to the freed frames 8-11', () => {
    const { r, states } = record('upload-race', { seed: 1n, mutations: ['pool-alloc-error-no-unmap'] });
    expect(r.failure?.message).toBe(
      'iommu:device:0 maps IOVA 8 for device:0 to frame 8, which RAM holds as free',
    );
    expect(r.failureStep).toBe(16);
    expect(valuesAt(states, 16, 'iommu:device:0')).toEqual({
      'free IOVA': '1 of 12 pages',
      mappings: '4',
      'IOVA 1': '+4 device:0 → frames 4,5,6,7',
      'IOVA 5': '+2 device:0 → frames 2,3',
      'IOVA 7': '+1 device:0 → frames 1',
      'IOVA 8': '+4 device:0 → frames 8,9,10,11',
      'map failures': '1',
    });
    expect(valuesAt(states, 16, 'bo:2')).toEqual({
      lifecycle: 'initialized',
      placement: 'placed.system',
      pin: 'unpinned',
      'pin count': '0',
      refcount: '2',
      resource: 'res:2 system @0 +7p',
      lru: 'device:0/man0 lru[0], 1 of 1',
      'bulk move': 'none',
      resv: 'bo:2/resv',
      tt: 'tt:2 populated',
      'pages resident': '7',
      'pages backed up': '0',
      'pages swapped': '0',
      'pages purged': '0',
    });
    expect(valuesAt(states, 16, 'task:uploader1')).toEqual({
      state: 'runnable (runnable)',
      'waits for': 'nothing',
      'locks held': 'bo:4/resv',
    });
    expect(valuesAt(states, 16, 'device:0/man0').usage).toBe('28672 bytes');
    expect(valuesAt(states, 16, 'device:0/man0')['lru[0]']).toBe('bo:2');
  });
});

/** A task that reports an edge the tt chart refuses (swapout of an unpopulated tt), in its first step. */
// biome-ignore lint/correctness/useYield: the task is one step, with no scheduling point inside
function* refuse(sim: Sim): KGen<void> {
  sim.env.emit('tt', 'tt:99', { type: 'tt.swapout' });
}

function* bystand(): KGen<void> {}

/** Two tasks, the first of which makes the simulator crash with a statechart refusal. */
const REFUSAL: Scenario = {
  name: 'statechart-refusal',
  summary: 'a task reports an edge its object’s statechart refuses',
  config: { test: 'statechart-refusal' },
  build(sim) {
    // 'fifo' takes the first enabled actor in id order: task:a-refuser runs first.
    sim.spawn('a-refuser', () => refuse(sim));
    sim.spawn('b-bystander', bystand);
    return { stats: () => ({}), check: () => [], describe: () => [], worlds: () => [] };
  },
};

describe('StateRecorder: bulk moves', () => {
  test('bulk-lru seed 0: the VM BOs sharing bo:1/resv show one bulk move, the others none', () => {
    const { states } = record('bulk-lru', { seed: 0n });
    const at = (bo: string) => valuesAt(states, 59, bo);
    for (const bo of ['bo:3', 'bo:4', 'bo:5', 'bo:6']) {
      expect(at(bo)['bulk move'], bo).toBe('#1');
      expect(at(bo).resv, bo).toBe('shared bo:1/resv');
    }
    for (const bo of ['bo:0', 'bo:1', 'bo:2']) expect(at(bo)['bulk move'], bo).toBe('none');
    expect(at('bo:6').lru).toBe('device:0 unevictable, 1 of 1');
    expect(at('bo:4').lru).toBe('device:0/man0 lru[0], 4 of 4');
  });
});

describe('fences a task sleeps on', () => {
  test('hot-unplug seed 1: the driver waits from line 37 on fence:hot-unplug.due, which no resv holds; the panel lists it unsignalled, then signalled at line 96, and drops it once nobody waits (line 98)', () => {
    const { states } = record('hot-unplug', { seed: 1n });
    expect(valuesAt(states, 36, 'fence:hot-unplug.due')).toEqual({});
    expect(valuesAt(states, 37, 'task:driver')['waits for']).toBe('fence fence:hot-unplug.due');
    expect(valuesAt(states, 37, 'fence:hot-unplug.due')).toEqual({ signalled: 'no' });
    expect(valuesAt(states, 95, 'fence:hot-unplug.due')).toEqual({ signalled: 'no' });
    expect(valuesAt(states, 96, 'fence:hot-unplug.due')).toEqual({ signalled: 'yes' });
    expect(valuesAt(states, 98, 'fence:hot-unplug.due')).toEqual({});
  });
});

describe('RunResult.failureStep: the trace line a failure belongs to', () => {
  const CASES: readonly [string, string, RunOptions, string, number, number, number][] = [
    // name, scenario, options, failure id, failure.step, failureStep, trace lines
    [
      'per-step oracle',
      'upload-race',
      { seed: 1n, mutations: ['pool-alloc-error-no-unmap'] },
      'iommu.mappings',
      16,
      16,
      17,
    ],
    [
      'end-of-run check',
      'calibrate',
      { seed: 13n, mutations: ['calibrator-starvation=3'] },
      'calibrator.starvation',
      4,
      3,
      4,
    ],
    ['deadlock', 'abba-deadlock', { seed: 0n }, 'liveness.deadlock', 6, 5, 6],
    [
      'livelock',
      'swap-race',
      // Per-step checks off: with them, bo.swapout.zombie-cleaned finds this mutation at step 33.
      { seed: 1n, mutations: ['swapout-busy-zombie-progress'], maxSteps: 2000, oracles: false },
      'liveness.livelock',
      2000,
      1999,
      2000,
    ],
    [
      'exception (the throwing step wrote no line)',
      'move-race',
      {
        seed: 2n,
        strategy: 'pct',
        strategyParams: { depth: 3, k: 1000 },
        mutations: ['access-no-resource-check'],
      },
      'crash.exception',
      87,
      87,
      87,
    ],
  ];
  for (const [name, scenario, opts, id, step, line, lines] of CASES) {
    test(`${name}: ${scenario} ${id}, failure.step ${step} → line ${line} of ${lines}`, () => {
      const r = runScenario(findScenario(scenario)!, { ...opts, keepTrace: true });
      expect(r.failure?.id).toBe(id);
      expect(r.failure?.step).toBe(step);
      expect(r.failureStep).toBe(line);
      expect(r.trace).toHaveLength(lines);
    });
  }

  test('a statechart refusal: the step in which the chart refused the edge, not the last step', () => {
    const r = runScenario(REFUSAL, { seed: 0n, strategy: 'fifo', keepTrace: true });
    expect(r.failure?.id).toBe('crash.statechart');
    expect(r.failure?.message).toBe(
      'tt:99 got tt.swapout in state unpopulated, which its statechart does not allow',
    );
    expect(r.failure?.step).toBe(2);
    expect(r.failureStep).toBe(0);
    expect(r.trace!.map((l) => JSON.parse(l).actor)).toEqual(['task:a-refuser', 'task:b-bystander']);
  });

  test('a passing run has none', () => {
    expect(runScenario(findScenario('vram-pressure')!, { seed: 1n }).failureStep).toBeNull();
  });
});
