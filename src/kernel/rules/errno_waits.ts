// What a wait for a reservation's fences may answer: dma_resv_wait_timeout's kerneldoc RETURNS line
// (drivers/dma-buf/dma-resv.c): -ERESTARTSYS when a signal interrupted it, 0 when the time ran out, more
// than zero when every fence signalled. An uninterruptible wait is never interrupted (dma_fence_wait_timeout
// with intr false sleeps in TASK_UNINTERRUPTIBLE), and a wait for MAX_SCHEDULE_TIMEOUT never runs out of
// time. TTM turns each answer into its own errno (ttm_bo_wait_ctx and ttm_bo_wait_free_node: "if (ret == 0)
// return -EBUSY;"; ttm_bo_vm_fault_idle: -ERESTARTSYS is NOPAGE), so an answer outside the list lands on
// a path no caller was written for. Checked where the model's dma_resv_wait_timeout returns, whoever
// answered the wait (the simulator's task, or the one-thread environment of setup code and unit tests).
// Text read from torvalds/linux drivers/dma-buf/dma-resv.c.

import type { TtmGlobal } from '../device.ts';
import { ERESTARTSYS, errnoName } from '../errno.ts';
import { type KernelRule, kernelRule, warnOn } from './check.ts';

const DMA_RESV_C = 'drivers/dma-buf/dma-resv.c';

export const RESV_WAIT_RETURNS = kernelRule(
  'dma-resv.wait-timeout.returns',
  'return',
  'dma_resv_wait_timeout returns more than zero when the fences signalled, 0 only for a wait with a timeout that ran out, -ERESTARTSYS only for an interruptible wait, nothing else',
  [
    {
      file: DMA_RESV_C,
      func: 'dma_resv_wait_timeout',
      text: ' * Returns -ERESTARTSYS if interrupted, 0 if the wait timed out, or',
    },
    { file: DMA_RESV_C, func: 'dma_resv_wait_timeout', text: ' * greater than zer on success.' },
  ],
);

/** The rules of this module, in catalogue order. */
export const ERRNO_WAIT_RULES: readonly KernelRule[] = [RESV_WAIT_RETURNS];

/** Why `ret` is not an answer dma_resv_wait_timeout gives to such a wait, or ''. */
export function waitAnswerProblem(ret: number, interruptible: boolean, timeoutMs: number | null): string {
  if (ret > 0) return '';
  if (ret === 0) return timeoutMs === null ? 'timed out (0), but the wait had no timeout' : '';
  if (ret === -ERESTARTSYS)
    return interruptible ? '' : 'interrupted (-ERESTARTSYS), but the wait was uninterruptible';
  return `returned ${errnoName(ret)}`;
}

/** dma_resv_wait_timeout of `resv` (world `g`) answered `ret`; returns `ret`. */
export function checkWaitReturn(
  g: TtmGlobal | null,
  resv: string,
  interruptible: boolean,
  timeoutMs: number | null,
  ret: number,
): number {
  const problem = waitAnswerProblem(ret, interruptible, timeoutMs);
  warnOn(g, RESV_WAIT_RETURNS, problem !== '', resv, problem);
  return ret;
}
