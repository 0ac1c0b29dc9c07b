// Tests of the trace: exact line format, hashes over the exact bytes, options, firstDivergence.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/engine/canonical.ts';
import { firstDivergence, Trace, type TraceLine, traceLineText } from '../../src/engine/trace.ts';

const l0: TraceLine = {
  step: 0,
  t: 0,
  actor: 'task:0',
  event: 'task.run',
  src: 'engine',
  from: 'idle',
  to: 'run',
};
const l1: TraceLine = {
  step: 1,
  t: 5,
  actor: 'bo:3',
  event: 'bo.reserve',
  src: 'task:0',
  from: 'unlocked',
  to: 'locked',
  payload: { task: 'task:0', ticket: null, slow: false, interruptible: true },
  effects: [{ actor: 'device:0', event: 'lru.move', from: 'a', to: 'b' }],
};
const L0 = '{"actor":"task:0","event":"task.run","from":"idle","src":"engine","step":0,"t":0,"to":"run"}';
const L1 =
  '{"actor":"bo:3","effects":[{"actor":"device:0","event":"lru.move","from":"a","to":"b"}],"event":"bo.reserve",' +
  '"from":"unlocked","payload":{"interruptible":true,"slow":false,"task":"task:0","ticket":null},' +
  '"src":"task:0","step":1,"t":5,"to":"locked"}';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('traceLineText', () => {
  it('exact line without payload/effects', () => {
    expect(traceLineText(l0)).toBe(L0);
  });

  it('exact line with payload and effects', () => {
    expect(traceLineText(l1)).toBe(L1);
  });

  it('equals canonicalJson of the same line', () => {
    expect(traceLineText(l0)).toBe(canonicalJson(l0));
    expect(traceLineText(l1)).toBe(canonicalJson(l1));
  });

  it('escapes strings; non-finite step or t and bad payload → TypeError', () => {
    expect(traceLineText({ ...l0, from: '{"x":1}' })).toContain('"from":"{\\"x\\":1}"');
    expect(() => traceLineText({ ...l0, t: Number.NaN })).toThrow(TypeError);
    expect(() => traceLineText({ ...l0, payload: { n: 1n } })).toThrow(TypeError);
  });
});

describe('Trace', () => {
  it('sha256 of a two-line trace = sha256 of the same bytes', () => {
    const trace = new Trace({ keepLines: true });
    trace.add(l0);
    trace.add(l1);
    expect(trace.sha256()).toBe(sha(`${L0}\n${L1}\n`));
    expect(trace.lines()).toEqual([L0, L1]);
    expect(trace.text()).toBe(`${L0}\n${L1}\n`);
    expect(trace.count).toBe(2);
  });

  it('empty trace: sha256 and rolling hash of no bytes', () => {
    const trace = new Trace({ keepLines: false });
    expect(trace.sha256()).toBe(sha(''));
    expect(trace.rolling()).toBe(sha(''));
    expect(trace.count).toBe(0);
  });

  it('sha256 can be called mid-run; the trace stays appendable', () => {
    const trace = new Trace({ keepLines: false });
    trace.add(l0);
    expect(trace.sha256()).toBe(sha(`${L0}\n`));
    expect(trace.sha256()).toBe(sha(`${L0}\n`));
    trace.add(l1);
    expect(trace.sha256()).toBe(sha(`${L0}\n${L1}\n`));
  });

  it('rolling hash after step k = sha256 of the trace bytes through line k', () => {
    const trace = new Trace({ keepLines: false, keepRolling: true });
    trace.add(l0);
    expect(trace.rolling()).toBe(sha(`${L0}\n`));
    trace.add(l1);
    expect(trace.rollingHashes()).toEqual([sha(`${L0}\n`), sha(`${L0}\n${L1}\n`)]);
    expect(trace.rolling()).toBe(trace.sha256());
  });

  it('rolling hashes of two traces agree up to the first differing line only', () => {
    const a = new Trace({ keepLines: false, keepRolling: true });
    const b = new Trace({ keepLines: false, keepRolling: true });
    for (const line of [l0, l1, l0]) a.add(line);
    for (const line of [l0, { ...l1, to: 'other' }, l0]) b.add(line);
    expect(firstDivergence(a.rollingHashes(), b.rollingHashes())).toBe(1);
  });

  it('add returns the line text', () => {
    expect(new Trace({ keepLines: false }).add(l1)).toBe(L1);
  });

  it('lines() without keepLines and rollingHashes() without keepRolling → Error', () => {
    const trace = new Trace({ keepLines: false });
    trace.add(l0);
    expect(() => trace.lines()).toThrow(/keepLines/);
    expect(() => trace.rollingHashes()).toThrow(/keepRolling/);
  });

  it('a line that cannot be serialised leaves the trace unchanged', () => {
    const trace = new Trace({ keepLines: true });
    trace.add(l0);
    expect(() => trace.add({ ...l1, payload: { f: Number.NaN } })).toThrow(TypeError);
    expect(trace.count).toBe(1);
    expect(trace.sha256()).toBe(sha(`${L0}\n`));
  });
});

