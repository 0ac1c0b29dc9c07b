// Which page a CPU mapping maps (ttm_bo_vm.c ttm_bo_vm_fault_reserved): a fault at BO page offset p,
// inside the VMA and inside the BO (PFN_UP of its size, else SIGBUS), installs the PTE of page p itself:
// ttm->pages[p] for tt-backed memory, the resource's aperture page at its start + p for iomem
// (ttm_bo_io_mem_pfn). The dummy page after unplug (ttm_bo_vm_dummy_page) covers the VMA, nothing more.
// A closed VMA is on no mapping list. pte.ownership (pte.ts) says a PTE maps memory the BO owns; this
// family says it maps the right page of it.

import { pfnUp } from '../../kernel/constants.ts';
import type { TtmGlobal } from '../../kernel/device.ts';
import { fail, type Violation } from './types.ts';

/**
 * vma.pte-page: every VMA on a live BO's mapping list is open; each PTE lies inside the VMA and (except
 * the dummy page) inside the BO; with the BO's resv unlocked, the PTE at page p maps page p: the tt's
 * pages[p], or the resource's start + p for iomem. Returns the first breach, or null.
 */
export function checkVmaPtes(g: TtmGlobal): Violation | null {
  const id = 'vma.pte-page';
  for (const bo of g.bos) {
    if (bo.mappings.size === 0) continue;
    const boPages = pfnUp(bo.size);
    const settled = !bo.resv.lock.isLocked;
    for (const vma of bo.mappings) {
      if (vma.closed) return fail(id, bo.id, `${vma.id} is closed but still on ${bo.id}'s mappings`);
      for (const [page, pte] of vma.ptes) {
        if (page < vma.pgoff || page >= vma.pageLast)
          return fail(
            id,
            bo.id,
            `${vma.id} maps BO page ${page}, outside its pages ${vma.pgoff}..${vma.pageLast - 1}`,
          );
        if (pte.kind === 'dummy') continue;
        if (page >= boPages)
          return fail(id, bo.id, `${vma.id} maps page ${page} of ${bo.id}, which has ${boPages} pages`);
        if (!settled) continue;
        const entry = pte.kind === 'page' ? (bo.ttm?.pages?.[page] ?? null) : null;
        const want =
          pte.kind === 'page'
            ? typeof entry === 'number'
              ? entry
              : null
            : bo.resource === null
              ? null
              : bo.resource.start + page;
        if (pte.pfn !== want) {
          const what = pte.kind === 'page' ? 'frame' : 'aperture page';
          return fail(
            id,
            bo.id,
            `${vma.id} page ${page} maps ${what} ${pte.pfn}, but page ${page} of ${bo.id} is ${want ?? 'absent'}`,
          );
        }
      }
    }
  }
  return null;
}
