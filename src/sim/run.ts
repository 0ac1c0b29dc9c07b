// One run of a scenario: build it in a fresh Sim from (seed, strategy, tape), run to quiescence, judge
// the outcome, and package the result with its token and the SHA-256 of its trace.

import { Rng } from '../engine/prng.ts';
import type { Chooser } from '../engine/strategy.ts';
import { encodeToken, type StrategyName, type StrategyParams, scenarioHash } from '../engine/token.ts';
import type { Failure, Outcome } from '../engine/types.ts';
import type { CounterTotals } from '../kernel/counters.ts';
import type { TtmGlobal } from '../kernel/device.ts';
import type { FaultSite } from '../kernel/faults.ts';
import type { Iommu } from '../kernel/iommu.ts';
import type { RuleBreach } from '../kernel/rules/check.ts';
import { SoftLockup } from '../kernel/rules/soft_lockup.ts';
import { DriverLoadRefused } from '../kernel/simdrv.ts';
import { FaultInjector, type FaultPlan, type FiredFault, lastStepsOf, sitesCounted } from './fault_plan.ts';
import type { TransitionCounter } from './mirror.ts';
import type { Scenario } from './scenario.ts';
import { Sim } from './sim.ts';
import type { TaskActor } from './task.ts';

export interface RunOptions {
  readonly seed: bigint;
  readonly strategy?: StrategyName;
  /** The strategy's parameters: required for 'pct' (depth, k), absent for the others. */
  readonly strategyParams?: StrategyParams;
  readonly tape?: readonly number[];
  readonly keepTrace?: boolean;
  readonly maxSteps?: number;
  readonly keepMirrorLog?: boolean;
  /** Real XState actors for every statechart instead of the derived tables (see SimOptions). */
  readonly xstateActors?: boolean;
  readonly mutations?: readonly string[];
  /** Design specs (src/designs) switched on; none is today's kernel. Carried by the token. */
  readonly designs?: readonly string[];
  /**
   * Candidate fixes of known kernel bugs switched on (TtmGlobal.patches). Not carried by the token: only
   * the classification of a failure as a known bug runs with them (src/explore/known_findings.ts).
   */
  readonly patches?: readonly string[];
  /** Check the per-step oracles (src/explore/oracles/) after every step; default true. */
  readonly oracles?: boolean;
  /** Which fault-site evaluations fail (src/sim/fault_plan.ts); none when absent. */
  readonly faults?: FaultPlan;
  /** Count the statechart transitions taken into this campaign coverage. */
  readonly coverage?: TransitionCounter;
  /** A chooser replacing the strategy's (shrinking); the token then carries the full tape. */
  readonly guide?: Chooser;
  /** Keep the actor picked at every real choice (`sim.scheduler.chosenIds`). */
  readonly recordChosen?: boolean;
  /** Workload tasks and timed signals left out (`task:NAME`, `signal:N`; see SimOptions.omit). */
  readonly omit?: readonly string[];
  /**
   * Called with the run's Sim before the scenario is built, to subscribe to its streams (the scheduler's
   * steps$ and deliveries$: src/explore/run.ts's run$). It must not change the simulation.
   */
  readonly watch?: (sim: Sim) => void;
  /**
   * Watches the run from outside (the viewer's state snapshots): called with the scenario built, before
   * the first step (`steps` 0), then after every step with the steps taken so far, before that step's
   * checks. Only with the per-step oracles on (the default). It must not change the simulation.
   */
  readonly onStep?: (sim: Sim, worlds: readonly TtmGlobal[], steps: number) => void;
}

