// ttm-sim scenarios: the built-in scenarios with their configuration hash and one-line summary. A file
// of its own so that the command loads only the scenario catalogue (src/sim/scenarios/index.ts), not
// the runner, the explorers or the viewers (see src/cli/launch.ts).

import { parseArgs } from 'node:util';
import { describeHash, scenarioHash } from '../engine/token.ts';
import { SCENARIOS } from '../sim/scenarios/index.ts';
import { fail } from './errors.ts';

export const SCENARIOS_HELP = `Usage: ttm-sim scenarios [--json]

Lists the built-in scenarios with a one-line description and their configuration hash.`;

export function cmdScenarios(args: string[]): number {
  let values: { json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    // The wording of guarded() in src/cli/common.ts, which this command does not load.
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    fail(`scenarios: ${msg}; see 'ttm-sim scenarios --help'`);
  }
  if (values.help) {
    process.stdout.write(`${SCENARIOS_HELP}\n`);
    return 0;
  }
  const rows = SCENARIOS.map((s) => ({
    name: s.name,
    hash: describeHash(scenarioHash(s.config)),
    summary: s.summary,
  }));
  if (values.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
  else {
    const width = Math.max(...rows.map((r) => r.name.length));
    for (const r of rows) process.stdout.write(`${r.name.padEnd(width)}  ${r.hash}  ${r.summary}\n`);
  }
  return 0;
}
