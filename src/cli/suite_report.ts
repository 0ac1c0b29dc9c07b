// The report of the default suite (`npm start`, `ttm-sim fuzz` without --scenario, a suite of the
// scenarios named, and `corpus merge` of a sliced suite's directories), written for a kernel developer:
// what the workload was, a line per scenario (schedules run of its share, failures, distinct state
// transitions and cross-task orderings reached, rare situations reached), what every schedule was
// checked against, which error paths the injected faults opened, what was found (every failure in full
// with its token and shrunk token), and what to do next (the commands to look at the first failure, to
// run longer, to run one scenario in depth or every scenario). Its body is a pure function of the
// campaigns' states (src/explore/suite.ts); what a run measured and where files are go in trailing
// lines (text) or the `run` and `corpus` members (JSON), as in campaign_report.ts. The JSON report
// keeps the campaign's own terms (arms, calibration k and n, corpus tapes): scripts parse it.

import type { Outcome } from '../engine/types.ts';
import { type FoundFailure, scenarioId } from '../explore/campaign.ts';
import { CHECK_CATALOGUE } from '../explore/check_catalogue.ts';
import { canonicalSiteCounts, type SiteCounts, sitesNeverFired } from '../explore/faults.ts';
import { defaultSuite, type SuiteCampaign, type SuiteReport, type SuiteRunInfo } from '../explore/suite.ts';
import { FAULT_SITES } from '../kernel/faults.ts';
import { SCENARIOS } from '../sim/scenarios/index.ts';
import { fmtRate, knownBugLines, runJson, stateJson } from './campaign_report.ts';
import { shellWord } from './scenario_option.ts';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `510 schedules in equal shares (30 each)`, `512 schedules in equal shares (31 or 30 each)`. */
function sharesText(r: SuiteReport): string {
  const shares = r.campaigns.map((c) => c.share);
  if (r.manifest.schedules === null)
    return 'no schedule count: each scenario runs for its part of the time budget';
  const hi = Math.max(...shares.map((s) => s ?? 0));
  const lo = Math.min(...shares.map((s) => s ?? 0));
  return `${r.manifest.schedules} schedules in equal shares (${hi === lo ? hi : `${hi} or ${lo}`} each)`;
}

function failuresCell(c: SuiteCampaign): string {
  if (c.state === null) return '-';
  const fs = c.state.failures;
  if (fs.length === 0) return 'none';
  const kinds = (['correctness', 'liveness', 'crash'] as const)
    .map((k) => [k, fs.filter((f) => f.kind === k).length] as const)
    .filter(([, n]) => n > 0);
  return kinds.length === 1
    ? `${fs.length} ${kinds[0]![0]}`
    : `${fs.length} (${kinds.map(([k, n]) => `${n} ${k}`).join(', ')})`;
}

/**
 * One row per scenario: name, schedules run of its share, failures, the distinct state transitions and
 * cross-task orderings its schedules took (coverage), and the rare situations it reached (goals).
 */
export function scenarioRows(r: SuiteReport): string[] {
  const width = Math.max(8, ...r.campaigns.map((c) => c.scenario.length));
  const cells = r.campaigns.map((c) => {
    const s = c.state;
    const sched = `${s?.next ?? 0}/${c.share ?? '-'}`;
    const transitions = s === null ? 'not started' : String(s.coverage.triples.size);
    const orders = s === null ? '' : String(s.coverage.pairs.size);
    const goals =
      s === null || s.goals.length === 0
        ? '-'
        : `${s.goals.filter((g) => g.reached > 0).length} of ${s.goals.length}`;
    return [c.scenario, sched, failuresCell(c), transitions, orders, goals] as const;
  });
  const w1 = Math.max(9, ...cells.map((x) => x[1].length));
  const w2 = Math.max(8, ...cells.map((x) => x[2].length));
  const row = (a: string, b: string, c: string, d: string, e: string, f: string) =>
    `    ${a.padEnd(width)}  ${b.padStart(w1)}  ${c.padEnd(w2)}  ${d.padStart(11)}  ${e.padStart(9)}  ${f}`.trimEnd();
  return [
    row('scenario', 'schedules', 'failures', 'transitions', 'orderings', 'rare cases reached'),
    ...cells.map((x) => row(...x)),
  ];
}

