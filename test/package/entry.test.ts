// The command's entry (bin/ttm-sim.js → src/cli/launch.ts): under the tests it runs the TypeScript
// sources, never dist/; without TTM_SIM_FROM_SOURCE it runs dist/ and says so when there is none; and
// --version and scenarios load only what they print (their static imports reach no explorer, viewer,
// runner or npm package), which is what keeps their start-up short (npm run bench:startup times it).

import { spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { launch } from '../../src/cli/launch.ts';
import { main } from '../../src/cli/main.ts';
import { VERSION } from '../../src/cli/version.ts';
import { SCENARIOS } from '../../src/sim/scenarios/index.ts';

const ROOT = join(import.meta.dirname, '../..');

describe('bin/ttm-sim.js', () => {
  // A tree with the sources and no dist/: what runs there is the sources or nothing.
  const tree = mkdtempSync(join(tmpdir(), 'ttm-sim-entry-'));
  afterAll(() => rmSync(tree, { recursive: true, force: true }));
  mkdirSync(join(tree, 'bin'));
  cpSync(join(ROOT, 'bin/ttm-sim.js'), join(tree, 'bin/ttm-sim.js'));
  for (const d of ['src', 'machines', 'workers', 'node_modules', 'package.json'])
    symlinkSync(join(ROOT, d), join(tree, d));
  const bin = join(tree, 'bin/ttm-sim.js');
  const run = (env: NodeJS.ProcessEnv, ...args: string[]) =>
    spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });

  it('the tests run it from the sources (vitest.config.ts sets TTM_SIM_FROM_SOURCE=1)', () => {
    expect(process.env.TTM_SIM_FROM_SOURCE).toBe('1');
    const v = run(process.env, '--version');
    expect([v.status, v.stdout, v.stderr]).toEqual([0, `${VERSION}\n`, '']);
    const s = run(process.env, 'scenarios', '--json');
    expect(s.status).toBe(0);
    expect((JSON.parse(s.stdout) as Array<{ name: string }>).map((r) => r.name)).toEqual(
      SCENARIOS.map((x) => x.name),
    );
  });

  it('without TTM_SIM_FROM_SOURCE it runs dist/, and where there is none it says how to build it', () => {
    const env = { ...process.env };
    delete env.TTM_SIM_FROM_SOURCE;
    const r = run(env, '--version');
    expect([r.status, r.stdout, r.stderr]).toEqual([
      4,
      '',
      'ttm-sim: dist/ is not built: run `npm run build` (npm ci runs it), or set TTM_SIM_FROM_SOURCE=1 to run the sources\n',
    ]);
  });

  it('in a checkout, a dist/ older than a source file runs with a warning naming that file', () => {
    const env = { ...process.env };
    delete env.TTM_SIM_FROM_SOURCE;
    // A stand-in for a build: what runs is dist/, whatever its age.
    const launch = join(tree, 'dist/src/cli/launch.js');
    mkdirSync(dirname(launch), { recursive: true });
    writeFileSync(launch, "export async function launch() { process.stdout.write('dist\\n'); return 0; }\n");
    const first = readdirSync(join(ROOT, 'src'), { recursive: true, withFileTypes: true }).find((e) =>
      e.isFile(),
    );
    if (first === undefined) throw new Error('no file under src/');
    const name = relative(ROOT, join(first.parentPath, first.name));
    try {
      // Built before every source file was last written.
      utimesSync(launch, new Date(0), new Date(0));
      const old = run(env, '--version');
      expect([old.status, old.stdout, old.stderr]).toEqual([
        0,
        'dist\n',
        `ttm-sim: warning: dist/ is older than ${name}: this runs the last build; run \`npm run build\`, or set TTM_SIM_FROM_SOURCE=1 to run the sources\n`,
      ]);
      // Built after them.
      const later = new Date(Date.now() + 3_600_000);
      utimesSync(launch, later, later);
      const fresh = run(env, '--version');
      expect([fresh.status, fresh.stdout, fresh.stderr]).toEqual([0, 'dist\n', '']);
    } finally {
      rmSync(join(tree, 'dist'), { recursive: true, force: true });
    }
  });

  it('the version is package.json version', () => {
    expect(VERSION).toBe(
      (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version,
    );
  });
});

/** The files and packages `file` loads before it runs: its static imports, transitively. */
function staticClosure(file: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [resolve(file)];
  for (let f = todo.pop(); f !== undefined; f = todo.pop()) {
    if (files.has(f)) continue;
    files.add(f);
    const text = readFileSync(f, 'utf8');
    // `import type` is erased; `import { type A }` is kept as an import (verbatimModuleSyntax).
    for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms)) {
      const spec = m[1] ?? '';
      if (spec.startsWith('.')) todo.push(resolve(dirname(f), spec));
      else packages.add(spec);
    }
  }
  return { files: [...files].map((f) => relative(ROOT, f)).sort(), packages: [...packages].sort() };
}

describe('what --version and scenarios load', () => {
  it('the entry loads the version and the exit codes, nothing else, before it looks at the command', () => {
    expect(staticClosure(join(ROOT, 'src/cli/launch.ts'))).toEqual({
      files: ['src/cli/launch.ts', 'src/cli/version.ts', 'src/engine/types.ts'],
      packages: [],
    });
  });

  it('scenarios loads the scenario catalogue and no explorer, viewer, other command or npm package', () => {
    const { files, packages } = staticClosure(join(ROOT, 'src/cli/scenarios.ts'));
    expect(files).toContain('src/sim/scenarios/index.ts');
    expect(
      files.filter((f) => /^src\/(explore|viz|api)\/|^workers\/|^src\/cli\/(?!scenarios|errors)/.test(f)),
    ).toEqual([]);
    expect(packages.filter((p) => !p.startsWith('node:'))).toEqual([]);
  });

  /** What `run` writes to stdout and stderr, and its exit code. */
  async function captured(run: () => Promise<number>): Promise<[number, string, string]> {
    const out: string[] = [];
    const err: string[] = [];
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
    try {
      const code = await run();
      return [code, out.join(''), err.join('')];
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
  }

  it('the entry answers as main() does: --version, scenarios, scenarios --json, and any other argument', async () => {
    for (const argv of [['--version'], ['scenarios'], ['scenarios', '--json'], ['scenarios', '--bogus']]) {
      const fast = await captured(() => launch(argv));
      expect(fast, argv.join(' ')).toEqual(await captured(() => main(argv)));
    }
    expect(await captured(() => launch(['scenarios', '--bogus']))).toEqual([
      2,
      '',
      "ttm-sim: scenarios: Unknown option '--bogus'; see 'ttm-sim scenarios --help'\n",
    ]);
  });
});
