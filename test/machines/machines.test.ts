// Unit tests of the statecharts in machines/*.machine.ts and of the Mirror that drives them (src/sim/mirror.ts).

import { describe, expect, test } from 'vitest';
import { createActor } from 'xstate';
import {
  dmaResvMachine,
  gpuRingMachine,
  taskMachine,
  ttmBoMachine,
  ttmDeviceMachine,
  ttmResourceMachine,
  ttmResourceManagerMachine,
} from '../../machines/index.ts';
import type { Effect } from '../../src/engine/types.ts';
import { ttmBoAssignMem, ttmBoPin, ttmBoUnpin } from '../../src/kernel/bo.ts';
import { PAGE_SIZE, TTM_PL_SYSTEM, TTM_PL_VRAM } from '../../src/kernel/constants.ts';
import { place } from '../../src/kernel/placement.ts';
import { ttmResourceAlloc, ttmResourceFree } from '../../src/kernel/resource.ts';
import { Mirror, stateString } from '../../src/sim/mirror.ts';
import { kunitBo, mockManagerInit, testDevice } from '../kunit/fixtures.ts';

function boActor(size = 4096) {
  return createActor(ttmBoMachine, { input: { size } }).start();
}

function boState(actor: ReturnType<typeof boActor>): string {
  return stateString(actor.getSnapshot().value);
}

describe('ttm_bo machine', () => {
  test('ttm_bo: fresh actor → allocated, unplaced, unpinned, context from input', () => {
    const bo = boActor(8192);
    expect(boState(bo)).toBe('lifecycle.allocated placement.unplaced pin.unpinned');
    expect(bo.getSnapshot().context).toEqual({
      size: 8192,
      memType: null,
      pinCount: 0,
      moves: 0,
      evictions: 0,
      unmaps: 0,
      ttFlags: null,
      destroyed: false,
    });
  });

  test('ttm_bo: bo.init then bo.placed{memType 2} → initialized, placed.vram, memType 2', () => {
    const bo = boActor();
    bo.send({ type: 'bo.init', boType: 'device' });
    bo.send({ type: 'bo.placed', memType: TTM_PL_VRAM, res: 'res:0' });
    expect(boState(bo)).toBe('lifecycle.initialized placement.placed.vram pin.unpinned');
    expect(bo.getSnapshot().context.memType).toBe(2);
  });

  test('ttm_bo: bo.placed memType 0 / 1 / 5 → placed.system / placed.tt / placed.driver; bo.unplaced → unplaced', () => {
    const bo = boActor();
    const seen: string[] = [];
    for (const memType of [0, 1, 5]) {
      bo.send({ type: 'bo.placed', memType, res: `res:${memType}` });
      seen.push(boState(bo));
    }
    expect(seen).toEqual([
      'lifecycle.allocated placement.placed.system pin.unpinned',
      'lifecycle.allocated placement.placed.tt pin.unpinned',
      'lifecycle.allocated placement.placed.driver pin.unpinned',
    ]);
    expect(bo.getSnapshot().context.memType).toBe(5);
    bo.send({ type: 'bo.unplaced' });
    expect(boState(bo)).toBe('lifecycle.allocated placement.unplaced pin.unpinned');
    expect(bo.getSnapshot().context.memType).toBeNull();
  });

  test('ttm_bo: pin count 2, unpin to 1 → still pinned; unpin to 0 → unpinned', () => {
    const bo = boActor();
    bo.send({ type: 'bo.pin', count: 1 });
    bo.send({ type: 'bo.pin', count: 2 });
    expect(boState(bo)).toBe('lifecycle.allocated placement.unplaced pin.pinned');
    expect(bo.getSnapshot().context.pinCount).toBe(2);
    bo.send({ type: 'bo.unpin', count: 1 });
    expect(boState(bo)).toBe('lifecycle.allocated placement.unplaced pin.pinned');
    expect(bo.getSnapshot().context.pinCount).toBe(1);
    bo.send({ type: 'bo.unpin', count: 0 });
    expect(boState(bo)).toBe('lifecycle.allocated placement.unplaced pin.unpinned');
    expect(bo.getSnapshot().context.pinCount).toBe(0);
  });

  test('ttm_bo: bo.unpin while unpinned → not accepted, snapshot unchanged', () => {
    const bo = boActor();
    const before = bo.getSnapshot();
    expect(before.can({ type: 'bo.unpin', count: 0 })).toBe(false);
    bo.send({ type: 'bo.unpin', count: 0 });
    expect(bo.getSnapshot()).toBe(before);
  });

  test('ttm_bo: pinned BO goes zombie → lifecycle.zombie, pin.unpinned; bo.destroy → lifecycle.destroyed (final)', () => {
    const bo = boActor();
    bo.send({ type: 'bo.init', boType: 'device' });
    bo.send({ type: 'bo.pin', count: 1 });
    bo.send({ type: 'bo.zombie' });
    expect(boState(bo)).toBe('lifecycle.zombie placement.unplaced pin.unpinned');
    bo.send({ type: 'bo.destroy' });
    expect(boState(bo)).toBe('lifecycle.destroyed placement.unplaced pin.unpinned');
    const snap = bo.getSnapshot();
    expect(snap.can({ type: 'bo.init', boType: 'device' })).toBe(false);
    expect(snap.can({ type: 'bo.zombie' })).toBe(false);
    expect(snap.can({ type: 'bo.destroy' })).toBe(false);
  });

  test('ttm_bo: bo.ghost → ghost; bo.zombie from allocated → not accepted', () => {
    const bo = boActor();
    expect(bo.getSnapshot().can({ type: 'bo.zombie' })).toBe(false);
    bo.send({ type: 'bo.ghost', of: 'bo:0' });
    expect(boState(bo)).toBe('lifecycle.ghost placement.unplaced pin.unpinned');
  });

  test('ttm_bo: placed, moved ×2, evicted, unmap, tt{flags 2} → counters 2/1/1 and ttFlags 2', () => {
    const bo = boActor();
    bo.send({ type: 'bo.placed', memType: 1, res: 'res:0' });
    bo.send({ type: 'bo.moved', memType: 1, bytes: 4096 });
    bo.send({ type: 'bo.moved', memType: 2, bytes: 4096 });
    bo.send({ type: 'bo.evicted', memType: 0, bytes: 4096 });
    bo.send({ type: 'bo.unmap' });
    bo.send({ type: 'bo.tt', flags: 2 });
    const ctx = bo.getSnapshot().context;
    expect([ctx.moves, ctx.evictions, ctx.unmaps, ctx.ttFlags]).toEqual([2, 1, 1, 2]);
  });
});

