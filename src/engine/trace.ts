// The run trace: canonical JSONL, one line per scheduler step (DESIGN.md §1). Its SHA-256 is the
// fingerprint `replay` compares; the per-step rolling hash lets the determinism self-check name the
// first step at which two runs of one token differ without keeping every line in memory.
// The rolling hash after step k is the SHA-256 of the trace bytes up to and including line k (a
// prefix hash): equal rolling hashes at step k mean equal first k+1 lines, and it costs nothing per
// step unless every step's value is kept (a chained sha256(prev + line) would cost ~1 µs per step,
// a third of a step's budget). Lines are keyed by stable systemIds; `t` is virtual time in ms.
// Formatting and hashing are deferred when nothing asks for lines or rolling hashes: `record` keeps the
// step's line object (a few thousand at most) and the text is written and hashed, in order and in one
// hash update, when the hash is first read. Most campaign runs never read it, so they never format.
// A line `record` cannot vouch for (a non-finite number, a field that is not a primitive) is formatted
// at once, so it throws where `add` would, with the same message.

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

/** Lines kept unformatted before they are written and hashed anyway (bounds the memory of long runs). */
const DEFER_MAX = 4096;

/** True when every value of `rec` is a string, a boolean, null or a finite number (what canonicalJson writes as is). */
function plainFields(rec: Readonly<Record<string, unknown>>): boolean {
  for (const key in rec) {
    const v = rec[key];
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return false;
    } else if (typeof v !== 'string' && typeof v !== 'boolean' && v !== null && v !== undefined) return false;
  }
  return true;
}

/** True when `traceLineText(line)` cannot throw: finite numbers and primitive payload and effect data. */
function deferrable(line: TraceLine): boolean {
  if (!Number.isFinite(line.step) || !Number.isFinite(line.t)) return false;
  if (
    line.payload !== undefined &&
    (Object.getPrototypeOf(line.payload) !== Object.prototype || !plainFields(line.payload))
  )
    return false;
  const effects = line.effects;
  if (effects !== undefined) {
    if (!Array.isArray(effects)) return false;
    for (let i = 0; i < effects.length; i += 1) {
      const d = effects[i]!.data;
      if (d !== undefined && (Object.getPrototypeOf(d) !== Object.prototype || !plainFields(d))) return false;
    }
  }
  return true;
}

/** An append-only trace with an incremental SHA-256 over all of its bytes. */
export class Trace {
  /** The running hash, made on first use (a run whose hash is never read never makes one). */
  private hash: Hash | undefined;
  private readonly kept: string[] | undefined;
  private readonly rollingKept: string[] | undefined;
  /** Lines recorded but not yet written into the hash (only when neither lines nor rolling hashes are kept). */
  private readonly deferred: TraceLine[] | undefined;
  private digest: string | undefined;
  private n = 0;

  constructor(opts: TraceOptions) {
    this.kept = opts.keepLines ? [] : undefined;
    this.rollingKept = opts.keepRolling === true ? [] : undefined;
    this.deferred = this.kept === undefined && this.rollingKept === undefined ? [] : undefined;
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
    this.flush();
    const bytes = `${text}\n`;
    const all = this.all();
    all.update(bytes);
    this.rollingKept?.push(all.copy().digest('hex'));
    this.kept?.push(text);
    this.n += 1;
    this.digest = undefined;
    return text;
  }

  /**
   * Append one line like `add`, but write and hash it only when the hash is next read (when the trace
   * keeps neither lines nor rolling hashes). The line object must not change afterwards.
   * @throws TypeError as `traceLineText` does (at once, never later); the trace is unchanged then.
   */
  record(line: TraceLine): void {
    const deferred = this.deferred;
    if (deferred === undefined || !deferrable(line)) {
      this.add(line);
      return;
    }
    deferred.push(line);
    this.n += 1;
    this.digest = undefined;
    if (deferred.length >= DEFER_MAX) this.flush();
  }

  /** Write the deferred lines into the hash, in order, in one update. */
  private flush(): void {
    const deferred = this.deferred;
    if (deferred === undefined || deferred.length === 0) return;
    let chunk = '';
    for (let i = 0; i < deferred.length; i += 1) chunk += `${traceLineText(deferred[i]!)}\n`;
    deferred.length = 0;
    this.all().update(chunk);
  }

  private all(): Hash {
    this.hash ??= createHash('sha256');
    return this.hash;
  }

  /** Hex SHA-256 of every byte written so far ('\n'-terminated lines); the trace stays appendable. */
  sha256(): string {
    if (this.digest === undefined) {
      this.flush();
      this.digest = this.all().copy().digest('hex');
    }
    return this.digest;
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
