// Scenario files: checking the values of a parsed file (src/sim/scenario_file/json.ts) against field
// specs. A spec says what a field holds (an integer in a range, possibly a multiple of a page size, one of
// a list of words, a name, a list of names, a boolean, or an object checked by the caller); the checker
// collects every problem with the position of the offending value, the field's path, the problem and the
// fix, and returns the values that fit. Unknown, duplicated and missing fields are problems too; a field
// whose name is also a property of every JavaScript object ("constructor", "__proto__", "toString") is an
// unknown field like any other.

import type { JNode, Pos } from './json.ts';

export interface Issue {
  readonly pos: Pos;
  readonly path: string;
  readonly problem: string;
  readonly fix: string;
}

export type FieldSpec =
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
  /** A list of objects, each checked by the caller against the table `of` names (src/sim/scenario_file/tables.ts). */
  | {
      readonly t: 'node';
      readonly what: string;
      readonly list: { readonly min: number; readonly max: number; readonly of: 'device' | 'bo' | 'task' };
    };

export interface Field {
  readonly spec: FieldSpec;
  readonly required: boolean;
  /** What the field means, one sentence: the JSON Schema's description and the README's field reference. */
  readonly doc: string;
}

export const req = (spec: FieldSpec, doc: string): Field => ({ spec, required: true, doc });
export const opt = (spec: FieldSpec, doc: string): Field => ({ spec, required: false, doc });
export const int = (min: number, max: number, what: string, step?: number): FieldSpec =>
  step === undefined ? { t: 'int', min, max, what } : { t: 'int', min, max, what, step };
export const kib = (min: number, max: number, what: string): FieldSpec => int(min, max, what, 4);
export const oneOf = (values: readonly string[]): FieldSpec => ({ t: 'enum', values });
export const NAME: FieldSpec = { t: 'name' };
export const NAME_RE = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

export function kindOf(node: JNode): string {
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

export function quoted(values: readonly string[]): string {
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
export function closest(word: string, known: readonly string[]): string | null {
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

export function joinPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

export class Checker {
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
      // Own fields only: a name such as "constructor" or "__proto__" is an unknown field like any other.
      const field = Object.hasOwn(fields, f.key) ? fields[f.key] : undefined;
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
export function hint(spec: FieldSpec): string {
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

export function fieldNode(obj: JNode, key: string): JNode | undefined {
  return obj.kind === 'object' ? obj.fields.find((f) => f.key === key)?.value : undefined;
}

/** The node at `path` in the file, or the deepest one on the way there (for a field left out). */
export function nodeAt(root: JNode, path: readonly (string | number)[]): JNode {
  let node = root;
  for (const key of path) {
    const next =
      typeof key === 'number' ? (node.kind === 'array' ? node.items[key] : undefined) : fieldNode(node, key);
    if (next === undefined) return node;
    node = next;
  }
  return node;
}

export function renderPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const key of path) out = joinPath(out, key);
  return out;
}
