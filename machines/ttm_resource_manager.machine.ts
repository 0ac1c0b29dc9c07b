// Statechart of a resource manager (ttm_resource.c, ttm_range_manager.c, ttm_sys_manager.c):
// enabled or not, with its usage in bytes as context. Usage is a sum of resource sizes: an update below
// zero is refused (ttm_resource_fini subtracts only what ttm_resource_init added).

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
  guards: { usageValid: ({ event }) => event.type === 'man.usage' && event.usage >= 0 },
}).createMachine({
  id: 'ttm_resource_manager',
  context: { usage: 0 },
  initial: 'unused',
  on: { 'man.usage': { guard: 'usageValid', actions: 'recordUsage' } },
  states: {
    unused: { on: { 'man.enable': 'used' } },
    used: { on: { 'man.disable': 'unused' } },
  },
});
