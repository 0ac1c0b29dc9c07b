// Schedules with and without the sleep-set reduction of `verify` (src/explore/verify_por.ts), and the
// time each search took: `tsx bench/verify_por.ts [--cap N] [--small-cap N] [--only NAME] [--loss N]
// [--out FILE]`. Each search is capped at N schedules (default 20,000; `small` at --small-cap, default
// 500: a recorded run of it takes a tenth of a second or more); a capped search says so (complete:
// false). With --loss N, where the reduction is lost (bench/verify_por_loss.ts) over the first N
// schedules of the reduced search of small at P = 0 and 1 and of abba-ww at P = 1. Results in
// bench/results/verify_por.json. Wall-clock numbers depend on the machine and its load.

import { writeFileSync } from 'node:fs';
import { verify } from '../src/explore/verify.ts';
import { sleepSetReduction } from '../src/explore/verify_por.ts';
import type { Scenario } from '../src/sim/scenario.ts';
import { calibrate } from '../src/sim/scenarios/calibrate.ts';
import { findScenario } from '../src/sim/scenarios/index.ts';
import { type LossReport, measureLoss } from './verify_por_loss.ts';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : def;
};
const cap = Number(opt('--cap', '20000'));
const out = opt('--out', 'bench/results/verify_por.json');
const only = opt('--only', '');
const smallCap = Number(opt('--small-cap', '500'));
const lossCap = Number(opt('--loss', '0'));

const cases: [string, Scenario, number][] = [
  ['calibrate', findScenario('calibrate')!, 0],
  ['calibrate', findScenario('calibrate')!, 1],
  ['calibrate', findScenario('calibrate')!, 2],
  ['calibrate starvation 3', calibrate({ starvationSteps: 3 }), 2],
  ['abba-ww', findScenario('abba-ww')!, 0],
  ['abba-ww', findScenario('abba-ww')!, 1],
  ['small', findScenario('small')!, 0],
  ['small', findScenario('small')!, 1],
  ['small', findScenario('small')!, 2],
];

const rows: unknown[] = [];
for (const [name, scenario, p] of cases) {
  if (only !== '' && !name.startsWith(only)) continue;
  for (const reduce of [false, true]) {
    const t0 = performance.now();
    const r = verify({
      scenario,
      preemptions: p,
      maxSchedules: name === 'small' ? smallCap : cap,
      ...(reduce ? { reduction: sleepSetReduction } : {}),
    });
    const seconds = Number(((performance.now() - t0) / 1000).toFixed(2));
    const row = {
      scenario: name,
      preemptions: p,
      reduce,
      schedules: r.schedules,
      pruned: r.pruned,
      complete: r.complete,
      seconds,
      cap: name === 'small' ? smallCap : cap,
    };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}
const loss: LossReport[] = [];
if (lossCap > 0) {
  for (const [name, p] of [
    ['small', 0],
    ['small', 1],
    ['abba-ww', 1],
  ] as const) {
    const report = measureLoss(name, findScenario(name)!, p, lossCap);
    loss.push(report);
    console.log(JSON.stringify(report));
  }
}
writeFileSync(out, `${JSON.stringify({ cap, smallCap, rows, loss }, null, 2)}\n`);
