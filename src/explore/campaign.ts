// Campaigns: many schedules of one scenario, searching for a failure (DESIGN.md §3).
// Schedule i of a campaign with base seed B is a pure function of (B, i, the options and the schedules
// before it), never of wall-clock time, so a campaign cut short and resumed from its corpus makes the
// same runs as one that was not. The default strategy is a portfolio: schedule i takes arm i mod 6 of
// random, pct:1, pct:2, pct:3, pos and coverage-guided mutation of tapes; with faults 'mixed' (the
// default) the schedules of a round of six cycle through no faults, uniform faults, no faults, two-stage
// faults, shifted by one each round (faultModeOf), and uniform faults aim first at the sites the campaign
// has not fired yet (drawCampaignTargets).
// Coverage is the set of (machine, state, event) triples and cross-actor transition pairs; a run that
// adds to it goes into the corpus the coverage-guided arm mutates (a prefix of its tape kept and the
// rest drawn at random, or a few of its choices changed).
// A campaign can also be cut into slices (options.shard, src/explore/shard.ts): slice K of N runs the
// schedules K, K+N, K+2N, … with their seeds, but takes arms and fault rounds by its own count j, so
// each slice runs the whole portfolio; slice 0 of 1 is the campaign itself.

import { Rng } from '../engine/prng.ts';
import type { Chooser, StrategySpec } from '../engine/strategy.ts';
import { formatStrategy } from '../engine/strategy.ts';
import { scenarioHash } from '../engine/token.ts';
import type { Failure } from '../engine/types.ts';
import { FAULT_SITES, type FaultSite } from '../kernel/faults.ts';
import type { Scenario } from '../sim/scenario.ts';
import { Coverage } from './coverage.ts';
import {
  countSites,
  drawTargetedUniform,
  drawUniform,
  type FaultPlan,
  type SiteCounts,
  targetSites,
} from './faults.ts';
import { explainFailure } from './known_findings.ts';
import { exactReplayOptions, type RunOptions, type RunResult, runScenario } from './run.ts';
import { type ShrinkResult, shrink } from './shrink.ts';

export const CAMPAIGN_FAULTS = ['off', 'uniform', 'buggify', 'mixed'] as const;
export type CampaignFaults = (typeof CAMPAIGN_FAULTS)[number];

/** One arm of the portfolio: a scheduling strategy or coverage-guided mutation. */
export type Arm = { readonly kind: 'strategy'; readonly spec: StrategySpec } | { readonly kind: 'cover' };

export function armName(arm: Arm): string {
  return arm.kind === 'cover' ? 'cover' : formatStrategy(arm.spec.name, arm.spec.params);
}

/** Schedules of the calibration pass that measures k (choices), n (actors), steps and fault sites. */
export const CALIBRATION_RUNS = 8;

export interface Calibration {
  /** Most real choices of a calibration run: PCT's k. */
  readonly k: number;
  /** Most actors of a calibration run: PCT's n. */
  readonly n: number;
  /** Most steps of a calibration run. */
  readonly steps: number;
  /** Mean steps of a calibration run (rounded up): the window uniform faults are placed in. */
  readonly meanSteps: number;
  /** Mean fault-site evaluations per run (rounded up): the window two-stage faults fire in. */
  readonly faultSites: number;
  /** The fault sites the calibration runs evaluated (FAULT_SITES order): what uniform faults target. */
  readonly sites: readonly FaultSite[];
  /**
   * Per site evaluated, the latest step of an evaluation in any calibration run: a fault aimed at the
   * site is armed no later (absent in a corpus written before it was recorded).
   */
  readonly siteSteps?: Readonly<Partial<Record<FaultSite, number>>>;
}

