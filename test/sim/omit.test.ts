// Leaving workload actors out of a run (what shrinking drops): an omitted task never runs, a signal to
// it is never sent, and the token carries the omission so the run replays.

import { describe, expect, it } from 'vitest';
import { decodeToken } from '../../src/engine/token.ts';
import { runScenario } from '../../src/explore/run.ts';
import { SCENARIOS } from '../../src/sim/scenarios/index.ts';

const abba = SCENARIOS.find((s) => s.name === 'abba-deadlock')!;

describe('Sim omit', () => {
  it('abba-deadlock without task:ba: no deadlock, task:ba never in the trace, the token replays it', () => {
    const full = runScenario(abba, { seed: 0n });
    expect(full.failure?.id).toBe('liveness.deadlock');
    expect(full.sim.omittable).toEqual(['task:ab', 'task:ba']);
    const r = runScenario(abba, { seed: 0n, omit: ['task:ba'], keepTrace: true });
    expect(r.outcome).toBe('pass');
    expect(r.trace!.some((l) => l.includes('task:ba'))).toBe(false);
    expect(r.sim.allTasks().map((t) => t.id)).toEqual(['task:ab']);
    const d = decodeToken(r.token);
    expect(d.ok && d.token.omit).toEqual(['task:ba']);
    const again = runScenario(abba, { seed: 0n, omit: ['task:ba'] });
    expect(again.traceSha256).toBe(r.traceSha256);
    expect(again.steps).toBe(r.steps);
  });

  it('leaving out both tasks leaves a run of setup only', () => {
    const r = runScenario(abba, { seed: 0n, omit: ['task:ab', 'task:ba'] });
    expect(r.outcome).toBe('pass');
    expect(r.sim.allTasks()).toEqual([]);
  });
});