function stoppedText(r: SuiteReport): string {
  if (r.complete) return 'all schedules run';
  if (r.manifest.schedules === null)
    return 'no schedule count (a time budget only): each campaign ran until its part of it';
  const short = r.campaigns.filter((c) => !c.complete);
  const parts = short.map((c) => {
    if (c.state === null) return `${c.scenario} not started`;
    const slices = c.slices;
    const missing =
      slices === null || slices.missing.length === 0
        ? ''
        : ` (shard${slices.missing.length === 1 ? '' : 's'} ${slices.missing.join(',')} missing)`;
    return `${c.scenario} ran ${c.state.next} of ${c.share}${missing}`;
  });
  return `${r.ran} of ${r.manifest.schedules} schedules run; ${parts.join(', ')}`;
}

/** Per fault site, the schedules of all campaigns that evaluated it and that fired it. */
function suiteSites(r: SuiteReport): { evaluated: SiteCounts; fired: SiteCounts } {
  const evaluated: SiteCounts = {};
  const fired: SiteCounts = {};
  for (const c of r.campaigns) {
    for (const [k, v] of Object.entries(c.state?.faultSitesEvaluated ?? {}))
      evaluated[k] = (evaluated[k] ?? 0) + v;
    for (const [k, v] of Object.entries(c.state?.faultSitesFired ?? {})) fired[k] = (fired[k] ?? 0) + v;
  }
  return { evaluated: canonicalSiteCounts(evaluated), fired: canonicalSiteCounts(fired) };
}

/** The error paths the injected faults opened: sites that fired somewhere, and those that fired nowhere. */
function errorPathsText(r: SuiteReport): string {
  if (r.manifest.faults === 'off')
    return 'no faults injected (--faults off): only the paths the workloads take on their own';
  const { evaluated, fired } = suiteSites(r);
  const never = sitesNeverFired(evaluated, fired);
  const n = FAULT_SITES.length - never.evaluated.length - never.unreached.length;
  const parts = [`${n} of ${FAULT_SITES.length} fault sites fired in some scenario`];
  if (never.evaluated.length > 0) parts.push(`reached but never fired: ${never.evaluated.join(', ')}`);
  if (never.unreached.length > 0) parts.push(`never reached: ${never.unreached.join(', ')}`);
  return `${parts.join('; ')} (${command('npx ttm-sim faults')} says what each one fails)`;
}

/** `text` after a 14-column label, wrapped at `WIDTH` columns with continuation lines indented alike. */
const WIDTH = 108;
function labelled(label: string, text: string): string[] {
  const lines: string[] = [];
  let line = `  ${label.padEnd(12)}`;
  let empty = true;
  for (const word of text.split(' ')) {
    if (!empty && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = `${' '.repeat(14)}${word}`;
    } else {
      line += empty ? word : ` ${word}`;
    }
    empty = false;
  }
  lines.push(line);
  return lines.map((l) => l.replaceAll(KEEP, ' '));
}

/** A space the wrapping keeps: a command quoted in a paragraph stays on one line. */
const KEEP = '\u00a0';
function command(text: string): string {
  return `'${text.replaceAll(' ', KEEP)}'`;
}

/** How the schedules were drawn, in words: the portfolio, or the one strategy given. */
function strategyText(strategy: string): string {
  if (strategy === 'portfolio')
    return 'drawn in turn by a random walk, PCT (aimed at bugs needing 1, 2 or 3 preemptions), POS, and mutation of earlier interleavings that reached new states';
  if (strategy === 'cover') return 'each a mutation of an earlier interleaving that reached new states';
  return `drawn by ${strategy}`;
}

function faultsText(faults: string): string {
  const what =
    'allocation failures, IOMMU map errors, failed backups and swap writes, signals and fence timeouts injected where the kernel code can fail';
  if (faults === 'mixed') return `; half of them with ${what}`;
  if (faults === 'off') return '; no faults injected';
  return `; every one with ${what} (${faults})`;
}

