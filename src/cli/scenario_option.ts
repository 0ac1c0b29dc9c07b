// `--scenario FILE` on the commands that take a token (replay, selfcheck, shrink, trace, view): a token
// names its scenario by the hash of the scenario's complete configuration (src/engine/token.ts), so a
// token made from a scenario file names that file's configuration. Such a token runs again when the
// file is given: its configuration hash must be the token's, otherwise the file is refused, naming both
// hashes (the file was edited since, or it is another file). And the commands a campaign of a scenario
// file prints carry `--scenario FILE`, so they work as printed. `--work-limit N`, taken by every
// command, raises the limit on a scenario file's estimated work (src/sim/scenario_file/work.ts).

import { decodeToken, describeHash, scenarioHash } from '../engine/token.ts';
import type { Scenario } from '../sim/scenario.ts';
import { parseWorkLimit, WORK_LIMIT_ENV } from '../sim/scenario_file.ts';
import { SCENARIOS } from '../sim/scenarios/index.ts';
import { stressVariants } from '../sim/scenarios/stress.ts';
import { type DecodedRun, decode, scenarioByName } from './common.ts';
import { fail } from './errors.ts';

/** The parseArgs entry of `--scenario` on a command that takes a token. */
export const SCENARIO_OPTION = { scenario: { type: 'string' } } as const;

/** Its line in a command's help. */
export const SCENARIO_HELP =
  "  --scenario FILE   the scenario file the token was made from (a token of 'run' or 'fuzz' with\n" +
  "                    --scenario FILE); the file's configuration hash must be the token's";

/** Is `s` a scenario of this build (a built-in or a stress variant), as opposed to one from a file? */
function builtIn(hash: string): boolean {
  return [...SCENARIOS, ...stressVariants()].some((s) => scenarioHash(s.config) === hash);
}

/**
 * A token decoded into a run, its scenario found among the built-ins or, with `--scenario FILE`, in
 * that file. Bad input (a bad token, a file that does not load, a file of another configuration) is a
 * usage error.
 */
export function decodeWith(
  token: string | undefined,
  command: string,
  scenarioArg: string | undefined,
): DecodedRun {
  if (token === undefined || scenarioArg === undefined) {
    if (token !== undefined) {
      const d = decodeToken(token);
      if (d.ok && !builtIn(d.token.scenarioHash)) {
        fail(
          `the token is for scenario ${describeHash(d.token.scenarioHash)}, which is none of this build's built-in scenarios: a token of a scenario file runs with the file, 'ttm-sim ${command} TOKEN --scenario FILE' (or the token was made by a build with another scenario set; 'ttm-sim scenarios' shows the hashes here)`,
        );
      }
    }
    return decode(token, command);
  }
  const scenario = scenarioByName(scenarioArg);
  const d = decodeToken(token);
  if (d.ok) {
    const want = d.token.scenarioHash;
    const have = scenarioHash(scenario.config);
    const fromFile = scenarioArg.toLowerCase().endsWith('.json');
    if (want !== have) {
      fail(
        `--scenario ${scenarioArg}: the token is for scenario ${describeHash(want)}, but ${fromFile ? "the file's" : "that scenario's"} configuration hash is ${describeHash(have)}; give the ${fromFile ? 'file' : 'scenario'} the token was made from${fromFile ? ', as it was then (a changed setting is another scenario)' : " ('ttm-sim scenarios' shows the hashes)"}`,
      );
    }
  }
  return decode(token, command, [scenario]);
}

/** A path as a shell word: bare when it has nothing a shell reads, else in single quotes. */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * What a printed command needs to find the scenario again: ` --scenario FILE` for a scenario loaded
 * from a file (its tokens name a configuration no built-in has), nothing for a built-in.
 */
export function scenarioSuffix(scenario: Scenario, scenarioArg: string | undefined): string {
  if (scenarioArg === undefined || SCENARIOS.includes(scenario)) return '';
  return ` --scenario ${shellWord(scenarioArg)}`;
}

/**
 * `--work-limit N` (or `--work-limit=N`) taken out of a command's arguments: the limit on a scenario
 * file's estimated page operations per run. It is set as TTM_SIM_WORK_LIMIT, which the scenario files
 * of this process and of the worker threads it starts are checked against; the other arguments are
 * returned.
 */
export function workLimitArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      out.push(...args.slice(i));
      break;
    }
    if (a !== '--work-limit' && !a.startsWith('--work-limit=')) {
      out.push(a);
      continue;
    }
    const text = a === '--work-limit' ? args[++i] : a.slice('--work-limit='.length);
    const limit = text === undefined ? null : parseWorkLimit(text);
    if (limit === null) {
      fail(
        `--work-limit must be a positive integer (page operations per run a scenario file may take), got ${text === undefined ? 'nothing' : `"${text}"`}`,
      );
    }
    process.env[WORK_LIMIT_ENV] = String(limit);
  }
  return out;
}
