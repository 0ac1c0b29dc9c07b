// Tests of the scheduler with small hand-written actors: canonical order, seeded and replayed
// choices, timers and sleeps, effects in the trace, and simulator-bug errors.

import { describe, expect, it } from 'vitest';
import { createActor, createMachine } from 'xstate';
import type { Msg } from '../../src/engine/messages.ts';
import { Rng } from '../../src/engine/prng.ts';
import { Scheduler } from '../../src/engine/scheduler.ts';
import type { StrategyName } from '../../src/engine/token.ts';
import { Trace } from '../../src/engine/trace.ts';
import type { Envelope, SimActor } from '../../src/engine/types.ts';

const RUN: Msg = { type: 'task.run' };

interface Setup {
  readonly seed?: bigint;
  readonly strategy?: StrategyName;
  readonly tape?: readonly number[];
}

function makeScheduler(s: Setup = {}): { sched: Scheduler; trace: Trace } {
  const trace = new Trace({ keepLines: true });
  const rng = Rng.fromSeed(s.seed ?? 1n);
  const opts = { rng, strategy: s.strategy ?? 'random', trace };
  const sched = new Scheduler(s.tape === undefined ? opts : { ...opts, tape: s.tape });
  return { sched, trace };
}

/** An actor that logs what it receives and optionally reacts. */
function recorder(id: string, log: string[], react?: (env: Envelope) => void): SimActor {
  let n = 0;
  return {
    id,
    deliver(env) {
      n += 1;
      log.push(`${id}<${env.msg.type}#${env.seq}`);
      react?.(env);
    },
    state: () => `n${n}`,
  };
}

const parse = (trace: Trace): Record<string, unknown>[] => trace.lines().map((l) => JSON.parse(l));

/** Five actors passing fence.signal messages around forever: every delivery posts one message. */
function pingPong(s: Setup): { sched: Scheduler; trace: Trace } {
  const made = makeScheduler(s);
  const { sched } = made;
  const ids = ['p0', 'p1', 'p2', 'p3', 'p4'];
  ids.forEach((id, i) => {
    let n = 0;
    sched.register({
      id,
      deliver() {
        n += 1;
        const to = ids[(i + 1 + (n % 3)) % ids.length] ?? 'p0';
        sched.post(id, to, { type: 'fence.signal', fence: `f${i}.${n}` });
      },
      state: () => `n${n}`,
    });
  });
  for (const id of ids) {
    sched.post('engine', id, RUN);
    sched.post('engine', id, RUN);
  }
  return made;
}

