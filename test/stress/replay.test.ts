// Stress workloads in the deterministic mode (no threads): every mutation is found by some schedules of
// its scenario (exact counts over seeds), and a ticket log taken from any run replays, in one thread
// and as a token, to the same final state and the same failure signature as runScenario reports.

import { describe, expect, test } from 'vitest';
import { findMutation } from '../../src/explore/mutations.ts';
import { STRESS_MUTATIONS } from '../../src/explore/mutations_stress.ts';
import { runScenario } from '../../src/explore/run.ts';
import { replayLog, replayToken } from '../../src/explore/stress_replay.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';
import { stressScenario } from '../../src/sim/scenarios/stress.ts';
import { type StressConfig, stateHash } from '../../src/stress/layout.ts';
import { STRESS_DEFAULTS } from '../../src/stress/roles.ts';

/** The ticket log of a deterministic run: the thread of every task step, from its trace. */
function logOf(lines: readonly string[]): number[] {
  return lines
    .map((l) => JSON.parse(l) as { actor: string })
    .filter((l) => l.actor.startsWith('task:'))
    .map((l) => Number(l.actor.split(':')[2]));
}

const CASES: readonly {
  shape: keyof typeof STRESS_DEFAULTS;
  mutation: string | null;
  outcomes: Record<string, number>;
}[] = [
  { shape: 'pte', mutation: null, outcomes: { pass: 30 } },
  { shape: 'bind', mutation: null, outcomes: { pass: 30 } },
  { shape: 'signal', mutation: null, outcomes: { pass: 30 } },
  {
    shape: 'pte',
    mutation: 'stress-pte-check-then-store',
    outcomes: { 'pte.install-once | task:fault | exited | ': 25, pass: 5 },
  },
  {
    shape: 'bind',
    mutation: 'stress-ww-no-backoff',
    outcomes: {
      'liveness.stuck | task:bind | blocked | ': 26,
      'ww.wait-die | task:bind | exited | -EDEADLK': 3,
      pass: 1,
    },
  },
  {
    shape: 'signal',
    mutation: 'stress-restore-no-resume',
    outcomes: { 'content.lost | task:fault | exited | ': 30 },
  },
  {
    shape: 'signal',
    mutation: 'stress-wait-no-cleanup',
    outcomes: { 'resv.held-at-exit | task:wait | exited | ': 30 },
  },
];

describe('stress scenarios in the deterministic mode', () => {
  test('STRESS_MUTATIONS: every entry names a built-in stress scenario and is synthetic', () => {
    for (const m of STRESS_MUTATIONS) {
      expect(findScenario(m.scenario)?.name).toBe(m.scenario);
      expect([m.kind, m.commit]).toEqual(['synthetic', '']);
      expect(findMutation(m.name)).toBe(m);
    }
  });

  for (const c of CASES) {
    const cfg: StressConfig = STRESS_DEFAULTS[c.shape];
    const mutations = c.mutation === null ? [] : [c.mutation];
    test(`runScenario: stress-${c.shape}${c.mutation === null ? '' : ` + ${c.mutation}`}, seeds 0..29 → ${JSON.stringify(c.outcomes)}, each run's log replays to its state and signature`, () => {
      const sigs: Record<string, number> = {};
      for (let seed = 0n; seed < 30n; seed++) {
        const r = runScenario(stressScenario(cfg), { seed, mutations, keepTrace: true });
        const log = logOf(r.trace ?? []);
        const local = replayLog(cfg, mutations, log);
        expect(local.misfits).toBe(0);
        expect(local.signature).toBe(r.signature);
        expect(stateHash(local.state)).toBe(r.stats.stateHash);
        const tok = replayToken(cfg, mutations, log, seed);
        expect([tok.misses, tok.guided.signature, tok.again.signature]).toEqual([
          0,
          r.signature,
          r.signature,
        ]);
        expect(tok.again.stats.stateHash).toBe(r.stats.stateHash);
        const k = r.signature ?? 'pass';
        sigs[k] = (sigs[k] ?? 0) + 1;
      }
      expect(sigs).toEqual(c.outcomes);
    });
  }
});

describe('stress deadlock detection', () => {
  test('runSegment: stress-bind + stress-ww-no-backoff, seed 0 → every bind thread parks, liveness.stuck names the first, the Wait-Die breach is recorded too', () => {
    const cfg = STRESS_DEFAULTS.bind;
    const r = runScenario(stressScenario(cfg), {
      seed: 0n,
      mutations: ['stress-ww-no-backoff'],
      keepTrace: true,
    });
    expect(r.outcome).toBe('liveness');
    expect(r.failure?.id).toBe('liveness.stuck');
    const local = replayLog(cfg, ['stress-ww-no-backoff'], logOf(r.trace ?? []));
    expect(local.verdict.kind).toBe('liveness');
    expect(local.verdict.message).toMatch(
      /^deadlock: \d thread\(s\) wait for a change no live thread can make: task:bind:/,
    );
    expect(r.stats.backoffs).toBe(0);
  });
});
