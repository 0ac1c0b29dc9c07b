// Tests of the design block of run tokens (flag 0x08): exact bytes, round trips, damage, and the specs
// `--design` accepts.

import { describe, expect, it } from 'vitest';
import { notApplicable, parseDesign, parseDesigns } from '../../src/designs/index.ts';
import { decodeToken, encodeToken, type RunToken } from '../../src/engine/token.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';

const HASH = '00112233445566778899aabbccddeeff';
const base: RunToken = { seed: 7n, strategy: 'random', scenarioHash: HASH };

describe('encodeToken / decodeToken: design block', () => {
  it('encodeToken: one design → flags 0x08, count 1, length 12, the UTF-8 spec before the checksum', () => {
    const bytes = Buffer.from(encodeToken({ ...base, designs: ['shared-iommu'] }), 'base64url');
    expect(bytes[26]).toBe(0x08);
    expect(bytes.length).toBe(27 + 1 + 1 + 12 + 4);
    expect(bytes.subarray(27, 29)).toEqual(Buffer.from([1, 12]));
    expect(bytes.subarray(29, 41).toString('utf8')).toBe('shared-iommu');
  });

  it('decodeToken: designs round-trip alone, and after a tape, mutations and faults (flags 0x0f)', () => {
    const alone = { ...base, designs: ['alloc-ops:platform=encrypted', 'caching'] };
    expect(decodeToken(encodeToken(alone))).toEqual({ ok: true, token: { version: 1, ...alone } });
    const all: RunToken = {
      ...base,
      strategy: 'fifo',
      tape: [0, 2, 1],
      mutations: ['pool-restore-stale-state'],
      faults: [4, 9],
      designs: ['two-step:type=coherent'],
    };
    const t = encodeToken(all);
    expect(Buffer.from(t, 'base64url')[26]).toBe(0x0f);
    expect(decodeToken(t)).toEqual({ ok: true, token: { version: 1, ...all } });
  });

  it('encodeToken: an empty design list leaves the token as it was without one', () => {
    expect(encodeToken({ ...base, designs: [] })).toBe(encodeToken(base));
  });

  it('encodeToken: a design spec over 64 bytes → RangeError', () => {
    expect(() => encodeToken({ ...base, designs: ['d'.repeat(65)] })).toThrow(
      `design spec '${'d'.repeat(65)}' must be 1..64 bytes`,
    );
  });

  it('decodeToken: a truncated design block → truncation with byte counts', () => {
    const t = encodeToken({ ...base, designs: ['shared-iommu'] });
    expect(decodeToken(t.slice(0, -8))).toEqual({
      ok: false,
      reason: 'token is truncated: 39 bytes, at least 45 expected; copy the whole line',
    });
  });
});

describe('parseDesign / parseDesigns / notApplicable', () => {
  it('parseDesign: defaults are left out of the canonical spec, other values kept', () => {
    expect(parseDesign('alloc-ops')).toEqual({
      ok: true,
      name: 'alloc-ops',
      value: 'xen-pv',
      spec: 'alloc-ops',
    });
    expect(parseDesign('alloc-ops:platform=xen-pv')).toMatchObject({ ok: true, spec: 'alloc-ops' });
    expect(parseDesign('caching:coherent=no')).toMatchObject({
      ok: true,
      value: 'no',
      spec: 'caching:coherent=no',
    });
  });

  it('parseDesign: unknown name, wrong key, unknown value → one-line reasons', () => {
    expect(parseDesign('nope')).toEqual({
      ok: false,
      reason:
        "unknown design 'nope'; the designs are alloc-ops, two-step, shared-iommu, caching, dmem ('ttm-sim designs')",
    });
    expect(parseDesign('two-step:kind=cma')).toEqual({
      ok: false,
      reason: "design 'two-step' takes 'two-step:type=VALUE', got 'two-step:kind=cma'",
    });
    expect(parseDesign('shared-iommu:evict=some')).toEqual({
      ok: false,
      reason:
        "design 'shared-iommu': evict must be one of own, any (own: each device evicts only its BOs; any: one LRU over the IOVA space), got 'some'",
    });
  });

  it('parseDesigns: sorted and distinct; two-step with shared-iommu conflicts', () => {
    expect(parseDesigns(['caching', 'alloc-ops', 'caching'])).toEqual({
      ok: true,
      specs: ['alloc-ops', 'caching'],
    });
    expect(parseDesigns(['two-step', 'shared-iommu'])).toEqual({
      ok: false,
      reason: "designs 'two-step' and 'shared-iommu' both bind DMA; switch on one of them",
    });
  });

  it('notApplicable: shared-iommu needs an IOMMU; calibrate builds no device', () => {
    expect(notApplicable('shared-iommu', findScenario('shared-iommu')!)).toBeNull();
    expect(notApplicable('shared-iommu', findScenario('abba-ww')!)).toBe(
      "design 'shared-iommu' does not apply to scenario 'abba-ww': no device there is behind an IOMMU (try --scenario shared-iommu)",
    );
    expect(notApplicable('caching', findScenario('calibrate')!)).toBe(
      "design 'caching' does not apply to scenario 'calibrate': it builds no TTM device",
    );
  });
});
