// An assertion for test runners (Vitest, Jest, node:test): `await expectNoFailure({ scenario, schedules })`
// runs a campaign and throws when any schedule fails, with a message a developer can act on: the
// failing check, the token of the first failing schedule, its shrunk token, the shrunk run's trace, and
// one line to paste back into the options to run that failure alone, the way fast-check prints
// `{ seed, path }` for a failed property.

import { traceRow } from '../cli/explore.ts';
import type { TraceLine } from '../engine/trace.ts';
import type { Failure } from '../engine/types.ts';
import { refuse, seedOf } from './errors.ts';
import { type FuzzFailure, type FuzzOptions, fuzz } from './fuzz.ts';
import { replay } from './run.ts';

export interface NoFailureOptions extends Omit<FuzzOptions, 'scenario' | 'corpusDir'> {
  /** The scenario to hunt in: a built-in name or a scenario file. */
  readonly scenario: string;
  /** Schedules to run (EXPECT_SCHEDULES, 100, by default). */
  readonly schedules?: number;
  /** A token to run alone instead of the campaign (the `replay` of a failure message). */
  readonly replay?: string;
}

/** Schedules expectNoFailure runs when the options give no count (fast-check's numRuns is 100 too). */
export const EXPECT_SCHEDULES = 100;

/** Rows of the shrunk trace a failure message shows: the last ones, where the failure is. */
export const MESSAGE_TRACE_ROWS = 40;

/** The error expectNoFailure throws: the message, and the first failure as data. */
export class ScheduleFailed extends Error {
  override readonly name = 'ScheduleFailed';
  constructor(
    message: string,
    /** The failing check's kind and id (`correctness`, `oracle.backup.handles`). */
    readonly kind: Failure['kind'],
    readonly id: string,
    /** The failing schedule's token, and the shrunk one (the same when shrinking was off or a token was replayed). */
    readonly token: string,
    readonly shrunk: string,
  ) {
    super(message);
  }
}

/** `{ seed: 0, replay: "AQ…" }`: what to paste into the options to run the failure alone. */
function pasteLine(seed: bigint, token: string): string {
  return `{ seed: ${seed <= BigInt(Number.MAX_SAFE_INTEGER) ? seed.toString() : `${seed}n`}, replay: "${token}" }`;
}

/** The readable trace of a token's run (`what` names it), its last MESSAGE_TRACE_ROWS rows. */
function traceLines(token: string, what: string, scenario: string): string[] {
  const r = replay(token, { trace: true, scenario });
  const rows = (r.trace ?? []).map((l) => traceRow(JSON.parse(l) as TraceLine, false));
  const shown = rows.slice(-MESSAGE_TRACE_ROWS);
  const f = r.failure;
  const steps =
    shown.length === rows.length
      ? `${rows.length} steps`
      : `its last ${shown.length} of ${rows.length} steps`;
  const where =
    f === null ? '' : `; ${f.id}${f.actor === undefined ? '' : ` on ${f.actor}`} at step ${f.step}`;
  return [`trace of ${what} (${steps}${where}):`, ...shown];
}

function failureLine(f: Failure): string {
  return `${f.kind}: ${f.id}${f.actor === undefined ? '' : ` on ${f.actor}`} at step ${f.step}`;
}

/** The message for the first failure of a campaign (and a line per further distinct failure). */
function campaignMessage(scenario: string, seed: bigint, ran: number, all: readonly FuzzFailure[]): string {
  const f = all[0]!;
  const shrunk = f.shrunk?.token ?? f.token;
  const lines = [
    `ttm-sim: ${f.scenario} failed at schedule ${f.schedule} of ${ran} (base seed ${seed}, ${f.arm}): ${f.kind} ${f.id}${f.actor === null ? '' : ` on ${f.actor}`}`,
    `  ${f.message}`,
    `  token   ${f.token}`,
    f.shrunk === null
      ? '  shrunk  (not shrunk)'
      : `  shrunk  ${f.shrunk.token} (${f.steps} → ${f.shrunk.steps} steps, ${f.shrunk.preemptions} preemption${f.shrunk.preemptions === 1 ? '' : 's'}, ${f.shrunk.faults} fault${f.shrunk.faults === 1 ? '' : 's'})`,
    `  replay  ${pasteLine(seed, shrunk)}`,
  ];
  for (const g of all.slice(1)) {
    lines.push(
      `  also    ${g.kind} ${g.id}${g.actor === null ? '' : ` on ${g.actor}`} at schedule ${g.schedule}: ${g.shrunk?.token ?? g.token}`,
    );
  }
  lines.push('', ...traceLines(shrunk, f.shrunk === null ? 'the run' : 'the shrunk run', scenario));
  return lines.join('\n');
}

/**
 * Run a campaign of `schedules` schedules of `scenario` and resolve when none fails; reject with a
 * ScheduleFailed whose message holds the failure, its token, the shrunk token, the shrunk trace and a
 * `replay` line to paste back. Bad options reject with TtmSimError.
 */
export async function expectNoFailure(options: NoFailureOptions): Promise<void> {
  if (options === null || typeof options !== 'object' || typeof options.scenario !== 'string')
    refuse('expectNoFailure', 'options.scenario is required: a built-in scenario name or a scenario file');
  const seed = seedOf('expectNoFailure', 'seed', options.seed, 0n);
  if (options.replay !== undefined) {
    const r = replay(options.replay, { scenario: options.scenario });
    if (r.failure === null) return;
    const f = r.failure;
    throw new ScheduleFailed(
      [
        `ttm-sim: ${r.scenario} failed replaying its token: ${failureLine(f)}`,
        `  ${f.message}`,
        `  token   ${r.token}`,
        `  replay  ${pasteLine(seed, r.token)}`,
        '',
        ...traceLines(r.token, 'the run', options.scenario),
      ].join('\n'),
      f.kind,
      f.id,
      r.token,
      r.token,
    );
  }
  const { replay: _r, ...rest } = options;
  const report = await fuzz({ ...rest, schedules: options.schedules ?? EXPECT_SCHEDULES });
  const first = report.failures[0];
  if (first === undefined) return;
  throw new ScheduleFailed(
    campaignMessage(options.scenario, seed, report.schedules, report.failures),
    first.kind,
    first.id,
    first.token,
    first.shrunk?.token ?? first.token,
  );
}

/**
 * A test title carrying the seed, as fast-check shows it: `title (seed: 0, 100 schedules)`, or
 * `title (replay: AQ…)` when the options replay one token.
 */
export function seedTitle(
  title: string,
  options: Pick<NoFailureOptions, 'seed' | 'schedules' | 'replay'>,
): string {
  if (options.replay !== undefined) return `${title} (replay: ${options.replay})`;
  const seed = seedOf('seedTitle', 'seed', options.seed, 0n);
  return `${title} (seed: ${seed}, ${options.schedules ?? EXPECT_SCHEDULES} schedules)`;
}
