// Where memory lands, and what a copy of a BO keeps: rules stated by the placement contract of
// include/drm/ttm/ttm_placement.h (struct ttm_place: fpfn, lpfn, TTM_PL_FLAG_*), by drm_mm's insert modes
// (include/drm/drm_mm.h, drivers/gpu/drm/drm_mm.c drm_mm_insert_node_in_range, as ttm_range_manager.c
// ttm_range_man_alloc calls it), by ttm_bo_validate (ttm_bo.c), by ttm_buffer_object_transfer
// (ttm_bo_util.c: the ghost is a copy of the BO) and by the VMA's teardown (ttm_bo_vm.c ttm_bo_vm_close,
// after mm/memory.c unmap_vmas has zapped the range). Each rule is judged from the place, the allocator's
// nodes or the objects themselves, never through the model's own helpers (ttm_resource_compatible), so
// a wrong helper cannot vouch for itself. Text read from torvalds/linux (≈v6.13-v6.17; the range manager
// as read at 0fe438ce).

import type { BufferObject } from '../bo.ts';
import type { CpuMapping } from '../bo_vm.ts';
import {
  TTM_PL_FLAG_CONTIGUOUS,
  TTM_PL_FLAG_DESIRED,
  TTM_PL_FLAG_FALLBACK,
  TTM_PL_FLAG_TEMPORARY,
  TTM_PL_FLAG_TOPDOWN,
} from '../constants.ts';
import type { TtmGlobal } from '../device.ts';
import type { Place, Placement } from '../placement.ts';
import type { RangeNode } from '../range_allocator.ts';
import type { Resource } from '../resource.ts';
import { type KernelRule, kernelRule, warnOn } from './check.ts';

const BO_C = 'drivers/gpu/drm/ttm/ttm_bo.c';
const PL_H = 'include/drm/ttm/ttm_placement.h';
const MM_H = 'include/drm/drm_mm.h';
const RANGE_C = 'drivers/gpu/drm/ttm/ttm_range_manager.c';
const RES_C = 'drivers/gpu/drm/ttm/ttm_resource.c';
const UTIL_C = 'drivers/gpu/drm/ttm/ttm_bo_util.c';

export const BO_VALIDATE_POST_PLACE = kernelRule(
  'bo.validate.post-place',
  'return',
  'ttm_bo_validate returning 0 with places: the resource lies in one of them (its memory type; for a range node, inside [fpfn, lpfn); CONTIGUOUS if the place asks for it)',
  [
    {
      file: BO_C,
      func: 'ttm_bo_validate',
      text: 'if (bo->resource && ttm_resource_compatible(bo->resource, placement, force_space))',
    },
    { file: PL_H, func: 'struct ttm_place', text: '@fpfn: First valid page frame number to put the object.' },
    { file: PL_H, func: 'struct ttm_place', text: '@lpfn: Last valid page frame number to put the object.' },
    { file: RES_C, func: 'ttm_resource_compatible', text: 'if (place->flags & TTM_PL_FLAG_CONTIGUOUS &&' },
  ],
);

export const RANGE_ALLOC_WHERE = kernelRule(
  'range.alloc.where',
  'return',
  'ttm_range_man_alloc returning a node: num_pages pages inside [fpfn, lpfn or the manager size), start aligned; TOPDOWN: no aligned fit above it in the range (DRM_MM_INSERT_HIGH); otherwise at the bottom of its hole and no smaller hole in the range fits (DRM_MM_INSERT_BEST)',
  [
    {
      file: RANGE_C,
      func: 'ttm_range_man_alloc',
      text: 'if (place->flags & TTM_PL_FLAG_TOPDOWN) mode = DRM_MM_INSERT_HIGH;',
    },
    {
      file: MM_H,
      func: 'enum drm_mm_insert_mode',
      text: 'Search for the smallest hole (within the search range) that fits the desired node.',
    },
    {
      file: MM_H,
      func: 'enum drm_mm_insert_mode',
      text: 'Search for the highest hole (within the search range) that fits the desired node.',
    },
  ],
);

export const GHOST_IS_COPY = kernelRule(
  'ghost.transfer.copy',
  'return',
  'ttm_buffer_object_transfer returning a ghost: a copy of the BO (device, size, type, priority, page alignment, its old resource), unpinned, its own resv held by the caller',
  [
    { file: UTIL_C, func: 'ttm_buffer_object_transfer', text: 'fbo->base = *bo;' },
    { file: UTIL_C, func: 'ttm_buffer_object_transfer', text: 'fbo->base.pin_count = 0;' },
    {
      file: UTIL_C,
      func: 'ttm_buffer_object_transfer',
      text: 'ret = dma_resv_trylock(&fbo->base.base._resv);',
    },
  ],
);

