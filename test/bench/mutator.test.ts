// The mutator of bench/mutation: exact mutants of a small fixed source (positions, operators, texts),
// what it leaves alone, and the seeded per-file stratified sample.

import { describe, expect, it } from 'vitest';
import {
  applyMutant,
  classifyMutants,
  exportedFunctions,
  isValidMutant,
  type Mutant,
  mutantKey,
  mutantsOf,
} from '../../bench/mutation/mutator.ts';
import { type ResultsFile, summarise } from '../../bench/mutation/report.ts';
import { quotas, sampleMutants } from '../../bench/mutation/sample.ts';
import { programFacts } from '../../bench/mutation/skip_rules.ts';

const SOURCE = [
  "import { EINVAL } from './errno.ts';",
  'type T = { n: number };',
  'export function f(a: number, b: T | null): number {',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a template literal in the source under test
  '  if (a < 0) throw new Error(`bad ${a}`);',
  "  if (warnOn(g, R, a > 9, 'x', '')) return -EINVAL;",
  '  let n = b?.n ?? 2;',
  '  for (let i = 0; i < a; i++) n = n * 2;',
  '  if (!(a === 1) && a >= 3) return -EINVAL;',
  '  while (n > 0) {',
  '    n--;',
  '    break;',
  '  }',
  '  return a - n ? 1 : -n;',
  '}',
  'let done = true;',
  '',
].join('\n');

describe('mutantsOf', () => {
  it('gives exactly the expected mutants of a fixed source, in source order', () => {
    const got = mutantsOf('x.ts', SOURCE, { skipCallees: ['warnOn'] }).map((m) => [
      m.line,
      m.column,
      m.start,
      m.end,
      m.operator,
      m.original,
      m.replacement,
    ]);
    expect(got).toEqual([
      [6, 11, 217, 221, 'optional-chaining', 'b?.n', 'b.n'],
      [6, 18, 225, 226, 'numeric-constant', '2', '1'],
      [6, 18, 225, 226, 'numeric-constant', '2', '3'],
      [7, 15, 243, 244, 'numeric-constant', '0', '-1'],
      [7, 15, 243, 244, 'numeric-constant', '0', '1'],
      [7, 20, 246, 251, 'relational-boundary', 'i < a', 'i <= a'],
      [7, 20, 246, 251, 'relational-negation', 'i < a', 'i >= a'],
      [7, 18, 246, 251, 'condition-false', 'i < a', 'false'],
      [7, 26, 253, 256, 'update', 'i++', 'i--'],
      [7, 30, 258, 268, 'statement-removal', 'n = n * 2;', ';'],
      [7, 36, 262, 267, 'arithmetic', 'n * 2', 'n / 2'],
      [7, 38, 266, 267, 'numeric-constant', '2', '1'],
      [7, 38, 266, 267, 'numeric-constant', '2', '3'],
      [8, 6, 275, 285, 'unary-removal', '!(a === 1)', '(a === 1)'],
      [8, 17, 275, 295, 'logical', '!(a === 1) && a >= 3', '!(a === 1) || a >= 3'],
      [8, 6, 275, 295, 'condition-true', '!(a === 1) && a >= 3', 'true'],
      [8, 6, 275, 295, 'condition-false', '!(a === 1) && a >= 3', 'false'],
      [8, 10, 277, 284, 'equality-negation', 'a === 1', 'a !== 1'],
      [8, 14, 283, 284, 'numeric-constant', '1', '0'],
      [8, 14, 283, 284, 'numeric-constant', '1', '2'],
      [8, 22, 289, 295, 'relational-boundary', 'a >= 3', 'a > 3'],
      [8, 22, 289, 295, 'relational-negation', 'a >= 3', 'a < 3'],
      [8, 25, 294, 295, 'numeric-constant', '3', '2'],
      [8, 25, 294, 295, 'numeric-constant', '3', '4'],
      [8, 35, 304, 311, 'unary-removal', '-EINVAL', 'EINVAL'],
      [8, 35, 304, 311, 'return-value', '-EINVAL', '0'],
      [9, 11, 322, 327, 'relational-boundary', 'n > 0', 'n >= 0'],
      [9, 11, 322, 327, 'relational-negation', 'n > 0', 'n <= 0'],
      [9, 9, 322, 327, 'condition-false', 'n > 0', 'false'],
      [9, 13, 326, 327, 'numeric-constant', '0', '-1'],
      [9, 13, 326, 327, 'numeric-constant', '0', '1'],
      [10, 5, 335, 338, 'update', 'n--', 'n++'],
      [10, 4, 335, 339, 'statement-removal', 'n--;', ';'],
      [11, 4, 344, 350, 'statement-removal', 'break;', ';'],
      [13, 11, 364, 369, 'arithmetic', 'a - n', 'a + n'],
      [13, 9, 364, 369, 'condition-true', 'a - n', 'true'],
      [13, 9, 364, 369, 'condition-false', 'a - n', 'false'],
      [13, 17, 372, 373, 'numeric-constant', '1', '0'],
      [13, 17, 372, 373, 'numeric-constant', '1', '2'],
      [13, 21, 376, 378, 'unary-removal', '-n', 'n'],
      [15, 11, 393, 397, 'boolean-literal', 'true', 'false'],
    ]);
  });

  it('leaves imports, types, throw guards, template literals and check calls alone', () => {
    const ms = mutantsOf('x.ts', SOURCE, { skipCallees: ['warnOn'] });
    // Lines 1 (import), 2 (type), 4 (throw guard with a template literal), 5 (WARN_ON guard and the path after it).
    expect(ms.filter((m) => m.line <= 5).map((m) => m.line)).toEqual([]);
    // Without the check callee listed, the WARN_ON guard's arguments and consequent are mutated.
    const all = mutantsOf('x.ts', SOURCE);
    expect(all.filter((m) => m.line === 5).map((m) => `${m.operator} ${m.replacement}`)).toEqual([
      'condition-true true',
      'condition-false false',
      'relational-boundary a >= 9',
      'relational-negation a <= 9',
      'numeric-constant 10',
      'numeric-constant 8',
      'unary-removal EINVAL',
      'return-value 0',
    ]);
  });

  it('makes mutants that still parse and apply to their own source only', () => {
    const ms = mutantsOf('x.ts', SOURCE, { skipCallees: ['warnOn'] });
    for (const m of ms) expect(isValidMutant(SOURCE, m)).toBe(true);
    const m = ms.find((x) => x.operator === 'logical')!;
    expect(applyMutant(SOURCE, m).split('\n')[7]).toBe('  if (!(a === 1) || a >= 3) return -EINVAL;');
    expect(() => applyMutant(SOURCE.replace('&&', '||'), m)).toThrow(/does not match/);
  });

  it('lists the functions a module exports', () => {
    const src = 'export function a() {}\nfunction b() {}\nexport const c = 1;\nexport function d() {}\n';
    expect(exportedFunctions(src)).toEqual(['a', 'd']);
  });
});

