// `ttm-sim inevitable TOKEN`: the step at which a failing run's failure became certain
// (src/explore/inevitable.ts), as text or one JSON object.

import { parseArgs } from 'node:util';
import type { TraceLine } from '../engine/trace.ts';
import { EXIT_CODE } from '../engine/types.ts';
import { choicePointsOf, preemptionSteps } from '../explore/choice_points.ts';
import {
  CERTAIN_THRESHOLD,
  DEFAULT_TAILS,
  type InevitableMarks,
  type InevitableResult,
  inevitable,
  MAX_TAILS,
  marksOf,
} from '../explore/inevitable.ts';
import { type DecodedRun, decodedRunOptions, guarded, label } from './common.ts';
import { fail } from './errors.ts';
import { decodeWith, SCENARIO_HELP, SCENARIO_OPTION } from './scenario_option.ts';

export const INEVITABLE_HELP = `Usage: ttm-sim inevitable TOKEN [--tails N] [--json] [--scenario FILE]

For a failing run: when did its failure become certain? Keeps the run's first j choices (and the faults
that fired before them), draws N random continuations after them, and counts those that end with the
same failure signature (check id, actor, actor state, errno); a continuation may take 20 times the
run's steps (at least 2000; for a livelock, 20 times the steps to its last choice). Bisects over j
and reports
  last avoidable   the last choice after which some continuation still avoided the failure (with that
                   choice kept as the run made it, none did), with the token of one that avoided it;
  certain after    the first choice after which at least ${CERTAIN_THRESHOLD * 100} % of the continuations fail the same way;
and how many runs it took. Bisection assumes the share of failing continuations grows with j; where it
does not, the steps reported are neighbouring cuts on either side of the threshold. The result is a
function of the token and N: continuation i after j choices draws from its own stream of the seed.
  --tails N         continuations per cut, 1..${MAX_TAILS} (default ${DEFAULT_TAILS})
  --json            print one JSON object
${SCENARIO_HELP}
'ttm-sim view TOKEN --inevitable [--tails N]' marks both steps on the viewer's timeline.
The exit code is the run's (1 correctness, 3 liveness, 4 crash); a passing token is bad input (2).`;

/** `--tails`: a decimal integer in 1..MAX_TAILS. */
export function tailsOption(text: string | undefined): number {
  if (text === undefined) return DEFAULT_TAILS;
  const v = /^[1-9][0-9]{0,5}$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isNaN(v) || v > MAX_TAILS) {
    fail(`--tails must be an integer in 1..${MAX_TAILS}, got "${text}"`);
  }
  return v;
}

export function cmdInevitable(args: string[]): number {
  const { values, positionals } = guarded('inevitable', () =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        tails: { type: 'string' },
        json: { type: 'boolean' },
        ...SCENARIO_OPTION,
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help) {
    process.stdout.write(`${INEVITABLE_HELP}\n`);
    return 0;
  }
  if (positionals.length > 1) fail(`inevitable: expected one TOKEN, got ${positionals.length} arguments`);
  const tails = tailsOption(values.tails);
  const d = decodeWith(positionals[0], 'inevitable', values.scenario);
  const out = inevitable({ scenario: d.scenario, options: decodedRunOptions(d), tails });
  if (!out.ok) fail(`inevitable: ${out.reason}; it needs the token of a failing run`);
  const r = out.result;
  if (values.json) process.stdout.write(`${JSON.stringify(inevitableJson(r))}\n`);
  else {
    const title = `ttm-sim inevitable: ${d.scenario.name} --seed ${d.seed} --strategy ${label(d.strategy)}${d.mutations.map((m) => ` --mutation ${m}`).join('')}`;
    process.stdout.write(`${inevitableText(r, title)}\n`);
  }
  return EXIT_CODE[r.failure.kind];
}

/**
 * What `ttm-sim view` marks on its timeline beyond the trace: the run's preemptions, and with
 * `--inevitable` the steps `inevitable` finds (`--tails N` continuations per cut). A passing run has no
 * failure to date: `--inevitable` on it is bad input, as is `--tails` without `--inevitable`.
 */
