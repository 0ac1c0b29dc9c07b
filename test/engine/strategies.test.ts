// Tests of the priority strategies (PCT, POS) with small hand-written actors: exact priorities and
// delivery orders for fixed seeds, change points, seed determinism, tapes overriding every strategy,
// the starvation calibrator (random vs PCT), strategy forms and tokens carrying strategy parameters.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Msg } from '../../src/engine/messages.ts';
import { Rng } from '../../src/engine/prng.ts';
import { Scheduler } from '../../src/engine/scheduler.ts';
import {
  formatStrategy,
  parseStrategy,
  type StrategyName,
  type StrategyParams,
  type StrategySpec,
} from '../../src/engine/strategy.ts';
import { decodeToken, encodeToken, type RunToken, type TokenResult } from '../../src/engine/token.ts';
import { Trace } from '../../src/engine/trace.ts';
import type { Envelope, SimActor } from '../../src/engine/types.ts';
import { runScenario } from '../../src/explore/run.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';

const RUN: Msg = { type: 'task.run' };

interface Setup {
  readonly seed?: bigint;
  readonly strategy?: StrategyName;
  readonly params?: StrategyParams;
  readonly tape?: readonly number[];
}

function makeScheduler(s: Setup = {}): { sched: Scheduler; trace: Trace } {
  const trace = new Trace({ keepLines: true });
  const sched = new Scheduler({
    rng: Rng.fromSeed(s.seed ?? 1n),
    strategy: s.strategy ?? 'random',
    trace,
    ...(s.params === undefined ? {} : { strategyParams: s.params }),
    ...(s.tape === undefined ? {} : { tape: s.tape }),
  });
  return { sched, trace };
}

/** An actor that logs `${id}${n}` for its n-th delivery and optionally reacts. */
function recorder(id: string, log: string[], react?: (env: Envelope) => void): SimActor {
  let n = 0;
  return {
    id,
    deliver(env) {
      n += 1;
      log.push(`${id}${n}`);
      react?.(env);
    },
    state: () => `n${n}`,
  };
}

/** Register `counts` actors (id → messages queued before the run) that only log. */
function idleActors(sched: Scheduler, counts: Record<string, number>, log: string[]): void {
  for (const id of Object.keys(counts)) sched.register(recorder(id, log));
  for (const [id, n] of Object.entries(counts)) for (let i = 0; i < n; i++) sched.post('engine', id, RUN);
}

const priorities = (sched: Scheduler, ids: readonly string[]): Record<string, number | undefined> =>
  Object.fromEntries(ids.map((id) => [id, sched.priorityOf(id)]));

/** Five actors passing messages around forever: every delivery posts one message (as in scheduler.test). */
function pingPong(s: Setup): { sched: Scheduler; trace: Trace } {
  const made = makeScheduler(s);
  const { sched } = made;
  const ids = ['p0', 'p1', 'p2', 'p3', 'p4'];
  ids.forEach((id, i) => {
    let n = 0;
    sched.register({
      id,
      deliver() {
        n += 1;
        const to = ids[(i + 1 + (n % 3)) % ids.length] ?? 'p0';
        sched.post(id, to, { type: 'fence.signal', fence: `f${i}.${n}` });
      },
      state: () => `n${n}`,
    });
  });
  for (const id of ids) {
    sched.post('engine', id, RUN);
    sched.post('engine', id, RUN);
  }
  return made;
}

