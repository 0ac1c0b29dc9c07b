// The bulk-ticket scenario (src/sim/scenarios/bulk_ticket.ts): a rival's ticketed eviction walk sleeps
// on a VM's reservation inside the VM's bulk-move range while the VM unbinds and rebinds the range's last
// BO. Its config, a pinned run, and 40 seeds that pass.

import { describe, expect, test } from 'vitest';
import { runScenario } from '../../src/explore/run.ts';
import { BULK_TICKET_DEFAULTS, bulkTicket } from '../../src/sim/scenarios/bulk_ticket.ts';

const scenario = bulkTicket();

describe('bulk-ticket scenario', () => {
  test('config: two 6-page per-VM BOs fill 12 pages of VRAM; 4 frames, 4 ticketed rival submissions', () => {
    expect(scenario.name).toBe('bulk-ticket');
    expect(BULK_TICKET_DEFAULTS).toEqual({
      vramPages: 12,
      ttPages: 64,
      boPages: 6,
      frames: 4,
      rivalSubmits: 4,
      holdMs: 3,
      vmGapMs: 1,
      rivalGapMs: 2,
    });
    expect(scenario.sometimes?.map((g) => g.id)).toEqual(['rivalInVram']);
  });

  test('seed 0: passes with its whole life; every frame rebinds, the rival gets VRAM once', () => {
    const r = runScenario(scenario, { seed: 0n });
    expect([r.outcome, r.steps]).toEqual(['pass', 122]);
    expect(r.stats).toMatchObject({
      frames: 4,
      rebinds: 4,
      rivalSubmits: 4,
      rivalInVram: 1,
      validateFailures: 0,
    });
  });

  test('seeds 0..39 pass: 160 frames, 40 rival submissions into VRAM', () => {
    let pass = 0;
    let inVram = 0;
    for (let seed = 0n; seed < 40n; seed += 1n) {
      const r = runScenario(scenario, { seed });
      if (r.outcome === 'pass') pass += 1;
      inVram += r.stats.rivalInVram ?? 0;
    }
    expect([pass, inVram]).toEqual([40, 40]);
  });
});
