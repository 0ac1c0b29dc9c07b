// Kernel oopses the model reproduces where upstream code has them: a path that dereferences a pointer
// upstream reads without a NULL check, reached with that pointer NULL. Upstream the CPU faults ("BUG:
// kernel NULL pointer dereference") and the task dies with the locks it held; here the step throws a
// KernelOops naming the pointer, the function that read it and the object it belongs to, and the run
// reports it as a crash (src/sim/run.ts: kind `crash`, id `crash.exception`, the message below).

/** An oops: what was dereferenced, where, and on which object. */
export class KernelOops extends Error {
  constructor(
    /** The NULL pointer as upstream's source spells it, e.g. `bo->resource`. */
    readonly pointer: string,
    /** The upstream function whose line reads it. */
    readonly func: string,
    /** systemId of the object the pointer belongs to (`bo:3`). */
    readonly actor: string,
    /** The upstream line's text that reads through it. */
    readonly text: string,
  ) {
    super(`BUG: kernel NULL pointer dereference: ${pointer} of ${actor} is NULL in ${func} (${text})`);
    this.name = 'KernelOops';
  }
}

/** Dereference `pointer` (NULL here) as `func` does in `text`: the oops, thrown out of the step. */
export function nullDeref(pointer: string, func: string, actor: string, text: string): never {
  throw new KernelOops(pointer, func, actor, text);
}