export const VM_CLOSE_NO_PTES = kernelRule(
  'vm.close.no-ptes',
  'return',
  'after ttm_bo_vm_close a VMA has no PTE left and is on no mapping list of its BO or device',
  [
    {
      file: 'mm/mmap.c',
      func: 'unmap_region',
      text: 'unmap_vmas(&tlb, mas, vma, vma->vm_start, vma->vm_end, vma->vm_end,',
    },
    { file: 'drivers/gpu/drm/ttm/ttm_bo_vm.c', func: 'ttm_bo_vm_close', text: 'ttm_bo_put(bo);' },
  ],
);

export const VM_FAULT_IOMEM_NO_POPULATE = kernelRule(
  'vm.fault.iomem-no-populate',
  'return',
  'ttm_bo_vm_fault_reserved on a BO whose resource is iomem (a manager without tts) populates no tt: only the non-iomem branch calls ttm_tt_populate',
  [
    {
      file: 'drivers/gpu/drm/ttm/ttm_bo_vm.c',
      func: 'ttm_bo_vm_fault_reserved',
      text: 'if (bo->resource->bus.is_iomem) {',
    },
    {
      file: 'drivers/gpu/drm/ttm/ttm_bo_vm.c',
      func: 'ttm_bo_vm_fault_reserved',
      text: 'err = ttm_bo_populate(bo, &ctx);',
    },
  ],
);

export const RESOURCE_INTERSECTS_RETURNS = kernelRule(
  'resource.intersects.returns',
  'return',
  'ttm_resource_intersects returns true exactly when some page of the resource lies in [fpfn, lpfn) of the place (lpfn 0: up to the end); for a manager without a range, always true',
  [
    {
      file: RES_C,
      func: 'ttm_resource_intersects',
      text: 'Returns true if the res placement intersects with @place and @size.',
    },
    {
      file: RANGE_C,
      func: 'ttm_range_man_intersects',
      text: "/* Don't evict BOs outside of the requested placement range */",
    },
  ],
);
export const RESOURCE_COMPATIBLE_RETURNS = kernelRule(
  'resource.compatible.returns',
  'return',
  'ttm_resource_compatible returns true exactly when the resource is not TEMPORARY and lies in a place of the placement that this pass does not skip (DESIRED places when evicting, FALLBACK places otherwise): its memory type, CONTIGUOUS if asked, inside [fpfn, lpfn)',
  [
    {
      file: RES_C,
      func: 'ttm_resource_compatible',
      text: 'if (place->flags & (evicting ? TTM_PL_FLAG_DESIRED : TTM_PL_FLAG_FALLBACK))',
    },
    {
      file: RANGE_C,
      func: 'ttm_range_man_compatible',
      text: 'if (node->start < place->fpfn || (place->lpfn && (node->start + num_pages) > place->lpfn))',
    },
  ],
);

/** The rules of this module, in catalogue order. */
export const PLACEMENT_RULES: readonly KernelRule[] = [
  BO_VALIDATE_POST_PLACE,
  RANGE_ALLOC_WHERE,
  GHOST_IS_COPY,
  VM_CLOSE_NO_PTES,
  VM_FAULT_IOMEM_NO_POPULATE,
  RESOURCE_INTERSECTS_RETURNS,
  RESOURCE_COMPATIBLE_RETURNS,
];

// ---------------------------------------------------------------------------------------------------
// Validate

/** Whether `res` lies in `p`, judged from the place alone. */
function liesIn(res: Resource, p: Place): boolean {
  if (res.memType !== p.memType) return false;
  if (p.flags & TTM_PL_FLAG_CONTIGUOUS && !(res.placement & TTM_PL_FLAG_CONTIGUOUS)) return false;
  if (res.node === null) return true; // a manager without a range ignores fpfn/lpfn (ttm_sys_manager)
  const end = res.node.start + res.node.size;
  return res.node.start >= p.fpfn && (p.lpfn === 0 || end <= p.lpfn);
}

/**
 * ttm_resource_intersects returned `got` for `res` and `place`: judged from the place and the resource's
 * range node alone (a resource without a node is in a manager without ranges: always true). Returns `got`.
 */
export function checkResourceIntersects(
  g: TtmGlobal | null,
  res: Resource,
  place: Place,
  got: boolean,
): boolean {
  let want = true;
  if (res.node !== null) {
    const first = res.node.start;
    const end = first + res.node.size;
    want = end > place.fpfn && (place.lpfn === 0 || first < place.lpfn);
  }
  warnOn(
    g,
    RESOURCE_INTERSECTS_RETURNS,
    got !== want,
    res.id,
    got !== want ? `returned ${got} for ${res.id} (${nodeText(res)}) and ${placeText(place)}` : '',
  );
  return got;
}

