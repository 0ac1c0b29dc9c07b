// `npm run docs:checks [-- N]`: count how often the default suite's scenarios evaluate every check (N
// schedules per scenario, default 10) and rewrite the check table of README.md between its markers.

import { readFileSync, writeFileSync } from 'node:fs';
import { checksTable, countEvaluations, withTable } from '../src/explore/check_catalogue.ts';

const n = Number(process.argv[2] ?? '10');
if (!Number.isInteger(n) || n < 1) {
  process.stderr.write(`docs:checks: N must be a whole number ≥ 1, got "${process.argv[2]}"\n`);
  process.exit(2);
}
const counts = countEvaluations(n);
const path = new URL('../README.md', import.meta.url);
writeFileSync(path, withTable(readFileSync(path, 'utf8'), checksTable(counts.byId)));
const broken = [...counts.ruleFailures].map(([id, k]) => `${id} ×${k}`).join(', ');
process.stdout.write(
  `README.md: ${counts.byId.size} checks, counted over ${counts.runs} runs (${counts.scenarios.length} scenarios × ${n}), ${counts.stepWorlds} step×world evaluations${broken === '' ? '' : `; kernel rules broken: ${broken}`}\n`,
);
