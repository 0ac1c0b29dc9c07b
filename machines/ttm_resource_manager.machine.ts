// Statechart of a resource manager (ttm_resource.c, ttm_range_manager.c, ttm_sys_manager.c):
// enabled or not, with its usage in bytes as context.

import { assign, setup } from 'xstate';

export type ManagerEvent =
  | { type: 'man.enable' }
  | { type: 'man.disable' }
  | { type: 'man.usage'; usage: number };

export const ttmResourceManagerMachine = setup({
  types: { context: {} as { usage: number }, events: {} as ManagerEvent },
  actions: {
    recordUsage: assign({
      usage: ({ event, context }) => (event.type === 'man.usage' ? event.usage : context.usage),
    }),
  },
}).createMachine({
  id: 'ttm_resource_manager',
  context: { usage: 0 },
  initial: 'unused',
  on: { 'man.usage': { actions: 'recordUsage' } },
  states: {
    unused: { on: { 'man.enable': 'used' } },
    used: { on: { 'man.disable': 'unused' } },
  },
});
