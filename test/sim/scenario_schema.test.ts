// The JSON Schema of scenario files: the file shipped is the one generated from the checker's field
// table, every example names it and passes it, the README's field reference is the one generated from
// it, and the schema and the checker refuse the same values: for every field of every table, values at
// and past its bounds, off its step, of the wrong type, outside its list, and unknown fields, each put
// into a valid file, are refused by the schema exactly when the checker reports a problem with the
// field itself (the checks of the whole config, which the schema leaves to ttm-sim, aside).

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, test } from 'vitest';
import { withReference } from '../../bench/docs_scenario_schema.ts';
import type { Field } from '../../src/sim/scenario_file/fields.ts';
import { SCHEMA_PATH, scenarioSchema } from '../../src/sim/scenario_file/schema.ts';
import {
  BO,
  DEVICE,
  type FieldTable,
  MEMORY_PRESSURE,
  TASKS,
  VRAM_PRESSURE,
} from '../../src/sim/scenario_file/tables.ts';
import { loadScenarioFile } from '../../src/sim/scenario_file.ts';

const schema = scenarioSchema();
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
const dir = mkdtempSync(join(tmpdir(), 'ttm-sim-schema-'));
let files = 0;

/** The checker's lines for `doc`, or [] when it loads. */
function checker(doc: unknown): string[] {
  const path = join(dir, `f${files++}.json`);
  writeFileSync(path, JSON.stringify(doc, null, 2));
  const r = loadScenarioFile(path);
  return r.ok ? [] : r.reason.split('\n');
}

/** Problems with a field's own value, type or presence (not the checks across fields). */
const FIELD_LEVEL =
  /: (unknown field|missing field "|expected an integer|expected a (string|list|name)|expected true or false|expected [a-z]+ [a-z]+ \(a JSON object|-?\d+(\.\d+)? is out of range|-?\d+ is not a multiple|".*" is not one of the allowed values|".*" is not a valid name|\d+ [A-Za-z ]+ listed, expected)/;

describe('the schema file', () => {
  test(`${SCHEMA_PATH} is the one generated from the field table`, () => {
    expect(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'))).toStrictEqual(scenarioSchema());
  });

  test('ajv compiles it in strict mode (draft-07)', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(typeof validate).toBe('function');
  });

  test('the README field reference is the one generated from the schema', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(withReference(readme)).toBe(readme);
  });
});

describe('the examples', () => {
  const examples = readdirSync('examples')
    .filter((f) => f.endsWith('.json'))
    .sort();

  test('there are four', () => {
    expect(examples).toHaveLength(4);
  });

  for (const name of examples) {
    test(`examples/${name} names the schema and passes it and the checker`, () => {
      const doc = JSON.parse(readFileSync(join('examples', name), 'utf8')) as Record<string, unknown>;
      expect(doc.$schema).toBe('../schema/scenario.schema.json');
      const ok = validate(doc);
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
      expect(checker(doc)).toEqual([]);
    });
  }
});

/** Values that probe a field: at, inside and past its bounds, off its step, of other types. */
function probes(field: Field): unknown[] {
  const spec = field.spec;
  switch (spec.t) {
    case 'int': {
      const step = spec.step ?? 1;
      return [
        spec.min,
        spec.max,
        spec.min - step,
        spec.max + step,
        spec.min + 0.5,
        String(spec.min),
        null,
        true,
      ]
        .concat(step > 1 ? [spec.min + 1] : [])
        .concat(spec.min > 0 ? [-step] : []);
    }
    case 'enum':
      return [...spec.values, 'nope', spec.values[0]!.toUpperCase(), 1, null];
    case 'bool':
      return [true, false, 'true', 0];
    case 'name':
      return ['a', 'A-b_9', '9a', '', 'x'.repeat(33), 'x'.repeat(32), 'a b', 7];
    case 'names':
      return [['a'], [], 'a', [1], Array.from({ length: spec.max + 1 }, () => 'a')];
    case 'node':
      return [[], {}, 'x'];
  }
}

