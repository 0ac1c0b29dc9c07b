// Piscina worker: runs a batch of seeds of one built-in scenario and returns each run's trace SHA-256.
// A thin wrapper over runScenario so tests can call the same code on the main thread.
// Loaded through tsx's require hook when running from source: default export, no top-level await.

import { runScenario } from '../src/explore/run.ts';
import { findScenario } from '../src/sim/scenarios/index.ts';

export interface RunBatch {
  readonly scenario: string;
  /** Decimal seeds (bigints do not cross the thread boundary as such). */
  readonly seeds: readonly string[];
}

export interface RunDigest {
  readonly seed: string;
  readonly token: string;
  readonly steps: number;
  readonly outcome: string;
  readonly traceSha256: string;
}

export function runBatch(batch: RunBatch): RunDigest[] {
  const scenario = findScenario(batch.scenario);
  if (scenario === undefined) throw new Error(`unknown scenario ${batch.scenario}`);
  return batch.seeds.map((seed) => {
    const r = runScenario(scenario, { seed: BigInt(seed) });
    return { seed, token: r.token, steps: r.steps, outcome: r.outcome, traceSha256: r.traceSha256 };
  });
}

export default runBatch;
