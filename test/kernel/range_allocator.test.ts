// Unit tests of src/kernel/range_allocator.ts, the drm_mm stand-in behind ttm_range_manager.c.

import { describe, expect, test } from 'vitest';
import { ENOSPC } from '../../src/kernel/errno.ts';
import { RangeAllocator, type RangeNode } from '../../src/kernel/range_allocator.ts';

/** The node of a successful insert; fails the test on an errno. */
function ok(r: RangeNode | number): RangeNode {
  if (typeof r === 'number') throw new Error(`insert failed with ${r}`);
  return r;
}

/** 16 pages filled with four 4-page nodes at 0, 4, 8, 12. */
function fourByFour(): { mm: RangeAllocator; nodes: RangeNode[] } {
  const mm = new RangeAllocator(16);
  const nodes = [0, 1, 2, 3].map(() => ok(mm.insert(4, 1, 0, 0, 'best')));
  return { mm, nodes };
}

describe('range_allocator', () => {
  test('drm_mm_insert_node_in_range: empty allocator, best → node at 0, usedPages and nodeCount updated', () => {
    const mm = new RangeAllocator(16);
    expect(mm.insert(3, 1, 0, 0, 'best')).toEqual({ start: 0, size: 3 });
    expect(mm.insert(2, 1, 0, 0, 'best')).toEqual({ start: 3, size: 2 });
    expect(mm.usedPages).toBe(5);
    expect(mm.nodeCount).toBe(2);
    expect(mm.largestHole()).toBe(11);
  });

  test('drm_mm_insert_node_in_range: four 4-page nodes → starts 0, 4, 8, 12 and no hole left', () => {
    const { mm, nodes } = fourByFour();
    expect(nodes.map((n) => n.start)).toEqual([0, 4, 8, 12]);
    expect(mm.usedPages).toBe(16);
    expect(mm.largestHole()).toBe(0);
    expect(mm.insert(1, 1, 0, 0, 'best')).toBe(-ENOSPC);
  });

  test('drm_mm_insert_node_in_range: best with holes of 6 and 4 pages → smallest fitting hole (start 12)', () => {
    const mm = new RangeAllocator(32);
    const sizes = [4, 6, 2, 4, 2, 14];
    const nodes = sizes.map((s) => ok(mm.insert(s, 1, 0, 0, 'best')));
    expect(nodes.map((n) => n.start)).toEqual([0, 4, 10, 12, 16, 18]);
    mm.remove(nodes[1]!); // hole [4, 10): 6 pages
    mm.remove(nodes[3]!); // hole [12, 16): 4 pages
    expect(mm.insert(3, 1, 0, 0, 'best')).toEqual({ start: 12, size: 3 });
    // The 4-page hole now has 1 page left; a 2-page request takes the 6-page hole.
    expect(mm.insert(2, 1, 0, 0, 'best')).toEqual({ start: 4, size: 2 });
  });

  test('drm_mm_insert_node_in_range: best with two equal holes → lowest address', () => {
    const { mm, nodes } = fourByFour();
    mm.remove(nodes[2]!);
    mm.remove(nodes[0]!);
    expect(mm.insert(2, 1, 0, 0, 'best')).toEqual({ start: 0, size: 2 });
  });

  test('drm_mm_insert_node_in_range: high on an empty allocator → top of the range (start 13)', () => {
    const mm = new RangeAllocator(16);
    expect(mm.insert(3, 1, 0, 0, 'high')).toEqual({ start: 13, size: 3 });
    expect(mm.insert(2, 1, 0, 0, 'high')).toEqual({ start: 11, size: 2 });
  });

  test('drm_mm_insert_node_in_range: high with holes [0,4) and [8,12) → top of the highest hole (start 10)', () => {
    const { mm, nodes } = fourByFour();
    mm.remove(nodes[0]!);
    mm.remove(nodes[2]!);
    expect(mm.insert(2, 1, 0, 0, 'high')).toEqual({ start: 10, size: 2 });
  });

  test('drm_mm_insert_node_in_range: high when the highest hole is too small → top of a lower hole', () => {
    const mm = new RangeAllocator(16);
    const a = ok(mm.insert(6, 1, 0, 0, 'best'));
    ok(mm.insert(6, 1, 0, 0, 'best'));
    const c = ok(mm.insert(2, 1, 0, 0, 'best'));
    ok(mm.insert(2, 1, 0, 0, 'best'));
    mm.remove(a); // hole [0, 6)
    mm.remove(c); // hole [12, 14)
    expect(mm.insert(4, 1, 0, 0, 'high')).toEqual({ start: 2, size: 4 });
  });

  test('drm_mm_insert_node_in_range: alignment 4 after a 1-page node → best start 4, high start 12', () => {
    const mm = new RangeAllocator(16);
    ok(mm.insert(1, 1, 0, 0, 'best'));
    expect(mm.insert(2, 4, 0, 0, 'best')).toEqual({ start: 4, size: 2 });
    expect(mm.insert(3, 4, 0, 0, 'high')).toEqual({ start: 12, size: 3 });
  });

  test('drm_mm_insert_node_in_range: alignment pushes the node past the end → -ENOSPC with 7 free pages', () => {
    const mm = new RangeAllocator(8);
    ok(mm.insert(1, 1, 0, 0, 'best'));
    expect(mm.insert(4, 8, 0, 0, 'best')).toBe(-ENOSPC);
    expect(mm.insert(4, 8, 0, 0, 'high')).toBe(-ENOSPC);
    expect(mm.largestHole()).toBe(7);
    expect(mm.usedPages).toBe(1);
  });

  test('drm_mm_insert_node_in_range: fpfn 5 → best starts at 5', () => {
    const mm = new RangeAllocator(16);
    expect(mm.insert(2, 1, 5, 0, 'best')).toEqual({ start: 5, size: 2 });
  });

  test('drm_mm_insert_node_in_range: lpfn 8 with high → node ends at page 8 (start 6)', () => {
    const mm = new RangeAllocator(16);
    expect(mm.insert(2, 1, 0, 8, 'high')).toEqual({ start: 6, size: 2 });
  });

  test('drm_mm_insert_node_in_range: lpfn beyond the allocator size → clipped to the size (start 15)', () => {
    const mm = new RangeAllocator(16);
    expect(mm.insert(1, 1, 0, 100, 'high')).toEqual({ start: 15, size: 1 });
  });

  test('drm_mm_insert_node_in_range: 5 pages in the 4-page range [4, 8) → -ENOSPC', () => {
    const mm = new RangeAllocator(16);
    expect(mm.insert(5, 1, 4, 8, 'best')).toBe(-ENOSPC);
    expect(mm.insert(4, 1, 4, 8, 'best')).toEqual({ start: 4, size: 4 });
    expect(mm.usedPages).toBe(4);
  });

  test('drm_mm_insert_node_in_range: range [0, 6) with [0, 4) used → only the clipped hole [4, 6) counts', () => {
    const mm = new RangeAllocator(16);
    ok(mm.insert(4, 1, 0, 0, 'best'));
    expect(mm.insert(3, 1, 0, 6, 'best')).toBe(-ENOSPC);
    expect(mm.insert(2, 1, 0, 6, 'best')).toEqual({ start: 4, size: 2 });
  });

  test('drm_mm_insert_node_in_range: fragmented 16 pages (free #1 and #3), ask 8 → -ENOSPC while 8 pages are free', () => {
    const { mm, nodes } = fourByFour();
    mm.remove(nodes[0]!);
    mm.remove(nodes[2]!);
    expect(mm.usedPages).toBe(8);
    expect(mm.largestHole()).toBe(4);
    expect(mm.insert(8, 1, 0, 0, 'best')).toBe(-ENOSPC);
    expect(mm.insert(8, 1, 0, 0, 'high')).toBe(-ENOSPC);
    expect(mm.insert(5, 1, 0, 0, 'best')).toBe(-ENOSPC);
    expect(mm.usedPages).toBe(8);
    expect(mm.nodeCount).toBe(2);
  });

  test('drm_mm_insert_node_in_range: 0 pages → -ENOSPC and nothing allocated', () => {
    const mm = new RangeAllocator(16);
    expect(mm.insert(0, 1, 0, 0, 'best')).toBe(-ENOSPC);
    expect(mm.usedPages).toBe(0);
    expect(mm.nodeCount).toBe(0);
  });

  test('drm_mm_remove_node: remove → pages freed and the hole reusable', () => {
    const mm = new RangeAllocator(16);
    const a = ok(mm.insert(3, 1, 0, 0, 'best'));
    ok(mm.insert(5, 1, 0, 0, 'best'));
    expect(mm.usedPages).toBe(8);
    mm.remove(a);
    expect(mm.usedPages).toBe(5);
    expect(mm.nodeCount).toBe(1);
    expect(mm.insert(3, 1, 0, 0, 'best')).toEqual({ start: 0, size: 3 });
  });

  test('drm_mm_remove_node: unknown node (same start/size, other object) → throws, usedPages unchanged', () => {
    const mm = new RangeAllocator(16);
    ok(mm.insert(4, 1, 0, 0, 'best'));
    expect(() => mm.remove({ start: 0, size: 4 })).toThrow('range allocator: node at 0 is not allocated');
    expect(mm.usedPages).toBe(4);
    expect(mm.nodeCount).toBe(1);
  });

  test('drm_mm_remove_node: removing a node twice → throws', () => {
    const mm = new RangeAllocator(16);
    const a = ok(mm.insert(2, 1, 0, 0, 'best'));
    const b = ok(mm.insert(2, 1, 0, 0, 'best'));
    mm.remove(b);
    expect(() => mm.remove(b)).toThrow('range allocator: node at 2 is not allocated');
    expect(mm.usedPages).toBe(a.size);
  });

  test('drm_mm_init: negative or fractional size → RangeError', () => {
    expect(() => new RangeAllocator(-1)).toThrow(RangeError);
    expect(() => new RangeAllocator(1.5)).toThrow('bad allocator size 1.5');
  });
});
