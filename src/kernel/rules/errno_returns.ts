// What the exported functions on TTM's allocation and shrinking error paths may return: the kernel's
// convention for an action (Documentation/process/coding-style.rst, "Function return values and names":
// an error-code integer, -Exxx on failure and 0 on success, which "All EXPORTed functions must respect"),
// the kerneldoc "Returns:" lines of ttm_pool_alloc and ttm_pool_restore_and_alloc (drivers/gpu/drm/ttm/
// ttm_pool.c), and ttm_bo_shrink's count-or-errno with the errors it turns into -EBUSY
// (drivers/gpu/drm/ttm/ttm_bo_util.c). Checked on return, where the model's functions hand their value
// back; what the objects look like after each error is src/kernel/rules/errno_post.ts. Text read from
// torvalds/linux (≈v6.15-v6.17).

import type { TtmGlobal } from '../device.ts';
import { ENOMEM, ENOSPC, errnoName } from '../errno.ts';
import { type KernelRule, kernelRule, warnOn } from './check.ts';

const POOL_C = 'drivers/gpu/drm/ttm/ttm_pool.c';
const TT_C = 'drivers/gpu/drm/ttm/ttm_tt.c';
const BO_UTIL_C = 'drivers/gpu/drm/ttm/ttm_bo_util.c';
const STYLE = {
  file: 'Documentation/process/coding-style.rst',
  func: 'Function return values and names',
  text: 'All EXPORTed functions must respect this convention, and so should all public functions.',
};
const STYLE_CODES = {
  file: 'Documentation/process/coding-style.rst',
  func: 'Function return values and names',
  text: 'Such a value can be represented as an error-code integer (-Exxx = failure, 0 = success)',
};

export const POOL_ALLOC_RETURNS = kernelRule(
  'pool.alloc.returns',
  'return',
  'ttm_pool_alloc returns 0 or a negative errno',
  [
    {
      file: POOL_C,
      func: 'ttm_pool_alloc',
      text: ' * Returns: 0 on successe, negative error code otherwise.',
    },
  ],
);
export const POOL_RESTORE_RETURNS = kernelRule(
  'pool.restore-and-alloc.returns',
  'return',
  'ttm_pool_restore_and_alloc returns 0 or a negative errno',
  [
    {
      file: POOL_C,
      func: 'ttm_pool_restore_and_alloc',
      text: ' * Returns: 0 on successe, negative error code otherwise.',
    },
  ],
);
export const TT_POPULATE_RETURNS = kernelRule(
  'tt.populate.returns',
  'return',
  'ttm_tt_populate (exported) returns 0 or a negative errno',
  [{ file: TT_C, func: 'ttm_tt_populate', text: 'EXPORT_SYMBOL(ttm_tt_populate);' }, STYLE, STYLE_CODES],
);
export const BO_SHRINK_RETURNS = kernelRule(
  'bo.shrink.returns',
  'return',
  'ttm_bo_shrink returns the pages shrunken or purged (≥ 0) or a negative errno, never -ENOMEM or -ENOSPC: those of the move to SYSTEM, and every backup error but -EINTR, become -EBUSY',
  [
    {
      file: BO_UTIL_C,
      func: 'ttm_bo_shrink',
      text: ' * Return: The number of pages shrunken or purged, or negative error code on failure.',
    },
    { file: BO_UTIL_C, func: 'ttm_bo_shrink', text: '/* Consider -ENOMEM and -ENOSPC non-fatal. */' },
    { file: BO_UTIL_C, func: 'ttm_bo_shrink', text: 'if (lret < 0 && lret != -EINTR) return -EBUSY;' },
  ],
);

/** The rules of this module, in catalogue order. */
export const ERRNO_RETURN_RULES: readonly KernelRule[] = [
  POOL_ALLOC_RETURNS,
  POOL_RESTORE_RETURNS,
  TT_POPULATE_RETURNS,
  BO_SHRINK_RETURNS,
];

/** `ret` is a negative errno the kernel defines (include/uapi/asm-generic/errno*.h, linux/errno.h). */
export function isNegativeErrno(ret: number): boolean {
  return Number.isInteger(ret) && ret < 0 && errnoName(ret) !== String(ret);
}

/** `rule` for a function returning an error-code integer: `ret` is 0 or a negative errno. Returns `ret`. */
export function checkErrnoReturn(g: TtmGlobal | null, rule: KernelRule, actor: string, ret: number): number {
  const broken = ret !== 0 && !isNegativeErrno(ret);
  warnOn(g, rule, broken, actor, broken ? `returned ${ret}` : '');
  return ret;
}

/** bo.shrink.returns: ttm_bo_shrink of `actor` returned `ret`. Returns `ret`. */
export function checkBoShrinkReturn(g: TtmGlobal | null, actor: string, ret: number): number {
  const count = Number.isInteger(ret) && ret >= 0;
  const broken = !count && (!isNegativeErrno(ret) || ret === -ENOMEM || ret === -ENOSPC);
  warnOn(g, BO_SHRINK_RETURNS, broken, actor, broken ? `returned ${errnoName(ret)}` : '');
  return ret;
}
