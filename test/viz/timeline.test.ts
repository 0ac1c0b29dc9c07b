// The viewer's timeline in a real headless Chromium (Debian's): axes in steps and virtual time, the
// hover card with the step's message and effects, zoom and pan, lanes grouped (tasks first, then
// objects by kind) and collapsible, the preemptions of a shrunk run, the failure on its lane, and the
// steps `inevitable` finds; a click seeks; zero network requests; screenshots under test-output/.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TraceLine } from '../../src/engine/trace.ts';
import type { Failure } from '../../src/engine/types.ts';
import { choicePointsOf, preemptionSteps } from '../../src/explore/choice_points.ts';
import { type InevitableMarks, inevitable, marksOf } from '../../src/explore/inevitable.ts';
import { runScenario } from '../../src/explore/run.ts';
import { shrink } from '../../src/explore/shrink.ts';
import { findScenario } from '../../src/sim/scenarios/index.ts';
import { renderViewer } from '../../src/viz/viewer.ts';
import { browserMissing, launchBrowser } from './browser.ts';

const OUT = join(import.meta.dirname, '../../test-output/timeline');

interface Mark {
  kind: string;
  step: number;
  lane: string | null;
  x: number;
  y: number;
}
interface Row {
  kind: 'group' | 'lane';
  id: string;
  group: string;
  collapsed: boolean;
  y: number;
}
/** The timeline handle the page keeps as ttmTimeline.current (src/viz/timeline-client.js). */
interface Timeline {
  view(): { start: number; end: number };
  setView(start: number, end: number): void;
  rows(): Row[];
  marks(): Mark[];
  ticks(): { step: number; t: number; x: number }[];
  xOf(k: number): number;
  stepAtX(x: number): number;
  toggleGroup(name: string, collapsed?: boolean): void;
}
type Globals = { ttmTimeline: { current: Timeline }; viewer: { ready: Promise<void> } };

/** Call a method of the page's timeline handle. */
function tl<R>(page: Page, fn: (t: Timeline) => R): Promise<R> {
  return page.evaluate(
    (src) =>
      new Function('t', `return (${src})(t);`)((globalThis as unknown as Globals).ttmTimeline.current) as R,
    fn.toString(),
  );
}

function write(
  file: string,
  lines: TraceLine[],
  r: { token: string; traceSha256: string; outcome: string; failure: Failure | null },
  extra: { failureStep: number | null; preemptions: number[]; inevitable?: InevitableMarks },
): void {
  const html = renderViewer({
    title: file,
    token: r.token,
    traceSha256: r.traceSha256,
    outcome: r.outcome,
    failure: r.failure,
    lines,
    ...extra,
  });
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, file), html);
}

/** `a9` before `a10`: runs of digits compared as numbers. */
function numericOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

const parse = (trace: readonly string[] | null) => (trace ?? []).map((l) => JSON.parse(l) as TraceLine);

