#!/usr/bin/env node
// The ttm-sim command. It runs the JavaScript compiled into dist/ (npm ci and npm pack build it:
// scripts/build.mjs). With TTM_SIM_FROM_SOURCE=1 it runs the TypeScript sources instead, through
// tsx's loader (a devDependency): the project's tests set it (vitest.config.ts), so that they always
// exercise the sources as they are, never a dist/ built before the last edit.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// A reader that stops reading (`ttm-sim oracles | head -1`) closes the pipe: that ends the output, quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

/**
 * In a checkout (the sources beside bin/), the first source file changed after dist/ was built, as a
 * path from the checkout's root; undefined when dist/ is up to date, or in an installed package (no
 * sources). A few hundred stat calls: a millisecond or two.
 */
function newerSource(builtMs) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  for (const dir of ['src', 'machines', 'workers']) {
    if (!existsSync(join(root, dir))) continue;
    for (const e of readdirSync(join(root, dir), { recursive: true, withFileTypes: true })) {
      if (!e.isFile()) continue;
      const path = join(e.parentPath ?? e.path, e.name);
      if (statSync(path).mtimeMs > builtMs) return path.slice(root.length);
    }
  }
  return undefined;
}

let entry;
if (process.env.TTM_SIM_FROM_SOURCE === '1') {
  const { register } = await import('tsx/esm/api');
  register();
  entry = new URL('../src/cli/launch.ts', import.meta.url);
} else {
  entry = new URL('../dist/src/cli/launch.js', import.meta.url);
  if (!existsSync(entry)) {
    process.stderr.write(
      'ttm-sim: dist/ is not built: run `npm run build` (npm ci runs it), or set TTM_SIM_FROM_SOURCE=1 to run the sources\n',
    );
    process.exit(4);
  }
  const stale = newerSource(statSync(entry).mtimeMs);
  if (stale !== undefined) {
    process.stderr.write(
      `ttm-sim: warning: dist/ is older than ${stale}: this runs the last build; run \`npm run build\`, or set TTM_SIM_FROM_SOURCE=1 to run the sources\n`,
    );
  }
}
const { launch } = await import(entry.href);
process.exitCode = await launch(process.argv.slice(2));
