// The offline viewer in a real headless Chromium (Debian's): opened from file:// with zero network
// requests; moving the slider, the arrow keys and the failure jump change the shown message and the
// highlighted states exactly as the trace says; a screenshot is saved under test-output/.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TraceLine } from '../../src/engine/trace.ts';
import { runScenario } from '../../src/sim/run.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';
import { renderViewer } from '../../src/viz/viewer.ts';
import { browserMissing, launchBrowser } from './browser.ts';

const OUT = join(import.meta.dirname, '../../test-output/viewer');

/** The little of the DOM these page functions touch (the project compiles without the DOM lib). */
interface PageGlobals {
  document: {
    getElementById(id: string): { value: string; dispatchEvent(event: unknown): boolean };
    querySelectorAll(selector: string): ArrayLike<{ id: string }>;
  };
  Event: new (type: string) => unknown;
}

function writeViewer(scenario: string, seed: bigint, file: string): TraceLine[] {
  const r = runScenario(findScenario(scenario)!, { seed, keepTrace: true });
  const lines = (r.trace ?? []).map((l) => JSON.parse(l) as TraceLine);
  const html = renderViewer({
    title: `${scenario} ${seed}`,
    token: r.token,
    traceSha256: r.traceSha256,
    outcome: r.outcome,
    failure: r.failure,
    lines,
  });
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, file), html);
  return lines;
}

/** Mermaid ids of the nodes the page marks active. */
function activeNodes(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const { document } = globalThis as unknown as PageGlobals;
    return Array.from(
      document.querySelectorAll('#chart .active'),
      (g) => /-state-(.+)-\d+$/.exec(g.id)?.[1] ?? g.id,
    ).sort();
  });
}

describe.skipIf(browserMissing !== null)('viewer in Chromium', () => {
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  let lines: TraceLine[];

  beforeAll(async () => {
    lines = writeViewer('vram-pressure', 1n, 'run.html');
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${join(OUT, 'run.html')}`);
    await page.evaluate(() => (globalThis as unknown as { viewer: { ready: Promise<void> } }).viewer.ready);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  test("moving the slider shows that step's message and highlights the stepping actor's state", async () => {
    for (const k of [5, 40, 120]) {
      await page.evaluate((v) => {
        const { document, Event } = globalThis as unknown as PageGlobals;
        const s = document.getElementById('slider');
        s.value = String(v);
        s.dispatchEvent(new Event('input'));
      }, k);
      const line = lines[k]!;
      expect(await page.textContent('#msg')).toBe(line.event);
      expect(await page.textContent('#chart-title')).toBe(`${line.actor}: task`);
      expect(await activeNodes(page)).toEqual([`task_${line.to}`]);
    }
  });

  test('→ steps forward one step and ← back', async () => {
    await page.evaluate(() =>
      (globalThis as unknown as { viewer: { seek(k: number): void } }).viewer.seek(60),
    );
    await page.keyboard.press('ArrowRight');
    expect(await page.inputValue('#slider')).toBe('61');
    expect(await page.textContent('#msg')).toBe(lines[61]!.event);
    await page.keyboard.press('ArrowLeft');
    expect(await page.inputValue('#slider')).toBe('60');
  });

  test('showing a BO highlights one active state per region of its parallel chart', async () => {
    await page.selectOption('#actor', 'bo:9');
    await page.check('#pin');
    await page.evaluate(() =>
      (globalThis as unknown as { viewer: { seek(k: number): void } }).viewer.seek(50),
    );
    expect(await page.textContent('#chart-title')).toBe('bo:9: ttm_bo');
    // After step 50 bo:9 is initialized (step 8), placed in VRAM (step 47), unpinned (effects of steps ≤ 50).
    expect(await activeNodes(page)).toEqual([
      'ttm_bo_lifecycle',
      'ttm_bo_lifecycle_initialized',
      'ttm_bo_pin',
      'ttm_bo_pin_unpinned',
      'ttm_bo_placement',
      'ttm_bo_placement_placed',
      'ttm_bo_placement_placed_vram',
    ]);
    await page.uncheck('#pin');
    mkdirSync(OUT, { recursive: true });
    await page.screenshot({ path: join(OUT, 'viewer.png') });
  });

  test('the page made no network request (only its own file)', () => {
    expect(requests).toEqual([`file://${join(OUT, 'run.html')}`]);
  });

  test('a failing run: the jump button seeks to the failing step and marks it', async () => {
    writeViewer('abba-deadlock', 0n, 'deadlock.html');
    const p = await browser.newPage();
    await p.goto(`file://${join(OUT, 'deadlock.html')}`);
    expect(await p.isVisible('#failure-here')).toBe(false);
    await p.click('#jump');
    expect(await p.inputValue('#slider')).toBe('5');
    expect(await p.isVisible('#failure-here')).toBe(true);
    expect(await p.textContent('#jump')).toBe('jump to failure: liveness.deadlock (step 6)');
    await p.close();
  });
});
