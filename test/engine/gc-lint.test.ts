// Garbage-collection lint: no generator function is made per call. A generator function expression or
// a nested generator declaration makes a new function each time its enclosing code runs (per run, per
// task), and V8 gives each such function a hidden class of its own on its first call, allocated in the
// old generation and pointing back at the function and its scope. That kept whole runs alive through
// every young-generation collection (see RaceRun in src/sim/scenarios/race.ts and
// src/engine/heap_tuning.ts). Generators belong at module level or in class bodies.
// Scans every .ts file under src/, machines/ and workers/ after blanking comments and strings, and
// reports each `function*` that does not start a line at module level (`function*`, `export function*`,
// `export default function*`).

import { readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blankCommentsAndStrings, tsFiles } from './source_scan.ts';

const MODULE_LEVEL = /^(?:export\s+(?:default\s+)?)?function\s*\*/;
const ANY = /\bfunction\s*\*/;

/** file:line of every generator function made inside other code, in one source text. */
function nestedGenerators(file: string, src: string): string[] {
  const out: string[] = [];
  blankCommentsAndStrings(src)
    .split('\n')
    .forEach((code, i) => {
      if (ANY.test(code) && !MODULE_LEVEL.test(code)) out.push(`${file}:${i + 1}`);
    });
  return out;
}

const repo = join(import.meta.dirname, '..', '..');

describe('gc lint', () => {
  it('no generator function is made inside other code in src/, machines/, workers/', () => {
    const files = ['src', 'machines', 'workers'].flatMap((root) => tsFiles(join(repo, root)));
    expect(files.length).toBeGreaterThan(0);
    const found = files.flatMap((path) =>
      nestedGenerators(relative(repo, path).split(sep).join('/'), readFileSync(path, 'utf8')),
    );
    expect(found).toEqual([]);
  });

  it('reports generator expressions and nested declarations, not module-level ones or prose', () => {
    const src = [
      'export function* a(): KGen<void> {}', // 1: module level
      'function* b() {}', // 2: module level
      '  sim.spawn("x", function* () {});', // 3: expression
      '  const c = function* (n: number) {};', // 4: expression
      '  function* d() {}', // 5: nested declaration
      '// function* e() {}', // 6: comment
      'const s = "function* f";', // 7: string
      'export default function* g() {}', // 8: module level
    ].join('\n');
    expect(nestedGenerators('src/x.ts', src)).toEqual(['src/x.ts:3', 'src/x.ts:4', 'src/x.ts:5']);
  });
});
