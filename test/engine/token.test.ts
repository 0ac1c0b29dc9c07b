// Tests of run tokens: round trips, exact layout, and one distinct reason per kind of damage.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decodeToken,
  describeHash,
  encodeToken,
  type RunToken,
  STRATEGIES,
  scenarioHash,
  type TokenResult,
} from '../../src/engine/token.ts';

const HASH = '00112233445566778899aabbccddeeff';
const base: RunToken = { seed: 0xdead_beef_cafe_f00dn, strategy: 'random', scenarioHash: HASH };

/** Re-append a valid checksum to `body` (for building tokens a newer or other build might write). */
const seal = (body: Buffer): string =>
  Buffer.concat([body, createHash('sha256').update(body).digest().subarray(0, 4)]).toString('base64url');

const reason = (r: TokenResult): string => (r.ok ? 'ok' : r.reason);

describe('encodeToken / decodeToken round trip', () => {
  it('without tape', () => {
    const r = decodeToken(encodeToken(base));
    expect(r).toEqual({ ok: true, token: { version: 1, ...base } });
    expect(r.ok && 'tape' in r.token).toBe(false);
  });

  it('with a tape of 1000 choices including large values', () => {
    const tape = Array.from({ length: 1000 }, (_, i) => (i * 2654435761) % 5000);
    tape[3] = 0;
    tape[4] = 127;
    tape[5] = 128;
    tape[6] = 2 ** 32 + 5;
    tape[7] = Number.MAX_SAFE_INTEGER;
    const r = decodeToken(encodeToken({ ...base, strategy: 'fifo', tape }));
    expect(r).toEqual({ ok: true, token: { version: 1, ...base, strategy: 'fifo', tape } });
  });

  it('an explicit empty tape stays present and empty', () => {
    const r = decodeToken(encodeToken({ ...base, tape: [] }));
    expect(r.ok && r.token.tape).toEqual([]);
  });

  it('seed bounds 0 and 2^64-1', () => {
    for (const seed of [0n, (1n << 64n) - 1n]) {
      const r = decodeToken(encodeToken({ ...base, seed }));
      expect(r.ok && r.token.seed).toBe(seed);
    }
  });

  it('every strategy round-trips (pct with its parameters)', () => {
    for (const strategy of STRATEGIES) {
      const t: RunToken =
        strategy === 'pct'
          ? { ...base, strategy, strategyParams: { depth: 2, k: 9 } }
          : { ...base, strategy };
      const r = decodeToken(encodeToken(t));
      expect(r).toEqual({ ok: true, token: { version: 1, ...t } });
    }
  });

  it('whitespace around the token is ignored', () => {
    const t = encodeToken(base);
    expect(decodeToken(`  \n\t${t}\r\n `)).toEqual(decodeToken(t));
  });
});

describe('encodeToken layout', () => {
  it('is one base64url line without padding, 31 bytes without tape', () => {
    const t = encodeToken(base);
    expect(t).toMatch(/^[A-Za-z0-9_-]+$/);
    const bytes = Buffer.from(t, 'base64url');
    expect(bytes.length).toBe(31);
    expect(bytes.subarray(0, 27).toString('hex')).toBe(`01deadbeefcafef00d00${HASH}00`);
    expect(bytes.subarray(27)).toEqual(
      createHash('sha256').update(bytes.subarray(0, 27)).digest().subarray(0, 4),
    );
  });

  it('tape: flags bit 0, varint count then varint choices', () => {
    const bytes = Buffer.from(encodeToken({ ...base, strategy: 'fifo', tape: [1, 300] }), 'base64url');
    expect(bytes.subarray(9, 10).toString('hex')).toBe('01');
    expect(bytes.subarray(26, bytes.length - 4).toString('hex')).toBe('0102' + '01' + 'ac02');
  });

  it('bad fields → RangeError', () => {
    expect(() => encodeToken({ ...base, seed: -1n })).toThrow(RangeError);
    expect(() => encodeToken({ ...base, seed: 1n << 64n })).toThrow(RangeError);
    expect(() => encodeToken({ ...base, scenarioHash: 'abc' })).toThrow(RangeError);
    expect(() => encodeToken({ ...base, scenarioHash: HASH.toUpperCase() })).toThrow(RangeError);
    expect(() => encodeToken({ ...base, tape: [1, -1] })).toThrow(/tape entry 1/);
    expect(() => encodeToken({ ...base, tape: [0.5] })).toThrow(RangeError);
    expect(() => encodeToken({ ...base, strategy: 'pct' as 'fifo' })).toThrow(RangeError);
  });
});

