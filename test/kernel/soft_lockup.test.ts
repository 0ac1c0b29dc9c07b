// The soft-lockup watchdog of the model's loops (src/kernel/rules/soft_lockup.ts): a loop that turns
// more often in one call than any structure of the model holds throws SoftLockup, and a run reports it
// as the liveness failure liveness.soft-lockup.

import { describe, expect, it } from 'vitest';
import { TTM_MAX_BO_PRIORITY } from '../../src/kernel/constants.ts';
import { listAddTail } from '../../src/kernel/list.ts';
import { LruItem, ResourceCursor, type ResourceManager } from '../../src/kernel/resource.ts';
import {
  lockupSpins,
  SOFT_LOCKUP_SPINS,
  SoftLockup,
  softLockupSpin,
} from '../../src/kernel/rules/soft_lockup.ts';

describe('soft lockup', () => {
  it('fires on the turn after SOFT_LOCKUP_SPINS in one call, naming the loop', () => {
    const spins = lockupSpins();
    for (let i = 0; i < SOFT_LOCKUP_SPINS; i++) softLockupSpin(spins, 'loop');
    expect(spins.n).toBe(SOFT_LOCKUP_SPINS);
    let caught: unknown = null;
    try {
      softLockupSpin(spins, 'loop');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SoftLockup);
    expect((caught as SoftLockup).loop).toBe('loop');
    expect((caught as SoftLockup).spins).toBe(SOFT_LOCKUP_SPINS + 1);
    expect((caught as SoftLockup).message).toBe(
      `BUG: soft lockup: loop turned ${SOFT_LOCKUP_SPINS + 1} times in one call without returning`,
    );
  });

  it('stops ttm_resource_manager_next on an LRU list that no longer leads back to its head', () => {
    const lru = Array.from({ length: TTM_MAX_BO_PRIORITY }, () => new LruItem(null, true));
    const man = { cursors: new Set(), lru } as unknown as ResourceManager;
    // Two hitch-like items on priority 0's list, then the second's next pointed back at the first (a
    // node linked into a second list without being taken off the first leaves such a cycle).
    const a = new LruItem(null);
    const b = new LruItem(null);
    listAddTail(a, lru[0]!);
    listAddTail(b, lru[0]!);
    b.next = a;
    const cursor = new ResourceCursor(man);
    expect(() => cursor.next()).toThrow(new SoftLockup('ttm_resource_manager_next', SOFT_LOCKUP_SPINS + 1));
  });

  it('lets a right walk through: every list of the model is far shorter than the bound', () => {
    const lru = Array.from({ length: TTM_MAX_BO_PRIORITY }, () => new LruItem(null, true));
    const man = { cursors: new Set(), lru } as unknown as ResourceManager;
    for (let i = 0; i < 1000; i++) listAddTail(new LruItem(null), lru[i % TTM_MAX_BO_PRIORITY]!);
    expect(new ResourceCursor(man).next()).toBeNull();
  });
});
