// The soft-lockup watchdog (kernel/watchdog.c: "BUG: soft lockup - CPU#%d stuck for %us!") for the
// model's loops over finite structures: the LRU cursor (ttm_resource_manager_first/_next in
// drivers/gpu/drm/ttm/ttm_resource.c), the eviction walk over it (ttm_lru_walk_for_evict in ttm_bo_util.c),
// the loop of ttm_resource_manager_evict_all over ttm_bo_evict_first (ttm_resource.c, which calls
// cond_resched() in it) and the shmem swap-slot search. A loop that runs inside one step takes no scheduling point, so neither
// the step budget nor the liveness checks can see it never end; upstream, the CPU would be stuck until
// the watchdog reports it. Here a loop that turns more often in one call than any structure of the model
// holds items (SOFT_LOCKUP_SPINS, far above the few hundred resources, pages or slots of a scenario)
// throws SoftLockup, which the run reports as the liveness failure `liveness.soft-lockup` naming the
// loop (src/sim/run.ts). A right model never comes near the bound, so no run changes.

/** More turns of one loop in one call than any list, LRU or slot array of the model can hold. */
export const SOFT_LOCKUP_SPINS = 1 << 20;

/** The watchdog's report: thrown out of the step, caught and judged by the run. */
export class SoftLockup extends Error {
  constructor(
    readonly loop: string,
    readonly spins: number,
  ) {
    super(`BUG: soft lockup: ${loop} turned ${spins} times in one call without returning`);
    this.name = 'SoftLockup';
  }
}

/** The turn counter of one call's loop. */
export interface Spins {
  n: number;
}

/** A fresh counter, for one call. */
export function lockupSpins(): Spins {
  return { n: 0 };
}

/** One more turn of `loop`: the watchdog fires past SOFT_LOCKUP_SPINS turns in the same call. */
export function softLockupSpin(spins: Spins, loop: string): void {
  spins.n += 1;
  if (spins.n > SOFT_LOCKUP_SPINS) throw new SoftLockup(loop, spins.n);
}
