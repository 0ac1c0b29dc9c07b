// Scenario files: a scenario described in JSON instead of code. A file is either
//   { "scenario": "vram-pressure" | "memory-pressure", ...overrides }
// with any of the fields of that built-in's config (the rest keep their defaults), or
//   { "scenario": "race", "devices": [...], "bos": [...], "tasks": [...] }
// for the composable racing-task scenario (src/sim/scenarios/race.ts). The file is checked completely
// before anything runs: every unknown field, wrong type, missing field and out-of-range number is
// reported, each with the file position of the offending value (`file.json:LINE:COL`), the field's
// path (`bos[2].kib`), the problem and the fix. When every field is well-formed, the config as a whole
// is checked (names referenced that do not exist, BOs no manager can hold, BOs that do not fit next to
// each other). JSON.parse knows no positions, so the file is read by the small parser below, which
// records where every value starts. The scenario a file gives has the complete normalised config (all
// defaults filled in), so a token's scenario hash names exactly what ran; a file that amounts to a
// built-in scenario gives that built-in.

import { readFileSync } from 'node:fs';
import { Rng } from '../engine/prng.ts';
import { scenarioHash } from '../engine/token.ts';
import type { Scenario } from './scenario.ts';
import { findScenario, SCENARIOS } from './scenarios/index.ts';
import { memoryPressure } from './scenarios/memory_pressure.ts';
import {
  BO_PLACEMENTS,
  CACHINGS,
  DEVICE_STYLES,
  EVICT_MEMS,
  RACE_DEFAULTS,
  type RaceBo,
  type RaceConfig,
  type RaceDevice,
  RaceSetupError,
  type RaceTask,
  RECLAIM_MODES,
  race,
  raceProblems,
  TASK_KINDS,
} from './scenarios/race.ts';
import { vramPressure } from './scenarios/vram_pressure.ts';
import { Sim } from './sim.ts';

export type ScenarioResult = { ok: true; scenario: Scenario } | { ok: false; reason: string };

// ---------------------------------------------------------------------------------------------------
// JSON with positions

/** Where a value starts: 0-based offset, 1-based line and column (UTF-16 code units). */
interface Pos {
  readonly offset: number;
  readonly line: number;
  readonly col: number;
}

interface JField {
  readonly key: string;
  readonly keyPos: Pos;
  readonly value: JNode;
}

type JNode =
  | { readonly kind: 'object'; readonly pos: Pos; readonly fields: readonly JField[] }
  | { readonly kind: 'array'; readonly pos: Pos; readonly items: readonly JNode[] }
  | { readonly kind: 'string'; readonly pos: Pos; readonly value: string }
  | { readonly kind: 'number'; readonly pos: Pos; readonly value: number; readonly text: string }
  | { readonly kind: 'boolean'; readonly pos: Pos; readonly value: boolean }
  | { readonly kind: 'null'; readonly pos: Pos };

class JsonSyntaxError extends Error {
  constructor(
    readonly offset: number,
    readonly problem: string,
    readonly fix: string,
  ) {
    super(problem);
  }
}

/** What the character at an offset looks like in a message. */
function shown(ch: string | undefined): string {
  if (ch === undefined) return 'the end of the file';
  if (ch === '\n' || ch === '\r') return 'the end of the line';
  const code = ch.charCodeAt(0);
  if (code < 0x20 || code === 0x7f) return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `'${ch}'`;
}

const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** Nesting a scenario file never needs; deeper input is refused before the stack runs out. */
const MAX_DEPTH = 32;

class JsonParser {
  private i = 0;
  private depth = 0;
  private readonly lineStarts: number[] = [0];

  constructor(private readonly text: string) {
    for (let k = 0; k < text.length; k += 1) if (text[k] === '\n') this.lineStarts.push(k + 1);
  }

  pos(offset: number): Pos {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { offset, line: lo + 1, col: offset - this.lineStarts[lo]! + 1 };
  }

  parse(): JNode {
    if (this.text.charCodeAt(0) === 0xfeff) this.i = 1;
    this.ws();
    if (this.i >= this.text.length) {
      throw new JsonSyntaxError(
        this.i,
        'the file is empty',
        'write a JSON object such as {"scenario": "race", ...}',
      );
    }
    const v = this.value();
    this.ws();
    if (this.i < this.text.length) {
      throw new JsonSyntaxError(
        this.i,
        `unexpected ${shown(this.text[this.i])} after the end of the top-level value`,
        'remove it (a file holds one JSON object)',
      );
    }
    return v;
  }

