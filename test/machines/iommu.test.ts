// The IOMMU's statechart (machines/iommu.machine.ts): map and unmap step the IOVA space between empty and
// used, a failed map counts and changes nothing, and what the DMA API forbids is refused; the derived
// table steps it exactly as a real actor does; `ttm-sim charts` draws it; a shared-iommu run steps one
// chart per IOVA space with both devices' maps.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { type AnyActorRef, createActor } from 'xstate';
import { iommuMachine } from '../../machines/index.ts';
import { runScenario } from '../../src/explore/run.ts';
import { chartTable, stateString } from '../../src/sim/chart_table.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';
import { toMermaid } from '../../src/viz/charts.ts';

type Ev = { type: 'mem.usage'; pages: number; op: string } | { type: 'mem.fault'; op: string };

/** Send `events` in turn; the state and context after each, `!` marking a refused event. */
function run(actor: AnyActorRef, events: readonly Ev[]): string[] {
  return events.map((e) => {
    const before = actor.getSnapshot();
    const can = before.can(e);
    actor.send(e);
    const after = actor.getSnapshot();
    const c = after.context as { pages: number; mappings: number; faults: number };
    return `${stateString(after.value)} ${c.pages}p ${c.mappings}m ${c.faults}f${!can && after === before ? ' !' : ''}`;
  });
}

const map = (pages: number): Ev => ({ type: 'mem.usage', pages, op: 'map' });
const unmap = (pages: number): Ev => ({ type: 'mem.usage', pages, op: 'unmap' });
const fault: Ev = { type: 'mem.fault', op: 'fault' };

describe('iommu chart', () => {
  const events: Ev[] = [
    unmap(0),
    fault,
    map(4),
    map(6),
    fault,
    map(6),
    unmap(4),
    unmap(4),
    unmap(0),
    unmap(0),
  ];
  const expected = [
    'empty 0p 0m 0f !', // dma_unmap_page with nothing mapped
    'empty 0p 0m 1f', // a failed map takes nothing
    'used 4p 1m 1f',
    'used 6p 2m 1f',
    'used 6p 2m 2f', // a failure while used: still used, same pages
    'used 6p 2m 2f !', // a map that takes no IOVA page
    'used 4p 1m 2f',
    'used 4p 1m 2f !', // an unmap that frees nothing
    'empty 0p 0m 2f',
    'empty 0p 0m 2f !',
  ];

  test('map, unmap, failures: empty ⇄ used, counted in the context; forbidden events refused', () => {
    expect(run(createActor(iommuMachine).start(), events)).toEqual(expected);
  });

  test('the derived table steps the same states and refusals as the real actor', () => {
    const table = chartTable(iommuMachine);
    expect(table).not.toBeNull();
    const s = table!.start({});
    const out = events.map((e) => {
      const refused = table!.step(s, e);
      return `${s.config.state}${refused ? ' !' : ''}`;
    });
    expect(out).toEqual(expected.map((x) => x.split(' ')[0]! + (x.endsWith('!') ? ' !' : '')));
  });

  test('ttm-sim charts draws it: both states, the guarded map and unmap edges, the failure self-loop', () => {
    const lines = toMermaid(iommuMachine)
      .split('\n')
      .map((l) => l.trim());
    expect(lines).toContain('iommu_empty --> iommu_used : mem.usage [mapTakesPages]');
    expect(lines).toContain('iommu_used --> iommu_empty : mem.usage [unmapLeavesNone]');
    expect(lines).toContain(
      'iommu_used --> iommu_used : mem.fault (internal)<br>mem.usage [mapTakesPages] (internal)<br>mem.usage [unmapLeavesSome] (internal)',
    );
    expect(lines).toContain('iommu_empty --> iommu_empty : mem.fault (internal)');
  });

  test('the README embeds the chart as ttm-sim charts exports it', () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    expect(readme).toContain(`\`\`\`mermaid\n${toMermaid(iommuMachine)}\`\`\``);
  });

  test('shared-iommu seed 0: one chart for the IOVA space both devices map into, empty after teardown', () => {
    const r = runScenario(findScenario('shared-iommu')!, { seed: 0n });
    const ids = r.sim.mirror.ids().filter((id) => id.startsWith('iommu'));
    expect(ids).toEqual(['iommu:shared']);
    const snap = r.sim.mirror.snapshot('iommu:shared') as {
      value: string;
      context: { pages: number; mappings: number; faults: number };
    };
    expect(snap.value).toBe('empty');
    expect(snap.context.pages).toBe(0);
    expect(snap.context.mappings).toBe(0);
    expect(snap.context.faults).toBe(r.counters.iommuMapFailures);
  });
});