describe('Pct: priorities and change points', () => {
  it('Pct.pick d=1: priorities c > a > b, a re-enables c → c runs until its inbox empties: c1 a1 c2 a2 b1 b2', () => {
    const { sched } = makeScheduler({ seed: 2n, strategy: 'pct', params: { depth: 1, k: 10 } });
    const log: string[] = [];
    // a's first delivery posts to c, re-enabling the highest-priority actor.
    sched.register(recorder('a', log, (env) => env.seq === 0 && sched.post('a', 'c', RUN)));
    sched.register(recorder('b', log));
    sched.register(recorder('c', log));
    for (const id of ['a', 'a', 'b', 'b', 'c']) sched.post('engine', id, RUN);
    expect(sched.changePoints).toEqual([]);
    expect(priorities(sched, ['a', 'b', 'c'])).toEqual({ a: 2828236050, b: 595495549, c: 3640425050 });
    sched.run(100);
    expect(log).toEqual(['c1', 'a1', 'c2', 'a2', 'b1', 'b2']);
    expect(sched.tape).toEqual([2, 0, 2, 0]);
  });

  it('Pct.pick d=1: 500-step ping-pong → every step runs the enabled actor with the highest priority', () => {
    const { sched, trace } = pingPong({ seed: 7n, strategy: 'pct', params: { depth: 1, k: 500 } });
    const ran: string[] = [];
    const best: string[] = [];
    for (let i = 0; i < 500; i++) {
      const enabled = sched.enabled();
      const top = enabled.reduce((x, y) => ((sched.priorityOf(y) ?? 0) > (sched.priorityOf(x) ?? 0) ? y : x));
      best.push(top);
      sched.step();
      ran.push(String((JSON.parse(trace.lines()[i] ?? '{}') as { actor: string }).actor));
    }
    expect(ran).toEqual(best);
  });

  it('Pct.register d=1: actor registered after step 1 → high-band priority 3640425050, runs next', () => {
    const { sched } = makeScheduler({ seed: 2n, strategy: 'pct', params: { depth: 1, k: 10 } });
    const log: string[] = [];
    idleActors(sched, { a: 2, b: 2 }, log);
    sched.step();
    sched.register(recorder('late', log));
    sched.post('engine', 'late', RUN);
    expect(priorities(sched, ['a', 'b', 'late'])).toEqual({ a: 2828236050, b: 595495549, late: 3640425050 });
    sched.run(100);
    expect(log).toEqual(['a1', 'late1', 'a2', 'b1', 'b2']);
  });

  it('Pct.chosen d=3, k=8, seed 3: change points [7, 5] → c drops to 2 at choice 5, a to 1 at choice 7', () => {
    const { sched } = makeScheduler({ seed: 3n, strategy: 'pct', params: { depth: 3, k: 8 } });
    const log: string[] = [];
    idleActors(sched, { a: 4, b: 4, c: 4 }, log);
    expect(sched.changePoints).toEqual([7, 5]);
    expect(priorities(sched, ['a', 'b', 'c'])).toEqual({ a: 1380357910, b: 3412600608, c: 1735093517 });
    sched.run(5);
    // Choices 1-4: b (highest) until empty; choice 5: c, which drops to 2 after running.
    expect(log).toEqual(['b1', 'b2', 'b3', 'b4', 'c1']);
    expect(priorities(sched, ['a', 'c'])).toEqual({ a: 1380357910, c: 2 });
    sched.run(100);
    // Choices 6-7: a, which drops to 1; then c (2) before a (1).
    expect(log.slice(5)).toEqual(['a1', 'a2', 'c2', 'c3', 'c4', 'a3', 'a4']);
    expect(priorities(sched, ['a', 'b', 'c'])).toEqual({ a: 1, b: 3412600608, c: 2 });
  });

  it('Pct.chosen d=2, k=8, seed 7: change point 4 → top actor a yields after 4 of its 6 messages', () => {
    const { sched } = makeScheduler({ seed: 7n, strategy: 'pct', params: { depth: 2, k: 8 } });
    const log: string[] = [];
    idleActors(sched, { a: 6, b: 2, c: 2 }, log);
    expect(sched.changePoints).toEqual([4]);
    const p = priorities(sched, ['a', 'b', 'c']);
    expect(p).toEqual({ a: 2191672994, b: 828659388, c: 770038213 });
    sched.run(100);
    expect(log).toEqual(['a1', 'a2', 'a3', 'a4', 'b1', 'b2', 'c1', 'c2', 'a5', 'a6']);
    expect(sched.priorityOf('a')).toBe(1);
  });

  it('Pct d=3, k=2: seeds 1..4 → change points are the distinct choices 1 and 2', () => {
    for (const seed of [1n, 2n, 3n, 4n]) {
      const { sched } = makeScheduler({ seed, strategy: 'pct', params: { depth: 3, k: 2 } });
      expect([...sched.changePoints].sort()).toEqual([1, 2]);
    }
  });

  it('Scheduler: pct without params, random with params, pct depth 4, pct:3 with k=1 → RangeError', () => {
    expect(() => makeScheduler({ strategy: 'pct' })).toThrow(
      "scheduler: strategy 'pct' needs parameters (depth, k)",
    );
    expect(() => makeScheduler({ strategy: 'random', params: { depth: 1, k: 1 } })).toThrow(
      "scheduler: strategy 'random' takes no parameters",
    );
    expect(() => makeScheduler({ strategy: 'pct', params: { depth: 4, k: 10 } })).toThrow(
      'scheduler: pct depth must be an integer in 1..3, got 4',
    );
    expect(() => makeScheduler({ strategy: 'pct', params: { depth: 3, k: 1 } })).toThrow(
      'scheduler: pct k must be an integer in 2..1000000000 for depth 3, got 1',
    );
  });
});