/**
 * ttm_resource_compatible returned `got` for `res`, `placement` and `evicting`: judged from the places
 * alone (liesIn), with the pass's DESIRED/FALLBACK skip and TEMPORARY never compatible. Returns `got`.
 */
export function checkResourceCompatible(
  g: TtmGlobal | null,
  res: Resource,
  placement: Placement,
  evicting: boolean,
  got: boolean,
): boolean {
  const skip = evicting ? TTM_PL_FLAG_DESIRED : TTM_PL_FLAG_FALLBACK;
  const want =
    !(res.placement & TTM_PL_FLAG_TEMPORARY) &&
    res.bo !== null &&
    placement.placement.some((p) => !(p.flags & skip) && liesIn(res, p));
  warnOn(
    g,
    RESOURCE_COMPATIBLE_RETURNS,
    got !== want,
    res.id,
    got !== want
      ? `returned ${got} for ${res.id} (type ${res.memType}, flags 0x${res.placement.toString(16)}, ${nodeText(res)})${evicting ? ' evicting' : ''} and ${placement.placement.map(placeText).join(', ')}`
      : '',
  );
  return got;
}

function nodeText(res: Resource): string {
  return res.node === null
    ? 'no range node'
    : `pages ${res.node.start}..${res.node.start + res.node.size - 1}`;
}

/** ttm_bo_validate returned 0: the BO's resource lies in one of the placement's places. */
export function checkValidatePlace(bo: BufferObject, placement: Placement): void {
  const res = bo.resource;
  if (res === null || placement.placement.length === 0) return;
  let broken = true;
  for (const p of placement.placement) {
    if (liesIn(res, p)) {
      broken = false;
      break;
    }
  }
  warnOn(
    bo.bdev.global,
    BO_VALIDATE_POST_PLACE,
    broken,
    bo.id,
    broken
      ? `${res.id} (type ${res.memType}, flags 0x${res.placement.toString(16)}, pages ${res.node === null ? '-' : `${res.node.start}..${res.node.start + res.node.size - 1}`}) lies in none of ${placement.placement.map(placeText).join(', ')}`
      : '',
  );
}

function placeText(p: Place): string {
  return `{type ${p.memType}, flags 0x${p.flags.toString(16)}, fpfn ${p.fpfn}, lpfn ${p.lpfn}}`;
}

// ---------------------------------------------------------------------------------------------------
// drm_mm insertion (ttm_range_man_alloc)

/** The free gaps [start, end) of the allocator's address space [0, size), `skip` left out as if free. */
function gaps(nodes: readonly RangeNode[], size: number, skip: RangeNode): [number, number][] {
  const out: [number, number][] = [];
  let cursor = 0;
  for (const n of nodes) {
    if (n === skip) continue;
    if (n.start > cursor) out.push([cursor, n.start]);
    cursor = Math.max(cursor, n.start + n.size);
  }
  if (size > cursor) out.push([cursor, size]);
  return out;
}

/** Lowest aligned start of `pages` pages inside [lo, hi), or -1. */
function lowestFit(lo: number, hi: number, pages: number, align: number): number {
  const s = Math.ceil(lo / align) * align;
  return s + pages <= hi ? s : -1;
}

/** Highest aligned start of `pages` pages inside [lo, hi), or -1. */
function highestFit(lo: number, hi: number, pages: number, align: number): number {
  const s = Math.floor((hi - pages) / align) * align;
  return s >= lo && hi - pages >= 0 ? s : -1;
}

/**
 * ttm_range_man_alloc returned `node` for `place` out of the allocator whose nodes (the new one included)
 * are `nodes` over `size` pages. Judged from drm_mm's insert modes: the node is in the range and aligned;
 * HIGH: no aligned fit in the range starts above it; BEST: it sits at the lowest aligned start of its gap
 * in the range, and no smaller gap in the range fits.
 */
