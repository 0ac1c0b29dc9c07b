import { expectNoFailure, ScheduleFailed, seedTitle } from 'ttm-sim';
import { describe, expect, it } from 'vitest';

describe('bulk LRU moves under eviction, suspend and resume', () => {
  const options = { scenario: 'bulk-lru', schedules: 24 };

  it(seedTitle('no schedule breaks a kernel rule', options), async () => {
    await expectNoFailure(options);
  });

  it('with the bulk-move-pinned bug put back, a schedule fails and is shrunk', async () => {
    const run = expectNoFailure({ ...options, mutations: ['bulk-move-pinned'] });
    await expect(run).rejects.toThrow(ScheduleFailed);
    await expect(run).rejects.toThrow(/pinned\.resident/);
  });
});
