// Tests of `ttm-sim compare`: the table on the shared-iommu scenario (exact numbers), its exit codes and
// bad input; and that a run under a design replays from its token with the same trace hash.

import { describe, expect, it, vi } from 'vitest';
import { decode, runDecoded } from '../../src/cli/common.ts';
import { compareDesigns, compareExitCode, compareTable } from '../../src/cli/compare.ts';
import { main } from '../../src/cli/main.ts';
import { countersOf, runScenario } from '../../src/explore/run.ts';
import { COUNTER_KEYS } from '../../src/kernel/counters.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';

const TABLE = `design                  bytes moved  evictions  map fails  cpu faults  refaults  sync  shootdowns  backed up  restored  dma evict  broke  stuck  verdict
kernel                      1490944         14         28           0         0     0           0          0         0          0      0      0  pass
shared-iommu                1773568         18         13           0         0     0           0          0         0         10      0      0  pass
shared-iommu:evict=any      2359296         36         31           0         0     0           0          0         0         31      0      0  pass
two-step                    1773568         18         13           0         0     0           0          0         0         10      0      0  pass`;

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    err += String(s);
    return true;
  });
  try {
    const code = await main(args);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('ttm-sim compare', () => {
  it('compareDesigns: shared-iommu, 3 schedules → the exact table; every design passes (exit 0)', () => {
    const rows = compareDesigns({
      scenario: findScenario('shared-iommu')!,
      entries: [
        { design: 'kernel', specs: [] },
        { design: 'shared-iommu', specs: ['shared-iommu'] },
        { design: 'shared-iommu:evict=any', specs: ['shared-iommu:evict=any'] },
        { design: 'two-step', specs: ['two-step'] },
      ],
      schedules: 3,
      baseSeed: 0n,
      strategy: { strategy: 'random' },
    });
    expect(compareTable(rows)).toBe(TABLE);
    expect(compareExitCode(rows)).toBe(0);
  });

  it('compare --designs kernel,caching:coherent=no on vram-pressure → the first failure with its token, exit 1', async () => {
    const r = await cli([
      'compare',
      '--scenario',
      'vram-pressure',
      '--designs',
      'kernel,caching:coherent=no',
      '--schedules',
      '2',
      '--json',
    ]);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out) as {
      rows: {
        design: string;
        outcomes: Record<string, number>;
        first: { id: string; token: string } | null;
      }[];
    };
    expect(
      j.rows.map((x) => [x.design, x.outcomes.pass, x.outcomes.correctness, x.first?.id ?? null]),
    ).toEqual([
      ['kernel', 2, 0, null],
      ['caching:coherent=no', 0, 2, 'design.driver-not-loaded'],
    ]);
    const again = runDecoded(decode(j.rows[1]!.first!.token, 'replay'), false);
    expect(again.failure?.id).toBe('design.driver-not-loaded');
  });

  it('compare with an unknown design or one the scenario has no IOMMU for → exit 2, one line', async () => {
    const unknown = await cli(['compare', '--scenario', 'shared-iommu', '--designs', 'kernel,nope']);
    expect(unknown).toEqual({
      code: 2,
      out: '',
      err: "ttm-sim: --designs: unknown design 'nope'; the designs are alloc-ops, two-step, shared-iommu, caching, dmem ('ttm-sim designs')\n",
    });
    const na = await cli(['compare', '--scenario', 'abba-ww', '--designs', 'shared-iommu']);
    expect(na.code).toBe(2);
    expect(na.err).toBe(
      "ttm-sim: --designs: design 'shared-iommu' does not apply to scenario 'abba-ww': no device there is behind an IOMMU (try --scenario shared-iommu)\n",
    );
  });
});

describe('replay of a run under a design', () => {
  it('run shared-iommu --seed 1 --design shared-iommu:evict=any → its token replays to the same trace SHA-256', () => {
    const r = runScenario(findScenario('shared-iommu')!, { seed: 1n, designs: ['shared-iommu:evict=any'] });
    const d = decode(r.token, 'replay');
    expect(d.designs).toEqual(['shared-iommu:evict=any']);
    const again = runDecoded(d, false);
    expect(again.traceSha256).toBe(r.traceSha256);
    expect(again.counters).toEqual(r.counters);
    const kernel = runScenario(findScenario('shared-iommu')!, { seed: 1n });
    expect(kernel.traceSha256).not.toBe(r.traceSha256);
  });
});

describe('countersOf', () => {
  it('gives every counter of COUNTER_KEYS, in that order, zero for no world', () => {
    const totals = countersOf([]);
    expect(Object.keys(totals)).toEqual([...COUNTER_KEYS]);
    expect(Object.values(totals)).toEqual(COUNTER_KEYS.map(() => 0));
  });

  it('shared-iommu seed 0: the IOMMU map failures are counted after teardown took both devices off the list (7, as the scenario saw)', () => {
    const r = runScenario(findScenario('shared-iommu')!, { seed: 0n });
    expect(r.outcome).toBe('pass');
    expect(r.stats).toMatchObject({ lifeTeardowns: 1, lifeDevicesFini: 2, iovaMapFailures: 7 });
    expect(r.counters.iommuMapFailures).toBe(7);
  });
});