describe('Scheduler: enabled set and order', () => {
  it('enabled() is sorted by plain string comparison, whatever the post order', () => {
    const { sched } = makeScheduler();
    const log: string[] = [];
    for (const id of ['c', 'a9', 'b', 'a10', 'idle']) sched.register(recorder(id, log));
    for (const id of ['c', 'a9', 'b', 'a10']) sched.post('engine', id, RUN);
    expect(sched.enabled()).toEqual(['a10', 'a9', 'b', 'c']);
  });

  it('fifo always delivers to the first enabled actor; each inbox is FIFO', () => {
    const { sched } = makeScheduler({ strategy: 'fifo' });
    const log: string[] = [];
    for (const id of ['c', 'a', 'b']) sched.register(recorder(id, log));
    sched.post('engine', 'c', RUN);
    sched.post('engine', 'b', RUN);
    sched.post('engine', 'a', RUN);
    sched.post('engine', 'b', { type: 'task.signal', signo: 2 });
    expect(sched.run(100)).toEqual({ steps: 4, quiescent: true });
    expect(log).toEqual(['a<task.run#2', 'b<task.run#1', 'b<task.signal#3', 'c<task.run#0']);
    expect(sched.tape).toEqual([0, 0, 0]);
  });

  it('a step with a single enabled actor records no choice', () => {
    const { sched } = makeScheduler();
    sched.register(recorder('a', []));
    sched.post('engine', 'a', RUN);
    sched.post('engine', 'a', RUN);
    sched.run(10);
    expect(sched.tape).toEqual([]);
    expect(sched.steps).toBe(2);
  });

  it('the enabled set stays equal to the non-empty inboxes over 3000 random steps of 300 actors', () => {
    const { sched } = makeScheduler({ seed: 11n });
    const ids = Array.from({ length: 300 }, (_, i) => `bo:${i}`);
    const drive = Rng.fromSeed(12n);
    for (const id of ids) {
      sched.register({
        id,
        deliver: () => {
          for (let k = drive.below(3); k > 0; k--) sched.post(id, ids[drive.below(ids.length)] ?? '', RUN);
        },
        state: () => '',
      });
    }
    for (let i = 0; i < 50; i++) sched.post('engine', ids[drive.below(ids.length)] ?? '', RUN);
    for (let i = 0; i < 3000 && sched.step(); i++) {
      if (i % 97 !== 0) continue;
      const naive = ids.filter((id) => sched.inbox(id).length > 0).sort();
      expect(sched.enabled()).toEqual(naive);
      expect(sched.pendingCount()).toBe(ids.reduce((a, id) => a + sched.inbox(id).length, 0));
    }
  });

  it('a long inbox (5000 messages) is delivered in post order', () => {
    const { sched } = makeScheduler();
    const seqs: number[] = [];
    sched.register({ id: 'a', deliver: (e) => seqs.push(e.seq), state: () => '' });
    for (let i = 0; i < 5000; i++) sched.post('engine', 'a', RUN);
    sched.run(2500);
    for (let i = 0; i < 100; i++) sched.post('engine', 'a', RUN);
    sched.run(10_000);
    expect(seqs).toEqual(Array.from({ length: 5100 }, (_, i) => i));
  });

  it('inbox(id) lists the waiting envelopes, oldest first', () => {
    const { sched } = makeScheduler();
    sched.register(recorder('a', []));
    sched.post('engine', 'a', RUN);
    sched.post('task:1', 'a', { type: 'fence.signaled', fence: 'f1' });
    sched.step();
    expect(sched.inbox('a')).toEqual([
      { seq: 1, from: 'task:1', to: 'a', msg: { type: 'fence.signaled', fence: 'f1' }, sent: -1 },
    ]);
    expect(sched.pendingCount()).toBe(1);
    expect(() => sched.inbox('zz')).toThrow(/'zz'/);
  });
});

describe('Scheduler: seeds and tapes', () => {
  it('same seed → identical trace sha256 over 500 steps of a 5-actor ping-pong', () => {
    const a = pingPong({ seed: 42n });
    const b = pingPong({ seed: 42n });
    expect(a.sched.run(500)).toEqual({ steps: 500, quiescent: false });
    b.sched.run(500);
    expect(a.trace.count).toBe(500);
    expect(a.trace.sha256()).toBe(b.trace.sha256());
    expect(a.sched.tape).toEqual(b.sched.tape);
    expect(a.sched.tape.length).toBeGreaterThan(400);
  });

  it('different seeds → different tapes and traces', () => {
    const a = pingPong({ seed: 42n });
    const b = pingPong({ seed: 43n });
    a.sched.run(500);
    b.sched.run(500);
    expect(a.sched.tape).not.toEqual(b.sched.tape);
    expect(a.trace.sha256()).not.toBe(b.trace.sha256());
  });

  it('replaying the recorded tape under a different seed → identical sha256 (the tape alone decides)', () => {
    const original = pingPong({ seed: 42n });
    original.sched.run(500);
    const replay = pingPong({ seed: 999n, tape: original.sched.tape });
    replay.sched.run(500);
    expect(replay.trace.sha256()).toBe(original.trace.sha256());
    expect(replay.sched.tape).toEqual(original.sched.tape);
    expect(replay.sched.tapeDiverged).toBe(false);
  });

  it('replaying under the fifo strategy follows the tape, not the strategy', () => {
    const original = pingPong({ seed: 5n });
    original.sched.run(300);
    const replay = pingPong({ strategy: 'fifo', tape: original.sched.tape });
    replay.sched.run(300);
    expect(replay.trace.sha256()).toBe(original.trace.sha256());
  });

  it('fifo is deterministic and independent of the seed; its tape is all zeros', () => {
    const a = pingPong({ seed: 1n, strategy: 'fifo' });
    const b = pingPong({ seed: 2n, strategy: 'fifo' });
    a.sched.run(500);
    b.sched.run(500);
    expect(a.trace.sha256()).toBe(b.trace.sha256());
    expect(a.sched.tape.every((c) => c === 0)).toBe(true);
  });

  it('an exhausted tape falls back to the strategy and sets tapeDiverged', () => {
    const original = pingPong({ seed: 42n });
    original.sched.run(200);
    const short = original.sched.tape.slice(0, 50);
    const replay = pingPong({ seed: 42n, tape: short });
    replay.sched.run(40);
    expect(replay.sched.tapeDiverged).toBe(false);
    replay.sched.run(160);
    expect(replay.sched.tapeDiverged).toBe(true);
    expect(replay.sched.tape.slice(0, 50)).toEqual(short);
  });

  it('an out-of-range tape entry falls back to the strategy for that choice and sets tapeDiverged', () => {
    const { sched } = makeScheduler({ strategy: 'fifo', tape: [7, 1] });
    const log: string[] = [];
    for (const id of ['a', 'b', 'c']) sched.register(recorder(id, log));
    for (const id of ['a', 'b', 'c']) sched.post('engine', id, RUN);
    sched.run(10);
    expect(log).toEqual(['a<task.run#0', 'c<task.run#2', 'b<task.run#1']);
    expect(sched.tape).toEqual([0, 1]);
    expect(sched.tapeDiverged).toBe(true);
  });
});

