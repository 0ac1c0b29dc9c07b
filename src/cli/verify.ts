// `ttm-sim verify --scenario S --preemptions P`: every schedule of S with at most P preemptions
// (src/explore/verify.ts), ending in a certificate or the first counterexample's token; progress on
// stderr.

import { parseArgs } from 'node:util';
import { EXIT_CODE } from '../engine/types.ts';
import { type VerifyResult, verify } from '../explore/verify.ts';
import { guarded, mutationOptions, parseSeed, scenarioByName } from './common.ts';
import { fail } from './errors.ts';
import { VERSION } from './version.ts';

export const PREEMPTIONS_MAX = 10;
export const MAX_SCHEDULES_MAX = 1_000_000_000;

export const VERIFY_HELP = `Usage: ttm-sim verify --scenario S --preemptions P [--mutation M] [--seed N] [--max-schedules N] [--json]

Runs every schedule of scenario S with at most P preemptions (iterative context bounding): a schedule is
the actor picked at each choice between two or more enabled actors, and a pick preempts when the actor
that ran last could have gone on. Schedules with 0 preemptions run first, then 1, and so on, so the first
failing schedule found has the fewest preemptions of any within the bound.
Prints one of
  certificate      no check failed in any schedule with <= P preemptions, with the scenario hash, the
                   model version, the schedules run (per preemption count) and the time taken;
  counterexample   the first failing schedule as a token ('ttm-sim replay TOKEN', 'ttm-sim shrink TOKEN');
  incomplete       --max-schedules stopped the search first: no certificate.
  --scenario S       a built-in scenario or a scenario file (FILE.json)
  --preemptions P    the bound, 0..${PREEMPTIONS_MAX}
  --mutation M       switch a catalogue mutation on (repeatable; 'ttm-sim mutations')
  --seed N           the workload's seed, what the scenario draws when it is built (default 0); the
                     schedules are the search's, not the seed's
  --max-schedules N  stop after N schedules (1..${MAX_SCHEDULES_MAX}; default: no limit)
  --json             print one JSON object
Progress (schedules run, the preemption count being explored, prefixes queued) goes to stderr.
The exit code is 0 for a certificate or an incomplete search, the counterexample's otherwise
(1 correctness, 3 liveness, 4 crash); bad input is 2.`;

/** A decimal integer in [min, max], or bad input naming the option. */
function intOption(name: string, text: string, min: number, max: number, meaning: string): number {
  const v = /^(0|[1-9][0-9]{0,9})$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isNaN(v) || v < min || v > max) {
    fail(`--${name} must be an integer in ${min}..${max} (${meaning}), got "${text}"`);
  }
  return v;
}

export function cmdVerify(args: string[]): number {
  const { values, positionals } = guarded('verify', () =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        scenario: { type: 'string' },
        preemptions: { type: 'string' },
        mutation: { type: 'string', multiple: true },
        seed: { type: 'string' },
        'max-schedules': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help) {
    process.stdout.write(`${VERIFY_HELP}\n`);
    return 0;
  }
  if (positionals.length > 0)
    fail(`verify: unexpected argument "${positionals[0]}"; see 'ttm-sim verify --help'`);
  if (values.scenario === undefined) fail("verify: --scenario S is required; see 'ttm-sim verify --help'");
  if (values.preemptions === undefined)
    fail("verify: --preemptions P is required; see 'ttm-sim verify --help'");
  const preemptions = intOption(
    'preemptions',
    values.preemptions,
    0,
    PREEMPTIONS_MAX,
    'the most preemptions a schedule may have',
  );
  const maxSchedules =
    values['max-schedules'] === undefined
      ? undefined
      : intOption('max-schedules', values['max-schedules'], 1, MAX_SCHEDULES_MAX, 'schedules to run at most');
  const seed = values.seed === undefined ? 0n : parseSeed(values.seed);
  const scenario = scenarioByName(values.scenario);
  const mutations = mutationOptions(values.mutation, [scenario]);

  const started = performance.now();
  let lastShown = started;
  const tty = process.stderr.isTTY === true;
  let shown = false;
  const r = verify({
    scenario,
    preemptions,
    mutations,
    seed,
    ...(maxSchedules === undefined ? {} : { maxSchedules }),
    onProgress: (p) => {
      const now = performance.now();
      if (now - lastShown < (tty ? 250 : 10_000)) return;
      lastShown = now;
      const line = `verify ${scenario.name}: ${p.schedules} schedules, exploring ${p.level} preemption${p.level === 1 ? '' : 's'}, ${p.queued} prefixes queued, ${((now - started) / 1000).toFixed(1)} s`;
      process.stderr.write(tty ? `\r${line}\u001b[K` : `${line}\n`);
      shown = true;
    },
  });
  if (shown && tty) process.stderr.write('\n');
  const seconds = Math.round(performance.now() - started) / 1000;
  if (values.json) process.stdout.write(`${JSON.stringify(verifyJson(r, seconds))}\n`);
  else process.stdout.write(`${verifyText(r, seconds)}\n`);
  return r.counterexample === null
    ? 0
    : EXIT_CODE[r.counterexample.outcome === 'pass' ? 'pass' : r.counterexample.outcome];
}

/** What `--json` prints: the result with the verdict, the model version and the time taken. */
export function verifyJson(r: VerifyResult, seconds: number): Record<string, unknown> {
  const verdict = r.counterexample !== null ? 'counterexample' : r.complete ? 'certificate' : 'incomplete';
  return { verdict, modelVersion: VERSION, ...r, seconds };
}

export function verifyText(r: VerifyResult, seconds: number): string {
  const muts = r.mutations.map((m) => ` --mutation ${m}`).join('');
  const out = [
    `ttm-sim verify --scenario ${r.scenario} --preemptions ${r.preemptions}${muts} --seed ${r.seed}`,
  ];
  const per = r.byPreemptions.map((n, p) => `${n} with ${p}`).join(', ');
  if (r.counterexample !== null) {
    const c = r.counterexample;
    out.push(
      `  counterexample  ${c.outcome}: ${c.failure.id}: ${c.failure.message}`,
      `  preemptions     ${c.preemptions} (fewest of any failing schedule within the bound)`,
      `  run             ${c.steps} steps, ${c.choices} choices`,
      `  token           ${c.token}`,
      `  explored        ${r.schedules} schedules (${per}) in ${seconds} s`,
    );
  } else {
    out.push(
      r.complete
        ? `  certificate     no check failed in any schedule with <= ${r.preemptions} preemptions`
        : `  incomplete      stopped after ${r.schedules} schedules (--max-schedules): no certificate`,
      `  scenario hash   ${r.scenarioHash}`,
      `  model version   ttm-sim ${VERSION}, token format ${r.tokenVersion}`,
      `  schedules       ${r.schedules} (${per}), ${r.pruned} pruned`,
      `  time            ${seconds} s`,
    );
  }
  return out.join('\n');
}
