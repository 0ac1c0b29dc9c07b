// Human-readable summaries of runs.

import { formatStrategy } from '../engine/strategy.ts';
import { decodeToken } from '../engine/token.ts';
import type { RunResult } from '../explore/run.ts';
import { errnoName } from '../kernel/errno.ts';

function kib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1048576).toFixed(1)} MiB` : `${bytes / 1024} KiB`;
}

/** The mutations a run switched on, as its token records them (canonical specs, sorted). */
function mutationsOf(r: RunResult): readonly string[] {
  const d = decodeToken(r.token);
  return d.ok ? (d.token.mutations ?? []) : [];
}

export function summary(r: RunResult, title: string): string {
  const s = r.stats;
  const n = (k: string): number => s[k] ?? 0;
  const lines = [
    title,
    `  outcome     ${r.outcome}${r.failure === null ? '' : `: ${r.failure.id} at step ${r.failure.step}: ${r.failure.message}`}`,
    `  steps       ${r.steps} (${r.choices} scheduling choices), virtual time ${r.virtualTimeMs} ms`,
  ];
  if ('created' in s) {
    lines.push(
      `  BOs         ${n('created')} created (${n('createFailures')} failed), ${n('ghosts')} ghosts, ${n('zombies')} zombies, ${n('destroyed')} destroyed, ${n('boCount')} alive`,
      `  submits     ${n('submits')} ok, ${n('submitFailures')} failed, ${n('backoffs')} ww back-offs (${errnoName(-35)})`,
      `  memory      ${n('evictions')} evictions, ${n('moves')} moves, ${kib(n('bytesMoved'))} moved`,
      `  pinning     ${n('pins')} scanout pins, ${n('pinFailures')} failed`,
    );
  }
  if ('pagesChecked' in s) {
    lines.push(
      `  pages       ${n('pagesChecked')} pages read through CPU faults and checked; ${n('faults')} faults, ${n('refaults')} refaults`,
      `  reclaim     ${n('directReclaims')} direct, ${n('kswapdReclaims')} kswapd; ${n('purgedPages')} pages purged, ${n('backedUpPages')} backed up; ${n('signalsArmed')} signals aimed at restores`,
      `  left over   ${n('ramUsedPages')} page frames, ${n('swapUsedPages')} swap slots, ${n('boCount')} BOs`,
    );
  }
  const mutations = mutationsOf(r);
  if (mutations.length > 0) lines.push(`  mutations   ${mutations.join(', ')}`);
  if (r.designs.length > 0) {
    const c = r.counters;
    lines.push(
      `  designs     ${r.designs.join(', ')}`,
      `  counters    ${kib(c.bytesMoved)} moved, ${c.evictions} evictions, ${c.dmaEvictions} DMA evictions, ${c.iommuMapFailures} IOMMU map failures, ${c.cpuFaults} CPU faults (${c.refaults} refaults, ${c.syncForCpu} syncs), ${c.tlbShootdowns} TLB shootdowns, ${c.pagesBackedUp} pages backed up, ${c.pagesRestored} restored`,
    );
  }
  lines.push(`  trace       sha256 ${r.traceSha256}`, `  token       ${r.token}`);
  return lines.join('\n');
}

export function jsonResult(r: RunResult): Record<string, unknown> {
  return {
    token: r.token,
    scenario: r.scenario,
    seed: r.seed,
    strategy: formatStrategy(r.strategy, r.strategyParams),
    steps: r.steps,
    choices: r.choices,
    virtualTimeMs: r.virtualTimeMs,
    outcome: r.outcome,
    traceSha256: r.traceSha256,
    failure: r.failure,
    stats: r.stats,
    counters: r.counters,
    ...(mutationsOf(r).length === 0 ? {} : { mutations: mutationsOf(r) }),
    ...(r.designs.length === 0 ? {} : { designs: r.designs }),
  };
}
