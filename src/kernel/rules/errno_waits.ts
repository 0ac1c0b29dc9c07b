// What a wait for a reservation's fences may answer: dma_resv_wait_timeout's kerneldoc RETURNS line
// (drivers/dma-buf/dma-resv.c): -ERESTARTSYS when a signal interrupted it, 0 when the time ran out, more
// than zero when every fence signalled. An uninterruptible wait is never interrupted (dma_fence_wait_timeout
// with intr false sleeps in TASK_UNINTERRUPTIBLE), and a wait for MAX_SCHEDULE_TIMEOUT never runs out of
// time. TTM turns each answer into its own errno (ttm_bo_wait_ctx and ttm_bo_wait_free_node: "if (ret == 0)
// return -EBUSY;"; ttm_bo_vm_fault_idle: -ERESTARTSYS is NOPAGE), so an answer outside the list lands on
// a path no caller was written for. Checked where the model's dma_resv_wait_timeout returns, whoever
// answered the wait (the simulator's task, or the one-thread environment of setup code and unit tests).
// ttm_bo_wait_free_node (drivers/gpu/drm/ttm/ttm_bo_util.c) is where TTM frees memory only after such a
// wait: its postcondition is the second rule.
// Text read from torvalds/linux drivers/dma-buf/dma-resv.c.

import type { BufferObject } from '../bo.ts';
import type { TtmGlobal } from '../device.ts';
import { ERESTARTSYS, errnoName } from '../errno.ts';
import type { Resource } from '../resource.ts';
import { DmaResvUsage } from '../resv.ts';
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

const BO_UTIL_C = 'drivers/gpu/drm/ttm/ttm_bo_util.c';

export const WAIT_FREE_NODE_POST = kernelRule(
  'bo.wait-free-node.post',
  'return',
  "ttm_bo_wait_free_node frees the BO's old resource only once the BO is idle: returning 0 it leaves every fence of the BO signalled and the old resource freed, returning an error (a wait that timed out is -EBUSY) it leaves the BO holding its old resource",
  [
    {
      file: BO_UTIL_C,
      func: 'ttm_bo_wait_free_node',
      text: 'ret = dma_resv_wait_timeout(bo->base.resv, DMA_RESV_USAGE_BOOKKEEP, false, 15 * HZ);',
    },
    { file: BO_UTIL_C, func: 'ttm_bo_wait_free_node', text: 'if (ret == 0) return -EBUSY;' },
    { file: BO_UTIL_C, func: 'ttm_bo_wait_free_node', text: 'ttm_resource_free(bo, &bo->resource);' },
  ],
);

/** The rules of this module, in catalogue order. */
export const ERRNO_WAIT_RULES: readonly KernelRule[] = [RESV_WAIT_RETURNS, WAIT_FREE_NODE_POST];

/** What ttm_bo_wait_free_node returning `ret` left wrong in `bo` (its resource was `old`), or ''. */
export function waitFreeNodeProblem(bo: BufferObject, old: Resource | null, ret: number): string {
  if (ret === 0) {
    if (!bo.resv.testSignaled(DmaResvUsage.BOOKKEEP)) return 'returned 0 with fences of the BO unsignalled';
    if (old !== null && !old.freed) return `returned 0 with ${old.id} not freed`;
    return '';
  }
  if (bo.resource !== old || old?.freed === true)
    return `returned ${errnoName(ret)} but the BO no longer holds ${old?.id ?? 'no resource'}`;
  return '';
}

/** ttm_bo_wait_free_node of `bo` returned `ret` (`old`: its resource at the call). Returns `ret`. */
export function checkWaitFreeNode(bo: BufferObject, old: Resource | null, ret: number): number {
  const problem = waitFreeNodeProblem(bo, old, ret);
  warnOn(bo.bdev.global, WAIT_FREE_NODE_POST, problem !== '', bo.id, problem);
  return ret;
}

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
