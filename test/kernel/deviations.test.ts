// The deviations table (README "Deviations from upstream") and the source comments it lists: every
// `Deviation(name):` comment under src/, machines/ or workers/ has a row, every row has such a comment, and a row's "where"
// column names exactly the files whose comments carry its name.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const MARK = /Deviation\(([a-z0-9]+(?:-[a-z0-9]+)*)\):/g;

/** Source files under `dir` (TypeScript and the browser's JavaScript), as paths relative to the root. */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (/\.(ts|js|mjs)$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

/** Deviation name → the files whose comments mark it. */
function marked(): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const f of ['src', 'machines', 'workers'].flatMap(sources)) {
    for (const hit of readFileSync(join(ROOT, f), 'utf8').matchAll(MARK)) {
      const name = hit[1]!;
      const files = m.get(name) ?? [];
      if (!files.includes(f)) files.push(f);
      m.set(name, files);
    }
  }
  return m;
}

interface Row {
  readonly name: string;
  readonly where: string[];
  readonly cells: string[];
}

/** The rows of the README table (the section up to the next `## ` heading). */
function rows(): Row[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Deviations from upstream\n');
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const out: Row[] = [];
  for (const line of section.split('\n')) {
    const m = /^\| `([a-z0-9-]+)` \|(.*)\|$/.exec(line);
    if (m === null) continue;
    const cells = m[2]!.split(' | ').map((c) => c.trim());
    const where = [...cells[0]!.matchAll(/`([^`]+)`/g)].map((w) => w[1]!).sort();
    out.push({ name: m[1]!, where, cells });
  }
  return out;
}

describe('README "Deviations from upstream"', () => {
  test('the scan sees the project: src/kernel/bo.ts is a source, and the mark matches its own form', () => {
    expect(sources('src')).toContain(join('src', 'kernel', 'bo.ts'));
    expect([...'// Deviation(no-numa): x'.matchAll(MARK)].map((h) => h[1])).toEqual(['no-numa']);
    expect([...'Deviation(No_Numa): x'.matchAll(MARK)]).toEqual([]);
  });

  test('every deviation named in a source comment has a row, and every row a source comment', () => {
    const inSource = [...marked().keys()].sort();
    const inTable = rows()
      .map((r) => r.name)
      .sort();
    expect(inSource.length).toBeGreaterThan(0);
    expect(inTable).toEqual(inSource);
    expect(new Set(inTable).size).toBe(inTable.length);
  });

  test("a row's where column names exactly the files whose comments mark it", () => {
    const m = marked();
    for (const r of rows()) {
      const files = (m.get(r.name) ?? []).map((f) => relative('.', f)).sort();
      expect({ name: r.name, where: r.where }).toEqual({ name: r.name, where: files });
    }
  });

  test('every row fills its five columns (deviation, where, upstream, why, upstream followed)', () => {
    for (const r of rows()) {
      expect({ name: r.name, cells: r.cells.length }).toEqual({ name: r.name, cells: 4 });
      expect(r.cells.filter((c) => c.length === 0)).toEqual([]);
    }
  });
});
