// Drawing fault plans for campaigns: which evaluations of the model's fault sites (src/kernel/faults.ts)
// fail in a run (the plan and its injector are src/sim/fault_plan.ts).
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
import { FAULT_SITES, type FaultSite } from '../kernel/faults.ts';

export { FaultInjector, type FaultPlan, type FiredFault } from '../sim/fault_plan.ts';

export const FAULT_MODES = ['off', 'uniform', 'buggify'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

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

/**
 * The sites a campaign's uniform faults aim at: those its calibration saw evaluated (`calibrated`) and
 * those its schedules so far evaluated (`evaluated`: a site the unfaulted calibration runs never reach,
 * such as one on a path only a fault or a rare interleaving opens), in FAULT_SITES order.
 */
export function targetSites(calibrated: readonly FaultSite[], evaluated: Readonly<SiteCounts>): FaultSite[] {
  return FAULT_SITES.filter((s) => calibrated.includes(s) || (evaluated[s] ?? 0) > 0);
}

/**
 * Targets for the `count` planned faults of one schedule of a campaign: while some of `sites` (those the
 * calibration saw evaluated) have not fired yet in the campaign (`fired`, per site the schedules that
 * fired it), distinct sites drawn uniformly among those, so that a few faulted schedules fire different
 * sites instead of the most evaluated ones again; faults beyond the sites left, and every fault once all
 * have fired, are drawn by drawTargets. `fired` is part of the campaign's state (its corpus keeps it),
 * so the draw is a pure function of the options and the schedules before.
 */
export function drawCampaignTargets(
  rng: Rng,
  count: number,
  sites: readonly FaultSite[],
  fired: Readonly<SiteCounts>,
): (FaultSite | null)[] {
  const left = sites.filter((s) => (fired[s] ?? 0) === 0);
  const out: (FaultSite | null)[] = [];
  while (out.length < count && left.length > 0) out.push(left.splice(rng.below(left.length), 1)[0]!);
  return out.length === count ? out : [...out, ...drawTargets(rng, count - out.length, sites)];
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

/**
 * A campaign's uniform plan with targets: 1 to 3 faults (as drawUniform), but one for every site the
 * campaign has not fired yet (at least as many as drawn) while there are such sites, their targets from
 * drawCampaignTargets, and each fault's step drawn uniformly in the window up to the latest step at
 * which the calibration saw its target evaluated (`lastStep`; the whole `window` for an untargeted fault
 * or a site without a recorded step), so that a fault aimed at a site evaluated only early in a run (a
 * ghost, a driver's copy job) is armed before its last chance. Steps are sorted, targets kept with them.
 * Aiming at every unfired site at once is what lets a short campaign (the default suite's handful of
 * faulted schedules per scenario) take every error path its scenario reaches, not the first three drawn:
 * a fault aimed at a site that the schedule does not reach after its step simply does not fire, and the
 * faults that do fire are each a legitimate error return of the kernel, whatever came before.
 */
export function drawTargetedUniform(
  rng: Rng,
  window: number,
  sites: readonly FaultSite[],
  fired: Readonly<SiteCounts>,
  lastStep: Readonly<Partial<Record<FaultSite, number>>>,
): { steps: number[]; sites: (FaultSite | null)[] } {
  if (window <= 0) return { steps: [], sites: [] };
  const drawn = 1 + rng.below(3);
  const left = sites.filter((s) => (fired[s] ?? 0) === 0).length;
  const count = Math.min(window, left > 0 ? Math.max(drawn, left) : drawn);
  const targets = drawCampaignTargets(rng, count, sites, fired);
  const planned = targets.map((site, i) => {
    const last = site === null ? undefined : lastStep[site];
    return { step: rng.below(last === undefined ? window : Math.min(window, last + 1)), site, i };
  });
  planned.sort((a, b) => a.step - b.step || a.i - b.i);
  return { steps: planned.map((p) => p.step), sites: planned.map((p) => p.site) };
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
