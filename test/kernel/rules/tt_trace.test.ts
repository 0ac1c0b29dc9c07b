// Tests of src/kernel/rules/tt_trace.ts (tt.event.agrees: each edge a tt reports to its statechart holds
// of the tt) and of the end checks trace.resource-state and trace.tt-state (src/sim/end_checks.ts: after
// teardown the resource and tt statecharts agree with what the BOs still hold). A real life of a tt, with
// an interrupted restore, passes; an edge reported that the tt does not show, or a chart left behind,
// breaks exactly that check with its id, actor and message.

import { describe, expect, test } from 'vitest';
import { EINTR } from '../../../src/kernel/errno.ts';
import { ttmPoolRestoreAndAlloc } from '../../../src/kernel/pool.ts';
import { checkTtEvent, TT_TRACE_RULES, ttEventDisagrees } from '../../../src/kernel/rules/tt_trace.ts';
import { KERNEL_RULES } from '../../../src/kernel/rules.ts';
import { runSync } from '../../../src/kernel/sync.ts';
import { ttmTtBackup, ttmTtDestroy } from '../../../src/kernel/tt.ts';
import { END_CHECKS, traceObjectsChecks, type WorldRecord } from '../../../src/sim/end_checks.ts';
import { xeWorld } from '../../explore/oracles/worlds.ts';
import { intrCtx, populate, shrinkableTt, world, xeFuncs } from '../page_fixtures.ts';

const PREFIX =
  'each edge a tt reports to its statechart holds of the tt when reported: populate leaves it PRIV_POPULATED and not BACKED_UP, unpopulate not PRIV_POPULATED, swapout SWAPPED with its swap storage, backup BACKED_UP, an interrupted restore BACKED_UP with its restore state kept, destroy without a page array; none but populate leaves it PRIV_POPULATED';

describe('TT_TRACE_RULES', () => {
  test('one return check with one-line upstream texts from ttm_tt.h, in KERNEL_RULES', () => {
    expect(TT_TRACE_RULES.map((r) => r.id)).toEqual(['tt.event.agrees']);
    for (const r of TT_TRACE_RULES) {
      expect(r.when).toBe('return');
      expect(KERNEL_RULES).toContain(r);
      expect(r.upstream.map((u) => u.file)).toEqual([
        'include/drm/ttm/ttm_tt.h',
        'include/drm/ttm/ttm_tt.h',
        'include/drm/ttm/ttm_tt.h',
        'include/drm/ttm/ttm_tt.h',
      ]);
      for (const u of r.upstream) expect(u.text).not.toContain('\n');
    }
  });
});

