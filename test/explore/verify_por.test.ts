// Tests of the sleep-set reduction under a preemption bound (src/explore/verify_por.ts) on tiny
// programs run by the real scheduler, each step reporting what it read and wrote: for every bound the
// set of final states (and of failing per-step checks) is the same with and without reduction, with
// exact counts of schedules run and alternatives pruned; and the sleep condition itself.

import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine/prng.ts';
import { Scheduler } from '../../src/engine/scheduler.ts';
import { Trace } from '../../src/engine/trace.ts';
import type { SimActor } from '../../src/engine/types.ts';
import type { Footprint } from '../../src/explore/sleep_sets.ts';
import { boundedSearch } from '../../src/explore/verify.ts';
import {
  maySleep,
  type ObservedProgram,
  porSearch,
  sleepSetReduction,
} from '../../src/explore/verify_por.ts';

interface TinyRun {
  readonly failed: boolean;
  /** The final shared cells, as text. */
  readonly state: string;
  /** The per-step checks that broke, in order. */
  readonly broken: readonly string[];
}

/** Step n of task t on the shared cells (and the task's locals): the names it read and wrote. */
type Op = (t: string, n: number, cells: Map<string, number>, local: Map<string, number>) => Footprint;

/** A per-step check over the shared cells: its id when it breaks, else null. */
type Check = (cells: Map<string, number>) => string | null;

/**
 * Tasks of `k` steps each on the real scheduler; a step applies `op` and posts the task's next step to
 * itself (it reads and writes its own inbox). `check` runs after every step; a broken check fails the
 * run (the run goes on, as a checked run stops only at its end here).
 */
function tiny(tasks: readonly string[], k: number, op: Op, check?: Check): ObservedProgram<TinyRun> {
  return (guide) => {
    const sched = new Scheduler({
      rng: Rng.fromSeed(0n),
      strategy: 'fifo',
      trace: new Trace({ keepLines: false }),
      guide,
    });
    const cells = new Map<string, number>();
    const local = new Map<string, number>();
    const broken: string[] = [];
    for (const id of tasks) {
      let n = 0;
      const actor: SimActor = {
        id,
        deliver() {
          n += 1;
          const fp = op(id, n, cells, local);
          if (n < k) sched.post(id, id, { type: 'task.run' });
          const inbox = `inbox:${id}`;
          guide.touched(id, { reads: [...fp.reads, inbox], writes: [...fp.writes, inbox] });
        },
        state: () => `n${n}`,
      };
      sched.register(actor);
      sched.post('test', id, { type: 'task.run' });
    }
    while (sched.step()) {
      const b = check?.(cells) ?? null;
      if (b !== null && !broken.includes(b)) broken.push(b);
    }
    const state = [...cells.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([c, v]) => `${c}=${v}`)
      .join(' ');
    return { failed: false, state, broken };
  };
}

/** Final states and broken checks of every schedule within the bound, with and without reduction. */
function compare(program: ObservedProgram<TinyRun>, preemptions: number | 'all') {
  const seen = (reduce: boolean) => {
    const states = new Set<string>();
    const broken = new Set<string>();
    const r = porSearch(program, {
      preemptions,
      reduce,
      onRun: (e) => {
        const run = e as TinyRun;
        states.add(run.state);
        for (const b of run.broken) broken.add(b);
      },
    });
    return { r, states: [...states].sort(), broken: [...broken].sort() };
  };
  const full = seen(false);
  const reduced = seen(true);
  return { full, reduced };
}

const privateAdd: Op = (t, _n, cells) => {
  cells.set(t, (cells.get(t) ?? 0) + 1);
  return { reads: [t], writes: [t] };
};

/** The lost update: step 1 reads the shared counter into a local, step 2 writes local + 1. */
const readThenWrite: Op = (t, n, cells, local) => {
  if (n === 1) {
    local.set(t, cells.get('counter') ?? 0);
    return { reads: ['counter'], writes: [] };
  }
  cells.set('counter', local.get(t)! + 1);
  return { reads: [], writes: ['counter'] };
};

/** Odd steps touch the task's own cell, even steps append the task's letter to a shared log. */
const mixed: Op = (t, n, cells) => {
  if (n % 2 === 1) {
    cells.set(t, (cells.get(t) ?? 0) + n);
    return { reads: [t], writes: [t] };
  }
  cells.set('log', (cells.get('log') ?? 0) * 10 + t.charCodeAt(0) - 96);
  return { reads: ['log'], writes: ['log'] };
};

