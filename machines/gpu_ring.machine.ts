// Statechart of a GPU ring (a dma_fence timeline): fences are signalled in submission order.

import { assign, setup } from 'xstate';

export type RingEvent = { type: 'ring.submit' } | { type: 'ring.signal' };

export const gpuRingMachine = setup({
  types: { context: {} as { inFlight: number }, events: {} as RingEvent },
  actions: {
    submitted: assign({ inFlight: ({ context }) => context.inFlight + 1 }),
    signalled: assign({ inFlight: ({ context }) => context.inFlight - 1 }),
  },
  guards: { lastInFlight: ({ context }) => context.inFlight === 1 },
}).createMachine({
  id: 'gpu_ring',
  context: { inFlight: 0 },
  initial: 'idle',
  states: {
    idle: { on: { 'ring.submit': { target: 'busy', actions: 'submitted' } } },
    busy: {
      on: {
        'ring.submit': { actions: 'submitted' },
        'ring.signal': [
          { guard: 'lastInFlight', target: 'idle', actions: 'signalled' },
          { actions: 'signalled' },
        ],
      },
    },
  },
});
