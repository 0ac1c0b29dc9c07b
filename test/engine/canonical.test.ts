// Tests of canonical JSON: exact output strings and every rejected value.

import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/engine/canonical.ts';

describe('canonicalJson', () => {
  it('sorts keys recursively, no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('scalars', () => {
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson(true)).toBe('true');
    expect(canonicalJson(false)).toBe('false');
    expect(canonicalJson(0)).toBe('0');
    expect(canonicalJson(-0)).toBe('0');
    expect(canonicalJson(1.5)).toBe('1.5');
    expect(canonicalJson(-12)).toBe('-12');
    expect(canonicalJson(1e21)).toBe('1e+21');
    expect(canonicalJson('a"b\\c\n')).toBe('"a\\"b\\\\c\\n"');
    expect(canonicalJson('é')).toBe('"é"');
  });

  it('keys are ordered by UTF-16 code units (uppercase before lowercase, "10" before "9")', () => {
    expect(canonicalJson({ b: 0, B: 0, a: 0, 9: 0, 10: 0, _: 0 })).toBe(
      '{"10":0,"9":0,"B":0,"_":0,"a":0,"b":0}',
    );
  });

  it('arrays keep their order; empty containers', () => {
    expect(canonicalJson([3, 1, 2])).toBe('[3,1,2]');
    expect(canonicalJson([])).toBe('[]');
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson([[], {}])).toBe('[[],{}]');
  });

  it('object properties whose value is undefined are omitted', () => {
    expect(canonicalJson({ a: undefined, b: 2, c: undefined })).toBe('{"b":2}');
    expect(canonicalJson({ a: undefined })).toBe('{}');
  });

  it('null-prototype objects are accepted', () => {
    const o = Object.create(null) as Record<string, unknown>;
    o.y = 1;
    o.x = 2;
    expect(canonicalJson(o)).toBe('{"x":2,"y":1}');
  });

  it('same value built in a different key order → same string', () => {
    expect(canonicalJson({ x: 1, y: [{ q: 1, p: 2 }] })).toBe(canonicalJson({ y: [{ p: 2, q: 1 }], x: 1 }));
  });

  it('NaN and Infinity → TypeError with the path', () => {
    expect(() => canonicalJson({ a: [1, Number.NaN] })).toThrow(
      new TypeError('canonicalJson: non-finite number NaN at $.a[1]'),
    );
    expect(() => canonicalJson(Number.POSITIVE_INFINITY)).toThrow(TypeError);
    expect(() => canonicalJson(Number.NEGATIVE_INFINITY)).toThrow(TypeError);
  });

  it('bigint → TypeError (callers convert bigints)', () => {
    expect(() => canonicalJson({ seed: 1n })).toThrow(
      new TypeError('canonicalJson: cannot serialise a bigint at $.seed'),
    );
  });

  it('function and symbol → TypeError', () => {
    expect(() => canonicalJson({ f: () => 1 })).toThrow(TypeError);
    expect(() => canonicalJson([Symbol('s')])).toThrow(TypeError);
  });

  it('undefined at the top level or inside an array → TypeError', () => {
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
    expect(() => canonicalJson([1, undefined])).toThrow(
      new TypeError('canonicalJson: cannot serialise a undefined at $[1]'),
    );
  });

  it('Map, Set, Date and class instances → TypeError naming the constructor', () => {
    expect(() => canonicalJson({ m: new Map() })).toThrow(/not a plain object \(Map\) at \$\.m/);
    expect(() => canonicalJson(new Set([1]))).toThrow(/Set/);
    expect(() => canonicalJson(new Date(0))).toThrow(/Date/);
    class P {
      x = 1;
    }
    expect(() => canonicalJson(new P())).toThrow(/\(P\)/);
  });

  it('cycles → TypeError; a shared (acyclic) reference is fine', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => canonicalJson(a)).toThrow(/cycle at \$\.self/);
    const shared = { k: 1 };
    expect(canonicalJson({ x: shared, y: shared })).toBe('{"x":{"k":1},"y":{"k":1}}');
  });
});
