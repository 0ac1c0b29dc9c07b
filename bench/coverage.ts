// npm run bench:coverage [-- --schedules N] [--json] [--markdown] [--update-lines]
//
// Branch and function coverage of src/kernel (the simulated driver included) reached by the default
// suite (src/explore/suite.ts: every scenario expected to pass) with N schedules per scenario (default
// 200; portfolio of strategies, mixed faults, base seed 0, on this thread), measured with V8's block
// coverage and reported through c8 (src/cli/code_coverage.ts). Every unreached function and branch is printed as file:line with its
// source text and the reason bench/coverage_unreached.json gives for it; places without a reason, and
// reasons for places now reached, are listed at the end, and make the exit code 1.
//   --markdown      print the README section's tables (numbers and the unreached list) instead
//   --update-lines  no campaign: move each entry of bench/coverage_unreached.json to the line nearest
//                   its old one that holds its text now (reasons are kept); drop those whose text is gone
//   --json          print the measurement as one JSON object
//   --from FILE     no campaign: report (or --markdown) the measurement a --json run wrote to FILE
// The campaign is deterministic (no time budget), so its coverage is the same on every machine.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  checkReasons,
  formatCoverage,
  type KernelCoverage,
  REPO_ROOT,
  type ReasonEntry,
  reasonFor,
  relocateReasons,
  takeKernelCoverage,
} from '../src/cli/code_coverage.ts';
import { defaultSuite, runSuite } from '../src/explore/suite.ts';

const REASONS_FILE = fileURLToPath(new URL('./coverage_unreached.json', import.meta.url));

export function loadReasons(): ReasonEntry[] {
  return (JSON.parse(readFileSync(REASONS_FILE, 'utf8')) as { entries: ReasonEntry[] }).entries;
}

interface ScenarioRun {
  readonly scenario: string;
  readonly schedules: number;
  readonly failures: number;
  readonly firstFailure: string | null;
}

/** The default suite (src/explore/suite.ts), `schedules` per scenario, on this thread. */
async function runDefaultSuite(schedules: number): Promise<ScenarioRun[]> {
  const names = defaultSuite();
  const r = await runSuite({ schedules: schedules * names.length, faults: 'mixed', shrink: false });
  return r.report.campaigns.map((c) => {
    const f = c.state?.failures[0];
    process.stderr.write(
      `${c.scenario.padEnd(22)} ${c.state?.next ?? 0} schedules, ${c.state?.failures.length ?? 0} failure(s)\n`,
    );
    return {
      scenario: c.scenario,
      schedules: c.state?.next ?? 0,
      failures: c.state?.failures.length ?? 0,
      firstFailure: f === undefined ? null : `${f.id}: ${f.message.slice(0, 120)}`,
    };
  });
}

const pct = (c: { total: number; covered: number }) =>
  c.total === 0 ? '100.00' : ((100 * c.covered) / c.total).toFixed(2);

