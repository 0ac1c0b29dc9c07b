// The ttm-sim command: run, replay, selfcheck and list the built-in scenarios.
// Exit codes: 0 pass, 1 correctness violation, 2 bad input, 3 liveness failure, 4 simulator crash.

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PCT_K_DEFAULT } from '../engine/strategy.ts';
import { firstDivergence, type TraceLine } from '../engine/trace.ts';
import { EXIT_CODE } from '../engine/types.ts';
import { type RunResult, runScenario } from '../explore/run.ts';
import { DEFAULT_SCENARIO } from '../sim/scenarios/index.ts';
import { CHART_EXTENSION, CHART_FORMATS, CHARTS, exportChart } from '../viz/charts.ts';
import { toPerfetto, workerTracks } from '../viz/perfetto.ts';
import { StateRecorder } from '../viz/run_states.ts';
import { renderViewer } from '../viz/viewer.ts';
import {
  designOptions,
  guarded,
  joinNegativeNumbers,
  label,
  mutationOptions,
  parseSeed,
  runDecoded,
  scenarioByName,
  strategyOption,
  strategyOptions,
  writeAtomically,
} from './common.ts';
import { COMPARE_HELP, cmdCompare, cmdDesigns, DESIGNS_HELP } from './compare.ts';
import { fail, systemErrorMessage, UsageError } from './errors.ts';
import {
  cmdFuzz,
  cmdMutations,
  cmdShrink,
  FUZZ_HELP,
  faultOption,
  MUTATIONS_HELP,
  runFaults,
  SHRINK_HELP,
} from './explore.ts';
import { cmdFaults, FAULTS_HELP } from './faults.ts';
import { jsonResult, summary } from './format.ts';
import { cmdInevitable, INEVITABLE_HELP, viewMarks } from './inevitable.ts';
import { cmdOracles, ORACLES_HELP } from './oracles.ts';
import { checkOutputDir, checkOutputFile } from './paths.ts';
import { decodeWith, SCENARIO_HELP, SCENARIO_OPTION, workLimitArgs } from './scenario_option.ts';
import { cmdScenarios, SCENARIOS_HELP } from './scenarios.ts';
import { CORPUS_HELP, cmdCorpus } from './shards.ts';
import { cmdStress, STRESS_HELP } from './stress.ts';
import { cmdVerify, VERIFY_HELP } from './verify.ts';
import { VERSION } from './version.ts';

