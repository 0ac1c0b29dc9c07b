// Tests of the seeded PRNG: exact reproducibility, fork independence, state round trip, input checks.

import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine/prng.ts';

const draw = (rng: Rng, n: number, f: (r: Rng) => number): number[] =>
  Array.from({ length: n }, () => f(rng));

describe('Rng.fromSeed', () => {
  it('seed 42: first five int(0, 1e6) are exactly the recorded values', () => {
    expect(draw(Rng.fromSeed(42n), 5, (r) => r.int(0, 1_000_000))).toEqual([
      563943, 278231, 630761, 101709, 173461,
    ]);
  });

  it('same seed → same sequence of 1000 draws', () => {
    const a = draw(Rng.fromSeed(7n), 1000, (r) => r.below(1000));
    const b = draw(Rng.fromSeed(7n), 1000, (r) => r.below(1000));
    expect(a).toEqual(b);
  });

  it('different seeds → different sequences', () => {
    expect(draw(Rng.fromSeed(1n), 20, (r) => r.below(1000))).not.toEqual(
      draw(Rng.fromSeed(2n), 20, (r) => r.below(1000)),
    );
  });

  it('state words come from SplitMix64 (reference first output 0xe220a8397b1dcdaf for seed 0)', () => {
    const [hi, lo] = Rng.fromSeed(0n).getState().words;
    expect(((hi ?? 0) >>> 0).toString(16)).toBe('e220a839');
    expect(((lo ?? 0) >>> 0).toString(16)).toBe('7b1dcdaf');
  });

  it('accepts the u64 bounds 0 and 2^64-1', () => {
    expect(Rng.fromSeed(0n).seed).toBe(0n);
    expect(Rng.fromSeed((1n << 64n) - 1n).seed).toBe((1n << 64n) - 1n);
  });

  it('negative seed → RangeError', () => {
    expect(() => Rng.fromSeed(-1n)).toThrow(RangeError);
  });

  it('seed ≥ 2^64 → RangeError', () => {
    expect(() => Rng.fromSeed(1n << 64n)).toThrow(RangeError);
  });
});

describe('Rng.fork', () => {
  it('fork b sequence is unchanged by 1000 draws from fork a', () => {
    const root1 = Rng.fromSeed(99n);
    const b1 = draw(root1.fork('b'), 50, (r) => r.below(1 << 30));
    const root2 = Rng.fromSeed(99n);
    const a = root2.fork('a');
    draw(a, 1000, (r) => r.below(6));
    const b2 = draw(root2.fork('b'), 50, (r) => r.below(1 << 30));
    expect(b2).toEqual(b1);
  });

  it('fork is independent of how many draws the parent made', () => {
    const fresh = Rng.fromSeed(5n).fork('x');
    const used = Rng.fromSeed(5n);
    draw(used, 333, (r) => r.below(10));
    expect(draw(used.fork('x'), 20, (r) => r.below(1e9))).toEqual(draw(fresh, 20, (r) => r.below(1e9)));
  });

  it('forks with different names differ, and differ from the parent', () => {
    const root = Rng.fromSeed(5n);
    const a = draw(root.fork('a'), 20, (r) => r.below(1e9));
    const b = draw(root.fork('b'), 20, (r) => r.below(1e9));
    expect(a).not.toEqual(b);
    expect(draw(Rng.fromSeed(5n), 20, (r) => r.below(1e9))).not.toEqual(a);
  });

  it('fork seed = first 8 bytes of sha256("42:a")', () => {
    expect(Rng.fromSeed(42n).fork('a').seed).toBe(10886120013137136327n);
  });
});

describe('Rng draws', () => {
  it('below(6): all six values appear in 600 draws, none outside [0,6)', () => {
    const seen = new Set(draw(Rng.fromSeed(3n), 600, (r) => r.below(6)));
    expect([...seen].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('int(lo, hi) is inclusive on both ends', () => {
    const seen = new Set(draw(Rng.fromSeed(4n), 400, (r) => r.int(-2, 2)));
    expect([...seen].sort((x, y) => x - y)).toEqual([-2, -1, 0, 1, 2]);
  });

  it('int(5, 5) is always 5', () => {
    expect(draw(Rng.fromSeed(4n), 10, (r) => r.int(5, 5))).toEqual(Array(10).fill(5));
  });

  it('int with lo > hi or non-integers → RangeError', () => {
    const r = Rng.fromSeed(1n);
    expect(() => r.int(3, 2)).toThrow(RangeError);
    expect(() => r.int(0.5, 2)).toThrow(RangeError);
    expect(() => r.int(0, Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it('below(0), below(-1), below(1.5) → RangeError', () => {
    const r = Rng.fromSeed(1n);
    expect(() => r.below(0)).toThrow(RangeError);
    expect(() => r.below(-1)).toThrow(RangeError);
    expect(() => r.below(1.5)).toThrow(RangeError);
  });

  it('chance(0, n) never, chance(n, n) always, and both consume one draw', () => {
    const r = Rng.fromSeed(8n);
    const ref = Rng.fromSeed(8n);
    expect(draw(r, 50, (x) => Number(x.chance(0, 3)))).toEqual(Array(50).fill(0));
    expect(draw(r, 50, (x) => Number(x.chance(3, 3)))).toEqual(Array(50).fill(1));
    draw(ref, 100, (x) => x.below(3));
    expect(r.below(1e9)).toBe(ref.below(1e9));
  });

  it('chance(1, 4) over 4000 draws is near 1000', () => {
    const hits = draw(Rng.fromSeed(9n), 4000, (r) => Number(r.chance(1, 4))).reduce((a, b) => a + b, 0);
    expect(hits).toBeGreaterThan(850);
    expect(hits).toBeLessThan(1150);
  });

  it('chance with num > den, negative num or den 0 → RangeError', () => {
    const r = Rng.fromSeed(1n);
    expect(() => r.chance(3, 2)).toThrow(RangeError);
    expect(() => r.chance(-1, 2)).toThrow(RangeError);
    expect(() => r.chance(0, 0)).toThrow(RangeError);
  });
});

describe('Rng state', () => {
  it('getState → JSON → fromState resumes exactly, and keeps the fork origin', () => {
    const r = Rng.fromSeed(123n);
    draw(r, 17, (x) => x.below(100));
    const saved = JSON.parse(JSON.stringify(r.getState()));
    const resumed = Rng.fromState(saved);
    expect(draw(resumed, 30, (x) => x.below(1e9))).toEqual(draw(r, 30, (x) => x.below(1e9)));
    expect(resumed.seed).toBe(123n);
    expect(resumed.fork('k').below(1e9)).toBe(Rng.fromSeed(123n).fork('k').below(1e9));
  });

  it('fromState rejects a bad seed or bad words with RangeError', () => {
    const words = Rng.fromSeed(1n).getState().words;
    expect(() => Rng.fromState({ seed: '-1', words })).toThrow(RangeError);
    expect(() => Rng.fromState({ seed: (1n << 64n).toString(), words })).toThrow(RangeError);
    expect(() => Rng.fromState({ seed: '1', words: [1, 2, 3] })).toThrow(RangeError);
    expect(() => Rng.fromState({ seed: '1', words: [1, 2, 3, 2 ** 32] })).toThrow(RangeError);
  });
});
