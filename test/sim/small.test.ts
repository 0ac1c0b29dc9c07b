import { describe, expect, test } from 'vitest';
import { runScenario } from '../../src/sim/run.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';
import { SMALL_CONFIG } from '../../src/sim/scenarios/small.ts';

const small = findScenario('small')!;

describe('small scenario (the throughput benchmark shape)', () => {
  test('small: config → 1 device, 3 BOs, 2 execs and a put', () => {
    expect(SMALL_CONFIG.devices.length).toBe(1);
    expect(SMALL_CONFIG.bos.map((b) => b.name)).toEqual(['a', 'b', 'c']);
    expect(SMALL_CONFIG.tasks.map((t) => `${t.kind}:${t.name}`)).toEqual(['exec:x', 'exec:y', 'put:closer']);
  });

  test('runScenario: small seed 0 → pass, 30 steps, 24 choices, pinned trace SHA-256 and token', () => {
    const r = runScenario(small, { seed: 0n });
    expect([r.outcome, r.steps, r.choices]).toEqual(['pass', 30, 24]);
    expect(r.traceSha256).toBe('1db593c767c439fe826217c8b85e15445022cc436668e8400b0ba64975863d0d');
    expect(r.token).toBe('AQAAAAAAAAAAAJmtxSKGc2GPxdeNAXeq5_MArh3kKQ');
    expect([r.stats.execs, r.stats.backoffs, r.stats.puts, r.stats.destroyed]).toEqual([6, 1, 3, 3]);
  });

  test('runScenario: small seeds 0..99 → 100 pass, 3016 deliveries (about 30 each), 15546 statechart events', () => {
    let pass = 0;
    let steps = 0;
    let events = 0;
    for (let seed = 0n; seed < 100n; seed += 1n) {
      const r = runScenario(small, { seed, keepMirrorLog: true });
      if (r.outcome === 'pass') pass += 1;
      steps += r.steps;
      events += r.sim.mirror.log!.length;
    }
    expect([pass, steps, events]).toEqual([100, 3016, 15546]);
  });
});