describe('tt.event.agrees', () => {
  test('a whole life (populate, backup, an interrupted restore, its resume, destroy) reports only what holds', () => {
    const t = world({ funcs: xeFuncs });
    const before = TT_TRACE_RULES[0]!.evaluations[0]!;
    const { tt } = shrinkableTt(t, 3);
    expect(ttmTtBackup(t.bdev, tt, { purge: false, writeback: false })).toBe(3);
    t.global.swap.interruptAfterReads = 2;
    // xe_ttm_tt_populate restores a backed-up tt.
    expect(populate(t, tt, intrCtx())).toBe(-EINTR);
    expect(tt.restore).not.toBeNull();
    expect(populate(t, tt, intrCtx())).toBe(0);
    ttmTtDestroy(t.bdev, tt);
    expect(t.global.ruleBroken).toBeNull();
    const told = t.env.events.filter((e) => e.kind === 'tt' && e.id === tt.id).map((e) => e.event.type);
    expect(told).toEqual([
      'tt.populate',
      'tt.backup',
      'tt.restore.interrupted',
      'tt.populate',
      'tt.unpopulate',
      'tt.destroy',
    ]);
    expect(TT_TRACE_RULES[0]!.evaluations[0]! - before).toBe(6);
  });

  test('an interrupted restore reported for a restore that completed breaks it (no restore state is kept)', () => {
    const t = world();
    const { tt } = shrinkableTt(t, 2);
    expect(ttmTtBackup(t.bdev, tt, { purge: false, writeback: false })).toBe(2);
    expect(runSync(t.env, ttmPoolRestoreAndAlloc(t.bdev.pool, tt, intrCtx()))).toBe(0);
    // ttm_pool_restore_and_alloc returned 0: BACKED_UP is still set until ttm_tt_restore clears it.
    expect(ttEventDisagrees(tt, { type: 'tt.restore.interrupted' })).toBe(
      'no restore state kept to resume from',
    );
    checkTtEvent(tt, { type: 'tt.restore.interrupted' });
    expect(t.global.ruleBroken?.rule.id).toBe('tt.event.agrees');
    expect(t.global.ruleBroken?.actor).toBe(tt.id);
    expect(t.global.ruleBroken?.message).toBe(
      `${PREFIX}: tt.restore.interrupted reported, but the tt is no restore state kept to resume from`,
    );
  });

  test('each edge against a tt that does not show it', () => {
    const t = world();
    const { tt } = shrinkableTt(t, 2);
    // Populated, not backed up, not swapped.
    expect(ttEventDisagrees(tt, { type: 'tt.populate' })).toBe('');
    expect(ttEventDisagrees(tt, { type: 'tt.unpopulate' })).toBe('still PRIV_POPULATED');
    expect(ttEventDisagrees(tt, { type: 'tt.swapout' })).toBe('still PRIV_POPULATED');
    expect(ttEventDisagrees(tt, { type: 'tt.backup' })).toBe('still PRIV_POPULATED');
    expect(ttEventDisagrees(tt, { type: 'tt.restore.interrupted' })).toBe('PRIV_POPULATED');
    expect(ttEventDisagrees(tt, { type: 'tt.destroy' })).toBe('still PRIV_POPULATED');
    expect(ttmTtBackup(t.bdev, tt, { purge: false, writeback: false })).toBe(2);
    // Backed up: no longer populated, BACKED_UP, no restore state yet.
    expect(ttEventDisagrees(tt, { type: 'tt.backup' })).toBe('');
    expect(ttEventDisagrees(tt, { type: 'tt.populate' })).toBe('not PRIV_POPULATED');
    expect(ttEventDisagrees(tt, { type: 'tt.swapout' })).toBe('not SWAPPED');
    expect(ttEventDisagrees(tt, { type: 'tt.restore.interrupted' })).toBe(
      'no restore state kept to resume from',
    );
    expect(ttEventDisagrees(tt, { type: 'tt.destroy' })).toBe('still holding its page array');
    expect(t.global.ruleBroken).toBeNull();
  });
});

/** A chart view over a fixed map of chart states. */
function charts(states: Record<string, string>): { ids(): string[]; state(id: string): string | undefined } {
  return { ids: () => Object.keys(states), state: (id) => states[id] };
}

describe('trace.resource-state and trace.tt-state', () => {
  test('catalogued as end checks', () => {
    for (const id of ['trace.resource-state', 'trace.tt-state'])
      expect(END_CHECKS.find((c) => c.id === id)?.when).toBe('end');
  });

  test('charts that agree with what the BOs hold pass; a chart left live for an object no BO holds, or freed for one a BO holds, breaks the check', () => {
    const w = xeWorld();
    const bo = w.bo;
    const tt = bo.ttm!;
    const rec: WorldRecord = { global: w.global, devices: [], iommus: [], bos: [bo] };
    const res = bo.resource!.id;
    const agree = { [res]: 'onLru', [tt.id]: 'populated', 'res:99': 'freed', 'tt:99': 'destroyed' };
    expect(traceObjectsChecks(charts(agree), [rec], true)).toEqual([]);
    // Before teardown nothing is judged.
    expect(traceObjectsChecks(charts({ ...agree, 'res:99': 'onLru' }), [rec], false)).toEqual([]);
    expect(traceObjectsChecks(charts({ ...agree, 'res:99': 'unevictable' }), [rec], true)).toEqual([
      {
        id: 'trace.resource-state',
        actor: 'res:99',
        message:
          'no BO holds res:99 any more, but its statechart is in unevictable: its ttm_resource_fini was not traced',
      },
    ]);
    expect(traceObjectsChecks(charts({ ...agree, [res]: 'freed' }), [rec], true)).toEqual([
      {
        id: 'trace.resource-state',
        actor: res,
        message: `a BO still holds ${res}, but its statechart is in freed`,
      },
    ]);
    expect(traceObjectsChecks(charts({ ...agree, 'tt:99': 'unpopulated' }), [rec], true)).toEqual([
      {
        id: 'trace.tt-state',
        actor: 'tt:99',
        message:
          'no BO holds tt:99 any more, but its statechart is in unpopulated: its ttm_tt_destroy was not traced',
      },
    ]);
    expect(traceObjectsChecks(charts({ ...agree, [tt.id]: 'destroyed' }), [rec], true)).toEqual([
      {
        id: 'trace.tt-state',
        actor: tt.id,
        message: `a BO still holds ${tt.id}, but its statechart is in destroyed`,
      },
    ]);
  });
});