export interface RunResult {
  readonly token: string;
  readonly scenario: string;
  readonly seed: string;
  readonly strategy: StrategyName;
  readonly strategyParams?: StrategyParams;
  readonly steps: number;
  readonly virtualTimeMs: number;
  readonly outcome: Outcome;
  readonly traceSha256: string;
  readonly choices: number;
  readonly failure: Failure | null;
  /**
   * The trace line (step index) the failure belongs to, whatever its kind (`failure.step` is the index
   * of the step just taken for a per-step check, but the number of steps taken for what is judged after
   * the run): the step after which a per-step oracle or kernel rule broke; the step in which a
   * statechart refused an edge (when the per-step oracles ran); the last step taken for liveness
   * failures and end-of-run checks; for a thrown exception the step that threw, which wrote no line
   * (it equals `steps`). Null for a pass and for a failure before the first step.
   */
  readonly failureStep: number | null;
  /** What identifies the failure across schedules (see `signatureOf`); null for a pass. */
  readonly signature: string | null;
  /** The fault-site evaluations that failed, in order. */
  readonly faultsFired: readonly FiredFault[];
  /** Fault-site evaluations made (fired or not). */
  readonly faultEvaluations: number;
  /** The fault sites evaluated at least once, in FAULT_SITES order. */
  readonly faultSitesEvaluated: readonly FaultSite[];
  /** Per site evaluated, the scheduler step of its latest evaluation (keys in FAULT_SITES order). */
  readonly faultSiteLastStep: Readonly<Partial<Record<FaultSite, number>>>;
  readonly stats: Record<string, number>;
  /** What the run's worlds did (bytes moved, evictions, faults, shootdowns, backups): see counters.ts. */
  readonly counters: CounterTotals;
  /** The design specs the run had on (sorted, distinct). */
  readonly designs: readonly string[];
  readonly objects: string[];
  /** Trace lines, when kept. */
  readonly trace: readonly string[] | null;
  /** The Sim, for callers that look further (benchmarks, tests). */
  readonly sim: Sim;
}

export const DEFAULT_MAX_STEPS = 200_000;

/** Scenario hashes by scenario: a campaign runs one scenario thousands of times. */
const HASHES = new WeakMap<Scenario, string>();

function hashOf(scenario: Scenario): string {
  let h = HASHES.get(scenario);
  if (h === undefined) {
    h = scenarioHash(scenario.config);
    HASHES.set(scenario, h);
  }
  return h;
}

/**
 * What judges a run beyond the kernel's own rules and the end-of-run checks, handed in by the layer that
 * runs scenarios (src/explore/run.ts): the per-step oracles over the run's worlds, and the cycle a run
 * that ran out of steps repeats (its livelock).
 */
export interface RunJudges {
  /** The first oracle the worlds break now, or null. */
  readonly checkAll: (worlds: readonly TtmGlobal[]) => StepViolation | null;
  /** The cycle the last of these trace lines repeat, or null. */
  readonly findCycle: (lines: readonly string[]) => RunCycle | null;
}

/** A per-step oracle broken: which, of what kind, about which object. */
export interface StepViolation {
  readonly oracle: string;
  readonly kind: 'correctness' | 'crash';
  readonly actor: string;
  readonly message: string;
}

/** A cycle at the end of a run: its period, how many steps it covers, one round as trace lines. */
export interface RunCycle {
  readonly period: number;
  readonly length: number;
  readonly round: readonly string[];
}

