// Scheduling strategies as data (DESIGN.md §3): their names (a token's strategy id byte is the index in
// STRATEGIES), their parameters, the checks on them and their command-line forms, plus the interface of
// the priority-based choosers (src/engine/pct.ts, src/engine/pos.ts) that the scheduler consults.
//   random  uniform random walk over the enabled actors
//   fifo    always the first enabled actor (sorted ids): one fixed schedule, independent of the seed
//   pct     PCT with depth d in 1..3 and k, the expected number of choice points per run
//   pos     partial order sampling with independent per-message priorities
// Command-line forms: random, fifo, pos, pct:D and pct:D:K (K defaults to PCT_K_DEFAULT).

/** Scheduling strategies a token can name; the index is the strategy id byte (append only). */
export const STRATEGIES = ['random', 'fifo', 'pct', 'pos'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

/** PCT's parameters: the bug depth it aims at and the bound on choice points it assumes. */
export interface PctParams {
  /** d: the number of ordering constraints of the bugs aimed at; d − 1 change points are drawn. */
  readonly depth: number;
  /** k: the expected (maximal) number of choice points of a run; change points are drawn in [1, k]. */
  readonly k: number;
}

/** Parameters of a strategy; only 'pct' has any. */
export type StrategyParams = PctParams;

/** A strategy with its parameters, as the command line and tokens name it. */
export interface StrategySpec {
  readonly name: StrategyName;
  readonly params?: StrategyParams;
}

export const PCT_DEPTH_MAX = 3;
/** k when `pct:D` leaves it out: above the choice count of every built-in scenario at its default size. */
export const PCT_K_DEFAULT = 1000;
export const PCT_K_MAX = 1_000_000_000;

/** The valid command-line forms, for usage and error messages. */
export const STRATEGY_FORMS = `random, fifo, pos, pct:D or pct:D:K (D in 1..${PCT_DEPTH_MAX}, K in 1..${PCT_K_MAX}, default ${PCT_K_DEFAULT})`;

/** The strategies that take parameters: 'pct' (depth, k). */
export function hasParams(name: StrategyName): boolean {
  return name === 'pct';
}

/**
 * Why `(name, params)` is not a runnable strategy, as one line; undefined when it is. 'pct' needs
 * integer params with 1 ≤ depth ≤ 3 and max(1, depth − 1) ≤ k ≤ 1e9 (the d − 1 change points are
 * distinct choice numbers in [1, k]); the other strategies take no params.
 */
export function strategyProblem(name: StrategyName, params: StrategyParams | undefined): string | undefined {
  if (!hasParams(name)) {
    return params === undefined ? undefined : `strategy '${name}' takes no parameters`;
  }
  if (params === undefined) return `strategy '${name}' needs parameters (depth, k)`;
  const { depth, k } = params;
  if (!Number.isInteger(depth) || depth < 1 || depth > PCT_DEPTH_MAX) {
    return `pct depth must be an integer in 1..${PCT_DEPTH_MAX}, got ${depth}`;
  }
  const kMin = Math.max(1, depth - 1);
  if (!Number.isInteger(k) || k < kMin || k > PCT_K_MAX) {
    return `pct k must be an integer in ${kMin}..${PCT_K_MAX} for depth ${depth}, got ${k}`;
  }
  return undefined;
}

export type ParsedStrategy =
  | { readonly ok: true; readonly spec: StrategySpec }
  | { readonly ok: false; readonly reason: string };

/** A decimal integer without sign or leading zeros, or NaN. */
function decimal(text: string): number {
  return /^(0|[1-9][0-9]{0,15})$/.test(text) ? Number(text) : Number.NaN;
}

/**
 * Parse a command-line form (`random`, `fifo`, `pos`, `pct:D`, `pct:D:K`). Never throws: an unknown
 * form or bad parameters give a one-line reason listing the valid forms.
 */
export function parseStrategy(text: string): ParsedStrategy {
  const bad: ParsedStrategy = { ok: false, reason: `must be one of ${STRATEGY_FORMS}, got "${text}"` };
  const [name, ...rest] = text.split(':');
  if (name === 'random' || name === 'fifo' || name === 'pos') {
    return rest.length === 0 ? { ok: true, spec: { name } } : bad;
  }
  if (name !== 'pct' || rest.length < 1 || rest.length > 2) return bad;
  const params = {
    depth: decimal(rest[0] ?? ''),
    k: rest[1] === undefined ? PCT_K_DEFAULT : decimal(rest[1]),
  };
  if (Number.isNaN(params.depth) || Number.isNaN(params.k)) return bad;
  const problem = strategyProblem('pct', params);
  if (problem !== undefined) return { ok: false, reason: `${bad.reason}: ${problem}` };
  return { ok: true, spec: { name, params } };
}

/** The command-line form of a strategy, with K spelled out: 'random', 'pct:2:1000'. */
export function formatStrategy(name: StrategyName, params?: StrategyParams): string {
  return params === undefined ? name : `${name}:${params.depth}:${params.k}`;
}

/**
 * A priority-based strategy as the scheduler drives it. The scheduler reports every registration,
 * post and delivery, asks `pick` at each real choice (two or more enabled actors) that no tape entry
 * decided, and reports every real choice with `chosen`, whether the strategy or a tape made it.
 */
export interface Chooser {
  /** A new actor joined the run. */
  register(id: string): void;
  /** A message was queued at the end of `to`'s inbox. */
  posted(to: string): void;
  /** The head message of `id`'s inbox was delivered. */
  delivered(id: string): void;
  /** Index into `enabled` (sorted ids, two or more) of the actor to run next. */
  pick(enabled: readonly string[]): number;
  /** `id` runs at the current real choice. */
  chosen(id: string): void;
  /** The priority that `pick` compares for `id` now, or undefined when it has none. */
  priorityOf(id: string): number | undefined;
}
