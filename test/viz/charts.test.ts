// Chart export: Mermaid structure of every machine, SCXML well-formed with every transition target and
// initial state existing, Stately JSON parseable, and the README embedding the current Mermaid charts.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CHARTS, drawnEdges, toMermaid, toScxml, toStatelyJson } from '../../src/viz/charts.ts';

/** A small XML well-formedness check: tags nest and close, attributes are quoted, one root element. */
function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  let roots = 0;
  const tag = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|<!--[\s\S]*?-->/g;
  let last = 0;
  for (let m = tag.exec(body); m !== null; m = tag.exec(body)) {
    const between = body.slice(last, m.index);
    if (between.trim() !== '') problems.push(`text outside tags: ${between.trim().slice(0, 40)}`);
    if (/[<>]/.test(between)) problems.push(`stray bracket near ${m.index}`);
    last = tag.lastIndex;
    if (m[0].startsWith('<!--')) continue;
    const [, closing, name, , selfClosing] = m;
    if (closing === '/') {
      if (stack.pop() !== name) problems.push(`</${name}> closes the wrong element`);
    } else {
      if (stack.length === 0) roots += 1;
      if (selfClosing !== '/') stack.push(name!);
    }
  }
  if (body.slice(last).trim() !== '') problems.push('text after the root element');
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(', ')}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}

function attrValues(xml: string, element: string, attr: string): string[] {
  const re = new RegExp(`<${element}\\b[^>]*\\s${attr}="([^"]*)"`, 'g');
  return [...xml.matchAll(re)].map((m) => m[1]!);
}

