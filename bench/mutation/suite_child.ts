// One run of the default suite against the tree at --root (a copy of the repository with at most one
// kernel file mutated), in its own process: what bench/mutation.ts starts per mutant. Everything the suite
// runs is imported from --root, so the mutant is what runs. It stops at the first failing schedule.
//
// The suite: `runSuite` of <root>/src/explore/suite.ts when the tree has it (the schedule budget split
// across every scenario expected to pass, base seed --seed, no shrinking), aborted at its first failure;
// otherwise every scenario the
// tree's scenario index expects to pass (`suiteScenarios()`, or every scenario but the two that fail by
// design, abba-deadlock and shared-iommu-retry, in a tree without it), each a campaign of the default
// portfolio with the default 'mixed' faults, no shrinking, base seed --seed, and an equal share of the
// schedule budget.
//
// Prints one JSON line: { ok, suite, schedules, scenarios, failure: { scenario, kind, id, message } | null }.
// Exit code 0 when every schedule passed, 1 when one failed; anything else (a crash of the process) is
// the parent's to judge.
//
// Usage: tsx bench/mutation/suite_child.ts --root DIR --budget N --seed S

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type * as CampaignModule from '../../src/explore/campaign.ts';
import type { Scenario } from '../../src/sim/scenario.ts';
import type * as ScenariosModule from '../../src/sim/scenarios/index.ts';

/** Scenarios that fail on the unmutated model by design (README), for a tree that does not mark them. */
export const FAILING_BY_DESIGN = ['abba-deadlock', 'shared-iommu-retry'] as const;

export interface SuiteFailure {
  readonly scenario: string;
  readonly kind: string;
  readonly id: string;
  readonly message: string;
}

export interface SuiteOutcome {
  readonly ok: boolean;
  /** Which suite ran: the tree's `runSuite`, or campaigns driven here. */
  readonly suite: 'runSuite' | 'campaigns';
  readonly schedules: number;
  readonly scenarios: number;
  readonly failure: SuiteFailure | null;
}

async function load<T>(root: string, path: string): Promise<T> {
  return (await import(pathToFileURL(join(root, path)).href)) as T;
}

/** The scenarios of the default suite as the tree at `root` defines them. */
export function suiteOf(mod: typeof ScenariosModule): readonly Scenario[] {
  const m = mod as typeof ScenariosModule & { suiteScenarios?: () => readonly Scenario[] };
  if (typeof m.suiteScenarios === 'function') return m.suiteScenarios();
  return mod.SCENARIOS.filter((s) => !(FAILING_BY_DESIGN as readonly string[]).includes(s.name));
}

/**
 * What this runner uses of src/explore/suite.ts, stated here so that it also type-checks against a tree
 * without it.
 */
interface SuiteModule {
  runSuite(opts: {
    schedules: number;
    baseSeed: bigint;
    shrink: boolean;
    signal: AbortSignal;
    progressMs: number;
    onFailure: (scenario: string, f: { kind: string; id: string; message: string }) => void;
  }): Promise<{
    exitCode: number;
    report: {
      ran: number;
      campaigns: readonly {
        scenario: string;
        outcome: string;
        state: { failures: readonly { id: string; message: string }[] } | null;
      }[];
    };
  }>;
}

/** The suite through `runSuite` of the tree's src/explore/suite.ts, stopped at its first failure. */
async function viaRunSuite(mod: SuiteModule, budget: number, seed: bigint): Promise<SuiteOutcome> {
  const stop = new AbortController();
  let failure: SuiteFailure | null = null;
  const r = await mod.runSuite({
    schedules: budget,
    baseSeed: seed,
    shrink: false,
    signal: stop.signal,
    progressMs: 60_000,
    onFailure: (scenario, f) => {
      failure ??= { scenario, kind: f.kind, id: f.id, message: f.message.slice(0, 300) };
      stop.abort();
    },
  });
  const worst = r.report.campaigns.find((c) => c.outcome !== 'pass');
  if (failure === null && worst !== undefined) {
    const f = worst.state?.failures[0];
    failure = {
      scenario: worst.scenario,
      kind: worst.outcome,
      id: f?.id ?? worst.outcome,
      message: (f?.message ?? '').slice(0, 300),
    };
  }
  return {
    ok: failure === null && r.exitCode === 0,
    suite: 'runSuite',
    schedules: r.report.ran,
    scenarios: r.report.campaigns.length,
    failure,
  };
}

export async function runSuiteIn(root: string, budget: number, seed: bigint): Promise<SuiteOutcome> {
  const heap = await load<{ tuneHeap: () => void }>(root, 'src/engine/heap_tuning.ts');
  heap.tuneHeap();
  if (existsSync(join(root, 'src/explore/suite.ts'))) {
    const mod = await load<SuiteModule>(root, 'src/explore/suite.ts');
    if (typeof mod.runSuite === 'function') return viaRunSuite(mod, budget, seed);
  }
  const scenarios = suiteOf(await load<typeof ScenariosModule>(root, 'src/sim/scenarios/index.ts'));
  const c = await load<typeof CampaignModule>(root, 'src/explore/campaign.ts');
  const per = Math.max(1, Math.ceil(budget / scenarios.length));
  let schedules = 0;
  for (const scenario of scenarios) {
    const opts: CampaignModule.CampaignOptions = { scenario, baseSeed: seed, schedules: per, shrink: false };
    const calibration = c.calibrate(scenario, seed, []);
    const state = c.newState(opts, calibration);
    const maxSteps = c.campaignMaxSteps(opts, calibration);
    const arms = c.portfolio();
    for (let i = 0; i < per; i++) {
      const r = c.runOne(opts, state, arms, maxSteps, () => 0);
      schedules += 1;
      const f = r.result.failure;
      if (f !== null) {
        return {
          ok: false,
          suite: 'campaigns',
          schedules,
          scenarios: scenarios.length,
          failure: { scenario: scenario.name, kind: f.kind, id: f.id, message: f.message.slice(0, 300) },
        };
      }
    }
  }
  return { ok: true, suite: 'campaigns', schedules, scenarios: scenarios.length, failure: null };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { root: { type: 'string' }, budget: { type: 'string' }, seed: { type: 'string' } },
  });
  const root = values.root;
  if (root === undefined || !existsSync(join(root, 'src'))) {
    process.stderr.write('suite_child: --root must name a copy of the repository\n');
    process.exit(2);
  }
  const out = await runSuiteIn(root, Number(values.budget ?? 340), BigInt(values.seed ?? 1));
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exitCode = out.ok ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