describe('Scheduler: trace lines', () => {
  it('a delivery line has step, t, actor, event, src, from/to states and the payload', () => {
    const { sched, trace } = makeScheduler();
    sched.register(recorder('bo:1', []));
    sched.post('task:0', 'bo:1', {
      type: 'bo.reserve',
      task: 'task:0',
      ticket: null,
      interruptible: true,
      slow: false,
    });
    sched.post('engine', 'bo:1', RUN);
    sched.run(10);
    expect(trace.lines()).toEqual([
      '{"actor":"bo:1","event":"bo.reserve","from":"n0","payload":{"interruptible":true,"slow":false,"task":"task:0","ticket":null},"sent":-1,"src":"task:0","step":0,"t":0,"to":"n1"}',
      '{"actor":"bo:1","event":"task.run","from":"n1","sent":-1,"src":"engine","step":1,"t":0,"to":"n2"}',
    ]);
  });

  it('effects noted during a step appear in that step line only', () => {
    const { sched, trace } = makeScheduler();
    sched.register(
      recorder('bo:1', [], (env) => {
        if (env.seq === 0) sched.note({ actor: 'device:0', event: 'lru.add', from: 'absent', to: 'lru[0]' });
      }),
    );
    sched.post('engine', 'bo:1', RUN);
    sched.post('engine', 'bo:1', RUN);
    sched.run(10);
    const [first, second] = parse(trace);
    expect(first?.effects).toEqual([{ actor: 'device:0', event: 'lru.add', from: 'absent', to: 'lru[0]' }]);
    expect(second).not.toHaveProperty('effects');
  });

  it('effects noted between steps go into the next step line', () => {
    const { sched, trace } = makeScheduler();
    sched.register(recorder('a', []));
    sched.note({ actor: 'engine', event: 'setup', from: '', to: 'ready' });
    sched.post('engine', 'a', RUN);
    sched.run(1);
    expect(parse(trace)[0]?.effects).toEqual([{ actor: 'engine', event: 'setup', from: '', to: 'ready' }]);
  });
});

