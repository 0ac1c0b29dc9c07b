// The seeded, per-file stratified sample of mutants that a mutation run measures. Every file with
// candidates gets a share of the sample proportional to its candidate count (largest remainders, ties by
// file name), and at least `minPerFile` of them (all of them when it has fewer); within a file the
// mutants are drawn without replacement from the file's own stream, Rng(seed).fork(file). The sample is
// a pure function of (the candidates, seed, size, minPerFile).

import { Rng } from '../../src/engine/prng.ts';
import type { Mutant } from './mutator.ts';

export interface SampleOptions {
  readonly seed: bigint;
  /** Mutants in the sample (fewer only when there are fewer candidates). */
  readonly size: number;
  /** Least mutants a file with candidates gets (default 3). */
  readonly minPerFile?: number;
}

/** How many mutants each file gets, for candidate counts by file. */
export function quotas(
  counts: ReadonlyMap<string, number>,
  size: number,
  minPerFile = 3,
): Map<string, number> {
  const files = [...counts.keys()].filter((f) => counts.get(f)! > 0).sort();
  const total = files.reduce((a, f) => a + counts.get(f)!, 0);
  const out = new Map<string, number>();
  if (size >= total) {
    for (const f of files) out.set(f, counts.get(f)!);
    return out;
  }
  // Floors first, then the rest by proportional share.
  let left = size;
  for (const f of files) {
    const q = Math.min(minPerFile, counts.get(f)!);
    out.set(f, q);
    left -= q;
  }
  if (left <= 0) return out;
  // The remaining mutants go where a file's proportional share exceeds what it holds, by largest
  // fractional claim, one at a time (stable: ties by file name).
  while (left > 0) {
    let best: string | null = null;
    let bestClaim = -Infinity;
    for (const f of files) {
      const c = counts.get(f)!;
      const have = out.get(f)!;
      if (have >= c) continue;
      const claim = (size * c) / total - have;
      if (claim > bestClaim) {
        best = f;
        bestClaim = claim;
      }
    }
    if (best === null) break;
    out.set(best, out.get(best)! + 1);
    left -= 1;
  }
  return out;
}

/** The sample: per file (in file order) the drawn mutants in source order. */
export function sampleMutants(candidates: readonly Mutant[], o: SampleOptions): Mutant[] {
  const byFile = new Map<string, Mutant[]>();
  for (const m of candidates) {
    const list = byFile.get(m.file);
    if (list === undefined) byFile.set(m.file, [m]);
    else list.push(m);
  }
  const counts = new Map([...byFile].map(([f, l]) => [f, l.length] as const));
  const q = quotas(counts, o.size, o.minPerFile ?? 3);
  const root = Rng.fromSeed(o.seed);
  const out: Mutant[] = [];
  for (const file of [...q.keys()].sort()) {
    const list = byFile.get(file)!;
    const n = q.get(file)!;
    // Partial Fisher–Yates over the indices, then back to source order.
    const idx = list.map((_, i) => i);
    const rng = root.fork(`mutation:${file}`);
    for (let i = 0; i < n; i++) {
      const j = i + rng.below(idx.length - i);
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    for (const i of idx.slice(0, n).sort((a, b) => a - b)) out.push(list[i]!);
  }
  return out;
}