describe('Pos: per-message priorities', () => {
  it('Pos.pick seed 1: 2 messages each to a, b, c, priorities drawn at post → a1 c1 c2 b1 b2 a2', () => {
    const { sched } = makeScheduler({ seed: 1n, strategy: 'pos' });
    const log: string[] = [];
    idleActors(sched, { a: 2, b: 2, c: 2 }, log);
    expect(priorities(sched, ['a', 'b', 'c'])).toEqual({ a: 1855015208, b: 809886084, c: 1579792941 });
    sched.step();
    // a's second message drew a low priority when posted: a now loses to c and b.
    expect(sched.priorityOf('a')).toBe(435143752);
    sched.run(100);
    expect(log).toEqual(['a1', 'c1', 'c2', 'b1', 'b2', 'a2']);
    expect(sched.priorityOf('a')).toBeUndefined();
  });

  it('Pos.pick: 500-step ping-pong → every step runs the actor whose head message has the highest priority', () => {
    const { sched, trace } = pingPong({ seed: 7n, strategy: 'pos' });
    const ran: string[] = [];
    const best: string[] = [];
    for (let i = 0; i < 500; i++) {
      const enabled = sched.enabled();
      const top = enabled.reduce((x, y) => ((sched.priorityOf(y) ?? 0) > (sched.priorityOf(x) ?? 0) ? y : x));
      best.push(top);
      sched.step();
      ran.push(String((JSON.parse(trace.lines()[i] ?? '{}') as { actor: string }).actor));
    }
    expect(ran).toEqual(best);
  });
});

describe('Strategies: seeds and tapes', () => {
  const forms: readonly Setup[] = [
    { strategy: 'pct', params: { depth: 1, k: 500 } },
    { strategy: 'pct', params: { depth: 2, k: 500 } },
    { strategy: 'pct', params: { depth: 3, k: 500 } },
    { strategy: 'pos' },
  ];

  it('Scheduler pct:1/2/3, pos: same seed twice → identical trace sha256 and tape; pinned for seed 42', () => {
    const shas = forms.map((f) => {
      const a = pingPong({ ...f, seed: 42n });
      const b = pingPong({ ...f, seed: 42n });
      expect(a.sched.run(500)).toEqual({ steps: 500, quiescent: false });
      b.sched.run(500);
      expect(b.trace.sha256()).toBe(a.trace.sha256());
      expect(b.sched.tape).toEqual(a.sched.tape);
      return a.trace.sha256();
    });
    expect(shas).toEqual([
      '26063fd11538e13b577e96fa5008c0936250a777f04a4fa4ea4e886373da8521',
      '7d59ded1281ea113c09735a2283879fd0f16edbdff56797d71ecf4049edc7727',
      '56f6e3f38be1ec54725cdb3b91baaa75ce4e63d1ac8e9011bce419ca6c971de7',
      'f8566a289527e45e30fdf056f5cff40bcb279c723045e68df780bada1f1c0586',
    ]);
  });

  it('Scheduler pct:2, pos: seeds 42 and 43 → different traces', () => {
    for (const f of forms.slice(1)) {
      const a = pingPong({ ...f, seed: 42n });
      const b = pingPong({ ...f, seed: 43n });
      a.sched.run(500);
      b.sched.run(500);
      expect(b.trace.sha256()).not.toBe(a.trace.sha256());
    }
  });

  it('Scheduler tape: pct/pos tape replayed under random, fifo, pct:1/2/3, pos, other seed → identical sha256', () => {
    for (const f of forms) {
      const original = pingPong({ ...f, seed: 42n });
      original.sched.run(500);
      for (const other of [{ strategy: 'random' }, { strategy: 'fifo' }, ...forms] as Setup[]) {
        const replay = pingPong({ ...other, seed: 999n, tape: original.sched.tape });
        replay.sched.run(500);
        expect(replay.trace.sha256()).toBe(original.trace.sha256());
        expect(replay.sched.tapeDiverged).toBe(false);
      }
    }
  });

  it('Scheduler tape: random tape replayed under pct:3 and pos → identical sha256', () => {
    const original = pingPong({ seed: 5n });
    original.sched.run(300);
    for (const f of [forms[2]!, forms[3]!]) {
      const replay = pingPong({ ...f, seed: 5n, tape: original.sched.tape });
      replay.sched.run(300);
      expect(replay.trace.sha256()).toBe(original.trace.sha256());
    }
  });
});

