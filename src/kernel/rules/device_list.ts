// The global device list (struct ttm_global's device_list, drivers/gpu/drm/ttm/ttm_device.c): ttm_device_init
// adds the device ("list_add_tail(&bdev->device_list, &glob->device_list);") and ttm_device_fini removes
// it and nothing else ("list_del(&bdev->device_list);"). ttm_global_swapout walks that list to find BOs
// to swap out, and the last device to leave takes the global pools down, so a device that is still in
// use and dropped from the list is never swapped from and loses its pools. Checked on return of the
// model's ttm_device_fini against the list it found.

import type { Device, TtmGlobal } from '../device.ts';
import { type KernelRule, kernelRule, warnOn } from './check.ts';

const DEV = 'drivers/gpu/drm/ttm/ttm_device.c';

export const DEVICE_FINI_LIST = kernelRule(
  'device.fini.list',
  'return',
  'ttm_device_fini takes the device, and only it, off the global device list',
  [{ file: DEV, func: 'ttm_device_fini', text: 'list_del(&bdev->device_list);' }],
);

/** device.fini.list on return of ttm_device_fini of `bdev`: `before` the device list at the call. */
export function postDeviceFiniList(g: TtmGlobal | null, bdev: Device, before: readonly Device[]): void {
  const after = g?.deviceList ?? [];
  const expected = before.filter((d) => d !== bdev);
  const broken = after.length !== expected.length || expected.some((d, i) => after[i] !== d);
  let detail = '';
  if (broken) {
    const ids = (l: readonly Device[]) => `[${l.map((d) => d.id).join(', ')}]`;
    detail = `the list went from ${ids(before)} to ${ids(after)}`;
  }
  warnOn(g, DEVICE_FINI_LIST, broken, bdev.id, detail);
}

/** The rules of this module. */
export const DEVICE_LIST_RULES: readonly KernelRule[] = [DEVICE_FINI_LIST];
