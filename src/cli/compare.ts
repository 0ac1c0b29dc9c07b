// `ttm-sim compare`: the same seeded workload under each design, side by side. Schedule i of every
// design uses seed base + i with the same strategy and no injected faults, so the designs see the same
// workload and differ only by what the design changes. Per design: the world counters added over the
// schedules (bytes moved, evictions, IOMMU map failures, CPU faults, refaults, sync-for-cpu, TLB
// shootdowns, pages backed up and restored, DMA evictions), how many schedules broke a check or did not
// finish, and the first failure with its token. Also `ttm-sim designs`, the registry.

import { parseArgs } from 'node:util';
import { BASELINE, DESIGNS, notApplicable, parseDesigns } from '../designs/index.ts';
import { formatStrategy } from '../engine/strategy.ts';
import { EXIT_CODE, type Outcome } from '../engine/types.ts';
import { runScenario } from '../explore/run.ts';
import { COUNTER_KEYS, type CounterTotals } from '../kernel/counters.ts';
import type { Scenario } from '../sim/scenario.ts';
import { guarded, parseSeed, scenarioByName, strategyOption, strategyOptions } from './common.ts';
import { fail } from './errors.ts';

export const DEFAULT_COMPARE_SCHEDULES = 20;

export const COMPARE_HELP = `Usage: ttm-sim compare --scenario NAME --designs A,B,... [--schedules N] [--seed B]
                       [--strategy S] [--json]

Runs the same seeded workload under each design and prints one row per design: what moved, what was
evicted, what failed, and whether any check broke. Schedule i uses seed B+i and the same strategy under
every design (no injected faults), so the rows differ only by the design.
  --scenario NAME   built-in scenario or scenario file (see 'ttm-sim scenarios')
  --designs LIST    comma-separated: '${BASELINE}' (today's kernel, no design) or a design spec NAME or
                    NAME:KEY=VALUE (see 'ttm-sim designs'); join specs with '+' to combine them
  --schedules N     schedules per design (default ${DEFAULT_COMPARE_SCHEDULES})
  --seed B          base seed (default 0)
  --strategy S      scheduling strategy of every schedule (default random; see 'ttm-sim run --help')
  --json            one JSON object with every row

Columns: bytes moved, evictions, IOMMU map failures, CPU faults, refaults, sync-for-cpu calls, TLB
shootdowns (caching changes), pages backed up, pages restored, DMA evictions (summed over the
schedules); then the schedules that broke a check (correctness or crash), that did not finish
(liveness), and the verdict: pass, or the first failure's id with its schedule and token (replay it
with 'ttm-sim replay TOKEN').

Exit codes: 0 every design passed every schedule; 1 some design broke a check; 3 none broke a check
but some design did not finish (deadlock, livelock); 4 a simulator crash; 2 bad input (an unknown
design, a bad parameter, or a design that does not apply to the scenario).`;

export const DESIGNS_HELP = `Usage: ttm-sim designs [--json]

Lists the designs: proposals of the seed threads that the kernel never merged, switchable options of
the simulated world (off by default: off is today's kernel). Switch one on with '--design NAME' (or
NAME:KEY=VALUE) on run and fuzz, or compare several with 'ttm-sim compare'.`;

export interface CompareRow {
  readonly design: string;
  readonly specs: readonly string[];
  readonly schedules: number;
  readonly counters: CounterTotals;
  readonly outcomes: Record<Outcome, number>;
  readonly steps: number;
  /** The first failing schedule, when one failed. */
  readonly first: {
    readonly schedule: number;
    readonly kind: string;
    readonly id: string;
    readonly message: string;
    readonly token: string;
  } | null;
}

export interface CompareOptions {
  readonly scenario: Scenario;
  readonly entries: readonly { readonly design: string; readonly specs: readonly string[] }[];
  readonly schedules: number;
  readonly baseSeed: bigint;
  readonly strategy: ReturnType<typeof strategyOptions>;
}

/** Run every entry over the same schedules. `progress` is told after each design. */
export function compareDesigns(o: CompareOptions, progress?: (row: CompareRow) => void): CompareRow[] {
  const rows: CompareRow[] = [];
  for (const e of o.entries) {
    const sum: Record<string, number> = Object.fromEntries(COUNTER_KEYS.map((k) => [k, 0]));
    const outcomes: Record<Outcome, number> = { pass: 0, correctness: 0, liveness: 0, crash: 0 };
    let steps = 0;
    let first: CompareRow['first'] = null;
    for (let i = 0; i < o.schedules; i += 1) {
      const r = runScenario(o.scenario, {
        seed: (o.baseSeed + BigInt(i)) & 0xffff_ffff_ffff_ffffn,
        ...o.strategy,
        designs: e.specs,
      });
      for (const k of COUNTER_KEYS) sum[k] = (sum[k] ?? 0) + r.counters[k];
      outcomes[r.outcome] += 1;
      steps += r.steps;
      if (first === null && r.failure !== null) {
        first = {
          schedule: i,
          kind: r.failure.kind,
          id: r.failure.id,
          message: r.failure.message,
          token: r.token,
        };
      }
    }
    const row: CompareRow = {
      design: e.design,
      specs: e.specs,
      schedules: o.schedules,
      counters: sum as unknown as CounterTotals,
      outcomes,
      steps,
      first,
    };
    rows.push(row);
    progress?.(row);
  }
  return rows;
}

