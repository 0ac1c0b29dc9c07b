// ttm-sim's public API: what `import { ... } from 'ttm-sim'` gives. Runs (also as a stream to watch
// live), replays, shrinking and campaigns from code (src/api/run.ts, src/api/fuzz.ts), an assertion
// for test runners (src/api/expect.ts), and the catalogues of scenarios, mutations and designs
// (src/api/catalogues.ts).
// Bad input throws TtmSimError with one message naming the problem (src/api/errors.ts).

export {
  type DesignInfo,
  designs,
  type MutationInfo,
  mutations,
  type ScenarioInfo,
  scenarios,
} from './api/catalogues.ts';
export { TtmSimError } from './api/errors.ts';
export {
  EXPECT_SCHEDULES,
  expectNoFailure,
  MESSAGE_TRACE_ROWS,
  type NoFailureOptions,
  ScheduleFailed,
  seedTitle,
} from './api/expect.ts';
export { type FuzzFailure, type FuzzOptions, type FuzzReport, fuzz } from './api/fuzz.ts';
export {
  type RunEvent,
  type RunOptions,
  type RunReport,
  replay,
  run,
  run$,
  type ShrinkOptions,
  type ShrinkReport,
  shrink,
  type TokenOptions,
} from './api/run.ts';
export type { TraceLine } from './engine/trace.ts';
export type { Envelope, Failure, Outcome } from './engine/types.ts';
export type { CampaignFaults, FoundFailure } from './explore/campaign.ts';
export type { SuiteProgress } from './explore/suite.ts';
export type { CounterTotals } from './kernel/counters.ts';
