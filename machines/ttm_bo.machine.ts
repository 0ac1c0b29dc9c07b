// Statechart of a buffer object (drivers/gpu/drm/ttm/ttm_bo.c). The kernel model (src/kernel/bo.ts)
// decides; this chart receives the edges it takes, so each BO's lifecycle, placement and pinning is an
// inspectable state, and an edge the chart has no transition for is caught as a simulator bug.

import { assign, setup } from 'xstate';
import { TTM_PL_SYSTEM, TTM_PL_TT, TTM_PL_VRAM } from '../src/kernel/constants.ts';

export interface BoContext {
  readonly size: number;
  readonly memType: number | null;
  readonly pinCount: number;
  readonly moves: number;
  readonly evictions: number;
  /** CPU mapping zaps (ttm_bo_unmap_virtual). */
  readonly unmaps: number;
  /** Page flags of the BO's tt when it was created (null: none yet). */
  readonly ttFlags: number | null;
}

export type BoEvent =
  | { type: 'bo.create'; size: number }
  | { type: 'bo.init'; boType: string }
  | { type: 'bo.ghost'; of: string }
  | { type: 'bo.tt'; flags: number }
  | { type: 'bo.placed'; memType: number; res: string }
  | { type: 'bo.unplaced' }
  | { type: 'bo.moved'; memType: number; bytes: number }
  | { type: 'bo.evicted'; memType: number; bytes: number }
  | { type: 'bo.gutted' }
  | { type: 'bo.unmap' }
  | { type: 'bo.pin'; count: number }
  | { type: 'bo.unpin'; count: number }
  | { type: 'bo.zombie' }
  | { type: 'bo.destroy' };

function placedIn(memType: number) {
  return ({ event }: { event: BoEvent }) => event.type === 'bo.placed' && event.memType === memType;
}

export const ttmBoMachine = setup({
  types: { context: {} as BoContext, events: {} as BoEvent, input: {} as { size: number } },
  actions: {
    recordPlacement: assign({ memType: ({ event }) => (event.type === 'bo.placed' ? event.memType : null) }),
    clearPlacement: assign({ memType: () => null }),
    recordPin: assign({
      pinCount: ({ event, context }) =>
        event.type === 'bo.pin' || event.type === 'bo.unpin' ? event.count : context.pinCount,
    }),
    clearPin: assign({ pinCount: () => 0 }),
    countMove: assign({ moves: ({ context }) => context.moves + 1 }),
    countEviction: assign({ evictions: ({ context }) => context.evictions + 1 }),
    countUnmap: assign({ unmaps: ({ context }) => context.unmaps + 1 }),
    recordTt: assign({
      ttFlags: ({ event, context }) => (event.type === 'bo.tt' ? event.flags : context.ttFlags),
    }),
  },
  guards: {
    inSystem: placedIn(TTM_PL_SYSTEM),
    inTt: placedIn(TTM_PL_TT),
    inVram: placedIn(TTM_PL_VRAM),
    lastUnpin: ({ event }) => event.type === 'bo.unpin' && event.count === 0,
  },
}).createMachine({
  id: 'ttm_bo',
  type: 'parallel',
  context: ({ input }) => ({
    size: input.size,
    memType: null,
    pinCount: 0,
    moves: 0,
    evictions: 0,
    unmaps: 0,
    ttFlags: null,
  }),
  on: { 'bo.unmap': { actions: 'countUnmap' }, 'bo.tt': { actions: 'recordTt' } },
  states: {
    lifecycle: {
      initial: 'allocated',
      states: {
        allocated: { on: { 'bo.init': 'initialized', 'bo.ghost': 'ghost', 'bo.destroy': 'destroyed' } },
        initialized: { on: { 'bo.zombie': 'zombie', 'bo.destroy': 'destroyed' } },
        ghost: { on: { 'bo.zombie': 'zombie', 'bo.destroy': 'destroyed' } },
        zombie: { on: { 'bo.destroy': 'destroyed' } },
        destroyed: { type: 'final' },
      },
    },
    placement: {
      initial: 'unplaced',
      on: {
        'bo.placed': [
          { guard: 'inSystem', target: '.placed.system', actions: 'recordPlacement' },
          { guard: 'inTt', target: '.placed.tt', actions: 'recordPlacement' },
          { guard: 'inVram', target: '.placed.vram', actions: 'recordPlacement' },
          { target: '.placed.driver', actions: 'recordPlacement' },
        ],
        'bo.unplaced': { target: '.unplaced', actions: 'clearPlacement' },
        'bo.moved': { actions: 'countMove' },
        'bo.evicted': { actions: 'countEviction' },
      },
      states: {
        unplaced: {},
        placed: {
          initial: 'system',
          states: { system: {}, tt: {}, vram: {}, driver: {} },
        },
      },
    },
    pin: {
      initial: 'unpinned',
      states: {
        unpinned: { on: { 'bo.pin': { target: 'pinned', actions: 'recordPin' } } },
        pinned: {
          on: {
            'bo.pin': { actions: 'recordPin' },
            'bo.unpin': [
              { guard: 'lastUnpin', target: 'unpinned', actions: 'recordPin' },
              { actions: 'recordPin' },
            ],
            'bo.zombie': { target: 'unpinned', actions: 'clearPin' },
          },
        },
      },
    },
  },
});
