// The JSON Schema of scenario files (schema/scenario.schema.json), generated from the field table the
// checker reads (tables.ts), so the two cannot say different things about a field's type, range, values
// or whether it is required; and the README's field reference, generated from that schema. The schema
// states what each field may hold; what only the whole config can say (a BO larger than every manager it
// may use, names that refer to nothing, BOs that do not fit next to each other) is left to the checker,
// which editors do not run. Defaults come from the built-in scenarios' own.

import { dmemCgroups } from '../scenarios/dmem.ts';
import { memoryPressure } from '../scenarios/memory_pressure.ts';
import { RACE_DEFAULTS, TASK_KINDS } from '../scenarios/race.ts';
import { vramPressure } from '../scenarios/vram_pressure.ts';
import { type Field, type FieldSpec, NAME_RE } from './fields.ts';
import {
  BO,
  CONFIGURABLE,
  DEVICE,
  DMEM_CGROUPS,
  type FieldTable,
  MEMORY_PRESSURE,
  RACE_TOP,
  TASK_BASE,
  TASKS,
  VRAM_PRESSURE,
} from './tables.ts';

/** Where the package ships the schema, relative to its root. */
export const SCHEMA_PATH = 'schema/scenario.schema.json';

type Json = { [key: string]: unknown };

const SCHEMA_FIELD: Json = {
  type: 'string',
  description: 'The JSON Schema of the file, for editors; ttm-sim ignores it.',
};

function specSchema(spec: FieldSpec): Json {
  switch (spec.t) {
    case 'int':
      return {
        type: 'integer',
        minimum: spec.min,
        maximum: spec.max,
        ...(spec.step === undefined ? {} : { multipleOf: spec.step }),
      };
    case 'enum':
      return { type: 'string', enum: [...spec.values] };
    case 'bool':
      return { type: 'boolean' };
    case 'name':
      return { type: 'string', pattern: NAME_RE.source };
    case 'names':
      return {
        type: 'array',
        minItems: spec.min,
        maxItems: spec.max,
        items: { type: 'string', pattern: NAME_RE.source },
      };
    case 'node':
      return {
        type: 'array',
        minItems: spec.list.min,
        maxItems: spec.list.max,
        items: { $ref: `#/definitions/${spec.list.of}` },
      };
  }
}

function fieldSchema(field: Field, fallback: unknown): Json {
  return {
    description: field.doc,
    ...specSchema(field.spec),
    ...(fallback === undefined ? {} : { default: fallback }),
  };
}

/** An object of the fields of `table`, no others; `defaults` by field name. */
function objectSchema(
  table: FieldTable,
  description: string,
  defaults: Readonly<Record<string, unknown>>,
  extra: Readonly<Record<string, Json>> = {},
): Json {
  const properties: Record<string, Json> = { ...extra };
  for (const [key, field] of Object.entries(table)) properties[key] = fieldSchema(field, defaults[key]);
  const required = [
    ...Object.keys(extra).filter((k) => k !== '$schema'),
    ...Object.keys(table).filter((k) => table[k]!.required),
  ];
  return {
    type: 'object',
    description,
    additionalProperties: false,
    ...(required.length === 0 ? {} : { required }),
    properties,
  };
}

/** The top-level fields of a file configuring `name`. */
function top(name: string): Record<string, Json> {
  return {
    scenario: { description: 'The scenario the file configures.', const: name },
    $schema: SCHEMA_FIELD,
  };
}

