// Statecharts of the memory a world has besides device memory: the TTM page pool's free pages
// (ttm_pool.c) and the swap space backups go to (shmem / ttm_backup.c). Each keeps its usage in pages as
// context (the viewer and Perfetto counters read it). A usage below zero pages is refused (more freed
// than was ever taken: ttm_pool.c's allocated_pages and the swap space only count what was handed out).
// An IOMMU's IOVA space has a chart of its own (iommu.machine.ts).

import { assign, setup } from 'xstate';

export type UsageEvent = { type: 'mem.usage'; pages: number; op: string } | { type: 'mem.fault'; op: string };

function usageMachine(id: string) {
  return setup({
    types: { context: {} as { pages: number; faults: number }, events: {} as UsageEvent },
    actions: {
      record: assign({
        pages: ({ event, context }) => (event.type === 'mem.usage' ? event.pages : context.pages),
      }),
      countFault: assign({ faults: ({ context }) => context.faults + 1 }),
    },
    guards: {
      nowEmpty: ({ event }) => event.type === 'mem.usage' && event.pages === 0,
      nowUsed: ({ event }) => event.type === 'mem.usage' && event.pages > 0,
    },
  }).createMachine({
    id,
    context: { pages: 0, faults: 0 },
    initial: 'empty',
    on: {
      'mem.usage': [
        { guard: 'nowEmpty', target: '.empty', actions: 'record' },
        { guard: 'nowUsed', target: '.used', actions: 'record' },
      ],
      'mem.fault': { actions: 'countFault' },
    },
    states: { empty: {}, used: {} },
  });
}

export const ttmPoolMachine = usageMachine('ttm_pool');
export const swapMachine = usageMachine('swap');
