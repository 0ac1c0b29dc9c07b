// The report of a sliced campaign, as `fuzz --workers N`, `fuzz --shard K/N` and `corpus merge` print
// it. Its body is a pure function of the set of slices merged (src/explore/shard.ts): the same bytes
// whichever order they finished in, whichever machine ran them. What a run measured (wall-clock time,
// rate, why it stopped) and where files are goes in trailing lines (text) or the `run` and `corpus`
// members (JSON), outside that body. The only wall-clock value inside it is a failure's shrinking time.

import { scenarioHash } from '../engine/token.ts';
import { EXIT_CODE } from '../engine/types.ts';
import { type CampaignState, type FoundFailure, pctMissBounds } from '../explore/campaign.ts';
import { canonicalSiteCounts, sitesNeverFired } from '../explore/faults.ts';
import type { StopReason } from '../explore/fuzz.ts';
import { knownFinding } from '../explore/known_findings.ts';
import type { MergedCampaign } from '../explore/shard.ts';
import { FAULT_SITES } from '../kernel/faults.ts';
import { SCENARIOS } from '../sim/scenarios/index.ts';

export function fmtRate(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

/**
 * A failure as the reports list it. `scenarioArg` is the ` --scenario FILE` a command needs to find the
 * scenario of the tokens (a scenario file; '' for a built-in): with it, the command that prints the
 * shrunk run's trace is printed in full, ready to paste.
 */
export function failureText(f: FoundFailure, n: number, scenarioArg = ''): string[] {
  const out = [
    `  ${n}. ${f.kind}: ${f.id}${f.actor === null ? '' : ` on ${f.actor}`} (first at schedule ${f.schedule}, ${f.arm}; ${f.count} schedule${f.count === 1 ? '' : 's'})`,
    `     ${f.message}`,
    `     token   ${f.token}`,
  ];
  if (f.shrunk !== null) {
    out.push(
      `     shrunk  ${f.shrunk.token}`,
      `             ${f.steps} → ${f.shrunk.steps} steps, ${f.shrunk.preemptions} preemption${f.shrunk.preemptions === 1 ? '' : 's'}, ${f.shrunk.faults} fault${f.shrunk.faults === 1 ? '' : 's'} (${(f.shrunk.ms / 1000).toFixed(1)} s${f.shrunk.timedOut ? ', budget ran out' : ''}); ${scenarioArg === '' ? "'ttm-sim shrink TOKEN' prints its trace" : 'the command below prints its trace'}`,
    );
  }
  if (scenarioArg !== '') {
    out.push(
      `     ${f.shrunk === null ? 'shrink ' : 'trace  '} ttm-sim shrink ${f.shrunk?.token ?? f.token}${scenarioArg}`,
    );
  }
  return out;
}

/** What one run of the slices measured: not part of the campaign's report body. */
export interface RunInfo {
  readonly stopped: StopReason;
  /** Schedules run now (all slices), and how many the slices had run before (resumed). */
  readonly ranNow: number;
  readonly resumed: number;
  readonly elapsedMs: number;
  /** Worker threads; 0 for the main thread. */
  readonly threads: number;
}

function shardList(m: MergedCampaign): string {
  return m.parts.map((p) => p.shard).join(',');
}

function stoppedText(m: MergedCampaign): string {
  if (m.complete) return 'all schedules run';
  if (m.schedules === null) return 'no schedule count (a time budget only): each shard ran until its budget';
  const short = m.parts.filter((p) => p.share !== null && p.ran < p.share);
  const parts = [`${m.state.next} of ${m.schedules} schedules run`];
  if (short.length > 0) {
    parts.push(
      `${short.map((p) => `shard ${p.shard} ran ${p.ran} of its ${p.share}`).join(', ')} (run ${short.length === 1 ? 'it' : 'them'} again to resume)`,
    );
  }
  if (m.missing.length > 0)
    parts.push(`shard${m.missing.length === 1 ? '' : 's'} ${m.missing.join(',')} missing`);
  return parts.join('; ');
}

/**
 * The lines every campaign report has after its header: calibration, arms, coverage, faults, goals,
 * then the failures or, for a green campaign, the PCT miss bounds. `corpora` names where the tapes are.
 */
export function stateLines(s: CampaignState, maxSteps: number, corpora: string, scenarioArg = ''): string[] {
  const lines = [
    `  calibrated  k = ${s.calibration.k} choices, n = ${s.calibration.n} actors, ${s.calibration.steps} steps, ${s.calibration.faultSites} fault sites per run; step budget ${maxSteps}`,
    `  arms        ${Object.entries(s.armRuns)
      .map(([a, n]) => `${a} ${n}${s.armFailures[a] ? ` (${s.armFailures[a]} failed)` : ''}`)
      .join(' · ')}`,
    `  coverage    ${s.coverage.triples.size} (machine, state, event) triples, ${s.coverage.pairs.size} cross-actor transition pairs; ${s.corpus.length} tapes in ${corpora}`,
    `  faults      ${s.faultRuns} schedules with an injected fault, ${s.lateFaultRuns} with one in the last 5 % of their steps`,
    faultSitesLine(s),
  ];
  const reached = s.goals.filter((g) => g.reached > 0);
  const missed = s.goals.filter((g) => g.reached === 0);
  lines.push(
    `  sometimes   ${reached.length} of ${s.goals.length} goals reached${missed.length === 0 ? '' : `; never reached: ${missed.map((g) => `${g.id} (${g.description})`).join('; ')}`}`,
  );
  if (s.failures.length === 0) {
    lines.push('  failures    none');
    for (const b of pctMissBounds(s)) {
      lines.push(
        `  confidence  d=${b.d}: P(a depth-${b.d} bug was missed) ≤ ${b.miss < 1e-4 ? b.miss.toExponential(1) : b.miss.toFixed(4)} after ${b.schedules} pct:${b.d} schedules (n=${b.n}, k=${b.k}: p ≥ 1/(n·k^${b.d - 1}) per schedule)`,
      );
    }
  } else {
    lines.push(`  failures    ${s.failures.length} distinct:`);
    s.failures.forEach((f, i) => {
      lines.push(...failureText(f, i + 1, scenarioArg));
    });
  }
  lines.push(...knownBugLines(s.knownBugs.map((failure) => ({ failure }))));
  return lines;
}

/** `text` in lines of at most 108 columns: the first after `first`, the others after `rest`. */
function wrapWords(text: string, first: string, rest: string): string[] {
  const out: string[] = [];
  let line = first;
  for (const word of text.split(' ')) {
    const lead = line === first || line === rest;
    if (!lead && line.length + 1 + word.length > 108) {
      out.push(line);
      line = rest + word;
    } else line = lead ? line + word : `${line} ${word}`;
  }
  out.push(line);
  return out;
}

/** A known bug a campaign met, with the scenario it met it in when the report covers several. */
export interface KnownBugRun {
  readonly scenario?: string;
  readonly failure: FoundFailure;
}

/**
 * The known kernel bugs a campaign reproduced (src/explore/known_findings.ts): the failures whose
 * candidate fix, replayed on the same schedule, passes. Reported apart, not counted as failures: one
 * block per bug (what goes wrong, where upstream has it), then where it was met, with a token each.
 */
export function knownBugLines(runs: readonly KnownBugRun[]): string[] {
  if (runs.length === 0) return [];
  const ids = [...new Set(runs.map((r) => r.failure.finding ?? r.failure.id))];
  const n = ids.length;
  const lines = [
    `  known bugs  ${n} kernel bug${n === 1 ? '' : 's'} the model keeps as upstream has ${n === 1 ? 'it' : 'them'} (not failures: each run passes with the fix)`,
  ];
  for (const id of ids) {
    const k = knownFinding(id);
    const mine = runs.filter((r) => (r.failure.finding ?? r.failure.id) === id);
    const f0 = mine[0]!.failure;
    lines.push(...wrapWords(`${f0.id}: ${k?.summary ?? f0.message}`, '    ', '      '));
    if (k !== undefined) lines.push(`      ${k.upstream.file} ${k.upstream.function}; README "${k.readme}"`);
    for (const { scenario, failure: f } of mine) {
      const where = scenario === undefined ? '' : `${scenario}, `;
      lines.push(
        `      ${where}first at schedule ${f.schedule}, in ${f.count} schedule${f.count === 1 ? '' : 's'}: ${f.token}`,
      );
    }
  }
  return lines;
}

/**
 * Which fault sites fired in the campaign, and which never did: those its schedules evaluated without
 * drawing them, and those no schedule evaluated (not on this scenario's paths: they cannot fire here).
 */
export function faultSitesLine(s: CampaignState): string {
  const never = sitesNeverFired(s.faultSitesEvaluated, s.faultSitesFired);
  const fired = FAULT_SITES.length - never.evaluated.length - never.unreached.length;
  const parts = [`  fault sites ${fired} of ${FAULT_SITES.length} fired`];
  if (never.evaluated.length > 0) parts.push(`never fired though evaluated: ${never.evaluated.join(', ')}`);
  if (never.unreached.length > 0) parts.push(`never evaluated: ${never.unreached.join(', ')}`);
  return parts.join('; ');
}

/** The fault-site member of a campaign's JSON report. */
export function faultSitesJson(s: CampaignState): Record<string, unknown> {
  const never = sitesNeverFired(s.faultSitesEvaluated, s.faultSitesFired);
  return {
    evaluated: canonicalSiteCounts(s.faultSitesEvaluated),
    fired: canonicalSiteCounts(s.faultSitesFired),
    neverFired: [...never.evaluated, ...never.unreached],
    neverEvaluated: never.unreached,
  };
}

/**
 * The report body: a pure function of the merged slices (and of `scenarioArg`, as failureText). Merged
 * from corpus directories, a campaign of a scenario file does not know the file's path: its commands
 * say `--scenario FILE` for the user to fill in.
 */
export function mergedText(m: MergedCampaign, scenarioArg = ''): string {
  const s = m.state;
  const id = m.identity;
  const fromFile = !SCENARIOS.some((b) => scenarioHash(b.config) === id.scenarioHash);
  const suffix = scenarioArg !== '' || !fromFile ? scenarioArg : ' --scenario FILE';
  const lines = [
    `ttm-sim fuzz ${id.scenario}: ${s.next} schedules in shard${m.parts.length === 1 ? '' : 's'} ${shardList(m)} of ${m.shards}, ${id.strategy}, faults ${id.faults}, base seed ${id.baseSeed}`,
    `  shards      ${m.parts.map((p) => `${p.shard}: ${p.ran}${p.share === null ? '' : ` of ${p.share}`}`).join(' · ')} schedules${m.missing.length === 0 ? '' : `; missing ${m.missing.join(',')}`}`,
    `  stopped     ${stoppedText(m)}`,
  ];
  if (id.mutations.length > 0) lines.push(`  mutations   ${id.mutations.join(', ')}`);
  if ((id.designs ?? []).length > 0) lines.push(`  designs     ${(id.designs ?? []).join(', ')}`);
  lines.push(...stateLines(s, m.maxSteps, "the shards' corpora", suffix));
  return lines.join('\n');
}

/** The trailing line of a run: what it measured and why it stopped. */
export function runLine(r: RunInfo, corpus: boolean): string {
  const secs = r.elapsedMs / 1000;
  const rate = secs > 0 ? r.ranNow / secs : 0;
  const where =
    r.threads === 0 ? 'on the main thread' : `on ${r.threads} worker thread${r.threads === 1 ? '' : 's'}`;
  const stop = {
    done: '',
    'time-budget': '; time budget reached',
    failures: '; failure limit reached',
    interrupted: `; interrupted${corpus ? ' (run the same command to resume)' : ''}`,
  }[r.stopped];
  return `  run         ${r.ranNow} schedules${r.resumed > 0 ? ` (resumed after ${r.resumed})` : ''} in ${secs.toFixed(1)} s (${fmtRate(rate)} schedules/s) ${where}${stop}`;
}

/** The report body as JSON: a pure function of the merged slices. */
export function mergedJson(m: MergedCampaign): Record<string, unknown> {
  const s = m.state;
  return {
    scenario: m.identity.scenario,
    identity: m.identity,
    shards: { count: m.shards, present: m.parts, missing: m.missing },
    complete: m.complete,
    schedules: s.next,
    schedulesTarget: m.schedules,
    ...stateJson(s, m.maxSteps),
  };
}

/** What a campaign's state says, as JSON (the members every campaign report has after its header). */
export function stateJson(s: CampaignState, maxSteps: number): Record<string, unknown> {
  return {
    steps: s.steps,
    maxSteps,
    calibration: s.calibration,
    arms: s.armRuns,
    armFailures: s.armFailures,
    coverage: { triples: s.coverage.triples.size, pairs: s.coverage.pairs.size, corpus: s.corpus.length },
    faults: { schedules: s.faultRuns, late: s.lateFaultRuns },
    faultSites: faultSitesJson(s),
    sometimes: s.goals,
    failures: s.failures,
    knownBugs: s.knownBugs,
    pctMissBound: s.failures.length === 0 ? pctMissBounds(s) : null,
  };
}

export function runJson(r: RunInfo): Record<string, unknown> {
  return {
    stopped: r.stopped,
    ranNow: r.ranNow,
    resumed: r.resumed,
    elapsedMs: r.elapsedMs,
    schedulesPerSecond: r.elapsedMs > 0 ? (r.ranNow * 1000) / r.elapsedMs : 0,
    threads: r.threads,
  };
}

/** As fuzz: the kind of the first failure (smallest schedule index), else 130 when interrupted, else 0. */
export function mergedExitCode(m: MergedCampaign, interrupted: boolean): number {
  const first = m.state.failures[0];
  if (first !== undefined) return EXIT_CODE[first.kind];
  return interrupted ? 130 : EXIT_CODE.pass;
}
