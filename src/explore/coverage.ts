// Coverage of a campaign (DESIGN.md §3): the (machine, state, event) triples the statecharts took, and
// the cross-actor transition pairs: a triple of one actor directly followed by a triple of another, the
// interleavings themselves. Both are sets of strings, so coverage from several runs, workers or machines
// merges by union in any order.
// `hit` runs for every statechart event of every campaign run, so it keeps two caches of what the sets
// already hold (triple keys by their parts, pair partners by their first triple) and builds a key
// string only for something it has not seen; the sets stay the record (they only ever grow).

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
  /** Triple keys by machine, state and event (each built once). */
  private readonly keys = new Map<string, Map<string, Map<string, string>>>();
  /** For a triple, the triples already known to follow it in `pairs`. */
  private readonly partners = new Map<string, Set<string>>();

  /** Start a new run: the next transition pairs with nothing before it. */
  beginRun(): void {
    this.fresh = 0;
    this.lastActor = '';
    this.lastTriple = '';
  }

  /** Actor `id`, a `machine` chart, took `event` in `state`. */
  hit(machine: string, id: string, state: string, event: string): void {
    let byState = this.keys.get(machine);
    if (byState === undefined) {
      byState = new Map();
      this.keys.set(machine, byState);
    }
    let byEvent = byState.get(state);
    if (byEvent === undefined) {
      byEvent = new Map();
      byState.set(state, byEvent);
    }
    let t = byEvent.get(event);
    if (t === undefined) {
      t = tripleKey(machine, state, event);
      byEvent.set(event, t);
    }
    if (!this.triples.has(t)) {
      this.triples.add(t);
      this.fresh += 1;
    }
    if (this.lastActor !== '' && this.lastActor !== id) {
      let partners = this.partners.get(this.lastTriple);
      if (partners === undefined) {
        partners = new Set();
        this.partners.set(this.lastTriple, partners);
      }
      if (!partners.has(t)) {
        partners.add(t);
        const p = `${this.lastTriple} > ${t}`;
        if (!this.pairs.has(p)) {
          this.pairs.add(p);
          this.fresh += 1;
        }
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
