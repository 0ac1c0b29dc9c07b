#!/usr/bin/env node
// Runs the TypeScript sources directly: tsx's loader is registered, then the CLI module is imported.
import { register } from 'tsx/esm/api';

register();
const { tuneHeap } = await import('../src/engine/heap_tuning.ts');
tuneHeap();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
