// Run tokens: everything needed to reproduce a run, as one copy-paste-safe base64url line
// (DESIGN.md §1). Layout, version 1:
//   version u8 | seed u64 BE | strategy u8 | scenario hash 16 bytes | flags u8
//   | [strategy params: pct (id 2) only: varint depth, varint k]
//   | [tape: varint count, then varint choices, when flags bit 0 is set]
//   | [mutations: varint count, then per mutation varint byte length + UTF-8, when flags bit 1 is set]
//   | [faults: varint count, then the failing fault-site evaluations as varint gaps, when bit 2 is set]
//   | [designs: varint count, then per design spec varint byte length + UTF-8, when flags bit 3 is set]
//   | checksum 4 bytes
// Strategy ids are indices in STRATEGIES: 0 random, 1 fifo, 2 pct, 3 pos. The params block is present
// exactly when the strategy takes params, so tokens of 'random' and 'fifo' are byte for byte those of
// the first version-1 builds, and those builds reject a 'pct' or 'pos' token as an unknown strategy id
// rather than misreading it: the version stays 1. The mutation and fault blocks came later the same way:
// a token without them is unchanged, and an older build rejects one with them as having unknown flags.
// The design block (src/designs: the seed threads' proposals as options of the world) follows suit.
// The checksum is the first 4 bytes of SHA-256 over everything before it, so a mis-copied token is
// reported as such instead of replaying some other run. Decoding failures are data (one-line reasons
// that say what is wrong and what to do), because a bad token is user input, not a simulator bug.

import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical.ts';
import {
  hasParams,
  STRATEGIES,
  type StrategyName,
  type StrategyParams,
  strategyProblem,
} from './strategy.ts';

export { STRATEGIES, type StrategyName, type StrategyParams } from './strategy.ts';

export const TOKEN_VERSION = 1;

const HASH_BYTES = 16;
const CHECKSUM_BYTES = 4;
/** version + seed + strategy + scenario hash + flags. */
const HEADER_BYTES = 1 + 8 + 1 + HASH_BYTES + 1;
const MIN_BYTES = HEADER_BYTES + CHECKSUM_BYTES;
const FLAG_TAPE = 0x01;
const FLAG_MUTATIONS = 0x02;
const FLAG_FAULTS = 0x04;
const FLAG_DESIGNS = 0x08;
const FLAG_OMIT = 0x10;
const FLAGS_KNOWN = FLAG_TAPE | FLAG_MUTATIONS | FLAG_FAULTS | FLAG_DESIGNS | FLAG_OMIT;
/** Longest mutation spec a token carries (`name=value`), in bytes. */
const MUTATION_MAX_BYTES = 64;
const U64_MAX = (1n << 64n) - 1n;
const MISMATCH = 'token checksum mismatch: the token was altered or mis-copied';

/** What a token says about a run. */
export interface RunToken {
  readonly seed: bigint;
  readonly strategy: StrategyName;
  /** The strategy's parameters: present exactly for 'pct' (depth, k). */
  readonly strategyParams?: StrategyParams;
  /** 32 lowercase hex characters: see `scenarioHash`. */
  readonly scenarioHash: string;
  /** The explicit schedule, when present (shrunk runs, runs recorded from real threads). */
  readonly tape?: readonly number[];
  /** Mutation specs switched on (`name` or `name=value`), when any. */
  readonly mutations?: readonly string[];
  /** Fault-site evaluations that fail (sorted, distinct), when any (src/sim/fault_plan.ts). */
  readonly faults?: readonly number[];
  /** Design specs switched on (`name` or `name:key=value`), when any (src/designs). */
  readonly designs?: readonly string[];
  /** Workload actors left out of the run (shrunk runs: tasks and timed signals dropped), when any. */
  readonly omit?: readonly string[];
}

export type TokenResult =
  | { readonly ok: true; readonly token: RunToken & { readonly version: number } }
  | { readonly ok: false; readonly reason: string };

/** First 16 bytes (32 hex) of the SHA-256 of the canonical JSON of a scenario's config. */
export function scenarioHash(config: unknown): string {
  return createHash('sha256').update(canonicalJson(config)).digest().subarray(0, HASH_BYTES).toString('hex');
}