/** Run `scenario` once under `opts`, judged by `judges` (the per-step ones unless `opts.oracles` is false). */
export function runScenarioWith(judges: RunJudges, scenario: Scenario, opts: RunOptions): RunResult {
  const strategy = opts.strategy ?? 'random';
  const params = opts.strategyParams === undefined ? {} : { strategyParams: opts.strategyParams };
  const mutations = opts.mutations === undefined ? [] : [...new Set(opts.mutations)].sort();
  const omit = opts.omit === undefined ? [] : [...new Set(opts.omit)].sort();
  const designs = opts.designs === undefined ? [] : [...new Set(opts.designs)].sort();
  const sim = new Sim({
    seed: opts.seed,
    strategy,
    ...params,
    keepTrace: opts.keepTrace ?? false,
    keepMirrorLog: opts.keepMirrorLog ?? false,
    ...(opts.xstateActors === true ? { xstateActors: true } : {}),
    mutations,
    designs,
    ...(opts.patches === undefined || opts.patches.length === 0 ? {} : { patches: opts.patches }),
    ...(opts.tape === undefined ? {} : { tape: opts.tape }),
    ...(opts.guide === undefined ? {} : { guide: opts.guide }),
    ...(opts.recordChosen === true ? { recordChosen: true } : {}),
    ...(omit.length === 0 ? {} : { omit }),
  });
  opts.watch?.(sim);
  if (opts.coverage !== undefined) {
    opts.coverage.beginRun();
    sim.mirror.coverage = opts.coverage;
  }
  const injector =
    opts.faults === undefined
      ? null
      : new FaultInjector(
          opts.faults,
          () => sim.scheduler.steps,
          (f) =>
            sim.scheduler.note({
              actor: f.where,
              event: 'fault',
              from: '',
              to: '',
              data: { site: f.site, at: f.at },
            }),
        );
  const maxSteps = opts.maxSteps ?? DEFAULT_MAX_STEPS;
  let failure: Failure | null = null;
  let failureStep: number | null = null;
  let workload: ReturnType<Scenario['build']> | null = null;
  try {
    workload = scenario.build(sim, Rng.fromSeed(opts.seed).fork(`scenario:${scenario.name}`));
    if (injector !== null) sim.faultHook = injector.hook;
    const r =
      (opts.oracles ?? true)
        ? runChecked(judges, sim, workload.worlds(), maxSteps, opts.onStep)
        : { ...sim.run(maxSteps), failure: null, refusedAt: -1 };
    failure = r.failure ?? judge(sim, workload, r.quiescent, maxSteps);
    const last = sim.scheduler.steps - 1;
    if (r.failure !== null) failureStep = last < 0 ? null : r.failure.step;
    else if (failure !== null)
      failureStep =
        failure.id === 'crash.statechart' && r.refusedAt >= 0 ? r.refusedAt : last < 0 ? null : last;
    if (failure?.id === 'liveness.step-budget') {
      failure = livelockOf(judges, scenario, opts, sim, injector?.fired ?? [], failure);
    }
  } catch (err) {
    if (!(err instanceof DriverLoadRefused) && workload !== null) failureStep = sim.scheduler.steps;
    failure =
      err instanceof DriverLoadRefused
        ? {
            kind: 'correctness',
            id: 'design.driver-not-loaded',
            message: err.message,
            step: 0,
            actor: err.device,
          }
        : err instanceof SoftLockup
          ? { kind: 'liveness', id: 'liveness.soft-lockup', message: err.message, step: sim.scheduler.steps }
          : {
              kind: 'crash',
              id: 'crash.exception',
              message: err instanceof Error ? err.message : String(err),
              step: sim.scheduler.steps,
            };
  }
  const fired = injector?.fired ?? [];
  // A guided run is replayed from its full tape; so is any run given a tape (the recorded one extends it).
  const tape = opts.guide !== undefined || opts.tape !== undefined ? sim.scheduler.tape : undefined;
  const tokenArgs = {
    seed: opts.seed,
    strategy,
    ...params,
    scenarioHash: hashOf(scenario),
    ...(tape === undefined ? {} : { tape }),
    ...(mutations.length === 0 ? {} : { mutations }),
    ...(fired.length === 0 ? {} : { faults: fired.map((f) => f.at) }),
    ...(omit.length === 0 ? {} : { omit }),
    ...(designs.length === 0 ? {} : { designs }),
  };
  const result: RunResult = {
    token: '',
    scenario: scenario.name,
    seed: opts.seed.toString(),
    strategy,
    ...params,
    steps: sim.scheduler.steps,
    virtualTimeMs: sim.scheduler.now(),
    outcome: failure === null ? 'pass' : failure.kind,
    traceSha256: '',
    choices: sim.scheduler.tape.length,
    failure,
    failureStep,
    signature: failure === null ? null : signatureOf(sim, failure),
    faultsFired: fired,
    faultEvaluations: injector?.evaluations ?? 0,
    faultSitesEvaluated: injector === null ? [] : sitesCounted(injector.evaluationsBySite),
    faultSiteLastStep: injector === null ? {} : lastStepsOf(injector.lastStepBySite),
    stats: workload?.stats() ?? {},
    counters: countersOf(workload?.worlds() ?? []),
    designs,
    objects: workload?.describe() ?? [],
    trace: opts.keepTrace ? sim.trace.lines() : null,
    sim,
  };
  // A mutation spec encodeToken might reject (empty, or possibly over its 64 bytes) is encoded now, so
  // that its RangeError leaves runScenario as it always did.
  const eager = mutations.some((m) => m.length === 0 || m.length > 21);
  return readOnDemand(result, { args: tokenArgs, text: eager ? encodeToken(tokenArgs) : undefined });
}