export interface CampaignOptions {
  readonly scenario: Scenario;
  /** Seed of schedule 0; schedule i uses base + i. */
  readonly baseSeed: bigint;
  /** Schedules to run in all (including those of a resumed campaign). */
  readonly schedules: number;
  /** Stop after this much wall-clock time (ms), whatever `schedules` says; none when absent. */
  readonly timeBudgetMs?: number;
  /** One strategy for every schedule; the arms (or the portfolio) when absent. */
  readonly strategy?: StrategySpec;
  /** The arms schedules take in turn when no single strategy is given; the portfolio when absent. */
  readonly arms?: readonly Arm[];
  readonly mutations?: readonly string[];
  /** Design specs every schedule runs under (src/designs). */
  readonly designs?: readonly string[];
  readonly faults?: CampaignFaults;
  /** Shrink each new failure (default true) within this many ms each. */
  readonly shrink?: boolean;
  readonly shrinkBudgetMs?: number;
  /** Stop once this many distinct failures were found; never when absent. */
  readonly stopAfterFailures?: number;
  /** Steps a run may take before it counts as a livelock (default: from calibration). */
  readonly maxSteps?: number;
  /** Run only one slice of the campaign (src/explore/shard.ts); the whole campaign when absent. */
  readonly shard?: ShardSlice;
}

/**
 * Slice `index` of a campaign cut into `count`: its j-th schedule is schedule index + j·count of the
 * campaign (seed base + index + j·count), and takes the arm and fault round of j, so every slice runs
 * the whole portfolio in turn whatever the count. Slice 0 of 1 is the whole campaign.
 */
export interface ShardSlice {
  readonly index: number;
  readonly count: number;
}

/** The campaign-wide index of a campaign's (or its slice's) j-th schedule. */
export function scheduleIndex(opts: Pick<CampaignOptions, 'shard'>, j: number): number {
  return opts.shard === undefined ? j : opts.shard.index + j * opts.shard.count;
}

/** How many of the campaign's `schedules` fall in its slice (all of them without one). */
export function sliceSchedules(opts: Pick<CampaignOptions, 'shard' | 'schedules'>): number {
  const s = opts.shard;
  if (s === undefined || !Number.isFinite(opts.schedules)) return opts.schedules;
  return opts.schedules > s.index ? Math.floor((opts.schedules - s.index - 1) / s.count) + 1 : 0;
}

/** A distinct failure of a campaign (first schedule with its signature). */
export interface FoundFailure {
  readonly signature: string;
  readonly kind: Failure['kind'];
  readonly id: string;
  readonly message: string;
  readonly actor: string | null;
  /** Campaign-wide index of the first schedule that failed this way. */
  readonly schedule: number;
  readonly arm: string;
  readonly seed: string;
  readonly token: string;
  readonly steps: number;
  /** Schedules that failed this way. */
  count: number;
  /** The known kernel bug this is (src/explore/known_findings.ts), in CampaignState.knownBugs only. */
  readonly finding?: string;
  shrunk: {
    readonly token: string;
    readonly steps: number;
    readonly preemptions: number;
    readonly faults: number;
    readonly tries: number;
    readonly ms: number;
    readonly timedOut: boolean;
  } | null;
}

/** A `sometimes` goal: a rare situation the campaign should reach at least once. */
export interface GoalState {
  readonly id: string;
  readonly description: string;
  /** Schedules that reached it. */
  reached: number;
}

/** A coverage-guided corpus entry: a run that covered something new. */
export interface CorpusEntry {
  readonly seed: string;
  readonly tape: readonly number[];
  readonly faults: readonly number[];
}

