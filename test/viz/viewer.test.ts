// The offline viewer in a real headless Chromium (Debian's): opened from file:// with zero network
// requests; moving the slider, the arrow keys and the failure jump change the shown message and the
// highlighted leaf states exactly as the trace says; the failure is marked on the step it belongs to for
// every kind of failure; the state panel shows the values the trace says, highlights what a step
// changed, diffs against another step, filters, and jumps to the step that last wrote a value and to the
// writer before it. Screenshots are saved under test-output/viewer/.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TraceLine } from '../../src/engine/trace.ts';
import { type RunOptions, runScenario } from '../../src/explore/run.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';
import { type RunStates, StateRecorder } from '../../src/viz/run_states.ts';
import { renderViewer } from '../../src/viz/viewer.ts';
import { browserMissing, launchBrowser } from './browser.ts';

const OUT = join(import.meta.dirname, '../../test-output/viewer');

/** The little of the DOM these page functions touch (the project compiles without the DOM lib). */
interface El {
  value: string;
  id: string;
  className: string;
  dataset: Record<string, string>;
  textContent: string | null;
  querySelector(s: string): El | null;
  dispatchEvent(event: unknown): boolean;
}
interface PageGlobals {
  document: {
    getElementById(id: string): El;
    querySelectorAll(selector: string): ArrayLike<El>;
  };
  Event: new (type: string) => unknown;
  viewer: { seek(k: number): void; ready: Promise<void> };
}

interface Written {
  readonly lines: TraceLine[];
  readonly states: RunStates;
  readonly file: string;
}

function writeViewer(scenario: string, opts: RunOptions, file: string): Written {
  const recorder = new StateRecorder();
  const r = runScenario(findScenario(scenario)!, { ...opts, keepTrace: true, onStep: recorder.onStep });
  const lines = (r.trace ?? []).map((l) => JSON.parse(l) as TraceLine);
  const states = recorder.result(lines.length);
  const html = renderViewer({
    title: `${scenario} ${opts.seed}`,
    token: r.token,
    traceSha256: r.traceSha256,
    outcome: r.outcome,
    failure: r.failure,
    failureStep: r.failureStep,
    lines,
    states,
  });
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, file), html);
  return { lines, states, file: join(OUT, file) };
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

function seek(page: Page, k: number): Promise<void> {
  return page.evaluate((v) => (globalThis as unknown as PageGlobals).viewer.seek(v), k);
}

interface PanelRow {
  object?: string;
  field?: string;
  value?: string | null;
  changed?: boolean;
  differs?: boolean;
}

/**
 * The state panel's rows, all of them (the DOM holds only those scrolled into view): object → field →
 * value, and which are marked changed / differing.
 */
async function panel(
  page: Page,
): Promise<{ values: Record<string, Record<string, string>>; changed: string[]; differs: string[] }> {
  const rows = await page.evaluate(() =>
    (globalThis as unknown as { statePanel: { rows(): PanelRow[] } }).statePanel.rows(),
  );
  const values: Record<string, Record<string, string>> = {};
  const changed: string[] = [];
  const differs: string[] = [];
  let object = '';
  for (const r of rows) {
    if (r.object !== undefined) {
      object = r.object;
      continue;
    }
    values[object] ??= {};
    values[object]![r.field!] = r.value ?? 'gone';
    if (r.changed) changed.push(`${object} ${r.field}`);
    if (r.differs) differs.push(`${object} ${r.field}`);
  }
  return { values, changed: changed.sort(), differs: differs.sort() };
}

/** The rows the DOM holds, as `object` headings and `field=value` lines, in order. */
function domRows(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const { document } = globalThis as unknown as PageGlobals;
    return Array.from(document.querySelectorAll('#sp-rows tr'))
      .filter((r) => r.className !== 'spacer')
      .map((r) =>
        r.className === 'obj'
          ? (r.dataset.object ?? '')
          : `${r.querySelector('td')?.textContent}=${r.querySelector('td.now')?.textContent}`,
      );
  });
}

