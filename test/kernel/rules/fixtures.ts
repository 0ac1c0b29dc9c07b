// Helpers of the kernel-rule tests: a placed BO and the assertion that exactly one rule broke.

import { expect } from 'vitest';
import { type BufferObject, ttmBoAssignMem } from '../../../src/kernel/bo.ts';
import type { TtmGlobal } from '../../../src/kernel/device.ts';
import type { Place } from '../../../src/kernel/placement.ts';
import { type Resource, ttmResourceAlloc } from '../../../src/kernel/resource.ts';

/** A resource of `place` assigned to `bo` without a move (the BO's resv need not be held). */
export function placeBo(bo: BufferObject, pl: Place): Resource {
  const res = ttmResourceAlloc(bo, pl);
  if (typeof res === 'number') throw new Error(`ttm_resource_alloc failed with ${res}`);
  ttmBoAssignMem(bo, res);
  return res;
}

/**
 * The world's first (and so only recorded) broken rule is `id`, about `actor`. A rule broken earlier in
 * the test would be the one recorded instead, so this also says nothing else broke before it.
 */
export function expectBroken(g: TtmGlobal, id: string, actor: string): void {
  expect(g.ruleBroken?.rule.id).toBe(id);
  expect(g.ruleBroken?.actor).toBe(actor);
}

/** No rule broke in this world. */
export function expectNoneBroken(g: TtmGlobal): void {
  expect(g.ruleBroken).toBe(null);
}
