// Canonical JSON: the one serialisation of the trace, of scenario configs (for their hashes) and of
// anything else that is hashed. Two equal values must give the same bytes on every machine, so keys
// are sorted recursively, there is no whitespace, and values JSON cannot represent faithfully are
// rejected instead of being silently changed (JSON.stringify turns NaN into null, drops functions,
// throws on bigint only sometimes, and serialises a Map as {}).

/**
 * Serialise `value` as canonical JSON: object keys sorted by plain string comparison (UTF-16 code
 * units), no whitespace, arrays in order, object properties whose value is undefined omitted.
 * Accepts null, booleans, finite numbers, strings, arrays and plain objects (prototype Object or null).
 * Bigints are rejected: callers convert them (e.g. to a decimal string) so that the choice is explicit.
 * @throws TypeError for a non-finite number, bigint, function, symbol, undefined (at the top level or
 *   in an array), a non-plain object (Map, Set, Date, class instance…) or a cycle; the message names
 *   the path of the offending value, e.g. `$.a[2]`.
 */
export function canonicalJson(value: unknown): string {
  return new Writer().write(value);
}

/** Recursive writer; the path of the value being written is kept as a stack, rendered only on error. */
class Writer {
  private readonly open = new Set<object>();
  private readonly path: (string | number)[] = [];

  write(value: unknown): string {
    switch (typeof value) {
      case 'string':
        return JSON.stringify(value);
      case 'boolean':
        return value ? 'true' : 'false';
      case 'number':
        if (!Number.isFinite(value)) throw this.error(`non-finite number ${value}`);
        return JSON.stringify(value);
      case 'object':
        if (value === null) return 'null';
        return this.object(value);
      default:
        throw this.error(`cannot serialise a ${typeof value}`);
    }
  }

  private object(value: object): string {
    if (this.open.has(value)) throw this.error('cycle');
    this.open.add(value);
    const text = Array.isArray(value) ? this.array(value) : this.record(value);
    this.open.delete(value);
    return text;
  }

  private array(items: readonly unknown[]): string {
    let out = '[';
    for (let i = 0; i < items.length; i++) {
      if (i > 0) out += ',';
      this.path.push(i);
      out += this.write(items[i]);
      this.path.pop();
    }
    return `${out}]`;
  }

  private record(value: object): string {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw this.error(`not a plain object (${value.constructor?.name ?? 'unknown'})`);
    }
    const rec = value as Record<string, unknown>;
    const keys = Object.keys(rec).sort();
    let out = '{';
    for (const key of keys) {
      const v = rec[key];
      if (v === undefined) continue;
      if (out.length > 1) out += ',';
      this.path.push(key);
      out += `${JSON.stringify(key)}:${this.write(v)}`;
      this.path.pop();
    }
    return `${out}}`;
  }

  private error(what: string): TypeError {
    const where = this.path.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('');
    return new TypeError(`canonicalJson: ${what} at $${where}`);
  }
}