export function checkRangeAlloc(
  bo: BufferObject,
  place: Place,
  nodes: readonly RangeNode[],
  size: number,
  node: RangeNode,
  pages: number,
  alignment: number,
): void {
  const lo = place.fpfn;
  const hi = place.lpfn === 0 ? size : Math.min(place.lpfn, size);
  const align = Math.max(alignment, 1);
  let detail = '';
  if (node.size !== pages) detail = `a node of ${node.size} pages for ${pages}`;
  else if (node.start < lo || node.start + node.size > hi)
    detail = `node ${node.start}..${node.start + node.size - 1} outside [${lo}, ${hi})`;
  else if (node.start % align !== 0) detail = `node start ${node.start} not aligned to ${align}`;
  else {
    const free = gaps(nodes, size, node);
    // The gap (clipped to the range) the node was cut from: it must hold the whole node.
    const own = free.find(([gs, ge]) => node.start >= Math.max(gs, lo) && node.start < Math.min(ge, hi));
    const os = own === undefined ? node.start : Math.max(own[0], lo);
    const ownSize = own === undefined ? 0 : Math.min(own[1], hi) - os;
    if (node.start + pages > os + ownSize)
      detail = `node ${node.start}..${node.start + pages - 1} overlaps another`;
    else if (place.flags & TTM_PL_FLAG_TOPDOWN) {
      let top = -1;
      for (const [gs, ge] of free)
        top = Math.max(top, highestFit(Math.max(gs, lo), Math.min(ge, hi), pages, align));
      if (top > node.start) detail = `TOPDOWN node at ${node.start}, but ${pages} pages fit at ${top}`;
    } else if (lowestFit(os, os + ownSize, pages, align) !== node.start) {
      detail = `node at ${node.start}, not at the bottom of its gap ${os}..${os + ownSize - 1}`;
    } else {
      for (const [gs, ge] of free) {
        const cs = Math.max(gs, lo);
        const ce = Math.min(ge, hi);
        if (ce - cs < ownSize && lowestFit(cs, ce, pages, align) >= 0) {
          detail = `node in a gap of ${ownSize} pages, but gap ${cs}..${ce - 1} (${ce - cs} pages) fits`;
          break;
        }
      }
    }
  }
  warnOn(bo.bdev.global, RANGE_ALLOC_WHERE, detail !== '', bo.id, detail);
}

// ---------------------------------------------------------------------------------------------------
// Ghosts and VMAs

/** ttm_buffer_object_transfer returned `ghost` for `bo`, whose resource before the call was `oldRes`. */
export function checkGhostCopy(bo: BufferObject, ghost: BufferObject, oldRes: Resource | null): void {
  let detail = '';
  const holder = ghost.ownResv.lock.holder;
  const current = bo.bdev.env.current();
  if (ghost.bdev !== bo.bdev) detail = `${ghost.id} is on ${ghost.bdev.id}, ${bo.id} on ${bo.bdev.id}`;
  else if (ghost.size !== bo.size) detail = `${ghost.id} has size ${ghost.size}, ${bo.id} ${bo.size}`;
  else if (ghost.type !== bo.type) detail = `${ghost.id} is of type ${ghost.type}, ${bo.id} ${bo.type}`;
  else if (ghost.priority !== bo.priority)
    detail = `${ghost.id} has priority ${ghost.priority}, ${bo.id} ${bo.priority}`;
  else if (ghost.pageAlignment !== bo.pageAlignment)
    detail = `${ghost.id} has page alignment ${ghost.pageAlignment}, ${bo.id} ${bo.pageAlignment}`;
  else if (ghost.resource !== oldRes)
    detail = `${ghost.id} has ${ghost.resource?.id ?? 'no resource'}, not ${bo.id}'s old ${oldRes?.id ?? 'none'}`;
  else if (ghost.pinCount !== 0) detail = `${ghost.id} has pin_count ${ghost.pinCount}`;
  else if (holder === null || holder.task !== current)
    detail = `${ghost.id}'s own resv is ${holder === null ? 'unlocked' : `held by ${holder.task}`}, not by ${current}`;
  warnOn(bo.bdev.global, GHOST_IS_COPY, detail !== '', bo.id, detail);
}

/** ttm_bo_vm_close returned for `vma`. */
export function checkVmClosed(vma: CpuMapping): void {
  const bo = vma.bo;
  let detail = '';
  if (vma.ptes.size !== 0) detail = `${vma.id} keeps ${vma.ptes.size} PTE(s)`;
  else if (bo.mappings.has(vma)) detail = `${vma.id} is still on ${bo.id}'s mappings`;
  else if (bo.bdev.vmas.has(vma)) detail = `${vma.id} is still on ${bo.bdev.id}'s mappings`;
  warnOn(bo.bdev.global, VM_CLOSE_NO_PTES, detail !== '', bo.id, detail);
}

/**
 * ttm_bo_vm_fault_reserved returned for `bo` (resv held throughout; `populatedBefore`: its tt was
 * populated at the call). With an iomem resource no tt went from unpopulated to populated.
 */
export function checkIomemFault(bo: BufferObject, populatedBefore: boolean): void {
  const res = bo.resource;
  const man = res === null ? null : bo.bdev.manager(res.memType);
  const iomem = man !== null && !man.useTt;
  const broken = iomem && !populatedBefore && (bo.ttm?.isPopulated() ?? false);
  warnOn(
    bo.bdev.global,
    VM_FAULT_IOMEM_NO_POPULATE,
    broken,
    bo.id,
    broken ? `${bo.ttm!.id} was populated by a fault on ${res!.id} (type ${res!.memType}, iomem)` : '',
  );
}
