// Fault plans: which evaluations of the model's fault sites (src/kernel/faults.ts) fail in a run.
// Sites are numbered by evaluation, in the order the run reaches them (fired or not), so a plan is a list
// of evaluation numbers and a run is a pure function of (seed, strategy, tape, mutations, plan).
// Positions are never decided by a per-evaluation coin with a fixed probability, which would make late
// faults geometrically rare (DESIGN.md §3). Two ways to draw a plan:
//   uniform  1 to 3 steps drawn uniformly over [0, S), S the steps a run of the scenario takes (measured
//            by a calibration run); the first fault-site evaluation at or after each fails. Drawing
//            over steps rather than over evaluations keeps late faults as likely as early ones even
//            where sites cluster early (allocations) and thin out late (teardown);
//   buggify  FoundationDB's two stages: each site kind is switched on for the run with probability 1/4
//            when first reached, then each evaluation of a switched-on kind below K (the evaluations a
//            calibration run makes) fails with 1/4.
// Whatever drew them, the evaluations that did fail are recorded, and the token carries that explicit
// list: replaying it fails exactly the same evaluations. Faults fire only inside the window; the rest
// of the run is the quiet phase in which every task must still finish (the liveness judgement of
// src/sim/run.ts).

import type { Rng } from '../engine/prng.ts';
import { FAULT_SITES, type FaultHook, type FaultSite } from '../kernel/faults.ts';

