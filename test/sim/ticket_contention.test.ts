// The ticket-contention scenario (src/sim/scenarios/ticket_contention.ts): a ticketed validate that needs
// the VRAM of three BOs other submitters hold reserved, so ttm_bo_evict_alloc's ticketed walks sleep on
// their locks and repeat while they evict. Its config, a pinned run, and 40 seeds that pass.

import { describe, expect, test } from 'vitest';
import { runScenario } from '../../src/explore/run.ts';
import { raceProblems } from '../../src/sim/scenarios/race.ts';
import { TICKET_CONTENTION_CONFIG, ticketContention } from '../../src/sim/scenarios/ticket_contention.ts';

const scenario = ticketContention();

describe('ticket-contention scenario', () => {
  test('config: one device whose 48 KiB of VRAM three held BOs fill, and a 48 KiB BO that prefers VRAM', () => {
    expect(raceProblems(TICKET_CONTENTION_CONFIG)).toEqual([]);
    expect(scenario.name).toBe('ticket-contention');
    expect(scenario.summary).toBe('1 device(s), 4 BOs, racing tasks: 4 exec');
    expect(TICKET_CONTENTION_CONFIG.devices[0]!.vramKiB).toBe(48);
    expect(TICKET_CONTENTION_CONFIG.bos.map((b) => `${b.name}:${b.kib}:${b.placement}`)).toEqual([
      'a:16:vram',
      'b:16:vram',
      'c:16:vram',
      'd:48:vram-or-tt',
    ]);
    expect(TICKET_CONTENTION_CONFIG.tasks.map((t) => `${t.kind}:${t.name}`)).toEqual([
      'exec:h1',
      'exec:h2',
      'exec:h3',
      'exec:big',
    ]);
  });

  test('seed 0: passes with its whole life, 12 evictions, 4 validates refused', () => {
    const r = runScenario(scenario, { seed: 0n });
    expect([r.outcome, r.steps]).toEqual(['pass', 181]);
    expect([r.stats.execs, r.stats.execFailures, r.stats.evictions, r.stats.destroyed]).toEqual([
      14, 4, 12, 11,
    ]);
    expect([r.stats.lifeSuspends, r.stats.lifeResumes, r.stats.lifeTeardowns]).toEqual([1, 1, 1]);
  });

  test('seeds 0..39 pass: the ticketed walks break no rule', () => {
    const outcomes = new Map<string, number>();
    for (let seed = 0n; seed < 40n; seed += 1n) {
      const o = runScenario(scenario, { seed }).outcome;
      outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
    }
    expect([...outcomes]).toEqual([['pass', 40]]);
  });
});
