// README "Using it from tests": its Vitest example is test/api/readme_example.test.ts byte for byte (so
// the example runs in this suite as printed), and the failure message it shows is the one
// expectNoFailure gives now.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectNoFailure, ScheduleFailed } from '../../src/index.ts';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The fenced blocks of `lang` in the README section headed `heading` (up to the next `## `). */
function blocks(heading: string, lang: string): string[] {
  const start = README.indexOf(`\n${heading}\n`);
  expect(start).toBeGreaterThan(0);
  const end = README.indexOf('\n## ', start + heading.length + 2);
  const section = README.slice(start, end === -1 ? undefined : end);
  const fence = new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\`\\n`, 'g');
  return [...section.matchAll(fence)].map((m) => m[1]!);
}

describe('README "Using it from tests"', () => {
  it('its ts block is test/api/readme_example.test.ts, verbatim', () => {
    const file = readFileSync(new URL('./readme_example.test.ts', import.meta.url), 'utf8');
    expect(blocks('## Using it from tests', 'ts')).toEqual([file]);
  });

  it('it names every value the API exports', async () => {
    const api = await import('../../src/index.ts');
    const section = README.slice(README.indexOf('\n## Using it from tests\n'));
    const text = section.slice(0, section.indexOf('\n## ', 5));
    // Each one in code: `run(...)`, `await fuzz(...)`, `scenarios`, `EXPECT_SCHEDULES`.
    const code = (k: string) => new RegExp(`\`(await )?${k.replace(/[$]/g, '\\$')}(?![\\w$])`);
    const named = Object.keys(api).filter((k) => !code(k).test(text));
    expect(named).toEqual([]);
    expect(Object.keys(api).sort()).toEqual([
      'EXPECT_SCHEDULES',
      'MESSAGE_TRACE_ROWS',
      'ScheduleFailed',
      'TtmSimError',
      'designs',
      'expectNoFailure',
      'fuzz',
      'mutations',
      'replay',
      'run',
      'run$',
      'scenarios',
      'seedTitle',
      'shrink',
    ]);
  });

  it('its failure message is what expectNoFailure throws for bulk-move-pinned in 24 bulk-lru schedules', async () => {
    const shown = blocks('## Using it from tests', 'console');
    expect(shown.length).toBe(1);
    let message = '';
    try {
      await expectNoFailure({ scenario: 'bulk-lru', schedules: 24, mutations: ['bulk-move-pinned'] });
    } catch (err) {
      expect(err).toBeInstanceOf(ScheduleFailed);
      message = `ScheduleFailed: ${(err as Error).message}\n`;
    }
    expect(shown[0]).toBe(message);
  });
});
