// The page both viewer benchmarks open: a vram-pressure run of more than 10,000 steps (8 clients, 4 BOs
// each, 23 frames, 512 KiB of VRAM, seed 1) rendered by `ttm-sim view`'s renderer into a file, and
// Debian's headless Chromium to open it in.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import type { TraceLine } from '../src/engine/trace.ts';
import { runScenario } from '../src/explore/run.ts';
import { vramPressure } from '../src/sim/scenarios/vram_pressure.ts';
import { type RunStates, StateRecorder } from '../src/viz/run_states.ts';
import { renderViewer } from '../src/viz/viewer.ts';

export interface BenchPage {
  readonly lines: readonly TraceLine[];
  /** The recorded states, when asked for. */
  readonly states: RunStates | undefined;
  readonly html: string;
  /** The HTML file, in a new temporary directory. */
  readonly file: string;
}

/** Run the benchmark's scenario (recording the model's state at every step when `recordStates`) and write its viewer. */
export function writeBenchViewer(recordStates: boolean, dirPrefix: string): BenchPage {
  const scenario = vramPressure(
    { clients: 8, bosPerClient: 4, frames: 23, vramKiB: 512 },
    'vram-pressure-bench',
  );
  const recorder = recordStates ? new StateRecorder() : null;
  const r = runScenario(scenario, {
    seed: 1n,
    keepTrace: true,
    ...(recorder === null ? {} : { onStep: recorder.onStep }),
  });
  const lines = (r.trace ?? []).map((l) => JSON.parse(l) as TraceLine);
  const states = recorder?.result(lines.length);
  const html = renderViewer({
    title: 'bench',
    token: r.token,
    traceSha256: r.traceSha256,
    outcome: r.outcome,
    failure: r.failure,
    failureStep: r.failureStep,
    lines,
    ...(states === undefined ? {} : { states }),
  });
  const file = join(mkdtempSync(join(tmpdir(), dirPrefix)), 'run.html');
  writeFileSync(file, html);
  return { lines, states, html, file };
}

/** Debian's Chromium, headless, with no network of its own. */
export function launchBenchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