/** Where a result keeps what its token is encoded from (not enumerable: not part of the result's value). */
const TOKEN_STATE = Symbol('token state');

interface TokenState {
  readonly args: Parameters<typeof encodeToken>[0];
  text: string | undefined;
}

function tokenOf(this: RunResult & { [TOKEN_STATE]: TokenState }): string {
  const t = this[TOKEN_STATE];
  t.text ??= encodeToken(t.args);
  return t.text;
}

function traceSha256Of(this: RunResult): string {
  return this.sim.trace.sha256();
}

/**
 * Make `token` (it checksums its bytes) and `traceSha256` (formatting and hashing the trace) computed
 * when first read: a campaign reads only the tokens of failing runs and never the hash. They stay
 * enumerable own properties, in their places, so spreading or serialising a result sees their values.
 * The getters are shared module functions, not closures over the run: a closure per result (an object
 * literal's `get`) kept whole runs alive through young-generation collections and doubled GC time.
 */
function readOnDemand(result: RunResult, token: TokenState): RunResult {
  Object.defineProperty(result, TOKEN_STATE, { value: token });
  Object.defineProperty(result, 'token', { get: tokenOf, enumerable: true, configurable: true });
  Object.defineProperty(result, 'traceSha256', { get: traceSha256Of, enumerable: true, configurable: true });
  return result;
}

/** The counters of `worlds` added up, with the map failures of their IOMMUs and the RAM's shootdowns. */
export function countersOf(worlds: readonly TtmGlobal[]): CounterTotals {
  // One literal of fixed shape and plain loops: this runs once per run of every campaign.
  let bytesMoved = 0;
  let evictions = 0;
  let cpuFaults = 0;
  let refaults = 0;
  let syncForCpu = 0;
  let tlbShootdowns = 0;
  let pagesBackedUp = 0;
  let pagesRestored = 0;
  let dmaEvictions = 0;
  const iommus: Iommu[] = [];
  for (const g of worlds) {
    const c = g.counters;
    bytesMoved += c.bytesMoved;
    evictions += c.evictions;
    cpuFaults += c.cpuFaults;
    refaults += c.refaults;
    syncForCpu += c.syncForCpu;
    pagesBackedUp += c.pagesBackedUp;
    pagesRestored += c.pagesRestored;
    dmaEvictions += c.dmaEvictions;
    tlbShootdowns += g.ram.cachingChanges;
    // The world's IOMMUs outlive its devices: after teardown the device list and the BOs are empty.
    for (const i of g.iommus) if (!iommus.includes(i)) iommus.push(i);
    for (const d of g.deviceList) if (d.iommu !== null && !iommus.includes(d.iommu)) iommus.push(d.iommu);
    for (const bo of g.bos) {
      const i = bo.bdev.iommu;
      if (i !== null && !iommus.includes(i)) iommus.push(i);
    }
  }
  let iommuMapFailures = 0;
  for (const i of iommus) iommuMapFailures += i.mapFailures;
  return {
    bytesMoved,
    evictions,
    iommuMapFailures,
    cpuFaults,
    refaults,
    syncForCpu,
    tlbShootdowns,
    pagesBackedUp,
    pagesRestored,
    dmaEvictions,
  };
}