/** What ran: which scenarios, how many schedules, how they were drawn, with what switched on. */
function workloadText(r: SuiteReport): string {
  const m = r.manifest;
  const names = m.scenarios;
  const byDefault = JSON.stringify(names) === JSON.stringify(defaultSuite());
  const which = byDefault
    ? `every built-in scenario expected to pass (${names.length} of ${SCENARIOS.length})`
    : `the ${plural(names.length, 'scenario')} named`;
  const count = m.schedules === null ? 'As many schedules as the time budget allowed' : `${sharesText(r)}`;
  const sliced =
    m.shards === null || r.slicesRun === null
      ? ''
      : `, in shard${r.slicesRun.length === 1 ? '' : 's'} ${r.slicesRun.join(',')} of ${m.shards}`;
  const what = byDefault
    ? `${which}: kernel tasks (GPU submits under ww reservations, eviction, swapout, the shrinker, CPU faults, delayed delete) racing on TTM devices, buffer objects and fences through a whole life of init, work, suspend, resume and teardown (${command('npx ttm-sim scenarios')} describes each).`
    : `${which} (${command('npx ttm-sim scenarios')} describes each).`;
  const parts = [
    what,
    `${count}${sliced}, each one interleaving from its own seed (base seed ${m.baseSeed}), ${strategyText(m.strategy)}${faultsText(m.faults)}.`,
  ];
  if (m.mutations.length > 0) parts.push(`Bugs put back: ${m.mutations.join(', ')}.`);
  if ((m.designs ?? []).length > 0) parts.push(`Designs switched on: ${(m.designs ?? []).join(', ')}.`);
  return parts.join(' ');
}

/** What every schedule was checked against, counted from the catalogue of checks. */
function checkedText(): string {
  const n = (source: string) => CHECK_CATALOGUE.filter((c) => c.source === source).length;
  return `${n('kernel')} of the kernel's own rules (WARN_ONs, lock assertions, kerneldoc contracts) where the modelled code states them; ${n('oracle')} invariants of its state after every step; ${n('data')} checks on every read that data is what was written; ${n('end')} end checks after every run (no BO, page, swap slot, lock or fence left; every task finished). ${command('npx ttm-sim oracles')} lists each with its upstream source.`;
}

function kindsText(r: SuiteReport): string {
  const failing = r.campaigns.filter((c) => (c.state?.failures.length ?? 0) > 0);
  return `${plural(r.failures, 'distinct failure')} in ${failing.map((c) => c.scenario).join(', ')}; the worst is ${worstText(r)}`;
}

function worstText(r: SuiteReport): string {
  if (r.worst === 'pass') return 'pass: no scenario failed';
  const where = r.campaigns.filter((c) => c.outcome === r.worst).map((c) => c.scenario);
  return `${r.worst} (${where.join(', ')})`;
}

/** One failure in full: the check, where it was first seen, the message, how to replay it. */
function failureLines(f: FoundFailure, n: number): string[] {
  const lines = [
    `    ${n}. ${f.kind}: ${f.id}${f.actor === null ? '' : ` on ${f.actor}`}, first at schedule ${f.schedule} (seed ${f.seed}), in ${plural(f.count, 'schedule')}`,
    `       ${f.message}`,
    `       token   ${f.token}`,
  ];
  if (f.shrunk !== null) {
    lines.push(
      `       shrunk  ${f.shrunk.token}`,
      `               ${f.steps} → ${f.shrunk.steps} steps, ${plural(f.shrunk.preemptions, 'preemption')}, ${plural(f.shrunk.faults, 'fault')} (${(f.shrunk.ms / 1000).toFixed(1)} s${f.shrunk.timedOut ? ', budget ran out' : ''})`,
    );
  }
  return lines;
}