describe('calibrator: starvation, one actor must take L=14 consecutive steps among 4 busy actors', () => {
  // w0..w3 re-post to themselves after every delivery, so all four stay enabled and each of the 100
  // steps is a choice; the bug fires when w0 runs 14 steps in a row. Uniform random: about
  // 87·(3/4)·(1/4)^13 ≈ 1e-6 per run. PCT d=1: exactly when w0 has the top priority, 1/4 (the bound
  // 1/n is tight). PCT d=2, k=100: w0 first and the change point at c ≥ 14 (87/100), or w0 second and
  // c ≤ 86 (86/100): 0.4325 (4,000 seeds gave 0.423). POS: fresh draws beat the heads that already lost.
  const L = 14;
  const STEPS = 100;

  function starved(seed: bigint, spec: StrategySpec): boolean {
    const { sched } = makeScheduler({
      seed,
      strategy: spec.name,
      ...(spec.params === undefined ? {} : { params: spec.params }),
    });
    const ids = ['w0', 'w1', 'w2', 'w3'];
    let last = '';
    let streak = 0;
    let longest = 0;
    for (const id of ids) {
      sched.register({
        id,
        deliver: () => {
          streak = last === id ? streak + 1 : 1;
          last = id;
          if (id === 'w0') longest = Math.max(longest, streak);
          sched.post(id, id, RUN);
        },
        state: () => '',
      });
    }
    for (const id of ids) sched.post('engine', id, RUN);
    sched.run(STEPS);
    return longest >= L;
  }

  const count = (form: string): number => {
    const parsed = parseStrategy(form);
    if (!parsed.ok) throw new Error(parsed.reason);
    let hits = 0;
    for (let seed = 0n; seed < 200n; seed++) if (starved(seed, parsed.spec)) hits += 1;
    return hits;
  };

  it('Scheduler: starvation, seeds 0..199 → bug hit by random 0, pct:1 47, pct:2 70, pct:3 111, pos 112', () => {
    const hits = {
      random: count('random'),
      pct1: count(`pct:1:${STEPS}`),
      pct2: count(`pct:2:${STEPS}`),
      pct3: count(`pct:3:${STEPS}`),
      pos: count('pos'),
    };
    expect(hits).toEqual({ random: 0, pct1: 47, pct2: 70, pct3: 111, pos: 112 });
    expect(hits.random).toBe(0);
    expect(Math.min(hits.pct1, hits.pct2)).toBeGreaterThanOrEqual(20);
  });
});