/** Short form of a scenario hash for messages: its first 8 hex characters. */
export function describeHash(h: string): string {
  return h.slice(0, 8);
}

function checksum(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest().subarray(0, CHECKSUM_BYTES);
}

/** Unsigned LEB128 of a safe non-negative integer (arithmetic, not bitwise: values may exceed 2^32). */
function pushVarint(out: number[], value: number): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

/** A list of specs: varint count, then per spec varint byte length + UTF-8. */
function pushStrings(out: number[], specs: readonly string[]): void {
  pushVarint(out, specs.length);
  for (const m of specs) {
    const bytes = Buffer.from(m, 'utf8');
    pushVarint(out, bytes.length);
    for (const b of bytes) out.push(b);
  }
}

/**
 * Check the fields of a token before encoding.
 * @throws RangeError for a seed outside u64, an unknown strategy, strategy params missing, unexpected or
 *   out of range (see `strategyProblem`), a hash that is not 32 lowercase hex characters, or a tape entry
 *   that is not a non-negative safe integer.
 */
function checkFields(t: RunToken): void {
  if (t.seed < 0n || t.seed > U64_MAX) throw new RangeError(`token seed must be a u64, got ${t.seed}`);
  if (!STRATEGIES.includes(t.strategy)) throw new RangeError(`unknown strategy '${t.strategy}'`);
  const problem = strategyProblem(t.strategy, t.strategyParams);
  if (problem !== undefined) throw new RangeError(problem);
  if (!/^[0-9a-f]{32}$/.test(t.scenarioHash)) {
    throw new RangeError(`scenario hash must be 32 lowercase hex characters, got '${t.scenarioHash}'`);
  }
  const bad = t.tape?.findIndex((c) => !Number.isSafeInteger(c) || c < 0) ?? -1;
  if (bad >= 0) throw new RangeError(`tape entry ${bad} is not a non-negative safe integer`);
  for (const [kind, list] of [
    ['mutation', t.mutations],
    ['design', t.designs],
  ] as const) {
    for (const m of list ?? []) {
      const n = Buffer.byteLength(m, 'utf8');
      if (n === 0 || n > MUTATION_MAX_BYTES) {
        throw new RangeError(`${kind} spec '${m}' must be 1..${MUTATION_MAX_BYTES} bytes`);
      }
    }
  }
  for (const m of t.omit ?? []) {
    const n = Buffer.byteLength(m, 'utf8');
    if (n === 0 || n > MUTATION_MAX_BYTES) {
      throw new RangeError(`omitted actor id '${m}' must be 1..${MUTATION_MAX_BYTES} bytes`);
    }
  }
  const f = t.faults ?? [];
  for (let i = 0; i < f.length; i++) {
    if (!Number.isSafeInteger(f[i]) || f[i]! < 0 || (i > 0 && f[i]! <= f[i - 1]!)) {
      throw new RangeError(`fault list must be sorted distinct non-negative integers (entry ${i})`);
    }
  }
}

/**
 * Encode a run token as one base64url line without padding.
 * @throws RangeError as `checkFields` describes.
 */
