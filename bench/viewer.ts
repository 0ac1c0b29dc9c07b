// Viewer seek time on a run of more than 10,000 steps, in headless Chromium (Debian's).
// Builds the run with the model's state recorded at every step (src/viz/run_states.ts), writes the
// viewer, opens it from file://, then seeks 300 seeded random steps and reports how long a seek takes
// (state reconstruction from the nearest snapshot, the step panel, the chart highlight, the timeline
// cursor and the state panel with every object of the model, then the page's layout), and how long
// the state panel alone takes to render a step (with the layout). Target: every seek, state panel included, ≤ 50 ms.
//
// Usage: npm run bench:viewer

import { cpus, loadavg } from 'node:os';
import { tuneHeap } from '../src/engine/heap_tuning.ts';
import { launchBenchBrowser, writeBenchViewer } from './viewer_page.ts';

// The settings the ttm-sim command runs with (src/engine/heap_tuning.ts).
tuneHeap();

const { lines, states: recorded, html, file } = writeBenchViewer(true, 'ttm-sim-viewer-');
const states = recorded!;
const statesBytes = JSON.stringify(states).length;
const browser = await launchBenchBrowser();
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
const t0 = process.hrtime.bigint();
await page.goto(`file://${file}`);
await page.evaluate(() => (globalThis as unknown as { viewer: { ready: Promise<void> } }).viewer.ready);
const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
// Two clocks per seek: the page's wall clock, and the CPU time of the renderer's main thread (the
// DevTools Protocol's Performance metrics in thread ticks: TaskDuration), which a machine shared with
// other work does not inflate.
const cdp = await page.context().newCDPSession(page);
await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
const taskSeconds = async (): Promise<number> => {
  const { metrics } = (await cdp.send('Performance.getMetrics')) as {
    metrics: { name: string; value: number }[];
  };
  return metrics.find((m) => m.name === 'TaskDuration')!.value;
};

/** Wall and main-thread CPU times of `what` at 300 seeded random steps (the same steps for both), in ms. */
const measure = async (what: 'seek' | 'panel') => {
  const wall: number[] = [];
  const cpu: number[] = [];
  let rows = 0;
  let x = 12345;
  for (let i = 0; i < 300; i += 1) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const k = x % lines.length;
    const before = await taskSeconds();
    const r = await page.evaluate(
      ([step, w]) => {
        const g = globalThis as unknown as {
          viewer: { seek(k: number): void };
          statePanel: { show(k: number): void };
          document: { querySelectorAll(s: string): { length: number }; body: { offsetHeight: number } };
          performance: { now(): number };
        };
        const a = g.performance.now();
        if (w === 'seek') g.viewer.seek(step);
        else g.statePanel.show(step);
        // Reading a layout value makes the browser lay the changed page out before the clock stops.
        const n = g.document.querySelectorAll('#sp-rows tr').length + g.document.body.offsetHeight * 0;
        return { ms: g.performance.now() - a, rows: n };
      },
      [k, what] as const,
    );
    cpu.push(((await taskSeconds()) - before) * 1000);
    wall.push(r.ms);
    rows = r.rows;
  }
  return { wall, cpu, rows };
};
const seeks = await measure('seek');
const panels = await measure('panel');
await browser.close();

const stats = (t: number[]) => {
  const s = [...t].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return {
    text: `median ${q(0.5).toFixed(2)} ms, p95 ${q(0.95).toFixed(2)} ms, max ${s.at(-1)!.toFixed(2)} ms`,
    max: s.at(-1)!,
  };
};
const seek = stats(seeks.wall);
const seekCpu = stats(seeks.cpu);
const panel = stats(panels.wall);
const panelCpu = stats(panels.cpu);
const rows = [
  ['run', `${lines.length} steps, ${(html.length / 1048576).toFixed(1)} MiB of HTML`],
  [
    'recorded states',
    `${states.objects.length} objects, ${states.keys.length} values, ${(statesBytes / 1048576).toFixed(1)} MiB of them`,
  ],
  ['open + render charts', `${loadMs.toFixed(0)} ms`],
  ['seek (300 random steps)', `wall ${seek.text}`],
  ['', `main-thread CPU ${seekCpu.text}`],
  ['state panel alone', `wall ${panel.text} (${panels.rows} rows in the DOM at the last step)`],
  ['', `main-thread CPU ${panelCpu.text}`],
  [
    'target',
    `every seek, state panel included, <= 50 ms: wall ${seek.max <= 50 ? 'met' : 'NOT met'}, main-thread CPU ${seekCpu.max <= 50 ? 'met' : 'NOT met'}`,
  ],
  ['machine load', `${loadavg()[0]!.toFixed(1)} (1-minute load average) on ${cpus().length} cores`],
];
for (const [k, v] of rows) process.stdout.write(`${k!.padEnd(24)}  ${v}\n`);
