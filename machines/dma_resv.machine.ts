// Statechart of a reservation object's ww_mutex (drivers/dma-buf/dma-resv.c, kernel/locking/ww_mutex.h).
// Taken (or handed over, or its waiters changing) in any state; released only while locked: unlocking an
// unlocked ww_mutex is a bug the chart refuses (kernel/locking/mutex.c __mutex_unlock_slowpath warns
// when the owner is not the unlocking task).

import { assign, setup } from 'xstate';

export type ResvEvent = { type: 'resv.locked'; by: string; waiters: number } | { type: 'resv.unlocked' };

export const dmaResvMachine = setup({
  types: { context: {} as { holder: string | null }, events: {} as ResvEvent },
  actions: {
    recordHolder: assign({ holder: ({ event }) => (event.type === 'resv.locked' ? event.by : null) }),
  },
  guards: {
    hasWaiters: ({ event }) => event.type === 'resv.locked' && event.waiters > 0,
  },
}).createMachine({
  id: 'dma_resv',
  context: { holder: null },
  initial: 'unlocked',
  on: {
    'resv.locked': [
      { guard: 'hasWaiters', target: '.locked.contended', actions: 'recordHolder' },
      { target: '.locked.uncontended', actions: 'recordHolder' },
    ],
  },
  states: {
    unlocked: {},
    locked: {
      initial: 'uncontended',
      on: { 'resv.unlocked': { target: 'unlocked', actions: 'recordHolder' } },
      states: { uncontended: {}, contended: {} },
    },
  },
});
