// V8 settings for processes that run many simulations. They change how fast a run is, never what it
// does: no run's trace, token or outcome depends on them.
//
// Allocation-site pretenuring off. V8 watches what share of the objects each allocation site makes
// survives a young-generation collection, and from 85 % on it allocates that site's objects directly in
// the old generation. A run's world is garbage the moment the run ends, but while the engine's code is
// still interpreted (the first few thousand runs of a campaign) young collections keep whole runs alive
// (see the notes in src/sim/scenarios/race.ts and src/kernel/simdrv.ts), so dozens of the world's
// allocation sites were judged long-lived and stayed pretenured for the rest of the process. Their
// objects then held the young objects of every later run through each young collection: a quarter of
// the young generation survived, was copied and promoted, and `small` ran at half speed. Measured on
// `small` (node --single-threaded, 10,000 runs after 500 warm-up runs): 318 µs per run with
// pretenuring, 162 µs without.
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
