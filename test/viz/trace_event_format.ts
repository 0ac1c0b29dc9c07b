// The Trace Event format's rules that Perfetto and chrome://tracing rely on, as checks over a list of
// events: the fields every phase requires, and flows ('s' → 'f') that pair up: each id starts once and
// ends once, in the same category, not before it starts, and each end binds to a slice (bp "e": the
// enclosing slice of its thread) that exists, as each start lies inside a slice of its own thread.

import type { TraceEvent } from '../../src/viz/perfetto.ts';

/** What an event lacks that its phase requires (empty when nothing). */
export function formatProblems(e: TraceEvent): string[] {
  const p: string[] = [];
  const need = (field: keyof TraceEvent, type: string) => {
    if (typeof e[field] !== type) p.push(`${e.ph} ${e.name}: ${String(field)} must be a ${type}`);
  };
  need('name', 'string');
  need('pid', 'number');
  need('tid', 'number');
  if (e.ph !== 'M') need('ts', 'number');
  if (e.ph === 'X') need('dur', 'number');
  if (e.ph === 'M' && typeof (e.args as { name?: unknown } | undefined)?.name !== 'string')
    p.push('M without args.name');
  if (e.ph === 'C' && !Object.values(e.args ?? {}).every((v) => typeof v === 'number'))
    p.push('C with a non-number series');
  if ((e.ph === 's' || e.ph === 'f') && typeof e.id !== 'number') p.push(`${e.ph} without id`);
  if (e.ph === 'f' && e.bp !== 'e') p.push('f without bp "e"');
  if (e.ph === 'i' && !['g', 'p', 't'].includes(e.s ?? '')) p.push('i without scope');
  return p;
}

/** Flows that do not pair up (empty when every flow starts once, ends once, inside slices, in order). */
export function flowProblems(events: readonly TraceEvent[]): string[] {
  const p: string[] = [];
  const slices = events.filter((e) => e.ph === 'X');
  const inside = (e: TraceEvent) =>
    slices.some((x) => x.pid === e.pid && x.tid === e.tid && x.ts! <= e.ts! && e.ts! < x.ts! + x.dur!);
  const starts = new Map<number, TraceEvent>();
  const ends = new Map<number, TraceEvent>();
  for (const e of events) {
    if (e.ph !== 's' && e.ph !== 'f') continue;
    const seen = e.ph === 's' ? starts : ends;
    if (seen.has(e.id!)) p.push(`flow ${e.id}: a second '${e.ph}'`);
    seen.set(e.id!, e);
    if (!inside(e))
      p.push(`flow ${e.id}: '${e.ph}' at ${e.ts} lies in no slice of pid ${e.pid} tid ${e.tid}`);
  }
  for (const [id, s] of starts) {
    const f = ends.get(id);
    if (f === undefined) p.push(`flow ${id}: starts and never ends`);
    else if (f.cat !== s.cat) p.push(`flow ${id}: starts in '${s.cat}', ends in '${f.cat}'`);
    else if (f.ts! < s.ts!) p.push(`flow ${id}: ends at ${f.ts} before it starts at ${s.ts}`);
  }
  for (const id of ends.keys()) if (!starts.has(id)) p.push(`flow ${id}: ends without a start`);
  return p;
}
