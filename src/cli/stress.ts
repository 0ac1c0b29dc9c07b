// `ttm-sim stress`: run a stress workload on real threads many times, judge every run with the stress
// oracles, and turn each failing run's ticket log into a token that the deterministic mode replays;
// the report says whether the replay reproduced the failure signature and the final state.

import { parseArgs } from 'node:util';
import { createPool } from '../../workers/pool.ts';
import { EXIT_CODE } from '../engine/types.ts';
import { SIGNAL_EXIT_CODE, type StopSignal, stopSignals$ } from '../explore/campaign_streams.ts';
import {
  checkReplay,
  DEFAULT_JITTER,
  type ReplayCheck,
  type StressRun,
  stressRun,
} from '../explore/stress_driver.ts';
import { stressName, stressScenario } from '../sim/scenarios/stress.ts';
import { STRESS_SHAPES, type StressShape } from '../stress/layout.ts';
import { MAX_THREADS, MIN_THREADS, STRESS_DEFAULTS, stressConfig } from '../stress/roles.ts';
import { guarded, mutationOptions, parseSeed } from './common.ts';
import { fail } from './errors.ts';

export const DEFAULT_RUNS = 20;

export const STRESS_HELP = `Usage: ttm-sim stress [--scenario S] [--threads N] [--runs R] [--mutation M]... [--seed B]
                      [--jitter J] [--json]

Runs a stress workload on real threads (Piscina workers sharing the hardware state in a
SharedArrayBuffer: page frames, CPU/GPU/IOMMU page tables, resv lock words, fence seqnos, interrupt
flags) R times, judges every run with the stress oracles, and replays each failing run's ticket log
(the order in which the threads ran their atomic segments) in the deterministic mode: its token
replays with 'ttm-sim replay TOKEN' and must fail with the same signature.
  --scenario S      stress-pte (default), stress-bind or stress-signal (see 'ttm-sim scenarios')
  --threads N       threads (default: the scenario's; stress-pte ${MIN_THREADS.pte}..${MAX_THREADS}, stress-bind ${MIN_THREADS.bind}..${MAX_THREADS},
                    stress-signal ${MIN_THREADS.signal}..${MAX_THREADS})
  --runs R          runs (default ${DEFAULT_RUNS})
  --mutation M      switch on a bug from the catalogue (repeatable; the stress-* ones are made for this)
  --seed B          base seed: run i draws its jitter from seed B+i (default 1). Real threads are not
                    reproducible from a seed; the ticket log is what replays a run
  --jitter J        bound of the seeded pause between segments, in spin iterations (default ${DEFAULT_JITTER})
  --json            print the report as one JSON object

A progress line goes to stderr. The report lists the failures by signature with a replay token each,
whether the replay reproduced the signature and the state, and how much the threads interleaved
(owner switches in the ticket log).

Ctrl-C (SIGINT) or SIGTERM stops it after the run in progress and prints the report of the runs done.

Exit codes: 0 no failure, 1/3/4 the kind of the first failure (correctness, liveness, crash), 4 also
when a replay did not reproduce its run, 2 bad input; 130 (SIGINT) or 143 (SIGTERM) when a signal
stopped it with no failure found.`;

interface Group {
  readonly signature: string;
  readonly kind: StressRun['verdict']['kind'];
  readonly message: string;
  count: number;
  readonly firstSeed: string;
  readonly token: string;
  replayed: number;
  sameState: number;
}

function shapeOf(name: string): StressShape {
  const shape = STRESS_SHAPES.find((s) => `stress-${s}` === name);
  if (shape === undefined) {
    fail(`--scenario must be one of ${STRESS_SHAPES.map((s) => `stress-${s}`).join(', ')}, got "${name}"`);
  }
  return shape;
}

function intOption(name: string, text: string | undefined, def: number, min: number, max: number): number {
  if (text === undefined) return def;
  const v = /^[0-9]{1,9}$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isNaN(v) || v < min || v > max)
    fail(`--${name} must be an integer in ${min}..${max}, got "${text}"`);
  return v;
}

