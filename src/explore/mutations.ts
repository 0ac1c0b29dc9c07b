// The mutation catalogue: named flags, off by default, each bringing back one bug into the model. The
// historical ones reintroduce a real TTM bug, named by the upstream commit that fixed it; the
// calibrators are synthetic bugs whose probability under each strategy is known, so they measure the
// search itself; the synthetic ones break a race point of stress mode that no listed fix names.
// `ttm-sim mutations` prints this list; `--mutation NAME[=VALUE]` switches one on.

import { CALIBRATOR_MUTATIONS } from './mutations_calibrators.ts';
import { DMEM_MUTATIONS } from './mutations_dmem.ts';
import { MOVE_MUTATIONS } from './mutations_move.ts';
import { STRESS_MUTATIONS } from './mutations_stress.ts';
import { SWAP_MUTATIONS } from './mutations_swap.ts';

export interface MutationParam {
  /** What the value means, e.g. "steps the starved task must run uninterrupted". */
  readonly meaning: string;
  readonly default: number;
  readonly min: number;
  readonly max: number;
}

export interface MutationInfo {
  /** The flag, as `--mutation` and tokens spell it (lowercase, dashes). */
  readonly name: string;
  readonly kind: 'historical' | 'calibrator' | 'synthetic';
  /** The upstream fix's title (historical) or what the synthetic bug is (calibrator, synthetic). */
  readonly title: string;
  /** Upstream commit of the fix, or of the commit its Fixes: tag names; '' for calibrators. */
  readonly commit: string;
  /** Year of the fix. */
  readonly year: number;
  /** What the mutation changes in the model, in one line. */
  readonly change: string;
  /** The built-in scenario that exposes it. */
  readonly scenario: string;
  /** The failure id a run reports when it is found (e.g. `oracle.backup.handles`, `crash.exception`). */
  readonly detectedBy: string;
  /** A numeric parameter (`NAME=VALUE`); absent when the mutation takes none. */
  readonly param?: MutationParam;
}

export const MUTATIONS: readonly MutationInfo[] = [
  ...SWAP_MUTATIONS,
  ...MOVE_MUTATIONS,
  ...DMEM_MUTATIONS,
  ...CALIBRATOR_MUTATIONS,
  ...STRESS_MUTATIONS,
];

export function findMutation(name: string): MutationInfo | undefined {
  return MUTATIONS.find((m) => m.name === name);
}

export type ParsedMutation =
  | { readonly ok: true; readonly name: string; readonly value: number | undefined; readonly spec: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Parse `NAME` or `NAME=VALUE` against the catalogue. Never throws: an unknown name, a value given to a
 * mutation without a parameter, or a value out of range gives a one-line reason that says what to do.
 * `spec` is the canonical spelling (the parameter's default is left out).
 */
export function parseMutation(text: string): ParsedMutation {
  const eq = text.indexOf('=');
  const name = eq < 0 ? text : text.slice(0, eq);
  const info = findMutation(name);
  if (info === undefined) {
    return { ok: false, reason: `unknown mutation '${name}'; 'ttm-sim mutations' lists them` };
  }
  if (eq < 0) return { ok: true, name, value: info.param?.default, spec: name };
  if (info.param === undefined) {
    return { ok: false, reason: `mutation '${name}' takes no value; pass just '${name}'` };
  }
  const raw = text.slice(eq + 1);
  const value = /^(0|[1-9][0-9]{0,8})$/.test(raw) ? Number(raw) : Number.NaN;
  const { min, max } = info.param;
  if (Number.isNaN(value) || value < min || value > max) {
    return {
      ok: false,
      reason: `mutation '${name}' needs an integer value in ${min}..${max} (${info.param.meaning}), got '${raw}'`,
    };
  }
  return { ok: true, name, value, spec: value === info.param.default ? name : `${name}=${value}` };
}

/**
 * The value of mutation `name` among the run's mutation specs (`NAME` or `NAME=VALUE`): undefined when
 * it is off, its parameter (or the default) when on, and 0 for an enabled mutation without a parameter.
 */
export function mutationValue(specs: ReadonlySet<string>, name: string): number | undefined {
  for (const s of specs) {
    if (s === name) return findMutation(name)?.param?.default ?? 0;
    if (s.startsWith(`${name}=`)) return Number(s.slice(name.length + 1));
  }
  return undefined;
}
