// Scenario files: reading one. A file is either
//   { "scenario": "vram-pressure" | "memory-pressure", ...overrides }
// with any of the fields of that built-in's config (the rest keep their defaults), or
//   { "scenario": "race", "devices": [...], "bos": [...], "tasks": [...] }
// for the composable racing-task scenario (src/sim/scenarios/race.ts); either may name its JSON Schema
// in "$schema". The file is checked completely before anything runs: every unknown field, wrong type,
// missing field and out-of-range number is reported, each with the file position of the offending value
// (`file.json:LINE:COL`), the field's path (`bos[2].kib`), the problem and the fix. The scenario a file
// gives has the complete normalised config (all defaults filled in), so a token's scenario hash names
// exactly what ran; a file that amounts to a built-in scenario gives that built-in. A file whose
// estimated work (work.ts) is above the limit is refused with the estimate, the limit and how to raise
// it: `--work-limit N` on the command line, which sets TTM_SIM_WORK_LIMIT for this process and the
// worker threads it starts.

import { readFileSync, realpathSync, statSync } from 'node:fs';
import { scenarioHash } from '../../engine/token.ts';
import { kernelTreeOf } from '../kernel_paths.ts';
import type { Scenario } from '../scenario.ts';
import { findScenario, SCENARIOS } from '../scenarios/index.ts';
import { type Built, checkFile } from './build.ts';
import { Checker } from './fields.ts';
import { parseJson } from './json.ts';
import { DEFAULT_WORK_LIMIT, estimateWork } from './work.ts';

/** The variable that raises the work limit (`--work-limit N` sets it). */
export const WORK_LIMIT_ENV = 'TTM_SIM_WORK_LIMIT';

export interface LoadOptions {
  /** Page operations per run above which a file is refused (default: TTM_SIM_WORK_LIMIT, else DEFAULT_WORK_LIMIT). */
  readonly workLimit?: number;
}

/** A work limit as the user writes it: a positive integer; null when it is not one. */
export function parseWorkLimit(text: string): number | null {
  return /^[1-9][0-9]{0,14}$/.test(text) ? Number(text) : null;
}

function workLimit(opts: LoadOptions): number | string {
  if (opts.workLimit !== undefined) return opts.workLimit;
  const env = process.env[WORK_LIMIT_ENV];
  if (env === undefined || env === '') return DEFAULT_WORK_LIMIT;
  return (
    parseWorkLimit(env) ??
    `${WORK_LIMIT_ENV} must be a positive integer (page operations per run), got "${env}"`
  );
}

const group = (n: number) => Math.round(n).toLocaleString('en-US');

export type ScenarioResult = { ok: true; scenario: Scenario } | { ok: false; reason: string };

/** The built-in scenario with the same config, if any (so a token names one run, whichever way it came). */
function builtinTwin(s: Scenario): Scenario {
  const h = scenarioHash(s.config);
  return SCENARIOS.find((b) => scenarioHash(b.config) === h) ?? s;
}

/** Check a scenario file's text; `path` names it in messages. Never throws. */
export function scenarioFromText(path: string, text: string, opts: LoadOptions = {}): ScenarioResult {
  const parsed = parseJson(text);
  if (!parsed.ok) {
    const { pos, problem, fix } = parsed.error;
    return { ok: false, reason: `${path}:${pos.line}:${pos.col}: invalid JSON: ${problem}; ${fix}` };
  }
  const ck = new Checker();
  let built: Built;
  try {
    built = checkFile(ck, parsed.root);
  } catch (err) {
    return {
      ok: false,
      reason: `${path}: cannot build the scenario: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  if (ck.issues.length > 0 || built === null) {
    const issues = [...ck.issues].sort((a, b) => a.pos.offset - b.pos.offset);
    return {
      ok: false,
      reason: issues
        .map((i) => `${path}:${i.pos.line}:${i.pos.col}: ${i.path}: ${i.problem}; ${i.fix}`)
        .join('\n'),
    };
  }
  const scenario = builtinTwin(built.scenario);
  if (SCENARIOS.includes(scenario)) return { ok: true, scenario };
  const limit = workLimit(opts);
  if (typeof limit === 'string') return { ok: false, reason: limit };
  const work = estimateWork(scenario.config as Record<string, unknown>);
  if (work.ops > limit) {
    const heaviest = work.parts[0]?.what ?? '';
    return {
      ok: false,
      reason: `${path}: the scenario's estimated work is ${group(work.ops)} page operations per run, above the limit of ${group(limit)}; make it smaller (most of it: ${heaviest}), or raise the limit with --work-limit ${Math.ceil(work.ops)}`,
    };
  }
  return { ok: true, scenario };
}

/** Load a scenario from a JSON file. Never throws: every problem is in `reason`, one line each. */
/**
 * Why `path` is not a file to read a scenario from, or null: a FIFO would block the read until some
 * writer came, a device or a socket is no file, and what lives under /proc, /sys and /dev is the
 * kernel's interface, not a user's file (a file there may read forever).
 */
function notAFile(path: string): string | null {
  const st = statSync(path, { throwIfNoEntry: false });
  if (st === undefined || st.isDirectory()) return null; // reported by the read, as before
  if (st.isFIFO()) return 'it is a FIFO (named pipe): reading it would wait for a writer';
  if (!st.isFile()) return 'it is not a regular file';
  const tree = kernelTreeOf(realpathSync(path));
  return tree === null ? null : `it is under ${tree}, a kernel interface, not a scenario file`;
}

export function loadScenarioFile(path: string, opts: LoadOptions = {}): ScenarioResult {
  let text: string;
  try {
    const why = notAFile(path);
    if (why !== null)
      return { ok: false, reason: `cannot read scenario file ${path}: ${why}; give a regular .json file` };
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : err instanceof Error
            ? err.message
            : String(err);
    return { ok: false, reason: `cannot read scenario file ${path}: ${why}` };
  }
  return scenarioFromText(path, text, opts);
}

/** A built-in scenario by name, or a scenario file (a path ending in .json). Never throws. */
export function resolveScenario(arg: string, opts: LoadOptions = {}): ScenarioResult {
  if (arg.toLowerCase().endsWith('.json')) return loadScenarioFile(arg, opts);
  const s = findScenario(arg);
  if (s !== undefined) return { ok: true, scenario: s };
  return {
    ok: false,
    reason: `unknown scenario "${arg}"; the built-in ones are: ${SCENARIOS.map((x) => x.name).join(', ')}; a scenario file is a path ending in .json`,
  };
}
