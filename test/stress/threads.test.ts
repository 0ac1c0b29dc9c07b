// Stress mode on real Piscina threads: properties that hold for every interleaving the threads take
// (exact counts, errno, checksums), and exact equality between a run and the replay of its ticket log.

import type { Piscina } from 'piscina';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decode, runDecoded } from '../../src/cli/common.ts';
import { checkReplay, stressRun } from '../../src/explore/stress_driver.ts';
import { replayLog } from '../../src/explore/stress_replay.ts';
import { EINTR, ERESTARTSYS } from '../../src/kernel/errno.ts';
import { B, C, E, F, Layout, P, stateHash, T } from '../../src/stress/layout.ts';
import { MUTATION_RESTORE_NO_RESUME } from '../../src/stress/programs.ts';
import { STRESS_DEFAULTS, stressConfig } from '../../src/stress/roles.ts';
import { createPool } from '../../workers/pool.ts';

let pool: Piscina;

beforeAll(() => {
  pool = createPool('stress.worker.ts', 8);
});

afterAll(async () => {
  await pool.destroy();
});

function sum(lay: Layout, w: Int32Array, word: number): number {
  let n = 0;
  for (let t = 0; t < lay.cfg.threads; t++) n += w[lay.thread(t, word)]!;
  return n;
}

describe('stress mode on real threads', () => {
  test('ttm_bo_vm_fault: 4 threads fault one page, 5 runs → exactly one install per PTE, 3 threads find it present, all finish', async () => {
    const cfg = stressConfig('pte', 4, 1);
    const lay = new Layout(cfg);
    for (let seed = 0n; seed < 5n; seed++) {
      const run = await stressRun(pool, cfg, { seed, mutations: [] });
      const w = run.state;
      expect(run.verdict.kind).toBe('pass');
      expect(run.threads).toHaveLength(4);
      expect(w[lay.pte(0, 0, 0, E.INSTALLS)]).toBe(1);
      expect(w[lay.pte(0, 0, 0, E.ZAPS)]).toBe(0);
      expect(w[lay.pte(0, 0, 0, E.PTE)]).toBe(w[lay.page(0, 0, P.PAGE)]);
      expect(sum(lay, w, T.INSTALLS)).toBe(1);
      expect(sum(lay, w, T.PRESENT)).toBe(3);
      expect(sum(lay, w, T.DONE)).toBe(4);
      expect([w[C.ALLOCS], w[C.FREES], w[C.DOUBLE_FREE]]).toEqual([1, 0, 0]);
      expect(w[lay.bo(0, B.RESV)]).toBe(0);
    }
  });

  test('dma_fence_wait + ttm_pool_restore_and_alloc: signals interrupt a fence wait and a half-done restore, 3 runs → -ERESTARTSYS, one -EINTR then a resumed restore, nothing leaked or lost', async () => {
    const cfg = STRESS_DEFAULTS.signal;
    const lay = new Layout(cfg);
    for (let seed = 0n; seed < 3n; seed++) {
      const run = await stressRun(pool, cfg, { seed, mutations: [] });
      const w = run.state;
      expect(run.verdict.kind).toBe('pass');
      // The waiter (thread 1) returned -ERESTARTSYS and unlocked; the fence signalled after it.
      expect(w[lay.thread(1, T.ERRNO)]).toBe(-ERESTARTSYS);
      expect(w[lay.thread(1, T.INTR_ERRNO)]).toBe(-ERESTARTSYS);
      expect([w[C.WAIT_INTR], w[lay.thread(1, T.INTERRUPTED)]]).toEqual([1, 1]);
      expect([w[lay.bo(0, B.FENCE_EMITTED)], w[lay.bo(0, B.FENCE_SIGNALED)]]).toEqual([1, 1]);
      // The faulter (thread 3) was interrupted once (-EINTR) and its refault resumed the restore.
      expect(w[C.RESTORE_INTR]).toBe(1);
      expect(w[lay.thread(3, T.INTERRUPTED)]).toBe(1);
      expect(w[lay.thread(3, T.INTR_ERRNO)]).toBe(-EINTR);
      expect(w[lay.thread(3, T.ERRNO)]).toBe(0);
      expect(w[lay.thread(3, T.INSTALLS)]).toBe(3);
      // 3 fresh pages of bo 0 and 3 restored pages of bo 1; nothing freed, nothing left in the backup.
      expect([w[C.ALLOCS], w[C.FREES], w[C.DOUBLE_FREE]]).toEqual([6, 0, 0]);
      let allocated = 0;
      for (let f = 0; f < cfg.frames; f++) allocated += w[lay.frame(f, F.STATE)]!;
      expect(allocated).toBe(6);
      let checksum = 0;
      for (let b = 0; b < cfg.bos; b++) {
        expect(w[lay.bo(b, B.RESV)]).toBe(0);
        for (let p = 0; p < cfg.pages; p++) {
          expect(w[lay.page(b, p, P.BACKUP)]).toBe(0);
          checksum += w[lay.frame(w[lay.page(b, p, P.PAGE)]! - 1, F.CONTENT)]!;
        }
      }
      // Σ content(b, p) = Σ 0x10000 (b + 1) + p + 1 over 2 BOs × 3 pages.
      expect(checksum).toBe(3 * 0x10000 + 6 + 3 * 0x20000 + 6);
    }
  });

  test('stress run → replayLog: stress-bind, 3 runs → the ticket log replayed in one thread gives the same final state, word for word', async () => {
    const cfg = STRESS_DEFAULTS.bind;
    for (let seed = 0n; seed < 3n; seed++) {
      const run = await stressRun(pool, cfg, { seed, mutations: [] });
      const again = replayLog(cfg, [], run.log);
      expect(again.misfits).toBe(0);
      expect(stateHash(again.state)).toBe(run.stateHash);
      // Every word but the barrier and lock words (timing) is equal.
      const a = Array.from(run.state);
      const b = Array.from(again.state);
      for (const i of [C.READY, C.GO, C.LIN]) a[i] = b[i] = 0;
      expect(b).toEqual(a);
      expect(again.signature).toBe(run.signature);
    }
  });

  test('ttm-sim replay TOKEN: a failing stress run (stress-signal, stress-restore-no-resume) → the token reproduces its signature', async () => {
    const cfg = STRESS_DEFAULTS.signal;
    const mutations = [MUTATION_RESTORE_NO_RESUME];
    const run = await stressRun(pool, cfg, { seed: 7n, mutations });
    expect(run.signature).toBe('content.lost | task:fault | exited | ');
    const check = checkReplay(cfg, mutations, run);
    expect([check.sameState, check.sameSignature]).toEqual([true, true]);
    const replayed = runDecoded(decode(check.token, 'replay'), false);
    expect(replayed.signature).toBe(run.signature);
    expect(replayed.strategy).toBe('fifo');
  });
});
