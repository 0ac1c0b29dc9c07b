// The run trace: canonical JSONL, one line per scheduler step (DESIGN.md §1). Its SHA-256 is the
// fingerprint `replay` compares; the per-step rolling hash lets the determinism self-check name the
// first step at which two runs of one token differ without keeping every line in memory.
// The rolling hash after step k is the SHA-256 of the trace bytes up to and including line k (a
// prefix hash): equal rolling hashes at step k mean equal first k+1 lines, and it costs nothing per
// step unless every step's value is kept (a chained sha256(prev + line) would cost ~1 µs per step,
// a third of a step's budget). Lines are keyed by stable systemIds; `t` is virtual time in ms.

import { createHash, type Hash } from 'node:crypto';
import { canonicalJson } from './canonical.ts';
import type { Effect } from './types.ts';

/** One step of a run as written to the trace. */
export interface TraceLine {
  readonly step: number;
  /** Virtual time (ms) at which the step ran. */
  readonly t: number;
  /** systemId of the actor that took the step (for a timer, its owner). */
  readonly actor: string;
  /** Message type delivered, or 'timer' for a timer expiry. */
  readonly event: string;
  /** systemId of the message's sender ('clock' for timers). */
  readonly src: string;
  /** Actor state before and after the step. */
  readonly from: string;
  readonly to: string;
  readonly payload?: Record<string, unknown>;
  readonly effects?: readonly Effect[];
  /** Step during which the delivered message was posted (-1: during setup); absent for timers. */
  readonly sent?: number;
}

export interface TraceOptions {
  /** Keep every line string in memory (for `lines()`, viewers and shrinking). */
  readonly keepLines: boolean;
  /** Keep every step's rolling hash (for the determinism self-check; ~1 µs per step). */
  readonly keepRolling?: boolean;
}

/**
 * The canonical text of a trace line, without the newline. Same bytes as `canonicalJson(line)`,
 * written by hand with the keys in sorted order because it runs once per step.
 * @throws TypeError when the payload or effects hold something canonicalJson rejects, or when a
 *   number field is not finite.
 */
export function traceLineText(line: TraceLine): string {
  if (!Number.isFinite(line.step) || !Number.isFinite(line.t)) {
    throw new TypeError(`trace line: step and t must be finite, got step=${line.step} t=${line.t}`);
  }
  let out = `{"actor":${JSON.stringify(line.actor)}`;
  if (line.effects !== undefined) out += `,"effects":${effectsText(line.effects)}`;
  out += `,"event":${JSON.stringify(line.event)},"from":${JSON.stringify(line.from)}`;
  if (line.payload !== undefined) out += `,"payload":${canonicalJson(line.payload)}`;
  if (line.sent !== undefined) out += `,"sent":${line.sent}`;
  out += `,"src":${JSON.stringify(line.src)},"step":${line.step},"t":${line.t}`;
  return `${out},"to":${JSON.stringify(line.to)}}`;
}

/**
 * The effects array with keys in sorted order (actor, data, event, from, to), written by hand because it
 * runs for every statechart edge: the same bytes as canonicalJson(effects).
 */
function effectsText(effects: readonly Effect[]): string {
  let out = '[';
  for (let i = 0; i < effects.length; i += 1) {
    const e = effects[i]!;
    if (i > 0) out += ',';
    out += `{"actor":${JSON.stringify(e.actor)}`;
    if (e.data !== undefined) out += `,"data":${canonicalJson(e.data)}`;
    out += `,"event":${JSON.stringify(e.event)},"from":${JSON.stringify(e.from)},"to":${JSON.stringify(e.to)}}`;
  }
  return `${out}]`;
}

/**
 * Index of the first line where `a` and `b` differ; the shorter length when one is a strict prefix
 * of the other; undefined when they are equal.
 */
export function firstDivergence(a: readonly string[], b: readonly string[]): number | undefined {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return i;
  }
  return a.length === b.length ? undefined : n;
}

/** An append-only trace with an incremental SHA-256 over all of its bytes. */
export class Trace {
  private readonly all: Hash = createHash('sha256');
  private readonly kept: string[] | undefined;
  private readonly rollingKept: string[] | undefined;
  private n = 0;

  constructor(opts: TraceOptions) {
    this.kept = opts.keepLines ? [] : undefined;
    this.rollingKept = opts.keepRolling === true ? [] : undefined;
  }

  /** Number of lines added. */
  get count(): number {
    return this.n;
  }

  /**
   * Append one line; returns its canonical text (without the newline).
   * @throws TypeError as `traceLineText` does; the trace is unchanged then.
   */
  add(line: TraceLine): string {
    const text = traceLineText(line);
    const bytes = `${text}\n`;
    this.all.update(bytes);
    this.rollingKept?.push(this.all.copy().digest('hex'));
    this.kept?.push(text);
    this.n += 1;
    return text;
  }

  /** Hex SHA-256 of every byte written so far ('\n'-terminated lines); the trace stays appendable. */
  sha256(): string {
    return this.all.copy().digest('hex');
  }

  /** Rolling hash after the last line: the prefix hash, equal to `sha256()` at this point. */
  rolling(): string {
    return this.sha256();
  }

  /**
   * Rolling hash after each line, in step order.
   * @throws Error when the trace was created without `keepRolling`.
   */
  rollingHashes(): readonly string[] {
    if (this.rollingKept === undefined)
      throw new Error('trace: rolling hashes not kept (keepRolling: false)');
    return this.rollingKept;
  }

  /**
   * The line texts (without newlines), in step order.
   * @throws Error when the trace was created with `keepLines: false`.
   */
  lines(): readonly string[] {
    if (this.kept === undefined) throw new Error('trace: lines not kept (keepLines: false)');
    return this.kept;
  }

  /** The whole trace as JSONL text (every line newline-terminated). */
  text(): string {
    return this.lines()
      .map((l) => `${l}\n`)
      .join('');
  }
}
