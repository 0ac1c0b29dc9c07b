// Postconditions of the exported TTM functions (what holds when each returns 0, and for each errno it can
// return), checked on return through the rule mechanism of src/kernel/rules/check.ts.

import type { KernelRule } from './rules/check.ts';

/** Every postcondition rule, in catalogue order. */
export const POSTCONDITION_RULES: readonly KernelRule[] = [];
