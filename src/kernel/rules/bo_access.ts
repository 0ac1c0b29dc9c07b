// The contract of ttm_bo_access (drivers/gpu/drm/ttm/ttm_bo_vm.c), the helper ptrace (through
// ttm_bo_vm_access) and devcoredumps use to read or write a BO the CPU cannot map: it returns @len when
// it accessed the range, and -EIO for a range that is empty or runs past the BO, or for memory no path
// reaches (neither SYSTEM nor TT, and no driver access_memory hook). Checked where src/kernel/bo_vm.ts
// mirrors ttm_bo_access returning.

import type { BufferObject } from '../bo.ts';
import { TTM_PL_SYSTEM, TTM_PL_TT } from '../constants.ts';
import { EIO } from '../errno.ts';
import { type KernelRule, kernelRule, warnOn } from './check.ts';

const VM = 'drivers/gpu/drm/ttm/ttm_bo_vm.c';

export const BO_ACCESS_RETURNS = kernelRule(
  'bo.access.returns',
  'return',
  'ttm_bo_access returns len when it accessed the range, and -EIO only for a range that is empty or runs past the BO, or for a resource neither in SYSTEM nor in TT',
  [
    {
      file: VM,
      func: 'ttm_bo_access',
      text: ' * Return: @len if successful, negative error code on failure.',
    },
    {
      file: VM,
      func: 'ttm_bo_access',
      text: 'if (unlikely(len < 1 || (offset + (unsigned long)len) > bo->base.size))',
    },
    { file: VM, func: 'ttm_bo_access', text: 'ret = ttm_bo_vm_access_kmap(bo, offset, buf, len, write);' },
  ],
);

/**
 * bo.access.returns when ttm_bo_access of `len` bytes at `offset` of `bo` returns `ret` (the BO's resource
 * is the one the access saw: the resv was held from the decision to the return, with no scheduling point
 * after the unlock). Returns `ret`.
 */
export function checkBoAccessReturn(bo: BufferObject, offset: number, len: number, ret: number): number {
  const inRange = len >= 1 && offset + len <= bo.size;
  const memType = bo.resource?.memType ?? null;
  const kmap = memType === TTM_PL_SYSTEM || memType === TTM_PL_TT;
  let why = '';
  if (ret >= 0 && ret !== len) why = `returned ${ret} for an access of ${len} bytes`;
  else if (ret === -EIO && inRange && kmap) {
    why = `returned -EIO for ${len} bytes at ${offset} of a ${bo.size}-byte BO in ${memType === TTM_PL_TT ? 'TT' : 'SYSTEM'}`;
  }
  warnOn(bo.bdev.global, BO_ACCESS_RETURNS, why !== '', bo.id, why);
  return ret;
}

/** The rules of this module. */
export const BO_ACCESS_RULES: readonly KernelRule[] = [BO_ACCESS_RETURNS];
