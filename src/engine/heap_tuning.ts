// V8 settings for processes that run many simulations. They change how fast a run is, never what it
// does: no run's trace, token or outcome depends on them.
//
// Allocation-site pretenuring off. V8 watches what share of the objects each allocation site makes
// survives a young-generation collection, and from 85 % on it allocates that site's objects directly in
// the old generation, for good. A run's world is garbage the moment the run ends, but a few code patterns
// kept whole runs alive through young collections (generator functions made per run, closures stored
// into a property where they are made: see RaceRun in src/sim/scenarios/race.ts), so dozens of the
// world's allocation sites were judged long-lived and stayed pretenured for the rest of the process.
// Their objects then held the young objects of every later run through each young collection: a
// quarter of the young generation survived, was copied and promoted, and `small` ran at half speed
// (318 µs per run with pretenuring, 162 µs without, before those patterns were removed). The built-in
// scenarios no longer have those patterns; the flag stays so that one left in a scenario or in new
// code costs a slow warm-up, not a slow process.
// The flag is read at every collection, so setting it at start-up, before the first run, is enough.
// V8's flags belong to the process: worker threads started later run with it too.

import v8 from 'node:v8';

let tuned = false;

/** Apply the settings (once per process; later calls do nothing). */
export function tuneHeap(): void {
  if (tuned) return;
  tuned = true;
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
}