/**
 * Plain fields of one shared object: task a sets x then y, task b sets y then x (each step writes one
 * field); a check reads both after every step and breaks while exactly one of them is set by a.
 */
const fields: Op = (t, n, cells) => {
  const f = (t === 'a') === (n === 1) ? 'x' : 'y';
  cells.set(f, (cells.get(f) ?? 0) * 10 + (t === 'a' ? 1 : 2));
  return { reads: [], writes: [f] };
};
const halfSet: Check = (cells) =>
  ((cells.get('x') ?? 0) % 10 === 1) !== ((cells.get('y') ?? 0) % 10 === 1) ? 'half-set' : null;

describe('sleep sets under a preemption bound: the same final states and broken checks', () => {
  it('two tasks of three private steps: one final state at every bound', () => {
    for (const p of [0, 1, 2, 'all'] as const) {
      const { full, reduced } = compare(tiny(['a', 'b'], 3, privateAdd), p);
      expect(reduced.states).toEqual(full.states);
      expect(reduced.states).toEqual(['a=3 b=3']);
    }
    const all = compare(tiny(['a', 'b'], 3, privateAdd), 'all');
    expect(all.full.r.schedules).toBe(20);
    expect(all.reduced.r).toMatchObject({ schedules: 4, pruned: 6, complete: true });
  });

  it('counts: full and reduced schedules and pruned alternatives, pinned', () => {
    const rows: string[] = [];
    const programs: [string, ObservedProgram<TinyRun>][] = [
      ['private 2x3', tiny(['a', 'b'], 3, privateAdd)],
      ['private 3x2', tiny(['a', 'b', 'c'], 2, privateAdd)],
      ['lost 2x2', tiny(['a', 'b'], 2, readThenWrite)],
      ['lost 3x2', tiny(['a', 'b', 'c'], 2, readThenWrite)],
      ['mixed 2x4', tiny(['a', 'b'], 4, mixed)],
      ['mixed 3x2', tiny(['a', 'b', 'c'], 2, mixed)],
    ];
    for (const [name, program] of programs) {
      for (const p of [0, 1, 2, 'all'] as const) {
        const { full, reduced } = compare(program, p);
        expect(reduced.states).toEqual(full.states);
        rows.push(
          `${name} P=${p}: ${full.r.schedules} -> ${reduced.r.schedules} (${reduced.r.pruned} pruned)`,
        );
      }
    }
    expect(rows).toEqual([
      'private 2x3 P=0: 2 -> 2 (0 pruned)',
      'private 2x3 P=1: 6 -> 6 (0 pruned)',
      'private 2x3 P=2: 14 -> 6 (8 pruned)',
      'private 2x3 P=all: 20 -> 4 (6 pruned)',
      'private 3x2 P=0: 6 -> 6 (0 pruned)',
      'private 3x2 P=1: 24 -> 21 (3 pruned)',
      'private 3x2 P=2: 60 -> 27 (27 pruned)',
      'private 3x2 P=all: 90 -> 11 (21 pruned)',
      'lost 2x2 P=0: 2 -> 2 (0 pruned)',
      'lost 2x2 P=1: 4 -> 4 (0 pruned)',
      'lost 2x2 P=2: 6 -> 6 (0 pruned)',
      'lost 2x2 P=all: 6 -> 4 (1 pruned)',
      'lost 3x2 P=0: 6 -> 6 (0 pruned)',
      'lost 3x2 P=1: 24 -> 24 (0 pruned)',
      'lost 3x2 P=2: 60 -> 60 (0 pruned)',
      'lost 3x2 P=all: 90 -> 36 (8 pruned)',
      'mixed 2x4 P=0: 2 -> 2 (0 pruned)',
      'mixed 2x4 P=1: 8 -> 8 (0 pruned)',
      'mixed 2x4 P=2: 26 -> 16 (10 pruned)',
      'mixed 2x4 P=all: 70 -> 11 (10 pruned)',
      'mixed 3x2 P=0: 6 -> 6 (0 pruned)',
      'mixed 3x2 P=1: 24 -> 24 (0 pruned)',
      'mixed 3x2 P=2: 60 -> 39 (15 pruned)',
      'mixed 3x2 P=all: 90 -> 13 (19 pruned)',
    ]);
  });

  it('a per-step check over two plain fields breaks in the same bounds with and without reduction', () => {
    for (const p of [0, 1, 2, 'all'] as const) {
      const { full, reduced } = compare(tiny(['a', 'b'], 2, fields, halfSet), p);
      expect(reduced.states).toEqual(full.states);
      expect(reduced.broken).toEqual(full.broken);
    }
  });
});