export function encodeToken(t: RunToken): string {
  checkFields(t);
  const head = Buffer.alloc(HEADER_BYTES);
  head.writeUInt8(TOKEN_VERSION, 0);
  head.writeBigUInt64BE(t.seed, 1);
  head.writeUInt8(STRATEGIES.indexOf(t.strategy), 9);
  Buffer.from(t.scenarioHash, 'hex').copy(head, 10);
  const mutations = t.mutations !== undefined && t.mutations.length > 0 ? t.mutations : undefined;
  const faults = t.faults !== undefined && t.faults.length > 0 ? t.faults : undefined;
  const designs = t.designs !== undefined && t.designs.length > 0 ? t.designs : undefined;
  const omit = t.omit !== undefined && t.omit.length > 0 ? t.omit : undefined;
  const flags =
    (t.tape === undefined ? 0 : FLAG_TAPE) |
    (mutations === undefined ? 0 : FLAG_MUTATIONS) |
    (faults === undefined ? 0 : FLAG_FAULTS) |
    (designs === undefined ? 0 : FLAG_DESIGNS) |
    (omit === undefined ? 0 : FLAG_OMIT);
  head.writeUInt8(flags, 10 + HASH_BYTES);
  const tail: number[] = [];
  if (t.strategyParams !== undefined) {
    pushVarint(tail, t.strategyParams.depth);
    pushVarint(tail, t.strategyParams.k);
  }
  if (t.tape !== undefined) {
    pushVarint(tail, t.tape.length);
    for (const c of t.tape) pushVarint(tail, c);
  }
  if (mutations !== undefined) pushStrings(tail, mutations);
  if (faults !== undefined) {
    pushVarint(tail, faults.length);
    let prev = 0;
    for (const at of faults) {
      pushVarint(tail, at - prev);
      prev = at;
    }
  }
  if (designs !== undefined) pushStrings(tail, designs);
  if (omit !== undefined) pushStrings(tail, omit);
  const body = Buffer.concat([head, Buffer.from(tail)]);
  return Buffer.concat([body, checksum(body)]).toString('base64url');
}

/** A read position in token bytes. */
interface Cursor {
  readonly bytes: Buffer;
  pos: number;
}

/** Read one varint; undefined when the bytes end first. Values beyond 2^53 are reported as NaN. */
function readVarint(c: Cursor): number | undefined {
  let value = 0;
  let scale = 1;
  for (;;) {
    const b = c.bytes[c.pos];
    if (b === undefined) return undefined;
    c.pos += 1;
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return Number.isSafeInteger(value) ? value : Number.NaN;
    scale *= 0x80;
    if (scale > 2 ** 56) return Number.NaN;
  }
}

type Parsed =
  | { readonly kind: 'ok'; readonly token: RunToken; readonly end: number }
  /** The bytes end inside `part` (or a checksum over them all says `part` runs past where it ends). */
  | {
      readonly kind: 'short';
      readonly need: number;
      readonly part: 'tape' | 'strategy parameters' | 'mutations' | 'faults' | 'designs' | 'omitted actors';
    }
  | { readonly kind: 'bad'; readonly reason: string };

/** Parse the fields after the version byte; `end` is where the checksum must start. */
function parseBody(bytes: Buffer): Parsed {
  const strategy = STRATEGIES[bytes.readUInt8(9)];
  if (strategy === undefined) {
    return { kind: 'bad', reason: `token names strategy id ${bytes.readUInt8(9)}, unknown to this build` };
  }
  const flags = bytes.readUInt8(10 + HASH_BYTES);
  if ((flags & ~FLAGS_KNOWN) !== 0) {
    return {
      kind: 'bad',
      reason: `token has unknown flags 0x${flags.toString(16)}; use the build that made it`,
    };
  }
  const base = {
    seed: bytes.readBigUInt64BE(1),
    strategy,
    scenarioHash: bytes.subarray(10, 10 + HASH_BYTES).toString('hex'),
  };
  const c: Cursor = { bytes, pos: HEADER_BYTES };
  const withParams = hasParams(strategy) ? parseParams(c, base) : { kind: 'ok' as const, token: base };
  if (withParams.kind !== 'ok') return withParams;
  let parsed: Parsed = { kind: 'ok', token: withParams.token, end: c.pos };
  if ((flags & FLAG_TAPE) !== 0) parsed = parseTape(c, parsed.token);
  if (parsed.kind === 'ok' && (flags & FLAG_MUTATIONS) !== 0) parsed = parseMutations(c, parsed.token);
  if (parsed.kind === 'ok' && (flags & FLAG_FAULTS) !== 0) parsed = parseFaults(c, parsed.token);
  if (parsed.kind === 'ok' && (flags & FLAG_DESIGNS) !== 0) parsed = parseDesigns(c, parsed.token);
  if (parsed.kind === 'ok' && (flags & FLAG_OMIT) !== 0) parsed = parseOmit(c, parsed.token);
  return parsed;
}