export async function cmdStress(args: string[]): Promise<number> {
  const { values, positionals } = guarded('stress', () =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        scenario: { type: 'string' },
        threads: { type: 'string' },
        runs: { type: 'string' },
        mutation: { type: 'string', multiple: true },
        seed: { type: 'string' },
        jitter: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help) {
    process.stdout.write(`${STRESS_HELP}\n`);
    return 0;
  }
  if (positionals.length > 0)
    fail(`stress: unexpected argument "${positionals[0]}"; see 'ttm-sim stress --help'`);
  const shape = shapeOf(values.scenario ?? 'stress-pte');
  const threads = intOption(
    'threads',
    values.threads,
    STRESS_DEFAULTS[shape].threads,
    MIN_THREADS[shape],
    MAX_THREADS,
  );
  const runs = intOption('runs', values.runs, DEFAULT_RUNS, 1, 1_000_000);
  const jitter = intOption('jitter', values.jitter, DEFAULT_JITTER, 0, 1 << 30);
  const cfg = stressConfig(shape, threads);
  const mutations = mutationOptions(values.mutation, [stressScenario(cfg)]);
  const base = parseSeed(values.seed ?? '1');
  const name = stressName(cfg);
  const tty = process.stderr.isTTY === true;
  const started = Date.now();
  const groups = new Map<string, Group>();
  let failures = 0;
  let mismatches = 0;
  let segments = 0;
  let switches = 0;
  let ran = 0;
  // SIGINT and SIGTERM end the loop after the run in progress; the report covers the runs done.
  let signal: StopSignal | null = null;
  const stopping = stopSignals$().subscribe((s) => {
    signal = s;
  });
  const pool = createPool('stress.worker.ts', threads);
  try {
    for (let i = 0; i < runs && signal === null; i++) {
      const seed = (base + BigInt(i)) % (1n << 64n);
      const run = await stressRun(pool, cfg, { seed, mutations, jitter });
      segments += run.log.length;
      switches += run.switches;
      if (run.signature !== null) {
        failures += 1;
        const check: ReplayCheck | null =
          run.verdict.kind === 'crash' ? null : checkReplay(cfg, mutations, run);
        if (check === null || !check.sameSignature || !check.sameState) mismatches += 1;
        let g = groups.get(run.signature);
        if (g === undefined) {
          g = {
            signature: run.signature,
            kind: run.verdict.kind,
            message: run.verdict.message,
            count: 0,
            firstSeed: seed.toString(),
            token: check?.token ?? '',
            replayed: 0,
            sameState: 0,
          };
          groups.set(run.signature, g);
        }
        g.count += 1;
        if (check?.sameSignature === true) g.replayed += 1;
        if (check?.sameState === true) g.sameState += 1;
      }
      ran += 1;
      const secs = (Date.now() - started) / 1000;
      const line = `stress ${name}: run ${i + 1}/${runs}, ${failures} failing, ${((i + 1) / Math.max(secs, 0.001)).toFixed(1)} runs/s`;
      if (tty) process.stderr.write(`\r${line}\u001b[K`);
      else if ((i + 1) % Math.max(1, Math.floor(runs / 10)) === 0 || i + 1 === runs)
        process.stderr.write(`${line}\n`);
    }
  } finally {
    stopping.unsubscribe();
    await pool.destroy();
  }
  if (tty) process.stderr.write('\n');
  const list = [...groups.values()];
  const report = {
    scenario: name,
    threads,
    runs,
    ran,
    interrupted: signal as StopSignal | null,
    mutations,
    seed: base.toString(),
    jitter,
    failures,
    replayMismatches: mismatches,
    segmentsPerRun: segments / Math.max(1, ran),
    switchesPerRun: switches / Math.max(1, ran),
    switchRatio: segments === 0 ? 0 : switches / segments,
    seconds: (Date.now() - started) / 1000,
    signatures: list,
  };
  if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(`${human(report, list)}\n`);
  const first = list[0];
  if (mismatches > 0) return EXIT_CODE.crash;
  if (first === undefined)
    return report.interrupted === null ? EXIT_CODE.pass : SIGNAL_EXIT_CODE[report.interrupted];
  return EXIT_CODE[first.kind === 'pass' ? 'pass' : first.kind];
}

function human(
  r: {
    scenario: string;
    threads: number;
    runs: number;
    ran: number;
    interrupted: StopSignal | null;
    mutations: readonly string[];
    failures: number;
    replayMismatches: number;
    segmentsPerRun: number;
    switchesPerRun: number;
    switchRatio: number;
    seconds: number;
  },
  groups: readonly Group[],
): string {
  const muts = r.mutations.length === 0 ? '' : ` --mutation ${r.mutations.join(' --mutation ')}`;
  const lines = [
    `ttm-sim stress --scenario ${r.scenario.replace(/-t\d+$/, '')} --threads ${r.threads} --runs ${r.runs}${muts}`,
    `  runs          ${r.interrupted === null ? r.runs : `${r.ran} of ${r.runs} (interrupted by ${r.interrupted})`} in ${r.seconds.toFixed(1)} s, ${r.failures} failing (${groups.length} signature${groups.length === 1 ? '' : 's'})`,
    `  interleaving  ${r.segmentsPerRun.toFixed(1)} segments and ${r.switchesPerRun.toFixed(1)} owner switches per run (${(100 * r.switchRatio).toFixed(0)} % of segments switch thread)`,
  ];
  for (const [i, g] of groups.entries()) {
    lines.push(
      `  ${i + 1}. ${g.signature}  (${g.count} run${g.count === 1 ? '' : 's'}, first at seed ${g.firstSeed})`,
    );
    lines.push(`     ${g.message}`);
    lines.push(
      `     replayed     ${g.replayed}/${g.count} with the same signature, ${g.sameState}/${g.count} with the same final state`,
    );
    if (g.token !== '') lines.push(`     token        ${g.token}`);
  }
  if (r.failures === 0) lines.push('  no failure');
  else if (r.replayMismatches > 0)
    lines.push(`  ${r.replayMismatches} failing run(s) did NOT replay the same way (a simulator bug)`);
  return lines.join('\n');
}
