// Statechart of a device (drivers/gpu/drm/ttm/ttm_device.c).

import { setup } from 'xstate';

export type DeviceEvent = { type: 'dev.init' } | { type: 'dev.fini' };

export const ttmDeviceMachine = setup({ types: { events: {} as DeviceEvent } }).createMachine({
  id: 'ttm_device',
  initial: 'uninitialized',
  states: {
    uninitialized: { on: { 'dev.init': 'live' } },
    live: { on: { 'dev.fini': 'finished' } },
    finished: { type: 'final' },
  },
});