describe('decodeToken failures', () => {
  const good = encodeToken(base);
  const goodTape = encodeToken({ ...base, tape: Array.from({ length: 50 }, (_, i) => i * 3) });

  it('empty', () => {
    expect(reason(decodeToken(''))).toBe('token is empty; pass the token line printed by the run');
    expect(reason(decodeToken('   \n'))).toMatch(/^token is empty/);
  });

  it('characters outside base64url (padding, +, /, inner space)', () => {
    const msg = 'token contains characters outside base64url; copy the whole token line';
    expect(reason(decodeToken(`${good}=`))).toBe(msg);
    expect(reason(decodeToken(good.replace(/^./, '+')))).toBe(msg);
    expect(reason(decodeToken(`${good.slice(0, 10)} ${good.slice(10)}`))).toBe(msg);
  });

  it('truncated (no tape)', () => {
    const t = good.slice(0, 30);
    expect(reason(decodeToken(t))).toBe(
      'token is truncated: 22 bytes, at least 31 expected; copy the whole line',
    );
  });

  it('truncated (with tape)', () => {
    const t = goodTape.slice(0, goodTape.length - 12);
    expect(reason(decodeToken(t))).toMatch(
      /^token is truncated: \d+ bytes, at least \d+ expected; copy the whole line$/,
    );
  });

  it('a single character is truncated too', () => {
    expect(reason(decodeToken('A'))).toMatch(/^token is truncated: 0 bytes, at least 31 expected/);
  });

  it('a flipped character → checksum mismatch', () => {
    for (const pos of [3, 12, 25, 38]) {
      const c = good[pos] === 'A' ? 'B' : 'A';
      const bad = good.slice(0, pos) + c + good.slice(pos + 1);
      expect(reason(decodeToken(bad))).toBe('token checksum mismatch: the token was altered or mis-copied');
    }
  });

  it('a flipped character in a tape token → checksum mismatch', () => {
    const pos = 50;
    const c = goodTape[pos] === 'A' ? 'B' : 'A';
    const bad = goodTape.slice(0, pos) + c + goodTape.slice(pos + 1);
    expect(reason(decodeToken(bad))).toBe('token checksum mismatch: the token was altered or mis-copied');
  });

  it('another version byte, re-checksummed → unsupported version', () => {
    const body = Buffer.from(good, 'base64url').subarray(0, 27);
    body[0] = 2;
    expect(reason(decodeToken(seal(body)))).toBe(
      'token format version 2 is not supported by this build (supports 1)',
    );
  });

  it('version is checked before length (a future format may be shorter)', () => {
    expect(reason(decodeToken(Buffer.from([9, 1, 2]).toString('base64url')))).toMatch(
      /version 9 is not supported/,
    );
  });

  it('bytes appended after the checksum → trailing bytes', () => {
    const bytes = Buffer.from(good, 'base64url');
    const longer = Buffer.concat([bytes, Buffer.from([1, 2, 3])]).toString('base64url');
    expect(reason(decodeToken(longer))).toBe(
      'token has 3 trailing bytes after its checksum; copy only the token line',
    );
    const tb = Buffer.concat([Buffer.from(goodTape, 'base64url'), Buffer.from([0])]).toString('base64url');
    expect(reason(decodeToken(tb))).toMatch(/^token has 1 trailing bytes/);
  });

  it('unknown strategy id with a valid checksum', () => {
    const body = Buffer.from(good, 'base64url').subarray(0, 27);
    body[9] = 7;
    expect(reason(decodeToken(seal(body)))).toBe('token names strategy id 7, unknown to this build');
  });

  it('unknown flags with a valid checksum', () => {
    const body = Buffer.from(good, 'base64url').subarray(0, 27);
    body[26] = 0x82;
    expect(reason(decodeToken(seal(body)))).toBe('token has unknown flags 0x82; use the build that made it');
  });

  it('no truncation and no single-character change of a tape token decodes, and none throws', () => {
    const accepted: string[] = [];
    for (let i = 1; i < goodTape.length; i++) {
      if (decodeToken(goodTape.slice(0, i)).ok) accepted.push(`cut ${i}`);
    }
    for (let i = 0; i < goodTape.length; i++) {
      for (const c of 'AQgwZz09-_') {
        if (goodTape[i] === c) continue;
        if (decodeToken(goodTape.slice(0, i) + c + goodTape.slice(i + 1)).ok) accepted.push(`flip ${i}`);
      }
    }
    expect(accepted).toEqual([]);
  });

  it('changing only the unused low bits of the last character → checksum mismatch', () => {
    // 42 characters carry 31 bytes and 4 spare bits: flipping bit 0 of the last sextet keeps the bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(good.at(-1) ?? '') ^ 1] ?? '';
    const altered = good.slice(0, -1) + sibling;
    expect(Buffer.from(altered, 'base64url')).toEqual(Buffer.from(good, 'base64url'));
    const r = decodeToken(altered);
    expect(reason(r)).toBe('token checksum mismatch: the token was altered or mis-copied');
  });

  it('the reasons are pairwise distinct', () => {
    const body = Buffer.from(good, 'base64url').subarray(0, 27);
    body[0] = 3;
    const reasons = [
      decodeToken(''),
      decodeToken('!'),
      decodeToken(good.slice(0, 20)),
      decodeToken(seal(body)),
      decodeToken(`${good.slice(0, 5)}${good[5] === 'A' ? 'B' : 'A'}${good.slice(6)}`),
      decodeToken(Buffer.concat([Buffer.from(good, 'base64url'), Buffer.from([0])]).toString('base64url')),
    ].map(reason);
    expect(new Set(reasons).size).toBe(reasons.length);
    expect(reasons).not.toContain('ok');
  });
});

