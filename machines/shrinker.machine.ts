// Statechart of the driver's BO shrinker (xe_shrinker.c shape): idle, or scanning in its purge pass or
// its backup pass.

import { assign, setup } from 'xstate';

export type ShrinkerEvent =
  | { type: 'shrinker.scan'; target: number }
  | { type: 'shrinker.pass'; pass: 'purge' | 'backup' }
  | { type: 'shrinker.done'; freed: number };

export const shrinkerMachine = setup({
  types: { context: {} as { scans: number; freed: number }, events: {} as ShrinkerEvent },
  actions: {
    countScan: assign({ scans: ({ context }) => context.scans + 1 }),
    addFreed: assign({
      freed: ({ event, context }) => context.freed + (event.type === 'shrinker.done' ? event.freed : 0),
    }),
  },
  guards: { purgePass: ({ event }) => event.type === 'shrinker.pass' && event.pass === 'purge' },
}).createMachine({
  id: 'shrinker',
  context: { scans: 0, freed: 0 },
  initial: 'idle',
  states: {
    idle: { on: { 'shrinker.scan': { target: 'scanning', actions: 'countScan' } } },
    scanning: {
      initial: 'counting',
      on: {
        'shrinker.done': { target: 'idle', actions: 'addFreed' },
        'shrinker.pass': [{ guard: 'purgePass', target: '.purgePass' }, { target: '.backupPass' }],
      },
      states: {
        counting: {},
        purgePass: {},
        backupPass: {},
      },
    },
  },
});