describe('strategy forms and tokens', () => {
  const HASH = '00112233445566778899aabbccddeeff';
  const reason = (r: TokenResult): string => (r.ok ? 'ok' : r.reason);
  const why = (r: ReturnType<typeof parseStrategy>): string => (r.ok ? 'ok' : r.reason);
  const seal = (body: Buffer): string =>
    Buffer.concat([body, createHash('sha256').update(body).digest().subarray(0, 4)]).toString('base64url');
  const FORMS = [
    'random',
    'fifo',
    'pos',
    'pct:1',
    'pct:2',
    'pct:3',
    'pct:2:50',
    'pct:3:2',
    'pct:1:1000000000',
  ];

  it('parseStrategy / formatStrategy: every form → spec → canonical form with K spelled out', () => {
    const canonical = FORMS.map((form) => {
      const p = parseStrategy(form);
      return p.ok ? formatStrategy(p.spec.name, p.spec.params) : p.reason;
    });
    expect(canonical).toEqual([
      'random',
      'fifo',
      'pos',
      'pct:1:1000',
      'pct:2:1000',
      'pct:3:1000',
      'pct:2:50',
      'pct:3:2',
      'pct:1:1000000000',
    ]);
    expect(parseStrategy('pct:2')).toEqual({
      ok: true,
      spec: { name: 'pct', params: { depth: 2, k: 1000 } },
    });
  });

  it('parseStrategy: bad forms → one-line reason listing the valid forms', () => {
    const forms = 'random, fifo, pos, pct:D or pct:D:K (D in 1..3, K in 1..1000000000, default 1000)';
    expect(parseStrategy('dfs')).toEqual({ ok: false, reason: `must be one of ${forms}, got "dfs"` });
    for (const bad of ['pct', 'pct:', 'random:1', 'PCT:2', 'pct:2:3:4', 'pct:02', 'pct:x', 'pct:1.5']) {
      expect(parseStrategy(bad)).toEqual({ ok: false, reason: `must be one of ${forms}, got "${bad}"` });
    }
    expect(why(parseStrategy('pct:4'))).toBe(
      `must be one of ${forms}, got "pct:4": pct depth must be an integer in 1..3, got 4`,
    );
    expect(why(parseStrategy('pct:2:0'))).toBe(
      `must be one of ${forms}, got "pct:2:0": pct k must be an integer in 1..1000000000 for depth 2, got 0`,
    );
    expect(why(parseStrategy('pct:3:1'))).toBe(
      `must be one of ${forms}, got "pct:3:1": pct k must be an integer in 2..1000000000 for depth 3, got 1`,
    );
  });

  it('encodeToken / decodeToken: every strategy form round-trips, with and without a tape', () => {
    for (const form of FORMS) {
      const p = parseStrategy(form);
      if (!p.ok) throw new Error(p.reason);
      const t: RunToken = {
        seed: 77n,
        strategy: p.spec.name,
        ...(p.spec.params === undefined ? {} : { strategyParams: p.spec.params }),
        scenarioHash: HASH,
      };
      for (const token of [t, { ...t, tape: [0, 3, 1, 200] }]) {
        expect(decodeToken(encodeToken(token))).toEqual({ ok: true, token: { version: 1, ...token } });
      }
    }
  });

  it('encodeToken layout: pct:2:1000 → strategy id 2, then varint depth 02 and varint k e807, 34 bytes', () => {
    const t = encodeToken({
      seed: 1n,
      strategy: 'pct',
      strategyParams: { depth: 2, k: 1000 },
      scenarioHash: HASH,
    });
    const bytes = Buffer.from(t, 'base64url');
    expect(bytes.length).toBe(34);
    expect(t.length).toBe(46);
    expect(bytes.subarray(0, 30).toString('hex')).toBe(`01000000000000000102${HASH}0002e807`);
    const pos = Buffer.from(encodeToken({ seed: 1n, strategy: 'pos', scenarioHash: HASH }), 'base64url');
    expect(pos.subarray(0, 27).toString('hex')).toBe(`01000000000000000103${HASH}00`);
    expect(pos.length).toBe(31);
    const taped = Buffer.from(
      encodeToken({
        seed: 1n,
        strategy: 'pct',
        strategyParams: { depth: 3, k: 5 },
        scenarioHash: HASH,
        tape: [1, 2],
      }),
      'base64url',
    );
    expect(taped.subarray(26, taped.length - 4).toString('hex')).toBe('01' + '0305' + '02' + '0102');
  });

  it('encodeToken: pct without params or random with params → RangeError', () => {
    const base: RunToken = { seed: 1n, strategy: 'pct', scenarioHash: HASH };
    expect(() => encodeToken(base)).toThrow("strategy 'pct' needs parameters (depth, k)");
    expect(() => encodeToken({ ...base, strategy: 'fifo', strategyParams: { depth: 1, k: 1 } })).toThrow(
      "strategy 'fifo' takes no parameters",
    );
    expect(() => encodeToken({ ...base, strategyParams: { depth: 1, k: 0 } })).toThrow(RangeError);
  });

  it('decodeToken: pct params out of range, re-checksummed → one-line bad-parameters reason', () => {
    const good = Buffer.from(
      encodeToken({ seed: 1n, strategy: 'pct', strategyParams: { depth: 2, k: 1000 }, scenarioHash: HASH }),
      'base64url',
    );
    const body = Buffer.from(good.subarray(0, good.length - 4));
    body[27] = 7;
    expect(reason(decodeToken(seal(body)))).toBe(
      'token has bad strategy parameters: pct depth must be an integer in 1..3, got 7',
    );
    const zeroK = Buffer.concat([good.subarray(0, 28), Buffer.from([0])]);
    expect(reason(decodeToken(seal(zeroK)))).toBe(
      'token has bad strategy parameters: pct k must be an integer in 1..1000000000 for depth 2, got 0',
    );
  });

  it('decodeToken: pct token cut inside its params → truncated; sealed without params → truncated, unterminated → malformed', () => {
    const good = encodeToken({
      seed: 1n,
      strategy: 'pct',
      strategyParams: { depth: 2, k: 1000 },
      scenarioHash: HASH,
    });
    expect(reason(decodeToken(good.slice(0, 38)))).toBe(
      'token is truncated: 28 bytes, at least 33 expected; copy the whole line',
    );
    // A pct header sealed without its params block is shorter than any pct token.
    const head = Buffer.from(good, 'base64url').subarray(0, 27);
    expect(reason(decodeToken(seal(head)))).toBe(
      'token is truncated: 31 bytes, at least 33 expected; copy the whole line',
    );
    // Unterminated varints (0x82 0x80) whose checksum bytes all have the high bit set (seed 1): the
    // params run into and past the checksum.
    const open = Buffer.concat([head, Buffer.from([0x82, 0x80])]);
    expect(reason(decodeToken(seal(open)))).toBe(
      'token strategy parameters are malformed: they run past the checksum',
    );
  });
});

