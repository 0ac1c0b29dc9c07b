// Every exported Mermaid chart renders without a parse error in a real headless Chromium, with
// mermaid's browser bundle inlined into the page: zero network requests.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CHARTS, toMermaid } from '../../src/viz/charts.ts';
import { browserMissing, launchBrowser } from './browser.ts';

const require = createRequire(import.meta.url);
const MERMAID_JS = readFileSync(require.resolve('mermaid/dist/mermaid.min.js'), 'utf8');

describe.skipIf(browserMissing !== null)('Mermaid charts in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  test('every chart renders to an SVG with one node per declared state, with no network request', async () => {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.setContent(
      `<!doctype html><html><body><script>${MERMAID_JS.replace(/<\/script/g, '<\\/script')}</script></body></html>`,
    );
    const results: Record<string, { svg: number; error: string | null }> = {};
    for (const { name, machine } of CHARTS) {
      results[name] = await page.evaluate(
        async ([id, text]) => {
          const m = (
            globalThis as unknown as {
              mermaid: {
                initialize(o: object): void;
                render(id: string, t: string): Promise<{ svg: string }>;
              };
            }
          ).mermaid;
          m.initialize({ startOnLoad: false, securityLevel: 'strict' });
          try {
            const { svg } = await m.render(id, text);
            return { svg: svg.length, error: null };
          } catch (err) {
            return { svg: 0, error: String(err) };
          }
        },
        [`chart_${name}`, toMermaid(machine)] as const,
      );
    }
    for (const { name } of CHARTS) {
      expect(results[name]!.error, name).toBeNull();
      expect(results[name]!.svg, name).toBeGreaterThan(1000);
    }
    expect(requests).toEqual([]);
    await page.close();
  }, 120_000);
});