/** The options of `fuzz` that shaped this suite, other than its scenarios and count, as typed. */
function optionsText(m: SuiteReport['manifest'], withBugs = true): string {
  const parts: string[] = [];
  if (m.baseSeed !== '0') parts.push(`--seed ${m.baseSeed}`);
  if (m.strategy !== 'portfolio') parts.push(`--strategy ${m.strategy}`);
  if (m.faults !== 'mixed') parts.push(`--faults ${m.faults}`);
  // Mutations and designs act in some scenarios only: a command over other scenarios leaves them out.
  for (const x of withBugs ? m.mutations : []) parts.push(`--mutation ${x}`);
  for (const x of withBugs ? (m.designs ?? []) : []) parts.push(`--design ${x}`);
  if (m.maxSteps !== null) parts.push(`--max-steps ${m.maxSteps}`);
  return parts.map((p) => ` ${p}`).join('');
}

/** What to do next: look at the first failure, run longer, one scenario in depth, every scenario. */
function nextLines(r: SuiteReport, args: readonly string[]): string[] {
  const m = r.manifest;
  const lines: string[] = [];
  const argOf = (name: string) => args[m.scenarios.indexOf(name)] ?? name;
  // A scenario file's tokens are read with the file (`--scenario FILE`); a built-in's need nothing.
  const fileOf = (name: string) => (argOf(name) === name ? '' : ` --scenario ${argOf(name)}`);
  const failing = r.campaigns.find((c) => (c.state?.failures.length ?? 0) > 0);
  const first = failing?.state?.failures[0];
  if (failing !== undefined && first !== undefined) {
    const token = `${first.shrunk?.token ?? first.token}${fileOf(failing.scenario)}`;
    lines.push(
      `  next        see the first failure step by step, its preemptions marked: npx ttm-sim shrink ${token}`,
      `              draw it (statecharts, timeline): npx ttm-sim view ${token} --out failure.html`,
    );
  }
  const label = lines.length === 0 ? '  next        ' : ' '.repeat(14);
  const byDefault = JSON.stringify(args) === JSON.stringify(defaultSuite());
  const named = byDefault ? '' : args.map((a) => ` --scenario ${a}`).join('');
  const opts = optionsText(m);
  const longer =
    m.schedules === null
      ? `npx ttm-sim fuzz${named}${opts} --time-budget 1h`
      : `npx ttm-sim fuzz${named}${opts} --schedules ${m.schedules * 10}`;
  const one = argOf(r.campaigns.find((c) => c.outcome !== 'pass')?.scenario ?? m.scenarios[0]!);
  lines.push(
    `${label}run longer (or add --workers N to use N cores): ${longer}`,
    `              one scenario in depth: npx ttm-sim fuzz --scenario ${one}${opts} --schedules 1000`,
  );
  if (!byDefault)
    lines.push(
      `              every scenario expected to pass (${defaultSuite().length} of ${SCENARIOS.length}): npx ttm-sim fuzz${optionsText(m, false)}`,
    );
  const byDesign = SCENARIOS.filter((s) => s.expect === 'fail' && !args.includes(s.name));
  if (byDesign.length > 0)
    lines.push(
      `              ${byDesign.length === 1 ? 'the one that fails' : `the ${byDesign.length} that fail`} by design: npx ttm-sim fuzz ${byDesign.map((s) => `--scenario ${s.name}`).join(' ')}`,
    );
  return lines;
}

/**
 * How the command line named each scenario of the suite: `args` when the caller has them (a scenario
 * file's path), else the scenario's name, or `FILE` for a scenario that is not the built-in of its name
 * (a scenario file, whose path the merged corpus does not record).
 */
function scenarioArgs(r: SuiteReport, args: readonly string[] | undefined): string[] {
  return r.manifest.scenarios.map((name, i) => {
    const given = args?.[i];
    // A path pastes into a shell as one word (quoted when it holds a space or a quote).
    if (given !== undefined) return shellWord(given);
    const builtIn = SCENARIOS.find((s) => s.name === name);
    const hash = r.campaigns[i]?.identity?.scenarioHash;
    return builtIn !== undefined && (hash === undefined || hash === scenarioId(builtIn)) ? name : 'FILE';
  });
}

/**
 * The report body: a pure function of the suite's campaigns. `args` are the scenarios as the command
 * line named them (scenario files by path), for the commands the report suggests.
 */
