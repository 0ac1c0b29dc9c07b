// The model's WARN_ON (include/asm-generic/bug.h) and lockdep assertions (include/linux/lockdep.h,
// dma_resv_assert_held in include/linux/dma-resv.h): kernel code states a rule where upstream states it,
// and a broken rule is recorded on its world instead of printing a splat. A rule is a handle made once at
// module level (`kernelRule`); kernel code passes the handle, so a misspelt rule is an unknown name to the
// type checker, never a silently new id. Every evaluation is counted in the handle's own typed-array
// counter (how often the suite evaluates it); only the FIRST broken rule of a world is kept
// (`TtmGlobal.ruleBroken`), and the run reports it as its failure after the step that broke it.
// This module holds no state of its own and imports only types, so the rule modules, the registry
// (src/kernel/rules.ts) and kernel code can all import it without an evaluation-order cycle.

import type { BufferObject } from '../bo.ts';
import type { TtmGlobal } from '../device.ts';
import type { CheckInfo, CheckWhen, UpstreamRule } from '../rules.ts';
import type { WwMutex } from '../ww_mutex.ts';

/** A rule checked inside kernel code (`call` or `return`): its catalogue entry and its evaluation counter. */
export interface KernelRule extends CheckInfo {
  readonly when: Extract<CheckWhen, 'call' | 'return'>;
  /** Evaluations so far in this process, at index 0 (reset with `resetRuleCounts`). */
  readonly evaluations: Float64Array;
}

/** The first broken rule of a world: which rule, the object it is about, and what was seen. */
export interface RuleBreach {
  readonly rule: KernelRule;
  /** systemId of the object (`bo:3`, `device:0/man2`, `tt:bo:3`, `pool`) or task the rule is about. */
  readonly actor: string;
  readonly message: string;
}

/** A rule handle, made once at module level by the module of the kernel file that states the rule. */
export function kernelRule(
  id: string,
  when: 'call' | 'return',
  description: string,
  upstream: readonly UpstreamRule[],
): KernelRule {
  return { id, description, upstream, when, evaluations: new Float64Array(1) };
}

/**
 * WARN_ON(broken): count the evaluation and, when `broken`, record the breach on `g` unless an earlier one
 * is recorded there. Returns `broken`, so kernel code can take the path upstream takes after a WARN_ON
 * (`if (warnOn(...)) return -EINVAL;`). `detail` is said after the rule's description; a caller that builds
 * it from values passes `broken ? `...` : ''` so that a holding rule formats nothing. With no world (a
 * device before ttm_device_init) the evaluation is counted and nothing is recorded.
 */
export function warnOn(
  g: TtmGlobal | null,
  rule: KernelRule,
  broken: boolean,
  actor: string,
  detail: string,
): boolean {
  rule.evaluations[0]! += 1;
  if (broken && g !== null && g.ruleBroken === null) {
    g.ruleBroken = {
      rule,
      actor,
      message: detail === '' ? rule.description : `${rule.description}: ${detail}`,
    };
  }
  return broken;
}

/**
 * lockdep_assert_held / dma_resv_assert_held on a ww mutex: the task running kernel code (`current`)
 * holds `lock`. Returns true when it does not (the rule is broken).
 */
export function assertHeld(
  g: TtmGlobal | null,
  rule: KernelRule,
  lock: WwMutex,
  current: string,
  actor: string,
): boolean {
  const holder = lock.holder;
  const broken = holder === null || holder.task !== current;
  return warnOn(
    g,
    rule,
    broken,
    actor,
    broken
      ? `${lock.id} is ${holder === null ? 'unlocked' : `held by ${holder.task}`}, not by ${current}`
      : '',
  );
}

/** The evaluation counts of `rules`, by id, in their order. */
export function ruleCounts(rules: readonly KernelRule[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rules) out.set(r.id, r.evaluations[0]!);
  return out;
}

/** Set every evaluation counter of `rules` back to zero. */
export function resetRuleCounts(rules: readonly KernelRule[]): void {
  for (const r of rules) r.evaluations[0] = 0;
}

/** dma_resv_assert_held(bo->base.resv): the current task holds the BO's reservation. True when broken. */
export function assertBoResvHeld(rule: KernelRule, bo: BufferObject): boolean {
  const bdev = bo.bdev;
  return assertHeld(bdev.global, rule, bo.resv.lock, bdev.env.current(), bo.id);
}
