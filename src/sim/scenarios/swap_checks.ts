// What the swap, LRU and pool scenarios (swap-race, bulk-lru, pool-reclaim) share: the errors a
// ttm_bo_validate may return to userspace, completion fences tasks wait on, and the end-of-run checks
// that nothing is left behind once every BO was put.

import type { BufferObject } from '../../kernel/bo.ts';
import type { TtmGlobal } from '../../kernel/device.ts';
import type { KernelEnv, KGen } from '../../kernel/env.ts';
import { EBUSY, EFAULT, EINTR, ENOMEM, ENOSPC, ERESTARTSYS, errnoName } from '../../kernel/errno.ts';
import { DmaFence } from '../../kernel/fence.ts';
import { ttmPoolShrinkerScan } from '../../kernel/pool.ts';
import type { SimDevice } from '../../kernel/simdrv.ts';
import type { Breach } from '../scenario.ts';
import { lockHeldBreaches } from './race_common.ts';

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

/**
 * After every BO was put: no BO left (zombies and ghosts included), nothing of VRAM or TT in use, no swap
 * slot, no page frame (pooled pages are shrunk first), no reservation held.
 */
export function leakChecks(dev: SimDevice, global: TtmGlobal, bos: readonly BufferObject[]): Breach[] {
  const out: Breach[] = [];
  if (global.boCount !== 0) {
    out.push({ id: 'correctness.bo-leak', message: `${global.boCount} BOs never destroyed` });
  }
  for (const man of [dev.vram, dev.tt]) {
    if (man.usage !== 0) {
      out.push({ id: 'correctness.leak', actor: man.id, message: `${man.usage} B still in use` });
    }
  }
  if (global.swap.usedPages !== 0) {
    out.push({ id: 'correctness.swap-leak', message: `${global.swap.usedPages} swap slots still in use` });
  }
  ttmPoolShrinkerScan(global.poolMgr, global.ram.totalPages);
  if (global.ram.usedPages !== 0) {
    out.push({ id: 'correctness.page-leak', message: `${global.ram.usedPages} page frames never freed` });
  }
  out.push(...lockHeldBreaches(bos));
  return out;
}
