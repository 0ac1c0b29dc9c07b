// A run judged by this layer's pieces: the per-step oracles (src/explore/oracles/) and the naming of a
// livelock's cycle (livelock.ts), handed to the run of src/sim/run.ts. Everything above src/sim runs
// scenarios through here; the run's options and result are src/sim/run.ts's.

export {
  countersOf,
  DEFAULT_MAX_STEPS,
  exactReplayOptions,
  type RunOptions,
  type RunResult,
  runScenario,
  signatureOf,
} from '../sim/run.ts';
