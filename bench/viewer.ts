// Viewer seek time on a run of more than 10,000 steps, in headless Chromium (Debian's).
// Builds the run, writes the viewer, opens it from file://, then seeks 300 seeded random steps and
// reports how long a seek takes (state reconstruction from the nearest snapshot, the step panel, the
// chart highlight and the timeline cursor). Target: every seek ≤ 50 ms.
//
// Usage: npm run bench:viewer

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { tuneHeap } from '../src/engine/heap_tuning.ts';
import type { TraceLine } from '../src/engine/trace.ts';
import { runScenario } from '../src/sim/run.ts';
import { vramPressure } from '../src/sim/scenarios/vram_pressure.ts';
import { renderViewer } from '../src/viz/viewer.ts';

// The settings the ttm-sim command runs with (src/engine/heap_tuning.ts).
tuneHeap();

const scenario = vramPressure(
  { clients: 8, bosPerClient: 4, frames: 23, vramKiB: 512 },
  'vram-pressure-bench',
);
const r = runScenario(scenario, { seed: 1n, keepTrace: true });
const lines = (r.trace ?? []).map((l) => JSON.parse(l) as TraceLine);
const html = renderViewer({
  title: 'bench',
  token: r.token,
  traceSha256: r.traceSha256,
  outcome: r.outcome,
  failure: r.failure,
  lines,
});
const file = join(mkdtempSync(join(tmpdir(), 'ttm-sim-viewer-')), 'run.html');
writeFileSync(file, html);

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
const t0 = process.hrtime.bigint();
await page.goto(`file://${file}`);
await page.evaluate(() => (globalThis as unknown as { viewer: { ready: Promise<void> } }).viewer.ready);
const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
const times = await page.evaluate((steps) => {
  const g = globalThis as unknown as { viewer: { seek(k: number): void }; performance: { now(): number } };
  let x = 12345;
  const out: number[] = [];
  for (let i = 0; i < 300; i += 1) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const k = x % steps;
    const a = g.performance.now();
    g.viewer.seek(k);
    out.push(g.performance.now() - a);
  }
  return out;
}, lines.length);
await browser.close();

times.sort((a, b) => a - b);
const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
const rows = [
  ['run', `${lines.length} steps, ${(html.length / 1048576).toFixed(1)} MiB of HTML`],
  ['open + render charts', `${loadMs.toFixed(0)} ms`],
  [
    'seek (300 random steps)',
    `median ${q(0.5).toFixed(2)} ms, p95 ${q(0.95).toFixed(2)} ms, max ${times.at(-1)!.toFixed(2)} ms`,
  ],
  ['target', `max <= 50 ms: ${times.at(-1)! <= 50 ? 'met' : 'NOT met'}`],
];
for (const [k, v] of rows) process.stdout.write(`${k!.padEnd(24)}  ${v}\n`);
