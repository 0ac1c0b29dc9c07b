// Scenario files: the example files load and pass, a file's scenario carries its complete normalised
// config (and a file that amounts to a built-in gives that built-in), and every kind of mistake is
// reported with the file position of the offending value, the field path, the problem and the fix.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { scenarioHash } from '../../src/engine/token.ts';
import { runScenario } from '../../src/explore/run.ts';
import { loadScenarioFile, resolveScenario } from '../../src/sim/scenario_file.ts';
import { findScenario, SCENARIOS } from '../../src/sim/scenarios/index.ts';
import { DEFAULT_RACE_CONFIG } from '../../src/sim/scenarios/race.ts';

const dir = mkdtempSync(join(tmpdir(), 'ttm-sim-scenario-file-'));
let files = 0;

/** Write `text` to a new file of the temp dir; its path. */
function file(text: string): string {
  const path = join(dir, `s${files++}.json`);
  writeFileSync(path, text);
  return path;
}

/** `LINE:COL` (1-based) of the first occurrence of `needle` in `text`. */
function at(text: string, needle: string): string {
  const offset = text.indexOf(needle);
  if (offset < 0) throw new Error(`${needle} not in the text`);
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

/** The reason a file is refused (failing the test when it loads). */
function reason(text: string): { path: string; reason: string } {
  const path = file(text);
  const r = loadScenarioFile(path);
  if (r.ok) throw new Error(`${path} loaded`);
  return { path, reason: r.reason };
}

/** A valid race file with one line replaced (`from` → `to`). */
const RACE = `{
  "scenario": "race",
  "devices": [{ "name": "gpu0", "vramKiB": 64, "ttKiB": 64, "ramPages": 512 }],
  "bos": [
    { "name": "a", "kib": 16, "placement": "vram" },
    { "name": "b", "kib": 32, "placement": "vram-or-tt", "pinned": false }
  ],
  "tasks": [
    { "name": "f", "kind": "fault", "bo": "a", "repeat": 2 },
    { "name": "e", "kind": "exec", "bos": ["a", "b"] },
    { "name": "s", "kind": "signal", "target": "f", "afterMs": 1 }
  ]
}
`;

function race(from: string, to: string): string {
  if (!RACE.includes(from)) throw new Error(`${from} not in RACE`);
  return RACE.replace(from, to);
}

const FIELDS_BO = 'name, device, kib, placement, pinned';
const CONFIGURABLE = '"vram-pressure", "memory-pressure", "race", "dmem-cgroups"';

describe('example scenario files', () => {
  const examples = readdirSync('examples')
    .filter((f) => f.endsWith('.json'))
    .sort();

  test('the examples are the four shipped', () => {
    expect(examples).toEqual([
      'memory-small.json',
      'race-small.json',
      'race-two-devices.json',
      'vram-tight.json',
    ]);
  });

  for (const name of examples) {
    test(`examples/${name} loads and passes seeds 0..9`, () => {
      const r = loadScenarioFile(join('examples', name));
      if (!r.ok) throw new Error(r.reason);
      const failed: string[] = [];
      for (let seed = 0n; seed < 10n; seed += 1n) {
        const run = runScenario(r.scenario, { seed });
        if (run.outcome !== 'pass') failed.push(`${seed}: ${run.failure?.id} ${run.failure?.message}`);
      }
      expect(failed).toEqual([]);
    });
  }

  test('race-small.json: the config is complete, every default filled in', () => {
    const r = loadScenarioFile('examples/race-small.json');
    if (!r.ok) throw new Error(r.reason);
    expect(r.scenario.name).toBe('race');
    expect(r.scenario.config).toEqual({
      scenario: 'race',
      lifecycle: 'init,work,suspend,resume,work,teardown',
      devices: [
        {
          name: 'xe0',
          style: 'xe',
          vramKiB: 48,
          ttKiB: 64,
          ramPages: 512,
          swapPages: 512,
          caching: 'cached',
        },
      ],
      bos: [
        { name: 'scanout', device: 'xe0', kib: 16, placement: 'vram', pinned: true },
        { name: 'vertices', device: 'xe0', kib: 24, placement: 'vram-or-tt', pinned: false },
        { name: 'textures', device: 'xe0', kib: 32, placement: 'vram-or-tt', pinned: false },
        { name: 'upload', device: 'xe0', kib: 16, placement: 'system', pinned: false },
      ],
      tasks: [
        {
          kind: 'exec',
          name: 'gfx',
          bos: ['scanout', 'vertices', 'textures'],
          repeat: 3,
          holdMs: 1,
          delayMs: 0,
        },
        { kind: 'exec', name: 'compute', bos: ['textures', 'vertices'], repeat: 3, holdMs: 0, delayMs: 0 },
        { kind: 'fault', name: 'cpu', bo: 'vertices', repeat: 2, delayMs: 0 },
        { kind: 'fault', name: 'uploader', bo: 'upload', repeat: 2, delayMs: 0 },
        { kind: 'reclaim', name: 'kswapd', device: 'xe0', mode: 'shrinker', pages: 8, repeat: 2, delayMs: 0 },
        { kind: 'put', name: 'close', bo: 'textures', delayMs: 0 },
        { kind: 'signal', name: 'sigint', target: 'compute', afterMs: 1, repeat: 1 },
      ],
    });
  });

  test('vram-tight.json: the overrides on top of every other default', () => {
    const r = loadScenarioFile('examples/vram-tight.json');
    if (!r.ok) throw new Error(r.reason);
    expect(r.scenario.name).toBe('vram-pressure');
    expect(r.scenario.config).toEqual({
      scenario: 'vram-pressure',
      vramKiB: 160,
      ttKiB: 384,
      clients: 3,
      bosPerClient: 2,
      sharedBos: 1,
      frames: 3,
      minBoKiB: 16,
      maxBoKiB: 64,
      iovaPages: 1024,
      readbacks: 1,
      pageTableKiB: 8,
      lifecycle: 'init,work,suspend,resume,work,teardown',
    });
  });
});

describe('files that amount to a built-in scenario', () => {
  test('no overrides: the built-in itself (same name, same hash, same runs)', () => {
    const r = loadScenarioFile(file('{ "scenario": "vram-pressure" }'));
    expect(r.ok && r.scenario).toBe(findScenario('vram-pressure'));
    const m = loadScenarioFile(file('{"scenario":"memory-pressure","ramPages":512}'));
    expect(m.ok && m.scenario).toBe(findScenario('memory-pressure'));
  });

  test('the overrides of vram-pressure-large give that built-in', () => {
    const r = loadScenarioFile(
      file('{"scenario":"vram-pressure","clients":6,"bosPerClient":4,"frames":6,"vramKiB":384}'),
    );
    expect(r.ok && r.scenario.name).toBe('vram-pressure-large');
  });

  test('the default race config written out in full gives the built-in race', () => {
    const r = loadScenarioFile(file(JSON.stringify({ scenario: 'race', ...DEFAULT_RACE_CONFIG }, null, 2)));
    expect(r.ok && r.scenario).toBe(findScenario('race'));
  });

  test('a changed race config is another scenario: another hash', () => {
    const a = loadScenarioFile(file(RACE));
    const b = loadScenarioFile(file(race('"repeat": 2', '"repeat": 3')));
    if (!a.ok || !b.ok) throw new Error('not loaded');
    expect(scenarioHash(a.scenario.config)).not.toBe(scenarioHash(b.scenario.config));
    expect(SCENARIOS.includes(a.scenario)).toBe(false);
  });
});

describe('resolveScenario', () => {
  test('a built-in by name, a file by its .json path', () => {
    expect(resolveScenario('race')).toEqual({ ok: true, scenario: findScenario('race') });
    const r = resolveScenario('examples/race-two-devices.json');
    expect(r.ok && r.scenario.summary).toBe(
      '2 device(s), 4 BOs, racing tasks: 1 exec, 2 fault, 2 reclaim, 2 evict, 1 put, 1 signal',
    );
  });

  test('a FIFO, a device, a file under /proc: refused before any read', () => {
    const fifo = join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    expect(resolveScenario(fifo)).toEqual({
      ok: false,
      reason: `cannot read scenario file ${fifo}: it is a FIFO (named pipe): reading it would wait for a writer; give a regular .json file`,
    });
    const device = join(dir, 'null.json');
    symlinkSync('/dev/null', device);
    expect(resolveScenario(device)).toEqual({
      ok: false,
      reason: `cannot read scenario file ${device}: it is not a regular file; give a regular .json file`,
    });
    const proc = join(dir, 'status.json');
    symlinkSync('/proc/self/status', proc);
    expect(resolveScenario(proc)).toEqual({
      ok: false,
      reason: `cannot read scenario file ${proc}: it is under /proc, a kernel interface, not a scenario file; give a regular .json file`,
    });
  });

  test('an unknown name lists the built-ins', () => {
    expect(resolveScenario('rase')).toEqual({
      ok: false,
      reason: `unknown scenario "rase"; the built-in ones are: ${SCENARIOS.map((s) => s.name).join(', ')}; a scenario file is a path ending in .json`,
    });
  });

  test('a file that is not there, a directory', () => {
    const missing = join(dir, 'missing.json');
    expect(resolveScenario(missing)).toEqual({
      ok: false,
      reason: `cannot read scenario file ${missing}: no such file`,
    });
    const sub = join(dir, 'sub.json');
    mkdirSync(sub);
    expect(resolveScenario(sub)).toEqual({
      ok: false,
      reason: `cannot read scenario file ${sub}: it is a directory`,
    });
  });
});

describe('validation errors: position, path, problem, fix', () => {
  test('unknown field', () => {
    const text = race('"pinned": false', '"pined": false');
    const { path, reason: r } = reason(text);
    expect(r).toBe(
      `${path}:${at(text, '"pined"')}: bos[1].pined: unknown field "pined" for a BO; did you mean "pinned"? The fields are: ${FIELDS_BO}`,
    );
  });

  test('unknown field of a task kind', () => {
    const text = race('"bo": "a", "repeat": 2', '"bos": ["a"], "repeat": 2');
    const { path, reason: r } = reason(text);
    expect(r).toBe(
      `${path}:${at(text, '{ "name": "f"')}: tasks[0].bo: missing field "bo" of a fault task; add "bo": a name in double quotes, e.g. "a0"\n` +
        `${path}:${at(text, '"bos": ["a"]')}: tasks[0].bos: unknown field "bos" for a fault task; did you mean "bo"? The fields are: name, kind, bo, repeat, delayMs`,
    );
  });

  test('wrong type', () => {
    const text = race('"kib": 16', '"kib": "16"');
    const { path, reason: r } = reason(text);
    expect(r).toBe(
      `${path}:${at(text, '"16"')}: bos[0].kib: expected an integer (BO size in KiB), got a string "16"; write the number without quotes: 16`,
    );
  });

  test('missing field', () => {
    const text = race('{ "name": "a", "kib": 16, "placement": "vram" }', '{ "name": "a", "kib": 16 }');
    const { path, reason: r } = reason(text);
    expect(r).toBe(
      `${path}:${at(text, '{ "name": "a"')}: bos[0].placement: missing field "placement" of a BO; add "placement": one of "vram", "tt", "vram-or-tt", "system"`,
    );
  });

  test('number out of range, not an integer, not a whole number of pages', () => {
    const text = race('"repeat": 2', '"repeat": 5000')
      .replace('"kib": 16', '"kib": 18')
      .replace('"ramPages": 512', '"ramPages": 512.5');
    const { path, reason: r } = reason(text);
    expect(r).toBe(
      [
        `${path}:${at(text, '512.5')}: devices[0].ramPages: expected an integer (RAM pages), got 512.5; use a whole number from 64 to 1048576`,
        `${path}:${at(text, '18')}: bos[0].kib: 18 is not a multiple of 4 (sizes in KiB are whole 4 KiB pages); use 16 or 20`,
        `${path}:${at(text, '5000')}: tasks[0].repeat: 5000 is out of range; use a value from 1 to 1000`,
      ].join('\n'),
    );
  });

  test('a value not among the allowed ones', () => {
    const text = race('"placement": "vram-or-tt"', '"placement": "gtt"');
    const { path, reason: r } = reason(text);
    expect(r).toBe(
      `${path}:${at(text, '"gtt"')}: bos[1].placement: "gtt" is not one of the allowed values; did you mean "tt"? The allowed values are "vram", "tt", "vram-or-tt", "system"`,
    );
  });

  test('unknown BO name referenced by a task', () => {
    const text = race('"bos": ["a", "b"]', '"bos": ["a", "c"]');
    const { path, reason: r } = reason(text);
    expect(r).toBe(`${path}:${at(text, '"c"]')}: tasks[1].bos[1]: no BO is named "c"; use one of "a", "b"`);
  });

  test('unknown task signalled', () => {
    const text = race('"target": "f"', '"target": "g"');
    const { path, reason: r } = reason(text);
    expect(r).toBe(`${path}:${at(text, '"g"')}: tasks[2].target: no task is named "g"; use one of "f", "e"`);
  });

  test('a BO larger than every manager it may be placed in', () => {
    const text = race('"kib": 32, "placement": "vram-or-tt"', '"kib": 128, "placement": "vram-or-tt"');
    const { path, reason: r } = reason(text);
    expect(r).toBe(
      `${path}:${at(text, '128')}: bos[1].kib: 128 KiB is larger than every manager placement "vram-or-tt" may use (VRAM of "gpu0" has 64 KiB, TT 64 KiB); make it at most 64 KiB, or give the device more room`,
    );
  });

  test('BOs that do not fit next to each other', () => {
    const text = race('"placement": "vram" }', '"placement": "vram", "pinned": true }').replace(
      '"kib": 32, "placement": "vram-or-tt"',
      '"kib": 64, "placement": "vram"',
    );
    const { path, reason: r } = reason(text);
    expect(r).toBe(
      `${path}:${at(text, '{ "name": "b"')}: bos[1]: creating BO "b" (64 KiB, vram) on device "gpu0" failed with -ENOMEM: the BOs created before it leave no room; give the device more memory (vramKiB, ttKiB, ramPages), make the BOs smaller or pin fewer`,
    );
  });

  test('a reclaim mode the device does not have', () => {
    const text = race(
      '{ "name": "s", "kind": "signal", "target": "f", "afterMs": 1 }',
      '{ "name": "k", "kind": "reclaim", "mode": "shrinker" }',
    );
    const { path, reason: r } = reason(text);
    expect(r).toBe(
      `${path}:${at(text, '"shrinker"')}: tasks[2].mode: mode "shrinker" runs the xe BO shrinker, but device "gpu0" is amdgpu-style; use mode "swapout" or "pool" for an amdgpu-style device, or make the device "xe"`,
    );
  });

  test('two devices: a BO must name its device', () => {
    const text = race(
      '"devices": [{ "name": "gpu0", "vramKiB": 64, "ttKiB": 64, "ramPages": 512 }]',
      '"devices": [{ "name": "gpu0" }, { "name": "gpu1" }]',
    );
    const { path, reason: r } = reason(text);
    expect(r).toBe(
      [
        `${path}:${at(text, '{ "name": "a"')}: bos[0].device: missing field (the config has 2 devices); name the device: one of "gpu0", "gpu1"`,
        `${path}:${at(text, '{ "name": "b"')}: bos[1].device: missing field (the config has 2 devices); name the device: one of "gpu0", "gpu1"`,
      ].join('\n'),
    );
  });

  test('duplicate field', () => {
    const text = '{\n  "scenario": "memory-pressure",\n  "boPages": 32,\n  "boPages": 48\n}\n';
    const { path, reason: r } = reason(text);
    expect(r).toBe(`${path}:4:3: boPages: field "boPages" appears twice (first at 3:3); keep one of them`);
  });

  test('unknown scenario name', () => {
    const text = '{ "scenario": "vram-presure", "clients": 2 }';
    const { path, reason: r } = reason(text);
    expect(r).toBe(
      `${path}:1:15: scenario: unknown scenario "vram-presure"; did you mean "vram-pressure"? The scenarios a file configures are ${CONFIGURABLE}`,
    );
    const other = reason('{ "scenario": "tetris" }');
    expect(other.reason).toBe(
      `${other.path}:1:15: scenario: unknown scenario "tetris"; use one of ${CONFIGURABLE}`,
    );
  });

  test('a built-in without settings, a missing or mistyped scenario field, a file that is not an object', () => {
    const a = reason('{ "scenario": "abba-ww" }');
    expect(a.reason).toBe(
      `${a.path}:1:15: scenario: the built-in scenario "abba-ww" has no settings a file can change; run it by name, or configure one of ${CONFIGURABLE}`,
    );
    const b = reason('{ "clients": 2 }');
    expect(b.reason).toBe(
      `${b.path}:1:1: scenario: missing field "scenario"; add "scenario": one of ${CONFIGURABLE}`,
    );
    const c = reason('{ "scenario": 3 }');
    expect(c.reason).toBe(
      `${c.path}:1:15: scenario: expected a scenario name, got the integer 3; use one of ${CONFIGURABLE}`,
    );
    const d = reason('\n  ["race"]');
    expect(d.reason).toBe(
      `${d.path}:2:3: top level: expected a JSON object, got an array; write {"scenario": NAME, ...} with NAME one of ${CONFIGURABLE}`,
    );
  });

  test('built-in overrides: unknown field, range, and the checks across fields', () => {
    const aText = '{"scenario": "vram-pressure", "frams": 2, "clients": 0}';
    const a = reason(aText);
    expect(a.reason).toBe(
      [
        `${a.path}:${at(aText, '"frams"')}: frams: unknown field "frams" for a vram-pressure config; did you mean "frames"? The fields are: vramKiB, ttKiB, clients, bosPerClient, sharedBos, frames, minBoKiB, maxBoKiB, iovaPages, readbacks, pageTableKiB`,
        `${a.path}:${at(aText, '0}')}: clients: 0 is out of range; use a value from 1 to 32`,
      ].join('\n'),
    );
    const bText = '{"scenario": "vram-pressure", "vramKiB": 128, "ttKiB": 256, "maxBoKiB": 512}';
    const b = reason(bText);
    expect(b.reason).toBe(
      `${b.path}:${at(bText, '512')}: maxBoKiB: a BO of 512 KiB is larger than every manager it may be placed in (VRAM 128 KiB, TT 256 KiB); make it at most 256, or give VRAM or TT more room`,
    );
    const cText = '{"scenario": "vram-pressure", "minBoKiB": 64, "maxBoKiB": 32}';
    const c = reason(cText);
    expect(c.reason).toBe(
      `${c.path}:${at(cText, '32}')}: maxBoKiB: 32 is below minBoKiB (64); make maxBoKiB at least 64 or minBoKiB at most 32`,
    );
    const dText = '{"scenario": "memory-pressure", "ramPages": 128, "boPages": 256}';
    const d = reason(dText);
    expect(d.reason).toBe(
      `${d.path}:${at(dText, '256')}: boPages: a BO of 256 pages is larger than RAM (128 pages), the only place its pages can be; make it at most 128 pages, or give RAM more pages`,
    );
  });

  test('JSON syntax errors, each at its line and column', () => {
    const cases: [string, string][] = [
      [
        '{\n  "scenario": "race",\n}\n',
        "3:1: invalid JSON: trailing comma before '}'; remove the comma after the last field",
      ],
      [
        '{ "scenario": "race", "bos": [1, 2,] }',
        "1:36: invalid JSON: trailing comma before ']'; remove the comma after the last item",
      ],
      [
        '{\n  "scenario" "race"\n}',
        `2:14: invalid JSON: expected ':' after the field name "scenario", found '"'; put a colon between a field name and its value`,
      ],
      [
        '{ "scenario": "race\n}',
        `1:15: invalid JSON: unterminated string; close the string with '"' on the same line`,
      ],
      [
        "{ 'scenario': 'race' }",
        `1:3: invalid JSON: expected a field name in double quotes, found '''; write field names as "name"`,
      ],
      [
        '{\n  // the race\n  "scenario": "race"\n}',
        '2:3: invalid JSON: comments are not JSON; remove the comment',
      ],
      ['', 'invalid JSON: the file is empty; write a JSON object such as {"scenario": "race", ...}'],
      [
        '{ "scenario": "race" } x',
        "1:24: invalid JSON: unexpected 'x' after the end of the top-level value; remove it (a file holds one JSON object)",
      ],
      [
        '{ "scenario": "race", "pinned": True }',
        "1:33: invalid JSON: expected a value, found 'True'; quote strings with double quotes; JSON has only the literals true, false and null",
      ],
      [
        '{ "kib": 012 }',
        `1:10: invalid JSON: malformed number '012'; write a plain decimal number (no leading zeros, hex, "+" or trailing ".")`,
      ],
      [
        '{ "scenario": "race" "kib": 4 }',
        `1:22: invalid JSON: expected ',' or '}' after the value of "scenario", found '"'; separate fields with commas`,
      ],
      [
        '{ "a": "\\q" }',
        "1:9: invalid JSON: invalid escape '\\q' in a string; use \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX",
      ],
      [
        '{ "a": [1 2] }',
        "1:11: invalid JSON: expected ',' or ']' after an array item, found '2'; separate items with commas",
      ],
      [
        '{ "a": [',
        '1:9: invalid JSON: expected a value, found the end of the file; write a number, a "string", true, false, null, an object or an array',
      ],
      [
        `${'['.repeat(40)}${']'.repeat(40)}`,
        '1:33: invalid JSON: values nested more than 32 deep; flatten the file',
      ],
    ];
    for (const [text, want] of cases) {
      const { path, reason: r } = reason(text);
      expect(r).toBe(want.startsWith('invalid') ? `${path}:1:1: ${want}` : `${path}:${want}`);
    }
  });

  test('more syntax errors: the messages of the positional reader kept over jsonc-parser', () => {
    const cases: [string, string][] = [
      [
        '{ "a": "x\ty" }',
        '1:10: invalid JSON: control character U+0009 in a string; escape it (\\t, \\n, \\u0000)',
      ],
      [
        '{ "a": "\\u12G4" }',
        '1:9: invalid JSON: invalid \\u escape in a string; write \\u followed by four hex digits',
      ],
      [
        '{ "a": 1. }',
        `1:8: invalid JSON: malformed number '1.'; write a plain decimal number (no leading zeros, hex, "+" or trailing ".")`,
      ],
      [
        '{ "a": 0x10 }',
        `1:8: invalid JSON: malformed number '0x10'; write a plain decimal number (no leading zeros, hex, "+" or trailing ".")`,
      ],
      [
        '{ "a": - }',
        `1:8: invalid JSON: malformed number '-'; write a plain decimal number (no leading zeros, hex, "+" or trailing ".")`,
      ],
      [
        '{ "a": +1 }',
        `1:8: invalid JSON: expected a value, found '+'; write a number, a "string", true, false, null, an object or an array`,
      ],
      ['{ "a": 1 /* why */ }', '1:10: invalid JSON: comments are not JSON; remove the comment'],
      [
        '{ "a": [true\\] }',
        `1:13: invalid JSON: expected ',' or ']' after an array item, found '\\'; separate items with commas`,
      ],
      [
        '{ "a": 1,\u00a0"b": 2 }',
        `1:10: invalid JSON: expected a field name in double quotes, found '\u00a0'; write field names as "name"`,
      ],
      [
        '{ "a": 512\n "b\\q": 1 }',
        `2:2: invalid JSON: expected ',' or '}' after the value of "a", found '"'; separate fields with commas`,
      ],
      [
        '{ "a" "b\n }',
        `1:7: invalid JSON: expected ':' after the field name "a", found '"'; put a colon between a field name and its value`,
      ],
      [
        '{ "a": [1, 2',
        "1:13: invalid JSON: expected ',' or ']' after an array item, found the end of the file; close the array with ']'",
      ],
      [
        '{ "a": 1',
        `1:9: invalid JSON: expected ',' or '}' after the value of "a", found the end of the file; close the object with '}'`,
      ],
    ];
    for (const [text, want] of cases) {
      const { path, reason: r } = reason(text);
      expect(r).toBe(`${path}:${want}`);
    }
  });

  test('fields named like properties of every object are unknown fields, at their position', () => {
    const text = race('"pinned": false', '"constructor": 1, "__proto__": {}, "toString": "x"');
    const { path, reason: r } = reason(text);
    expect(r).toBe(
      [
        `${path}:${at(text, '"constructor"')}: bos[1].constructor: unknown field "constructor" for a BO; remove it; the fields are: ${FIELDS_BO}`,
        `${path}:${at(text, '"__proto__"')}: bos[1].__proto__: unknown field "__proto__" for a BO; remove it; the fields are: ${FIELDS_BO}`,
        `${path}:${at(text, '"toString"')}: bos[1].toString: unknown field "toString" for a BO; remove it; the fields are: ${FIELDS_BO}`,
      ].join('\n'),
    );
    const top = reason('{ "scenario": "memory-pressure", "hasOwnProperty": 2 }');
    expect(top.reason).toBe(
      `${top.path}:1:34: hasOwnProperty: unknown field "hasOwnProperty" for a memory-pressure config; remove it; the fields are: ramPages, swapPages, writers, bosPerWriter, boPages, readers, purgeableEvery, kswapdWakeups, watermarkPages`,
    );
    const task = reason(race('"kind": "exec"', '"kind": "exec", "valueOf": 1'));
    expect(task.reason).toContain('tasks[1].valueOf: unknown field "valueOf" for a exec task; remove it;');
  });

  test('a byte-order mark before the object is allowed; columns count it as the file has it', () => {
    expect(loadScenarioFile(file('\uFEFF{ "scenario": "vram-pressure" }')).ok).toBe(true);
    const text = '\uFEFF{ "scenario": "vram-pressure", "clients": 0 }';
    const { path, reason: r } = reason(text);
    expect(r).toBe(`${path}:${at(text, '0 }')}: clients: 0 is out of range; use a value from 1 to 32`);
    expect(at(text, '0 }')).toBe('1:44');
  });

  test('never throws: binary garbage, a huge file of nesting, a lone BOM', () => {
    for (const text of ['\u0000\u0001\u0002', `${'['.repeat(100_000)}`, '\uFEFF']) {
      const r = loadScenarioFile(file(text));
      expect(r.ok).toBe(false);
    }
  });
});