/** The schema as an object (JSON Schema draft-07, which editors read). */
export function scenarioSchema(): Json {
  const vp = vramPressure({}).config as Record<string, unknown>;
  const mp = memoryPressure({}).config as Record<string, unknown>;
  const task = RACE_DEFAULTS.task as Record<string, unknown>;
  const definitions: Record<string, Json> = {
    'vram-pressure': objectSchema(
      VRAM_PRESSURE,
      'The vram-pressure built-in with some settings changed; the others keep their defaults.',
      vp,
      top('vram-pressure'),
    ),
    'memory-pressure': objectSchema(
      MEMORY_PRESSURE,
      'The memory-pressure built-in with some settings changed; the others keep their defaults.',
      mp,
      top('memory-pressure'),
    ),
    'dmem-cgroups': objectSchema(
      DMEM_CGROUPS,
      'The dmem-cgroups built-in with some settings changed (sizes, limits and protections); the others keep their defaults.',
      dmemCgroups({}).config as Record<string, unknown>,
      top('dmem-cgroups'),
    ),
    race: objectSchema(
      RACE_TOP,
      'Devices, buffer objects and racing tasks, composed freely.',
      {},
      top('race'),
    ),
    device: objectSchema(DEVICE, 'A device, in a TTM world of its own.', RACE_DEFAULTS.device),
    bo: objectSchema(BO, 'A buffer object, created before the tasks start.', RACE_DEFAULTS.bo),
    task: {
      type: 'object',
      description: 'A racing task; "kind" says which fields it has.',
      required: Object.keys(TASK_BASE).filter((k) => TASK_BASE[k]!.required),
      properties: { kind: fieldSchema(TASK_BASE.kind!, undefined) },
      allOf: TASK_KINDS.map((kind) => ({
        if: { required: ['kind'], properties: { kind: { const: kind } } },
        // biome-ignore lint/suspicious/noThenProperty: a JSON Schema keyword (if/then), never awaited
        then: { $ref: `#/definitions/task-${kind}` },
      })),
    },
  };
  for (const kind of TASK_KINDS) {
    const def = objectSchema(TASKS[kind], `${article(kind)} ${kind} task.`, task);
    // Within a kind's definition, "kind" holds that kind.
    const props = def.properties as Record<string, Json>;
    props.kind = { description: TASK_BASE.kind!.doc, const: kind };
    definitions[`task-${kind}`] = def;
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'ttm-sim scenario file',
    description:
      "A scenario for 'ttm-sim run|fuzz|compare --scenario FILE': one of the configurable built-ins with some settings changed, or a race of devices, buffer objects and tasks. Generated from the checker's field table (src/sim/scenario_file/tables.ts); ttm-sim checks more than the schema can (names that refer to nothing, BOs no manager can hold).",
    type: 'object',
    required: ['scenario'],
    properties: {
      scenario: { description: 'The scenario the file configures.', enum: [...CONFIGURABLE] },
      $schema: SCHEMA_FIELD,
    },
    allOf: CONFIGURABLE.map((name) => ({
      if: { required: ['scenario'], properties: { scenario: { const: name } } },
      // biome-ignore lint/suspicious/noThenProperty: a JSON Schema keyword (if/then), never awaited
      then: { $ref: `#/definitions/${name}` },
    })),
    definitions,
  };
}

/** The schema file's text. */
export function scenarioSchemaText(): string {
  return `${JSON.stringify(scenarioSchema(), null, 2)}\n`;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'An' : 'A';
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** What a field's schema allows, in words. */
function allowed(p: Json): string {
  if (p.const !== undefined) return `"${String(p.const)}"`;
  if (p.enum !== undefined) return (p.enum as string[]).map((v) => `"${v}"`).join(', ');
  if (p.type === 'integer') {
    const range = `${p.minimum}..${p.maximum}`;
    return p.multipleOf === undefined ? `integer ${range}` : `integer ${range}, multiple of ${p.multipleOf}`;
  }
  if (p.type === 'boolean') return 'true or false';
  if (p.type === 'string') return p.pattern === undefined ? 'string' : 'name';
  if (p.type === 'array') {
    const items = p.items as Json;
    const of = items.$ref !== undefined ? `${String(items.$ref).split('/').pop()} objects` : 'names';
    return `list of ${p.minItems}..${p.maxItems} ${of}`;
  }
  return '';
}

function table(def: Json): string[] {
  const props = def.properties as Record<string, Json>;
  const required = new Set((def.required as string[] | undefined) ?? []);
  const rows = ['| field | required | allowed | default | meaning |', '|---|---|---|---|---|'];
  for (const [key, p] of Object.entries(props)) {
    if (key === '$schema') continue;
    const dflt = p.default === undefined ? '' : `\`${JSON.stringify(p.default)}\``;
    rows.push(
      `| \`${key}\` | ${required.has(key) ? 'yes' : ''} | ${cell(allowed(p))} | ${dflt} | ${cell(String(p.description ?? ''))} |`,
    );
  }
  return rows;
}

/**
 * The README's field reference: a table per kind of object the schema describes, generated from the
 * schema (so it says what the schema says). A name is 1 to 32 letters, digits, '-' or '_', starting
 * with a letter.
 */
export function schemaReference(schema: Json = scenarioSchema()): string {
  const defs = schema.definitions as Record<string, Json>;
  const out: string[] = [
    `Generated from \`${SCHEMA_PATH}\` by \`npm run docs:scenario-schema\`; every file may also`,
    'give `"$schema"`, the path or URL of the schema, which editors read and ttm-sim ignores. A *name* is',
    `1 to 32 letters, digits, \`-\` or \`_\`, starting with a letter (\`${NAME_RE.source}\`).`,
  ];
  const sections: [string, string][] = [
    ['vram-pressure', '`"scenario": "vram-pressure"`'],
    ['memory-pressure', '`"scenario": "memory-pressure"`'],
    ['race', '`"scenario": "race"`'],
    ['dmem-cgroups', '`"scenario": "dmem-cgroups"`'],
    ['device', 'A device (`devices[i]`)'],
    ['bo', 'A BO (`bos[i]`)'],
    ...TASK_KINDS.map((k): [string, string] => [`task-${k}`, `${article(k)} ${k} task (\`tasks[i]\`)`]),
  ];
  for (const [id, title] of sections) {
    const def = defs[id]!;
    out.push('', `**${title}.** ${String(def.description)}`, '', ...table(def));
  }
  return `${out.join('\n')}\n`;
}