  private ws(): void {
    for (;;) {
      const ch = this.text[this.i];
      if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
        this.i += 1;
      } else if (ch === '/' && (this.text[this.i + 1] === '/' || this.text[this.i + 1] === '*')) {
        throw new JsonSyntaxError(this.i, 'comments are not JSON', 'remove the comment');
      } else {
        return;
      }
    }
  }

  private value(): JNode {
    const start = this.i;
    const ch = this.text[this.i];
    if (ch === '{' || ch === '[') {
      if (this.depth >= MAX_DEPTH) {
        throw new JsonSyntaxError(start, `values nested more than ${MAX_DEPTH} deep`, 'flatten the file');
      }
      this.depth += 1;
      const v = ch === '{' ? this.object() : this.array();
      this.depth -= 1;
      return v;
    }
    if (ch === '"') return { kind: 'string', pos: this.pos(start), value: this.string() };
    if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return this.number();
    const word = /^[A-Za-z_$][\w$]*/.exec(this.text.slice(this.i, this.i + 32))?.[0];
    if (word === 'true' || word === 'false') {
      this.i += word.length;
      return { kind: 'boolean', pos: this.pos(start), value: word === 'true' };
    }
    if (word === 'null') {
      this.i += 4;
      return { kind: 'null', pos: this.pos(start) };
    }
    const found = word === undefined ? shown(ch) : `'${word}'`;
    throw new JsonSyntaxError(
      start,
      `expected a value, found ${found}`,
      word === undefined
        ? 'write a number, a "string", true, false, null, an object or an array'
        : 'quote strings with double quotes; JSON has only the literals true, false and null',
    );
  }

  private object(): JNode {
    const pos = this.pos(this.i);
    this.i += 1;
    const fields: JField[] = [];
    this.ws();
    if (this.text[this.i] === '}') {
      this.i += 1;
      return { kind: 'object', pos, fields };
    }
    for (;;) {
      this.ws();
      const ch = this.text[this.i];
      if (ch !== '"') {
        if (ch === '}' && fields.length > 0) {
          throw new JsonSyntaxError(
            this.i,
            "trailing comma before '}'",
            'remove the comma after the last field',
          );
        }
        throw new JsonSyntaxError(
          this.i,
          `expected a field name in double quotes, found ${shown(ch)}`,
          ch === undefined ? "close the object with '}'" : 'write field names as "name"',
        );
      }
      const keyPos = this.pos(this.i);
      const key = this.string();
      this.ws();
      if (this.text[this.i] !== ':') {
        throw new JsonSyntaxError(
          this.i,
          `expected ':' after the field name "${key}", found ${shown(this.text[this.i])}`,
          'put a colon between a field name and its value',
        );
      }
      this.i += 1;
      this.ws();
      fields.push({ key, keyPos, value: this.value() });
      this.ws();
      const next = this.text[this.i];
      if (next === ',') {
        this.i += 1;
        continue;
      }
      if (next === '}') {
        this.i += 1;
        return { kind: 'object', pos, fields };
      }
      throw new JsonSyntaxError(
        this.i,
        `expected ',' or '}' after the value of "${key}", found ${shown(next)}`,
        next === undefined ? "close the object with '}'" : 'separate fields with commas',
      );
    }
  }

  private array(): JNode {
    const pos = this.pos(this.i);
    this.i += 1;
    const items: JNode[] = [];
    this.ws();
    if (this.text[this.i] === ']') {
      this.i += 1;
      return { kind: 'array', pos, items };
    }
    for (;;) {
      this.ws();
      if (this.text[this.i] === ']' && items.length > 0) {
        throw new JsonSyntaxError(
          this.i,
          "trailing comma before ']'",
          'remove the comma after the last item',
        );
      }
      items.push(this.value());
      this.ws();
      const next = this.text[this.i];
      if (next === ',') {
        this.i += 1;
        continue;
      }
      if (next === ']') {
        this.i += 1;
        return { kind: 'array', pos, items };
      }
      throw new JsonSyntaxError(
        this.i,
        `expected ',' or ']' after an array item, found ${shown(next)}`,
        next === undefined ? "close the array with ']'" : 'separate items with commas',
      );
    }
  }

  private string(): string {
    const start = this.i;
    this.i += 1;
    let out = '';
    for (;;) {
      const ch = this.text[this.i];
      if (ch === undefined || ch === '\n' || ch === '\r') {
        throw new JsonSyntaxError(start, 'unterminated string', `close the string with '"' on the same line`);
      }
      if (ch === '"') {
        this.i += 1;
        return out;
      }
      if (ch.charCodeAt(0) < 0x20) {
        throw new JsonSyntaxError(
          this.i,
          `control character ${shown(ch)} in a string`,
          'escape it (\\t, \\n, \\u0000)',
        );
      }
      if (ch !== '\\') {
        out += ch;
        this.i += 1;
        continue;
      }
      const esc = this.text[this.i + 1];
      if (esc === 'u') {
        const hex = this.text.slice(this.i + 2, this.i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          throw new JsonSyntaxError(
            this.i,
            'invalid \\u escape in a string',
            'write \\u followed by four hex digits',
          );
        }
        out += String.fromCharCode(Number.parseInt(hex, 16));
        this.i += 6;
        continue;
      }
      const rep = esc === undefined ? undefined : ESCAPES[esc];
      if (rep === undefined) {
        throw new JsonSyntaxError(
          this.i,
          `invalid escape '\\${esc ?? ''}' in a string`,
          'use \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX',
        );
      }
      out += rep;
      this.i += 2;
    }
  }

  private number(): JNode {
    const start = this.i;
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.i));
    const tail = this.text[this.i + (m?.[0].length ?? 0)];
    if (m === null || (tail !== undefined && /[\w.+-]/.test(tail))) {
      const bad = /^[-+\w.]+/.exec(this.text.slice(this.i))?.[0] ?? this.text[this.i];
      throw new JsonSyntaxError(
        start,
        `malformed number '${bad}'`,
        'write a plain decimal number (no leading zeros, hex, "+" or trailing ".")',
      );
    }
    this.i += m[0].length;
    return { kind: 'number', pos: this.pos(start), value: Number(m[0]), text: m[0] };
  }
}

