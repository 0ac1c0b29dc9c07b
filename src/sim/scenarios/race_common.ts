// What the race scenarios (move-race, upload-race) share: a user access to a mapped page through the CPU
// fault handler, the errors userspace may see, and their one-world workload (the end-of-run checks that
// nothing is left behind are those of src/sim/end_checks.ts, made by the lifecycle).

import type { BufferObject } from '../../kernel/bo.ts';
import { type CpuMapping, ttmBoVmFault } from '../../kernel/bo_vm.ts';
import { PAGE_SIZE } from '../../kernel/constants.ts';
import type { TtmGlobal } from '../../kernel/device.ts';
import type { KGen } from '../../kernel/env.ts';
import { EBUSY, EFAULT, EINTR, ENOMEM, ENOSPC, ERESTARTSYS } from '../../kernel/errno.ts';
import type { PageData } from '../data_checks.ts';
import type { Breach, Workload } from '../scenario.ts';

/**
 * What ttm_bo_validate (and BO creation) may return to userspace: -ENOMEM (no space, also for -ENOSPC
 * from the allocation passes), -ENOSPC (a bounce through the hop placement found no space), -EFAULT
 * (DMA mapping), -ERESTARTSYS / -EINTR (signal), -EBUSY (GPU wait timed out). Never a kernel-internal
 * code such as -EMULTIHOP.
 */
export const VALIDATE_ERRNOS: ReadonlySet<number> = new Set([
  -ENOMEM,
  -ENOSPC,
  -EFAULT,
  -ERESTARTSYS,
  -EINTR,
  -EBUSY,
]);

/** Faults on one page before an access gives up (a liveness bound; never reached in a passing run). */
const MAX_FAULTS = 16;

export interface FaultTally {
  faults: number;
  sigbus: number;
  pagesMapped: number;
}

/**
 * A user access to BO page `page` of `vma`: fault until a PTE is there. Returns false when the access
 * got SIGBUS (populate failed: out of pages or IOVA space, which the kernel reports so) or OOM, which a
 * TTM fault must never return (it runs the OOM killer): that is recorded as a breach. With `data`, the
 * mapped page is read and checked against what the BO last wrote (src/sim/data_checks.ts), and with
 * `write` the next word is written through the PTE after it.
 */
export function* touchPage(
  vma: CpuMapping,
  page: number,
  who: string,
  tally: FaultTally,
  breaches: Breach[],
  data: PageData | null = null,
  write = false,
): KGen<boolean> {
  for (let attempt = 0; attempt < MAX_FAULTS; attempt += 1) {
    const pte = vma.ptes.get(page);
    if (pte !== undefined) {
      tally.pagesMapped += 1;
      if (data !== null) {
        data.verifyPte(vma.bo, pte, page, who);
        if (write) data.cpuWritePte(vma.bo, pte, page);
      }
      return true;
    }
    tally.faults += 1;
    const flags = { allowRetry: attempt === 0, retryNowait: false, interruptible: true };
    const ret = yield* ttmBoVmFault(vma, page, flags);
    if (ret === 'SIGBUS') {
      tally.sigbus += 1;
      return false;
    }
    if (ret === 'OOM') {
      breaches.push({
        id: 'correctness.fault-oom',
        actor: who,
        message: `fault on ${vma.bo.id} page ${page} returned VM_FAULT_OOM: the OOM killer runs for a TTM fault`,
      });
      return false;
    }
  }
  breaches.push({
    id: 'correctness.fault-stuck',
    actor: who,
    message: `${vma.bo.id} page ${page} still unmapped after ${MAX_FAULTS} faults`,
  });
  return false;
}

/**
 * The workload of a scenario with one world whose BOs are all in `bos`: its stats and end-of-run checks
 * as given, each BO described by its size and whether it was destroyed. Methods, not arrow properties:
 * under tsx, keepNames names every arrow stored in a property with a defineProperty call per run.
 */
export function oneWorldWorkload(
  global: TtmGlobal,
  bos: readonly BufferObject[],
  stats: () => Record<string, number>,
  check: () => Breach[],
): Workload {
  return {
    stats() {
      return stats();
    },
    check() {
      return check();
    },
    describe() {
      return bos.map(
        (bo) => `${bo.id} ${bo.size / PAGE_SIZE} pages: ${bo.destroyed ? 'destroyed' : 'alive'}`,
      );
    },
    worlds() {
      return [global];
    },
  };
}
