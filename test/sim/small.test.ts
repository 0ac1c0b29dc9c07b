import { describe, expect, test } from 'vitest';
import { runScenario } from '../../src/explore/run.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';
import { SMALL_CONFIG } from '../../src/sim/scenarios/small.ts';

const small = findScenario('small')!;

describe('small scenario (the throughput benchmark shape)', () => {
  test('small: config → 1 device, 3 BOs, 2 execs and a put', () => {
    expect(SMALL_CONFIG.devices.length).toBe(1);
    expect(SMALL_CONFIG.bos.map((b) => b.name)).toEqual(['a', 'b', 'c']);
    expect(SMALL_CONFIG.tasks.map((t) => `${t.kind}:${t.name}`)).toEqual(['exec:x', 'exec:y', 'put:closer']);
  });

  test('runScenario: small seed 0 → pass, 77 steps (suspend, resume and teardown included), 52 choices, pinned trace SHA-256 and token', () => {
    const r = runScenario(small, { seed: 0n });
    expect([r.outcome, r.steps, r.choices]).toEqual(['pass', 77, 52]);
    expect(r.traceSha256).toBe('1f83627a1ea1f5000b99d53ea9f08364cc7b992076fff921cf816c5c606a4ec7');
    expect(r.token).toBe('AQAAAAAAAAAAANijly2buARKdPfDAVMYaDIAcp4hgA');
    // Destroyed: the 3 BOs and the 2 ghosts of the suspend's pipelined VRAM → TT evictions.
    expect([r.stats.execs, r.stats.backoffs, r.stats.puts, r.stats.destroyed]).toEqual([6, 0, 3, 5]);
  });

  test('runScenario: small seeds 0..99 → 100 pass, 7485 deliveries (about 75 each, the whole life), 43947 statechart events', () => {
    let pass = 0;
    let steps = 0;
    let events = 0;
    for (let seed = 0n; seed < 100n; seed += 1n) {
      const r = runScenario(small, { seed, keepMirrorLog: true });
      if (r.outcome === 'pass') pass += 1;
      steps += r.steps;
      events += r.sim.mirror.log!.length;
    }
    expect([pass, steps, events]).toEqual([100, 7485, 43947]);
  });
});
