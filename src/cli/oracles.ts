// `ttm-sim oracles [--json] [--count [--schedules N]]`: the check catalogue (src/explore/check_catalogue.ts):
// per check its id, the upstream rule it states (file, function, the line's text), what it checks, when it
// is evaluated, and with --count how often the default suite's scenarios evaluate it.

import { parseArgs } from 'node:util';
import { CHECK_CATALOGUE, countEvaluations, type EvaluationCounts } from '../explore/check_catalogue.ts';
import { guarded } from './common.ts';
import { fail } from './errors.ts';

export const ORACLES_HELP = `Usage: ttm-sim oracles [--json] [--count [--schedules N]]

List every check of the simulator: the kernel's own rules checked inside kernel code (WARN_ON, BUG_ON,
lock assertions, kerneldoc Returns:, postconditions), the per-step oracles, the end-of-run checks and the
data checks. Per check: its id, the upstream rule it states (file, function, the line's text), what it
checks, and when (call, return, step, end).

  --json           one JSON array, an object per check
  --count          also run the default suite's scenarios (every should-pass built-in, seeds 0..N-1,
                   random strategy) and give each check's evaluations: kernel rules by their own
                   counters, per-step oracles steps × worlds, end-of-run and data checks runs
  --schedules N    schedules per scenario with --count (default 10)
  -h, --help       this help`;

const DEFAULT_SCHEDULES = 10;

export function cmdOracles(args: string[]): number {
  const { values } = guarded('oracles', () =>
    parseArgs({
      args,
      options: {
        json: { type: 'boolean' },
        count: { type: 'boolean' },
        schedules: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help) {
    process.stdout.write(`${ORACLES_HELP}\n`);
    return 0;
  }
  if (values.schedules !== undefined && values.count !== true)
    fail('oracles: --schedules only applies with --count; add --count or drop --schedules');
  const schedules = values.schedules === undefined ? DEFAULT_SCHEDULES : Number(values.schedules);
  if (!Number.isInteger(schedules) || schedules < 1 || schedules > 100_000)
    fail(`oracles: --schedules must be a whole number from 1 to 100000, got "${values.schedules}"`);
  const counts = values.count === true ? countEvaluations(schedules) : null;
  if (values.json) {
    const rows = CHECK_CATALOGUE.map((c) => ({
      id: c.id,
      source: c.source,
      when: c.when,
      description: c.description,
      upstream: c.upstream,
      ...(counts === null ? {} : { evaluations: counts.byId.get(c.id) ?? 0 }),
    }));
    process.stdout.write(`${JSON.stringify(rows)}\n`);
    return 0;
  }
  for (const c of CHECK_CATALOGUE) {
    const n = counts === null ? '' : `  ${counts.byId.get(c.id) ?? 0} evaluations`;
    process.stdout.write(`${c.id}  [${c.source}, ${c.when}]${n}\n  ${c.description}\n`);
    for (const u of c.upstream) process.stdout.write(`    ${u.file} ${u.func}: ${u.text.trim()}\n`);
  }
  process.stdout.write(`${CHECK_CATALOGUE.length} checks\n`);
  if (counts !== null) process.stdout.write(`${countLine(counts)}\n`);
  return 0;
}

function countLine(c: EvaluationCounts): string {
  const broken = [...c.ruleFailures].map(([id, n]) => `${id} ×${n}`).join(', ');
  return `counted over ${c.runs} runs (${c.scenarios.length} scenarios × ${c.schedulesPerScenario} schedules), ${c.stepWorlds} step×world evaluations${broken === '' ? '' : `; kernel rules broken: ${broken}`}`;
}
