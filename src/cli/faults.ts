// `ttm-sim faults [--json] [--scenarios [--schedules N]]`: the fault sites of the kernel model
// (src/kernel/faults.ts): per site its id, what fails, the errno the kernel sees, the upstream functions
// whose error path it takes, where it is evaluated, the fault modes that fire it, and how many upstream
// error returns of the audit (src/kernel/error_paths.ts) it stands for; with --scenarios, which
// should-pass scenarios evaluate it (unfaulted runs, counted by a plan that fails nothing).

import { parseArgs } from 'node:util';
import { runScenario } from '../explore/run.ts';
import { ERROR_PATHS } from '../kernel/error_paths.ts';
import { FAULT_SITE_INFO, FAULT_SITES, type FaultSite } from '../kernel/faults.ts';
import { suiteScenarios } from '../sim/scenarios/index.ts';
import { guarded } from './common.ts';
import { fail } from './errors.ts';

export const FAULTS_HELP = `Usage: ttm-sim faults [--json] [--scenarios [--schedules N]]

List the fault sites of the kernel model: the places where an operation can fail as it fails in the
kernel (an allocation returning NULL, a DMA map error, a signal during a wait, a driver callback's error).
Per site: its id, what fails, the errno the kernel sees, the upstream functions whose error path a fired
fault takes, where it is evaluated (kernel code or the waiting task), the fault modes that fire it, and
how many upstream error returns of the error-path audit it stands for. Campaigns (ttm-sim fuzz) fire them
with --faults uniform, buggify or mixed; their reports name the sites that never fired.

  --json           one JSON object: the sites, and the audit's totals by how each path is reached
  --scenarios      also run every should-pass built-in scenario unfaulted and list, per site, the
                   scenarios whose runs evaluate it
  --schedules N    runs per scenario with --scenarios (seeds 0..N-1, random strategy; default 4)
  -h, --help       this help`;

/** Every site is fired by both placements of a plan, and so by the campaign's mixed rounds. */
const MODES = ['uniform', 'buggify', 'mixed'] as const;

const DEFAULT_SCHEDULES = 4;

export interface FaultSiteRow {
  readonly id: FaultSite;
  readonly fails: string;
  readonly errno: string;
  readonly upstream: readonly string[];
  readonly evaluatedIn: 'kernel' | 'task';
  readonly modes: readonly string[];
  /** Upstream error returns of the audit this site stands for. */
  readonly errorPaths: number;
  /** With --scenarios: the should-pass scenarios whose runs evaluate the site. */
  readonly scenarios?: readonly string[];
}

/** The site table, with the scenarios evaluating each site when `reached` is given. */
export function faultSiteRows(reached: ReadonlyMap<FaultSite, string[]> | null): FaultSiteRow[] {
  return FAULT_SITES.map((id) => {
    const info = FAULT_SITE_INFO[id];
    return {
      id,
      fails: info.fails,
      errno: info.errno,
      upstream: info.upstream,
      evaluatedIn: info.evaluatedIn,
      modes: MODES,
      errorPaths: ERROR_PATHS.filter((p) => p.reach.kind === 'fault' && p.reach.site === id).length,
      ...(reached === null ? {} : { scenarios: reached.get(id) ?? [] }),
    };
  });
}

/** Per site, the should-pass scenarios some of whose `schedules` unfaulted runs evaluate it. */
export function scenariosEvaluating(schedules: number): Map<FaultSite, string[]> {
  const out = new Map<FaultSite, string[]>(FAULT_SITES.map((s) => [s, []]));
  for (const scenario of suiteScenarios()) {
    const seen = new Set<FaultSite>();
    for (let seed = 0; seed < schedules; seed++) {
      const r = runScenario(scenario, {
        seed: BigInt(seed),
        strategy: 'random',
        faults: { kind: 'planned', at: [] },
      });
      for (const site of r.faultSitesEvaluated) seen.add(site);
    }
    for (const site of FAULT_SITES) if (seen.has(site)) out.get(site)!.push(scenario.name);
  }
  return out;
}

/** The audit's totals: error returns by how the model reaches them. */
function auditTotals(): Record<string, number> {
  const totals: Record<string, number> = { state: 0, fault: 0, callee: 0, unmodelled: 0 };
  for (const p of ERROR_PATHS) totals[p.reach.kind] = (totals[p.reach.kind] ?? 0) + 1;
  return totals;
}

export function cmdFaults(args: string[]): number {
  const { values, positionals } = guarded('faults', () =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        scenarios: { type: 'boolean' },
        schedules: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help) {
    process.stdout.write(`${FAULTS_HELP}\n`);
    return 0;
  }
  if (positionals.length > 0)
    fail(`faults: unexpected argument "${positionals[0]}"; see 'ttm-sim faults --help'`);
  if (values.schedules !== undefined && values.scenarios !== true)
    fail('faults: --schedules only applies with --scenarios; add --scenarios or drop --schedules');
  const schedules = values.schedules === undefined ? DEFAULT_SCHEDULES : Number(values.schedules);
  if (!Number.isInteger(schedules) || schedules < 1 || schedules > 10_000)
    fail(`faults: --schedules must be a whole number from 1 to 10000, got "${values.schedules}"`);
  const rows = faultSiteRows(values.scenarios === true ? scenariosEvaluating(schedules) : null);
  const totals = auditTotals();
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ sites: rows, errorPaths: { total: ERROR_PATHS.length, ...totals } })}\n`,
    );
    return 0;
  }
  for (const r of rows) {
    process.stdout.write(
      `${r.id}  ${r.errno}  [${r.evaluatedIn}; ${r.modes.join(', ')}; ${r.errorPaths} upstream error return${r.errorPaths === 1 ? '' : 's'}]\n`,
    );
    process.stdout.write(`  ${r.fails}\n  in ${r.upstream.join(', ')}\n`);
    if (r.scenarios !== undefined)
      process.stdout.write(
        `  evaluated by ${r.scenarios.length === 0 ? 'no scenario' : r.scenarios.join(', ')}\n`,
      );
  }
  process.stdout.write(
    `${rows.length} fault sites; the error-path audit lists ${ERROR_PATHS.length} upstream error returns: ${totals.state} reached by state, ${totals.fault} by a fault site, ${totals.callee} passed up from a callee, ${totals.unmodelled} not modelled\n`,
  );
  return 0;
}
