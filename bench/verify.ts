// Bounded-exhaustive search (src/explore/verify.ts) measured: for each mutation of the catalogue, the
// smallest preemption bound at which `verify` finds it (bounds 0..maxP, each search capped at --cap
// schedules) and the time taken; then the schedules of small, abba-ww and calibrate at P = 0 and 1 (capped
// the same way: a capped count is a lower bound). Times are wall clock on whatever machine runs it.
//
// Usage: npm run bench:verify [-- --cap N --max-p P --out FILE]

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { MUTATIONS } from '../src/explore/mutations.ts';
import { verify } from '../src/explore/verify.ts';
import type { Scenario } from '../src/sim/scenario.ts';
import { findScenario } from '../src/sim/scenarios/index.ts';
import { stressVariants } from '../src/sim/scenarios/stress.ts';

const { values } = parseArgs({
  options: { cap: { type: 'string' }, 'max-p': { type: 'string' }, out: { type: 'string' } },
});
const cap = Number(values.cap ?? '2000');
const maxP = Number(values['max-p'] ?? '2');

function scenarioOf(name: string): Scenario | undefined {
  return findScenario(name) ?? stressVariants().find((s) => s.name === name);
}

const rows: Record<string, unknown>[] = [];
for (const m of MUTATIONS) {
  const scenario = scenarioOf(m.scenario);
  if (scenario === undefined) {
    rows.push({ mutation: m.name, scenario: m.scenario, note: 'scenario not found' });
    continue;
  }
  let row: Record<string, unknown> = { mutation: m.name, scenario: m.scenario, found: null };
  let total = 0;
  for (let p = 0; p <= maxP; p += 1) {
    const t0 = performance.now();
    const r = verify({ scenario, preemptions: p, mutations: [m.name], maxSchedules: cap });
    total += performance.now() - t0;
    if (r.counterexample !== null) {
      row = {
        ...row,
        found: p,
        schedules: r.schedules,
        check: r.counterexample.failure.id,
        seconds: total / 1000,
      };
      break;
    }
    row = {
      ...row,
      [`P${p}`]: r.complete ? `certified (${r.schedules})` : `none in ${r.schedules}`,
      seconds: total / 1000,
    };
  }
  rows.push(row);
  console.log(JSON.stringify(row));
}
const counts: Record<string, unknown>[] = [];
for (const name of ['small', 'abba-ww', 'calibrate']) {
  for (let p = 0; p <= 1; p += 1) {
    const t0 = performance.now();
    const r = verify({ scenario: scenarioOf(name)!, preemptions: p, maxSchedules: cap });
    const row = {
      scenario: name,
      preemptions: p,
      schedules: r.schedules,
      complete: r.complete,
      seconds: (performance.now() - t0) / 1000,
    };
    counts.push(row);
    console.log(JSON.stringify(row));
  }
}
if (values.out !== undefined)
  writeFileSync(values.out, `${JSON.stringify({ cap, maxP, rows, counts }, null, 2)}\n`);