describe('decodeToken on damaged pct tokens', () => {
  it('decodeToken: every truncation and single-character change of a pct:3:700 token with a tape → rejected, none throws', () => {
    const good = encodeToken({
      seed: 5n,
      strategy: 'pct',
      strategyParams: { depth: 3, k: 700 },
      scenarioHash: '00112233445566778899aabbccddeeff',
      tape: [1, 0, 2, 130],
    });
    const accepted: string[] = [];
    for (let i = 1; i < good.length; i++) if (decodeToken(good.slice(0, i)).ok) accepted.push(`cut ${i}`);
    for (let i = 0; i < good.length; i++) {
      for (const c of 'AQgwZz09-_') {
        if (good[i] === c) continue;
        if (decodeToken(good.slice(0, i) + c + good.slice(i + 1)).ok) accepted.push(`flip ${i}`);
      }
    }
    expect(accepted).toEqual([]);
  });
});

describe('runScenario with pct and pos', () => {
  const scenario = findScenario('vram-pressure')!;

  it('runScenario: vram-pressure seed 1 pct:2:1000 → pinned sha, token carries the params and replays', () => {
    const r = runScenario(scenario, { seed: 1n, strategy: 'pct', strategyParams: { depth: 2, k: 1000 } });
    expect(r.outcome).toBe('pass');
    expect(r.steps).toBe(334);
    expect(r.choices).toBe(310);
    expect(r.traceSha256).toBe('c039cc702832112ce00467859ae431af57a9578ad143d8b02774cca83a514e34');
    expect(r.strategyParams).toEqual({ depth: 2, k: 1000 });
    const d = decodeToken(r.token);
    if (!d.ok) throw new Error(d.reason);
    expect(d.token.strategy).toBe('pct');
    expect(d.token.strategyParams).toEqual({ depth: 2, k: 1000 });
    const again = runScenario(scenario, {
      seed: d.token.seed,
      strategy: d.token.strategy,
      ...(d.token.strategyParams === undefined ? {} : { strategyParams: d.token.strategyParams }),
    });
    expect(again.traceSha256).toBe(r.traceSha256);
    // The seed also draws the scenario's data, so a tape replays under the same seed, any strategy.
    const taped = runScenario(scenario, { seed: 1n, strategy: 'fifo', tape: r.sim.scheduler.tape });
    expect(taped.traceSha256).toBe(r.traceSha256);
  });

  it('runScenario: vram-pressure seed 1 pos → pinned sha; a random run is unchanged by the new strategies', () => {
    const r = runScenario(scenario, { seed: 1n, strategy: 'pos' });
    expect(r.traceSha256).toBe('92583b26bcc762d1dbb5624f13162a919e0ba483006fcd6430f1c727c6f855d9');
    expect(r.steps).toBe(479);
    const random = runScenario(scenario, { seed: 1n });
    expect(random.traceSha256).toBe('d9614473c06a341bacaf1c2ebbc434d463357830c0d7a70eeb64a99d24ce31d1');
  });
});
