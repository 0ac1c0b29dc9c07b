// Rules the kernel model and the stress programs share, written once in src/kernel and imported by both:
// the errno values (errno.ts), Wait-Die's back-off decision (ww_mutex.ts) and the PTE install rule
// (mm_memory.ts).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { pteInsertOutcome } from '../../src/kernel/mm_memory.ts';
import { waitDieBacksOff } from '../../src/kernel/ww_mutex.ts';

const REPO = join(import.meta.dirname, '../..');

describe('shared kernel rules', () => {
  test('waitDieBacksOff: only a context holding locks that meets an older one backs off', () => {
    const cases: [number, number, number | null][] = [
      [5, 1, 3], // holds a lock, meets an older ticket: dies
      [5, 0, 3], // holds nothing: waits
      [5, 2, 7], // meets a younger ticket: waits
      [5, 1, 5], // the same stamp is not older
      [5, 3, null], // meets no context (a plain lock holder): waits
    ];
    expect(cases.map(([s, a, o]) => waitDieBacksOff(s, a, o))).toEqual([true, false, false, false, false]);
  });

  test('pteInsertOutcome: install where none is, a present PTE is left alone', () => {
    expect([pteInsertOutcome(false), pteInsertOutcome(true)]).toEqual(['install', 'present']);
  });

  test('the stress programs import these rules and the errno values from src/kernel', () => {
    const src = readFileSync(join(REPO, 'src/stress/programs.ts'), 'utf8');
    expect(src).toContain("import { pteInsertOutcome } from '../kernel/mm_memory.ts';");
    expect(src).toContain("import { waitDieBacksOff } from '../kernel/ww_mutex.ts';");
    expect(src).toMatch(/import \{[^}]*EDEADLK[^}]*\} from '\.\.\/kernel\/errno\.ts';/);
    // No errno value written as a number literal of its own.
    expect(src).not.toMatch(/return -\d+;/);
  });
});
