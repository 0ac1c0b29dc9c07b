// Tests of the address-routed bus: routing, duplicate and unknown addresses, synchronous errors.

import { describe, expect, it } from 'vitest';
import { Bus } from '../../src/engine/bus.ts';
import type { Envelope } from '../../src/engine/types.ts';

const env = (to: string, seq = 0): Envelope => ({
  seq,
  from: 'engine',
  to,
  msg: { type: 'task.run' },
  sent: -1,
});

describe('Bus', () => {
  it('delivers only to the handler attached at env.to', () => {
    const bus = new Bus();
    const got: string[] = [];
    bus.attach('a', (e) => got.push(`a${e.seq}`));
    bus.attach('b', (e) => got.push(`b${e.seq}`));
    bus.send(env('b', 1));
    bus.send(env('a', 2));
    bus.send(env('b', 3));
    expect(got).toEqual(['b1', 'a2', 'b3']);
  });

  it('delivery is synchronous', () => {
    const bus = new Bus();
    let n = 0;
    bus.attach('a', () => {
      n += 1;
    });
    bus.send(env('a'));
    expect(n).toBe(1);
  });

  it('duplicate attach → Error naming the id', () => {
    const bus = new Bus();
    bus.attach('bo:1', () => {});
    expect(() => bus.attach('bo:1', () => {})).toThrow(/bo:1/);
  });

  it('send to an unknown address → Error naming the id', () => {
    const bus = new Bus();
    expect(() => bus.send(env('bo:404'))).toThrow(/'bo:404'/);
  });

  it('has / detach', () => {
    const bus = new Bus();
    bus.attach('a', () => {});
    expect(bus.has('a')).toBe(true);
    expect(bus.detach('a')).toBe(true);
    expect(bus.has('a')).toBe(false);
    expect(bus.detach('a')).toBe(false);
    expect(() => bus.send(env('a'))).toThrow(/'a'/);
  });

  it('an id can be attached again after detach', () => {
    const bus = new Bus();
    bus.attach('a', () => {});
    bus.detach('a');
    const got: number[] = [];
    bus.attach('a', (e) => got.push(e.seq));
    bus.send(env('a', 7));
    expect(got).toEqual([7]);
  });

  it('a handler exception is rethrown synchronously by send, and the route keeps working', () => {
    const bus = new Bus();
    let calls = 0;
    bus.attach('a', () => {
      calls += 1;
      if (calls === 1) throw new Error('boom');
    });
    expect(() => bus.send(env('a'))).toThrow('boom');
    expect(() => bus.send(env('a'))).not.toThrow();
    expect(calls).toBe(2);
  });

  it('nested send from a handler is depth-first; an inner exception reaches the outer caller', () => {
    const bus = new Bus();
    const log: string[] = [];
    bus.attach('a', () => {
      log.push('a:in');
      bus.send(env('b'));
      log.push('a:out');
    });
    bus.attach('b', () => log.push('b'));
    bus.send(env('a'));
    expect(log).toEqual(['a:in', 'b', 'a:out']);
    bus.attach('c', () => bus.send(env('nowhere')));
    expect(() => bus.send(env('c'))).toThrow(/'nowhere'/);
  });

  it('deliveries$: observers see every delivery made while subscribed, after its handler, in order', () => {
    const bus = new Bus();
    const log: string[] = [];
    bus.attach('a', (e) => log.push(`handler a${e.seq}`));
    bus.attach('b', (e) => log.push(`handler b${e.seq}`));
    bus.send(env('a', 0));
    const sub = bus.deliveries$.subscribe((e) => log.push(`seen ${e.to}${e.seq}`));
    bus.send(env('b', 1));
    bus.send(env('a', 2));
    sub.unsubscribe();
    bus.send(env('b', 3));
    expect(log).toEqual(['handler a0', 'handler b1', 'seen b1', 'handler a2', 'seen a2', 'handler b3']);
  });
});
