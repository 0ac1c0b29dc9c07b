// Builds Piscina pools for the worker entry points. From source (tsx, vitest) the worker file is the
// .ts file, loaded through tsx's require hook, which Node 20 keeps active inside worker threads.
// tsx is named by its resolved file URL: a bare `--import tsx` would be resolved against the current
// directory, and the ttm-sim command runs from anywhere. Compiled (dist/workers/pool.js, where this
// module's own URL ends in .js) the worker file is the compiled .js next to it, loaded by plain Node:
// tsx is a devDependency and is looked up only when running from source.

import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { tuneHeap } from '../src/engine/heap_tuning.ts';

const FROM_SOURCE = import.meta.url.endsWith('.ts');

export function createRunPool(threads: number): Piscina {
  return createPool('run.worker.ts', threads);
}

/** A pool of `threads` workers running the default export of `workers/<file>`. */
export function createPool(file: string, threads: number): Piscina {
  // V8's flags are the process's: the pool's threads run with the settings of the thread that made it.
  tuneHeap();
  return new Piscina({
    filename: fileURLToPath(
      new URL(`./${FROM_SOURCE ? file : file.replace(/\.ts$/, '.js')}`, import.meta.url),
    ),
    execArgv: FROM_SOURCE
      ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href]
      : [],
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: 1_000,
  });
}
