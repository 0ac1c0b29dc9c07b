// The campaign layer's streams (src/explore/campaign_streams.ts): slice outcomes folded into slice order
// whatever order they arrive in, schedules pulled one at a time and stopped before the next one, stop
// reasons recorded before the schedule they stop, progress thinned on a caller's clock, and the exit code
// of a campaign a signal stopped.

import { EventEmitter } from 'node:events';
import { from, lastValueFrom, Subject, toArray } from 'rxjs';
import { describe, expect, test } from 'vitest';
import {
  exitCodeAfterSignal,
  outcomesInSliceOrder,
  type SliceEvent,
  type StopSignal,
  schedules$,
  stopSignals$,
  stopWhen,
  thinProgress,
} from '../../src/explore/campaign_streams.ts';

describe('campaign streams', () => {
  test('outcomesInSliceOrder: the same outcomes in slice order whichever slice finishes first', async () => {
    const events = (order: number[]): SliceEvent<string, string>[] =>
      order.flatMap((slice) => [
        { kind: 'message', slice, message: `progress ${slice}` } as const,
        { kind: 'outcome', slice, outcome: `slice ${slice} done` } as const,
      ]);
    const fold = (order: number[]) =>
      lastValueFrom(from(events(order)).pipe(outcomesInSliceOrder<string, string>(3)));
    const expected = ['slice 0 done', 'slice 1 done', 'slice 2 done'];
    expect(await fold([2, 0, 1])).toEqual(expected);
    expect(await fold([1, 2, 0])).toEqual(expected);
    expect(await fold([0, 1, 2])).toEqual(expected);
  });

  test('schedules$ with stopWhen: the stop is asked before each schedule and its reason recorded', async () => {
    let t = 0;
    const ran: number[] = [];
    let reason: string | null = null;
    await new Promise<void>((resolve) => {
      schedules$(3, 100, () => t)
        .pipe(
          stopWhen(
            () => (ran.length >= 4 ? 'failures' : null),
            (r) => {
              reason = r;
            },
          ),
        )
        .subscribe({
          next: (i) => {
            ran.push(i);
            t += 10;
          },
          complete: resolve,
        });
    });
    expect(ran).toEqual([3, 4, 5, 6]);
    expect(reason).toBe('failures');
  });

  test('schedules$ hands the event loop back every 50 ms of its clock, then goes on', async () => {
    let t = 0;
    const seen: number[] = [];
    const done = new Promise<void>((resolve) => {
      schedules$(0, 6, () => t).subscribe({
        next: (i) => {
          seen.push(i);
          t += 20;
        },
        complete: resolve,
      });
    });
    // Schedules 0, 1, 2 run at once (clock 0, 20, 40); at 60 the stream waits for the loop's next turn.
    expect(seen).toEqual([0, 1, 2]);
    await done;
    // Then 3, 4 (60, 80), a turn at 100, and 5.
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
  });

  test('thinProgress on a clock: a value passes when ms of that clock went by since the last one', async () => {
    let t = 0;
    const ticks = new Subject<number>();
    const passed: number[] = [];
    ticks.pipe(thinProgress(100, { now: () => t, since: 0 })).subscribe((v) => passed.push(v));
    for (let i = 0; i < 10; i++) {
      t += 40;
      ticks.next(i);
    }
    // Clock 40, 80, 120 (passes), 160, 200, 240 (passes), 280, 320, 360 (passes), 400.
    expect(passed).toEqual([2, 5, 8]);
    const all: number[] = [];
    const every = new Subject<number>();
    every.pipe(thinProgress(0)).subscribe((v) => all.push(v));
    for (let i = 0; i < 3; i++) every.next(i);
    expect(all).toEqual([0, 1, 2]);
  });

  test('stopSignals$: the first SIGINT or SIGTERM, then completion; listeners only while subscribed', async () => {
    const target = new EventEmitter();
    const got = lastValueFrom(stopSignals$(target as unknown as NodeJS.Process).pipe(toArray()));
    expect([target.listenerCount('SIGINT'), target.listenerCount('SIGTERM')]).toEqual([1, 1]);
    target.emit('SIGTERM');
    target.emit('SIGINT');
    expect(await got).toEqual(['SIGTERM']);
    expect([target.listenerCount('SIGINT'), target.listenerCount('SIGTERM')]).toEqual([0, 0]);
  });

  test('exitCodeAfterSignal: 130 becomes 143 for SIGTERM; a failure code stays', () => {
    const cases: [number, StopSignal | null][] = [
      [130, 'SIGTERM'],
      [130, 'SIGINT'],
      [130, null],
      [1, 'SIGTERM'],
      [0, null],
    ];
    expect(cases.map(([c, s]) => exitCodeAfterSignal(c, s))).toEqual([143, 130, 130, 1, 0]);
  });
});
