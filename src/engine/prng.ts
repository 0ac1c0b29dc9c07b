// Seeded pseudo-random numbers for the whole simulator (xoroshiro128+ from pure-rand 8).
// Every random datum of a run comes from an Rng derived from the run's seed, so a run is a pure
// function of its token (DESIGN.md §1). Subsystems take their own stream with `fork(name)`: a fork
// depends only on the parent's original seed and the name, never on how many draws the parent made,
// so adding a draw in one subsystem never shifts the sequence of another.
// A stream's seed derivation (a SHA-256 for a fork) and generator state are computed on first use: a
// run forks streams some scenarios never draw from, and the run's root stream is only forked.

import { hash } from 'node:crypto';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

const U64_MAX = (1n << 64n) - 1n;
const MASK64 = U64_MAX;

/** Serialisable state of an Rng: JSON-safe (the seed is a decimal string, the words are int32). */
export interface RngState {
  /** The stream's original seed (unsigned 64-bit, decimal), kept so that forks stay reproducible. */
  readonly seed: string;
  /** The four 32-bit words of the xoroshiro128+ state. */
  readonly words: readonly number[];
}

/**
 * Check that `seed` is an unsigned 64-bit integer.
 * @throws RangeError when it is negative or ≥ 2^64.
 */
function checkSeed(seed: bigint): void {
  if (seed < 0n || seed > U64_MAX) {
    throw new RangeError(`Rng seed must be an unsigned 64-bit integer (0 ≤ seed < 2^64), got ${seed}`);
  }
}

/** One SplitMix64 step: the recommended way to spread a 64-bit seed over a xoroshiro state. */
function splitmix64(x: bigint): [next: bigint, out: bigint] {
  const next = (x + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return [next, z ^ (z >> 31n)];
}

/** Split a u64 into its signed-int32 high and low words (pure-rand's word format). */
function words(x: bigint): [hi: number, lo: number] {
  return [Number(BigInt.asIntN(32, x >> 32n)), Number(BigInt.asIntN(32, x))];
}

/** Expand a 64-bit seed into the 128-bit xoroshiro state [s01, s00, s11, s10]. */
function stateFromSeed(seed: bigint): number[] {
  const [x1, a] = splitmix64(seed);
  const [, b] = splitmix64(x1);
  const [aHi, aLo] = words(a);
  const [bHi, bLo] = words(b);
  // SplitMix64 never yields two zero outputs in a row, so the all-zero (stuck) state cannot occur.
  return [aHi, aLo, bHi, bLo];
}

/** Child seed of (seed, name): the first 8 bytes of SHA-256(`${seed}:${name}`), big-endian. */
function deriveSeed(seed: bigint, name: string): bigint {
  // One-shot crypto.hash (Node ≥ 20.12): the same digest as createHash().update().digest(), without a
  // Hash object per fork.
  return hash('sha256', `${seed}:${name}`, 'buffer').readBigUInt64BE(0);
}

/** A seeded random stream. Mutable: every draw advances it. */
export class Rng {
  private originValue: bigint | undefined;
  private genValue: JumpableRandomGenerator | undefined;

  private constructor(
    origin: bigint | undefined,
    gen: JumpableRandomGenerator | undefined,
    /** For a fork not yet derived: the parent's seed and the fork's name. */
    private readonly derivation?: { readonly parent: bigint; readonly name: string },
  ) {
    this.originValue = origin;
    this.genValue = gen;
  }

  private get origin(): bigint {
    this.originValue ??= deriveSeed(this.derivation!.parent, this.derivation!.name);
    return this.originValue;
  }

  private get gen(): JumpableRandomGenerator {
    this.genValue ??= xoroshiro128plusFromState(stateFromSeed(this.origin));
    return this.genValue;
  }

  /**
   * A stream for an unsigned 64-bit seed.
   * @throws RangeError when the seed is negative or ≥ 2^64.
   */
  static fromSeed(seed: bigint): Rng {
    checkSeed(seed);
    return new Rng(seed, undefined);
  }

  /**
   * Resume a stream saved with `getState()`.
   * @throws RangeError when the seed is not a u64 in decimal or the words are not four int32 values.
   */
  static fromState(state: RngState): Rng {
    if (!/^[0-9]{1,20}$/.test(state.seed)) {
      throw new RangeError(`Rng state seed must be a decimal u64, got '${state.seed}'`);
    }
    const seed = BigInt(state.seed);
    checkSeed(seed);
    const ok = state.words.length === 4 && state.words.every((w) => Number.isInteger(w) && w === (w | 0));
    if (!ok) throw new RangeError('Rng state must hold exactly four int32 words');
    return new Rng(seed, xoroshiro128plusFromState(state.words));
  }

  /** The original seed of this stream (not advanced by draws). */
  get seed(): bigint {
    return this.origin;
  }

  /** A JSON-safe snapshot; `Rng.fromState` resumes exactly where this stream is. */
  getState(): RngState {
    return { seed: this.origin.toString(), words: [...this.gen.getState()] };
  }

  /**
   * Uniform integer in [lo, hi], both inclusive.
   * @throws RangeError when a bound is not a safe integer or lo > hi.
   */
  int(lo: number, hi: number): number {
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || lo > hi) {
      throw new RangeError(`Rng.int needs safe integers lo ≤ hi, got [${lo}, ${hi}]`);
    }
    return uniformInt(this.gen, lo, hi);
  }

  /**
   * Uniform integer in [0, n).
   * @throws RangeError when n is not a positive safe integer.
   */
  below(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new RangeError(`Rng.below needs a positive safe integer, got ${n}`);
    }
    return uniformInt(this.gen, 0, n - 1);
  }

  /**
   * True with probability num/den. Always consumes one draw, even for 0/den and den/den, so the
   * stream position does not depend on the probability.
   * @throws RangeError when den is not a positive safe integer or num is not an integer in [0, den].
   */
  chance(num: number, den: number): boolean {
    if (!Number.isSafeInteger(num) || num < 0 || num > den) {
      throw new RangeError(`Rng.chance needs an integer 0 ≤ num ≤ den, got ${num}/${den}`);
    }
    return this.below(den) < num;
  }

  /**
   * An independent stream named `name`, derived from this stream's original seed only.
   * Forking the same name twice gives two streams with the same sequence.
   */
  fork(name: string): Rng {
    return new Rng(undefined, undefined, { parent: this.origin, name });
  }
}