export function viewMarks(
  d: DecodedRun,
  withInevitable: boolean,
  tailsText: string | undefined,
): { readonly preemptions: number[]; readonly inevitable: InevitableMarks | null } {
  if (!withInevitable) {
    if (tailsText !== undefined)
      fail('view: --tails counts the continuations of --inevitable; add --inevitable');
    return {
      preemptions: preemptionSteps(choicePointsOf(d.scenario, decodedRunOptions(d)).points),
      inevitable: null,
    };
  }
  const out = inevitable({
    scenario: d.scenario,
    options: decodedRunOptions(d),
    tails: tailsOption(tailsText),
  });
  if (!out.ok) fail(`view --inevitable: ${out.reason}; it needs the token of a failing run`);
  return { preemptions: preemptionSteps(out.result.points), inevitable: marksOf(out.result) };
}

/** The result without the run's trace and choice points (what `--json` prints). */
export function inevitableJson(r: InevitableResult): Omit<InevitableResult, 'lines' | 'points'> {
  const { lines: _l, points: _p, ...rest } = r;
  return rest;
}

export function inevitableText(r: InevitableResult, title: string): string {
  const need = Math.ceil(r.threshold * r.tails - 1e-9);
  const drawn = r.probes.reduce((n, p) => n + p.tails, 0);
  const f = r.failure;
  const out = [
    title,
    `  failure         ${f.id} at step ${f.step}${f.actor === undefined ? '' : ` (${f.actor})`}: ${f.message}`,
    `  signature       ${r.signature}`,
    `  run             ${r.steps} steps, ${r.choices} choices; ${r.tails} continuations per cut (each up to ${r.tailMaxSteps} steps), certain at ≥ ${r.threshold * 100} % (${need} of ${r.tails})`,
  ];
  const a = r.lastAvoidable;
  if (a === null) {
    out.push('  last avoidable  none: every continuation failed the same way even with no choice kept');
  } else {
    out.push(
      `  last avoidable  step ${a.step} (choice ${a.choice} of ${r.choices}): the run picked ${a.picked} of ${a.enabled.join(', ')}; with that pick kept every continuation failed`,
      `                  a continuation that avoided it (${a.avoidedOutcome}): ${a.avoidedBy}`,
    );
  }
  const c = r.certainAfter;
  out.push(
    c === null
      ? `  certain after   the start: ≥ ${r.threshold * 100} % of the continuations fail the same way with no choice kept`
      : `  certain after   step ${c.step} (choice ${c.choice}): once the run's pick there (${c.picked}) is kept, ≥ ${r.threshold * 100} % of the continuations fail the same way`,
    `  runs            ${r.runs} (the failing run twice, ${drawn} continuations over ${r.probes.length} cut${r.probes.length === 1 ? '' : 's'})`,
    '',
    '  cuts probed (choices kept, step of the first choice left open, continuations failing the same way):',
    ...r.probes.map(
      (p) => `    ${String(p.kept).padStart(5)}  step ${String(p.step).padStart(6)}  ${p.failing}/${p.tails}`,
    ),
  );
  const marks = new Set([a?.step, c?.step].filter((s): s is number => s !== undefined));
  if (marks.size > 0) {
    out.push('', '  the run around the marked steps (▶):');
    const shown = new Set<number>();
    for (const s of [...marks].sort((x, y) => x - y))
      for (let k = Math.max(0, s - 2); k <= Math.min(r.lines.length - 1, s + 2); k++) shown.add(k);
    let prev = -1;
    for (const k of [...shown].sort((x, y) => x - y)) {
      if (prev >= 0 && k > prev + 1) out.push('    …');
      out.push(`  ${stepRow(r.lines[k] as TraceLine, marks.has(k))}`);
      prev = k;
    }
  }
  return out.join('\n');
}

/** One step as a row: marker, step, actor, message, state change, and the objects it changed. */
function stepRow(line: TraceLine, marked: boolean): string {
  const change = line.from === line.to ? line.to : `${line.from} → ${line.to}`;
  const others = (line.effects ?? [])
    .filter((e) => e.actor !== line.actor)
    .map((e) => `${e.actor} ${e.event}`);
  const more =
    others.length === 0 ? '' : `  [${others.slice(0, 3).join('; ')}${others.length > 3 ? '; …' : ''}]`;
  return `${marked ? '▶' : ' '}${String(line.step).padStart(5)}  ${line.actor}  ${line.event}  ${change}${more}`;
}
