// The package as a user gets it: `npm pack` (which builds dist/ through the prepare script), the
// tarball installed into an empty directory with its runtime dependencies only (no tsx, no
// TypeScript, no c8: what `npm ci --omit=dev` leaves), then every command of `ttm-sim --help` run from
// there, and the API entry imported and type-checked by a consumer.
//
// Offline: the consumer's lockfile pins each runtime dependency as this repository's lockfile does
// (version, integrity, the registry's tarball URL), so `npm ci --offline` takes them from npm's cache,
// where this repository's own `npm ci` put them.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../src/explore/run.ts';
import { findScenario, SCENARIOS } from '../../src/sim/scenarios/index.ts';

const ROOT = join(import.meta.dirname, '../..');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** A failing token of the README (Shrinking): abba-deadlock seed 0 deadlocks at step 6. */
const DEADLOCK = 'AQAAAAAAAAAAAIYBF__MW-JCntGnDblP4cYA2Dgx5w';

let work = '';
let inst = '';
let packed: string[] = [];

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a user's shell: the command runs dist/, never the sources. */
function userEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.TTM_SIM_FROM_SOURCE;
  return env;
}

function exec(cmd: string, args: readonly string[], cwd: string): Ran {
  const r = spawnSync(cmd, args, { cwd, env: userEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ttmSim(...args: string[]): Ran {
  return exec(join(inst, 'node_modules/.bin/ttm-sim'), args, inst);
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ttm-sim-pack-'));
  inst = join(work, 'consumer');
  const pack = exec('npm', ['pack', '--json', '--pack-destination', work], ROOT);
  expect(pack.status, pack.stderr).toBe(0);
  // The prepare script's own lines come before npm's JSON.
  const json = JSON.parse(pack.stdout.slice(pack.stdout.search(/^\[/m))) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  const info = json[0];
  if (info === undefined) throw new Error('npm pack printed no package');
  packed = info.files.map((f) => f.path).sort();
  const tgz = join(work, info.filename);

  // The consumer: one dependency, the tarball; its dependencies as this repository's lockfile has them.
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, Record<string, unknown> & { version?: string; dev?: boolean; name?: string }>;
  };
  const root = lock.packages[''] ?? {};
  const spec = `file:${tgz}`;
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', version: '1.0.0', dependencies: { 'ttm-sim': spec } },
    'node_modules/ttm-sim': {
      version: PKG.version,
      resolved: spec,
      integrity: `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`,
      dependencies: root.dependencies,
      bin: root.bin,
      engines: root.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.dev === true) continue;
    const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const base = name.slice(name.indexOf('/') + 1);
    packages[path] = {
      ...entry,
      resolved: `https://registry.npmjs.org/${name}/-/${base}-${entry.version}.tgz`,
    };
  }
  rmSync(inst, { recursive: true, force: true });
  exec('mkdir', ['-p', inst], work);
  writeFileSync(
    join(inst, 'package.json'),
    JSON.stringify({
      name: 'consumer',
      version: '1.0.0',
      private: true,
      type: 'module',
      dependencies: { 'ttm-sim': spec },
    }),
  );
  writeFileSync(
    join(inst, 'package-lock.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages }),
  );
  const ci = exec('npm', ['ci', '--offline', '--no-audit', '--no-fund'], inst);
  expect(ci.status, ci.stderr).toBe(0);
  // engines tells the truth: no runtime dependency asks for a newer Node than this one.
  expect(ci.stderr).not.toContain('EBADENGINE');
}, 240_000);

afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('the tarball', () => {
  it('ships the compiled command, the workers, the viewer scripts and the API with its types, and no sources', () => {
    for (const f of [
      'bin/ttm-sim.js',
      'package.json',
      'README.md',
      'dist/src/cli/launch.js',
      'dist/src/cli/main.js',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/workers/pool.js',
      'dist/workers/run.worker.js',
      'dist/workers/campaign.worker.js',
      'dist/workers/stress.worker.js',
      'dist/src/viz/viewer-client.js',
    ])
      expect(packed).toContain(f);
    // Every browser script and every schema or example file of the repository goes with it.
    const want = [
      ...readdirSync(join(ROOT, 'src/viz'))
        .filter((f) => f.endsWith('.js'))
        .map((f) => `dist/src/viz/${f}`),
      ...['schema', 'examples'].flatMap((d) =>
        existsSync(join(ROOT, d)) ? readdirSync(join(ROOT, d)).map((f) => `${d}/${f}`) : [],
      ),
    ];
    expect(want.filter((f) => !packed.includes(f))).toEqual([]);
    expect(packed.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(packed.filter((f) => /^(test|bench|src|machines|workers)\//.test(f))).toEqual([]);
  });

  it('installs its runtime dependencies only: no devDependency is there to lean on', () => {
    for (const dev of Object.keys(PKG.devDependencies))
      expect(existsSync(join(inst, 'node_modules', dev)), dev).toBe(false);
    for (const dep of Object.keys(PKG.dependencies))
      expect(existsSync(join(inst, 'node_modules', dep, 'package.json')), dep).toBe(true);
  });
});

describe('every command, from the installed package', () => {
  const ran = new Set<string>();
  function cmd(...args: string[]): Ran {
    if (args[0] !== undefined) ran.add(args[0]);
    return ttmSim(...args);
  }

  it('--version prints package.json version', () => {
    const r = ttmSim('--version');
    expect(r).toEqual({ status: 0, stdout: `${PKG.version}\n`, stderr: '' });
  });

  it('scenarios lists the built-in scenarios of the sources', () => {
    const r = cmd('scenarios', '--json');
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ name: string }>;
    expect(rows.map((x) => x.name)).toEqual(SCENARIOS.map((s) => s.name));
  });

  it('run, replay, selfcheck, trace and view give the trace the sources give', () => {
    const scenario = findScenario('small');
    if (scenario === undefined) throw new Error('no scenario small');
    const expected = runScenario(scenario, { seed: 3n });
    const run = cmd('run', '--scenario', 'small', '--seed', '3', '--json');
    expect(run.status).toBe(0);
    const got = JSON.parse(run.stdout) as { token: string; traceSha256: string; outcome: string };
    expect([got.token, got.traceSha256, got.outcome]).toEqual([expected.token, expected.traceSha256, 'pass']);

    const replay = cmd('replay', got.token, '--json');
    expect(replay.status).toBe(0);
    expect((JSON.parse(replay.stdout) as { traceSha256: string }).traceSha256).toBe(expected.traceSha256);

    const self = cmd('selfcheck', got.token);
    expect(self.status).toBe(0);
    expect(self.stdout).toBe(
      `selfcheck: 2 runs identical, ${expected.steps} steps, sha256 ${expected.traceSha256}\n`,
    );

    const trace = cmd('trace', got.token, '--perfetto', 'run.json');
    expect(trace.status).toBe(0);
    const events = (JSON.parse(readFileSync(join(inst, 'run.json'), 'utf8')) as { traceEvents: unknown[] })
      .traceEvents;
    expect(events.length).toBeGreaterThan(expected.steps);

    // The viewer inlines mermaid's browser bundle: a runtime dependency.
    const view = cmd('view', DEADLOCK, '--out', 'run.html');
    expect(view.status).toBe(3);
    expect(view.stdout).toBe('wrote run.html: 6 steps, outcome liveness\n');
    const mermaid = readFileSync(join(inst, 'node_modules/mermaid/dist/mermaid.min.js'), 'utf8');
    const html = readFileSync(join(inst, 'run.html'), 'utf8');
    expect(html.includes(mermaid.slice(0, 2000))).toBe(true);
  });

  it('a shipped example scenario file runs, and its token replays with the file', () => {
    const file = 'node_modules/ttm-sim/examples/race-small.json';
    const run = cmd('run', '--scenario', file, '--seed', '1', '--json');
    expect(run.status, run.stderr).toBe(0);
    const got = JSON.parse(run.stdout) as { token: string; traceSha256: string };
    const replay = cmd('replay', got.token, '--scenario', file, '--json');
    expect(replay.status, replay.stderr).toBe(0);
    expect((JSON.parse(replay.stdout) as { traceSha256: string }).traceSha256).toBe(got.traceSha256);
  });

  it('shrink and inevitable take a failing token', () => {
    const shrink = cmd('shrink', DEADLOCK);
    expect(shrink.status).toBe(3);
    expect(shrink.stdout).toContain('  replays     yes, same signature\n');
    const inevitable = cmd('inevitable', DEADLOCK, '--tails', '4', '--json');
    expect(inevitable.status).toBe(3);
    expect(JSON.parse(inevitable.stdout)).toMatchObject({
      signature: 'liveness.deadlock | task:ab | blocked | ',
      steps: 6,
      tails: 4,
    });
  });

  it('verify finds the lost-update calibrator at one preemption', () => {
    const verify = cmd(
      'verify',
      '--scenario',
      'calibrate',
      '--preemptions',
      '1',
      '--mutation',
      'calibrator-lost-update',
      '--json',
    );
    expect(verify.status, verify.stderr).toBe(1);
    expect(JSON.parse(verify.stdout)).toMatchObject({
      verdict: 'counterexample',
      schedules: 7,
      byPreemptions: [6, 1],
    });
  });

  it('fuzz runs a campaign on this thread, on worker threads, and in slices that corpus merge joins', () => {
    const one = cmd('fuzz', '--scenario', 'small', '--schedules', '12', '--json');
    expect(one.status, one.stderr).toBe(0);
    expect((JSON.parse(one.stdout) as { failures: unknown[] }).failures).toEqual([]);
    const workers = cmd('fuzz', '--scenario', 'small', '--schedules', '12', '--workers', '2');
    expect(workers.status, workers.stderr).toBe(0);
    expect(workers.stdout).toContain(' on 2 worker threads');
    for (const k of [0, 1]) {
      const r = cmd(
        'fuzz',
        '--scenario',
        'small',
        '--schedules',
        '8',
        '--shard',
        `${k}/2`,
        '--corpus',
        `c${k}`,
      );
      expect(r.status, r.stderr).toBe(0);
    }
    const merge = cmd('corpus', 'merge', 'c0', 'c1', '--all');
    expect(merge.status, merge.stderr).toBe(0);
    expect(merge.stdout).toContain('shards 0,1 of 2');
    // --code-coverage measures the TypeScript sources, which an installed package does not have.
    const cov = cmd('fuzz', '--scenario', 'small', '--schedules', '2', '--code-coverage');
    expect(cov.status).toBe(2);
    expect(cov.stderr).toMatch(/^ttm-sim: --code-coverage measures the TypeScript sources/);
  });

  it('stress runs real threads (the compiled stress worker)', () => {
    const r = cmd('stress', '--scenario', 'stress-pte', '--runs', '2', '--threads', '2', '--json');
    expect(r.status, r.stderr).toBe(0);
  });

  it('compare, designs, mutations, oracles, faults and charts', () => {
    const compare = cmd('compare', '--scenario', 'small', '--designs', 'kernel', '--schedules', '2');
    expect(compare.status, compare.stderr).toBe(0);
    for (const c of ['designs', 'mutations', 'oracles', 'faults']) {
      const r = cmd(c);
      expect(r.status, `${c}: ${r.stderr}`).toBe(0);
      expect(r.stdout.length, c).toBeGreaterThan(100);
    }
    const charts = cmd('charts', '--out', 'charts');
    expect(charts.status).toBe(0);
    expect(readdirSync(join(inst, 'charts')).length).toBe(charts.stdout.trim().split('\n').length);
  });

  it('ran every command that ttm-sim --help lists', () => {
    const help = ttmSim('--help');
    expect(help.status).toBe(0);
    const listed = [...help.stdout.matchAll(/^ {2}([a-z]+) {2,}/gm)].map((m) => m[1]);
    expect(listed.length).toBeGreaterThan(10);
    expect(listed.filter((c) => c !== undefined && !ran.has(c))).toEqual([]);
  });
});

describe('the API entry, from the installed package', () => {
  it('imports as ESM and runs a scenario as the command does', () => {
    const script = `import { run, scenarios } from 'ttm-sim';
const r = run({ scenario: 'small', seed: 3n });
console.log(JSON.stringify({ token: r.token, names: scenarios.length }));`;
    const r = exec(process.execPath, ['--input-type=module', '-e', script], inst);
    expect(r.status, r.stderr).toBe(0);
    const scenario = findScenario('small');
    if (scenario === undefined) throw new Error('no scenario small');
    expect(JSON.parse(r.stdout)).toEqual({
      token: runScenario(scenario, { seed: 3n }).token,
      names: SCENARIOS.length,
    });
  });

  it('exports the scenario-file JSON Schema by path', () => {
    const script = `import { readFileSync } from 'node:fs';
const url = import.meta.resolve('ttm-sim/schema/scenario.schema.json');
console.log(JSON.parse(readFileSync(new URL(url), 'utf8')).title);`;
    const r = exec(process.execPath, ['--input-type=module', '-e', script], inst);
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'ttm-sim scenario file\n', '']);
  });

  it('has types: a consumer type-checks, and a misuse is a type error', () => {
    writeFileSync(
      join(inst, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'ES2023',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['consumer.ts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    writeFileSync(
      join(inst, 'consumer.ts'),
      "import { run, type RunReport } from 'ttm-sim';\nexport const r: RunReport = run({ scenario: 'small' });\n",
    );
    const good = exec(process.execPath, [tsc, '-p', '.'], inst);
    expect(good.stdout + good.stderr).toBe('');
    expect(good.status).toBe(0);
    writeFileSync(
      join(inst, 'consumer.ts'),
      "import { run } from 'ttm-sim';\nexport const n: number = run;\n",
    );
    const bad = exec(process.execPath, [tsc, '-p', '.'], inst);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/^consumer\.ts\(2,14\): error TS2322: /);
  });
});
