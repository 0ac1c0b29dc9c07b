// Statechart of a ttm_tt (drivers/gpu/drm/ttm/ttm_tt.c, ttm_pool.c backup/restore): where the BO's
// pages are. Unpopulated → populated; populated → swapped (legacy, whole object) or backed up (per page,
// partial allowed, or purged); a restore can be interrupted and resumed (restoring) before the tt is
// populated again. ttm_tt_destroy unpopulates first (ttm_tt_fini WARNs on a populated tt: its pages would
// leak), so destroy is refused while populated, and everything is refused once destroyed.

import { assign, setup } from 'xstate';

export type TtEvent =
  | { type: 'tt.populate'; pages: number }
  | { type: 'tt.unpopulate' }
  | { type: 'tt.swapout'; pages: number }
  | { type: 'tt.backup'; pages: number; purge: boolean }
  | { type: 'tt.restore.interrupted' }
  | { type: 'tt.destroy' };

export const ttmTtMachine = setup({
  types: { context: {} as { backedUp: number; restoreInterrupts: number }, events: {} as TtEvent },
  actions: {
    recordBackup: assign({
      backedUp: ({ event, context }) => (event.type === 'tt.backup' ? event.pages : context.backedUp),
    }),
    countInterrupt: assign({ restoreInterrupts: ({ context }) => context.restoreInterrupts + 1 }),
  },
  guards: {
    purged: ({ event }) => event.type === 'tt.backup' && event.purge,
  },
}).createMachine({
  id: 'ttm_tt',
  context: { backedUp: 0, restoreInterrupts: 0 },
  initial: 'unpopulated',
  states: {
    unpopulated: { on: { 'tt.populate': 'populated', 'tt.destroy': 'destroyed' } },
    populated: {
      on: {
        'tt.unpopulate': 'unpopulated',
        'tt.swapout': 'swapped',
        'tt.backup': [
          { guard: 'purged', target: 'purged', actions: 'recordBackup' },
          { target: 'backedUp', actions: 'recordBackup' },
        ],
      },
    },
    swapped: { on: { 'tt.populate': 'populated', 'tt.destroy': 'destroyed' } },
    backedUp: {
      on: {
        'tt.populate': 'populated',
        'tt.destroy': 'destroyed',
        'tt.restore.interrupted': { target: 'restoring', actions: 'countInterrupt' },
      },
    },
    restoring: {
      on: {
        'tt.populate': 'populated',
        'tt.destroy': 'destroyed',
        'tt.restore.interrupted': { target: 'restoring', actions: 'countInterrupt' },
      },
    },
    purged: { on: { 'tt.populate': 'populated', 'tt.destroy': 'destroyed' } },
    destroyed: { type: 'final' },
  },
});
