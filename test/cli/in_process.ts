// The CLI run in the test's own process: main() with stdout and stderr captured, so a table of cases
// costs no process start each. Output written while a case runs goes to that case only.

import { main } from '../../src/cli/main.ts';

export interface CliOut {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `ttm-sim ARGS` in this process and return its exit code and what it wrote. */
export async function cli(args: readonly string[]): Promise<CliOut> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write;
  const err = process.stderr.write;
  process.stdout.write = ((s: string | Uint8Array) => {
    stdout += String(s);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => {
    stderr += String(s);
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await main([...args]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}
