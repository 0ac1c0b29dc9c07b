// Piscina worker: one piece of a bounded-exhaustive search (src/explore/verify_parallel.ts): at most
// `maxRuns` schedules of the order of `stack` at one level, run by exploreChunk on this thread. The
// scenario is resolved here from what `--scenario` said (a built-in name or a scenario file's path),
// once per worker and search. Default export, no top-level await: loaded through tsx's require hook when
// running from source.

import { scenarioHash } from '../src/engine/token.ts';
import { type ScenarioExecution, scenarioProgram } from '../src/explore/verify.ts';
import { sleepSetReduction } from '../src/explore/verify_por.ts';
import {
  type Bounds,
  type ChunkResult,
  exploreChunk,
  type Program,
  type WorkItem,
} from '../src/explore/verify_search.ts';
import { resolveScenario } from '../src/sim/scenario_file.ts';

export interface VerifyPiece {
  /** What `--scenario` said: a built-in name or a scenario file's (absolute) path. */
  readonly scenario: string;
  /** Its configuration hash, checked against what this thread resolved. */
  readonly scenarioHash: string;
  readonly seed: string;
  readonly mutations: readonly string[];
  readonly bounds: Bounds;
  readonly level: number;
  readonly stack: readonly WorkItem[];
  readonly maxRuns: number;
  /** The sleep-set reduction (src/explore/verify_por.ts) on. */
  readonly reduce: boolean;
}

let cached: { readonly key: string; readonly program: Program<ScenarioExecution> } | null = null;

function programOf(p: VerifyPiece): Program<ScenarioExecution> {
  const key = JSON.stringify([p.scenario, p.scenarioHash, p.seed, p.mutations, p.bounds.faults]);
  if (cached?.key === key) return cached.program;
  const r = resolveScenario(p.scenario);
  if (!r.ok) throw new Error(`verify worker: ${r.reason}`);
  const hash = scenarioHash(r.scenario.config);
  if (hash !== p.scenarioHash)
    throw new Error(
      `verify worker: ${p.scenario} has hash ${hash} here, ${p.scenarioHash} on the main thread`,
    );
  const program = scenarioProgram({
    scenario: r.scenario,
    seed: BigInt(p.seed),
    mutations: p.mutations,
    faults: p.bounds.faults,
  });
  cached = { key, program };
  return program;
}

export function runPiece(p: VerifyPiece): ChunkResult<ScenarioExecution> {
  return exploreChunk(
    programOf(p),
    p.bounds,
    p.level,
    p.stack,
    p.maxRuns,
    p.reduce ? sleepSetReduction : undefined,
  );
}

export default runPiece;
