// include/linux/list.h: circular doubly linked lists with a sentinel head. LRU order in TTM is list order,
// and several invariants (bulk-move ranges, cursor hitches) are about positions, so the simulator keeps
// the kernel's representation instead of arrays.

export class ListHead {
  prev: ListHead = this;
  next: ListHead = this;
}

function insertBetween(node: ListHead, prev: ListHead, next: ListHead): void {
  next.prev = node;
  node.next = next;
  node.prev = prev;
  prev.next = node;
}

/** list_add: insert right after `head`. */
export function listAdd(node: ListHead, head: ListHead): void {
  insertBetween(node, head, head.next);
}

/** list_add_tail: insert right before `head` (at the tail). */
export function listAddTail(node: ListHead, head: ListHead): void {
  insertBetween(node, head.prev, head);
}

/** list_del_init: unlink and point at itself. */
export function listDelInit(node: ListHead): void {
  node.prev.next = node.next;
  node.next.prev = node.prev;
  node.next = node;
  node.prev = node;
}

/** list_move: move `node` right after `head`. */
export function listMove(node: ListHead, head: ListHead): void {
  listDelInit(node);
  listAdd(node, head);
}

/** list_move_tail. */
export function listMoveTail(node: ListHead, head: ListHead): void {
  listDelInit(node);
  listAddTail(node, head);
}

export function listEmpty(head: ListHead): boolean {
  return head.next === head;
}

export function listIsSingular(head: ListHead): boolean {
  return !listEmpty(head) && head.next === head.prev;
}

/** A node not on any list points at itself. */
export function listUnlinked(node: ListHead): boolean {
  return node.next === node;
}

/** list_bulk_move_tail: move the run [first..last] (linked in order) to the tail of `head`. */
export function listBulkMoveTail(head: ListHead, first: ListHead, last: ListHead): void {
  first.prev.next = last.next;
  last.next.prev = first.prev;
  head.prev.next = first;
  first.prev = head.prev;
  last.next = head;
  head.prev = last;
}

/** Nodes of the list in order (excluding the head). */
export function* listNodes(head: ListHead): Generator<ListHead> {
  for (let n = head.next; n !== head; ) {
    const next = n.next;
    yield n;
    n = next;
  }
}

export function listCount(head: ListHead): number {
  let n = 0;
  for (let p = head.next; p !== head; p = p.next) n += 1;
  return n;
}
