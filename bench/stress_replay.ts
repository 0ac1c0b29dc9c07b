// Stress-to-replay rate: for each stress mutation, run its scenario on real threads R times, and for
// every failing run replay its ticket log as a token in the deterministic mode; print, per mutation, the
// failing runs, how many replayed with the same signature (the target is ≥ 95 %) and with the same
// final state, and the interleaving (owner switches per segment). Usage:
//   npm run bench:stress [-- --runs R]       (default 20 runs per mutation)

import { parseArgs } from 'node:util';
import { tuneHeap } from '../src/engine/heap_tuning.ts';
import { STRESS_MUTATIONS } from '../src/explore/mutations_stress.ts';
import { checkReplay, stressRun } from '../src/explore/stress_driver.ts';
import { findScenario } from '../src/sim/scenarios/index.ts';
import type { StressConfig } from '../src/stress/layout.ts';
import { createPool } from '../workers/pool.ts';

// The settings the ttm-sim command runs with (src/engine/heap_tuning.ts).
tuneHeap();

const { values } = parseArgs({ options: { runs: { type: 'string' } } });
const runs = Number(values.runs ?? '20');
const pool = createPool('stress.worker.ts', 8);
const pad = (s: string | number, n: number): string => String(s).padStart(n);
const rows: string[] = [];
let failedTotal = 0;
let replayedTotal = 0;
const started = Date.now();
try {
  for (const m of STRESS_MUTATIONS) {
    const cfg = findScenario(m.scenario)!.config as unknown as StressConfig;
    let failing = 0;
    let replayed = 0;
    let sameState = 0;
    let segments = 0;
    let switches = 0;
    for (let i = 0; i < runs; i++) {
      const run = await stressRun(pool, cfg, { seed: BigInt(i + 1), mutations: [m.name] });
      segments += run.log.length;
      switches += run.switches;
      if (run.signature === null || run.verdict.kind === 'crash') continue;
      failing += 1;
      const c = checkReplay(cfg, [m.name], run);
      if (c.sameSignature) replayed += 1;
      if (c.sameState) sameState += 1;
    }
    failedTotal += failing;
    replayedTotal += replayed;
    const rate = failing === 0 ? '—' : `${((100 * replayed) / failing).toFixed(0)} %`;
    rows.push(
      `${m.name.padEnd(30)}${m.scenario.padEnd(15)}${pad(`${failing}/${runs}`, 9)}${pad(replayed, 10)}${pad(sameState, 11)}${pad(rate, 8)}${pad((switches / Math.max(segments, 1)).toFixed(2), 12)}`,
    );
  }
} finally {
  await pool.destroy();
}
process.stdout.write(
  `${'mutation'.padEnd(30)}${'scenario'.padEnd(15)}${pad('failing', 9)}${pad('replayed', 10)}${pad('same state', 11)}${pad('rate', 8)}${pad('switch/seg', 12)}\n`,
);
for (const r of rows) process.stdout.write(`${r}\n`);
const total = failedTotal === 0 ? '—' : `${((100 * replayedTotal) / failedTotal).toFixed(1)} %`;
process.stdout.write(
  `all: ${replayedTotal}/${failedTotal} failing stress runs replayed with the same signature (${total}; target ≥ 95 %), ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
);
