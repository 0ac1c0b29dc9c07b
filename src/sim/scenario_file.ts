// Scenario files: a scenario described in JSON instead of code. The parts live in src/sim/scenario_file/:
// json.ts reads the text with positions (jsonc-parser), fields.ts checks values against field specs,
// tables.ts is the table of the fields each configurable scenario takes, build.ts turns a checked file
// into a Scenario, load.ts reads a file or resolves a `--scenario` argument. This module is the import
// path the commands use.

export {
  loadScenarioFile,
  resolveScenario,
  type ScenarioResult,
  scenarioFromText,
} from './scenario_file/load.ts';