/** The README's tables: coverage per file and in total, unreached places per reason, then every one. */
export function markdown(cov: KernelCoverage, reasons: readonly ReasonEntry[]): string {
  const cell = (c: { total: number; covered: number }) => `${pct(c)} % (${c.covered}/${c.total})`;
  const byReason = new Map<string, number>();
  const rows = cov.unreached.map((u) => {
    const r = reasonFor(u, reasons);
    const reason = r?.reason ?? '**none**';
    byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
    const what = u.kind === 'function' ? `function \`${u.fn}\`` : `branch in \`${u.fn || '(top level)'}\``;
    const text = u.text.replace(/\|/g, '\\|').replace(/`/g, "'");
    const why = (r?.why ?? '').replace(/\|/g, '\\|');
    return `| \`${u.file.replace('src/kernel/', '')}:${u.line}\` | ${what}: \`${text}\` | ${reason} | ${why} |`;
  });
  return [
    '| file | branches | functions | strict branches |',
    '|---|---:|---:|---:|',
    ...cov.files
      .filter((f) => f.branches.total + f.functions.total > 0)
      .map(
        (f) =>
          `| \`${f.file.replace('src/kernel/', '')}\` | ${cell(f.branches)} | ${cell(f.functions)} | ${cell(f.strict)} |`,
      ),
    `| **total** | **${cell(cov.total.branches)}** | **${cell(cov.total.functions)}** | **${cell(cov.total.strict)}** |`,
    '',
    '| reason | unreached places |',
    '|---|---:|',
    ...[...byReason.entries()].sort((a, b) => b[1] - a[1]).map(([r, n]) => `| ${r} | ${n} |`),
    '',
    `<details><summary>Every unreached function and branch (${cov.unreached.length}), with its reason</summary>`,
    '',
    '| place | what | reason | why |',
    '|---|---|---|---|',
    ...rows,
    '',
    '</details>',
  ].join('\n');
}

/** What a run measured (the --json output holds it too, so --from can report it again). */
interface Measured {
  readonly schedules: number;
  readonly campaignMs: number;
  readonly runs: readonly ScenarioRun[];
  readonly coverage: KernelCoverage;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      schedules: { type: 'string' },
      json: { type: 'boolean' },
      markdown: { type: 'boolean' },
      'update-lines': { type: 'boolean' },
      from: { type: 'string' },
    },
  });
  if (values['update-lines']) {
    // No campaign: each entry's line moves to the nearest line that holds its text now.
    const cache = new Map<string, string[]>();
    const lines = (file: string) => {
      let l = cache.get(file);
      if (l === undefined) {
        l = readFileSync(join(REPO_ROOT, file), 'utf8').split('\n');
        cache.set(file, l);
      }
      return l;
    };
    const { moved, gone } = relocateReasons(loadReasons(), lines);
    writeFileSync(REASONS_FILE, `${JSON.stringify({ entries: moved }, null, 2)}\n`);
    for (const e of gone) process.stdout.write(`dropped (text gone): ${e.file}:${e.line} ${e.text}\n`);
    return 0;
  }
  const schedules = Number(values.schedules ?? '200');
  const raw = process.env.NODE_V8_COVERAGE ?? '';
  if (raw === '' && values.from === undefined) {
    // Measure in a child process started with NODE_V8_COVERAGE (tsx's loader comes with execArgv).
    const dir = mkdtempSync(join(tmpdir(), 'ttm-sim-bench-cov-'));
    try {
      const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
        stdio: 'inherit',
        env: { ...process.env, NODE_V8_COVERAGE: dir },
      });
      return r.status ?? 4;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  let measured: Measured;
  if (values.from !== undefined) {
    measured = JSON.parse(readFileSync(values.from, 'utf8')) as Measured;
  } else {
    const t0 = Date.now();
    const runs = await runDefaultSuite(schedules);
    const campaignMs = Date.now() - t0;
    measured = { schedules, campaignMs, runs, coverage: await takeKernelCoverage(raw) };
  }
  const { runs, campaignMs, coverage: cov } = measured;
  const reasons = loadReasons();
  const check = checkReasons(cov, reasons);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ ...measured, ...check })}\n`);
  } else if (values.markdown) {
    process.stdout.write(`${markdown(cov, reasons)}\n`);
  } else {
    const failing = runs.filter((r) => r.failures > 0);
    process.stdout.write(
      `default suite: ${runs.length} scenarios × ${measured.schedules} schedules in ${(campaignMs / 1000).toFixed(1)} s, ${failing.length} with failures${failing.map((r) => `\n  ${r.scenario}: ${r.firstFailure}`).join('')}\n`,
    );
    process.stdout.write(`${formatCoverage(cov, reasons)}\n`);
    if (check.missing.length > 0) {
      process.stdout.write(
        `${check.missing.length} unreached place(s) without a reason in bench/coverage_unreached.json\n`,
      );
    }
  }
  return check.missing.length > 0 || check.stale.length > 0 ? 1 : 0;
}

process.exitCode = await main();
