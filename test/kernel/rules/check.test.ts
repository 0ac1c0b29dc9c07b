// The rule mechanism (src/kernel/rules/check.ts): counting, the first breach kept per world, lock
// assertions, and a broken rule as a checked run's failure (src/sim/run.ts).

import { describe, expect, test } from 'vitest';
import { runScenario } from '../../../src/explore/run.ts';
import { ttmBoPin } from '../../../src/kernel/bo.ts';
import { TtmGlobal } from '../../../src/kernel/device.ts';
import type { KGen } from '../../../src/kernel/env.ts';
import {
  assertHeld,
  kernelRule,
  resetRuleCounts,
  ruleCounts,
  warnOn,
} from '../../../src/kernel/rules/check.ts';
import { KERNEL_RULES } from '../../../src/kernel/rules.ts';
import { WwMutex } from '../../../src/kernel/ww_mutex.ts';
import type { Scenario } from '../../../src/sim/scenario.ts';
import { kunitBo, testDevice, ttmDevFuncs } from '../../kunit/fixtures.ts';

const UP = [{ file: 'drivers/gpu/drm/ttm/ttm_bo.c', func: 'f', text: 'WARN_ON(x);' }];

describe('warnOn', () => {
  test('counts every evaluation; records only the first breach, with the description and detail', () => {
    const a = kernelRule('test.a', 'call', 'rule a holds', UP);
    const b = kernelRule('test.b', 'call', 'rule b holds', UP);
    const g = new TtmGlobal();
    expect(warnOn(g, a, false, 'bo:1', '')).toBe(false);
    expect(g.ruleBroken).toBe(null);
    expect(warnOn(g, a, true, 'bo:2', 'seen 3')).toBe(true);
    expect(warnOn(g, b, true, 'bo:3', '')).toBe(true);
    expect(g.ruleBroken).toEqual({ rule: a, actor: 'bo:2', message: 'rule a holds: seen 3' });
    expect(ruleCounts([a, b])).toEqual(
      new Map([
        ['test.a', 2],
        ['test.b', 1],
      ]),
    );
    resetRuleCounts([a, b]);
    expect(a.evaluations[0]).toBe(0);
    expect(b.evaluations[0]).toBe(0);
  });

  test('a breach with no world is counted and recorded nowhere', () => {
    const a = kernelRule('test.c', 'call', 'rule c holds', UP);
    expect(warnOn(null, a, true, 'bo:1', '')).toBe(true);
    expect(a.evaluations[0]).toBe(1);
  });

  test('a breach without detail says the description only', () => {
    const a = kernelRule('test.d', 'return', 'rule d holds', UP);
    const g = new TtmGlobal();
    warnOn(g, a, true, 'pool', '');
    expect(g.ruleBroken?.message).toBe('rule d holds');
  });
});

describe('assertHeld', () => {
  test('holds for the holder; broken when unlocked or held by another task, naming both', () => {
    const r = kernelRule('test.held', 'call', 'lock held', UP);
    const m = new WwMutex('bo:0/resv');
    const g = new TtmGlobal();
    expect(assertHeld(g, r, m, 'task:a', 'bo:0')).toBe(true);
    expect(g.ruleBroken?.message).toBe('lock held: bo:0/resv is unlocked, not by task:a');
    const g2 = new TtmGlobal();
    m.trylock('task:b');
    expect(assertHeld(g2, r, m, 'task:b', 'bo:0')).toBe(false);
    expect(assertHeld(g2, r, m, 'task:a', 'bo:0')).toBe(true);
    expect(g2.ruleBroken?.message).toBe('lock held: bo:0/resv is held by task:b, not by task:a');
    expect(r.evaluations[0]).toBe(3);
  });
});

describe('KERNEL_RULES', () => {
  test('ids are distinct, each rule is a call or return check with upstream text', () => {
    const ids = KERNEL_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of KERNEL_RULES) {
      expect(['call', 'return']).toContain(r.when);
      expect(r.upstream.length).toBeGreaterThan(0);
      for (const u of r.upstream) expect(u.text.length).toBeGreaterThan(0);
    }
  });
});

/** One device, one BO, and a task that pins it without reserving it (breaks bo.pin.resv-held). */
function* pinUnreserved(bo: Parameters<typeof ttmBoPin>[0]): KGen<void> {
  yield { kind: 'yield', label: 'before pin' };
  ttmBoPin(bo);
  yield { kind: 'yield', label: 'after pin' };
}

const PIN_UNRESERVED: Scenario = {
  name: 'test-pin-unreserved',
  summary: 'a task pins a BO it has not reserved',
  config: { test: 'pin-unreserved' },
  build(sim) {
    const t = testDevice(ttmDevFuncs, sim.env);
    const bo = kunitBo(t, 4096);
    sim.spawn('pinner', () => pinUnreserved(bo));
    return { stats: () => ({}), check: () => [], describe: () => [], worlds: () => [t.global] };
  },
};

describe('runScenario', () => {
  test('a broken kernel rule is the run failure: rule id, actor, message, the step that broke it', () => {
    const r = runScenario(PIN_UNRESERVED, { seed: 1n, strategy: 'fifo' });
    expect(r.failure).toEqual({
      kind: 'correctness',
      id: 'bo.pin.resv-held',
      message:
        'ttm_bo_pin is called with the BO reserved by the calling task: bo:0/resv is unlocked, not by task:pinner',
      step: 1,
      actor: 'bo:0',
    });
    expect(r.outcome).toBe('correctness');
  });

  test('without oracles the breach is recorded on the world but does not fail the run', () => {
    const r = runScenario(PIN_UNRESERVED, { seed: 1n, strategy: 'fifo', oracles: false });
    expect(r.failure).toBe(null);
  });
});
