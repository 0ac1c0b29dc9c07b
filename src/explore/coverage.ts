// Coverage of a campaign (DESIGN.md §3): the (machine, state, event) triples the statecharts took, and
// the cross-actor transition pairs: a triple of one actor directly followed by a triple of another, the
// interleavings themselves. Both are sets of strings, so coverage from several runs, workers or machines
// merges by union in any order.

/** One statechart transition taken: `machine|state|event`. */
export function tripleKey(machine: string, state: string, event: string): string {
  return `${machine}|${state}|${event}`;
}

export class Coverage {
  readonly triples = new Set<string>();
  readonly pairs = new Set<string>();
  /** Triples and pairs first seen since the last `beginRun`. */
  fresh = 0;
  private lastActor = '';
  private lastTriple = '';

  /** Start a new run: the next transition pairs with nothing before it. */
  beginRun(): void {
    this.fresh = 0;
    this.lastActor = '';
    this.lastTriple = '';
  }

  /** Actor `id`, a `machine` chart, took `event` in `state`. */
  hit(machine: string, id: string, state: string, event: string): void {
    const t = tripleKey(machine, state, event);
    if (!this.triples.has(t)) {
      this.triples.add(t);
      this.fresh += 1;
    }
    if (this.lastActor !== '' && this.lastActor !== id) {
      const p = `${this.lastTriple} > ${t}`;
      if (!this.pairs.has(p)) {
        this.pairs.add(p);
        this.fresh += 1;
      }
    }
    this.lastActor = id;
    this.lastTriple = t;
  }

  /** Add everything `other` covered. */
  merge(other: { readonly triples: Iterable<string>; readonly pairs: Iterable<string> }): void {
    for (const t of other.triples) this.triples.add(t);
    for (const p of other.pairs) this.pairs.add(p);
  }

  /** The covered sets as sorted arrays (for the corpus on disk and reports). */
  toJSON(): { triples: string[]; pairs: string[] } {
    return { triples: [...this.triples].sort(), pairs: [...this.pairs].sort() };
  }
}
