// Builds Piscina pools for the worker entry points. From source (tsx, vitest) the worker file is the
// .ts file, loaded through tsx's require hook, which Node 20 keeps active inside worker threads.

import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';

export function createRunPool(threads: number): Piscina {
  return createPool('run.worker.ts', threads);
}

/** A pool of `threads` workers running the default export of `workers/<file>`. */
export function createPool(file: string, threads: number): Piscina {
  return new Piscina({
    filename: fileURLToPath(new URL(`./${file}`, import.meta.url)),
    execArgv: ['--import', 'tsx'],
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: 1_000,
  });
}