describe('scenarioHash / describeHash', () => {
  it('= first 16 bytes of sha256(canonicalJson(config)), key order irrelevant', () => {
    const h = scenarioHash({ b: 2, a: [1] });
    expect(h).toBe(createHash('sha256').update('{"a":[1],"b":2}').digest('hex').slice(0, 32));
    expect(scenarioHash({ a: [1], b: 2 })).toBe(h);
    expect(h).toMatch(/^[0-9a-f]{32}$/);
  });

  it('different configs → different hashes', () => {
    expect(scenarioHash({ a: 1 })).not.toBe(scenarioHash({ a: 2 }));
  });

  it('describeHash keeps the first 8 hex characters', () => {
    expect(describeHash(HASH)).toBe('00112233');
  });

  it('a scenario hash round-trips through a token', () => {
    const h = scenarioHash({ name: 'vram-pressure' });
    const r = decodeToken(encodeToken({ ...base, scenarioHash: h }));
    expect(r.ok && r.token.scenarioHash).toBe(h);
  });
});

describe('mutation and fault blocks', () => {
  const withBoth: RunToken = {
    seed: 7n,
    strategy: 'random',
    scenarioHash: HASH,
    mutations: ['calibrator-starvation=10', 'pool-restore-stale-state'],
    faults: [3, 17, 300],
  };

  it('encode to exact bytes: flags 0x06, mutations as length-prefixed UTF-8, faults as gaps', () => {
    const t = encodeToken(withBoth);
    expect(t).toBe(
      'AQAAAAAAAAAHAAARIjNEVWZ3iJmqu8zd7v8GAhhjYWxpYnJhdG9yLXN0YXJ2YXRpb249MTAYcG9vbC1yZXN0b3JlLXN0YWxlLXN0YXRlAwMOmwKE09hQ',
    );
    const bytes = Buffer.from(t, 'base64url');
    expect(bytes[26]).toBe(0x06);
    // Gaps 3, 14, 283 (= 0x9b 0x02 as a varint) after the count 3.
    expect([...bytes.subarray(bytes.length - 9, bytes.length - 4)]).toEqual([0x03, 0x03, 0x0e, 0x9b, 0x02]);
  });

  it('round-trip, alone and with a tape', () => {
    const r = decodeToken(encodeToken(withBoth));
    expect(r).toEqual({ ok: true, token: { version: 1, ...withBoth } });
    const fifo: RunToken = { seed: 7n, strategy: 'fifo', scenarioHash: HASH, tape: [0, 1, 2], faults: [0] };
    const t = encodeToken(fifo);
    expect(t).toBe('AQAAAAAAAAAHAQARIjNEVWZ3iJmqu8zd7v8FAwABAgEAu_Sqfg');
    expect(decodeToken(t)).toEqual({ ok: true, token: { version: 1, ...fifo } });
  });

  it('empty lists leave the token as it was without them', () => {
    expect(encodeToken({ ...base, mutations: [], faults: [] })).toBe(encodeToken(base));
  });

  it('rejects unsorted faults and oversized mutation specs when encoding', () => {
    expect(() => encodeToken({ ...base, faults: [5, 5] })).toThrow(
      'fault list must be sorted distinct non-negative integers (entry 1)',
    );
    expect(() => encodeToken({ ...base, mutations: ['x'.repeat(65)] })).toThrow(
      `mutation spec '${'x'.repeat(65)}' must be 1..64 bytes`,
    );
  });

  it('a truncated mutation block is reported as truncation', () => {
    const t = encodeToken(withBoth);
    expect(decodeToken(t.slice(0, -8))).toEqual({
      ok: false,
      reason: 'token is truncated: 81 bytes, at least 86 expected; copy the whole line',
    });
  });

  it('an unknown flag bit (0x10; 0x08 is the design block) is refused with its value', () => {
    const body = Buffer.from(encodeToken(base), 'base64url').subarray(0, 27);
    body[26] = 0x10;
    expect(decodeToken(seal(body))).toEqual({
      ok: false,
      reason: 'token has unknown flags 0x10; use the build that made it',
    });
  });
});