describe('a per-step check on a state only one order of two independent steps passes through', () => {
  /** Task a sets x, task b sets y: independent steps; the check breaks when y is set and x is not. */
  const own: Op = (t, _n, cells) => {
    const f = t === 'a' ? 'x' : 'y';
    cells.set(f, 1);
    return { reads: [], writes: [f] };
  };
  const yBeforeX: Check = (cells) => (cells.has('y') && !cells.has('x') ? 'y-before-x' : null);

  it('is broken with reduction too: the pruned run is checked up to the step that makes it a reordering', () => {
    for (const p of [0, 1, 'all'] as const) {
      const { full, reduced } = compare(tiny(['a', 'b'], 1, own, yBeforeX), p);
      expect(full.broken).toEqual(['y-before-x']);
      expect(reduced.broken).toEqual(['y-before-x']);
      expect(reduced.states).toEqual(['x=1 y=1']);
    }
  });
});

describe('when an explored pick may sleep in an alternative (bounded)', () => {
  it('the run continued the last actor: it sleeps in every other alternative', () => {
    const n = { enabled: ['a', 'b', 'c'], last: 'a', enabledAfter: true };
    expect(maySleep(n, 'a', 'b', true)).toBe(true);
    expect(maySleep(n, 'a', 'c', true)).toBe(true);
  });
  it('the alternative is the last actor continuing: the pick stays awake', () => {
    const n = { enabled: ['a', 'b'], last: 'a', enabledAfter: false };
    expect(maySleep(n, 'b', 'a', true)).toBe(false);
    expect(maySleep(n, 'b', 'a', false)).toBe(true);
  });
  it('the last actor blocked: the pick sleeps only when its step disabled it', () => {
    expect(maySleep({ enabled: ['b', 'c'], last: 'a', enabledAfter: false }, 'b', 'c', true)).toBe(true);
    expect(maySleep({ enabled: ['b', 'c'], last: 'a', enabledAfter: true }, 'b', 'c', true)).toBe(false);
    expect(maySleep({ enabled: ['b', 'c'], last: 'a', enabledAfter: undefined }, 'b', 'c', true)).toBe(false);
  });
});

