#!/usr/bin/env node
// Runs the TypeScript sources directly: tsx's loader is registered, then the CLI module is imported.
import { register } from 'tsx/esm/api';

register();
// A reader that stops reading (`ttm-sim oracles | head -1`) closes the pipe: that ends the output, quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}
const { tuneHeap } = await import('../src/engine/heap_tuning.ts');
tuneHeap();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