describe('skip rules', () => {
  // A kernel file with an unarmed hook (failNext), a field nothing reads (count), a field another file
  // reads (seen), a catalogue switch bound to a const (legacy) and a function nothing calls (unused).
  const A = [
    "import { ENOMEM } from './errno.ts';",
    'export class Hooks {',
    '  failNext = 0;',
    '  count = 0;',
    '  seen = 0;',
    '}',
    'export function f(h: Hooks, g: { mutations: Set<string> } | null, x: number): number {',
    '  if (h.failNext > 0) {',
    '    h.failNext -= 1;',
    '    return -ENOMEM;',
    '  }',
    '  h.count += 1;',
    '  const legacy = g?.mutations.has(MUTATION_OLD) ?? false;',
    '  if (x > 1 && legacy) return 1;',
    '  h.seen = x;',
    '  return legacy ? x + 1 : -x;',
    '}',
    'export function unused(): boolean {',
    '  return true;',
    '}',
    '',
  ].join('\n');
  const B = [
    "import { f, Hooks } from '../kernel/a.ts';",
    'const h = new Hooks();',
    'export const y = f(h, null, h.seen);',
    '',
  ].join('\n');
  const program = new Map([
    ['src/kernel/a.ts', A],
    ['src/sim/b.ts', B],
  ]);

  it('finds the unarmed hooks, the unread fields and the dead functions of a program', () => {
    const facts = programFacts(program);
    expect([...facts.hooks]).toEqual([['failNext', 'zero']]);
    expect([...facts.unread]).toEqual(['count']);
    expect([...facts.dead]).toEqual(['unused']);
    // A write outside a test of the hook arms it; a reader of `count` makes it read.
    const armed = programFacts(
      new Map([...program, ['src/sim/c.ts', 'export function arm(h) { h.failNext = 2; return h.count; }\n']]),
    );
    expect([[...armed.hooks], [...armed.unread], [...armed.dead]]).toEqual([[], [], ['unused']]);
  });

  it('skips exactly the mutants no run can tell apart, each with its rule', () => {
    const r = classifyMutants('src/kernel/a.ts', A, { facts: programFacts(program) });
    expect(r.skipped.map((m) => [m.line, m.operator, m.original, m.replacement, m.rule])).toEqual([
      [4, 'numeric-constant', '0', '-1', 'unread-field'],
      [4, 'numeric-constant', '0', '1', 'unread-field'],
      [8, 'condition-false', 'h.failNext > 0', 'false', 'unarmed-hook'],
      [9, 'statement-removal', 'h.failNext -= 1;', ';', 'unarmed-hook'],
      [9, 'numeric-constant', '1', '0', 'unarmed-hook'],
      [9, 'numeric-constant', '1', '2', 'unarmed-hook'],
      [10, 'unary-removal', '-ENOMEM', 'ENOMEM', 'unarmed-hook'],
      [10, 'return-value', '-ENOMEM', '0', 'unarmed-hook'],
      [12, 'statement-removal', 'h.count += 1;', ';', 'unread-field'],
      [12, 'numeric-constant', '1', '0', 'unread-field'],
      [12, 'numeric-constant', '1', '2', 'unread-field'],
      [13, 'optional-chaining', 'g?.mutations', 'g.mutations', 'catalogue-switch'],
      [13, 'boolean-literal', 'false', 'true', 'catalogue-switch'],
      [14, 'relational-boundary', 'x > 1', 'x >= 1', 'catalogue-switch'],
      [14, 'relational-negation', 'x > 1', 'x <= 1', 'catalogue-switch'],
      [14, 'condition-false', 'x > 1 && legacy', 'false', 'catalogue-switch'],
      [14, 'numeric-constant', '1', '0', 'catalogue-switch'],
      [14, 'numeric-constant', '1', '2', 'catalogue-switch'],
      [14, 'numeric-constant', '1', '0', 'catalogue-switch'],
      [14, 'numeric-constant', '1', '2', 'catalogue-switch'],
      [16, 'condition-false', 'legacy', 'false', 'catalogue-switch'],
      [16, 'arithmetic', 'x + 1', 'x - 1', 'catalogue-switch'],
      [16, 'numeric-constant', '1', '0', 'catalogue-switch'],
      [16, 'numeric-constant', '1', '2', 'catalogue-switch'],
      [19, 'boolean-literal', 'true', 'false', 'dead-function'],
    ]);
    // What can be seen stays: arming the hook (its initial value, `>` → `>=`), forcing a switch test the
    // other way, `&&` → `||` over a switch, the write another file reads, the path taken when off.
    expect(r.mutants.map((m) => [m.line, m.operator, m.replacement])).toEqual([
      [3, 'numeric-constant', '-1'],
      [3, 'numeric-constant', '1'],
      [5, 'numeric-constant', '-1'],
      [5, 'numeric-constant', '1'],
      [8, 'relational-boundary', 'h.failNext >= 0'],
      [8, 'relational-negation', 'h.failNext <= 0'],
      [8, 'condition-true', 'true'],
      [8, 'numeric-constant', '-1'],
      [8, 'numeric-constant', '1'],
      [14, 'logical', 'x > 1 || legacy'],
      [14, 'condition-true', 'true'],
      [15, 'statement-removal', ';'],
      [16, 'condition-true', 'true'],
      [16, 'unary-removal', 'x'],
    ]);
    // An event object's fields are printed into the trace: rule 3 leaves them alone.
    const ev = 'export function g(o) {\n  o.emit({ type: "ev", count: 1 });\n  return { count: 2 };\n}\n';
    const evr = classifyMutants('src/kernel/e.ts', ev, {
      facts: programFacts(new Map([...program, ['src/kernel/e.ts', ev]])),
    });
    expect(evr.mutants.map((m) => [m.line, m.replacement])).toEqual([
      [2, ';'],
      [2, '0'],
      [2, '2'],
    ]);
    expect(evr.skipped.map((m) => [m.line, m.replacement, m.rule])).toEqual([
      [3, '1', 'unread-field'],
      [3, '3', 'unread-field'],
    ]);
    // A `let` may be assigned again: it is not a switch, and the code under it is kept.
    const re =
      'export function h(g, o) {\n  let on = g.mutations.has(MUTATION_X);\n  on = true;\n  if (on) o.f();\n}\n';
    const rer = classifyMutants('src/kernel/h.ts', re);
    expect(rer.skipped.map((m) => [m.line, m.operator])).toEqual([]);
    expect(rer.mutants.filter((m) => m.line === 4).map((m) => m.operator)).toEqual([
      'condition-true',
      'condition-false',
      'statement-removal',
    ]);
    // Without facts only the switches are known; every other mutant is a candidate.
    const bare = classifyMutants('src/kernel/a.ts', A);
    expect(new Set(bare.skipped.map((m) => m.rule))).toEqual(new Set(['catalogue-switch']));
    expect(bare.mutants.length + bare.skipped.length).toBe(r.mutants.length + r.skipped.length);
  });
});

