// Scenario files: a scenario described in JSON instead of code. The parts live in src/sim/scenario_file/:
// json.ts reads the text with positions (jsonc-parser), fields.ts checks values against field specs,
// tables.ts is the table of the fields each configurable scenario takes, build.ts turns a checked file
// into a Scenario, work.ts estimates how much work a run of it is, load.ts reads a file or resolves a
// `--scenario` argument, schema.ts generates the JSON Schema. This module is the import path the
// commands use.

export {
  type LoadOptions,
  loadScenarioFile,
  parseWorkLimit,
  resolveScenario,
  type ScenarioResult,
  scenarioFromText,
  WORK_LIMIT_ENV,
} from './scenario_file/load.ts';
export { DEFAULT_WORK_LIMIT, estimateWork } from './scenario_file/work.ts';
