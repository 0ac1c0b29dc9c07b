// The house's layering (DESIGN.md §6): a file imports only from its own layer or layers below it.
// engine < kernel < {machines, designs, stress model} < sim < explore (+ its Piscina workers) < viz, cli
// < the public API (src/api, src/index.ts, bin). The test reads every import of the sources (static
// imports and re-exports, type-only ones included, and dynamic import() of a literal path) with Babel's
// parser and names each import that goes up, and each source directory no layer holds.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { parse } from '@babel/parser';
import { describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '..');

/** The layers, lowest first; areas in one layer may import each other. */
const LAYERS: readonly (readonly string[])[] = [
  ['src/engine'],
  ['src/kernel'],
  // Over the kernel, under the run: the statecharts (they name kernel constants), the seed designs
  // (plugged into the simulated driver through its hooks), the shared-memory model of stress mode.
  ['machines', 'src/designs', 'src/stress'],
  ['src/sim'],
  // The Piscina workers run explore's campaigns and stress threads, and explore starts them.
  ['src/explore', 'workers'],
  ['src/viz', 'src/cli'],
  ['src/api', 'src/index.ts', 'bin'],
];

const ROOTS = ['src', 'machines', 'workers', 'bin'];

/** The area (an entry of LAYERS) a repository path belongs to, or null. */
function areaOf(path: string): string | null {
  for (const layer of LAYERS) {
    for (const area of layer) if (path === area || path.startsWith(`${area}/`)) return area;
  }
  return null;
}

function layerOf(area: string): number {
  return LAYERS.findIndex((l) => l.includes(area));
}

/** The relative paths a source imports (static, re-exports, dynamic import of a string literal). */
function importsOf(source: string, path: string): string[] {
  const ast = parse(source, {
    sourceType: 'module',
    plugins: path.endsWith('.ts') ? ['typescript'] : [],
    errorRecovery: true,
  });
  const out: string[] = [];
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const n of node) visit(n);
      return;
    }
    const n = node as {
      type?: string;
      source?: { value?: unknown };
      arguments?: { type: string; value?: unknown }[];
    };
    if (
      (n.type === 'ImportDeclaration' ||
        n.type === 'ExportNamedDeclaration' ||
        n.type === 'ExportAllDeclaration') &&
      typeof n.source?.value === 'string'
    ) {
      out.push(n.source.value);
    }
    if (
      n.type === 'ImportExpression' &&
      (n as { source?: { type: string; value?: unknown } }).source?.type === 'StringLiteral'
    ) {
      out.push((n as { source: { value: string } }).source.value);
    }
    if (n.type === 'CallExpression' && (n as { callee?: { type: string } }).callee?.type === 'Import') {
      const a = n.arguments?.[0];
      if (a?.type === 'StringLiteral' && typeof a.value === 'string') out.push(a.value);
    }
    for (const [k, v] of Object.entries(n)) if (k !== 'loc' && k !== 'start' && k !== 'end') visit(v);
  };
  visit(ast.program.body);
  return out.filter((s) => s.startsWith('.'));
}

/**
 * Every import that breaks the layering, as `FROM imports TO (layer A above layer B)`, and every file
 * or imported path in no layer, given the sources by repository path.
 */
function layeringProblems(sources: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  for (const [path, source] of [...sources].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const from = areaOf(path);
    if (from === null) {
      problems.push(`${path} is in no layer (add its directory to LAYERS)`);
      continue;
    }
    for (const spec of importsOf(source, path)) {
      const target = normalize(join(dirname(path), spec));
      const to = areaOf(target);
      if (to === null) {
        if (ROOTS.some((r) => target.startsWith(`${r}/`)))
          problems.push(`${path} imports ${target}, which is in no layer`);
        continue;
      }
      if (layerOf(to) > layerOf(from)) {
        problems.push(`${path} imports ${target}: ${from} may not import ${to}, a layer above it`);
      }
    }
  }
  return problems;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|js|mjs)$/.test(name)) out.push(p);
  }
  return out;
}

describe('the import graph', () => {
  it('has no import from a layer to a layer above it, and every source file in a layer', () => {
    const sources = new Map<string, string>();
    for (const root of ROOTS) {
      for (const file of sourceFiles(join(REPO, root))) {
        sources.set(relative(REPO, file), readFileSync(file, 'utf8'));
      }
    }
    expect(sources.size).toBeGreaterThan(150);
    expect(layeringProblems(sources)).toEqual([]);
  });

  it('names an upward import: a kernel file importing a design, a sim file importing explore', () => {
    const sources = new Map([
      ['src/kernel/simdrv.ts', "import { x } from '../designs/caching.ts';\nexport const y = 1;"],
      [
        'src/sim/run.ts',
        "import type { C } from '../explore/coverage.ts';\nimport { k } from '../kernel/bo.ts';",
      ],
      [
        'src/explore/run.ts',
        "export { runScenarioWith } from '../sim/run.ts';\nconst m = await import('../cli/main.ts');",
      ],
      ['src/sim/other.ts', "import { z } from '../../lib/z.ts';\nimport { w } from '../newdir/w.ts';"],
      ['src/newdir/w.ts', 'export const w = 1;'],
    ]);
    expect(layeringProblems(sources)).toEqual([
      'src/explore/run.ts imports src/cli/main.ts: src/explore may not import src/cli, a layer above it',
      'src/kernel/simdrv.ts imports src/designs/caching.ts: src/kernel may not import src/designs, a layer above it',
      'src/newdir/w.ts is in no layer (add its directory to LAYERS)',
      'src/sim/other.ts imports src/newdir/w.ts, which is in no layer',
      'src/sim/run.ts imports src/explore/coverage.ts: src/sim may not import src/explore, a layer above it',
    ]);
  });

  it('places the areas in order: engine lowest, the public API highest, designs and machines between kernel and sim', () => {
    expect(
      [
        'src/engine',
        'src/kernel',
        'src/designs',
        'machines',
        'src/sim',
        'src/explore',
        'src/cli',
        'src/api',
      ].map((a) => layerOf(a)),
    ).toEqual([0, 1, 2, 2, 3, 4, 5, 6]);
    expect(areaOf('src/index.ts')).toBe('src/index.ts');
    expect(areaOf('src/indexes/x.ts')).toBe(null);
  });
});
