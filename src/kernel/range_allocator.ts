// drm_mm as used by ttm_range_manager.c: an address-ordered set of allocated page ranges inside
// [0, size). Holes between them are real, so fragmentation happens exactly as it would in the kernel:
// a request fails with -ENOSPC when no single hole fits, whatever the total free space.

import { ENOSPC } from './errno.ts';

export interface RangeNode {
  readonly start: number;
  readonly size: number;
}

/** DRM_MM_INSERT_BEST (smallest fitting hole, lowest address on ties) or DRM_MM_INSERT_HIGH (TOPDOWN). */
export type InsertMode = 'best' | 'high';

export class RangeAllocator {
  private nodes: RangeNode[] = [];
  private used = 0;

  constructor(readonly sizePages: number) {
    if (!Number.isInteger(sizePages) || sizePages < 0)
      throw new RangeError(`bad allocator size ${sizePages}`);
  }

  get usedPages(): number {
    return this.used;
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  /** The allocated nodes in address order (read by the rules that judge where a node landed). */
  get allocated(): readonly RangeNode[] {
    return this.nodes;
  }

  /** Largest hole in pages (a fragmentation measure). */
  largestHole(): number {
    let best = 0;
    for (const [s, e] of this.holes(0, this.sizePages)) best = Math.max(best, e - s);
    return best;
  }

  /**
   * drm_mm_insert_node_in_range: `pages` pages aligned to `alignment` pages inside [fpfn, lpfn).
   * Returns the node or -ENOSPC.
   */
  insert(pages: number, alignment: number, fpfn: number, lpfn: number, mode: InsertMode): RangeNode | number {
    if (pages <= 0) return -ENOSPC;
    const end = lpfn === 0 ? this.sizePages : Math.min(lpfn, this.sizePages);
    const align = Math.max(alignment, 1);
    let chosen: { start: number; hole: number } | null = null;
    for (const [hs, he] of this.holes(fpfn, end)) {
      const start = mode === 'high' ? alignDown(he - pages, align) : alignUp(hs, align);
      if (start < hs || start + pages > he) continue;
      const hole = he - hs;
      if (chosen === null) chosen = { start, hole };
      else if (mode === 'high') chosen = { start, hole };
      else if (hole < chosen.hole) chosen = { start, hole };
    }
    if (chosen === null) return -ENOSPC;
    const node: RangeNode = { start: chosen.start, size: pages };
    const at = this.nodes.findIndex((n) => n.start > node.start);
    this.nodes.splice(at < 0 ? this.nodes.length : at, 0, node);
    this.used += pages;
    return node;
  }

  /** drm_mm_remove_node. Removing a node twice is a simulator bug. */
  remove(node: RangeNode): void {
    const at = this.nodes.indexOf(node);
    if (at < 0) throw new Error(`range allocator: node at ${node.start} is not allocated`);
    this.nodes.splice(at, 1);
    this.used -= node.size;
  }

  /** Free ranges [start, end) clipped to [lo, hi), in address order. */
  private *holes(lo: number, hi: number): Generator<[number, number]> {
    let cursor = 0;
    for (const n of this.nodes) {
      const s = Math.max(cursor, lo);
      const e = Math.min(n.start, hi);
      if (e > s) yield [s, e];
      cursor = n.start + n.size;
    }
    const s = Math.max(cursor, lo);
    if (hi > s) yield [s, hi];
  }
}

function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

function alignDown(x: number, a: number): number {
  return Math.floor(x / a) * a;
}