/**
 * Step the scheduler one step at a time (the same steps Sim.run takes) and check every oracle over
 * `worlds` after each. Returns whether it ended quiescent and, when an oracle broke, the failure: the
 * oracle's id, kind and actor, at the trace index of the step just taken; and the index of the step in
 * which a statechart first refused an edge (-1: none), which the judge reports after the run.
 */
function runChecked(
  judges: RunJudges,
  sim: Sim,
  worlds: readonly TtmGlobal[],
  maxSteps: number,
  onStep: RunOptions['onStep'],
): { quiescent: boolean; failure: Failure | null; refusedAt: number } {
  let steps = 0;
  let refusedAt = -1;
  onStep?.(sim, worlds, 0);
  while (steps < maxSteps && sim.scheduler.step()) {
    steps += 1;
    if (refusedAt < 0 && sim.mirror.violations.length > 0) refusedAt = sim.scheduler.steps - 1;
    onStep?.(sim, worlds, sim.scheduler.steps);
    // A kernel rule broken during the step (src/kernel/rules) comes first: it was seen where it broke.
    for (let i = 0; i < worlds.length; i += 1) {
      const b = worlds[i]!.ruleBroken;
      if (b !== null)
        return { quiescent: false, failure: ruleFailure(b, sim.scheduler.steps - 1), refusedAt };
    }
    const v = judges.checkAll(worlds);
    if (v !== null) {
      const step = sim.scheduler.steps - 1;
      return {
        quiescent: false,
        failure: { kind: v.kind, id: v.oracle, message: v.message, step, actor: v.actor },
        refusedAt,
      };
    }
  }
  // A rule broken while the scenario was built, before any step.
  for (const g of worlds)
    if (g.ruleBroken !== null) return { quiescent: false, failure: ruleFailure(g.ruleBroken, 0), refusedAt };
  // run(0) takes no step: it only reports whether anything is left.
  return { quiescent: sim.scheduler.run(0).quiescent, failure: null, refusedAt };
}

/** A broken kernel rule as a run's failure: the rule's id, the object it is about, at `step`. */
function ruleFailure(b: RuleBreach, step: number): Failure {
  return { kind: 'correctness', id: b.rule.id, message: b.message, step, actor: b.actor };
}

/**
 * Options that replay a run exactly whatever chose its schedule and faults: its recorded tape under
 * 'fifo' (no random draw left) and the fault evaluations that fired. Guides, two-stage fault plans,
 * coverage and a watcher are consumed or filled by the run they were given to, so they are dropped.
 */
export function exactReplayOptions(
  opts: RunOptions,
  tape: readonly number[],
  fired: readonly FiredFault[],
): RunOptions {
  const { coverage: _c, guide: _g, strategyParams: _p, faults: _f, watch: _w, ...rest } = opts;
  return { ...rest, strategy: 'fifo', tape, faults: { kind: 'planned', at: fired.map((f) => f.at) } };
}

/**
 * Name the cycle of a run that ran out of steps. Runs keep no trace lines unless asked, so the run is
 * taken again with its lines kept (it is a pure function of its options, so the same steps come back).
 */
function livelockOf(
  judges: RunJudges,
  scenario: Scenario,
  opts: RunOptions,
  sim: Sim,
  fired: readonly FiredFault[],
  failure: Failure,
): Failure {
  // Guides and two-stage fault plans are consumed by the run; the again-run takes the recorded tape
  // and the faults that fired instead, which make the same choices.
  const lines = opts.keepTrace
    ? sim.trace.lines()
    : runScenarioWith(judges, scenario, {
        ...exactReplayOptions(opts, sim.scheduler.tape, fired),
        keepTrace: true,
      }).sim.trace.lines();
  const cycle = judges.findCycle(lines);
  if (cycle === null) return failure;
  const shown = cycle.round.slice(0, 12).join(' ; ');
  const more = cycle.round.length > 12 ? ` ; … (${cycle.round.length - 12} more)` : '';
  const actors = [...new Set(cycle.round.map((l) => l.split(' ')[0]!))];
  return {
    kind: 'liveness',
    id: 'liveness.livelock',
    message: `livelock: the last ${cycle.length} steps repeat a ${cycle.period}-step cycle of ${actors.join(', ')}: ${shown}${more}`,
    step: failure.step,
    actor: actors[0]!,
  };
}