/** Everything a campaign knows; what the corpus directory stores and resumes from. */
export interface CampaignState {
  /** Next schedule to run, counted within the slice (the campaign-wide index without one). */
  next: number;
  readonly calibration: Calibration;
  readonly armRuns: Record<string, number>;
  readonly armFailures: Record<string, number>;
  readonly failures: FoundFailure[];
  /**
   * Failures that are known kernel bugs the model keeps (their fix, replayed on the same schedule,
   * passes): reported apart, never counted as failures, never shrunk.
   */
  readonly knownBugs: FoundFailure[];
  readonly goals: GoalState[];
  readonly corpus: CorpusEntry[];
  readonly coverage: Coverage;
  /** Schedules in which a fault fired, and in which one fired in the last 5 % of the steps. */
  faultRuns: number;
  lateFaultRuns: number;
  /** Per fault site: schedules that evaluated it, and schedules in which it fired (by site name). */
  readonly faultSitesEvaluated: SiteCounts;
  readonly faultSitesFired: SiteCounts;
  steps: number;
}

export interface CampaignProgress {
  readonly done: number;
  readonly total: number;
  readonly failures: number;
  readonly triples: number;
  readonly pairs: number;
}

/** The goals every scenario has, besides those it declares. */
const FAULT_GOALS = [
  { id: 'fault.fired', description: 'an injected fault fired' },
  { id: 'fault.late', description: 'an injected fault fired in the last 5 % of a run' },
] as const;

/** Most corpus entries kept for coverage-guided mutation (oldest dropped first). */
const CORPUS_MAX = 4096;
/** Floor of the livelock step budget. */
const MIN_MAX_STEPS = 2_000;
/** Step budget of a calibration run: one that does not end within it is left out of the calibration. */
const CALIBRATION_MAX_STEPS = 50_000;

export function portfolio(): Arm[] {
  return [
    { kind: 'strategy', spec: { name: 'random' } },
    ...[1, 2, 3].map((depth): Arm => ({ kind: 'strategy', spec: { name: 'pct', params: { depth, k: 1 } } })),
    { kind: 'strategy', spec: { name: 'pos' } },
    { kind: 'cover' },
  ];
}

/** Measure k, n, steps and fault sites on a few unfaulted random schedules (seeds base+0..7, shifted). */
export function calibrate(
  scenario: Scenario,
  baseSeed: bigint,
  mutations: readonly string[],
  designs: readonly string[] = [],
  maxSteps?: number,
): Calibration {
  let k = 1;
  let n = 1;
  let steps = 0;
  let sites = 0;
  let total = 0;
  let ended = 0;
  const evaluated = new Set<FaultSite>();
  const lastStep: Partial<Record<FaultSite, number>> = {};
  const budget = Math.min(maxSteps ?? CALIBRATION_MAX_STEPS, CALIBRATION_MAX_STEPS);
  for (let i = 0; i < CALIBRATION_RUNS; i++) {
    const r = runScenario(scenario, {
      seed: (baseSeed + BigInt(i)) & 0xffff_ffff_ffff_ffffn,
      strategy: 'random',
      mutations,
      designs,
      oracles: false,
      faults: { kind: 'planned', at: [] },
      maxSteps: budget,
    });
    n = Math.max(n, r.sim.scheduler.actorCount);
    // A run that never ended (a livelock the mutation brings) says nothing about a run's length; counted,
    // it would make every later run of the campaign as long as the cap times twenty.
    if (r.steps >= budget) continue;
    ended += 1;
    k = Math.max(k, r.choices);
    steps = Math.max(steps, r.steps);
    total += r.steps;
    sites += r.faultEvaluations;
    for (const s of r.faultSitesEvaluated) {
      evaluated.add(s);
      lastStep[s] = Math.max(lastStep[s] ?? 0, r.faultSiteLastStep[s] ?? 0);
    }
  }
  if (ended === 0)
    return { k, n, steps: MIN_MAX_STEPS / 20, meanSteps: MIN_MAX_STEPS / 20, faultSites: 0, sites: [] };
  return {
    k,
    n,
    steps,
    meanSteps: Math.ceil(total / ended),
    faultSites: Math.ceil(sites / ended),
    sites: FAULT_SITES.filter((s) => evaluated.has(s)),
    siteSteps: Object.fromEntries(FAULT_SITES.filter((s) => evaluated.has(s)).map((s) => [s, lastStep[s]!])),
  };
}

