// The error-path audit (src/kernel/error_paths.ts) against the fault sites and the model: every entry
// that names a fault site names one that exists, every fault site stands for at least one upstream error
// path, every error passed up from a callee bottoms out in a path the model reaches (state or fault), and
// every audited function is one the model mirrors (its name appears in the model's sources).

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ERROR_PATHS, errorPathFunctions } from '../../src/kernel/error_paths.ts';
import { FAULT_SITES } from '../../src/kernel/faults.ts';

const KERNEL = join(import.meta.dirname, '../../src/kernel');

/** Every source file of the kernel model but the audit itself, concatenated. */
function modelSources(): string {
  return readdirSync(KERNEL, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts') && f !== 'error_paths.ts')
    .map((f) => readFileSync(join(KERNEL, f), 'utf8'))
    .join('\n');
}

describe('ERROR_PATHS', () => {
  test('every entry naming a fault site names one of FAULT_SITES', () => {
    const sites = new Set<string>(FAULT_SITES);
    const named = ERROR_PATHS.flatMap((p) => (p.reach.kind === 'fault' ? [p.reach.site] : []));
    expect(named.filter((s) => !sites.has(s))).toEqual([]);
    expect(named.length).toBe(37);
  });

  test('every fault site stands for at least one upstream error path', () => {
    const named = new Set(ERROR_PATHS.flatMap((p) => (p.reach.kind === 'fault' ? [p.reach.site] : [])));
    expect(FAULT_SITES.filter((s) => !named.has(s))).toEqual([]);
  });

  test('every callee named has entries of its own, and every chain of callees ends in state or a fault site', () => {
    const funcs = errorPathFunctions();
    const callees = ERROR_PATHS.flatMap((p) => (p.reach.kind === 'callee' ? [p.reach.callee] : []));
    expect(callees.filter((c) => !funcs.has(c))).toEqual([]);
    // A function is reached when one of its entries is (state, fault) or names a reached callee.
    const reached = new Set<string>();
    for (let changed = true; changed; ) {
      changed = false;
      for (const p of ERROR_PATHS) {
        if (reached.has(p.at.func)) continue;
        const r = p.reach;
        if (r.kind === 'state' || r.kind === 'fault' || (r.kind === 'callee' && reached.has(r.callee))) {
          reached.add(p.at.func);
          changed = true;
        }
      }
    }
    expect([...funcs].filter((f) => !reached.has(f))).toEqual([]);
  });

  test('the paths the model does not have are few and say why', () => {
    const unmodelled = ERROR_PATHS.filter((p) => p.reach.kind === 'unmodelled');
    expect(unmodelled.map((p) => `${p.at.func} ${p.errno}`)).toEqual([
      'ttm_bo_init_reserved -ENOSPC',
      'ttm_device_init -ENOMEM',
      'ttm_device_init -ENOMEM',
    ]);
    for (const p of unmodelled)
      if (p.reach.kind === 'unmodelled') expect(p.reach.reason.length).toBeGreaterThan(20);
  });

  test('every audited function is one the model mirrors: its name appears in src/kernel', () => {
    const src = modelSources();
    // The model writes ttm_lru_walk_ticketlock out inside ttm_lru_walk_for_evict (bo.ts).
    const inlined: Readonly<Record<string, string>> = { ttm_lru_walk_ticketlock: 'ttm_lru_walk_for_evict' };
    const missing = [...errorPathFunctions()]
      .map((f) => inlined[f] ?? f.replace(/^ttm_device_funcs\./, ''))
      .filter((f) => !src.includes(f));
    expect(missing).toEqual([]);
  });

  test('every entry has a file, a line of text and an errno', () => {
    for (const p of ERROR_PATHS) {
      expect(p.at.file).toMatch(/^(drivers|include)\//);
      expect(p.at.text.length).toBeGreaterThan(8);
      expect(p.errno.length).toBeGreaterThan(0);
    }
    expect(ERROR_PATHS.length).toBe(155);
  });
});