/** Every actor's state after line k, folded from the trace alone (the stepping actor's and the effects'). */
function traceStates(lines: readonly TraceLine[], k: number): Map<string, string> {
  const states = new Map<string, string>();
  for (let i = 0; i <= k; i += 1) {
    const l = lines[i]!;
    states.set(l.actor, l.to);
    for (const e of l.effects ?? []) states.set(e.actor, e.to);
  }
  return states;
}

/** The region `region` of a BO's state string ("lifecycle.x placement.placed.vram pin.y" → "placed.vram"). */
function region(state: string, name: string): string {
  const r = state.split(' ').find((s) => s.startsWith(`${name}.`));
  return r === undefined ? '' : r.slice(name.length + 1);
}

/** Keys (`object field`) a step changed, from the recorded states (what the panel must mark). */
function changedAt(st: RunStates, k: number): string[] {
  const out: string[] = [];
  const pairs = st.steps[k]!;
  for (let i = 0; i < pairs.length; i += 2) {
    if (pairs[i + 1]! < 0) continue;
    const [o, f] = st.keys[pairs[i]!]!;
    out.push(`${st.objects[o]![0]} ${f}`);
  }
  return out.sort();
}

describe.skipIf(browserMissing !== null)('viewer in Chromium', () => {
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  let run: Written;

  beforeAll(async () => {
    run = writeViewer('vram-pressure', { seed: 1n }, 'run.html');
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${run.file}`);
    await page.evaluate(() => (globalThis as unknown as PageGlobals).viewer.ready);
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
      const line = run.lines[k]!;
      expect(await page.textContent('#msg')).toBe(line.event);
      expect(await page.textContent('#chart-title')).toBe(`${line.actor}: task`);
      expect(await activeNodes(page)).toEqual([`task_${line.to}`]);
    }
  });

  test('→ steps forward one step and ← back', async () => {
    await seek(page, 60);
    await page.keyboard.press('ArrowRight');
    expect(await page.inputValue('#slider')).toBe('61');
    expect(await page.textContent('#msg')).toBe(run.lines[61]!.event);
    await page.keyboard.press('ArrowLeft');
    expect(await page.inputValue('#slider')).toBe('60');
  });

  test('showing a BO highlights its active leaf state in each region of its parallel chart, nothing around them', async () => {
    await page.selectOption('#actor', 'bo:9');
    await page.check('#pin');
    await seek(page, 50);
    expect(await page.textContent('#chart-title')).toBe('bo:9: ttm_bo');
    // After step 50 bo:9 is initialized (step 8), placed in VRAM (step 47), unpinned (effects of steps ≤ 50).
    expect(await activeNodes(page)).toEqual([
      'ttm_bo_lifecycle_initialized',
      'ttm_bo_pin_unpinned',
      'ttm_bo_placement_placed_vram',
    ]);
    // The regions' clusters are not painted: every shape in the highlight colour is inside one of the
    // three active leaves.
    const painted = await page.evaluate(() => {
      const g = globalThis as unknown as {
        document: { querySelectorAll(s: string): ArrayLike<{ closest(s: string): { id: string } | null }> };
        getComputedStyle(e: unknown): { fill: string };
      };
      return Array.from(g.document.querySelectorAll('#chart rect, #chart path'))
        .filter((e) => g.getComputedStyle(e).fill === 'rgb(255, 153, 102)')
        .map((e) => /-state-(.+)-\d+$/.exec(e.closest('g[id]')?.id ?? '')?.[1] ?? '');
    });
    expect([...new Set(painted)].sort()).toEqual([
      'ttm_bo_lifecycle_initialized',
      'ttm_bo_pin_unpinned',
      'ttm_bo_placement_placed_vram',
    ]);
    await page.screenshot({ path: join(OUT, 'viewer.png') });
    await page.uncheck('#pin');
  });

  test('the state panel shows the values the trace says at steps 20, 150 and 400', async () => {
    for (const k of [20, 150, 400]) {
      await seek(page, k);
      const { values } = await panel(page);
      const fromTrace = traceStates(run.lines, k);
      let bos = 0;
      for (const [actor, state] of fromTrace) {
        if (/^bo:\d+$/.test(actor) && values[actor] !== undefined) {
          bos += 1;
          expect(values[actor]!.placement, `${actor} at ${k}`).toBe(region(state, 'placement'));
          expect(values[actor]!.lifecycle, `${actor} at ${k}`).toBe(region(state, 'lifecycle'));
          expect(values[actor]!.pin, `${actor} at ${k}`).toBe(region(state, 'pin'));
        }
        if (actor.startsWith('task:'))
          expect(values[actor]!.state!.split(' ')[0], `${actor} at ${k}`).toBe(state);
      }
      expect(bos).toBeGreaterThan(0);
      // A manager's usage is the one its last man.usage edge reported.
      for (const man of ['device:0/man1', 'device:0/man2']) {
        let usage: unknown;
        for (let i = 0; i <= k; i += 1)
          for (const e of run.lines[i]!.effects ?? [])
            if (e.actor === man && e.event === 'man.usage') usage = e.data?.usage;
        if (usage !== undefined)
          expect(values[man]!.usage!.split(' ')[0], `${man} at ${k}`).toBe(String(usage));
      }
    }
    await seek(page, 150);
    expect(await page.textContent('#state')).toContain('State after this step');
  });

  test('the values a step changed are highlighted; a diff against another step marks every value that differs', async () => {
    // The first step from 150 on that changed some value.
    let k = 150;
    while (changedAt(run.states, k).length === 0) k += 1;
    await seek(page, k);
    const { changed } = await panel(page);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed).toEqual(changedAt(run.states, k));
    await page.fill('#sp-diff', '100');
    const diff = await panel(page);
    // Every BO alive at both steps in the trace whose placement differs between them is marked on that
    // row, and no other BO alive at both.
    const s100 = traceStates(run.lines, 100);
    const sk = traceStates(run.lines, k);
    const both = [...sk.keys()].filter(
      (a) =>
        /^bo:\d+$/.test(a) &&
        s100.has(a) &&
        region(s100.get(a)!, 'lifecycle') !== 'destroyed' &&
        region(sk.get(a)!, 'lifecycle') !== 'destroyed',
    );
    const moved = both
      .filter((a) => region(s100.get(a)!, 'placement') !== region(sk.get(a)!, 'placement'))
      .map((a) => `${a} placement`)
      .sort();
    expect(moved.length).toBeGreaterThan(0);
    expect(diff.differs.filter((d) => d.endsWith(' placement') && both.includes(d.split(' ')[0]!))).toEqual(
      moved,
    );
    await page.fill('#sp-diff', '');
  });

  test('the DOM holds the rows in view: the first ones, then the last ones once scrolled to the bottom', async () => {
    await seek(page, 400);
    const all = await page.evaluate(() =>
      (globalThis as unknown as { statePanel: { rows(): PanelRow[] } }).statePanel.rows(),
    );
    const text = all.map((r) => (r.object !== undefined ? r.object : `${r.field}=${r.value ?? 'gone'}`));
    expect(all.length).toBeGreaterThan(80);
    const top = await domRows(page);
    expect(top).toEqual(text.slice(0, top.length));
    await page.evaluate(() => {
      const { document, Event } = globalThis as unknown as PageGlobals;
      const box = document.getElementById('sp-scroll') as unknown as {
        scrollTop: number;
        scrollHeight: number;
      };
      box.scrollTop = box.scrollHeight;
      (box as unknown as El).dispatchEvent(new Event('scroll'));
    });
    const bottom = await domRows(page);
    expect(bottom).toEqual(text.slice(text.length - bottom.length));
    expect(bottom.at(-1)).toBe(text.at(-1));
    await page.evaluate(() => {
      const { document, Event } = globalThis as unknown as PageGlobals;
      const box = document.getElementById('sp-scroll') as unknown as { scrollTop: number };
      box.scrollTop = 0;
      (box as unknown as El).dispatchEvent(new Event('scroll'));
    });
  });

  test('the filters keep one object, or one kind', async () => {
    await seek(page, 150);
    await page.fill('#sp-filter', 'bo:9');
    expect(Object.keys((await panel(page)).values)).toEqual(['bo:9']);
    await page.fill('#sp-filter', '');
    await page.selectOption('#sp-kind', 'task');
    const tasks = Object.keys((await panel(page)).values);
    expect(tasks.length).toBeGreaterThan(1);
    expect(tasks.every((t) => t.startsWith('task:'))).toBe(true);
    await page.selectOption('#sp-kind', '');
  });

  test('"last written" jumps to the step that last changed the value, then to the writer before it', async () => {
    // From the trace: the lines after which a BO's placement region differs from before them, up to
    // line 400; the first BO alive at 400 with three such lines is the one looked at.
    const writesOf = new Map<string, number[]>();
    const before = new Map<string, string>();
    for (let i = 0; i <= 400; i += 1) {
      const after = traceStates(run.lines, i);
      for (const [actor, state] of after) {
        if (!/^bo:\d+$/.test(actor)) continue;
        const placement = region(state, 'placement');
        if (placement === (before.get(actor) ?? '')) continue;
        before.set(actor, placement);
        writesOf.set(actor, [...(writesOf.get(actor) ?? []), i]);
      }
    }
    const alive = traceStates(run.lines, 400);
    const [bo, writes] = [...writesOf].find(
      ([b, w]) => w.length >= 3 && region(alive.get(b)!, 'lifecycle') !== 'destroyed',
    )!;
    await seek(page, 400);
    await page.fill('#sp-filter', bo);
    await page.selectOption('#sp-kind', 'bo');
    await page.click('#sp-rows tr.val:has(td:text-is("placement"))');
    const buttons = page.locator('#sp-writer button');
    expect(await buttons.count()).toBe(2);
    await buttons.nth(0).click();
    expect(Number(await page.inputValue('#slider'))).toBe(writes.at(-1));
    // At that step the same value's writers are itself and the one before.
    await page.locator('#sp-writer button').nth(1).click();
    expect(Number(await page.inputValue('#slider'))).toBe(writes.at(-2));
    await page.screenshot({ path: join(OUT, 'state-panel.png') });
    await page.fill('#sp-filter', '');
    await page.selectOption('#sp-kind', '');
  });

  test("\"this step's objects\" keeps the objects the step's actor and effects name (a resv's BO; a freed resource's or tt's BO)", async () => {
    const w = writeViewer(
      'upload-race',
      { seed: 1n, mutations: ['pool-alloc-error-no-unmap'] },
      'step-objects.html',
    );
    const line = w.lines[16]!;
    // Line 16: task:uploader1 destroys bo:3 (its resv, tt:3, res:3) and creates bo:4; the IOMMU and
    // device:0/man0 change too. bo:3 is gone after the step, so it has no rows.
    expect([line.actor, ...new Set((line.effects ?? []).map((e) => e.actor))]).toEqual([
      'task:uploader1',
      'iommu:device:0',
      'bo:3/resv',
      'tt:3',
      'res:3',
      'device:0/man0',
      'bo:3',
      'bo:4/resv',
      'bo:4',
    ]);
    const p = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await p.goto(`file://${w.file}`);
    await p.evaluate(() => (globalThis as unknown as PageGlobals).viewer.ready);
    await seek(p, 16);
    await p.check('#sp-step-objects');
    expect(Object.keys((await panel(p)).values)).toEqual([
      'task:uploader1',
      'bo:4',
      'device:0/man0',
      'iommu:device:0',
    ]);
    // With a diff against step 15, bo:3 (there before the step) is listed with its values then.
    await p.fill('#sp-diff', '15');
    expect(Object.keys((await panel(p)).values)).toEqual([
      'task:uploader1',
      'bo:3',
      'bo:4',
      'device:0/man0',
      'iommu:device:0',
    ]);
    await p.close();
  });

  test('the page made no network request (only its own file)', () => {
    expect(requests).toEqual([`file://${run.file}`]);
  });

  // The failure is marked on the line it belongs to, for every kind (RunResult.failureStep).
  const FAILURES: readonly {
    name: string;
    scenario: string;
    opts: RunOptions;
    id: string;
    line: number;
    lines: number;
    /** The object the failure names (the panel's filter in the screenshot). */
    actor?: string;
  }[] = [
    {
      // A per-step oracle: failure.step is the index of the step just taken (16).
      name: 'correctness (per-step oracle)',
      scenario: 'upload-race',
      opts: { seed: 1n, mutations: ['pool-alloc-error-no-unmap'] },
      id: 'iommu.mappings',
      line: 16,
      lines: 17,
      actor: 'iommu:device:0',
    },
    {
      // An end-of-run check: failure.step counts the 4 steps taken; the last line is 3.
      name: 'correctness (end of run)',
      scenario: 'calibrate',
      opts: { seed: 13n, mutations: ['calibrator-starvation=3'] },
      id: 'calibrator.starvation',
      line: 3,
      lines: 4,
    },
    {
      name: 'deadlock',
      scenario: 'abba-deadlock',
      opts: { seed: 0n },
      id: 'liveness.deadlock',
      line: 5,
      lines: 6,
    },
    {
      name: 'liveness (livelock at the step budget)',
      scenario: 'swap-race',
      // Per-step checks off: with them, bo.swapout.zombie-cleaned finds this mutation at step 33.
      opts: { seed: 1n, mutations: ['swapout-busy-zombie-progress'], maxSteps: 2000, oracles: false },
      id: 'liveness.livelock',
      line: 1999,
      lines: 2000,
    },
    {
      // The throwing step 87 wrote no line: the mark is on line 86, which says so.
      name: 'crash (exception)',
      scenario: 'move-race',
      opts: {
        seed: 2n,
        strategy: 'pct',
        strategyParams: { depth: 3, k: 1000 },
        mutations: ['access-no-resource-check'],
      },
      id: 'crash.exception',
      line: 86,
      lines: 87,
    },
  ];

  for (const f of FAILURES) {
    test(`${f.name}: the jump button seeks to line ${f.line} and marks it, not the line before`, async () => {
      const w = writeViewer(f.scenario, f.opts, `${f.id}.html`);
      expect(w.lines).toHaveLength(f.lines);
      const p = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
      await p.goto(`file://${w.file}`);
      await p.evaluate(() => (globalThis as unknown as PageGlobals).viewer.ready);
      expect(await p.isVisible('#failure-here')).toBe(false);
      expect(await p.textContent('#jump')).toBe(`jump to failure: ${f.id} (step ${f.line})`);
      await p.click('#jump');
      expect(await p.inputValue('#slider')).toBe(String(f.line));
      expect(await p.isVisible('#failure-here')).toBe(true);
      expect(await p.textContent('#failure-here')).toContain(f.id);
      if (f.id === 'crash.exception')
        expect(await p.textContent('#failure-here')).toContain('was thrown in the next step');
      // The screenshot shows the state panel kept to the object the failure names, when it names one.
      if (f.actor !== undefined) await p.fill('#sp-filter', f.actor);
      await p.screenshot({ path: join(OUT, `failure-${f.id}.png`) });
      await p.fill('#sp-filter', '');
      // Keys typed into the panel's filter stay there: focus the page again to step.
      await p.click('#msg');
      await p.keyboard.press('ArrowLeft');
      expect(await p.isVisible('#failure-here')).toBe(false);
      await p.close();
    }, 60_000);
  }
});