// ---------------------------------------------------------------------------------------------------
// Checking values against field specs

interface Issue {
  readonly pos: Pos;
  readonly path: string;
  readonly problem: string;
  readonly fix: string;
}

type FieldSpec =
  | {
      readonly t: 'int';
      readonly min: number;
      readonly max: number;
      /** Values must be multiples of this (KiB sizes: whole 4 KiB pages). */
      readonly step?: number;
      readonly what: string;
    }
  | { readonly t: 'enum'; readonly values: readonly string[] }
  | { readonly t: 'bool' }
  | { readonly t: 'name' }
  | { readonly t: 'names'; readonly min: number; readonly max: number; readonly what: string }
  /** Any value, checked by the caller (lists of objects). */
  | { readonly t: 'node'; readonly what: string };

interface Field {
  readonly spec: FieldSpec;
  readonly required: boolean;
}

const req = (spec: FieldSpec): Field => ({ spec, required: true });
const opt = (spec: FieldSpec): Field => ({ spec, required: false });
const int = (min: number, max: number, what: string, step?: number): FieldSpec =>
  step === undefined ? { t: 'int', min, max, what } : { t: 'int', min, max, what, step };
const kib = (min: number, max: number, what: string): FieldSpec => int(min, max, what, 4);
const oneOf = (values: readonly string[]): FieldSpec => ({ t: 'enum', values });
const NAME: FieldSpec = { t: 'name' };
const NAME_RE = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

function kindOf(node: JNode): string {
  switch (node.kind) {
    case 'object':
      return 'an object';
    case 'array':
      return 'an array';
    case 'string':
      return `a string ${JSON.stringify(node.value)}`;
    case 'number':
      return Number.isInteger(node.value) ? `the integer ${node.text}` : `the number ${node.text}`;
    case 'boolean':
      return node.value ? 'true' : 'false';
    case 'null':
      return 'null';
  }
}

