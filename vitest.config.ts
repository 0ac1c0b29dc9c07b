import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The package's own name in a test (the README's API example) means the sources, never dist/.
  resolve: {
    alias: [{ find: /^ttm-sim$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    // bin/ttm-sim.js runs the TypeScript sources (through tsx) rather than the compiled dist/: a test that
    // spawns the command exercises the code as it is now, never a build made before the last edit.
    env: { TTM_SIM_FROM_SOURCE: '1' },
  },
});
