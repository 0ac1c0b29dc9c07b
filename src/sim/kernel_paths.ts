// The trees the kernel serves instead of files: procfs, sysfs and devtmpfs. Nothing the tool reads (a
// scenario file) or writes (a corpus, a trace, a page) belongs there: a read there may never end, and a
// recursive mkdir under /proc loops forever in Node 20. One definition for the readers and the writers.

/** Trees of kernel interfaces, not places for the tool's files. */
export const KERNEL_TREES: readonly string[] = ['/proc', '/sys', '/dev'];

/** The kernel tree an absolute, link-resolved path lies in (the tree itself included), or null. */
export function kernelTreeOf(realPath: string): string | null {
  for (const tree of KERNEL_TREES) if (realPath === tree || realPath.startsWith(`${tree}/`)) return tree;
  return null;
}
