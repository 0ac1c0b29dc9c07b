// Piscina worker: one bug hunt of the bug-finding benchmark. Runs a campaign of one scenario with the
// given mutations and arms until its first failure (or the cap), then optionally shrinks that failure.
// Default export, no top-level await: loaded through tsx's require hook when running from source.

import { parseStrategy } from '../src/engine/strategy.ts';
import type { Arm, CampaignOptions } from '../src/explore/campaign.ts';
import { portfolio } from '../src/explore/campaign.ts';
import { fuzz, prepareCampaign } from '../src/explore/fuzz.ts';
import { findScenario } from '../src/sim/scenarios/index.ts';

export interface Hunt {
  readonly scenario: string;
  readonly mutations: readonly string[];
  /** 'portfolio', 'cover', or a strategy's command-line form (random, pct:2, pos). */
  readonly arm: string;
  /** Decimal base seed. */
  readonly baseSeed: string;
  /** Most schedules to run. */
  readonly cap: number;
  readonly shrink: boolean;
}

export interface HuntResult {
  /** Schedules run up to and including the first failing one; null when none failed within the cap. */
  readonly schedules: number | null;
  readonly signature: string | null;
  /** The failure's check id (compared with the mutation's `detectedBy`). */
  readonly id: string | null;
  readonly token: string | null;
  readonly shrunk: {
    readonly ms: number;
    readonly preemptions: number;
    readonly steps: number;
    readonly token: string;
  } | null;
  readonly ms: number;
}

function armsOf(arm: string): Pick<CampaignOptions, 'arms' | 'strategy'> {
  if (arm === 'portfolio') return { arms: portfolio() };
  if (arm === 'cover') return { arms: [{ kind: 'cover' } as Arm] };
  const parsed = parseStrategy(arm);
  if (!parsed.ok) throw new Error(`hunt: bad arm '${arm}': ${parsed.reason}`);
  if (parsed.spec.name !== 'pct') return { strategy: parsed.spec };
  // pct:D: let the calibration choose k, as the portfolio does.
  return {
    arms: [{ kind: 'strategy', spec: { name: 'pct', params: { depth: parsed.spec.params!.depth, k: 1 } } }],
  };
}

export async function hunt(h: Hunt): Promise<HuntResult> {
  const scenario = findScenario(h.scenario);
  if (scenario === undefined) throw new Error(`hunt: unknown scenario ${h.scenario}`);
  const t0 = Date.now();
  const opts: CampaignOptions = {
    scenario,
    baseSeed: BigInt(h.baseSeed),
    schedules: h.cap,
    mutations: h.mutations,
    faults: 'mixed',
    shrink: h.shrink,
    stopAfterFailures: 1,
    ...armsOf(h.arm),
  };
  const p = prepareCampaign(opts, undefined);
  if (!p.ok) throw new Error(p.reason);
  const r = await fuzz(opts, p);
  const f = r.state.failures[0];
  return {
    schedules: f === undefined ? null : f.schedule + 1,
    signature: f?.signature ?? null,
    id: f?.id ?? null,
    token: f?.token ?? null,
    shrunk:
      f?.shrunk == null
        ? null
        : {
            ms: f.shrunk.ms,
            preemptions: f.shrunk.preemptions,
            steps: f.shrunk.steps,
            token: f.shrunk.token,
          },
    ms: Date.now() - t0,
  };
}

export default hunt;
