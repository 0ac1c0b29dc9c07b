import { describe, expect, test } from 'vitest';
import { assign, createActor, setup } from 'xstate';
import { gpuRingMachine, taskMachine, ttmBoMachine, ttmTtMachine } from '../../machines/index.ts';
import { Coverage } from '../../src/explore/coverage.ts';
import { runScenario } from '../../src/explore/run.ts';
import { chartTable, stateString } from '../../src/sim/chart_table.ts';
import { MACHINES } from '../../src/sim/mirror.ts';
import { SCENARIOS } from '../../src/sim/scenarios/index.ts';

/** Send `events` to a table chart and to a real actor; the state strings and refusals after each. */
function both(machine: Parameters<typeof chartTable>[0], input: unknown, events: { type: string }[]) {
  const table = chartTable(machine)!;
  const s = table.start(input);
  const actor = createActor(machine, { input }).start();
  const mine: string[] = [];
  const theirs: string[] = [];
  for (const e of events) {
    const refused = table.step(s, e);
    mine.push(`${s.config.state}${refused ? ' !' : ''}`);
    const before = actor.getSnapshot();
    actor.send(e);
    const after = actor.getSnapshot();
    theirs.push(`${stateString(after.value)}${after === before && !before.can(e) ? ' !' : ''}`);
  }
  return { mine, theirs, context: s.context, actorContext: actor.getSnapshot().context };
}

describe('chartTable', () => {
  test('chartTable: every machine of the model → a table (none uses entry/exit, always, after, invoke)', () => {
    const without = Object.entries(MACHINES)
      .filter(([, m]) => chartTable(m) === null)
      .map(([k]) => k);
    expect(without).toEqual([]);
  });

  test('chartTable: entry actions, delayed transitions or a non-assign action → null (a real actor instead)', () => {
    const entry = setup({}).createMachine({ initial: 'a', states: { a: { entry: () => {} } } });
    const after = setup({}).createMachine({ initial: 'a', states: { a: { after: { 10: 'b' } }, b: {} } });
    const action = setup({}).createMachine({
      initial: 'a',
      states: { a: { on: { go: { actions: () => {} } } } },
    });
    const wildcard = setup({}).createMachine({ initial: 'a', states: { a: { on: { '*': 'b' } }, b: {} } });
    expect([chartTable(entry), chartTable(after), chartTable(action), chartTable(wildcard)]).toEqual([
      null,
      null,
      null,
      null,
    ]);
  });

  test('ChartTable.step: task chart start/preempt/resume/exit, then an event after the final state → refused, state kept', () => {
    const r = both(taskMachine, {}, [
      { type: 'task.start' },
      { type: 'task.preempt' },
      { type: 'task.resume' },
      { type: 'task.exit' },
      { type: 'task.resume' },
    ]);
    expect(r.mine).toEqual(['running', 'runnable', 'running', 'exited', 'exited !']);
    expect(r.mine).toEqual(r.theirs);
  });

  test('ChartTable.step: gpu ring guard on context inFlight: 2 submits, 2 signals → busy, busy, busy, idle', () => {
    const r = both(gpuRingMachine, {}, [
      { type: 'ring.submit' },
      { type: 'ring.submit' },
      { type: 'ring.signal' },
      { type: 'ring.signal' },
      { type: 'ring.signal' },
    ]);
    expect(r.mine).toEqual(['busy', 'busy', 'busy', 'idle', 'idle !']);
    expect(r.mine).toEqual(r.theirs);
    expect(r.context).toEqual({ inFlight: 0 });
    expect(r.context).toEqual(r.actorContext);
  });

  test('ChartTable.step: parallel BO chart with input, guards on the event and root-level targetless actions', () => {
    const r = both(ttmBoMachine, { size: 8192 }, [
      { type: 'bo.init', boType: 'device' } as { type: string },
      { type: 'bo.placed', memType: 2, res: 'res:0' } as { type: string },
      { type: 'bo.moved', memType: 1, bytes: 8192 } as { type: string },
      { type: 'bo.pin', count: 1 } as { type: string },
      { type: 'bo.pin', count: 2 } as { type: string },
      { type: 'bo.unpin', count: 1 } as { type: string },
      { type: 'bo.unpin', count: 0 } as { type: string },
      { type: 'bo.unmap' },
      { type: 'bo.destroy' },
      { type: 'bo.init', boType: 'device' } as { type: string },
    ]);
    expect(r.mine).toEqual([
      'lifecycle.initialized placement.unplaced pin.unpinned',
      'lifecycle.initialized placement.placed.vram pin.unpinned',
      'lifecycle.initialized placement.placed.vram pin.unpinned',
      'lifecycle.initialized placement.placed.vram pin.pinned',
      'lifecycle.initialized placement.placed.vram pin.pinned',
      'lifecycle.initialized placement.placed.vram pin.pinned',
      'lifecycle.initialized placement.placed.vram pin.unpinned',
      'lifecycle.initialized placement.placed.vram pin.unpinned',
      'lifecycle.destroyed placement.placed.vram pin.unpinned',
      'lifecycle.destroyed placement.placed.vram pin.unpinned !',
    ]);
    expect(r.mine).toEqual(r.theirs);
    expect(r.context).toEqual({
      size: 8192,
      memType: 2,
      pinCount: 0,
      moves: 1,
      evictions: 0,
      unmaps: 1,
      ttFlags: null,
      destroyed: true,
    });
    expect(r.context).toEqual(r.actorContext);
  });

  test('ChartTable.step: tt destroyed while populated → refused; destroyed (root final) → later events change nothing and are refused', () => {
    const r = both(ttmTtMachine, {}, [
      { type: 'tt.populate', pages: 2 } as { type: string },
      { type: 'tt.destroy' },
      { type: 'tt.unpopulate' },
      { type: 'tt.destroy' },
      { type: 'tt.populate', pages: 2 } as { type: string },
      { type: 'tt.destroy' },
    ]);
    expect(r.mine).toEqual([
      'populated',
      'populated !',
      'unpopulated',
      'destroyed',
      'destroyed !',
      'destroyed !',
    ]);
    expect(r.mine).toEqual(r.theirs);
  });

  test('ChartTable.step: a targetless transition without actions → refused, as XState (same snapshot, can() false)', () => {
    const m = setup({ types: { context: {} as { n: number } } }).createMachine({
      context: { n: 0 },
      initial: 'a',
      states: {
        a: { on: { nop: {}, inc: { actions: assign({ n: ({ context }) => context.n + 1 }) }, go: 'b' } },
        b: {},
      },
    });
    const r = both(m, {}, [{ type: 'nop' }, { type: 'inc' }, { type: 'go' }, { type: 'inc' }]);
    expect(r.mine).toEqual(['a !', 'a', 'b', 'b !']);
    expect(r.mine).toEqual(r.theirs);
    expect(r.context).toEqual({ n: 1 });
  });
});

