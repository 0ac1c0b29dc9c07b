// Statechart of a buffer object (drivers/gpu/drm/ttm/ttm_bo.c). The kernel model (src/kernel/bo.ts)
// decides; this chart receives the edges it takes, so each BO's lifecycle, placement and pinning is an
// inspectable state, and an edge the chart has no transition for is caught as a simulator bug. What the
// kernel forbids is refused: any event once the BO is destroyed (its memory is gone); a move, eviction or
// unplacing of a BO that has no placement; a pin count that moves by anything but one (ttm_bo_pin
// increments, ttm_bo_unpin decrements and refuses to go below zero).

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
  /** The BO was destroyed (bo->destroy called): every later event is refused. */
  readonly destroyed: boolean;
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
  return ({ context, event }: { context: BoContext; event: BoEvent }) =>
    !context.destroyed && event.type === 'bo.placed' && event.memType === memType;
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
    recordDestroy: assign({ destroyed: () => true }),
  },
  guards: {
    alive: ({ context }) => !context.destroyed,
    inSystem: placedIn(TTM_PL_SYSTEM),
    inTt: placedIn(TTM_PL_TT),
    inVram: placedIn(TTM_PL_VRAM),
    inDriver: ({ context, event }) => !context.destroyed && event.type === 'bo.placed',
    pinUp: ({ context, event }) =>
      !context.destroyed && event.type === 'bo.pin' && event.count === context.pinCount + 1,
    unpinDown: ({ context, event }) =>
      !context.destroyed && event.type === 'bo.unpin' && event.count === context.pinCount - 1,
    lastUnpin: ({ context, event }) =>
      !context.destroyed && event.type === 'bo.unpin' && event.count === 0 && context.pinCount === 1,
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
    destroyed: false,
  }),
  on: {
    'bo.unmap': { guard: 'alive', actions: 'countUnmap' },
    'bo.tt': { guard: 'alive', actions: 'recordTt' },
  },
  states: {
    lifecycle: {
      initial: 'allocated',
      states: {
        allocated: {
          on: {
            'bo.init': 'initialized',
            'bo.ghost': 'ghost',
            'bo.destroy': { target: 'destroyed', actions: 'recordDestroy' },
          },
        },
        initialized: {
          on: { 'bo.zombie': 'zombie', 'bo.destroy': { target: 'destroyed', actions: 'recordDestroy' } },
        },
        ghost: {
          on: { 'bo.zombie': 'zombie', 'bo.destroy': { target: 'destroyed', actions: 'recordDestroy' } },
        },
        zombie: { on: { 'bo.destroy': { target: 'destroyed', actions: 'recordDestroy' } } },
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
          { guard: 'inDriver', target: '.placed.driver', actions: 'recordPlacement' },
        ],
      },
      states: {
        unplaced: {},
        placed: {
          initial: 'system',
          on: {
            'bo.unplaced': { guard: 'alive', target: 'unplaced', actions: 'clearPlacement' },
            'bo.moved': { guard: 'alive', actions: 'countMove' },
            'bo.evicted': { guard: 'alive', actions: 'countEviction' },
          },
          states: { system: {}, tt: {}, vram: {}, driver: {} },
        },
      },
    },
    pin: {
      initial: 'unpinned',
      states: {
        unpinned: { on: { 'bo.pin': { guard: 'pinUp', target: 'pinned', actions: 'recordPin' } } },
        pinned: {
          on: {
            'bo.pin': { guard: 'pinUp', actions: 'recordPin' },
            'bo.unpin': [
              { guard: 'lastUnpin', target: 'unpinned', actions: 'recordPin' },
              { guard: 'unpinDown', actions: 'recordPin' },
            ],
            'bo.zombie': { guard: 'alive', target: 'unpinned', actions: 'clearPin' },
          },
        },
      },
    },
  },
});
