// What a tt tells its statechart must be true of the tt when it says it. The model reports every edge of
// a tt's life (src/kernel/tt.ts emits populate, unpopulate, swapout, backup, an interrupted restore and
// destroy); the chart (machines/ttm_tt.machine.ts) names its states after the flags and fields
// include/drm/ttm/ttm_tt.h documents for struct ttm_tt. Each event is judged against the tt at the point
// it is reported, so a trace that tells a different story from the object (an edge reported that did not
// happen, or reported before it happened) is a broken rule, not a silently wrong picture.
// Texts read from torvalds/linux include/drm/ttm/ttm_tt.h (≈v6.15, with the BACKED_UP flag and @restore).

import { TTM_TT_FLAG_BACKED_UP, TTM_TT_FLAG_PRIV_POPULATED, TTM_TT_FLAG_SWAPPED } from '../constants.ts';
import type { MirrorEvent } from '../env.ts';
import type { Tt } from '../tt.ts';
import { type KernelRule, kernelRule, warnOn } from './check.ts';

const TT_H = 'include/drm/ttm/ttm_tt.h';

export const TT_EVENT_AGREES = kernelRule(
  'tt.event.agrees',
  'return',
  'each edge a tt reports to its statechart holds of the tt when reported: populate leaves it PRIV_POPULATED and not BACKED_UP, unpopulate not PRIV_POPULATED, swapout SWAPPED with its swap storage, backup BACKED_UP, an interrupted restore BACKED_UP with its restore state kept, destroy without a page array; none but populate leaves it PRIV_POPULATED',
  [
    {
      file: TT_H,
      func: 'struct ttm_tt',
      text: 'TTM_TT_FLAG_PRIV_POPULATED: TTM internal only. DO NOT USE. This is set by TTM after ttm_tt_populate() has successfully returned, and is then unset when TTM calls ttm_tt_unpopulate().',
    },
    {
      file: TT_H,
      func: 'struct ttm_tt',
      text: 'TTM_TT_FLAG_BACKED_UP: TTM internal only. This is set if the struct ttm_tt has been (possibly partially) backed up.',
    },
    {
      file: TT_H,
      func: 'struct ttm_tt',
      text: "TTM_TT_FLAG_SWAPPED: Set by TTM when we've swapped out the pages.",
    },
    {
      file: TT_H,
      func: 'struct ttm_tt',
      text: '/** @restore: Partial restoration from backup state. TTM private */',
    },
  ],
);

/** The rules of this module, in catalogue order. */
export const TT_TRACE_RULES: readonly KernelRule[] = [TT_EVENT_AGREES];

/** What `event` says of `tt` that the tt does not hold, or '' when it holds all of it. */
export function ttEventDisagrees(tt: Tt, event: MirrorEvent): string {
  const f = tt.pageFlags;
  const populated = (f & TTM_TT_FLAG_PRIV_POPULATED) !== 0;
  const backedUp = (f & TTM_TT_FLAG_BACKED_UP) !== 0;
  const swapped = (f & TTM_TT_FLAG_SWAPPED) !== 0;
  switch (event.type) {
    case 'tt.populate':
      if (!populated) return 'not PRIV_POPULATED';
      return backedUp ? 'still BACKED_UP' : '';
    case 'tt.unpopulate':
      return populated ? 'still PRIV_POPULATED' : '';
    case 'tt.swapout':
      if (populated) return 'still PRIV_POPULATED';
      if (!swapped) return 'not SWAPPED';
      return tt.swapStorage === null ? 'SWAPPED without swap storage' : '';
    case 'tt.backup':
      if (populated) return 'still PRIV_POPULATED';
      return backedUp ? '' : 'not BACKED_UP';
    case 'tt.restore.interrupted':
      if (populated) return 'PRIV_POPULATED';
      if (!backedUp) return 'not BACKED_UP';
      return tt.restore === null ? 'no restore state kept to resume from' : '';
    case 'tt.destroy':
      if (populated) return 'still PRIV_POPULATED';
      return tt.pages !== null ? 'still holding its page array' : '';
    default:
      return '';
  }
}

/** A tt is about to report `event` to its statechart: judge it against the tt. */
export function checkTtEvent(tt: Tt, event: MirrorEvent): void {
  const wrong = ttEventDisagrees(tt, event);
  warnOn(
    tt.global,
    TT_EVENT_AGREES,
    wrong !== '',
    tt.id,
    wrong === '' ? '' : `${event.type} reported, but the tt is ${wrong}`,
  );
}
