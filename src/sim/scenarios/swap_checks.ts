// What the swap, LRU and pool scenarios (swap-race, bulk-lru, pool-reclaim) share: the errors a
// ttm_bo_validate may return to userspace and completion fences tasks wait on (the end-of-run checks
// that nothing is left behind are those of src/sim/end_checks.ts, made by the lifecycle).

import type { KernelEnv, KGen } from '../../kernel/env.ts';
import { EBUSY, EFAULT, EINTR, ENOMEM, ENOSPC, ERESTARTSYS, errnoName } from '../../kernel/errno.ts';
import { DmaFence } from '../../kernel/fence.ts';
import type { Breach } from '../scenario.ts';

/**
 * What ttm_bo_validate (and BO creation, populate) may return to userspace: -ENOMEM (also for -ENOSPC of
 * the allocation passes), -ENOSPC (a bounce found no space), -EFAULT (DMA mapping), -ERESTARTSYS /
 * -EINTR (signal), -EBUSY (a GPU wait timed out). Never a kernel-internal code.
 */
const USER_ERRNOS: ReadonlySet<number> = new Set([-ENOMEM, -ENOSPC, -EFAULT, -ERESTARTSYS, -EINTR, -EBUSY]);

/** Record a breach when `ret` is an error userspace never gets from `what`. */
export function checkErrno(ret: number, what: string, who: string, breaches: Breach[]): void {
  if (ret === 0 || USER_ERRNOS.has(ret)) return;
  breaches.push({
    id: 'correctness.errno',
    actor: who,
    message: `${what} returned ${errnoName(ret)}, which it never returns to userspace`,
  });
}

/**
 * A completion a task signals and others sleep on (a struct completion, modelled as a fence of its own
 * context that no GPU ring signals).
 */
export class Completion {
  readonly fence: DmaFence;

  constructor(env: KernelEnv, name: string) {
    this.fence = new DmaFence(env.nextId('fence-ctx'), 1, `completion:${name}`);
  }

  /** complete_all. */
  complete(): void {
    this.fence.signal();
  }

  /** wait_for_completion (uninterruptible, no timeout). */
  *wait(): KGen<void> {
    if (!this.fence.signaled) {
      yield { kind: 'fences', fences: [this.fence], interruptible: false, timeoutMs: null };
    }
  }
}