describe('Trace.record (deferred formatting)', () => {
  it('record → the same sha256 as add, read before, between and after lines', () => {
    const a = new Trace({ keepLines: false });
    const b = new Trace({ keepLines: false });
    expect(b.sha256()).toBe(sha(''));
    a.add(l0);
    b.record(l0);
    expect(b.sha256()).toBe(sha(`${L0}\n`));
    a.add(l1);
    b.record(l1);
    expect([b.count, b.sha256()]).toEqual([2, a.sha256()]);
    expect(b.sha256()).toBe(sha(`${L0}\n${L1}\n`));
  });

  it('record of 10,000 lines (more than one deferred batch) → the sha256 of the same bytes added one by one', () => {
    const a = new Trace({ keepLines: false });
    const b = new Trace({ keepLines: false });
    for (let i = 0; i < 10_000; i += 1) {
      const line = { ...(i % 2 === 0 ? l0 : l1), step: i };
      a.add(line);
      b.record(line);
    }
    expect(b.count).toBe(10_000);
    expect(b.sha256()).toBe(a.sha256());
  });

  it('record with keepLines or keepRolling → written at once: lines() and rollingHashes() as with add', () => {
    const t = new Trace({ keepLines: true, keepRolling: true });
    t.record(l0);
    t.record(l1);
    expect(t.lines()).toEqual([L0, L1]);
    expect(t.rollingHashes()).toEqual([sha(`${L0}\n`), sha(`${L0}\n${L1}\n`)]);
  });

  it('record of a line with NaN in its payload → TypeError at once (canonicalJson message), trace unchanged', () => {
    const t = new Trace({ keepLines: false });
    t.record(l0);
    expect(() => t.record({ ...l1, payload: { f: Number.NaN } })).toThrow(
      'canonicalJson: non-finite number NaN at $.f',
    );
    expect(() =>
      t.record({ ...l1, effects: [{ ...l1.effects![0]!, data: { n: Number.POSITIVE_INFINITY } }] }),
    ).toThrow(TypeError);
    expect(t.count).toBe(1);
    expect(t.sha256()).toBe(sha(`${L0}\n`));
  });
});

describe('firstDivergence', () => {
  it('equal → undefined', () => {
    expect(firstDivergence(['a', 'b'], ['a', 'b'])).toBeUndefined();
    expect(firstDivergence([], [])).toBeUndefined();
  });

  it('first differing index', () => {
    expect(firstDivergence(['a', 'b', 'c'], ['a', 'x', 'c'])).toBe(1);
    expect(firstDivergence(['x'], ['y'])).toBe(0);
  });

  it('one a strict prefix of the other → the shorter length', () => {
    expect(firstDivergence(['a'], ['a', 'b'])).toBe(1);
    expect(firstDivergence(['a', 'b', 'c'], ['a', 'b'])).toBe(2);
    expect(firstDivergence([], ['a'])).toBe(0);
  });
});
