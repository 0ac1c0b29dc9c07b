// The error the public API throws for bad input (an unknown scenario, a malformed token, a seed out of
// range): one message naming the problem, as the command line prints it after `ttm-sim:`. Anything
// else that escapes the API is a simulator bug.

import { UsageError } from '../cli/errors.ts';

/** Bad input given to the API: `message` names the problem and the fix. */
export class TtmSimError extends Error {
  override readonly name = 'TtmSimError';
  /** The API function that refused the input (`run`, `replay`, `shrink`, `fuzz`, `expectNoFailure`). */
  readonly api: string;
  constructor(api: string, message: string) {
    super(`${api}: ${message}`);
    this.api = api;
  }
}

/** Run `body`, turning the command line's bad-input errors into a TtmSimError of `api`. */
export function checked<R>(api: string, body: () => R): R {
  try {
    return body();
  } catch (err) {
    if (err instanceof UsageError) throw new TtmSimError(api, optionNames(err.message));
    throw err;
  }
}

/** The command line's option names in a message, as the API spells them (`--mutation` is `mutations`). */
function optionNames(message: string): string {
  return message
    .replace(/^--mutation\b/, 'mutations')
    .replace(/^--design\b/, 'designs')
    .replace(/^--scenario\b/, 'scenario')
    .replace(/^--(seed|strategy|faults)\b/, '$1');
}

/** Refuse an input of `api`. */
export function refuse(api: string, message: string): never {
  throw new TtmSimError(api, message);
}

/** A seed as the API takes it (a number or a bigint), checked: an unsigned 64-bit integer. */
export function seedOf(
  api: string,
  name: string,
  value: number | bigint | undefined,
  fallback: bigint,
): bigint {
  if (value === undefined) return fallback;
  const ok = typeof value === 'bigint' || (typeof value === 'number' && Number.isSafeInteger(value));
  const seed = ok ? BigInt(value) : -1n;
  if (!ok || seed < 0n || seed >= 1n << 64n)
    refuse(api, `${name} must be an unsigned 64-bit integer (a number or a bigint), got ${String(value)}`);
  return seed;
}

/** A count of schedules, steps or milliseconds: a positive integer (finite). */
export function positive(api: string, name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0)
    refuse(api, `${name} must be a positive integer, got ${String(value)}`);
  return value;
}
