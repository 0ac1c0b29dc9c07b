#!/usr/bin/env node
// Runs the TypeScript sources directly: tsx's loader is registered, then the CLI module is imported.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
