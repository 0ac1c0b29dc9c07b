// Code coverage of the kernel model (src/cli/code_coverage.ts): V8's ranges mapped back to the .ts lines
// of a tiny known module run through tsx, the command-line option, the report, and the reason file
// (bench/coverage_unreached.json).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkReasons,
  codeCoverageArg,
  formatCoverage,
  type KernelCoverage,
  kernelCoverageOf,
  REPO_ROOT,
  type ReasonEntry,
  reasonProblems,
  relocateReasons,
} from '../../src/cli/code_coverage.ts';

const FIXTURE = 'test/explore/fixtures/code_coverage';

describe('coverage of a known module run through tsx', () => {
  it('reports the .ts lines of the unreached function and branches, and exact counts', async () => {
    const raw = mkdtempSync(join(tmpdir(), 'cov-test-'));
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', `${FIXTURE}/main.ts`], {
        cwd: REPO_ROOT,
        env: { ...process.env, NODE_V8_COVERAGE: raw },
        encoding: 'utf8',
      });
      expect(r.status).toBe(0);
      expect(r.stdout).toBe('pos false\n');
      const files = readdirSync(raw).map((f) => join(raw, f));
      const cov = await kernelCoverageOf(files, REPO_ROOT, FIXTURE);
      const tiny = cov.files.find((f) => f.file === `${FIXTURE}/tiny.ts`);
      // Branches: the module's top level, pick, pick's `return 'neg'`, the right side of `&&` in both.
      // Functions: pick and never (both is an arrow tsx wraps in __name, so V8 sees it anonymous).
      expect(tiny).toEqual({
        file: `${FIXTURE}/tiny.ts`,
        branches: { total: 4, covered: 2 },
        functions: { total: 2, covered: 1 },
        strict: { total: 5, covered: 2 },
      });
      expect(cov.unreached.filter((u) => u.file === `${FIXTURE}/tiny.ts`)).toEqual([
        { kind: 'branch', file: `${FIXTURE}/tiny.ts`, line: 9, column: 2, fn: 'pick', text: "return 'neg';" },
        {
          kind: 'function',
          file: `${FIXTURE}/tiny.ts`,
          line: 12,
          column: 7,
          fn: 'never',
          text: 'export function never(): number {',
        },
        {
          kind: 'branch',
          file: `${FIXTURE}/tiny.ts`,
          line: 16,
          column: expect.any(Number) as unknown as number,
          fn: '',
          text: 'export const both = (x: number): boolean => x > 1 && x < 10;',
        },
      ]);
    } finally {
      rmSync(raw, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('ttm-sim fuzz --code-coverage', () => {
  it('runs the campaign measured, then prints the kernel coverage per file and every unreached place', () => {
    const r = spawnSync(
      process.execPath,
      ['bin/ttm-sim.js', 'fuzz', '--scenario', 'small', '--schedules', '4', '--no-shrink', '--code-coverage'],
      { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, NODE_V8_COVERAGE: '' } },
    );
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    const head = lines.findIndex((l) =>
      l.startsWith('code coverage of src/kernel (V8 block coverage through c8'),
    );
    expect(head).toBeGreaterThan(0);
    expect(lines[head + 1]).toMatch(/^ {2}file +branches +functions +strict branches$/);
    const rows = lines.slice(
      head + 2,
      lines.findIndex((l) => l.startsWith('unreached: ')),
    );
    expect(rows.length).toBeGreaterThan(20);
    for (const row of rows)
      expect(row).toMatch(/^ {2}(src\/kernel\/\S+\.ts|total) +\d+\.\d\d % \(\d+\/\d+\)/);
    expect(rows.at(-1)).toMatch(/^ {2}total /);
    const summary = lines.find((l) => l.startsWith('unreached: ')) ?? '';
    const m = /^unreached: (\d+) function\(s\), (\d+) branch\(es\)$/.exec(summary);
    expect(m).not.toBeNull();
    const places = lines.filter((l) => /^ {2}src\/kernel\/\S+\.ts:\d+ +(function |branch in )/.test(l));
    expect(places.length).toBe(Number(m?.[1]) + Number(m?.[2]));
  }, 180_000);
});

describe('--code-coverage [DIR]', () => {
  it('takes the option with or without DIR, and leaves the other arguments', () => {
    expect(codeCoverageArg(['--schedules', '5'])).toBeUndefined();
    expect(codeCoverageArg(['--code-coverage'])).toEqual({ rest: [], dir: undefined });
    expect(codeCoverageArg(['--scenario', 'small', '--code-coverage', 'out', '--json'])).toEqual({
      rest: ['--scenario', 'small', '--json'],
      dir: 'out',
    });
    expect(codeCoverageArg(['--code-coverage', '--schedules', '5'])).toEqual({
      rest: ['--schedules', '5'],
      dir: undefined,
    });
    expect(codeCoverageArg(['--code-coverage=cov/dir', '--no-shrink'])).toEqual({
      rest: ['--no-shrink'],
      dir: 'cov/dir',
    });
  });
});

const SAMPLE: KernelCoverage = {
  dir: 'src/kernel',
  files: [
    {
      file: 'src/kernel/a.ts',
      branches: { total: 4, covered: 3 },
      functions: { total: 2, covered: 1 },
      strict: { total: 5, covered: 3 },
    },
  ],
  total: {
    file: 'total',
    branches: { total: 4, covered: 3 },
    functions: { total: 2, covered: 1 },
    strict: { total: 5, covered: 3 },
  },
  unreached: [
    { kind: 'function', file: 'src/kernel/a.ts', line: 3, column: 0, fn: 'f', text: 'function f() {' },
    { kind: 'branch', file: 'src/kernel/a.ts', line: 9, column: 4, fn: 'g', text: 'return -EINVAL;' },
  ],
};

const REASON: ReasonEntry = {
  kind: 'branch',
  file: 'src/kernel/a.ts',
  line: 7,
  fn: 'g',
  text: 'return -EINVAL;',
  reason: 'defensive',
  why: 'a BO type no caller passes',
};

describe('the report', () => {
  it('prints per file and total, then every unreached place as file:line with its text', () => {
    expect(formatCoverage(SAMPLE).split('\n')).toEqual([
      'code coverage of src/kernel (V8 block coverage through c8; strict: a never-run function also counts as an unreached branch)',
      '  file             branches                functions               strict branches',
      '  src/kernel/a.ts   75.00 % (3/4)           50.00 % (1/2)           60.00 % (3/5)',
      '  total             75.00 % (3/4)           50.00 % (1/2)           60.00 % (3/5)',
      'unreached: 1 function(s), 1 branch(es)',
      '  src/kernel/a.ts:3     function f: function f() {',
      '  src/kernel/a.ts:9     branch in g: return -EINVAL;',
    ]);
  });

  it('gives each unreached place its reason (matched by file, function and text), and lists what has none', () => {
    const lines = formatCoverage(SAMPLE, [REASON]).split('\n');
    expect(lines.slice(5)).toEqual([
      '  src/kernel/a.ts:3     function f: function f() {  [no reason given]',
      '  src/kernel/a.ts:9     branch in g: return -EINVAL;  [defensive] a BO type no caller passes',
    ]);
    expect(checkReasons(SAMPLE, [REASON])).toEqual({ missing: [SAMPLE.unreached[0]], stale: [] });
    const reached = { ...REASON, fn: 'h' };
    expect(checkReasons(SAMPLE, [REASON, reached])).toEqual({
      missing: [SAMPLE.unreached[0]],
      stale: [reached],
    });
  });

  it('moves an entry to the nearest line holding its text, and drops one whose text is gone', () => {
    const file = ['function g() {', '  return -EINVAL;', '  x();', '  x();', '  return -EINVAL;', '}'];
    const gone = { ...REASON, text: 'return -ENOSPC;' };
    expect(relocateReasons([REASON, gone], () => file)).toEqual({
      moved: [{ ...REASON, line: 5 }],
      gone: [gone],
    });
    expect(relocateReasons([{ ...REASON, line: 3 }], () => file).moved).toEqual([{ ...REASON, line: 2 }]);
  });

  it('names what is wrong with a malformed reason entry', () => {
    expect(reasonProblems(REASON)).toEqual([]);
    expect(
      reasonProblems({ ...REASON, kind: 'line', file: 'src/sim/run.ts', reason: 'because', why: '' }),
    ).toEqual([
      'kind is not function or branch',
      'file is not a .ts file under src/kernel',
      'reason is not one of fault-site, teardown, defensive, kunit-only, design-off, mutation-only, not-driven, tooling',
      'why is missing',
    ]);
  });
});

describe('bench/coverage_unreached.json', () => {
  const entries = (
    JSON.parse(readFileSync(join(REPO_ROOT, 'bench/coverage_unreached.json'), 'utf8')) as {
      entries: unknown[];
    }
  ).entries;

  it('has well-formed entries only', () => {
    const bad = entries
      .map((e, i) => ({ i, problems: reasonProblems(e) }))
      .filter((x) => x.problems.length > 0);
    expect(bad).toEqual([]);
  });

  it('points every entry at an existing line holding its text (npm run bench:coverage -- --update-lines moves them)', () => {
    const wrong: string[] = [];
    const cache = new Map<string, string[]>();
    for (const e of entries as ReasonEntry[]) {
      const path = join(REPO_ROOT, e.file);
      if (!existsSync(path)) {
        wrong.push(`${e.file}: no such file`);
        continue;
      }
      let lines = cache.get(path);
      if (lines === undefined) {
        lines = readFileSync(path, 'utf8').split('\n');
        cache.set(path, lines);
      }
      const at = (lines[e.line - 1] ?? '').trim();
      const text = e.text.endsWith('…') ? e.text.slice(0, -1) : e.text;
      if (!at.startsWith(text)) wrong.push(`${e.file}:${e.line} holds "${at}", not "${e.text}"`);
    }
    expect(wrong).toEqual([]);
  });
});