describe('generated programs: every state within the bound is reached, at no more preemptions', () => {
  /** One step's operation on cells x and y (and the task's local value). */
  type Kind = 'read-x' | 'write-x' | 'read-y' | 'write-y' | 'add-y' | 'private';
  const KINDS: readonly Kind[] = ['read-x', 'write-x', 'read-y', 'write-y', 'add-y', 'private'];

  interface Visit {
    readonly failed: boolean;
    readonly preemptions: number;
    /** The state after every step (cells and every task's progress and local). */
    readonly states: readonly string[];
  }

  /** Tasks of the given step kinds on the real scheduler; each step posts the task's next one to itself. */
  function program(kinds: readonly (readonly Kind[])[]): ObservedProgram<Visit> {
    return (guide) => {
      let last = '';
      let preemptions = 0;
      const counting = {
        register: (id: string) => guide.register(id),
        posted: (to: string) => guide.posted(to),
        delivered(id: string) {
          guide.delivered(id);
          last = id;
        },
        pick(enabled: readonly string[]) {
          const i = guide.pick(enabled);
          if (enabled.includes(last) && enabled[i] !== last) preemptions += 1;
          return i;
        },
        chosen: (id: string) => guide.chosen(id),
        priorityOf: (id: string) => guide.priorityOf(id),
      };
      const sched = new Scheduler({
        rng: Rng.fromSeed(0n),
        strategy: 'fifo',
        trace: new Trace({ keepLines: false }),
        guide: counting,
      });
      const cells = { x: 0, y: 0 };
      const progress: number[] = kinds.map(() => 0);
      const locals: number[] = kinds.map(() => 0);
      kinds.forEach((steps, ti) => {
        const id = `t${ti}`;
        const actor: SimActor = {
          id,
          deliver() {
            const n = progress[ti]!;
            progress[ti] = n + 1;
            const kind = steps[n]!;
            let fp: Footprint = { reads: [], writes: [] };
            if (kind === 'read-x') {
              locals[ti] = cells.x;
              fp = { reads: ['x'], writes: [] };
            } else if (kind === 'write-x') {
              cells.x = (locals[ti]! * 3 + ti + 1) % 97;
              fp = { reads: [], writes: ['x'] };
            } else if (kind === 'read-y') {
              locals[ti] = cells.y;
              fp = { reads: ['y'], writes: [] };
            } else if (kind === 'write-y') {
              cells.y = (locals[ti]! * 5 + ti + 2) % 89;
              fp = { reads: [], writes: ['y'] };
            } else if (kind === 'add-y') {
              cells.y = (cells.y * 2 + ti + 1) % 89;
              fp = { reads: ['y'], writes: ['y'] };
            } else locals[ti] = locals[ti]! + 7;
            if (n + 1 < steps.length) sched.post(id, id, { type: 'task.run' });
            const inbox = `inbox:${id}`;
            guide.touched(id, { reads: [...fp.reads, inbox], writes: [...fp.writes, inbox] });
          },
          state: () => `n${progress[ti]}`,
        };
        sched.register(actor);
        sched.post('test', id, { type: 'task.run' });
      });
      const states: string[] = [];
      while (sched.step())
        states.push(`x=${cells.x} y=${cells.y} p=${progress.join(',')} l=${locals.join(',')}`);
      return { failed: false, preemptions, states };
    };
  }

  /** Deterministic programs: 2 or 3 tasks of 1 to 3 steps, kinds drawn by a linear congruential sequence. */
  function generated(count: number): (readonly (readonly Kind[])[])[] {
    let seed = 12345;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return Math.floor((seed / 2147483648) * n);
    };
    const out: (readonly (readonly Kind[])[])[] = [];
    for (let c = 0; c < count; c += 1) {
      const tasks = 2 + next(2);
      out.push(
        Array.from({ length: tasks }, () =>
          Array.from({ length: 1 + next(3) }, () => KINDS[next(KINDS.length)]!),
        ),
      );
    }
    return out;
  }

  /** Every state reached, with the fewest preemptions of a run reaching it. */
  function reached(p: ObservedProgram<Visit>, preemptions: number, reduce: boolean) {
    const best = new Map<string, number>();
    const r = porSearch(p, {
      preemptions,
      reduce,
      keepGoing: true,
      onRun: (e) => {
        const v = e as Visit;
        for (const s of v.states)
          best.set(s, Math.min(best.get(s) ?? Number.POSITIVE_INFINITY, v.preemptions));
      },
    });
    return { r, best: [...best.entries()].sort(([a], [b]) => (a < b ? -1 : 1)) };
  }

  it('60 programs at P = 0, 1, 2: the same states, each at the same fewest preemptions; counts pinned', () => {
    let full = 0;
    let reduced = 0;
    let pruned = 0;
    for (const kinds of generated(60)) {
      for (const p of [0, 1, 2]) {
        const a = reached(program(kinds), p, false);
        const b = reached(program(kinds), p, true);
        expect(b.best).toEqual(a.best);
        full += a.r.schedules;
        reduced += b.r.schedules;
        pruned += b.r.pruned;
      }
    }
    expect({ full, reduced, pruned }).toEqual({ full: 3024, reduced: 2201, pruned: 622 });
  });

  it("verify's own search with the reduction (siblings chained) reaches the same states as porSearch, with its counts", () => {
    let same = 0;
    for (const kinds of generated(60)) {
      for (const p of [0, 1, 2]) {
        const ref = reached(program(kinds), p, true);
        const best = new Map<string, number>();
        const observed = program(kinds);
        const r = boundedSearch(
          (guide) => {
            const v = observed(guide as unknown as Parameters<typeof observed>[0]);
            for (const st of v.states)
              best.set(st, Math.min(best.get(st) ?? Number.POSITIVE_INFINITY, v.preemptions));
            return v;
          },
          { preemptions: p, reduction: sleepSetReduction },
        );
        expect([...best.entries()].sort(([a], [b]) => (a < b ? -1 : 1))).toEqual(
          reached(program(kinds), p, false).best,
        );
        expect([r.schedules, r.pruned]).toEqual([ref.r.schedules, ref.r.pruned]);
        same += 1;
      }
    }
    expect(same).toBe(180);
  });
});