export function newState(opts: CampaignOptions, calibration: Calibration): CampaignState {
  return {
    next: 0,
    calibration,
    armRuns: {},
    armFailures: {},
    failures: [],
    knownBugs: [],
    goals: [
      ...(opts.scenario.sometimes ?? []).map((g) => ({ id: g.id, description: g.description, reached: 0 })),
      // Fault goals only where faults can fire: faults on, and fault sites reached by the calibration.
      ...((opts.faults ?? 'mixed') === 'off' || calibration.faultSites === 0
        ? []
        : FAULT_GOALS.map((g) => ({ ...g, reached: 0 }))),
    ],
    corpus: [],
    coverage: new Coverage(),
    faultRuns: 0,
    lateFaultRuns: 0,
    faultSitesEvaluated: {},
    faultSitesFired: {},
    steps: 0,
  };
}

/**
 * A uniform plan over the calibrated run length, each fault aimed at one of the sites the calibration
 * or an earlier schedule of the campaign saw evaluated, those the campaign has not fired yet first, or
 * at none, and armed no later than its
 * site's last calibrated evaluation (src/explore/faults.ts drawTargetedUniform). A calibration read
 * from a corpus file written before sites were recorded has none: its faults stay untargeted.
 */
function uniformPlan(
  rng: Rng,
  calibration: Calibration,
  evaluated: Readonly<SiteCounts>,
  fired: Readonly<SiteCounts>,
): FaultPlan {
  const sites = targetSites(calibration.sites ?? [], evaluated);
  if (sites.length === 0) return { kind: 'steps', steps: drawUniform(rng, calibration.meanSteps) };
  return {
    kind: 'steps',
    ...drawTargetedUniform(rng, calibration.meanSteps, sites, fired, calibration.siteSteps ?? {}),
  };
}

/** The fault modes 'mixed' cycles through: half of the schedules run without faults. */
const MIXED_MODES = ['off', 'uniform', 'off', 'buggify'] as const;

/**
 * The fault mode of schedule i under the campaign's setting. Under 'mixed', arm a of round r (i = a +
 * r·arms) takes MIXED_MODES[(a + r) mod 4]: every round has faulted schedules (the first six of a
 * portfolio campaign: off, uniform, off, buggify, off, uniform), and over four rounds every arm runs
 * once in each mode.
 */
export function faultModeOf(setting: CampaignFaults, i: number, arms: number): 'off' | 'uniform' | 'buggify' {
  if (setting !== 'mixed') return setting;
  return MIXED_MODES[((i % arms) + Math.floor(i / arms)) % MIXED_MODES.length]!;
}

/** The coverage-guided arm's chooser: a corpus tape, mutated, then random choices. */
class TapeMutator implements Chooser {
  private choice = 0;
  constructor(
    private readonly tape: readonly number[],
    private readonly rng: Rng,
  ) {}
  register(): void {}
  posted(): void {}
  delivered(): void {}
  pick(enabled: readonly string[]): number {
    const c = this.tape[this.choice];
    return c !== undefined && c < enabled.length ? c : this.rng.below(enabled.length);
  }
  chosen(): void {
    this.choice += 1;
  }
  priorityOf(): number | undefined {
    return undefined;
  }
}

/** A mutated tape: a prefix of `tape` (the rest random), or `tape` with 1–3 choices changed. */
function mutateTape(tape: readonly number[], rng: Rng): number[] {
  if (tape.length === 0 || rng.below(2) === 0) return tape.slice(0, rng.below(tape.length + 1));
  const out = tape.slice();
  const changes = 1 + rng.below(3);
  for (let j = 0; j < changes; j++) {
    const at = rng.below(out.length);
    out[at] = rng.below(Math.max(2, out[at]! + 2));
  }
  return out;
}

/**
 * The run options of the campaign's (or its slice's) j-th schedule: the seed from its campaign-wide
 * index, the arm and the fault round from j.
 */