/** The actor's name with its trailing instance numbers dropped: `task:kworker/device:0:3` → `task:kworker/device:0`. */
function actorClass(actor: string): string {
  return actor.replace(/:\d+$/, '').replace(/\d+$/, '');
}

/**
 * A failure's signature, what shrinking keeps and campaigns deduplicate on: the oracle or check id, the
 * actor class, the actor's state when it was detected, and the errno the message names, if any.
 */
export function signatureOf(sim: Sim, failure: Failure): string {
  const actor = failure.actor ?? '';
  const state = actor === '' ? '' : (sim.mirror.state(actor) ?? taskState(sim, actor));
  const errno = /-E[A-Z0-9]+/.exec(failure.message)?.[0] ?? '';
  return [failure.id, actorClass(actor), state, errno].join(' | ');
}

function taskState(sim: Sim, actor: string): string {
  return (
    sim
      .allTasks()
      .find((t) => t.id === actor)
      ?.state() ?? ''
  );
}

/** Follow "task waits for a lock held by task" edges; describe the first cycle found. */
function waitsForCycle(stuck: readonly TaskActor[]): string | null {
  const byId = new Map(stuck.map((t) => [t.id, t]));
  for (const start of stuck) {
    const path: TaskActor[] = [];
    let t: TaskActor | undefined = start;
    while (t !== undefined && !path.includes(t)) {
      path.push(t);
      const holder: string | undefined = t.blockedMutex?.holder?.task;
      t = holder === undefined ? undefined : byId.get(holder);
    }
    if (t === undefined) continue;
    const loop = path.slice(path.indexOf(t));
    return loop
      .map((x) => `${x.id} waits for ${x.blockedMutex?.id} held by ${x.blockedMutex?.holder?.task}`)
      .join(' → ');
  }
  return null;
}

/** Liveness first (unfinished tasks), then simulator crashes (statechart violations), then invariants. */
function judge(
  sim: Sim,
  workload: ReturnType<Scenario['build']>,
  quiescent: boolean,
  maxSteps: number,
): Failure | null {
  const step = sim.scheduler.steps;
  if (!quiescent) {
    return {
      kind: 'liveness',
      id: 'liveness.step-budget',
      message: `still running after ${maxSteps} steps`,
      step,
    };
  }
  const stuck = sim.allTasks().filter((t) => t.status !== 'done');
  if (stuck.length > 0) {
    const first = stuck[0]!;
    const cycle = waitsForCycle(stuck);
    return {
      kind: 'liveness',
      id: cycle === null ? 'liveness.stuck' : 'liveness.deadlock',
      message:
        cycle === null
          ? `nothing left to run but ${stuck.length} task(s) never finished: ${stuck
              .map((t) => `${t.id} waits for ${t.blockedOn ?? t.status}`)
              .join('; ')}`
          : `deadlock: ${cycle}`,
      step,
      actor: first.id,
    };
  }
  const v = sim.mirror.violations[0];
  if (v !== undefined) {
    return {
      kind: 'crash',
      id: 'crash.statechart',
      message: `${v.actor} got ${v.event} in state ${v.state}, which its statechart does not allow`,
      step,
      actor: v.actor,
    };
  }
  const breach = workload.check()[0];
  if (breach !== undefined) {
    return {
      kind: 'correctness',
      id: breach.id,
      message: breach.message,
      step,
      ...(breach.actor === undefined ? {} : { actor: breach.actor }),
    };
  }
  return null;
}
