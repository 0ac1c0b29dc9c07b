// Scenario files: reading one. A file is either
//   { "scenario": "vram-pressure" | "memory-pressure", ...overrides }
// with any of the fields of that built-in's config (the rest keep their defaults), or
//   { "scenario": "race", "devices": [...], "bos": [...], "tasks": [...] }
// for the composable racing-task scenario (src/sim/scenarios/race.ts); either may name its JSON Schema
// in "$schema". The file is checked completely before anything runs: every unknown field, wrong type,
// missing field and out-of-range number is reported, each with the file position of the offending value
// (`file.json:LINE:COL`), the field's path (`bos[2].kib`), the problem and the fix. The scenario a file
// gives has the complete normalised config (all defaults filled in), so a token's scenario hash names
// exactly what ran; a file that amounts to a built-in scenario gives that built-in.

import { readFileSync } from 'node:fs';
import { scenarioHash } from '../../engine/token.ts';
import type { Scenario } from '../scenario.ts';
import { findScenario, SCENARIOS } from '../scenarios/index.ts';
import { type Built, checkFile } from './build.ts';
import { Checker } from './fields.ts';
import { parseJson } from './json.ts';

export type ScenarioResult = { ok: true; scenario: Scenario } | { ok: false; reason: string };

/** The built-in scenario with the same config, if any (so a token names one run, whichever way it came). */
function builtinTwin(s: Scenario): Scenario {
  const h = scenarioHash(s.config);
  return SCENARIOS.find((b) => scenarioHash(b.config) === h) ?? s;
}

/** Check a scenario file's text; `path` names it in messages. Never throws. */
export function scenarioFromText(path: string, text: string): ScenarioResult {
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
  return { ok: true, scenario: builtinTwin(built.scenario) };
}

/** Load a scenario from a JSON file. Never throws: every problem is in `reason`, one line each. */
export function loadScenarioFile(path: string): ScenarioResult {
  let text: string;
  try {
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
  return scenarioFromText(path, text);
}

/** A built-in scenario by name, or a scenario file (a path ending in .json). Never throws. */
export function resolveScenario(arg: string): ScenarioResult {
  if (arg.toLowerCase().endsWith('.json')) return loadScenarioFile(arg);
  const s = findScenario(arg);
  if (s !== undefined) return { ok: true, scenario: s };
  return {
    ok: false,
    reason: `unknown scenario "${arg}"; the built-in ones are: ${SCENARIOS.map((x) => x.name).join(', ')}; a scenario file is a path ending in .json`,
  };
}
