// The statecharts as specifications: in each state, an event the kernel forbids there is refused (no
// transition: XState's can() is false and the snapshot does not change, which the simulator reports as a
// crash), while the edges the kernel takes there are accepted.

import { describe, expect, test } from 'vitest';
import { type AnyActorRef, type AnyStateMachine, createActor } from 'xstate';
import {
  dmaResvMachine,
  ttmBoMachine,
  ttmPoolMachine,
  ttmResourceManagerMachine,
  ttmTtMachine,
} from '../../machines/index.ts';
import { stateString } from '../../src/sim/mirror.ts';

type Ev = { type: string } & Record<string, unknown>;

function start(machine: AnyStateMachine, input?: unknown): AnyActorRef {
  return createActor(machine, input === undefined ? {} : { input }).start();
}

/** Send `events` in turn; the state after each, `!` marking an event the chart refused. */
function run(actor: AnyActorRef, events: readonly Ev[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    const before = actor.getSnapshot();
    const can = before.can(e);
    actor.send(e);
    const after = actor.getSnapshot();
    out.push(`${stateString(after.value)}${!can && after === before ? ' !' : ''}`);
  }
  return out;
}

describe('dma_resv', () => {
  test('unlocked refuses resv.unlocked (unlock of an unlocked mutex); locked accepts it', () => {
    const a = start(dmaResvMachine);
    expect(
      run(a, [
        { type: 'resv.unlocked' },
        { type: 'resv.locked', by: 'task:a', waiters: 0 },
        { type: 'resv.locked', by: 'task:a', waiters: 1 },
        { type: 'resv.unlocked' },
        { type: 'resv.unlocked' },
      ]),
    ).toEqual(['unlocked !', 'locked.uncontended', 'locked.contended', 'unlocked', 'unlocked !']);
  });
});

describe('memory usage charts and the resource manager', () => {
  test('ttm_pool: a usage below zero is refused in empty and in used', () => {
    const a = start(ttmPoolMachine);
    expect(
      run(a, [
        { type: 'mem.usage', pages: -1, op: 'give' },
        { type: 'mem.usage', pages: 4, op: 'give' },
        { type: 'mem.usage', pages: -3, op: 'take' },
        { type: 'mem.usage', pages: 0, op: 'take' },
      ]),
    ).toEqual(['empty !', 'used', 'used !', 'empty']);
    expect(a.getSnapshot().context.pages).toBe(0);
  });

  test('ttm_resource_manager: a usage below zero is refused, used or not', () => {
    const a = start(ttmResourceManagerMachine);
    expect(
      run(a, [
        { type: 'man.usage', usage: -4096 },
        { type: 'man.enable' },
        { type: 'man.usage', usage: 8192 },
        { type: 'man.usage', usage: -1 },
      ]),
    ).toEqual(['unused !', 'used', 'used', 'used !']);
    expect(a.getSnapshot().context.usage).toBe(8192);
  });
});

describe('ttm_tt', () => {
  test('populated refuses tt.destroy (its pages would leak); destroyed refuses everything', () => {
    const a = start(ttmTtMachine);
    expect(
      run(a, [
        { type: 'tt.populate', pages: 2 },
        { type: 'tt.destroy' },
        { type: 'tt.swapout', pages: 2 },
        { type: 'tt.destroy' },
        { type: 'tt.populate', pages: 2 },
        { type: 'tt.destroy' },
      ]),
    ).toEqual(['populated', 'populated !', 'swapped', 'destroyed', 'destroyed !', 'destroyed !']);
  });

  test('backed up, restoring and purged tts may be destroyed (ttm_tt_fini drops what they hold)', () => {
    for (const [events, last] of [
      [[{ type: 'tt.backup', pages: 2, purge: false }], 'backedUp'],
      [[{ type: 'tt.backup', pages: 2, purge: false }, { type: 'tt.restore.interrupted' }], 'restoring'],
      [[{ type: 'tt.backup', pages: 2, purge: true }], 'purged'],
    ] as const) {
      const a = start(ttmTtMachine);
      const seen = run(a, [{ type: 'tt.populate', pages: 2 }, ...events, { type: 'tt.destroy' }]);
      expect(seen.at(-2)).toBe(last);
      expect(seen.at(-1)).toBe('destroyed');
    }
  });
});

describe('ttm_bo', () => {
  const B = (rest: string) => `lifecycle.${rest}`;

  test('an unplaced BO refuses bo.moved, bo.evicted and bo.unplaced', () => {
    const a = start(ttmBoMachine, { size: 4096 });
    expect(
      run(a, [
        { type: 'bo.init', boType: 'device' },
        { type: 'bo.moved', memType: 1, bytes: 4096 },
        { type: 'bo.evicted', memType: 0, bytes: 4096 },
        { type: 'bo.unplaced' },
        { type: 'bo.placed', memType: 2, res: 'res:0' },
        { type: 'bo.evicted', memType: 1, bytes: 4096 },
        { type: 'bo.unplaced' },
      ]),
    ).toEqual([
      B('initialized placement.unplaced pin.unpinned'),
      B('initialized placement.unplaced pin.unpinned !'),
      B('initialized placement.unplaced pin.unpinned !'),
      B('initialized placement.unplaced pin.unpinned !'),
      B('initialized placement.placed.vram pin.unpinned'),
      B('initialized placement.placed.vram pin.unpinned'),
      B('initialized placement.unplaced pin.unpinned'),
    ]);
    expect(a.getSnapshot().context.evictions).toBe(1);
  });

  test('pin counts move by one: a pin to 2 from 0, an unpin to 0 from 2, and an unpin while unpinned are refused', () => {
    const a = start(ttmBoMachine, { size: 4096 });
    expect(
      run(a, [
        { type: 'bo.pin', count: 2 },
        { type: 'bo.unpin', count: 0 },
        { type: 'bo.pin', count: 1 },
        { type: 'bo.pin', count: 2 },
        { type: 'bo.unpin', count: 0 },
        { type: 'bo.unpin', count: 1 },
        { type: 'bo.unpin', count: 0 },
        { type: 'bo.unpin', count: -1 },
      ]).map((s) => s.replace('lifecycle.allocated placement.unplaced ', '')),
    ).toEqual([
      'pin.unpinned !',
      'pin.unpinned !',
      'pin.pinned',
      'pin.pinned',
      'pin.pinned !',
      'pin.pinned',
      'pin.unpinned',
      'pin.unpinned !',
    ]);
  });

  test('a destroyed BO refuses every event: unmap, tt, placed, pin, zombie, init', () => {
    const a = start(ttmBoMachine, { size: 4096 });
    run(a, [
      { type: 'bo.init', boType: 'device' },
      { type: 'bo.placed', memType: 0, res: 'res:0' },
      { type: 'bo.unplaced' },
      { type: 'bo.destroy' },
    ]);
    expect(stateString(a.getSnapshot().value)).toBe('lifecycle.destroyed placement.unplaced pin.unpinned');
    const refused = run(a, [
      { type: 'bo.unmap' },
      { type: 'bo.tt', flags: 0 },
      { type: 'bo.placed', memType: 1, res: 'res:1' },
      { type: 'bo.pin', count: 1 },
      { type: 'bo.zombie' },
      { type: 'bo.init', boType: 'device' },
    ]);
    expect(refused).toEqual(Array(6).fill('lifecycle.destroyed placement.unplaced pin.unpinned !'));
    expect(a.getSnapshot().context).toMatchObject({
      unmaps: 0,
      ttFlags: null,
      memType: null,
      destroyed: true,
    });
  });
});