describe('ttm_bo machine: release of a pinned BO', () => {
  test('bo.pin{1} then bo.zombie → pin.unpinned and context.pinCount 0 (ttm_bo_release clears pin_count)', () => {
    const a = boActor();
    a.send({ type: 'bo.init', boType: 'device' });
    a.send({ type: 'bo.pin', count: 1 });
    a.send({ type: 'bo.zombie' });
    expect(boState(a)).toBe('lifecycle.zombie placement.unplaced pin.unpinned');
    expect(a.getSnapshot().context.pinCount).toBe(0);
  });
});

describe('other machines', () => {
  test('ttm_resource: init → onLru, bump unevictable → unevictable, bump lru0 → onLru, fini → freed (done)', () => {
    const res = createActor(ttmResourceMachine).start();
    const seen: string[] = [stateString(res.getSnapshot().value)];
    res.send({ type: 'res.init', memType: 2, bo: 'bo:0' });
    seen.push(stateString(res.getSnapshot().value));
    res.send({ type: 'res.bump', list: 'unevictable' });
    seen.push(stateString(res.getSnapshot().value));
    res.send({ type: 'res.bump', list: 'lru0' });
    seen.push(stateString(res.getSnapshot().value));
    res.send({ type: 'res.fini' });
    seen.push(stateString(res.getSnapshot().value));
    expect(seen).toEqual(['allocated', 'onLru', 'unevictable', 'onLru', 'freed']);
    expect(res.getSnapshot().status).toBe('done');
  });

  test('ttm_resource_manager: enable, usage 8192, disable → used then unused, usage kept', () => {
    const man = createActor(ttmResourceManagerMachine).start();
    man.send({ type: 'man.enable' });
    man.send({ type: 'man.usage', usage: 8192 });
    expect(man.getSnapshot().value).toBe('used');
    expect(man.getSnapshot().context.usage).toBe(8192);
    man.send({ type: 'man.disable' });
    expect(man.getSnapshot().value).toBe('unused');
    expect(man.getSnapshot().context.usage).toBe(8192);
  });

  test('dma_resv: locked with 0 then 2 waiters, unlocked → uncontended, contended, unlocked; holder tracked', () => {
    const resv = createActor(dmaResvMachine).start();
    resv.send({ type: 'resv.locked', by: 'task:0', waiters: 0 });
    expect(stateString(resv.getSnapshot().value)).toBe('locked.uncontended');
    expect(resv.getSnapshot().context.holder).toBe('task:0');
    resv.send({ type: 'resv.locked', by: 'task:1', waiters: 2 });
    expect(stateString(resv.getSnapshot().value)).toBe('locked.contended');
    expect(resv.getSnapshot().context.holder).toBe('task:1');
    resv.send({ type: 'resv.unlocked' });
    expect(stateString(resv.getSnapshot().value)).toBe('unlocked');
    expect(resv.getSnapshot().context.holder).toBeNull();
  });

  test('gpu_ring: submit ×2, signal ×2 → busy(2), busy(1), idle(0); signal while idle not accepted', () => {
    const ring = createActor(gpuRingMachine).start();
    ring.send({ type: 'ring.submit' });
    ring.send({ type: 'ring.submit' });
    expect([ring.getSnapshot().value, ring.getSnapshot().context.inFlight]).toEqual(['busy', 2]);
    ring.send({ type: 'ring.signal' });
    expect([ring.getSnapshot().value, ring.getSnapshot().context.inFlight]).toEqual(['busy', 1]);
    ring.send({ type: 'ring.signal' });
    expect([ring.getSnapshot().value, ring.getSnapshot().context.inFlight]).toEqual(['idle', 0]);
    expect(ring.getSnapshot().can({ type: 'ring.signal' })).toBe(false);
  });

  test('task: start, block, resume, preempt, resume, exit → exited (done)', () => {
    const task = createActor(taskMachine).start();
    const seen: unknown[] = [];
    for (const type of ['task.start', 'task.block', 'task.resume', 'task.preempt', 'task.resume'] as const) {
      task.send(type === 'task.block' ? { type, on: 'resv' } : { type });
      seen.push(task.getSnapshot().value);
    }
    task.send({ type: 'task.exit' });
    expect(seen).toEqual(['running', 'blocked', 'running', 'runnable', 'running']);
    expect(task.getSnapshot().value).toBe('exited');
    expect(task.getSnapshot().status).toBe('done');
  });

  test('ttm_device: dev.init, dev.fini → live, finished (done)', () => {
    const dev = createActor(ttmDeviceMachine).start();
    dev.send({ type: 'dev.init' });
    expect(dev.getSnapshot().value).toBe('live');
    dev.send({ type: 'dev.fini' });
    expect(dev.getSnapshot().value).toBe('finished');
    expect(dev.getSnapshot().status).toBe('done');
  });
});