/** The exit code of a comparison: the worst outcome over every design (correctness before liveness). */
export function compareExitCode(rows: readonly CompareRow[]): number {
  const any = (k: Outcome) => rows.some((r) => r.outcomes[k] > 0);
  if (any('crash')) return EXIT_CODE.crash;
  if (any('correctness')) return EXIT_CODE.correctness;
  if (any('liveness')) return EXIT_CODE.liveness;
  return EXIT_CODE.pass;
}

const HEADERS = [
  'design',
  'bytes moved',
  'evictions',
  'map fails',
  'cpu faults',
  'refaults',
  'sync',
  'shootdowns',
  'backed up',
  'restored',
  'dma evict',
  'broke',
  'stuck',
  'verdict',
];

/** The comparison as an aligned text table, then one line per failing design with its token. */
export function compareTable(rows: readonly CompareRow[]): string {
  const cells = rows.map((r) => {
    const c = r.counters;
    const verdict = r.first === null ? 'pass' : `${r.first.id} @${r.first.schedule}`;
    return [
      r.design,
      String(c.bytesMoved),
      String(c.evictions),
      String(c.iommuMapFailures),
      String(c.cpuFaults),
      String(c.refaults),
      String(c.syncForCpu),
      String(c.tlbShootdowns),
      String(c.pagesBackedUp),
      String(c.pagesRestored),
      String(c.dmaEvictions),
      String(r.outcomes.correctness + r.outcomes.crash),
      String(r.outcomes.liveness),
      verdict,
    ];
  });
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: readonly string[]) =>
    row
      .map((v, i) => (i === 0 || i === row.length - 1 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(HEADERS), ...cells.map(line)];
  for (const r of rows) {
    if (r.first !== null) out.push(`  ${r.design}: ${r.first.message}`, `    token ${r.first.token}`);
  }
  return out.join('\n');
}

/** `--designs` entries: the baseline or '+'-joined specs, each checked against the registry and scenario. */
export function compareEntries(list: string, scenario: Scenario): CompareOptions['entries'] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0)
    fail(`--designs needs at least one design, e.g. --designs ${BASELINE},shared-iommu`);
  return names.map((design) => {
    if (design === BASELINE) return { design, specs: [] };
    const r = parseDesigns(design.split('+'));
    if (!r.ok) fail(`--designs: ${r.reason}`);
    for (const spec of r.specs) {
      const why = notApplicable(spec, scenario);
      if (why !== null) fail(`--designs: ${why}`);
    }
    return { design, specs: r.specs };
  });
}

function positiveInt(name: string, text: string): number {
  const v = /^[1-9][0-9]{0,6}$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isNaN(v)) fail(`--${name} must be a positive integer, got "${text}"`);
  return v;
}

export function cmdCompare(args: string[]): number {
  const { values, positionals } = guarded('compare', () =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        scenario: { type: 'string' },
        designs: { type: 'string' },
        schedules: { type: 'string' },
        seed: { type: 'string' },
        strategy: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help) {
    process.stdout.write(`${COMPARE_HELP}\n`);
    return 0;
  }
  if (positionals.length > 0)
    fail(`compare: unexpected argument "${positionals[0]}"; see 'ttm-sim compare --help'`);
  if (values.scenario === undefined) fail("compare: --scenario NAME is required; see 'ttm-sim scenarios'");
  if (values.designs === undefined)
    fail(
      `compare: --designs LIST is required, e.g. --designs ${BASELINE},shared-iommu; see 'ttm-sim designs'`,
    );
  const scenario = scenarioByName(values.scenario);
  const entries = compareEntries(values.designs, scenario);
  const spec = strategyOption(values.strategy ?? 'random');
  const o: CompareOptions = {
    scenario,
    entries,
    schedules:
      values.schedules === undefined ? DEFAULT_COMPARE_SCHEDULES : positiveInt('schedules', values.schedules),
    baseSeed: parseSeed(values.seed ?? '0'),
    strategy: strategyOptions(spec),
  };
  const rows = compareDesigns(o, (row) => {
    process.stderr.write(`compare: ${row.design}: ${row.schedules} schedules, ${row.outcomes.pass} passed\n`);
  });
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({
        scenario: scenario.name,
        schedules: o.schedules,
        baseSeed: o.baseSeed.toString(),
        strategy: formatStrategy(spec.name, spec.params),
        rows,
      })}\n`,
    );
  } else {
    process.stdout.write(
      `ttm-sim compare ${scenario.name}: ${o.schedules} schedules per design (seeds ${o.baseSeed}..${o.baseSeed + BigInt(o.schedules - 1)}, ${formatStrategy(spec.name, spec.params)}, no faults)\n${compareTable(rows)}\n`,
    );
  }
  return compareExitCode(rows);
}

export function cmdDesigns(args: string[]): number {
  const { values } = guarded('designs', () =>
    parseArgs({ args, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }),
  );
  if (values.help) {
    process.stdout.write(`${DESIGNS_HELP}\n`);
    return 0;
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(DESIGNS)}\n`);
    return 0;
  }
  for (const d of DESIGNS) {
    const p = d.param;
    const usage = p === undefined ? d.name : `${d.name}[:${p.key}=${p.values.join('|')}]`;
    process.stdout.write(
      `${usage}\n  ${d.title} — seed ${d.seed}\n  proposed: ${d.proposed}\n  kernel:   ${d.landed}\n`,
    );
    if (p !== undefined) process.stdout.write(`  ${p.key}: ${p.meaning} (default ${p.default})\n`);
    if (d.oracles.length > 0) process.stdout.write(`  oracles: ${d.oracles.join(', ')}\n`);
  }
  return 0;
}