describe('tables against real XState actors', () => {
  // Every built-in scenario, seeds 0..2, with and without injected faults: the same trace bytes,
  // outcome, token and coverage whether the charts are tables or real actors.
  for (const scenario of SCENARIOS.filter((s) => s.name !== 'vram-pressure-large')) {
    test(`runScenario: ${scenario.name}, seeds 0..2 ± faults → tables and xstateActors give identical runs`, () => {
      const differ: string[] = [];
      for (let seed = 0n; seed < 3n; seed += 1n) {
        for (const faults of [undefined, { kind: 'steps' as const, steps: [3, 10, 25] }]) {
          const key = (xstateActors: boolean) => {
            const coverage = new Coverage();
            const r = runScenario(scenario, {
              seed,
              coverage,
              xstateActors,
              // It livelocks under today's kernel on every seed: a short budget keeps its runs short.
              ...(scenario.name === 'shared-iommu-retry' ? { maxSteps: 5_000 } : {}),
              ...(faults === undefined ? {} : { faults }),
            });
            return JSON.stringify([
              r.traceSha256,
              r.outcome,
              r.steps,
              r.token,
              r.signature,
              coverage.toJSON(),
            ]);
          };
          if (key(false) !== key(true)) differ.push(`${seed}${faults === undefined ? '' : ' faults'}`);
        }
      }
      expect(differ).toEqual([]);
    });
  }
});