export function scheduleOptions(
  opts: CampaignOptions,
  state: CampaignState,
  j: number,
  arms: readonly Arm[],
  maxSteps: number,
): { arm: Arm; run: RunOptions; faultMode: string } {
  const seed = (opts.baseSeed + BigInt(scheduleIndex(opts, j))) & 0xffff_ffff_ffff_ffffn;
  const arm: Arm =
    opts.strategy !== undefined ? { kind: 'strategy', spec: opts.strategy } : arms[j % arms.length]!;
  const faultMode = faultModeOf(opts.faults ?? 'mixed', j, arms.length);
  const rng = Rng.fromSeed(seed).fork('campaign');
  const window = state.calibration.faultSites;
  const faults: FaultPlan =
    faultMode === 'uniform'
      ? uniformPlan(rng.fork('faults'), state.calibration, state.faultSitesEvaluated, state.faultSitesFired)
      : faultMode === 'buggify'
        ? { kind: 'buggify', rng: rng.fork('faults'), window }
        : { kind: 'planned', at: [] };
  const common = {
    mutations: opts.mutations ?? [],
    ...((opts.designs ?? []).length === 0 ? {} : { designs: opts.designs }),
    maxSteps,
    coverage: state.coverage,
    faults,
  };
  if (arm.kind === 'cover' && state.corpus.length > 0) {
    const entry = state.corpus[rng.below(state.corpus.length)]!;
    const tape = mutateTape(entry.tape, rng.fork('tape'));
    const keepFaults = faultMode === 'off' && entry.faults.length > 0 && rng.below(2) === 0;
    return {
      arm,
      faultMode: keepFaults ? 'corpus' : faultMode,
      run: {
        ...common,
        seed: BigInt(entry.seed),
        strategy: 'fifo',
        guide: new TapeMutator(tape, rng.fork('suffix')),
        ...(keepFaults ? { faults: { kind: 'planned', at: entry.faults } } : {}),
      },
    };
  }
  if (arm.kind === 'cover') return { arm, faultMode, run: { ...common, seed, strategy: 'random' } };
  const spec = arm.spec;
  const params =
    spec.name === 'pct' && spec.params !== undefined && opts.strategy === undefined
      ? {
          strategyParams: {
            depth: spec.params.depth,
            k: Math.max(state.calibration.k, spec.params.depth - 1, 1),
          },
        }
      : spec.params === undefined
        ? {}
        : { strategyParams: spec.params };
  return { arm, faultMode, run: { ...common, seed, strategy: spec.name, ...params } };
}

export interface StepReport {
  /** Campaign-wide schedule index. */
  readonly index: number;
  readonly result: RunResult;
  readonly arm: string;
  /** A failure with a new signature, when this schedule found one. */
  readonly newFailure: FoundFailure | null;
}

