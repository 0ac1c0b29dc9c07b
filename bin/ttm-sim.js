#!/usr/bin/env node
// The ttm-sim command. It runs the JavaScript compiled into dist/ (npm ci and npm pack build it:
// scripts/build.mjs). With TTM_SIM_FROM_SOURCE=1 it runs the TypeScript sources instead, through
// tsx's loader (a devDependency): the project's tests set it (vitest.config.ts), so that they always
// exercise the sources as they are, never a dist/ built before the last edit.
import { existsSync } from 'node:fs';

// A reader that stops reading (`ttm-sim oracles | head -1`) closes the pipe: that ends the output, quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
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
}
const { launch } = await import(entry.href);
process.exitCode = await launch(process.argv.slice(2));