/** `n` distinct fake mutants of `file`. */
function fakes(file: string, n: number): Mutant[] {
  return Array.from({ length: n }, (_, i) => ({
    file,
    line: i + 1,
    column: 0,
    start: i * 10,
    end: i * 10 + 1,
    operator: 'boolean-literal' as const,
    original: 'true',
    replacement: 'false',
  }));
}

describe('sampling', () => {
  it('gives each file a share proportional to its candidates, at least the minimum', () => {
    const q = quotas(
      new Map([
        ['a', 100],
        ['b', 10],
        ['c', 1],
        ['d', 0],
      ]),
      20,
      3,
    );
    expect([...q]).toEqual([
      ['a', 16],
      ['b', 3],
      ['c', 1],
    ]);
    const even = quotas(
      new Map([
        ['a', 50],
        ['b', 50],
      ]),
      10,
      3,
    );
    expect([...even]).toEqual([
      ['a', 5],
      ['b', 5],
    ]);
    // Asking for more than there is takes everything.
    const all = quotas(
      new Map([
        ['a', 2],
        ['b', 4],
      ]),
      10,
      3,
    );
    expect([...all]).toEqual([
      ['a', 2],
      ['b', 4],
    ]);
  });

  it('is a pure function of the seed, stratified per file', () => {
    const candidates = [...fakes('a.ts', 300), ...fakes('b.ts', 60), ...fakes('c.ts', 5)];
    const one = sampleMutants(candidates, { seed: 7n, size: 40, minPerFile: 3 });
    const again = sampleMutants(candidates, { seed: 7n, size: 40, minPerFile: 3 });
    const other = sampleMutants(candidates, { seed: 8n, size: 40, minPerFile: 3 });
    expect(one.map(mutantKey)).toEqual(again.map(mutantKey));
    expect(one.map(mutantKey)).not.toEqual(other.map(mutantKey));
    const per = (s: Mutant[]) => ['a.ts', 'b.ts', 'c.ts'].map((f) => s.filter((m) => m.file === f).length);
    expect(per(one)).toEqual([32, 5, 3]);
    expect(per(other)).toEqual([32, 5, 3]);
    expect(new Set(one.map(mutantKey)).size).toBe(40);
    // In file order, source order within a file.
    for (let i = 1; i < one.length; i++) {
      const [p, c] = [one[i - 1]!, one[i]!];
      expect(p.file < c.file || (p.file === c.file && p.start < c.start)).toBe(true);
    }
    // A file's draw depends on the seed, the file and its quota only, not on the other files; a larger
    // quota draws the same mutants and more.
    const alone = sampleMutants([...fakes('a.ts', 300), ...fakes('b.ts', 60)], {
      seed: 7n,
      size: 37,
      minPerFile: 3,
    });
    const bAlone = alone.filter((m) => m.file === 'b.ts').map(mutantKey);
    const bOne = one.filter((m) => m.file === 'b.ts').map(mutantKey);
    expect([bAlone.length, bOne.length]).toEqual([6, 5]);
    expect(bOne.filter((k) => !bAlone.includes(k))).toEqual([]);
  });
});

describe('summarise', () => {
  it('scores killed over run minus judged equivalent, timeouts apart', () => {
    const ms = fakes('a.ts', 6);
    const status = ['killed', 'killed', 'survived', 'survived', 'timeout', 'invalid'] as const;
    const r: ResultsFile = {
      identity: {
        commit: 'c',
        tree: 't',
        uncommitted: [],
        seed: '1',
        mutants: 6,
        minPerFile: 3,
        budget: 10,
        suiteSeed: '1',
        timeoutFactor: 5,
      },
      candidates: { 'a.ts': 6 },
      baseline: null,
      timeoutMs: null,
      mutants: ms.map((m, index) => ({ ...m, index, status: status[index]! })),
    };
    const j = [{ file: 'a.ts', line: 4, original: 'true', replacement: 'false', reason: 'dead branch' }];
    const s = summarise(r, j);
    expect([s.killed, s.survived, s.timeout, s.invalid, s.equivalent, s.unjudged]).toEqual([
      2, 2, 1, 1, 1, 1,
    ]);
    expect(s.score).toBe(2 / 4);
    expect(s.scoreWithTimeouts).toBe(3 / 4);
  });
});