const HELP: Record<string, string> = {
  main: `ttm-sim ${VERSION}: a deterministic, seed-reproducible simulator of Linux TTM

Usage: ttm-sim <command> [options]

Commands:
  fuzz       the default suite, or a campaign of one      ttm-sim fuzz, ttm-sim fuzz --scenario vram-pressure
  corpus     merge the shards of a campaign run apart     ttm-sim corpus merge shard-0/ shard-1/
  compare    one workload under each design, side by side ttm-sim compare --scenario shared-iommu --designs kernel,shared-iommu
  designs    list the seed proposals that can be switched on ttm-sim designs
  run        run a built-in scenario with a seed          ttm-sim run --scenario vram-pressure --seed 1
  replay     re-run a token byte for byte                 ttm-sim replay <token>
  selfcheck  run a token twice, name the first divergence ttm-sim selfcheck <token>
  shrink     minimise a failing token                     ttm-sim shrink <token>
  inevitable the step where a failure became certain     ttm-sim inevitable <token>
  verify     every schedule up to P preemptions: a proof  ttm-sim verify --scenario calibrate --preemptions 1
  stress     real threads racing, failures replayed      ttm-sim stress --scenario stress-pte
  mutations  list the historical bugs that can be put back ttm-sim mutations
  scenarios  list the built-in scenarios                  ttm-sim scenarios
  oracles    list every check and its upstream rule       ttm-sim oracles --count
  faults     list the fault sites: what fails, errno, where ttm-sim faults --scenarios
  charts     export the statecharts (Mermaid, SCXML, JSON)  ttm-sim charts --out charts/
  trace      write a run as a Perfetto / Chrome trace       ttm-sim trace <token> --perfetto run.json
  view       write an offline HTML viewer of a run          ttm-sim view <token> --out run.html

Every run prints a token: one line holding the format version, seed, strategy (with its parameters),
scenario hash, and the mutations, injected faults and explicit schedule when there are any.
The same token always gives the same trace (same SHA-256), on any machine.

--scenario also takes a scenario file (a path ending in .json; see the README's "Scenario files"). A
token made from one runs again with the file: 'ttm-sim replay TOKEN --scenario FILE'. A file whose
estimated work is above 100,000 page operations per run is refused; --work-limit N (any command)
raises the limit.

Exit codes: 0 pass, 1 correctness violation, 2 bad input, 3 liveness failure (deadlock, no progress),
4 simulator crash. 'ttm-sim <command> --help' shows a command's options.`,
  run: `Usage: ttm-sim run [--scenario NAME] [--seed N] [--strategy S] [--mutation M]... [--design D]...
                   [--faults F] [--json] [--trace FILE]

Runs one schedule of a built-in scenario and prints a summary with the run's token.
  --scenario NAME   built-in scenario (default ${DEFAULT_SCENARIO}; see 'ttm-sim scenarios') or
                    scenario file (FILE.json; --work-limit N raises the limit on its estimated work)
  --seed N          unsigned 64-bit seed, decimal or 0x-hex (default 1)
  --strategy S      how the seed picks the next actor at each choice (two or more enabled actors):
                      random   uniform random walk over the enabled actors (default)
                      fifo     always the first enabled actor by id (one schedule, whatever the seed)
                      pos      each message gets a random priority when posted; the actor whose
                               oldest message has the highest one runs (partial order sampling)
                      pct:D    PCT aimed at bugs of depth D (1..3): actors get random priorities and
                      pct:D:K  the highest enabled one runs; D-1 times, at a random choice in [1, K],
                               the actor that just ran drops below all others. K bounds the choices
                               of a run (default ${PCT_K_DEFAULT}; the summary prints a run's count). If a
                               run makes at most K choices, it hits a given depth-D bug with
                               probability >= 1/(n*K^(D-1)), n = the number of actors.
                    The token records the strategy and its parameters; replay needs no --strategy.
  --mutation M      switch on a bug from the catalogue, NAME or NAME=VALUE (repeatable; see
                    'ttm-sim mutations')
  --design D        switch on a design the kernel never merged, NAME or NAME:KEY=VALUE (repeatable;
                    see 'ttm-sim designs'); the token records it
  --faults F        off (default), uniform or buggify: inject faults (see 'ttm-sim fuzz --help');
                    the token records which ones fired
  --json            print one JSON object: token, seed, steps, outcome, traceSha256, failure, stats
  --trace FILE      write the trace: canonical JSONL, one line per step (written atomically)`,
  replay: `Usage: ttm-sim replay TOKEN [--json] [--trace FILE] [--scenario FILE]

Re-runs the schedule a token describes and prints the same summary, trace SHA-256 and outcome.
  --json            print one JSON object (as 'run --json')
  --trace FILE      write the trace JSONL
${SCENARIO_HELP}`,
  selfcheck: `Usage: ttm-sim selfcheck TOKEN [--json] [--scenario FILE]

Runs a token twice in this process and compares the traces line by line. Prints 'identical' with the
SHA-256, or the first step where they diverge (a determinism bug: exit code 4).
${SCENARIO_HELP}`,
  charts: `Usage: ttm-sim charts [--format mermaid|scxml|json] [--out DIR]

Exports every statechart of the model (ttm_bo, dma_resv, ttm_resource, ttm_resource_manager, ttm_device,
task, gpu_ring, ttm_tt, ttm_pool, swap, iommu, shrinker). Mermaid is stateDiagram-v2 (GitHub renders it), SCXML is W3C State Chart XML, JSON is
the machine configuration that the Stately tools accept.
  --format F        mermaid (default), scxml or json
  --out DIR         write one file per chart (<name>.mmd / .scxml / .json) instead of printing them`,
  trace: `Usage: ttm-sim trace TOKEN --perfetto FILE [--scenario FILE]

Replays a token and writes its interleaving as Chrome / Perfetto Trace Event JSON (open it in
ui.perfetto.dev or chrome://tracing): a track per actor, a slice per delivered message, the edges the
kernel took on other objects as slices on their tracks, arrows from the step that sent each message to
the step that delivered it, counter tracks of memory usage per manager, and a failing check as an
instant event; a stress run's token also gets a track per worker thread (a slice per segment, arrows
from the segment that woke a blocked thread). One step is 10 µs of virtual time; the same token always
gives the same bytes.
  --perfetto FILE   where to write the JSON (written atomically)
${SCENARIO_HELP}`,
  view: `Usage: ttm-sim view TOKEN --out FILE.html [--inevitable [--tails N]] [--scenario FILE]

Replays a token and writes one self-contained HTML file that works offline (file://, no network): the
statechart of the selected actor with its active leaf states at the selected step highlighted, a timeline of
the interleaving (one lane per actor, tasks first, then the objects grouped by kind, each group
collapsible; an axis in steps and in virtual time; the wheel zooms, dragging pans, hovering shows a
step's message and effects; the run's preemptions and the failure marked on their lanes), a step slider
and keyboard stepping (arrows, PgUp/PgDn, Home/End), the step's message, payload and effects, the step
the failure belongs to marked with a jump to it, and a state panel: every object of the model after the
selected step (BOs, resource managers, pools, IOMMUs, fences, tasks), the values the step changed
highlighted, a diff against any other step, filters by object and kind, and for a clicked value the step
that last wrote it and the writer before that.
  --out FILE        where to write the HTML (written atomically)
  --inevitable      also mark the last step at which the failure was avoidable and the step after which
                    it is certain (as 'ttm-sim inevitable' finds them; a failing token only)
  --tails N         continuations per cut for --inevitable (default 20)
${SCENARIO_HELP}`,
  fuzz: FUZZ_HELP,
  compare: COMPARE_HELP,
  designs: DESIGNS_HELP,
  shrink: SHRINK_HELP,
  inevitable: INEVITABLE_HELP,
  verify: VERIFY_HELP,
  mutations: MUTATIONS_HELP,
  stress: STRESS_HELP,
  corpus: CORPUS_HELP,
  oracles: ORACLES_HELP,
  faults: FAULTS_HELP,
  scenarios: SCENARIOS_HELP,
};

