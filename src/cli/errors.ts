// Bad input is reported as one line naming the problem and the fix, with exit code 2 and no stack trace.

export class UsageError extends Error {}

export function fail(message: string): never {
  throw new UsageError(message);
}
