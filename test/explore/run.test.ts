// A run as a stream (src/explore/run.ts run$): every delivery, then its step's trace line with the
// effects it caused, then the result; watching changes nothing in the run, and the explore layer hands
// the run its judges (a run through runScenarioWith without them sees no per-step oracle).

import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, test } from 'vitest';
import { traceLineText } from '../../src/engine/trace.ts';
import { JUDGES, type RunEvent, run$, runScenario } from '../../src/explore/run.ts';
import { runScenarioWith } from '../../src/sim/run.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';

const small = findScenario('small')!;

describe('run$', () => {
  test('small seed 0: 76 deliveries and 77 steps (320 effects), in order, then the result; same trace as runScenario', async () => {
    const events: RunEvent[] = await lastValueFrom(
      run$(small, { seed: 0n, keepTrace: true }).pipe(toArray()),
    );
    const plain = runScenario(small, { seed: 0n, keepTrace: true });
    expect(events.length).toBe(154);
    expect(events.filter((e) => e.kind === 'delivery').length).toBe(76);
    const lines = events.flatMap((e) => (e.kind === 'step' ? [e.line] : []));
    expect(lines.length).toBe(77);
    expect(lines.reduce((a, l) => a + (l.effects?.length ?? 0), 0)).toBe(320);
    expect(lines.map(traceLineText)).toEqual(plain.trace);
    const first = events[0]!;
    expect(
      first.kind === 'delivery'
        ? `${first.envelope.from}->${first.envelope.to} ${first.envelope.msg.type}`
        : '',
    ).toBe('engine->task:lifecycle task.run');
    expect(events[1]!.kind === 'step' ? events[1]!.line.actor : '').toBe('task:lifecycle');
    const last = events.at(-1)!;
    expect(last.kind).toBe('result');
    if (last.kind !== 'result') return;
    expect(last.result.traceSha256).toBe('1f83627a1ea1f5000b99d53ea9f08364cc7b992076fff921cf816c5c606a4ec7');
    expect(last.result.traceSha256).toBe(plain.traceSha256);
    expect(last.result.token).toBe(plain.token);
  });

  test('each subscription runs the scenario again; nothing is emitted before subscribing', async () => {
    const stream = run$(small, { seed: 3n });
    const a = await lastValueFrom(stream.pipe(toArray()));
    const b = await lastValueFrom(stream.pipe(toArray()));
    expect(a.length).toBe(b.length);
    const ra = a.at(-1)!;
    const rb = b.at(-1)!;
    expect(
      ra.kind === 'result' && rb.kind === 'result' && ra.result.traceSha256 === rb.result.traceSha256,
    ).toBe(true);
  });
});

describe('the judges the explore layer hands the run', () => {
  test('runScenarioWith asks the judges it is given after every step: one that always objects ends small at step 0', () => {
    const objecting = {
      checkAll: () => ({
        oracle: 'test.objects',
        kind: 'correctness' as const,
        actor: 'pool',
        message: 'no',
      }),
      findCycle: () => null,
    };
    const r = runScenarioWith(objecting, small, { seed: 0n });
    expect(r.failure).toEqual({
      kind: 'correctness',
      id: 'test.objects',
      message: 'no',
      step: 0,
      actor: 'pool',
    });
    expect(r.steps).toBe(1);
    expect(runScenarioWith(JUDGES, small, { seed: 0n }).outcome).toBe('pass');
    expect(runScenarioWith(objecting, small, { seed: 0n, oracles: false }).outcome).toBe('pass');
  });
});