function writeTrace(file: string, r: RunResult): void {
  writeAtomically(file, r.trace === null ? '' : `${r.trace.join('\n')}\n`, '--trace');
}

function report(r: RunResult, json: boolean, title: string, trace: string | undefined): number {
  if (trace !== undefined) writeTrace(trace, r);
  if (json) process.stdout.write(`${JSON.stringify(jsonResult(r))}\n`);
  else process.stdout.write(`${summary(r, title)}\n`);
  return EXIT_CODE[r.outcome];
}

function cmdRun(args: string[]): number {
  const { values, positionals } = guarded('run', () =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        scenario: { type: 'string' },
        seed: { type: 'string' },
        strategy: { type: 'string' },
        mutation: { type: 'string', multiple: true },
        design: { type: 'string', multiple: true },
        faults: { type: 'string' },
        json: { type: 'boolean' },
        trace: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help) return help('run');
  if (positionals.length > 0) fail(`run: unexpected argument "${positionals[0]}"; see 'ttm-sim run --help'`);
  const scenario = scenarioByName(values.scenario ?? DEFAULT_SCENARIO);
  const seed = parseSeed(values.seed ?? '1');
  const strategy = strategyOption(values.strategy ?? 'random');
  const mutations = mutationOptions(values.mutation, [scenario]);
  const designs = designOptions(values.design, scenario);
  if (values.trace !== undefined) checkOutputFile('--trace', values.trace);
  const faults = runFaults(
    scenario,
    seed,
    strategyOptions(strategy),
    mutations,
    faultOption(values.faults),
    designs,
  );
  const r = runScenario(scenario, {
    seed,
    ...strategyOptions(strategy),
    keepTrace: values.trace !== undefined,
    mutations,
    designs,
    ...(faults === undefined ? {} : { faults }),
  });
  return report(
    r,
    values.json === true,
    `ttm-sim run ${scenario.name} --seed ${seed} --strategy ${label(strategy)}${mutations.map((m) => ` --mutation ${m}`).join('')}${designs.map((d) => ` --design ${d}`).join('')}\n  ${scenario.summary}`,
    values.trace,
  );
}