function parseMutations(c: Cursor, base: RunToken): Parsed {
  const r = parseStrings(c, 'mutations', 'mutation');
  return r.kind === 'list' ? { kind: 'ok', token: { ...base, mutations: r.list }, end: c.pos } : r;
}

function parseDesigns(c: Cursor, base: RunToken): Parsed {
  const r = parseStrings(c, 'designs', 'design');
  return r.kind === 'list' ? { kind: 'ok', token: { ...base, designs: r.list }, end: c.pos } : r;
}

function parseOmit(c: Cursor, base: RunToken): Parsed {
  const r = parseStrings(c, 'omitted actors', 'omitted actor');
  return r.kind === 'list' ? { kind: 'ok', token: { ...base, omit: r.list }, end: c.pos } : r;
}

/** A non-empty list written by `pushStrings`, each entry 1..MUTATION_MAX_BYTES bytes. */
function parseStrings(
  c: Cursor,
  part: 'mutations' | 'designs' | 'omitted actors',
  what: string,
): { readonly kind: 'list'; readonly list: string[] } | Exclude<Parsed, { kind: 'ok' }> {
  const { bytes } = c;
  const count = readVarint(c);
  if (count === undefined) return { kind: 'short', need: c.pos + 1 + CHECKSUM_BYTES, part };
  if (Number.isNaN(count) || count === 0) return { kind: 'bad', reason: `token ${what} list is malformed` };
  const list: string[] = [];
  for (let i = 0; i < count; i++) {
    const len = readVarint(c);
    if (len === undefined) return { kind: 'short', need: c.pos + 1 + CHECKSUM_BYTES, part };
    if (Number.isNaN(len) || len === 0 || len > MUTATION_MAX_BYTES) {
      return { kind: 'bad', reason: `token ${what} ${i} is malformed` };
    }
    if (c.pos + len > bytes.length) {
      return { kind: 'short', need: c.pos + len + CHECKSUM_BYTES, part };
    }
    list.push(bytes.subarray(c.pos, c.pos + len).toString('utf8'));
    c.pos += len;
  }
  return { kind: 'list', list };
}

function parseFaults(c: Cursor, base: RunToken): Parsed {
  const { bytes } = c;
  const count = readVarint(c);
  if (count === undefined) return { kind: 'short', need: c.pos + 1 + CHECKSUM_BYTES, part: 'faults' };
  if (Number.isNaN(count) || count === 0) return { kind: 'bad', reason: 'token fault list is malformed' };
  if (count > bytes.length - c.pos)
    return { kind: 'short', need: c.pos + count + CHECKSUM_BYTES, part: 'faults' };
  const faults: number[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const gap = readVarint(c);
    if (gap === undefined)
      return { kind: 'short', need: c.pos + (count - i) + CHECKSUM_BYTES, part: 'faults' };
    if (Number.isNaN(gap) || (i > 0 && gap === 0)) {
      return { kind: 'bad', reason: `token fault entry ${i} is malformed` };
    }
    at += gap;
    faults.push(at);
  }
  return { kind: 'ok', token: { ...base, faults }, end: c.pos };
}

/** The params block of a strategy that takes params (pct: varint depth, varint k), checked. */
function parseParams(
  c: Cursor,
  base: RunToken,
): { readonly kind: 'ok'; readonly token: RunToken } | Exclude<Parsed, { kind: 'ok' }> {
  const depth = readVarint(c);
  const k = depth === undefined ? undefined : readVarint(c);
  if (depth === undefined || k === undefined) {
    return { kind: 'short', need: c.pos + 1 + CHECKSUM_BYTES, part: 'strategy parameters' };
  }
  const strategyParams = { depth, k };
  const problem = strategyProblem(base.strategy, strategyParams);
  if (problem !== undefined) {
    return { kind: 'bad', reason: `token has bad strategy parameters: ${problem}` };
  }
  return { kind: 'ok', token: { ...base, strategyParams } };
}

