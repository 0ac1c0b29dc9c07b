// The rules of src/kernel/rules/swapout.ts (ttm_bo_swapout returns the pages its walk swapped out; a zombie
// the swapout callback finds idle is cleaned up): holding on the model's swapouts, and firing when broken.

import { describe, expect, test } from 'vitest';
import {
  type BufferObject,
  newBufferObject,
  ttmBoInitReserved,
  ttmBoPopulate,
  ttmBoUnreserve,
} from '../../src/kernel/bo.ts';
import { PAGE_SIZE, TTM_PL_SYSTEM } from '../../src/kernel/constants.ts';
import { operationCtx, place, placementOf } from '../../src/kernel/placement.ts';
import { checkSwapoutReturn, checkSwapoutZombie } from '../../src/kernel/rules/swapout.ts';
import { ttmBoSwapout } from '../../src/kernel/swap.ts';
import { runSync } from '../../src/kernel/sync.ts';
import type { TestDevice } from '../kunit/fixtures.ts';
import { world } from './page_fixtures.ts';

/** A SYSTEM BO of `pages` pages with a populated tt, unreserved. */
function systemBo(t: TestDevice, pages: number): BufferObject {
  const bo = newBufferObject(t.bdev, pages * PAGE_SIZE);
  const ctx = operationCtx();
  expect(
    runSync(
      t.env,
      ttmBoInitReserved(
        t.bdev,
        bo,
        'device',
        placementOf(place(TTM_PL_SYSTEM)),
        PAGE_SIZE,
        ctx,
        null,
        null,
        null,
      ),
    ),
  ).toBe(0);
  expect(runSync(t.env, ttmBoPopulate(bo, ctx))).toBe(0);
  ttmBoUnreserve(bo);
  return bo;
}

function swapout(t: TestDevice, target: number): number {
  return runSync(t.env, ttmBoSwapout(t.bdev, operationCtx(), t.bdev.manager(TTM_PL_SYSTEM)!, target));
}

describe('the swapout rules hold on the model', () => {
  test('target 5 over BOs of 2, 3 and 2 pages: the first two swapped, 5 pages returned, no rule broken', () => {
    const t = world();
    systemBo(t, 2);
    systemBo(t, 3);
    systemBo(t, 2);
    expect(swapout(t, 5)).toBe(5);
    expect(t.global.swap.usedPages).toBe(5);
    expect(t.global.ruleBroken).toBeNull();
  });

  test('a zombie is cleaned up and counted; a pinned-free idle zombie leaves nothing', () => {
    const t = world();
    const bo = systemBo(t, 3);
    bo.deleted = true;
    expect(swapout(t, 1)).toBe(3);
    expect([bo.ttm, bo.resource]).toEqual([null, null]);
    expect(t.global.ruleBroken).toBeNull();
  });

  test('swap space full: nothing swapped, 0 returned, no rule broken', () => {
    const t = world({ swapPages: 1 });
    systemBo(t, 2);
    expect(swapout(t, 1)).toBe(0);
    expect(t.global.ruleBroken).toBeNull();
  });
});

describe('the swapout rules fire', () => {
  test('bo.swapout.returns-swapped: 0 returned after 4 pages went to swap', () => {
    const t = world();
    checkSwapoutReturn(t.global, 'device:0/man0', 0, 4);
    expect(t.global.ruleBroken?.rule.id).toBe('bo.swapout.returns-swapped');
    expect(t.global.ruleBroken?.actor).toBe('device:0/man0');
    expect(t.global.ruleBroken?.message).toBe(
      'when ttm_bo_swapout returns n ≥ 0, n is the number of pages its walk took out of RAM (tts swapped out to shmem, zombies’ tts torn down): returned 0, but its walk took 4 pages out of RAM',
    );
  });

  test('bo.swapout.returns-swapped: an error return is not judged', () => {
    const t = world();
    checkSwapoutReturn(t.global, 'device:0/man0', -4, 4);
    expect(t.global.ruleBroken).toBeNull();
  });

  test('bo.swapout.zombie-cleaned: a zombie whose callback returned 0 still holds its tt and resource', () => {
    const t = world();
    const bo = systemBo(t, 2);
    bo.deleted = true;
    checkSwapoutZombie(t.global, bo, true, 0);
    expect(t.global.ruleBroken?.rule.id).toBe('bo.swapout.zombie-cleaned');
    expect(t.global.ruleBroken?.actor).toBe(bo.id);
    expect(t.global.ruleBroken?.message).toBe(
      `ttm_bo_swapout_cb on a deleted BO with a populated tt returns its wait’s error, or num_pages once the BO is cleaned up: a return ≥ 0 leaves it no tt and no resource: ${bo.id} returned 0 and still holds ${bo.ttm!.id} and ${bo.resource!.id}`,
    );
  });
});