function cmdReplay(args: string[]): number {
  const { values, positionals } = guarded('replay', () =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        trace: { type: 'string' },
        ...SCENARIO_OPTION,
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help) return help('replay');
  if (positionals.length > 1) fail(`replay: expected one TOKEN, got ${positionals.length} arguments`);
  const d = decodeWith(positionals[0], 'replay', values.scenario);
  if (values.trace !== undefined) checkOutputFile('--trace', values.trace);
  const r = runDecoded(d, values.trace !== undefined);
  return report(
    r,
    values.json === true,
    `ttm-sim replay: ${d.scenario.name} --seed ${d.seed} --strategy ${label(d.strategy)}`,
    values.trace,
  );
}

function cmdSelfcheck(args: string[]): number {
  const { values, positionals } = guarded('selfcheck', () =>
    parseArgs({
      args,
      allowPositionals: true,
      options: { json: { type: 'boolean' }, ...SCENARIO_OPTION, help: { type: 'boolean', short: 'h' } },
    }),
  );
  if (values.help) return help('selfcheck');
  if (positionals.length > 1) fail(`selfcheck: expected one TOKEN, got ${positionals.length} arguments`);
  const d = decodeWith(positionals[0], 'selfcheck', values.scenario);
  const a = runDecoded(d, true);
  const b = runDecoded(d, true);
  const at = firstDivergence(a.trace ?? [], b.trace ?? []);
  const result = {
    token: a.token,
    identical: at === undefined,
    steps: a.steps,
    traceSha256: [a.traceSha256, b.traceSha256],
    firstDivergentStep: at ?? null,
  };
  if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else if (at === undefined)
    process.stdout.write(`selfcheck: 2 runs identical, ${a.steps} steps, sha256 ${a.traceSha256}\n`);
  else {
    process.stdout.write(
      `selfcheck: runs diverge at step ${at}\n  run 1: ${a.trace?.[at] ?? '(ended)'}\n  run 2: ${b.trace?.[at] ?? '(ended)'}\n`,
    );
  }
  return at === undefined ? EXIT_CODE.pass : EXIT_CODE.crash;
}