describe('stateString', () => {
  test('stateString: string value → itself; nested value → dotted leaf paths in document order', () => {
    expect(stateString('onLru')).toBe('onLru');
    expect(stateString({ a: 'x', b: { c: 'y' }, d: { e: { f: 'z' } } })).toBe('a.x b.c.y d.e.f.z');
    expect(stateString(null)).toBe('');
  });
});

describe('Mirror', () => {
  function mirror(keepLog = false): { m: Mirror; effects: Effect[] } {
    const effects: Effect[] = [];
    return { m: new Mirror((e) => effects.push(e), keepLog), effects };
  }

  test('Mirror.emit: bo.create creates the chart with its size and records no effect', () => {
    const { m, effects } = mirror();
    m.emit('bo', 'bo:0', { type: 'bo.create', size: 12288 });
    expect(m.state('bo:0')).toBe('lifecycle.allocated placement.unplaced pin.unpinned');
    expect(effects).toEqual([]);
    const snap = m.snapshot('bo:0') as { context: { size: number } };
    expect(snap.context.size).toBe(12288);
    expect(m.violations).toEqual([]);
  });

  test('Mirror.emit: bo.init, bo.placed{2} → two effects with exact from/to', () => {
    const { m, effects } = mirror();
    m.emit('bo', 'bo:0', { type: 'bo.create', size: 4096 });
    m.emit('bo', 'bo:0', { type: 'bo.init', boType: 'device' });
    m.emit('bo', 'bo:0', { type: 'bo.placed', memType: 2, res: 'res:0' });
    expect(effects).toEqual([
      {
        actor: 'bo:0',
        event: 'bo.init',
        from: 'lifecycle.allocated placement.unplaced pin.unpinned',
        to: 'lifecycle.initialized placement.unplaced pin.unpinned',
        data: { boType: 'device' },
      },
      {
        actor: 'bo:0',
        event: 'bo.placed',
        from: 'lifecycle.initialized placement.unplaced pin.unpinned',
        to: 'lifecycle.initialized placement.placed.vram pin.unpinned',
        data: { memType: 2, res: 'res:0' },
      },
    ]);
    expect(m.violations).toEqual([]);
    expect(m.counts.get('bo.placed')).toBe(1);
    expect(m.counts.get('bo.create')).toBe(1);
  });

  test('Mirror.emit: res.init twice → violation {res:0, res.init, onLru}, effect onLru → onLru', () => {
    const { m, effects } = mirror();
    m.emit('resource', 'res:0', { type: 'res.init', memType: 2, bo: 'bo:0' });
    m.emit('resource', 'res:0', { type: 'res.init', memType: 2, bo: 'bo:0' });
    expect(m.violations).toEqual([{ actor: 'res:0', event: 'res.init', state: 'onLru' }]);
    expect(effects).toEqual([
      { actor: 'res:0', event: 'res.init', from: 'allocated', to: 'onLru', data: { memType: 2, bo: 'bo:0' } },
      { actor: 'res:0', event: 'res.init', from: 'onLru', to: 'onLru', data: { memType: 2, bo: 'bo:0' } },
    ]);
    expect(m.counts.get('res.init')).toBe(2);
  });

  test('Mirror.emit: bo.destroy then bo.init → violation with the destroyed state', () => {
    const { m } = mirror();
    m.emit('bo', 'bo:7', { type: 'bo.create', size: 4096 });
    m.emit('bo', 'bo:7', { type: 'bo.destroy' });
    m.emit('bo', 'bo:7', { type: 'bo.init', boType: 'device' });
    expect(m.violations).toEqual([
      { actor: 'bo:7', event: 'bo.init', state: 'lifecycle.destroyed placement.unplaced pin.unpinned' },
    ]);
    expect(m.state('bo:7')).toBe('lifecycle.destroyed placement.unplaced pin.unpinned');
  });

  test('Mirror.emit: one chart per id → ids() in creation order, state() undefined for unknown ids', () => {
    const { m } = mirror();
    m.emit('device', 'device:0', { type: 'dev.init' });
    m.emit('manager', 'device:0/man2', { type: 'man.enable' });
    m.emit('resv', 'bo:0/resv', { type: 'resv.locked', by: 'task:0', waiters: 0 });
    expect(m.ids()).toEqual(['device:0', 'device:0/man2', 'bo:0/resv']);
    expect([m.state('device:0'), m.state('device:0/man2'), m.state('bo:0/resv')]).toEqual([
      'live',
      'used',
      'locked.uncontended',
    ]);
    expect(m.state('bo:99')).toBeUndefined();
  });

  test('Mirror.log: keepLog → every event in order (creation included); default → null', () => {
    const { m } = mirror(true);
    m.emit('bo', 'bo:0', { type: 'bo.create', size: 4096 });
    m.emit('bo', 'bo:0', { type: 'bo.pin', count: 1 });
    m.record('task:0', { type: 'task.start' });
    expect(m.log).toEqual([
      { id: 'bo:0', kind: 'bo', event: { type: 'bo.create', size: 4096 } },
      { id: 'bo:0', kind: 'bo', event: { type: 'bo.pin', count: 1 } },
      { id: 'task:0', kind: 'task', event: { type: 'task.start' } },
    ]);
    expect(mirror().m.log).toBeNull();
  });

  test('Mirror.emit: kernel events of alloc, pin ×2, unpin ×2, free → no violation, final chart states', () => {
    const t = testDevice();
    mockManagerInit(t.bdev, TTM_PL_VRAM, 16 * PAGE_SIZE);
    const bo = kunitBo(t, PAGE_SIZE);
    const res = ttmResourceAlloc(bo, place(TTM_PL_VRAM));
    if (typeof res === 'number') throw new Error(`alloc failed: ${res}`);
    ttmBoAssignMem(bo, res);
    ttmBoPin(bo);
    ttmBoPin(bo);
    ttmBoUnpin(bo);
    ttmBoUnpin(bo);
    ttmResourceFree(bo, res);
    ttmBoAssignMem(bo, null);
    const sys = kunitBo(t, PAGE_SIZE);
    const sysRes = ttmResourceAlloc(sys, place(TTM_PL_SYSTEM));
    if (typeof sysRes === 'number') throw new Error(`alloc failed: ${sysRes}`);
    ttmBoAssignMem(sys, sysRes);
    const { m } = mirror();
    for (const e of t.env.events) m.emit(e.kind, e.id, e.event);
    expect(m.violations).toEqual([]);
    expect(m.state(bo.id)).toBe('lifecycle.allocated placement.unplaced pin.unpinned');
    expect(m.state(res.id)).toBe('freed');
    expect(m.state(sys.id)).toBe('lifecycle.allocated placement.placed.system pin.unpinned');
    expect(m.state(sysRes.id)).toBe('onLru');
    expect(m.counts.get('bo.pin')).toBe(2);
    expect(m.counts.get('bo.unpin')).toBe(2);
    expect(
      (m.snapshot(t.bdev.manager(TTM_PL_VRAM)!.id) as { context: { usage: number } }).context.usage,
    ).toBe(0);
  });
});
