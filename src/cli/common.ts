// Pieces the ttm-sim commands share: parsing seeds, strategies and mutations, finding scenarios,
// decoding tokens into runs, writing files atomically.

import { dirname, resolve } from 'node:path';
import { notApplicable, parseDesigns } from '../designs/index.ts';
import {
  formatStrategy,
  parseStrategy,
  type StrategyName,
  type StrategyParams,
  type StrategySpec,
} from '../engine/strategy.ts';
import { decodeToken, describeHash, scenarioHash } from '../engine/token.ts';
import { writeDurably } from '../explore/durable_write.ts';
import { mutationsOutOfScope } from '../explore/mutation_scope.ts';
import { parseMutation } from '../explore/mutations.ts';
import { type RunOptions, type RunResult, runScenario } from '../explore/run.ts';
import type { Scenario } from '../sim/scenario.ts';
import { resolveScenario } from '../sim/scenario_file.ts';
import { SCENARIOS } from '../sim/scenarios/index.ts';
import { stressVariants } from '../sim/scenarios/stress.ts';
import { fail, systemErrorMessage } from './errors.ts';
import { checkOutputDirs, checkOutputFile } from './paths.ts';

export function parseSeed(text: string): bigint {
  const ok = /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(text);
  const value = ok ? BigInt(text) : -1n;
  if (!ok || value < 0n || value >= 1n << 64n) {
    fail(`--seed must be an unsigned 64-bit integer (decimal or 0x-hex, 0 to 2^64-1), got "${text}"`);
  }
  return value;
}

/**
 * `--seed -1` as `--seed=-1`: node's parseArgs takes a value that starts with a dash for an option of
 * its own and calls the pair ambiguous, so a negative number would get a message about dashes instead
 * of the one every other bad number gets. A negative number after `--name` is joined to it here; the
 * option's own check then refuses it (or parseArgs does, for an option that takes no value).
 */