export const FAULT_MODES = ['off', 'uniform', 'buggify'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

/** How a run's faults are decided. */
export type FaultPlan =
  /** Fail exactly these evaluation numbers (sorted, distinct). */
  | { readonly kind: 'planned'; readonly at: readonly number[] }
  /**
   * For each of these steps (sorted), fail the first evaluation made at or after it: of `sites[i]` when
   * that is a site (a targeted fault, which waits for its site), of any site when it is null or `sites`
   * is absent.
   */
  | {
      readonly kind: 'steps';
      readonly steps: readonly number[];
      readonly sites?: readonly (FaultSite | null)[];
    }
  /** Two-stage activation over evaluations below `window`, drawn from `rng`. */
  | { readonly kind: 'buggify'; readonly rng: Rng; readonly window: number };

/** One evaluation that failed. */
export interface FiredFault {
  /** The evaluation number (what a plan names). */
  readonly at: number;
  readonly site: FaultSite;
  /** The object or task it hit. */
  readonly where: string;
  /** The scheduler step during which it fired. */
  readonly step: number;
}

/** Each site's position in FAULT_SITES (a Map over strings: looked up, never iterated). */
const SITE_INDEX = new Map<FaultSite, number>(FAULT_SITES.map((s, i) => [s, i]));

const BUGGIFY_ACTIVATE = 4; // 1 in 4
const BUGGIFY_FIRE = 4; // 1 in 4

/** Counts fault-site evaluations and fails the ones its plan names; `hook` goes to TtmGlobal.faultHook. */
export class FaultInjector {
  /** Evaluations so far. */
  evaluations = 0;
  /** Evaluations so far per site, indexed like FAULT_SITES. */
  readonly evaluationsBySite = new Uint32Array(FAULT_SITES.length);
  readonly fired: FiredFault[] = [];
  readonly hook: FaultHook;
  private readonly decide: (at: number, site: FaultSite, step: number) => boolean;

  constructor(
    plan: FaultPlan,
    /** The current scheduler step (for the record). */
    private readonly stepOf: () => number,
    /** Told of every fired fault (the trace effect). */
    private readonly onFire: (f: FiredFault) => void,
  ) {
    this.decide =
      plan.kind === 'planned'
        ? plannedDecider(plan.at)
        : plan.kind === 'steps'
          ? plan.sites === undefined
            ? stepsDecider(plan.steps)
            : targetedStepsDecider(plan.steps, plan.sites)
          : buggifyDecider(plan.rng, plan.window);
    this.hook = hookOf(this);
  }

  /** One evaluation of fault site `site` (at object `where`): true when it fails. */
  evaluate(site: FaultSite, where: string): boolean {
    const at = this.evaluations;
    this.evaluations += 1;
    this.evaluationsBySite[SITE_INDEX.get(site)!]! += 1;
    const step = this.stepOf();
    if (!this.decide(at, site, step)) return false;
    const f: FiredFault = { at, site, where, step };
    this.fired.push(f);
    this.onFire(f);
    return true;
  }
}

/** The hook of `injector` (returned, not written as an arrow field: see resvObserver in kernel/resv.ts). */
function hookOf(injector: FaultInjector): FaultHook {
  return (site, where) => injector.evaluate(site, where);
}

function plannedDecider(at: readonly number[]): (at: number) => boolean {
  const set = new Set(at);
  return (i) => set.has(i);
}

function stepsDecider(steps: readonly number[]): (at: number, site: FaultSite, step: number) => boolean {
  let next = 0;
  return (_at, _site, step) => {
    if (next >= steps.length || step < steps[next]!) return false;
    // One fault per planned step; planned steps already passed without an evaluation are used up too.
    while (next < steps.length && steps[next]! <= step) next += 1;
    return true;
  };
}

/**
 * Steps with targets: a planned step arms its target once the run reaches it; an evaluation fails when
 * an armed target is its site, or is untargeted (null). As with untargeted steps, untargeted plans
 * armed together make one fault, not several in a row.
 */
function targetedStepsDecider(
  steps: readonly number[],
  sites: readonly (FaultSite | null)[],
): (at: number, site: FaultSite, step: number) => boolean {
  let next = 0;
  const armed: (FaultSite | null)[] = [];
  return (_at, site, step) => {
    while (next < steps.length && steps[next]! <= step) {
      armed.push(sites[next] ?? null);
      next += 1;
    }
    const k = armed.indexOf(site);
    if (k >= 0) {
      armed.splice(k, 1);
      return true;
    }
    if (!armed.includes(null)) return false;
    for (let j = armed.length - 1; j >= 0; j--) if (armed[j] === null) armed.splice(j, 1);
    return true;
  };
}

/**
 * A target for each of `count` planned faults: one of `sites` (those a calibration saw evaluated) or
 * null (whichever site comes first), drawn uniformly among the sites and null. Targets give a rarely
 * evaluated site (a driver callback, a ghost) the same share of faults as a site evaluated on every
 * page; untargeted faults keep the share of each site proportional to how often it is evaluated.
 */
export function drawTargets(rng: Rng, count: number, sites: readonly FaultSite[]): (FaultSite | null)[] {
  const out: (FaultSite | null)[] = [];
  for (let i = 0; i < count; i++) {
    const k = rng.below(sites.length + 1);
    out.push(k === sites.length ? null : sites[k]!);
  }
  return out;
}

function buggifyDecider(rng: Rng, window: number): (at: number, site: FaultSite) => boolean {
  const active = new Map<FaultSite, boolean>();
  return (i, site) => {
    if (i >= window) return false;
    let on = active.get(site);
    if (on === undefined) {
      on = rng.below(BUGGIFY_ACTIVATE) === 0;
      active.set(site, on);
    }
    return on && rng.below(BUGGIFY_FIRE) === 0;
  };
}

/**
 * A uniform plan: 1 to 3 distinct evaluation numbers drawn uniformly in [0, window), sorted. Empty
 * when the window is empty (the scenario reaches no fault site).
 */
export function drawUniform(rng: Rng, window: number): number[] {
  if (window <= 0) return [];
  const count = Math.min(window, 1 + rng.below(3));
  const picked = new Set<number>();
  while (picked.size < count) picked.add(rng.below(window));
  return [...picked].sort((a, b) => a - b);
}

/** Per-site counts of a campaign, keyed by site name (schedules that evaluated, or fired, the site). */
export type SiteCounts = Record<string, number>;

/** Add one schedule's sites to `counts` (each site once, however often it was evaluated or fired). */
export function countSites(counts: SiteCounts, sites: Iterable<FaultSite>): void {
  for (const site of new Set(sites)) counts[site] = (counts[site] ?? 0) + 1;
}

/** `counts` with its keys in FAULT_SITES order (unknown names after, sorted): merges print alike. */
export function canonicalSiteCounts(counts: SiteCounts): SiteCounts {
  const known: readonly string[] = FAULT_SITES;
  const keys = [
    ...FAULT_SITES.filter((s) => counts[s] !== undefined),
    ...Object.keys(counts)
      .filter((k) => !known.includes(k))
      .sort(),
  ];
  return Object.fromEntries(keys.map((k) => [k, counts[k]!]));
}

/**
 * The sites no schedule of a campaign fired, in FAULT_SITES order: those some schedule evaluated
 * (reached, never drawn) and those none evaluated (no schedule reached them: they cannot fire here).
 */
export function sitesNeverFired(
  evaluated: SiteCounts,
  fired: SiteCounts,
): { readonly evaluated: FaultSite[]; readonly unreached: FaultSite[] } {
  const never = FAULT_SITES.filter((s) => (fired[s] ?? 0) === 0);
  return {
    evaluated: never.filter((s) => (evaluated[s] ?? 0) > 0),
    unreached: never.filter((s) => (evaluated[s] ?? 0) === 0),
  };
}

/** Why `text` is not a fault mode, or undefined. */
export function faultModeProblem(text: string): string | undefined {
  return (FAULT_MODES as readonly string[]).includes(text)
    ? undefined
    : `must be one of ${FAULT_MODES.join(', ')}, got "${text}"`;
}
