// CPU mapping invariant (ttm_bo_vm.c): no PTE outlives the memory it maps. Every move, swapout and
// shrink zaps the BO's mappings first (ttm_bo_unmap_virtual), so a PTE of a live BO always points at
// memory the BO owns now.

import { memTypeName } from '../../kernel/constants.ts';
import type { TtmGlobal } from '../../kernel/device.ts';
import { fail, type Violation } from './types.ts';

/**
 * pte.ownership: every PTE of every mapping of a live BO points at memory the BO owns now: a 'page' PTE
 * at a frame of bo.ttm.pages, an 'iomem' PTE inside bo.resource of the same memory type in a manager
 * without tts, a 'dummy' PTE only once the device is unplugged. Returns the first stale PTE, or null.
 */
export function checkPteOwnership(g: TtmGlobal): Violation | null {
  const id = 'pte.ownership';
  for (const bo of g.bos) {
    if (bo.mappings.size === 0) continue;
    let frames: Set<number> | null = null;
    for (const vma of bo.mappings) {
      for (const [page, pte] of vma.ptes) {
        if (pte.kind === 'dummy') {
          if (!bo.bdev.unplugged) {
            return fail(
              id,
              bo.id,
              `${vma.id} page ${page} maps the dummy page, but ${bo.bdev.id} is not unplugged`,
            );
          }
        } else if (pte.kind === 'page') {
          frames ??= new Set((bo.ttm?.pages ?? []).filter((p): p is number => typeof p === 'number'));
          if (!frames.has(pte.pfn)) {
            return fail(
              id,
              bo.id,
              `${vma.id} page ${page} maps frame ${pte.pfn}, which ${bo.ttm === null ? `${bo.id} (no tt)` : bo.ttm.id} does not hold`,
            );
          }
        } else {
          const res = bo.resource;
          const man = res === null ? null : bo.bdev.manager(res.memType);
          const inside =
            res !== null &&
            man !== null &&
            !man.useTt &&
            pte.memType === res.memType &&
            pte.pfn >= res.start &&
            pte.pfn < res.start + res.numPages;
          if (!inside) {
            const where =
              res === null
                ? 'no resource'
                : `${res.id} (${memTypeName(res.memType)} pages ${res.start}..${res.start + res.numPages - 1})`;
            return fail(
              id,
              bo.id,
              `${vma.id} page ${page} maps ${pte.memType === null ? '?' : memTypeName(pte.memType)} page ${pte.pfn}, outside ${bo.id}'s ${where}`,
            );
          }
        }
      }
    }
  }
  return null;
}
