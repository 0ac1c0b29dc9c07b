// Statechart of an IOMMU's IOVA space (the DMA API under ttm_pool_map and the designs' DMA binds; not
// part of TTM; the model is src/kernel/iommu.ts). One chart per IOVA space: every device put behind the
// IOMMU maps into it, so a space shared by two devices is one chart that both devices' maps and unmaps
// step. The space is `empty` (no mapping) or `used` (at least one); the context counts the IOVA pages
// in use, the live mappings and the maps that failed.
// The kernel model reports (Iommu.observer, through the simulated driver's watch of the device's memory):
//   mem.usage op=map    dma_map_page took a contiguous IOVA range: the pages in use grow;
//   mem.usage op=unmap  dma_unmap_page gave one back: the pages in use shrink, `empty` once none is left;
//   mem.fault op=fault  a map failed (IOVA exhausted or fragmented, or an injected failure): -EFAULT to the
//                       caller (dma_mapping_error), nothing taken, the space stays as it was.
// Refused, as the DMA API forbids or cannot do them: an unmap with nothing mapped (dma_unmap_page of an
// IOVA never mapped), a map that takes no IOVA page, an unmap that frees none.

import { assign, setup } from 'xstate';

export type IommuEvent = { type: 'mem.usage'; pages: number; op: string } | { type: 'mem.fault'; op: string };

export interface IommuContext {
  /** IOVA pages in use. */
  readonly pages: number;
  /** Live mappings (maps not yet unmapped). */
  readonly mappings: number;
  /** Maps that failed. */
  readonly faults: number;
}

export const iommuMachine = setup({
  types: { context: {} as IommuContext, events: {} as IommuEvent },
  actions: {
    mapped: assign({
      pages: ({ event, context }) => (event.type === 'mem.usage' ? event.pages : context.pages),
      mappings: ({ context }) => context.mappings + 1,
    }),
    unmapped: assign({
      pages: ({ event, context }) => (event.type === 'mem.usage' ? event.pages : context.pages),
      mappings: ({ context }) => context.mappings - 1,
    }),
    countFault: assign({ faults: ({ context }) => context.faults + 1 }),
  },
  guards: {
    /** dma_map_page succeeded: an IOVA range was taken, so more pages are in use. */
    mapTakesPages: ({ event, context }) =>
      event.type === 'mem.usage' && event.op === 'map' && event.pages > context.pages,
    /** dma_unmap_page of one of several mappings: fewer pages in use, some still mapped. */
    unmapLeavesSome: ({ event, context }) =>
      event.type === 'mem.usage' &&
      event.op === 'unmap' &&
      event.pages < context.pages &&
      event.pages > 0 &&
      context.mappings > 1,
    /** dma_unmap_page of the last mapping: nothing left in the space. */
    unmapLeavesNone: ({ event, context }) =>
      event.type === 'mem.usage' && event.op === 'unmap' && event.pages === 0 && context.mappings === 1,
  },
}).createMachine({
  id: 'iommu',
  context: { pages: 0, mappings: 0, faults: 0 },
  initial: 'empty',
  on: {
    // A failed map takes nothing, whatever the space holds.
    'mem.fault': { actions: 'countFault' },
  },
  states: {
    empty: {
      on: { 'mem.usage': { guard: 'mapTakesPages', target: 'used', actions: 'mapped' } },
    },
    used: {
      on: {
        'mem.usage': [
          { guard: 'mapTakesPages', actions: 'mapped' },
          { guard: 'unmapLeavesSome', actions: 'unmapped' },
          { guard: 'unmapLeavesNone', target: 'empty', actions: 'unmapped' },
        ],
      },
    },
  },
});