describe('Scheduler: timers', () => {
  it('timers fire only when every inbox is empty, in (due, seq) order, advancing t', () => {
    const { sched, trace } = makeScheduler({ strategy: 'fifo' });
    const fired: string[] = [];
    sched.register(recorder('a', fired));
    const clock = sched.clockFor('a');
    clock.setTimeout(() => fired.push('t10a'), 10);
    clock.setTimeout(() => fired.push('t5'), 5);
    clock.setTimeout(() => fired.push('t10b'), 10);
    sched.post('engine', 'a', RUN);
    sched.post('engine', 'a', RUN);
    expect(sched.run(100)).toEqual({ steps: 5, quiescent: true });
    expect(fired).toEqual(['a<task.run#0', 'a<task.run#1', 't5', 't10a', 't10b']);
    expect(parse(trace).map((l) => [l.event, l.t, l.src])).toEqual([
      ['task.run', 0, 'engine'],
      ['task.run', 0, 'engine'],
      ['timer', 5, 'clock'],
      ['timer', 10, 'clock'],
      ['timer', 10, 'clock'],
    ]);
    expect(sched.now()).toBe(10);
  });

  it('a message posted by a timer is delivered before the next timer fires', () => {
    const { sched } = makeScheduler();
    const log: string[] = [];
    sched.register(recorder('a', log));
    const clock = sched.clockFor('a');
    clock.setTimeout(() => sched.post('clock', 'a', RUN), 1);
    clock.setTimeout(() => log.push('second timer'), 1);
    sched.run(10);
    expect(log).toEqual(['a<task.run#0', 'second timer']);
  });

  it('sleep turns into a timer line, then an ordinary delivered message from clock', () => {
    const { sched, trace } = makeScheduler();
    const log: string[] = [];
    sched.register(recorder('task:0', log));
    const id = sched.sleep('task:0', 30, { type: 'timer.fire', timer: 7 });
    expect(sched.pendingTimers()).toBe(1);
    expect(sched.run(10)).toEqual({ steps: 2, quiescent: true });
    expect(log).toEqual(['task:0<timer.fire#0']);
    expect(trace.lines()).toEqual([
      `{"actor":"task:0","event":"timer","from":"n0","payload":{"timer":${id}},"src":"clock","step":0,"t":30,"to":"n0"}`,
      '{"actor":"task:0","event":"timer.fire","from":"n0","payload":{"timer":7},"sent":0,"src":"clock","step":1,"t":30,"to":"n1"}',
    ]);
  });

  it('a cancelled sleep never fires', () => {
    const { sched } = makeScheduler();
    const log: string[] = [];
    sched.register(recorder('a', log));
    const id = sched.sleep('a', 5, RUN);
    expect(sched.cancelSleep(id)).toBe(true);
    expect(sched.run(10)).toEqual({ steps: 0, quiescent: true });
    expect(log).toEqual([]);
  });

  it('a timer owned by an unregistered owner traces empty states', () => {
    const { sched, trace } = makeScheduler();
    sched.clockFor('engine').setTimeout(() => {}, 3);
    sched.run(1);
    expect(parse(trace)[0]).toMatchObject({ actor: 'engine', event: 'timer', from: '', to: '', t: 3 });
  });

  it("an XState actor's `after` runs on the scheduler's clock; the timer line shows a → b", () => {
    const { sched, trace } = makeScheduler();
    const machine = createMachine({ initial: 'a', states: { a: { after: { 100: 'b' } }, b: {} } });
    const actor = createActor(machine, { clock: sched.clockFor('m') }).start();
    sched.register({ id: 'm', deliver: () => {}, state: () => JSON.stringify(actor.getSnapshot().value) });
    expect(actor.getSnapshot().value).toBe('a');
    expect(sched.run(10)).toEqual({ steps: 1, quiescent: true });
    expect(parse(trace)[0]).toMatchObject({ actor: 'm', event: 'timer', from: '"a"', to: '"b"', t: 100 });
    actor.stop();
  });

  it('non-finite sleep → RangeError', () => {
    const { sched } = makeScheduler();
    expect(() => sched.sleep('a', Number.NaN, RUN)).toThrow(RangeError);
  });
});

describe('Scheduler: simulator bugs throw', () => {
  it('posting to an unknown actor throws an Error naming it', () => {
    const { sched } = makeScheduler();
    expect(() => sched.post('task:0', 'bo:404', RUN)).toThrow(/'bo:404'/);
  });

  it('registering a duplicate id throws', () => {
    const { sched } = makeScheduler();
    sched.register(recorder('a', []));
    expect(() => sched.register(recorder('a', []))).toThrow(/'a'/);
  });

  it('an exception in deliver propagates out of step', () => {
    const { sched } = makeScheduler();
    sched.register({
      id: 'a',
      deliver: () => {
        throw new Error('model crash');
      },
      state: () => '',
    });
    sched.post('engine', 'a', RUN);
    expect(() => sched.step()).toThrow('model crash');
  });

  it('quiescent run: step() is false and run reports quiescent with 0 steps', () => {
    const { sched } = makeScheduler();
    expect(sched.step()).toBe(false);
    expect(sched.run(5)).toEqual({ steps: 0, quiescent: true });
  });
});
