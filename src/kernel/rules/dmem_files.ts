// Rules of the dmem cgroup files (kernel/cgroup/dmem.c: the cftype table, dmemcg_limit_write,
// dmemcg_limit_show with get_resource_*, alloc_pool_single with reset_all_resource_limits) and of the page
// counter's watermark they show as dmem.peak (mm/page_counter.c page_counter_try_charge), checked where
// src/kernel/dmem_cgroup.ts mirrors those functions:
// - a pool starts empty, with no peak, dmem.min 0, dmem.low 0 and dmem.max "max", so its files read what
//   they read before it existed;
// - a dmem.min/low/max write makes that file read the value written and leaves the other two as they
//   were, unless page_counter_set_max refused a max below the usage (dmem.c does not report that; the
//   model returns -EBUSY) or the cgroup is the root, which has no such files: then nothing changes;
// - dmem.peak never falls, never reads below dmem.current, and rises only to a usage a charge reached.
// The values are read through the model's file readers (dmemFileRead), not through the write's own code.

import type { TtmGlobal } from '../device.ts';
import type { DmemCgroup, DmemLimitFile, DmemPool } from '../dmem_cgroup.ts';
import { type KernelRule, kernelRule, warnOn } from './check.ts';

const DMEM = 'kernel/cgroup/dmem.c';
const PC = 'mm/page_counter.c';

export const DMEM_POOL_RESET = kernelRule(
  'dmem.pool.reset',
  'return',
  'a pool made by get_cg_pool_unlocked starts with dmem.current 0, dmem.peak 0, dmem.min 0, dmem.low 0 and dmem.max "max": its files read what they read before it existed',
  [
    { file: DMEM, func: 'alloc_pool_single', text: 'reset_all_resource_limits(pool);' },
    { file: DMEM, func: 'reset_all_resource_limits', text: 'set_resource_min(rpool, 0);' },
    {
      file: DMEM,
      func: 'get_resource_max',
      text: 'return pool ? READ_ONCE(pool->cnt.max) : PAGE_COUNTER_MAX;',
    },
  ],
);

export const DMEM_LIMIT_WRITE = kernelRule(
  'dmem.limit-write.post',
  'return',
  'a dmem.min/low/max write makes that file read the value written and leaves the other limits as they were, unless page_counter_set_max refused a max below the usage (the old max stays; dmem.c does not report it, the model returns -EBUSY) or the cgroup is the root, which has none of these files',
  [
    { file: DMEM, func: 'dmemcg_limit_write', text: 'apply(pool, new_limit);' },
    { file: DMEM, func: 'dmemcg_limit_write', text: 'return err ?: nbytes;' },
    { file: DMEM, func: 'files[]', text: '.flags = CFTYPE_NOT_ON_ROOT,' },
    { file: 'mm/page_counter.c', func: 'page_counter_set_max', text: 'if (usage > nr_pages)' },
  ],
);

export const DMEM_PEAK_WATERMARK = kernelRule(
  'dmem.peak.watermark',
  'return',
  'after page_counter_try_charge, no counter of the pool’s ancestry has a lower dmem.peak than before, a dmem.peak below its dmem.current, or a dmem.peak above the usage the charge reached',
  [
    { file: PC, func: 'page_counter_try_charge', text: 'if (new > READ_ONCE(c->watermark))' },
    { file: PC, func: 'page_counter_try_charge', text: 'WRITE_ONCE(c->watermark, new);' },
    { file: DMEM, func: 'get_resource_peak', text: 'return pool ? READ_ONCE(pool->cnt.watermark) : 0;' },
  ],
);

/** The rules of this module. */
export const DMEM_FILE_RULES: readonly KernelRule[] = [
  DMEM_POOL_RESET,
  DMEM_LIMIT_WRITE,
  DMEM_PEAK_WATERMARK,
];

/** The limit files a write may change, as dmemFileRead reads them (null: no such file in that cgroup). */
export interface DmemLimits {
  readonly min: number | null;
  readonly low: number | null;
  readonly max: number | null;
}

/** dmem.pool.reset for a pool get_cg_pool_unlocked just made, given its counters as made. */
export function checkDmemPoolReset(g: TtmGlobal | null, pool: DmemPool, pageCounterMax: number): void {
  const bad: string[] = [];
  if (pool.usage !== 0) bad.push(`current ${pool.usage}`);
  if (pool.watermark !== 0) bad.push(`peak ${pool.watermark}`);
  if (pool.min !== 0) bad.push(`min ${pool.min}`);
  if (pool.low !== 0) bad.push(`low ${pool.low}`);
  if (pool.max !== pageCounterMax) bad.push(`max ${pool.max}`);
  warnOn(
    g,
    DMEM_POOL_RESET,
    bad.length > 0,
    pool.id,
    bad.length === 0 ? '' : `${pool.id} starts with ${bad.join(', ')}`,
  );
}

/**
 * dmem.limit-write.post for a write of `bytes` to `which` of `cg` that returned `ret`, given the three
 * limit files before and after it.
 */
export function checkDmemLimitWrite(
  g: TtmGlobal | null,
  cg: DmemCgroup,
  which: DmemLimitFile,
  bytes: number,
  ret: number,
  before: DmemLimits,
  after: DmemLimits,
): void {
  const name = cg.name === '' ? '(root)' : cg.name;
  let detail = '';
  if (ret === 0 && after[which] === null) {
    detail = `the write to ${name}'s dmem.${which} returned 0, but ${name} has no dmem.${which}`;
  } else if (ret === 0 && after[which] !== bytes) {
    detail = `${name}'s dmem.${which} reads ${after[which]} after a write of ${bytes} returned 0`;
  }
  for (const f of ['min', 'low', 'max'] as const) {
    if (detail !== '') break;
    if ((ret !== 0 || f !== which) && after[f] !== before[f]) {
      detail = `a write of ${bytes} to ${name}'s dmem.${which} (returned ${ret}) changed dmem.${f} from ${before[f]} to ${after[f]}`;
    }
  }
  warnOn(g, DMEM_LIMIT_WRITE, detail !== '', `dmem:${name}`, detail);
}

/**
 * dmem.peak.watermark after a charge of `size` bytes to the ancestry `pools` (the charged pool first),
 * given each counter's usage and watermark before the charge, in the same order.
 */
export function checkDmemPeak(
  g: TtmGlobal | null,
  pools: readonly DmemPool[],
  usageBefore: readonly number[],
  peakBefore: readonly number[],
  size: number,
): void {
  let detail = '';
  for (let i = 0; i < pools.length && detail === ''; i += 1) {
    const p = pools[i]!;
    const was = peakBefore[i]!;
    const reached = Math.max(was, usageBefore[i]! + size);
    if (p.watermark < was) detail = `${p.id}'s dmem.peak fell from ${was} to ${p.watermark}`;
    else if (p.watermark < p.usage)
      detail = `${p.id}'s dmem.peak ${p.watermark} is below its dmem.current ${p.usage}`;
    else if (p.watermark > reached) detail = `${p.id}'s dmem.peak rose to ${p.watermark}, above ${reached}`;
  }
  warnOn(g, DMEM_PEAK_WATERMARK, detail !== '', pools[0]?.id ?? 'dmem', detail);
}