describe('charts', () => {
  test('the catalogue exports 12 machines', () => {
    expect(CHARTS.map((c) => c.name)).toEqual([
      'ttm_bo',
      'dma_resv',
      'ttm_resource',
      'ttm_resource_manager',
      'ttm_device',
      'task',
      'gpu_ring',
      'ttm_tt',
      'ttm_pool',
      'swap',
      'iommu',
      'shrinker',
    ]);
  });

  for (const { name, machine } of CHARTS) {
    test(`${name}: SCXML is well-formed and every target and initial state exists`, () => {
      const xml = toScxml(machine);
      expect(xmlProblems(xml)).toEqual([]);
      const ids = new Set([
        ...attrValues(xml, 'state', 'id'),
        ...attrValues(xml, 'parallel', 'id'),
        ...attrValues(xml, 'final', 'id'),
      ]);
      const targets = attrValues(xml, 'transition', 'target');
      expect(targets.length).toBeGreaterThan(0);
      for (const t of targets) expect(ids.has(t)).toBe(true);
      for (const i of [...attrValues(xml, 'state', 'initial'), ...attrValues(xml, 'scxml', 'initial')]) {
        expect(ids.has(i)).toBe(true);
      }
    });

    test(`${name}: Mermaid is a stateDiagram-v2 whose edges use declared states`, () => {
      const text = toMermaid(machine);
      const lines = text.trimEnd().split('\n');
      expect(lines.slice(0, 5)).toEqual(['---', 'config:', '  layout: dagre', '---', 'stateDiagram-v2']);
      const declared = new Set([...text.matchAll(/ as (\w+)/g)].map((m) => m[1]!));
      for (const line of lines) {
        const edge = /^\s*(\S+) --> (\S+)/.exec(line);
        if (edge === null) continue;
        for (const end of [edge[1]!, edge[2]!]) if (end !== '[*]') expect(declared.has(end)).toBe(true);
      }
    });

    test(`${name}: Stately JSON parses back to a config with states`, () => {
      const config = JSON.parse(toStatelyJson(machine)) as { id: string; states: Record<string, unknown> };
      expect(config.id).toBe(name);
      expect(Object.keys(config.states).length).toBeGreaterThan(0);
    });
  }

  test('ttm_bo: parallel regions, guards by name, internal self-loops, final state', () => {
    const text = toMermaid(CHARTS[0]!.machine);
    expect(text.split('\n').filter((l) => l.trim() === '--')).toHaveLength(2);
    // pinned's own bo.unpin transitions and bo.zombie, declared on the pin region, share one edge.
    expect(text).toContain(
      '  ttm_bo_pin_pinned --> ttm_bo_pin_unpinned : bo.unpin [lastUnpin]<br>bo.zombie [alive]\n',
    );
    expect(text).toContain('      ttm_bo_lifecycle_destroyed --> [*]\n');
    // bo.placed [inVram] is declared on the placement region: one edge from each of its leaves.
    for (const from of ['unplaced', 'placed_system', 'placed_tt', 'placed_driver'])
      expect(text).toContain(
        `  ttm_bo_placement_${from} --> ttm_bo_placement_placed_vram : bo.placed [inVram]\n`,
      );
  });

  test('no edge starts or ends on a composite state: they are drawn from and to simple states', () => {
    for (const { name, machine } of CHARTS) {
      const text = toMermaid(machine);
      const composite = new Set([...text.matchAll(/state "[^"]*" as (\w+) \{/g)].map((m) => m[1]!));
      for (const line of text.split('\n')) {
        const edge = /^\s*(\S+) --> (\S+)/.exec(line);
        if (edge === null) continue;
        expect(composite.has(edge[1]!), `${name}: ${line}`).toBe(false);
        expect(composite.has(edge[2]!), `${name}: ${line}`).toBe(false);
      }
    }
  });

  test('shrinker: shrinker.done, declared on scanning, leaves each of its three passes; idle enters counting', () => {
    const edges = drawnEdges(CHARTS.find((c) => c.name === 'shrinker')!.machine);
    expect(edges.filter((e) => e.labels.includes('shrinker.done'))).toEqual([
      { from: 'shrinker_scanning_counting', to: 'shrinker_idle', labels: ['shrinker.done'] },
      { from: 'shrinker_scanning_purgePass', to: 'shrinker_idle', labels: ['shrinker.done'] },
      { from: 'shrinker_scanning_backupPass', to: 'shrinker_idle', labels: ['shrinker.done'] },
    ]);
    expect(edges.filter((e) => e.from === 'shrinker_idle')).toEqual([
      { from: 'shrinker_idle', to: 'shrinker_scanning_counting', labels: ['shrinker.scan'] },
    ]);
    expect(edges).toHaveLength(10);
  });

  test('ttm_pool: the usage and fault transitions of the pool leave both of its states', () => {
    expect(drawnEdges(CHARTS.find((c) => c.name === 'ttm_pool')!.machine)).toEqual([
      {
        from: 'ttm_pool_empty',
        to: 'ttm_pool_empty',
        labels: ['mem.usage [nowEmpty]', 'mem.fault (internal)'],
      },
      { from: 'ttm_pool_used', to: 'ttm_pool_empty', labels: ['mem.usage [nowEmpty]'] },
      { from: 'ttm_pool_empty', to: 'ttm_pool_used', labels: ['mem.usage [nowUsed]'] },
      { from: 'ttm_pool_used', to: 'ttm_pool_used', labels: ['mem.usage [nowUsed]', 'mem.fault (internal)'] },
    ]);
  });

  test('dma_resv: SCXML carries guards as cond and the nested initial state', () => {
    const xml = toScxml(CHARTS[1]!.machine);
    expect(xml).toContain(
      '<transition event="resv.locked" cond="hasWaiters" target="dma_resv.locked.contended"/>',
    );
    expect(xml).toContain('<state id="dma_resv.locked" initial="dma_resv.locked.uncontended">');
  });

  test('the README embeds the current Mermaid charts of ttm_bo, dma_resv, ttm_tt and task', () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    for (const name of ['ttm_bo', 'dma_resv', 'ttm_tt', 'task']) {
      const chart = CHARTS.find((c) => c.name === name)!;
      expect(readme).toContain(`\`\`\`mermaid\n${toMermaid(chart.machine)}\`\`\``);
    }
  });
});

describe('charts: delayed and eventless transitions', () => {
  test('after 100 ms and always transitions are exported with their labels in Mermaid and SCXML', async () => {
    const { setup } = await import('xstate');
    const m = setup({ guards: { ready: () => true }, delays: { hangcheck: 500 } }).createMachine({
      id: 'demo',
      initial: 'a',
      states: {
        a: { after: { 100: 'b', hangcheck: 'c' } },
        b: { always: { guard: 'ready', target: 'c' } },
        c: { type: 'final' },
      },
    });
    const text = toMermaid(m);
    expect(text).toContain('  demo_a --> demo_b : after 100ms\n');
    expect(text).toContain('  demo_a --> demo_c : after hangcheck\n');
    expect(text).toContain('  demo_b --> demo_c : always [ready]\n');
    expect(text).toContain('    demo_c --> [*]\n');
    const xml = toScxml(m);
    expect(xml).toContain('<transition cond="ready" target="demo.c"/>');
    expect(xml).toContain('<final id="demo.c"/>');
  });
});