function parseTape(c: Cursor, base: RunToken): Parsed {
  const { bytes } = c;
  const count = readVarint(c);
  if (count === undefined) return { kind: 'short', need: c.pos + 1 + CHECKSUM_BYTES, part: 'tape' };
  if (Number.isNaN(count)) return { kind: 'bad', reason: 'token tape length is malformed' };
  // Each choice takes at least one byte: a count beyond the bytes left is a truncation (or damage).
  if (count > bytes.length - c.pos) {
    return { kind: 'short', need: c.pos + count + CHECKSUM_BYTES, part: 'tape' };
  }
  const tape: number[] = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const v = readVarint(c);
    if (v === undefined) return { kind: 'short', need: c.pos + (count - i) + CHECKSUM_BYTES, part: 'tape' };
    if (Number.isNaN(v)) return { kind: 'bad', reason: `token tape entry ${i} is malformed` };
    tape[i] = v;
  }
  return { kind: 'ok', token: { ...base, tape }, end: c.pos };
}

function checksumAt(bytes: Buffer, end: number): boolean {
  return (
    bytes.length >= end + CHECKSUM_BYTES &&
    checksum(bytes.subarray(0, end)).equals(bytes.subarray(end, end + 4))
  );
}

function fail(reason: string): TokenResult {
  return { ok: false, reason };
}

function truncated(have: number, need: number): TokenResult {
  return fail(`token is truncated: ${have} bytes, at least ${need} expected; copy the whole line`);
}

/**
 * Decode a token (surrounding whitespace is ignored). Never throws: every failure is a result with a
 * one-line reason: empty, characters outside base64url, unsupported version, truncated, checksum
 * mismatch, trailing bytes after the checksum, unknown strategy or flags, bad strategy parameters,
 * malformed tape.
 */
export function decodeToken(text: string): TokenResult {
  const s = text.trim();
  if (s === '') return fail('token is empty; pass the token line printed by the run');
  if (!/^[A-Za-z0-9_-]+$/.test(s)) {
    return fail('token contains characters outside base64url; copy the whole token line');
  }
  const bytes = Buffer.from(s, 'base64url');
  const version = bytes[0];
  if (version === undefined) return truncated(0, MIN_BYTES);
  if (version !== TOKEN_VERSION) {
    return fail(`token format version ${version} is not supported by this build (supports ${TOKEN_VERSION})`);
  }
  const min = minBytes(bytes);
  if (bytes.length < min) return truncated(bytes.length, min);
  const result = verify(bytes);
  // The decoder ignores the unused low bits of the last character; an altered one still means damage.
  if (result.ok && bytes.toString('base64url') !== s) return fail(MISMATCH);
  return result;
}

/** Fewest bytes a token can have: one more per parameter (a varint each) when its strategy takes any. */
function minBytes(bytes: Buffer): number {
  const strategy = bytes.length > 9 ? STRATEGIES[bytes.readUInt8(9)] : undefined;
  return strategy !== undefined && hasParams(strategy) ? MIN_BYTES + 2 : MIN_BYTES;
}

/** Structure and checksum checks, in the order that names the most likely cause. */
function verify(bytes: Buffer): TokenResult {
  const whole = checksumAt(bytes, bytes.length - CHECKSUM_BYTES);
  const parsed = parseBody(bytes);
  if (parsed.kind === 'bad') {
    return fail(whole ? parsed.reason : MISMATCH);
  }
  if (parsed.kind === 'short') {
    if (!whole) return truncated(bytes.length, parsed.need);
    return fail(
      parsed.part === 'strategy parameters'
        ? 'token strategy parameters are malformed: they run past the checksum'
        : `token ${parsed.part === 'tape' ? 'tape' : `${parsed.part} list`} is malformed: it runs past the checksum`,
    );
  }
  const expected = parsed.end + CHECKSUM_BYTES;
  if (bytes.length > expected && checksumAt(bytes, parsed.end)) {
    return fail(
      `token has ${bytes.length - expected} trailing bytes after its checksum; copy only the token line`,
    );
  }
  if (bytes.length < expected) return truncated(bytes.length, expected);
  if (!whole || bytes.length !== expected) {
    return fail(MISMATCH);
  }
  return { ok: true, token: { version: TOKEN_VERSION, ...parsed.token } };
}
