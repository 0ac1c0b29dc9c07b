// Bad input is reported as one line naming the problem and the fix, with exit code 2 and no stack trace.
// An error of the operating system (a full disk, a read-only file system, a path through a file) is the
// user's environment, not a simulator bug: it is reported the same way, with the path and the errno.

export class UsageError extends Error {}

export function fail(message: string): never {
  throw new UsageError(message);
}

/**
 * The one-line message for an error the operating system gave (an object with a string errno `code`
 * and the `syscall` that failed, as node:fs throws them and as src/explore/corpus.ts's CorpusWriteError
 * carries them); null for anything else, which stays an internal error.
 */
export function systemErrorMessage(err: unknown): string | null {
  if (typeof err !== 'object' || err === null) return null;
  let e = err as { code?: unknown; syscall?: unknown; path?: unknown; message?: unknown };
  if (typeof e.code !== 'string' || typeof e.syscall !== 'string') {
    // An error that crossed from a worker thread keeps its message only: node:fs words it
    // "ENOSPC: no space left on device, write '/path'", and so does CorpusWriteError.
    const m = /^(E[A-Z0-9]+): [^,\n]+, ([a-z]+) '([^'\n]*)'$/.exec(String(e.message ?? ''));
    if (m === null) return null;
    e = { code: m[1], syscall: m[2], path: m[3], message: e.message };
  }
  if (typeof e.code !== 'string' || !/^E[A-Z0-9]+$/.test(e.code) || typeof e.syscall !== 'string')
    return null;
  const path = typeof e.path === 'string' ? ` ${e.path}` : '';
  const text = /^[A-Z0-9_]+: ([^,]+)/.exec(String(e.message ?? ''))?.[1];
  const fix =
    e.code === 'ENOSPC' || e.code === 'EDQUOT'
      ? 'free some space or give a path on another file system'
      : e.code === 'EROFS' || e.code === 'EACCES' || e.code === 'EPERM'
        ? 'give a path you can write to'
        : 'check the path';
  return `cannot ${e.syscall}${path}: ${e.code}${text === undefined ? '' : ` (${text})`}; ${fix}`;
}