/** Every field of `table` probed inside `base` at `at` (a path to the object holding the field). */
function probeTable(
  base: () => Record<string, unknown>,
  at: (doc: Record<string, unknown>) => Record<string, unknown>,
  table: FieldTable,
  where: string,
): string[] {
  const disagreements: string[] = [];
  let probed = 0;
  const check = (label: string, mutate: (o: Record<string, unknown>) => void) => {
    const doc = base();
    mutate(at(doc));
    const bySchema = validate(doc) === true;
    const lines = checker(doc);
    const byChecker = !lines.some((l) => FIELD_LEVEL.test(l));
    probed += 1;
    if (bySchema !== byChecker) {
      disagreements.push(
        `${where} ${label}: schema ${bySchema ? 'accepts' : 'refuses'}, checker ${byChecker ? 'accepts' : 'refuses'} (${lines.join(' / ') || 'loads'}; ${JSON.stringify(validate.errors?.[0] ?? null)})`,
      );
    }
  };
  for (const [key, field] of Object.entries(table)) {
    if (key === 'kind') continue; // what decides the other fields: probed below by task kinds
    for (const v of probes(field)) {
      check(`${key}=${JSON.stringify(v)}`, (o) => {
        o[key] = v;
      });
    }
    if (field.required) {
      check(`${key} left out`, (o) => {
        delete o[key];
      });
    }
  }
  for (const name of ['colour', 'constructor', '__proto__', 'toString']) {
    check(`unknown field ${name}`, (o) => {
      Object.defineProperty(o, name, { value: 1, enumerable: true, writable: true, configurable: true });
    });
  }
  if (probed < Object.keys(table).length) disagreements.push(`${where}: too few probes`);
  return disagreements;
}

const RACE = () => ({
  scenario: 'race',
  devices: [{ name: 'gpu0', vramKiB: 1024, ttKiB: 1024, ramPages: 1024 }],
  bos: [{ name: 'a', kib: 16, placement: 'vram-or-tt' }],
  tasks: [{ name: 't', kind: 'fault', bo: 'a' }],
});

describe('the schema and the checker refuse the same values', () => {
  test('vram-pressure and memory-pressure overrides', () => {
    expect(
      probeTable(
        () => ({ scenario: 'vram-pressure' }),
        (d) => d,
        VRAM_PRESSURE,
        'vram-pressure',
      ),
    ).toEqual([]);
    expect(
      probeTable(
        () => ({ scenario: 'memory-pressure' }),
        (d) => d,
        MEMORY_PRESSURE,
        'memory-pressure',
      ),
    ).toEqual([]);
  });

  test('a race device and a BO', () => {
    expect(probeTable(RACE, (d) => (d.devices as Record<string, unknown>[])[0]!, DEVICE, 'device')).toEqual(
      [],
    );
    expect(probeTable(RACE, (d) => (d.bos as Record<string, unknown>[])[0]!, BO, 'bo')).toEqual([]);
  });

  test('every kind of task', () => {
    const valid: Record<string, Record<string, unknown>> = {
      fault: { name: 't', kind: 'fault', bo: 'a' },
      exec: { name: 't', kind: 'exec', bos: ['a'] },
      reclaim: { name: 't', kind: 'reclaim', mode: 'pool' },
      put: { name: 't', kind: 'put', bo: 'a' },
      signal: { name: 't', kind: 'signal', target: 'u', afterMs: 1 },
      evict: { name: 't', kind: 'evict', mem: 'vram' },
    };
    const out: string[] = [];
    for (const [kind, table] of Object.entries(TASKS)) {
      const base = () => {
        const doc = RACE() as Record<string, unknown>;
        // A second task for the signal task to target; the names probed stay unreferenced.
        doc.tasks = [{ ...valid[kind] }, { name: 'u', kind: 'fault', bo: 'a' }];
        return doc;
      };
      out.push(...probeTable(base, (d) => (d.tasks as Record<string, unknown>[])[0]!, table, `${kind} task`));
    }
    expect(out).toEqual([]);
  });

  test('the scenario name, a task kind, list lengths and the top level', () => {
    const cases: [unknown, boolean][] = [
      [{ scenario: 'race' }, false],
      [{ scenario: 'abba-ww' }, false],
      [{ scenario: 'vram-pressure', $schema: 3 }, false],
      [{ scenario: 'vram-pressure', $schema: 'x.json' }, true],
      [{ ...RACE(), tasks: [{ name: 't', kind: 'dance', bo: 'a' }] }, false],
      [{ ...RACE(), tasks: [{ name: 't', bo: 'a' }] }, false],
      [{ ...RACE(), devices: [] }, false],
      [
        {
          ...RACE(),
          bos: Array.from({ length: 65 }, (_, i) => ({ name: `b${i}`, kib: 4, placement: 'system' })),
        },
        false,
      ],
      [['race'], false],
    ];
    for (const [doc, ok] of cases) {
      expect([JSON.stringify(doc).slice(0, 60), validate(doc)]).toEqual([
        JSON.stringify(doc).slice(0, 60),
        ok,
      ]);
      expect([JSON.stringify(doc).slice(0, 60), checker(doc).length === 0]).toEqual([
        JSON.stringify(doc).slice(0, 60),
        ok,
      ]);
    }
  });
});