/** Run the campaign's (or slice's) schedule `state.next` and fold its result into the state. */
export function runOne(
  opts: CampaignOptions,
  state: CampaignState,
  arms: readonly Arm[],
  maxSteps: number,
  now: () => number,
): StepReport {
  const j = state.next;
  const i = scheduleIndex(opts, j);
  const { arm, run } = scheduleOptions(opts, state, j, arms, maxSteps);
  const result = runScenario(opts.scenario, run);
  const name = arm.kind === 'cover' ? 'cover' : formatStrategy(run.strategy ?? 'random', run.strategyParams);
  state.next = j + 1;
  state.steps += result.steps;
  state.armRuns[name] = (state.armRuns[name] ?? 0) + 1;
  if (state.coverage.fresh > 0) {
    state.corpus.push({
      seed: result.seed,
      tape: result.sim.scheduler.tape.slice(),
      faults: result.faultsFired.map((f) => f.at),
    });
    if (state.corpus.length > CORPUS_MAX) state.corpus.shift();
  }
  for (const g of state.goals) if (goalReached(g.id, result)) g.reached += 1;
  if (result.faultsFired.length > 0) {
    state.faultRuns += 1;
    if (result.faultsFired.some((f) => f.step >= result.steps * 0.95)) state.lateFaultRuns += 1;
  }
  countSites(state.faultSitesEvaluated, result.faultSitesEvaluated);
  countSites(
    state.faultSitesFired,
    result.faultsFired.map((f) => f.site),
  );
  let newFailure: FoundFailure | null = null;
  const knownBug =
    result.signature === null ? undefined : state.knownBugs.find((f) => f.signature === result.signature);
  if (knownBug !== undefined) knownBug.count += 1;
  else if (result.failure !== null && result.signature !== null) {
    const known = state.failures.find((f) => f.signature === result.signature);
    const finding = known === undefined ? explainFailure(opts.scenario, run, result) : null;
    if (finding === null) state.armFailures[name] = (state.armFailures[name] ?? 0) + 1;
    if (known !== undefined) known.count += 1;
    else {
      const first: FoundFailure = {
        signature: result.signature,
        kind: result.failure.kind,
        id: result.failure.id,
        message: result.failure.message,
        actor: result.failure.actor ?? null,
        schedule: i,
        arm: name,
        seed: result.seed,
        token: result.token,
        steps: result.steps,
        count: 1,
        shrunk: null,
        ...(finding === null ? {} : { finding: finding.id }),
      };
      if (finding !== null) state.knownBugs.push(first);
      else {
        newFailure = first;
        if (opts.shrink ?? true) newFailure.shrunk = shrunkOf(opts, run, result, now);
        state.failures.push(newFailure);
      }
    }
  }
  return { index: i, result, arm: name, newFailure };
}

function goalReached(id: string, r: RunResult): boolean {
  if (id === 'fault.fired') return r.faultsFired.length > 0;
  if (id === 'fault.late') return r.faultsFired.some((f) => f.step >= r.steps * 0.95);
  const stat = r.stats[id];
  return stat !== undefined && stat > 0;
}

function shrunkOf(
  opts: CampaignOptions,
  run: RunOptions,
  result: RunResult,
  now: () => number,
): FoundFailure['shrunk'] {
  const t0 = now();
  // Replay the failing schedule exactly: its recorded tape and the faults that fired.
  const s: ShrinkResult = shrink(
    {
      scenario: opts.scenario,
      options: exactReplayOptions(run, result.sim.scheduler.tape, result.faultsFired),
      signature: result.signature!,
    },
    opts.shrinkBudgetMs ?? 10_000,
    now,
  );
  if (s.signature === null) return null;
  return {
    token: s.token,
    steps: s.steps,
    preemptions: s.preemptions,
    faults: s.faults,
    tries: s.tries,
    ms: now() - t0,
    timedOut: s.timedOut,
  };
}

/** The campaign's step budget per run: generous against the calibration, at least MIN_MAX_STEPS. */
export function campaignMaxSteps(opts: Pick<CampaignOptions, 'maxSteps'>, c: Calibration): number {
  return opts.maxSteps ?? Math.max(MIN_MAX_STEPS, 20 * c.steps);
}

/** Per depth d = 1..3: the PCT bound on missing a depth-d bug after the pct:d schedules run. */
export function pctMissBounds(
  state: CampaignState,
): { d: number; n: number; k: number; schedules: number; miss: number }[] {
  const { n, k } = state.calibration;
  return [1, 2, 3].map((d) => {
    const schedules = Object.entries(state.armRuns)
      .filter(([name]) => name === `pct:${d}:${k}` || name.startsWith(`pct:${d}:`))
      .reduce((a, [, v]) => a + v, 0);
    const p = 1 / (n * k ** (d - 1));
    return { d, n, k, schedules, miss: (1 - p) ** schedules };
  });
}

export function scenarioId(s: Scenario): string {
  return scenarioHash(s.config);
}