function cmdCharts(args: string[]): number {
  const { values, positionals } = guarded('charts', () =>
    parseArgs({
      args,
      allowPositionals: true,
      options: { format: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }),
  );
  if (values.help) return help('charts');
  if (positionals.length > 0)
    fail(`charts: unexpected argument "${positionals[0]}"; see 'ttm-sim charts --help'`);
  const format = CHART_FORMATS.find((f) => f === (values.format ?? 'mermaid'));
  if (format === undefined)
    fail(`--format must be one of ${CHART_FORMATS.join(', ')}, got "${values.format}"`);
  if (values.out === undefined) {
    for (const c of CHARTS) {
      const head =
        format === 'mermaid'
          ? `%% ${c.name}: ${c.mirrors}`
          : format === 'scxml'
            ? `<!-- ${c.name}: ${c.mirrors} -->`
            : `// ${c.name}: ${c.mirrors}`;
      process.stdout.write(`${head}\n${exportChart(c.machine, format)}\n`);
    }
    return 0;
  }
  const outDir = checkOutputDir('--out', values.out);
  for (const c of CHARTS) {
    const path = resolve(outDir, `${c.name}.${CHART_EXTENSION[format]}`);
    writeAtomically(path, exportChart(c.machine, format), '--out');
    process.stdout.write(`${path}\n`);
  }
  return 0;
}

function cmdTrace(args: string[]): number {
  const { values, positionals } = guarded('trace', () =>
    parseArgs({
      args,
      allowPositionals: true,
      options: { perfetto: { type: 'string' }, ...SCENARIO_OPTION, help: { type: 'boolean', short: 'h' } },
    }),
  );
  if (values.help) return help('trace');
  if (positionals.length > 1) fail(`trace: expected one TOKEN, got ${positionals.length} arguments`);
  if (values.perfetto === undefined)
    fail("trace: --perfetto FILE is required (the output file); see 'ttm-sim trace --help'");
  const d = decodeWith(positionals[0], 'trace', values.scenario);
  checkOutputFile('--perfetto', values.perfetto);
  const r = runDecoded(d, true);
  const lines = (r.trace ?? []).map((l) => JSON.parse(l) as TraceLine);
  const json = toPerfetto({
    lines,
    failure: r.failure,
    failureStep: r.failureStep,
    token: r.token,
    traceSha256: r.traceSha256,
    workers: workerTracks(d.scenario.config),
  });
  writeAtomically(values.perfetto, json, '--perfetto');
  process.stdout.write(`wrote ${values.perfetto}: ${r.steps} steps, outcome ${r.outcome}\n`);
  return EXIT_CODE[r.outcome];
}

function cmdView(args: string[]): number {
  const { values, positionals } = guarded('view', () =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        inevitable: { type: 'boolean' },
        tails: { type: 'string' },
        ...SCENARIO_OPTION,
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help) return help('view');
  if (positionals.length > 1) fail(`view: expected one TOKEN, got ${positionals.length} arguments`);
  if (values.out === undefined)
    fail("view: --out FILE.html is required (the output file); see 'ttm-sim view --help'");
  const d = decodeWith(positionals[0], 'view', values.scenario);
  checkOutputFile('--out', values.out);
  const recorder = new StateRecorder();
  const r = runDecoded(d, true, { onStep: recorder.onStep });
  const lines = (r.trace ?? []).map((l) => JSON.parse(l) as TraceLine);
  const html = renderViewer({
    title: `ttm-sim ${d.scenario.name} --seed ${d.seed} --strategy ${label(d.strategy)}`,
    token: r.token,
    traceSha256: r.traceSha256,
    outcome: r.outcome,
    failure: r.failure,
    failureStep: r.failureStep,
    lines,
    states: recorder.result(lines.length),
    ...viewMarks(d, values.inevitable === true, values.tails),
  });
  writeAtomically(values.out, html, '--out');
  process.stdout.write(`wrote ${values.out}: ${r.steps} steps, outcome ${r.outcome}\n`);
  return EXIT_CODE[r.outcome];
}

function help(topic: string): number {
  process.stdout.write(`${HELP[topic] ?? HELP.main}\n`);
  return 0;
}

const COMMANDS: Record<string, (args: string[]) => number | Promise<number>> = {
  fuzz: cmdFuzz,
  corpus: cmdCorpus,
  compare: cmdCompare,
  designs: cmdDesigns,
  run: cmdRun,
  shrink: cmdShrink,
  inevitable: cmdInevitable,
  verify: cmdVerify,
  mutations: cmdMutations,
  stress: cmdStress,
  replay: cmdReplay,
  selfcheck: cmdSelfcheck,
  scenarios: cmdScenarios,
  oracles: cmdOracles,
  faults: cmdFaults,
  charts: cmdCharts,
  trace: cmdTrace,
  view: cmdView,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help')
      return help(rest[0] ?? 'main');
    if (command === '--version') {
      process.stdout.write(`${VERSION}\n`);
      return 0;
    }
    const fn = COMMANDS[command];
    if (fn === undefined)
      fail(
        `unknown command "${command}"; the commands are ${Object.keys(COMMANDS).join(', ')} (see 'ttm-sim --help')`,
      );
    return await fn(workLimitArgs(joinNegativeNumbers(rest)));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`ttm-sim: ${err.message}\n`);
      return EXIT_CODE.badInput;
    }
    // The operating system refused a file operation (full disk, read-only file system, ...): the
    // environment's problem, reported with the path and the errno (src/cli/errors.ts).
    const system = systemErrorMessage(err);
    if (system !== null) {
      process.stderr.write(`ttm-sim: ${system}\n`);
      return EXIT_CODE.badInput;
    }
    process.stderr.write(
      `ttm-sim: internal error (a simulator bug): ${err instanceof Error ? err.message : String(err)}\n`,
    );
    return EXIT_CODE.crash;
  }
}