export function joinNegativeNumbers(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    if (/^--[a-z][a-z0-9-]*$/.test(a) && next !== undefined && /^-(\.?[0-9]|0x|inf)/i.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

export function strategyOption(text: string): StrategySpec {
  const r = parseStrategy(text);
  if (!r.ok) fail(`--strategy ${r.reason}`);
  return r.spec;
}

/** Run options naming a strategy and, when it has any, its parameters. */
export function strategyOptions(s: StrategySpec): {
  strategy: StrategyName;
  strategyParams?: StrategyParams;
} {
  return s.params === undefined ? { strategy: s.name } : { strategy: s.name, strategyParams: s.params };
}

/** The command-line form of a strategy, K spelled out: 'random', 'pct:2:1000'. */
export function label(s: StrategySpec): string {
  return formatStrategy(s.name, s.params);
}

export function scenarioByName(name: string): Scenario {
  // A built-in name, or a scenario file (*.json) validated with positions (src/sim/scenario_file.ts).
  const r = resolveScenario(name);
  if (!r.ok) fail(r.reason);
  return r.scenario;
}

/**
 * Write a file the user named (`option` says which: '--trace') via a temporary file, fsync and a
 * rename, so a file that exists is complete and on the disk (src/explore/durable_write.ts). The path
 * is checked first (src/cli/paths.ts); commands also check it before their work starts.
 */
export function writeAtomically(file: string, text: string, option = 'output', makeDir = false): void {
  // A subdirectory the command lays out itself (corpus merge --out's DIR/NAME/) is created first.
  if (makeDir) checkOutputDirs(option, dirname(resolve(file)));
  const path = checkOutputFile(option, file);
  const r = writeDurably(path, text);
  if (!r.ok) {
    fail(`${option} ${file}: ${systemErrorMessage({ ...r, message: `${r.code}: ${r.text}, x` })}`);
  }
}

/** parseArgs with its errors turned into one-line usage errors. */
export function guarded<R>(command: string, parse: () => R): R {
  try {
    return parse();
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    fail(`${command}: ${msg}; see 'ttm-sim ${command} --help'`);
  }
}

export interface DecodedRun {
  readonly scenario: Scenario;
  readonly seed: bigint;
  readonly strategy: StrategySpec;
  readonly tape: readonly number[] | undefined;
  readonly mutations: readonly string[];
  readonly faults: readonly number[];
  /** Tasks and timed signals the token's run leaves out (shrunk runs). */
  readonly omit: readonly string[];
  readonly designs: readonly string[];
}

/** A scenario by the hash a token names: a built-in one, or one of the scenario files given. */
export function decode(
  token: string | undefined,
  command: string,
  extra: readonly Scenario[] = [],
): DecodedRun {
  if (token === undefined)
    fail(`${command}: missing TOKEN; usage: ttm-sim ${command} TOKEN (a token is printed by 'ttm-sim run')`);
  const d = decodeToken(token);
  if (!d.ok) fail(`bad token: ${d.reason}`);
  // Stress tokens may name any thread count 'ttm-sim stress --threads' runs, not only the listed ones.
  const scenario = [...SCENARIOS, ...extra, ...stressVariants()].find(
    (s) => scenarioHash(s.config) === d.token.scenarioHash,
  );
  if (scenario === undefined) {
    fail(
      `the token is for scenario ${describeHash(d.token.scenarioHash)}, which this build does not have (it was made by a build with another scenario set or configuration, or from a scenario file: give the file with --scenario FILE); run 'ttm-sim scenarios' to see the hashes here`,
    );
  }
  for (const m of d.token.mutations ?? []) {
    const p = parseMutation(m);
    if (!p.ok) fail(`the token switches on mutation '${m}', which this build does not have`);
  }
  const designs = parseDesigns(d.token.designs ?? []);
  if (!designs.ok) fail(`the token switches on a design this build does not have: ${designs.reason}`);
  const { strategy, strategyParams } = d.token;
  const spec = strategyParams === undefined ? { name: strategy } : { name: strategy, params: strategyParams };
  return {
    scenario,
    seed: d.token.seed,
    strategy: spec,
    tape: d.token.tape,
    mutations: d.token.mutations ?? [],
    faults: d.token.faults ?? [],
    omit: d.token.omit ?? [],
    designs: designs.specs,
  };
}

/** How to run what a token describes: its seed, strategy, tape, mutations, designs, faults and omissions. */
export function decodedRunOptions(d: DecodedRun): RunOptions {
  return {
    seed: d.seed,
    ...strategyOptions(d.strategy),
    ...(d.tape === undefined ? {} : { tape: d.tape }),
    mutations: d.mutations,
    designs: d.designs,
    ...(d.faults.length === 0 ? {} : { faults: { kind: 'planned', at: d.faults } }),
    ...(d.omit.length === 0 ? {} : { omit: d.omit }),
  };
}

export function runDecoded(
  d: DecodedRun,
  keepTrace: boolean,
  extra: Pick<RunOptions, 'onStep'> = {},
): RunResult {
  return runScenario(d.scenario, { ...decodedRunOptions(d), keepTrace, ...extra });
}

/**
 * `--design` values, checked against the registry and the scenario: canonical specs, sorted and
 * distinct. An unknown design, a bad parameter or a design the scenario has no place for is bad input.
 */
export function designOptions(values: readonly string[] | undefined, scenario: Scenario): string[] {
  const r = parseDesigns((values ?? []).flatMap((v) => v.split(',')).filter((v) => v !== ''));
  if (!r.ok) fail(`--design: ${r.reason}`);
  for (const spec of r.specs) {
    const why = notApplicable(spec, scenario);
    if (why !== null) fail(`--design: ${why}`);
  }
  return r.specs;
}

/**
 * `--mutation` values, checked against the catalogue; canonical specs, sorted and distinct. Given the
 * scenarios the command runs, a mutation that acts in none of them is refused as well, naming the
 * scenarios where it acts (src/explore/mutation_scope.ts).
 */
export function mutationOptions(
  values: readonly string[] | undefined,
  scenarios?: readonly Scenario[],
): string[] {
  const out = new Set<string>();
  for (const v of values ?? []) {
    const p = parseMutation(v);
    if (!p.ok) fail(`--mutation: ${p.reason}`);
    out.add(p.spec);
  }
  const specs = [...out].sort();
  if (scenarios !== undefined && scenarios.length > 0) {
    const why = mutationsOutOfScope(specs, scenarios);
    if (why !== null) fail(`--mutation: ${why}; pick one of those with --scenario, or another mutation`);
  }
  return specs;
}
