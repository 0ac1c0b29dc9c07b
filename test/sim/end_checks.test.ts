// The workload end checks of src/sim/end_checks.ts that no scenario run makes fire on the unmutated
// model, each made to fire by breaking exactly its rule by hand: an access whose faults never leave a PTE
// (correctness.fault-stuck), a BO creation that fails with no injected fault behind it
// (correctness.create), and a stress state whose resv lock is still held or whose emitted fence never
// signalled at the end (resv.held, fence.unsignaled). Each asserts the exact id, actor and message.

import { describe, expect, test } from 'vitest';
import { runScenario } from '../../src/explore/run.ts';
import { ttmBoInitValidate } from '../../src/kernel/bo.ts';
import { type CpuMapping, type Pte, ttmBoMmapObj } from '../../src/kernel/bo_vm.ts';
import { PAGE_SIZE, TTM_PL_SYSTEM } from '../../src/kernel/constants.ts';
import type { TtmGlobal } from '../../src/kernel/device.ts';
import type { FaultHook } from '../../src/kernel/faults.ts';
import { place, placementOf } from '../../src/kernel/placement.ts';
import { runSync } from '../../src/kernel/sync.ts';
import { END_CHECKS } from '../../src/sim/end_checks.ts';
import type { Breach, Scenario, Workload } from '../../src/sim/scenario.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';
import { type FaultTally, touchPage } from '../../src/sim/scenarios/race_common.ts';
import { B, initState, Layout } from '../../src/stress/layout.ts';
import { breaches, judge, signature } from '../../src/stress/oracles.ts';
import { STRESS_DEFAULTS } from '../../src/stress/roles.ts';
import { kunitBo, testDevice } from '../kunit/fixtures.ts';

/** A page table that takes no entry: every PTE a fault installs is gone before the access looks. */
class ForgetfulPtes extends Map<number, Pte> {
  override set(_page: number, _pte: Pte): this {
    return this;
  }
}

describe('workload end checks, each broken by hand', () => {
  test('the four checks are in the catalogue, as end checks', () => {
    for (const id of ['correctness.fault-stuck', 'correctness.create', 'resv.held', 'fence.unsignaled']) {
      expect(END_CHECKS.find((c) => c.id === id)?.when, id).toBe('end');
    }
  });

  test('correctness.fault-stuck: an access whose 16 faults each return without a PTE staying is a breach', () => {
    const t = testDevice();
    const bo = kunitBo(t, 2 * PAGE_SIZE);
    const err = runSync(
      t.env,
      ttmBoInitValidate(t.bdev, bo, 'device', placementOf(place(TTM_PL_SYSTEM)), 0, false, null),
    );
    expect(err).toBe(0);
    const vma = ttmBoMmapObj(bo) as CpuMapping;
    expect(typeof vma).toBe('object');
    // The fault handler inserts the PTE, as it must; the page table drops it (the broken rule).
    Object.defineProperty(vma, 'ptes', { value: new ForgetfulPtes() });
    const tally: FaultTally = { faults: 0, sigbus: 0, pagesMapped: 0 };
    const found: Breach[] = [];
    const mapped = runSync(t.env, touchPage(vma, 0, 'task:reader', tally, found));
    expect(mapped).toBe(false);
    expect(bo.id).toBe('bo:0');
    expect(tally).toEqual({ faults: 16, sigbus: 0, pagesMapped: 0 });
    expect(found).toEqual([
      {
        id: 'correctness.fault-stuck',
        actor: 'task:reader',
        message: 'bo:0 page 0 still unmapped after 16 faults',
      },
    ]);
  });

  test('correctness.create: memory-pressure whose first BO creation fails -ENOMEM with no fault injected', () => {
    const mp = findScenario('memory-pressure')!;
    // The allocation of bo:0's resource fails, but past the scenario's fault counter: a create failure
    // that no injected fault explains, which the kernel never returns for a SYSTEM placement.
    const broken: Scenario = {
      ...mp,
      build(sim, rng): Workload {
        const w = mp.build(sim, rng);
        const g: TtmGlobal = w.worlds()[0]!;
        const counted = g.faultHook;
        const uncounted: FaultHook = (site, where) =>
          (site === 'resource.alloc' && where === 'bo:0') || (counted?.(site, where) ?? false);
        g.faultHook = uncounted;
        return w;
      },
    };
    const r = runScenario(broken, { seed: 1n });
    expect(r.outcome).toBe('correctness');
    // Reported at the end of the run (step 442), as end checks are.
    expect(r.failure).toEqual({
      kind: 'correctness',
      id: 'correctness.create',
      message: 'init failed -ENOMEM',
      step: 442,
      actor: 'bo:0',
    });
    expect(r.stats).toMatchObject({ faultsFired: 0, createFailures: 0 });
  });

  describe('stress end-of-run checks on a final state', () => {
    const cfg = STRESS_DEFAULTS.signal;
    const fresh = (): { lay: Layout; w: Int32Array } => {
      const lay = new Layout(cfg);
      const w = new Int32Array(lay.words);
      initState(lay, w);
      return { lay, w };
    };

    test('a fresh state passes', () => {
      const { lay, w } = fresh();
      expect(breaches(lay, w)).toEqual([]);
      expect(judge(lay, w).kind).toBe('pass');
    });

    test('resv.held: bo 0 still reserved by thread 1 at the end', () => {
      const { lay, w } = fresh();
      w[lay.bo(0, B.RESV_THREAD)] = 1 + 1;
      const v = judge(lay, w);
      expect(v).toEqual({
        kind: 'correctness',
        id: 'resv.held',
        thread: 1,
        message: 'bo 0: its resv lock is still held at the end of the run',
      });
      expect(signature(cfg, v)).toBe('resv.held | task:wait | exited | ');
    });

    test('fence.unsignaled: bo 0 emitted fence 2, only 1 signalled', () => {
      const { lay, w } = fresh();
      w[lay.bo(0, B.FENCE_EMITTED)] = 2;
      w[lay.bo(0, B.FENCE_SIGNALED)] = 1;
      const v = judge(lay, w);
      expect(v).toEqual({
        kind: 'correctness',
        id: 'fence.unsignaled',
        thread: null,
        message: 'bo 0: fence 2 emitted, only 1 signalled at the end of the run',
      });
      expect(signature(cfg, v)).toBe('fence.unsignaled |  |  | ');
    });
  });
});
