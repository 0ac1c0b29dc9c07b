// Timeline redraw time on a run of more than 10,000 steps, in headless Chromium (Debian's).
// Builds the run bench/viewer.ts builds (vram-pressure with 8 clients), writes the viewer, opens it
// from file://, then times the timeline's redraw (src/viz/timeline-client.js: every step in view, its
// marks, the axes) for the whole run, for 300 seeded 500-step windows (zoomed in), and for every group
// unfolded over the whole run (thousands of lanes), with the page laid out before the clock stops.
//
// Usage: npx tsx bench/timeline.ts

import { tuneHeap } from '../src/engine/heap_tuning.ts';
import { launchBenchBrowser, writeBenchViewer } from './viewer_page.ts';

tuneHeap();

const { lines, file } = writeBenchViewer(false, 'ttm-sim-timeline-');
const browser = await launchBenchBrowser();
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
await page.goto(`file://${file}`);
await page.evaluate(() => (globalThis as unknown as { viewer: { ready: Promise<void> } }).viewer.ready);

interface Handle {
  setView(start: number, end: number): void;
  toggleGroup(name: string, collapsed?: boolean): void;
  rows(): { kind: string; id: string }[];
}
/** Times of one redraw per window (ms), after unfolding every group when `unfold`. */
const measure = (windows: readonly (readonly [number, number])[], unfold: boolean) =>
  page.evaluate(
    ([ws, u]) => {
      const g = globalThis as unknown as {
        ttmTimeline: { current: Handle };
        document: { body: { offsetHeight: number } };
        performance: { now(): number };
      };
      const t = g.ttmTimeline.current;
      if (u) for (const row of t.rows()) if (row.kind === 'group') t.toggleGroup(row.id, false);
      const out: number[] = [];
      for (const [a, b] of ws) {
        const s = g.performance.now();
        t.setView(a, b);
        // Reading a layout value makes the browser lay the page out before the clock stops.
        out.push(g.document.body.offsetHeight * 0 + g.performance.now() - s);
      }
      return { out, rows: t.rows().length };
    },
    [windows, unfold] as const,
  );
let x = 12345;
const zoomed: [number, number][] = [];
for (let i = 0; i < 300; i += 1) {
  x = (Math.imul(x, 1103515245) + 12345) >>> 0;
  const a = x % (lines.length - 500);
  zoomed.push([a, a + 500]);
}
const whole = Array.from({ length: 30 }, (): [number, number] => [0, lines.length]);
const folded = await measure(whole, false);
const windows = await measure(zoomed, false);
const unfolded = await measure(whole.slice(0, 5), true);
await browser.close();

const stats = (t: number[]) => {
  const s = [...t].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `median ${q(0.5).toFixed(1)} ms, p95 ${q(0.95).toFixed(1)} ms, max ${s.at(-1)!.toFixed(1)} ms`;
};
const rows = [
  ['run', `${lines.length} steps`],
  [`whole run (${folded.rows} rows)`, stats(folded.out)],
  ['500-step windows', stats(windows.out)],
  [`unfolded (${unfolded.rows} rows)`, stats(unfolded.out)],
];
for (const [k, v] of rows) process.stdout.write(`${k!.padEnd(26)}  ${v}\n`);
