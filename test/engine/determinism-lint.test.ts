// Determinism lint (DESIGN.md §1): simulation code must not read wall-clock time, draw unseeded
// randomness or use real timers; only the seeded scheduler and the virtual clock decide order.
// Scans every .ts file under src/, machines/ and workers/ and lists file:line for each violation.
// Comments and string contents are blanked first, so prose such as "never call Date.now" is allowed.
// Allowed: src/engine/clock.ts may name setTimeout (the XState clock object's method names);
// src/cli/ may read the wall clock and use real timers (progress display only); so may the campaign
// driver, the slice runner (src/explore/shard_run.ts), shrinking, the campaign worker's warm-up and the
// benchmark's hunt worker, for time budgets and progress only: no run reads them, and a campaign's
// results do not depend on them (a time budget only decides where it stops).

import { readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blankCommentsAndStrings, tsFiles } from './source_scan.ts';

interface Rule {
  readonly name: string;
  readonly pattern: RegExp;
  /** Path prefixes (relative, '/'-separated) where the rule does not apply. */
  readonly allow: readonly string[];
}

const TIMER = '(?:setTimeout|setInterval|setImmediate)';
const WALL_CLOCK_OK = [
  'src/cli/',
  'src/explore/campaign_streams.ts',
  'src/explore/fuzz.ts',
  'src/explore/shard_run.ts',
  'src/explore/shrink.ts',
  'workers/campaign.worker.ts',
  'workers/hunt.worker.ts',
];

const RULES: readonly Rule[] = [
  { name: 'Math.random', pattern: /\bMath\s*\.\s*random\b/, allow: [] },
  { name: 'randomUUID', pattern: /\brandomUUID\b/, allow: [] },
  { name: 'Date.now', pattern: /\bDate\s*\.\s*now\b/, allow: WALL_CLOCK_OK },
  { name: 'new Date()', pattern: /\bnew\s+Date\s*\(\s*\)/, allow: WALL_CLOCK_OK },
  { name: 'performance.now', pattern: /\bperformance\s*\.\s*now\b/, allow: WALL_CLOCK_OK },
  { name: 'process.hrtime', pattern: /\bprocess\s*\.\s*hrtime\b/, allow: WALL_CLOCK_OK },
  {
    // A global timer: the bare name, or through globalThis/global/window; `obj.setTimeout(` is a method.
    name: 'real timer',
    pattern: new RegExp(`(?<![\\w$.])${TIMER}\\b|\\b(?:globalThis|global|window)\\s*\\.\\s*${TIMER}\\b`),
    allow: [...WALL_CLOCK_OK, 'src/engine/clock.ts'],
  },
];

const ROOTS = ['src', 'machines', 'workers'];

interface Violation {
  readonly file: string;
  readonly line: number;
  readonly rule: string;
  readonly text: string;
}

/** Violations in one source text; `file` is its '/'-separated path relative to the repository. */
function scanSource(file: string, src: string): Violation[] {
  const found: Violation[] = [];
  const raw = src.split('\n');
  blankCommentsAndStrings(src)
    .split('\n')
    .forEach((code, i) => {
      for (const rule of RULES) {
        if (rule.allow.some((p) => file === p || file.startsWith(p))) continue;
        if (rule.pattern.test(code))
          found.push({ file, line: i + 1, rule: rule.name, text: (raw[i] ?? '').trim() });
      }
    });
  return found;
}

const repo = join(import.meta.dirname, '..', '..');

describe('determinism lint', () => {
  it('no wall clock, unseeded randomness or real timers in src/, machines/, workers/', () => {
    const files = ROOTS.flatMap((root) => tsFiles(join(repo, root)));
    expect(files.length).toBeGreaterThan(0);
    const violations = files.flatMap((path) =>
      scanSource(relative(repo, path).split(sep).join('/'), readFileSync(path, 'utf8')),
    );
    const report = violations.map((v) => `${v.file}:${v.line}: ${v.rule}: ${v.text}`);
    expect(report).toEqual([]);
  });
});

describe('determinism lint: scanner self-test', () => {
  const at = (file: string, src: string): string[] => scanSource(file, src).map((v) => `${v.line}:${v.rule}`);

  it('reports Math.random() with its line', () => {
    expect(at('src/kernel/x.ts', 'const a = 1;\nconst r = Math.random();\n')).toEqual(['2:Math.random']);
  });

  it('reports every forbidden use', () => {
    const src = [
      'Date.now();',
      'performance.now();',
      'crypto.randomUUID();',
      'randomUUID();',
      'setTimeout(f, 1);',
      'setInterval(f, 1);',
      'setImmediate(f);',
      'globalThis.setTimeout(f, 1);',
      'const d = new Date();',
      'process.hrtime.bigint();',
    ].join('\n');
    expect(at('machines/bo.ts', src)).toEqual([
      '1:Date.now',
      '2:performance.now',
      '3:randomUUID',
      '4:randomUUID',
      '5:real timer',
      '6:real timer',
      '7:real timer',
      '8:real timer',
      '9:new Date()',
      '10:process.hrtime',
    ]);
  });

  it('ignores comments, strings and method calls on other objects', () => {
    const src = [
      '// never call Math.random or Date.now here',
      '/* setTimeout would use real time',
      '   performance.now too */',
      "const s = 'Math.random()';",
      'const t = "Date.now()";',
      ['const u = `setTimeout($', '{n}) Math.random()`;'].join(''),
      'clock.setTimeout(fn, 5);',
      'const d = new Date(0);',
    ].join('\n');
    expect(at('src/kernel/x.ts', src)).toEqual([]);
  });

  it('finds code inside template substitutions', () => {
    // Joined so that the sample is not itself a template placeholder inside a plain string.
    const src = ['const s = `id-$', '{Math.random()}`;'].join('');
    expect(at('src/kernel/x.ts', src)).toEqual(['1:Math.random']);
  });

  it('allow-list: clock.ts may name setTimeout, src/cli may read the wall clock, neither may use Math.random', () => {
    expect(at('src/engine/clock.ts', 'setTimeout: (fn, ms) => 1,\nMath.random();')).toEqual([
      '2:Math.random',
    ]);
    expect(at('src/engine/clock.ts', 'Date.now();')).toEqual(['1:Date.now']);
    expect(at('src/cli/progress.ts', 'Date.now(); setInterval(f, 100);\nMath.random();')).toEqual([
      '2:Math.random',
    ]);
    expect(at('src/engine/scheduler.ts', 'setTimeout(fn, ms) {}')).toEqual(['1:real timer']);
  });
});