function quoted(values: readonly string[]): string {
  return values.map((v) => `"${v}"`).join(', ');
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The known word closest to `word`, when it is close enough to be a typo of it. */
function closest(word: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = distance(word.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best !== null && bestD <= Math.max(1, Math.floor(best.length / 3)) ? best : null;
}

function joinPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

class Checker {
  readonly issues: Issue[] = [];

  issue(pos: Pos, path: string, problem: string, fix: string): void {
    this.issues.push({ pos, path: path === '' ? 'top level' : path, problem, fix });
  }

  /** A value against its spec; undefined (and an issue) when it does not fit. */
  value(node: JNode, path: string, spec: FieldSpec): unknown {
    switch (spec.t) {
      case 'int':
        return this.int(node, path, spec);
      case 'enum': {
        if (node.kind === 'string' && spec.values.includes(node.value)) return node.value;
        const guess = node.kind === 'string' ? closest(node.value, spec.values) : null;
        this.issue(
          node.pos,
          path,
          node.kind === 'string'
            ? `${JSON.stringify(node.value)} is not one of the allowed values`
            : `expected a string, got ${kindOf(node)}`,
          guess === null
            ? `use one of ${quoted(spec.values)}`
            : `did you mean "${guess}"? The allowed values are ${quoted(spec.values)}`,
        );
        return undefined;
      }
      case 'bool':
        if (node.kind === 'boolean') return node.value;
        this.issue(
          node.pos,
          path,
          `expected true or false, got ${kindOf(node)}`,
          'write true or false without quotes',
        );
        return undefined;
      case 'name':
        return this.name(node, path);
      case 'node':
        return node;
      case 'names': {
        if (node.kind !== 'array') {
          const fix =
            node.kind === 'string'
              ? `write it as a list: [${JSON.stringify(node.value)}]`
              : `write a list of ${spec.what}`;
          this.issue(node.pos, path, `expected a list of ${spec.what}, got ${kindOf(node)}`, fix);
          return undefined;
        }
        if (node.items.length < spec.min || node.items.length > spec.max) {
          this.issue(
            node.pos,
            path,
            `${node.items.length} ${spec.what} listed, expected ${spec.min} to ${spec.max}`,
            `list ${spec.min} to ${spec.max} ${spec.what}`,
          );
          return undefined;
        }
        const out: string[] = [];
        let ok = true;
        node.items.forEach((item, j) => {
          const v = this.name(item, joinPath(path, j));
          if (v === undefined) ok = false;
          else out.push(v);
        });
        return ok ? out : undefined;
      }
    }
  }

  private name(node: JNode, path: string): string | undefined {
    if (node.kind !== 'string') {
      this.issue(
        node.pos,
        path,
        `expected a name in double quotes, got ${kindOf(node)}`,
        'write the name as a "string"',
      );
      return undefined;
    }
    if (!NAME_RE.test(node.value)) {
      this.issue(
        node.pos,
        path,
        `${JSON.stringify(node.value)} is not a valid name`,
        "use 1 to 32 letters, digits, '-' or '_', starting with a letter",
      );
      return undefined;
    }
    return node.value;
  }

  private int(node: JNode, path: string, spec: Extract<FieldSpec, { t: 'int' }>): number | undefined {
    const range = `from ${spec.min} to ${spec.max}`;
    if (node.kind !== 'number') {
      const numeric = node.kind === 'string' && /^-?\d+$/.test(node.value.trim());
      this.issue(
        node.pos,
        path,
        `expected an integer (${spec.what}), got ${kindOf(node)}`,
        numeric
          ? `write the number without quotes: ${node.kind === 'string' ? node.value.trim() : ''}`
          : `write an integer ${range}`,
      );
      return undefined;
    }
    const v = node.value;
    if (!Number.isInteger(v)) {
      this.issue(
        node.pos,
        path,
        `expected an integer (${spec.what}), got ${node.text}`,
        `use a whole number ${range}`,
      );
      return undefined;
    }
    if (v < spec.min || v > spec.max) {
      this.issue(node.pos, path, `${node.text} is out of range`, `use a value ${range}`);
      return undefined;
    }
    if (spec.step !== undefined && v % spec.step !== 0) {
      const down = v - (v % spec.step);
      const up = down + spec.step;
      const options = [down, up].filter((x) => x >= spec.min && x <= spec.max);
      this.issue(
        node.pos,
        path,
        `${node.text} is not a multiple of ${spec.step} (sizes in KiB are whole 4 KiB pages)`,
        `use ${options.join(' or ')}`,
      );
      return undefined;
    }
    return v;
  }

  /**
   * The fields of an object against `fields`: unknown, duplicate and missing fields are issues; the
   * values that fit their spec are returned (null when `node` is not an object). `what` names the object
   * in messages ("a BO", "a fault task").
   */
  fields(
    node: JNode,
    path: string,
    fields: Readonly<Record<string, Field>>,
    what: string,
    skip: readonly string[] = [],
  ): Record<string, unknown> | null {
    if (node.kind !== 'object') {
      this.issue(
        node.pos,
        path,
        `expected ${what} (a JSON object {...}), got ${kindOf(node)}`,
        `write ${what} as an object`,
      );
      return null;
    }
    const known = Object.keys(fields);
    const seen = new Map<string, Pos>();
    const out: Record<string, unknown> = {};
    for (const f of node.fields) {
      const fpath = joinPath(path, f.key);
      const first = seen.get(f.key);
      if (first !== undefined) {
        this.issue(
          f.keyPos,
          fpath,
          `field "${f.key}" appears twice (first at ${first.line}:${first.col})`,
          'keep one of them',
        );
        continue;
      }
      seen.set(f.key, f.keyPos);
      if (skip.includes(f.key)) continue;
      const field = fields[f.key];
      if (field === undefined) {
        const guess = closest(f.key, known);
        this.issue(
          f.keyPos,
          fpath,
          `unknown field "${f.key}" for ${what}`,
          guess === null
            ? `remove it; the fields are: ${known.join(', ')}`
            : `did you mean "${guess}"? The fields are: ${known.join(', ')}`,
        );
        continue;
      }
      const v = this.value(f.value, fpath, field.spec);
      if (v !== undefined) out[f.key] = v;
    }
    for (const [key, field] of Object.entries(fields)) {
      if (field.required && !seen.has(key)) {
        this.issue(
          node.pos,
          joinPath(path, key),
          `missing field "${key}" of ${what}`,
          `add "${key}": ${hint(field.spec)}`,
        );
      }
    }
    return out;
  }

  /** An array of objects: each item handed to `item`; null when `node` is not an array of the right length. */
  list<T>(
    node: JNode,
    path: string,
    min: number,
    max: number,
    what: string,
    item: (n: JNode, p: string) => T | null,
  ): T[] | null {
    if (node.kind !== 'array') {
      this.issue(
        node.pos,
        path,
        `expected a list of ${what}, got ${kindOf(node)}`,
        `write a JSON array [...] of ${what}`,
      );
      return null;
    }
    if (node.items.length < min || node.items.length > max) {
      this.issue(
        node.pos,
        path,
        `${node.items.length} ${what} listed, expected ${min} to ${max}`,
        `list ${min} to ${max} ${what}`,
      );
      return null;
    }
    const out: T[] = [];
    let ok = true;
    node.items.forEach((n, i) => {
      const v = item(n, joinPath(path, i));
      if (v === null) ok = false;
      else out.push(v);
    });
    return ok ? out : null;
  }
}

/** What to write for a missing field. */
function hint(spec: FieldSpec): string {
  switch (spec.t) {
    case 'int':
      return `${spec.what}, an integer from ${spec.min} to ${spec.max}${spec.step === undefined ? '' : ` (a multiple of ${spec.step})`}`;
    case 'enum':
      return `one of ${quoted(spec.values)}`;
    case 'bool':
      return 'true or false';
    case 'name':
      return 'a name in double quotes, e.g. "a0"';
    case 'names':
      return `a list of ${spec.what}`;
    case 'node':
      return spec.what;
  }
}

function fieldNode(obj: JNode, key: string): JNode | undefined {
  return obj.kind === 'object' ? obj.fields.find((f) => f.key === key)?.value : undefined;
}

/** The node at `path` in the file, or the deepest one on the way there (for a field left out). */
function nodeAt(root: JNode, path: readonly (string | number)[]): JNode {
  let node = root;
  for (const key of path) {
    const next =
      typeof key === 'number' ? (node.kind === 'array' ? node.items[key] : undefined) : fieldNode(node, key);
    if (next === undefined) return node;
    node = next;
  }
  return node;
}

function renderPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const key of path) out = joinPath(out, key);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// The scenarios a file may configure

const VRAM_PRESSURE: Readonly<Record<string, Field>> = {
  vramKiB: opt(kib(4, 1 << 20, 'VRAM size in KiB')),
  ttKiB: opt(kib(4, 1 << 20, 'TT size in KiB')),
  clients: opt(int(1, 32, 'client tasks')),
  bosPerClient: opt(int(1, 32, 'BOs per client')),
  sharedBos: opt(int(0, 16, 'BOs shared by every client')),
  frames: opt(int(1, 100, 'frames per client')),
  minBoKiB: opt(kib(4, 1 << 16, 'BO sizes in KiB')),
  maxBoKiB: opt(kib(4, 1 << 16, 'BO sizes in KiB')),
  iovaPages: opt(int(1, 1 << 20, 'IOVA pages')),
  readbacks: opt(int(0, 16, "client 0's readbacks per frame")),
  pageTableKiB: opt(kib(4, 1 << 16, 'page-table BO size in KiB')),
};

const MEMORY_PRESSURE: Readonly<Record<string, Field>> = {
  ramPages: opt(int(16, 1 << 20, 'RAM pages')),
  swapPages: opt(int(0, 1 << 20, 'swap pages')),
  writers: opt(int(1, 16, 'writer tasks')),
  bosPerWriter: opt(int(1, 64, 'BOs per writer')),
  boPages: opt(int(1, 1 << 16, 'pages per BO')),
  readers: opt(int(0, 16, 'reader tasks')),
  purgeableEvery: opt(int(1, 1000, 'every n-th BO purgeable')),
  kswapdWakeups: opt(int(0, 10_000, 'kswapd wake-ups')),
  watermarkPages: opt(int(0, 1 << 20, 'free-page watermark')),
};

const RACE_TOP: Readonly<Record<string, Field>> = {
  devices: req({ t: 'node', what: '[{"name": "gpu0", "vramKiB": 256, "ttKiB": 512}]' }),
  bos: req({ t: 'node', what: '[{"name": "a", "kib": 64, "placement": "vram-or-tt"}]' }),
  tasks: req({ t: 'node', what: '[{"name": "t", "kind": "fault", "bo": "a"}]' }),
};

const DEVICE: Readonly<Record<string, Field>> = {
  name: req(NAME),
  style: opt(oneOf(DEVICE_STYLES)),
  vramKiB: opt(kib(4, 1 << 20, 'VRAM size in KiB')),
  ttKiB: opt(kib(4, 1 << 20, 'TT size in KiB')),
  ramPages: opt(int(64, 1 << 20, 'RAM pages')),
  swapPages: opt(int(0, 1 << 20, 'swap pages')),
  caching: opt(oneOf(CACHINGS)),
};

const BO: Readonly<Record<string, Field>> = {
  name: req(NAME),
  device: opt(NAME),
  kib: req(kib(4, 1 << 20, 'BO size in KiB')),
  placement: req(oneOf(BO_PLACEMENTS)),
  pinned: opt({ t: 'bool' }),
};

const REPEAT = opt(int(1, 1000, 'repetitions'));
const DELAY = opt(int(0, 60_000, 'virtual milliseconds'));
const TASK_COMMON = { name: req(NAME), kind: req(oneOf(TASK_KINDS)) };

const TASKS: Readonly<Record<RaceTask['kind'], Readonly<Record<string, Field>>>> = {
  fault: { ...TASK_COMMON, bo: req(NAME), repeat: REPEAT, delayMs: DELAY },
  exec: {
    ...TASK_COMMON,
    bos: req({ t: 'names', min: 1, max: 16, what: 'BO names' }),
    repeat: REPEAT,
    holdMs: opt(int(0, 60_000, 'virtual milliseconds')),
    delayMs: DELAY,
  },
  reclaim: {
    ...TASK_COMMON,
    device: opt(NAME),
    mode: req(oneOf(RECLAIM_MODES)),
    pages: opt(int(1, 1 << 20, 'pages per round')),
    repeat: REPEAT,
    delayMs: DELAY,
  },
  put: { ...TASK_COMMON, bo: req(NAME), delayMs: DELAY },
  signal: {
    ...TASK_COMMON,
    target: req(NAME),
    afterMs: req(int(1, 60_000, 'virtual milliseconds')),
    repeat: opt(int(1, 100, 'signals')),
  },
  evict: { ...TASK_COMMON, device: opt(NAME), mem: req(oneOf(EVICT_MEMS)), repeat: REPEAT, delayMs: DELAY },
};

/** The configurable scenarios, by the name a file gives in "scenario". */
const CONFIGURABLE = ['vram-pressure', 'memory-pressure', 'race'] as const;

type Built = { scenario: Scenario } | null;

function overrides(
  ck: Checker,
  root: JNode,
  fields: Readonly<Record<string, Field>>,
  what: string,
): Record<string, number> | null {
  const before = ck.issues.length;
  const v = ck.fields(root, '', fields, what, ['scenario']);
  return v === null || ck.issues.length > before ? null : (v as Record<string, number>);
}

function vramPressureFile(ck: Checker, root: JNode): Built {
  const o = overrides(ck, root, VRAM_PRESSURE, 'a vram-pressure config');
  if (o === null) return null;
  const cfg = vramPressure(o).config as Record<string, number>;
  const at = (key: string): Pos => nodeAt(root, [key]).pos;
  const min = cfg.minBoKiB!;
  const max = cfg.maxBoKiB!;
  const room = Math.max(cfg.vramKiB!, cfg.ttKiB!);
  if (min > max) {
    ck.issue(
      at('maxBoKiB'),
      'maxBoKiB',
      `${max} is below minBoKiB (${min})`,
      `make maxBoKiB at least ${min} or minBoKiB at most ${max}`,
    );
  } else if (max > room) {
    ck.issue(
      at('maxBoKiB'),
      'maxBoKiB',
      `a BO of ${max} KiB is larger than every manager it may be placed in (VRAM ${cfg.vramKiB} KiB, TT ${cfg.ttKiB} KiB)`,
      `make it at most ${room}, or give VRAM or TT more room`,
    );
  } else {
    const shared = cfg.sharedBos! * max;
    const fits = cfg.vramKiB! + Math.min(cfg.ttKiB!, cfg.iovaPages! * 4);
    if (shared > fits) {
      ck.issue(
        at('sharedBos'),
        'sharedBos',
        `${cfg.sharedBos} shared BOs of up to ${max} KiB may not fit in VRAM (${cfg.vramKiB} KiB) and TT (${Math.min(cfg.ttKiB!, cfg.iovaPages! * 4)} KiB mappable) before any client runs`,
        'use fewer shared BOs, smaller BOs, or more VRAM or TT',
      );
    }
  }
  return ck.issues.length > 0 ? null : { scenario: vramPressure(o) };
}

function memoryPressureFile(ck: Checker, root: JNode): Built {
  const o = overrides(ck, root, MEMORY_PRESSURE, 'a memory-pressure config');
  if (o === null) return null;
  const cfg = memoryPressure(o).config as Record<string, number>;
  const at = (key: string): Pos => nodeAt(root, [key]).pos;
  if (cfg.boPages! > cfg.ramPages!) {
    ck.issue(
      at('boPages'),
      'boPages',
      `a BO of ${cfg.boPages} pages is larger than RAM (${cfg.ramPages} pages), the only place its pages can be`,
      `make it at most ${cfg.ramPages} pages, or give RAM more pages`,
    );
  }
  if (cfg.watermarkPages! > cfg.ramPages!) {
    ck.issue(
      at('watermarkPages'),
      'watermarkPages',
      `the watermark (${cfg.watermarkPages} pages) is above RAM (${cfg.ramPages} pages)`,
      `make it at most ${cfg.ramPages}`,
    );
  }
  return ck.issues.length > 0 ? null : { scenario: memoryPressure(o) };
}

function raceFile(ck: Checker, root: JNode): Built {
  const top = ck.fields(root, '', RACE_TOP, 'a race config', ['scenario']);
  if (top === null) return null;
  const before = ck.issues.length;
  const list = <T>(
    key: string,
    min: number,
    max: number,
    what: string,
    item: (n: JNode, p: string) => T | null,
  ) => {
    const node = fieldNode(root, key);
    return node === undefined ? null : ck.list(node, key, min, max, what, item);
  };
  const devices = list('devices', 1, 8, 'devices', (n, p) => {
    const v = ck.fields(n, p, DEVICE, 'a device');
    return v === null ? null : ({ ...RACE_DEFAULTS.device, ...v } as RaceDevice);
  });
  const only = devices?.length === 1 ? devices[0]!.name : '';
  const bos = list('bos', 1, 64, 'BOs', (n, p) => {
    const v = ck.fields(n, p, BO, 'a BO');
    return v === null ? null : ({ device: only, ...RACE_DEFAULTS.bo, ...v } as RaceBo);
  });
  const tasks = list('tasks', 1, 32, 'tasks', (n, p) => task(ck, n, p, only));
  if (devices === null || bos === null || tasks === null || ck.issues.length > before) return null;
  const cfg: RaceConfig = { devices, bos, tasks };
  for (const p of raceProblems(cfg)) {
    ck.issue(nodeAt(root, p.path).pos, renderPath(p.path), p.problem, p.fix);
  }
  if (ck.issues.length > before) return null;
  const scenario = race(cfg);
  // Create the BOs once, as every run does before its first step: they must fit next to each other.
  try {
    scenario.build(new Sim({ seed: 0n }), Rng.fromSeed(0n));
  } catch (err) {
    if (!(err instanceof RaceSetupError)) throw err;
    ck.issue(nodeAt(root, err.path).pos, renderPath(err.path), err.problem, err.fix);
    return null;
  }
  return { scenario };
}

/** Every field some kind of task has. */
const TASK_FIELDS: readonly string[] = [...new Set(Object.values(TASKS).flatMap((f) => Object.keys(f)))];

/** One task: the fields its kind has, defaults filled in. */
function task(ck: Checker, node: JNode, path: string, only: string): RaceTask | null {
  if (node.kind !== 'object') {
    ck.fields(node, path, TASK_COMMON, 'a task');
    return null;
  }
  const kindNode = fieldNode(node, 'kind');
  const kind =
    kindNode === undefined
      ? undefined
      : (ck.value(kindNode, joinPath(path, 'kind'), oneOf(TASK_KINDS)) as RaceTask['kind'] | undefined);
  if (kind === undefined) {
    // Without a kind the other fields cannot be judged: only the name (and a missing kind) are.
    const skip = TASK_FIELDS.filter((f) => f !== 'name' && (f !== 'kind' || kindNode !== undefined));
    ck.fields(node, path, TASK_COMMON, 'a task', skip);
    return null;
  }
  const before = ck.issues.length;
  const v = ck.fields(node, path, TASKS[kind], `a ${kind} task`, ['kind']);
  if (v === null || ck.issues.length > before) return null;
  const d = RACE_DEFAULTS.task;
  switch (kind) {
    case 'fault':
      return { kind, name: '', bo: '', repeat: d.repeat, delayMs: d.delayMs, ...v } as RaceTask;
    case 'exec':
      return {
        kind,
        name: '',
        bos: [],
        repeat: d.repeat,
        holdMs: d.holdMs,
        delayMs: d.delayMs,
        ...v,
      } as RaceTask;
    case 'reclaim':
      return {
        kind,
        name: '',
        device: only,
        mode: 'pool',
        pages: d.pages,
        repeat: d.repeat,
        delayMs: d.delayMs,
        ...v,
      } as RaceTask;
    case 'put':
      return { kind, name: '', bo: '', delayMs: d.delayMs, ...v } as RaceTask;
    case 'signal':
      return { kind, name: '', target: '', afterMs: 1, repeat: d.repeat, ...v } as RaceTask;
    case 'evict':
      return {
        kind,
        name: '',
        device: only,
        mem: 'vram',
        repeat: d.repeat,
        delayMs: d.delayMs,
        ...v,
      } as RaceTask;
  }
}

function checkFile(ck: Checker, root: JNode): Built {
  if (root.kind !== 'object') {
    ck.issue(
      root.pos,
      '',
      `expected a JSON object, got ${kindOf(root)}`,
      `write {"scenario": NAME, ...} with NAME one of ${quoted(CONFIGURABLE)}`,
    );
    return null;
  }
  const nameNode = fieldNode(root, 'scenario');
  if (nameNode === undefined) {
    ck.issue(
      root.pos,
      'scenario',
      'missing field "scenario"',
      `add "scenario": one of ${quoted(CONFIGURABLE)}`,
    );
    return null;
  }
  if (nameNode.kind !== 'string') {
    ck.issue(
      nameNode.pos,
      'scenario',
      `expected a scenario name, got ${kindOf(nameNode)}`,
      `use one of ${quoted(CONFIGURABLE)}`,
    );
    return null;
  }
  const name = nameNode.value;
  switch (name) {
    case 'vram-pressure':
      return vramPressureFile(ck, root);
    case 'memory-pressure':
      return memoryPressureFile(ck, root);
    case 'race':
      return raceFile(ck, root);
  }
  if (findScenario(name) !== undefined) {
    ck.issue(
      nameNode.pos,
      'scenario',
      `the built-in scenario "${name}" has no settings a file can change`,
      `run it by name, or configure one of ${quoted(CONFIGURABLE)}`,
    );
  } else {
    const guess = closest(name, [...CONFIGURABLE]);
    ck.issue(
      nameNode.pos,
      'scenario',
      `unknown scenario "${name}"`,
      guess === null
        ? `use one of ${quoted(CONFIGURABLE)}`
        : `did you mean "${guess}"? The scenarios a file configures are ${quoted(CONFIGURABLE)}`,
    );
  }
  return null;
}

/** The built-in scenario with the same config, if any (so a token names one run, whichever way it came). */
function builtinTwin(s: Scenario): Scenario {
  const h = scenarioHash(s.config);
  return SCENARIOS.find((b) => scenarioHash(b.config) === h) ?? s;
}

/** Load a scenario from a JSON file. Never throws: every problem is in `reason`, one line each. */
export function loadScenarioFile(path: string): ScenarioResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : err instanceof Error
            ? err.message
            : String(err);
    return { ok: false, reason: `cannot read scenario file ${path}: ${why}` };
  }
  const parser = new JsonParser(text);
  let root: JNode;
  try {
    root = parser.parse();
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) return { ok: false, reason: `${path}: ${String(err)}` };
    const p = parser.pos(err.offset);
    return { ok: false, reason: `${path}:${p.line}:${p.col}: invalid JSON: ${err.problem}; ${err.fix}` };
  }
  const ck = new Checker();
  let built: Built;
  try {
    built = checkFile(ck, root);
  } catch (err) {
    return {
      ok: false,
      reason: `${path}: cannot build the scenario: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  if (ck.issues.length > 0 || built === null) {
    const issues = [...ck.issues].sort((a, b) => a.pos.offset - b.pos.offset);
    return {
      ok: false,
      reason: issues
        .map((i) => `${path}:${i.pos.line}:${i.pos.col}: ${i.path}: ${i.problem}; ${i.fix}`)
        .join('\n'),
    };
  }
  return { ok: true, scenario: builtinTwin(built.scenario) };
}

/** A built-in scenario by name, or a scenario file (a path ending in .json). Never throws. */
export function resolveScenario(arg: string): ScenarioResult {
  if (arg.toLowerCase().endsWith('.json')) return loadScenarioFile(arg);
  const s = findScenario(arg);
  if (s !== undefined) return { ok: true, scenario: s };
  return {
    ok: false,
    reason: `unknown scenario "${arg}"; the built-in ones are: ${SCENARIOS.map((x) => x.name).join(', ')}; a scenario file is a path ending in .json`,
  };
}
