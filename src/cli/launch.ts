// The command's entry point (bin/ttm-sim.js imports it, from dist/ or from the sources). It answers
// `--version` and `scenarios` (alone or with --json) loading only what they print, and loads
// src/cli/main.ts (every other command, with the whole model, the explorers and the viewers) for
// everything else, `scenarios` with any other argument included, so that main() alone decides what
// an unusual argument means: start-up is what a user waits for on every call (npm run bench:startup
// measures it).

import { EXIT_CODE } from '../engine/types.ts';
import { VERSION } from './version.ts';

export async function launch(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return EXIT_CODE.pass;
  }
  if (command === 'scenarios' && rest.every((a) => a === '--json')) {
    const [{ cmdScenarios }, { UsageError }] = await Promise.all([
      import('./scenarios.ts'),
      import('./errors.ts'),
    ]);
    try {
      return cmdScenarios(rest);
    } catch (err) {
      // As main() in src/cli/main.ts reports them.
      if (err instanceof UsageError) {
        process.stderr.write(`ttm-sim: ${err.message}\n`);
        return EXIT_CODE.badInput;
      }
      process.stderr.write(
        `ttm-sim: internal error (a simulator bug): ${err instanceof Error ? err.message : String(err)}\n`,
      );
      return EXIT_CODE.crash;
    }
  }
  const [{ tuneHeap }, { main }] = await Promise.all([
    import('../engine/heap_tuning.ts'),
    import('./main.ts'),
  ]);
  tuneHeap();
  return main(argv);
}
