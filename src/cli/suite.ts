// `ttm-sim fuzz` without --scenario: the default suite (src/explore/suite.ts), with progress on stderr,
// Ctrl-C stopping every campaign between two schedules with its corpus saved, one combined report on
// stdout, and the exit code of the worst outcome.

import type { StrategySpec } from '../engine/strategy.ts';
import type { Arm, CampaignFaults } from '../explore/campaign.ts';
import { exitCodeAfterSignal, type StopSignal, stopSignals$ } from '../explore/campaign_streams.ts';
import { CORPUS_FILE } from '../explore/corpus.ts';
import { prepareSuite, runPrepared, SUITE_FILE, type SuiteOptions } from '../explore/suite.ts';
import { fmtRate } from './campaign_report.ts';
import { fail } from './errors.ts';
import type { ShardPlan } from './shards.ts';
import { suiteJson, suiteRunJson, suiteRunLine, suiteText } from './suite_report.ts';

/** The suite's options as `fuzz` parsed them. */
export interface SuiteArgs {
  /** The scenarios (names or scenario files); the default suite when absent. */
  readonly scenarios?: readonly string[];
  readonly baseSeed: bigint;
  readonly schedules: number;
  readonly timeBudgetMs?: number;
  readonly strategy?: StrategySpec;
  readonly arms?: readonly Arm[];
  readonly mutations: readonly string[];
  readonly designs: readonly string[];
  readonly maxSteps?: number;
  readonly faults: CampaignFaults;
  readonly shrink: boolean;
}

function progressLine(done: number, total: number, rate: number, failures: number, scenario: string): string {
  const finite = Number.isFinite(total);
  const width = 24;
  const filled = finite ? Math.min(width, Math.round((done / total) * width)) : 0;
  const bar = finite ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` : '';
  return `${bar}${done}${finite ? `/${total}` : ''} schedules  ${fmtRate(rate)}/s  ${failures} failure(s)  ${scenario}`;
}

/** Run the default suite as `fuzz` does and print its report; returns the exit code. */
export async function fuzzSuite(
  args: SuiteArgs,
  plan: ShardPlan | undefined,
  corpusDir: string | undefined,
  json: boolean,
): Promise<number> {
  const tty = process.stderr.isTTY === true;
  const controller = new AbortController();
  const start = Date.now();
  let lastLine = 0;
  let lastText = '';
  let resumed = 0;
  const opts: SuiteOptions = {
    ...(args.scenarios === undefined ? {} : { scenarios: args.scenarios }),
    baseSeed: args.baseSeed,
    schedules: args.schedules,
    ...(args.timeBudgetMs === undefined ? {} : { timeBudgetMs: args.timeBudgetMs }),
    ...(args.strategy === undefined ? {} : { strategy: args.strategy }),
    ...(args.arms === undefined ? {} : { arms: args.arms }),
    mutations: args.mutations,
    designs: args.designs,
    ...(args.maxSteps === undefined ? {} : { maxSteps: args.maxSteps }),
    faults: args.faults,
    shrink: args.shrink,
    ...(plan === undefined ? {} : { shards: plan.count, runShards: plan.run, workers: plan.threads }),
    ...(corpusDir === undefined ? {} : { corpusDir }),
    progressMs: tty ? 250 : 10_000,
    onProgress: (p) => {
      const ms = Date.now() - start;
      const line = progressLine(
        p.done,
        p.total,
        ms > 0 ? ((p.done - resumed) * 1000) / ms : 0,
        p.failures,
        p.scenario,
      );
      // The last campaign's final report and the suite's own may say the same (the rate aside, which
      // moves between the two): print it once.
      const said = `${p.done}/${p.total} ${p.failures} ${p.scenario}`;
      if (said === lastText) return;
      lastText = said;
      if (tty) process.stderr.write(`\r${line}\u001b[K`);
      else if (ms - lastLine >= 10_000 || p.done >= p.total) process.stderr.write(`${line}\n`);
      lastLine = ms;
    },
    onFailure: (scenario, f, shard) => {
      const msg = `failure ${f.id} in ${scenario} at schedule ${f.schedule}${shard === null ? '' : ` (shard ${shard})`}: ${f.message.slice(0, 160)}`;
      process.stderr.write(tty ? `\r${msg}\u001b[K\n` : `${msg}\n`);
    },
    signal: controller.signal,
  };
  const prep = prepareSuite(opts);
  if (!prep.ok) fail(`${corpusDir === undefined ? 'fuzz' : '--corpus'}: ${prep.reason}`);
  resumed = [...prep.suite.before.values()].reduce((a, b) => a + b, 0);
  // SIGINT and SIGTERM stop every campaign before its next schedule, with its corpus saved.
  let signal: StopSignal | null = null;
  const stopping = stopSignals$().subscribe((s) => {
    signal = s;
    controller.abort();
  });
  try {
    const r = await runPrepared(prep.suite);
    if (tty) process.stderr.write('\n');
    const where =
      corpusDir === undefined
        ? null
        : `${corpusDir}/${SUITE_FILE}, ${corpusDir}/<scenario>/${plan === undefined ? CORPUS_FILE : `shard-K-of-${plan.count}.json`}`;
    if (json) {
      process.stdout.write(
        `${JSON.stringify({ ...suiteJson(r.report), run: suiteRunJson(r.run), corpus: corpusDir ?? null })}\n`,
      );
    } else {
      const lines = [suiteText(r.report, prep.suite.args), suiteRunLine(r.run, corpusDir !== undefined)];
      if (where !== null) lines.push(`  corpus      ${where}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return exitCodeAfterSignal(r.exitCode, signal);
  } finally {
    stopping.unsubscribe();
  }
}