describe.skipIf(browserMissing !== null)('timeline in Chromium', () => {
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  let lines: TraceLine[];
  let abbaPreemptions: number[];

  beforeAll(async () => {
    // pool-restore-stale-state on memory-pressure seed 129: tt.restore.post on tt:1 at step 165.
    const memory = findScenario('memory-pressure')!;
    const opts = { seed: 129n, mutations: ['pool-restore-stale-state'] };
    const r = runScenario(memory, { ...opts, keepTrace: true });
    lines = parse(r.trace);
    const ine = inevitable({ scenario: memory, options: opts, tails: 20 });
    if (!ine.ok) throw new Error(ine.reason);
    write('stale.html', lines, r, {
      failureStep: 165,
      preemptions: preemptionSteps(choicePointsOf(memory, opts).points),
      inevitable: marksOf(ine.result),
    });
    // The shrunk abba-deadlock run: two preemptions, the deadlock found after its last line.
    const abba = findScenario('abba-deadlock')!;
    const s = shrink({ scenario: abba, options: { seed: 0n } });
    abbaPreemptions = [...s.preemptionSteps];
    const sr = runScenario(abba, {
      seed: 0n,
      strategy: 'fifo',
      tape: s.run.sim.scheduler.tape,
      keepTrace: true,
    });
    write('abba-shrunk.html', parse(sr.trace), sr, { failureStep: 5, preemptions: abbaPreemptions });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('request', (q) => requests.push(q.url()));
    await page.goto(`file://${join(OUT, 'stale.html')}`);
    await page.evaluate(() => (globalThis as unknown as Globals).viewer.ready);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  /** Page coordinates of a point given in px from the canvas's top-left corner. */
  async function at(x: number, y: number): Promise<{ x: number; y: number }> {
    const box = (await page.locator('.tl-canvas').boundingBox())!;
    return { x: box.x + x, y: box.y + y };
  }

  test('lanes are grouped: tasks first, then objects by kind, ids in numeric order', async () => {
    const rows = await tl(page, (t) => t.rows());
    const groups = rows.filter((r) => r.kind === 'group').map((r) => r.id);
    expect(groups[0]).toBe('tasks');
    expect(groups.slice(1)).toEqual([...groups.slice(1)].sort());
    const tasks = rows.filter((r) => r.kind === 'lane' && r.group === 'tasks').map((r) => r.id);
    expect(tasks.every((a) => a.startsWith('task:'))).toBe(true);
    expect(tasks).toContain('task:kswapd');
    const bos = rows.filter((r) => r.kind === 'lane' && r.group === 'ttm_bo').map((r) => r.id);
    expect(bos).toEqual(['bo:0', 'bo:1', 'bo:2', 'bo:3', 'bo:4', 'bo:5', 'bo:6', 'bo:7', 'bo:8', 'bo:9']);
    // Ids compare with their numbers as numbers: device:0/man2 before device:0/man10 would hold too.
    for (const g of groups) {
      const ids = rows.filter((r) => r.kind === 'lane' && r.group === g).map((r) => r.id);
      expect(ids).toEqual([...ids].sort(numericOrder));
    }
    // Every actor of the trace has exactly one lane; the labels list the rows in order.
    const actors = new Set(lines.flatMap((l) => [l.actor, ...(l.effects ?? []).map((e) => e.actor)]));
    const lanes = rows.filter((r) => r.kind === 'lane').map((r) => r.id);
    expect(new Set(lanes).size).toBe(lanes.length);
    for (const a of actors) expect(lanes).toContain(a);
    const labels = await page.$$eval('.tl-labels > div', (ds) =>
      ds.map((d) => (d as unknown as { title: string }).title),
    );
    expect(labels).toEqual(rows.map((r) => r.id));
  });

  test('the failure is marked on its lane (tt:1) at step 165; the inevitable steps at 64', async () => {
    await tl(page, (t) => t.setView(0, 1e9));
    const marks = await tl(page, (t) => t.marks());
    expect(marks.filter((m) => m.kind === 'failure').map((m) => [m.step, m.lane])).toEqual([[165, 'tt:1']]);
    expect(marks.filter((m) => m.kind === 'avoidable').map((m) => m.step)).toEqual([64]);
    expect(marks.filter((m) => m.kind === 'certain').map((m) => m.step)).toEqual([64]);
    const rows = await tl(page, (t) => t.rows());
    const tt1 = rows.find((r) => r.id === 'tt:1')!;
    const f = marks.find((m) => m.kind === 'failure')!;
    expect(f.y).toBe(tt1.y + 7);
  });

  test('the axis: ticks in steps with their virtual time from the trace; more ticks when zoomed in', async () => {
    await tl(page, (t) => t.setView(0, 1e9));
    const all = await tl(page, (t) => t.ticks());
    expect(all.length).toBeGreaterThanOrEqual(5);
    for (const k of all) expect(k.t).toBe(lines[k.step]!.t);
    const every = all[1]!.step - all[0]!.step;
    expect(all.map((k) => k.step % every)).toEqual(all.map(() => 0));
    await tl(page, (t) => t.setView(100, 140));
    const zoomed = await tl(page, (t) => t.ticks());
    expect(zoomed[1]!.step - zoomed[0]!.step).toBeLessThan(every);
    expect(zoomed[0]!.step).toBeGreaterThanOrEqual(100);
    for (const k of zoomed) expect(k.t).toBe(lines[k.step]!.t);
  });

  test('hovering a step shows its message and its effects as the trace says', async () => {
    await tl(page, (t) => t.setView(40, 80));
    const x = await tl(page, (t) => t.xOf(63) + 2);
    const p = await at(x, 30);
    await page.mouse.move(p.x, p.y);
    expect(await page.isVisible('.tl-tip')).toBe(true);
    const l = lines[63]!;
    const text = (await page.textContent('.tl-tip'))!.split('\n');
    expect(text[0]).toBe(`step 63 · t = ${l.t} ms`);
    expect(text[1]).toBe(`${l.actor} ← ${l.src}: ${l.event} (sent at step ${l.sent})`);
    expect(text[2]).toBe(`  ${l.from} → ${l.to}`);
    const effects = (l.effects ?? []).map(
      (e) => `  ${e.actor}  ${e.event}  ${e.from} → ${e.to}${e.data ? ` ${JSON.stringify(e.data)}` : ''}`,
    );
    expect(effects.length).toBeGreaterThan(0);
    expect(text.slice(text.indexOf('effects:') + 1, text.indexOf('effects:') + 1 + effects.length)).toEqual(
      effects.slice(0, 12),
    );
    // The step marked as the last avoidable one says so.
    const x64 = await tl(page, (t) => t.xOf(64) + 2);
    const q = await at(x64, 30);
    await page.mouse.move(q.x, q.y);
    expect(await page.textContent('.tl-tip')).toContain('last step at which the failure was avoidable');
    await page.mouse.move(0, 0);
    expect(await page.isVisible('.tl-tip')).toBe(false);
  });

  test('the wheel zooms around the pointer; dragging pans; "all" shows every step', async () => {
    await tl(page, (t) => t.setView(0, 1e9));
    expect(await tl(page, (t) => t.view())).toEqual({ start: 0, end: 166 });
    const x = await tl(page, (t) => t.xOf(83));
    const p = await at(x, 40);
    await page.mouse.move(p.x, p.y);
    await page.mouse.wheel(0, -100);
    const v = await tl(page, (t) => t.view());
    expect(v.end - v.start).toBeCloseTo(166 * 0.8, 9);
    expect(await tl(page, (t) => t.stepAtX(t.xOf(83) + 0.01))).toBe(83);
    expect(v.start).toBeCloseTo(83 - 0.5 * 166 * 0.8, 1);
    await page.mouse.wheel(0, -100);
    const v2 = await tl(page, (t) => t.view());
    expect(v2.end - v2.start).toBeCloseTo(166 * 0.64, 9);
    // Drag 200 px to the left: the view moves right by 200 px worth of steps.
    const width = (await page.locator('.tl-canvas').boundingBox())!.width;
    await page.mouse.down();
    await page.mouse.move(p.x - 200, p.y, { steps: 5 });
    await page.mouse.up();
    const v3 = await tl(page, (t) => t.view());
    expect(v3.start - v2.start).toBeCloseTo((200 / width) * (v2.end - v2.start), 2);
    expect(v3.end - v3.start).toBeCloseTo(v2.end - v2.start, 9);
    // A drag is not a click: the slider did not move.
    expect(await page.inputValue('#slider')).toBe('0');
    await page.click('.tl-bar button[title="show every step"]');
    expect(await tl(page, (t) => t.view())).toEqual({ start: 0, end: 166 });
    await page.click('.tl-bar button[title="zoom in"]');
    const v4 = await tl(page, (t) => t.view());
    expect(v4.end - v4.start).toBeCloseTo(166 / 1.5, 9);
    mkdirSync(OUT, { recursive: true });
    await page.locator('#tl').screenshot({ path: join(OUT, 'timeline-zoomed.png') });
  });

  test('a click on the plot seeks to that step', async () => {
    await tl(page, (t) => t.setView(0, 1e9));
    const x = await tl(page, (t) => t.xOf(120) + 1);
    const p = await at(x, 30);
    await page.mouse.click(p.x, p.y);
    expect(await page.inputValue('#slider')).toBe('120');
    expect(await page.textContent('#msg')).toBe(lines[120]!.event);
  });

  test('a group collapses to one row that carries its lanes’ marks, and opens again', async () => {
    await tl(page, (t) => t.setView(0, 1e9));
    const before = await tl(page, (t) => t.rows());
    const tts = before.filter((r) => r.group === 'ttm_tt' && r.kind === 'lane').length;
    expect(tts).toBeGreaterThan(1);
    await page.click('.tl-group[data-group="ttm_tt"]');
    const after = await tl(page, (t) => t.rows());
    expect(after).toHaveLength(before.length - tts);
    expect(after.find((r) => r.id === 'ttm_tt')?.collapsed).toBe(true);
    expect(await page.textContent('.tl-group[data-group="ttm_tt"]')).toBe(`▸ ttm_tt (${tts})`);
    const f = (await tl(page, (t) => t.marks())).find((m) => m.kind === 'failure')!;
    expect(f.lane).toBe('ttm_tt');
    expect(f.y).toBe(after.find((r) => r.id === 'ttm_tt')!.y + 7);
    await page.click('.tl-group[data-group="ttm_tt"]');
    expect(await tl(page, (t) => t.rows())).toEqual(before);
    await page.screenshot({ path: join(OUT, 'viewer-timeline.png'), fullPage: true });
  });

  test('a shrunk run: its preemptions are marked on the lanes of the actors switched to', async () => {
    expect(abbaPreemptions).toEqual([1, 3]);
    const p = await browser.newPage({ viewport: { width: 1200, height: 700 } });
    p.on('request', (q) => requests.push(q.url()));
    await p.goto(`file://${join(OUT, 'abba-shrunk.html')}`);
    const marks = () =>
      p.evaluate(() =>
        (globalThis as unknown as Globals).ttmTimeline.current.marks().map((m) => [m.kind, m.step, m.lane]),
      );
    expect(await marks()).toEqual([
      ['preemption', 1, 'task:ba'],
      ['preemption', 3, 'task:ab'],
      ['failure', 5, 'task:ab'],
    ]);
    expect(await p.textContent('.tl-bar label')).toBe(' preemptions (2)');
    await p.locator('#tl').screenshot({ path: join(OUT, 'abba-shrunk.png') });
    await p.uncheck('.tl-show-preemptions');
    expect(await marks()).toEqual([['failure', 5, 'task:ab']]);
    await p.close();
  });

  test('a group of more than 40 lanes starts folded (41 resources) while one of 40 (tasks) does not', async () => {
    const many: TraceLine[] = Array.from({ length: 40 }, (_, k) => ({
      step: k,
      t: k,
      actor: `task:t${k}`,
      event: 'task.run',
      src: 'engine',
      from: 'ready',
      to: 'runnable',
      sent: -1,
      effects:
        k === 0
          ? Array.from({ length: 41 }, (_, i) => ({
              actor: `res:${i}`,
              event: 'res.alloc',
              from: '',
              to: 'live',
            }))
          : [],
    }));
    write(
      'many.html',
      many,
      { token: 'T', traceSha256: 'S', outcome: 'pass', failure: null },
      {
        failureStep: null,
        preemptions: [],
      },
    );
    const p = await browser.newPage({ viewport: { width: 1200, height: 700 } });
    p.on('request', (q) => requests.push(q.url()));
    await p.goto(`file://${join(OUT, 'many.html')}`);
    const rows = () =>
      p.evaluate(() =>
        (globalThis as unknown as Globals).ttmTimeline.current.rows().map((r) => [r.kind, r.id, r.collapsed]),
      );
    const folded = await rows();
    expect(folded).toHaveLength(1 + 40 + 1);
    expect(folded[0]).toEqual(['group', 'tasks', false]);
    expect(folded[1]).toEqual(['lane', 'task:t0', false]);
    expect(folded[40]).toEqual(['lane', 'task:t39', false]);
    expect(folded[41]).toEqual(['group', 'ttm_resource', true]);
    expect(await p.textContent('.tl-group[data-group="ttm_resource"]')).toBe('▸ ttm_resource (41)');
    await p.click('.tl-group[data-group="ttm_resource"]');
    const open = await rows();
    expect(open).toHaveLength(1 + 40 + 1 + 41);
    expect(open.slice(42).map((r) => r[1])).toEqual(Array.from({ length: 41 }, (_, i) => `res:${i}`));
    await p.close();
  });

  test('the pages made no network request (only their own files)', () => {
    expect([...new Set(requests)].sort()).toEqual([
      `file://${join(OUT, 'abba-shrunk.html')}`,
      `file://${join(OUT, 'many.html')}`,
      `file://${join(OUT, 'stale.html')}`,
    ]);
  });
});
