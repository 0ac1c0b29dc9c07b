// Statechart of a resource (drivers/gpu/drm/ttm/ttm_resource.c): which list it is on, until freed.

import { setup } from 'xstate';

export type ResourceEvent =
  | { type: 'res.init'; memType: number; bo: string }
  | { type: 'res.bump'; list: string }
  | { type: 'res.fini' };

export const ttmResourceMachine = setup({
  types: { events: {} as ResourceEvent },
  guards: {
    toUnevictable: ({ event }) => event.type === 'res.bump' && event.list === 'unevictable',
  },
}).createMachine({
  id: 'ttm_resource',
  initial: 'allocated',
  states: {
    allocated: { on: { 'res.init': 'onLru' } },
    onLru: {
      on: {
        'res.bump': [{ guard: 'toUnevictable', target: 'unevictable' }, { target: 'onLru' }],
        'res.fini': 'freed',
      },
    },
    unevictable: {
      on: {
        'res.bump': [{ guard: 'toUnevictable', target: 'unevictable' }, { target: 'onLru' }],
        'res.fini': 'freed',
      },
    },
    freed: { type: 'final' },
  },
});