export function suiteText(r: SuiteReport, args?: readonly string[]): string {
  const m = r.manifest;
  const found = r.failures === 0 ? 'no failure' : plural(r.failures, 'distinct failure');
  const partial =
    r.slicesRun !== null && r.campaigns.some((c) => (c.slices?.missing.length ?? 0) > 0)
      ? `shard${r.slicesRun.length === 1 ? '' : 's'} ${r.slicesRun.join(',')} of ${m.shards} only, `
      : 'stopped early, ';
  // A time budget alone has no count to fall short of: its campaigns ran as long as it allowed.
  const verdict =
    r.complete || m.schedules === null ? found : `${partial}${found}${r.failures === 0 ? ' so far' : ''}`;
  const lines = [
    `ttm-sim fuzz: ${plural(r.ran, 'schedule')} of ${plural(m.scenarios.length, 'scenario')}, ${verdict}`,
    ...labelled('workload', workloadText(r)),
  ];
  if (!r.complete) lines.push(...labelled('stopped', stoppedText(r)));
  lines.push(...scenarioRows(r));
  lines.push(...labelled('checked', checkedText()));
  lines.push(...labelled('error paths', errorPathsText(r)));
  const failing = r.campaigns.filter((c) => (c.state?.failures.length ?? 0) > 0);
  if (failing.length === 0)
    lines.push('  found       nothing: no check failed, no run deadlocked, livelocked or crashed');
  else {
    lines.push(`  found       ${kindsText(r)}:`);
    for (const c of failing) {
      lines.push(`  ${c.scenario}:`);
      c.state!.failures.forEach((f, i) => {
        lines.push(...failureLines(f, i + 1));
      });
    }
  }
  const known = r.campaigns.flatMap((c) =>
    (c.state?.knownBugs ?? []).map((failure) => ({ scenario: c.scenario, failure })),
  );
  lines.push(...knownBugLines(known));
  lines.push(...nextLines(r, scenarioArgs(r, args)));
  return lines.join('\n');
}

/** The trailing line of a suite run: what it measured and why it stopped. */
export function suiteRunLine(run: SuiteRunInfo, corpus: boolean): string {
  const secs = run.elapsedMs / 1000;
  const rate = secs > 0 ? run.ranNow / secs : 0;
  const where =
    run.threads === 0
      ? 'on the main thread'
      : `on ${run.threads} worker thread${run.threads === 1 ? '' : 's'}`;
  const stop = {
    done: '',
    'time-budget': '; time budget reached',
    failures: '; failure limit reached',
    interrupted: `; interrupted${corpus ? ' (run the same command to resume)' : ''}`,
  }[run.stopped];
  return `  run         ${run.ranNow} schedules${run.resumed > 0 ? ` (resumed after ${run.resumed})` : ''} in ${secs.toFixed(1)} s (${fmtRate(rate)} schedules/s) ${where}${stop}`;
}

function campaignJson(c: SuiteCampaign): Record<string, unknown> {
  return {
    scenario: c.scenario,
    share: c.share,
    schedules: c.state?.next ?? 0,
    complete: c.complete,
    outcome: c.outcome,
    ...(c.slices === null ? {} : { shards: { present: c.slices.parts, missing: c.slices.missing } }),
    identity: c.identity,
    ...(c.state === null || c.maxSteps === null ? { started: false } : stateJson(c.state, c.maxSteps)),
  };
}

/** The report body as JSON: a pure function of the suite's campaigns. */
export function suiteJson(r: SuiteReport): Record<string, unknown> {
  return {
    suite: { ...r.manifest, split: 'equal', slicesRun: r.slicesRun },
    worst: r.worst satisfies Outcome,
    complete: r.complete,
    schedules: r.ran,
    failures: r.failures,
    faultSites: (() => {
      const { evaluated, fired } = suiteSites(r);
      const never = sitesNeverFired(evaluated, fired);
      return {
        evaluated,
        fired,
        neverFired: [...never.evaluated, ...never.unreached],
        neverEvaluated: never.unreached,
      };
    })(),
    scenarios: r.campaigns.map(campaignJson),
  };
}

export function suiteRunJson(run: SuiteRunInfo): Record<string, unknown> {
  return runJson(run);
}
