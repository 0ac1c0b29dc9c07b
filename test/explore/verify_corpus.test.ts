// Tests of verify.json (src/explore/verify_corpus.ts): prefixes written compactly and read back (with a
// reduction's data), a record saved and loaded whole, and every refusal naming its field: another
// search's option, another format, a damaged prefix.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeItem,
  encodeItem,
  loadItem,
  loadVerify,
  saveVerify,
  storeItem,
  type VerifyIdentity,
  type VerifyRecord,
} from '../../src/explore/verify_corpus.ts';
import { initialFrontier } from '../../src/explore/verify_search.ts';

const root = mkdtempSync(join(tmpdir(), 'ttm-sim-verify-corpus-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const id: VerifyIdentity = {
  scenario: 'small',
  scenarioHash: '0123456789abcdef0123456789abcdef',
  modelVersion: '0.1.0',
  tokenVersion: 1,
  seed: '0',
  mutations: [],
  preemptions: 1,
  faults: 1,
  reduce: false,
};

describe('verify.json', () => {
  it('writes prefixes compactly and reads them back', () => {
    expect(encodeItem({ tape: [2, 0, 37], faults: [4], evalStart: 12 })).toBe('2.0.11/4/c');
    expect(encodeItem({ tape: [], faults: [], evalStart: 0, root: true })).toBe('//0/r');
    expect(decodeItem('2.0.11/4/c')).toEqual({ tape: [2, 0, 37], faults: [4], evalStart: 12 });
    expect(decodeItem('//0/r')).toEqual({ tape: [], faults: [], evalStart: 0, root: true });
    // A planned fault must lie before evalStart; junk is refused.
    expect(decodeItem('1/5/5')).toBeNull();
    expect(decodeItem('1/x!/5')).toBeNull();
    expect(decodeItem('1/2')).toBeNull();
    const withData = { tape: [1], faults: [], evalStart: 3, data: { sleep: [{ actor: 'task:a' }] } };
    expect(storeItem(withData)).toEqual(['1//3', { sleep: [{ actor: 'task:a' }] }]);
    expect(loadItem(storeItem(withData))).toEqual(withData);
  });

  it('saves a record and loads it; another search, format or a damaged prefix is refused by name', () => {
    const dir = mkdtempSync(join(root, 'r-'));
    const front = initialFrontier({ preemptions: 1, faults: 1 });
    const rec: VerifyRecord = {
      format: 'ttm-sim-verify/1',
      ...id,
      seconds: 1.5,
      frontier: front,
      result: null,
    };
    saveVerify(dir, rec);
    const back = loadVerify(dir, id);
    expect(back).toEqual({ kind: 'ok', record: rec });
    const path = join(dir, 'verify.json');
    expect(loadVerify(dir, { ...id, faults: 2 })).toEqual({
      kind: 'bad',
      reason: `${path} is a search of another faults (--faults: 1 there, 2 here); use another --corpus directory or the same options`,
    });
    expect(loadVerify(dir, { ...id, modelVersion: '0.2.0' })).toMatchObject({
      reason: expect.stringContaining(
        'is a search of another modelVersion (the model version: "0.1.0" there, "0.2.0" here)',
      ),
    });
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.replace('"//0/r"', '"//0/q"'));
    expect(loadVerify(dir, id)).toEqual({
      kind: 'bad',
      reason: `${path} is damaged: frontier.stacks[0][0] must be a prefix such as "2.0.1//0", got "//0/q"; move it away to start a new search there`,
    });
    writeFileSync(path, text.replace('"ttm-sim-verify/1"', '"ttm-sim-verify/0"'));
    expect(loadVerify(dir, id)).toMatchObject({
      reason: expect.stringContaining('has format "ttm-sim-verify/0"'),
    });
    writeFileSync(path, '{');
    expect(loadVerify(dir, id)).toMatchObject({
      reason: `${path} is not valid JSON; move it away to start a new search there`,
    });
  });
});
