// The streams of the campaign layer, as RxJS: the schedules of a campaign pulled one at a time (handing
// the event loop back every few milliseconds, so progress is drawn and signals arrive), the stop
// requests that end a campaign between two schedules (SIGINT, SIGTERM, a stop flag another thread sets,
// the time budget, the failure limit), progress thinned with throttleTime, and the results of slices
// running on several worker threads merged and folded with scan into slice order, so what a campaign
// reports never depends on which thread finished first. Wall-clock time decides only when a campaign
// stops and when progress is drawn, never what a schedule does.

import {
  EMPTY,
  filter,
  fromEvent,
  identity,
  type MonoTypeOperatorFunction,
  map,
  merge,
  Observable,
  type OperatorFunction,
  scan,
  take,
  takeWhile,
  throttleTime,
} from 'rxjs';

/** How many milliseconds a campaign computes before it hands the event loop back. */
export const YIELD_EVERY_MS = 50;

/** The signals that stop a campaign between two schedules, with everything found so far saved. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** The exit code of a campaign stopped by `signal` with nothing found: 128 + the signal's number. */
export const SIGNAL_EXIT_CODE: Readonly<Record<StopSignal, number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * The exit code of a campaign that ended with `code` (130 when a stop signal interrupted it with nothing
 * found), given the signal that stopped it: 143 for SIGTERM.
 */
export function exitCodeAfterSignal(code: number, signal: StopSignal | null): number {
  return code === SIGNAL_EXIT_CODE.SIGINT && signal !== null ? SIGNAL_EXIT_CODE[signal] : code;
}

/**
 * The first SIGINT or SIGTERM the process receives, then completion. While subscribed, the process
 * handles both itself (Node's default of dying at once is off), so the campaign can save and report.
 */
export function stopSignals$(target: Pick<NodeJS.Process, 'on' | 'off'> = process): Observable<StopSignal> {
  const listeners = target as unknown as NodeJS.EventEmitter;
  return merge(...STOP_SIGNALS.map((s) => fromEvent(listeners, s).pipe(map((): StopSignal => s)))).pipe(
    take(1),
  );
}

/**
 * The schedule numbers `from`, `from + 1`, … below `to`, each emitted when the one before was consumed
 * (synchronously: a subscriber that runs a schedule per number runs them one after another). Every
 * YIELD_EVERY_MS of `now` the stream waits for the event loop's next turn (setImmediate) before the next
 * number, so timers, signals and progress get their turn. Unsubscribing stops it before the next number.
 */
export function schedules$(from: number, to: number, now: () => number): Observable<number> {
  return new Observable<number>((sub) => {
    let next = from;
    let lastYield = now();
    let pending: NodeJS.Immediate | null = null;
    const pump = (): void => {
      pending = null;
      while (!sub.closed && next < to) {
        if (now() - lastYield >= YIELD_EVERY_MS) {
          pending = setImmediate(resume);
          return;
        }
        const i = next;
        next += 1;
        sub.next(i);
      }
      if (!sub.closed) sub.complete();
    };
    const resume = (): void => {
      lastYield = now();
      pump();
    };
    pump();
    return () => {
      if (pending !== null) clearImmediate(pending);
    };
  });
}

/**
 * Let values through while `stop()` says nothing: the first time it names a reason, record it with
 * `onStop` and complete before that value (a stop is asked before each schedule, never after).
 */
export function stopWhen<T, R>(
  stop: () => R | null,
  onStop: (reason: R) => void,
): MonoTypeOperatorFunction<T> {
  return takeWhile<T>(() => {
    const r = stop();
    if (r === null) return true;
    onStop(r);
    return false;
  });
}

/**
 * Progress at most once per `ms` (every value when `ms` is 0). On wall-clock time (no `clock`) that is
 * RxJS's throttleTime, the first value at once; on a clock the caller gives (a test's clock that moves at
 * every reading, so where a campaign stops is a function of the run) a value passes when `ms` of that
 * clock went by since the last one that passed, or since `since`.
 */
export function thinProgress<T>(
  ms: number,
  clock?: { readonly now: () => number; readonly since: number },
): MonoTypeOperatorFunction<T> {
  if (ms <= 0) return identity;
  if (clock === undefined) return throttleTime<T>(ms, undefined, { leading: true, trailing: false });
  let last = clock.since;
  return filter<T>(() => {
    const t = clock.now();
    if (t - last < ms) return false;
    last = t;
    return true;
  });
}

/** One slice's stream: its messages while it runs, then its outcome. */
export type SliceEvent<M, O> =
  | { readonly kind: 'message'; readonly slice: number; readonly message: M }
  | { readonly kind: 'outcome'; readonly slice: number; readonly outcome: O };

/**
 * Fold slice events into the outcomes in slice order (an entry stays undefined until its slice is
 * done): the same array whatever order the slices finish in.
 */
export function outcomesInSliceOrder<M, O>(
  count: number,
): OperatorFunction<SliceEvent<M, O>, readonly (O | undefined)[]> {
  return scan<SliceEvent<M, O>, (O | undefined)[]>((acc, e) => {
    if (e.kind !== 'outcome') return acc;
    const out = acc.slice();
    out[e.slice] = e.outcome;
    return out;
  }, new Array<O | undefined>(count).fill(undefined));
}

/** The stream of a finished promise's value, or none when `p` is null. */
export function fromOutcome<O>(p: Promise<O> | null): Observable<O> {
  if (p === null) return EMPTY;
  return new Observable<O>((sub) => {
    p.then(
      (v) => {
        sub.next(v);
        sub.complete();
      },
      (e: unknown) => sub.error(e),
    );
  });
}
