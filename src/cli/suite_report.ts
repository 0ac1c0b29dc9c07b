// The report of the default suite (`ttm-sim fuzz` without --scenario, and `corpus merge` of a sliced
// suite's directories): a header, a line per scenario (schedules run of its share, failures, coverage,
// goals), the worst outcome, and every failure in full, grouped by scenario. Its body is a pure function
// of the campaigns' states (src/explore/suite.ts); what a run measured and where files are go in
// trailing lines (text) or the `run` and `corpus` members (JSON), as in campaign_report.ts.

import type { Outcome } from '../engine/types.ts';
import { canonicalSiteCounts, type SiteCounts, sitesNeverFired } from '../explore/faults.ts';
import type { SuiteCampaign, SuiteReport, SuiteRunInfo } from '../explore/suite.ts';
import { FAULT_SITES } from '../kernel/faults.ts';
import { failureText, fmtRate, runJson, stateJson } from './campaign_report.ts';

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

/** One row per scenario: name, schedules run of its share, failures, coverage, goals reached. */
export function scenarioRows(r: SuiteReport): string[] {
  const width = Math.max(8, ...r.campaigns.map((c) => c.scenario.length));
  const cells = r.campaigns.map((c) => {
    const s = c.state;
    const sched = `${s?.next ?? 0}/${c.share ?? '-'}`;
    const cover =
      s === null ? 'not started' : `${s.coverage.triples.size} triples, ${s.coverage.pairs.size} pairs`;
    const goals = s === null ? '-' : `${s.goals.filter((g) => g.reached > 0).length}/${s.goals.length}`;
    return [c.scenario, sched, failuresCell(c), cover, goals] as const;
  });
  const w1 = Math.max(9, ...cells.map((x) => x[1].length));
  const w2 = Math.max(8, ...cells.map((x) => x[2].length));
  const w3 = Math.max(8, ...cells.map((x) => x[3].length));
  const row = (a: string, b: string, c: string, d: string, e: string) =>
    `    ${a.padEnd(width)}  ${b.padStart(w1)}  ${c.padEnd(w2)}  ${d.padEnd(w3)}  ${e}`.trimEnd();
  return [row('scenario', 'schedules', 'failures', 'coverage', 'goals'), ...cells.map((x) => row(...x))];
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

/** The fault sites that fired in some scenario, and those that fired in none (evaluated, or not even that). */
function faultSitesText(r: SuiteReport): string {
  const { evaluated, fired } = suiteSites(r);
  const never = sitesNeverFired(evaluated, fired);
  const n = FAULT_SITES.length - never.evaluated.length - never.unreached.length;
  const parts = [`  fault sites ${n} of ${FAULT_SITES.length} fired in some scenario`];
  if (never.evaluated.length > 0) parts.push(`never fired though evaluated: ${never.evaluated.join(', ')}`);
  if (never.unreached.length > 0) parts.push(`never evaluated: ${never.unreached.join(', ')}`);
  return parts.join('; ');
}

function worstText(r: SuiteReport): string {
  if (r.worst === 'pass') return 'pass: no scenario failed';
  const where = r.campaigns.filter((c) => c.outcome === r.worst).map((c) => c.scenario);
  return `${r.worst} (${where.join(', ')})`;
}

/** The report body: a pure function of the suite's campaigns. */
export function suiteText(r: SuiteReport): string {
  const m = r.manifest;
  const sliced =
    m.shards === null || r.slicesRun === null
      ? ''
      : `, in shard${r.slicesRun.length === 1 ? '' : 's'} ${r.slicesRun.join(',')} of ${m.shards}`;
  const lines = [
    `ttm-sim fuzz: suite of ${plural(m.scenarios.length, 'scenario')}, ${sharesText(r)}${sliced}, ${m.strategy}, faults ${m.faults}, base seed ${m.baseSeed}`,
    `  stopped     ${stoppedText(r)}`,
  ];
  if (m.mutations.length > 0) lines.push(`  mutations   ${m.mutations.join(', ')}`);
  if ((m.designs ?? []).length > 0) lines.push(`  designs     ${(m.designs ?? []).join(', ')}`);
  lines.push('  scenarios', ...scenarioRows(r));
  lines.push(faultSitesText(r));
  lines.push(`  worst       ${worstText(r)}`);
  const failing = r.campaigns.filter((c) => (c.state?.failures.length ?? 0) > 0);
  if (failing.length === 0) lines.push('  failures    none');
  else {
    lines.push(`  failures    ${r.failures} distinct, in ${failing.map((c) => c.scenario).join(', ')}:`);
    for (const c of failing) {
      lines.push(`  ${c.scenario}:`);
      c.state!.failures.forEach((f, i) => {
        lines.push(...failureText(f, i + 1).map((l) => `  ${l}`));
      });
    }
  }
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
