// The build: compiles src/, machines/ and workers/ to JavaScript in dist/ with the TypeScript compiler
// (tsc -p tsconfig.build.json: same layout, .ts imports rewritten to .js, declarations for the public
// API), then copies the files the compiled code reads next to itself (src/viz/*.js, the viewer's browser
// scripts, read through import.meta.url). `npm run build` runs it; npm ci and npm pack run it as
// `prepare`.
//
// Without the devDependencies (npm ci --omit=dev) there is no compiler: an existing dist/ is kept as it
// is, and without one the build fails saying how to make it.

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = join(root, 'dist');
const SOURCE_DIRS = ['src', 'machines', 'workers'];
const ENTRY = join(dist, 'src/cli/launch.js');

let tsc;
try {
  // typescript's "exports" keep bin/ out: the path comes from its package.json's "bin".
  const pkg = createRequire(join(root, 'package.json')).resolve('typescript/package.json');
  tsc = join(dirname(pkg), JSON.parse(readFileSync(pkg, 'utf8')).bin.tsc);
} catch {
  if (existsSync(ENTRY)) {
    console.log('build: no TypeScript compiler (devDependencies omitted): dist/ is kept as built before');
    process.exit(0);
  }
  console.error(
    'build: no TypeScript compiler (devDependencies omitted) and no dist/: run npm ci first (it builds dist/), then npm ci --omit=dev or npm prune --omit=dev',
  );
  process.exit(1);
}

// Compiled beside dist/ and swapped in whole: a failed build leaves the last good dist/ as it was.
const next = join(root, `.dist-build-${process.pid}`);
rmSync(next, { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', next], {
  cwd: root,
  stdio: 'inherit',
});
if (r.status !== 0) {
  rmSync(next, { recursive: true, force: true });
  console.error(`build: tsc failed (exit ${r.status ?? r.signal}); dist/ left as it was`);
  process.exit(1);
}

/** Every file under `dir` (recursively) that the compiler does not handle, copied to its place in the build. */
function copyAssets(dir) {
  let n = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) n += copyAssets(path);
    else if (!name.endsWith('.ts')) {
      cpSync(path, join(next, relative(root, path)));
      n += 1;
    }
  }
  return n;
}
let assets = 0;
for (const d of SOURCE_DIRS) assets += copyAssets(join(root, d));
rmSync(dist, { recursive: true, force: true });
renameSync(next, dist);
console.log(`build: dist/ compiled from ${SOURCE_DIRS.join(', ')} with tsc, ${assets} other file(s) copied`);
