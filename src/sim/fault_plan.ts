// A run's fault plan and the injector that carries it out: which evaluations of the model's fault sites
// (src/kernel/faults.ts) fail. Sites are numbered by evaluation, in the order the run reaches them (fired
// or not), so a plan is a list of evaluation numbers, a list of steps (the first evaluation at or after
// each fails, optionally of a named site), or FoundationDB-style two-stage activation drawn from a
// stream of the run's PRNG; a run is a pure function of (seed, strategy, tape, mutations, plan). The
// evaluations that did fail are recorded, and a token carries that explicit list: replaying it fails
// exactly the same evaluations. How campaigns draw plans is src/explore/faults.ts.

import type { Rng } from '../engine/prng.ts';
import { FAULT_SITES, type FaultHook, type FaultSite } from '../kernel/faults.ts';

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
  /** The scheduler step of the latest evaluation per site (-1: none), indexed like FAULT_SITES. */
  readonly lastStepBySite = new Int32Array(FAULT_SITES.length).fill(-1);
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
    const index = SITE_INDEX.get(site)!;
    this.evaluationsBySite[index]! += 1;
    const step = this.stepOf();
    this.lastStepBySite[index] = step;
    if (!this.decide(at, site, step)) return false;
    const f: FiredFault = { at, site, where, step };
    this.fired.push(f);
    this.onFire(f);
    return true;
  }
}

/**
 * The sites of FAULT_SITES whose count in `perSite` (indexed like FAULT_SITES, e.g. the injector's
 * evaluationsBySite) is not zero: the sites a run evaluated, which its result reports and a campaign
 * aims its later faults at.
 */
export function sitesCounted(perSite: ArrayLike<number>): FaultSite[] {
  return FAULT_SITES.filter((_, i) => (perSite[i] ?? 0) > 0);
}

/** Per site with a step in `perSite` (indexed like FAULT_SITES, -1: none), that step; keys in FAULT_SITES order. */
export function lastStepsOf(perSite: ArrayLike<number>): Partial<Record<FaultSite, number>> {
  const out: Partial<Record<FaultSite, number>> = {};
  FAULT_SITES.forEach((s, i) => {
    const step = perSite[i] ?? -1;
    if (step >= 0) out[s] = step;
  });
  return out;
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
