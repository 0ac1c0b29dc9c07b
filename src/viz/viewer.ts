// The offline run viewer: one self-contained HTML file (Mermaid and the page scripts inlined, the run
// embedded as JSON) that works from file:// with no network request. It shows the statechart of the
// selected actor with its active leaf states highlighted, a timeline of the interleaving with one lane
// per actor, a step slider with keyboard stepping (←/→, PgUp/PgDn, Home/End), the step's message,
// payload and effects, marks the step the failure belongs to with a jump to it, and, beside the chart,
// the state panel: every object of the model at the selected step (src/viz/run_states.ts), its
// values changed by the step highlighted, a diff against another step, filters by object and kind,
// and for any value the step that last wrote it and the writer before that
// (src/viz/state-panel-client.js).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { TraceLine } from '../engine/trace.ts';
import type { Failure } from '../engine/types.ts';
import type { InevitableMarks } from '../explore/inevitable.ts';
import { CHARTS, toMermaid } from './charts.ts';
import type { RunStates } from './run_states.ts';

export interface ViewerInput {
  readonly title: string;
  readonly token: string;
  readonly traceSha256: string;
  readonly outcome: string;
  readonly failure: Failure | null;
  /**
   * The trace line the failure belongs to (RunResult.failureStep; lines.length for a step that threw).
   * Without it no step is marked.
   */
  readonly failureStep?: number | null;
  readonly lines: readonly TraceLine[];
  /** The model's state at every step (a StateRecorder's result); the panel is left out without it. */
  readonly states?: RunStates;
  /** Trace steps at which the run preempted an actor that could have gone on (src/explore/choice_points.ts). */
  readonly preemptions?: readonly number[];
  /** The steps `ttm-sim inevitable` found (src/explore/inevitable.ts), marked on the timeline. */
  readonly inevitable?: InevitableMarks | null;
}

/** Which chart an actor id belongs to (ids are stable systemIds: `bo:3`, `bo:3/resv`, `task:x`, ...). */
export function chartOf(actor: string): string | null {
  if (actor.startsWith('task:')) return 'task';
  if (/^bo:\d+$/.test(actor)) return 'ttm_bo';
  if (actor.endsWith('/resv')) return 'dma_resv';
  if (actor.startsWith('res:')) return 'ttm_resource';
  if (/\/man\d+$/.test(actor)) return 'ttm_resource_manager';
  if (/^device:\d+$/.test(actor)) return 'ttm_device';
  if (actor.startsWith('gpu:')) return 'gpu_ring';
  if (actor.startsWith('tt:')) return 'ttm_tt';
  if (actor === 'pool') return 'ttm_pool';
  if (actor === 'swap') return 'swap';
  if (actor.startsWith('iommu')) return 'iommu';
  if (actor.endsWith('/shrinker')) return 'shrinker';
  return null;
}

/** JavaScript inside <script>: only a closing tag could end it early. */
function inlineScript(code: string): string {
  return code.replace(/<\/script/gi, '<\\/script');
}

/** JSON inside <script type="application/json">: every `<` as \u003c keeps it inert and valid JSON. */
function inlineJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

const STYLE = `
body { font: 13px system-ui, sans-serif; margin: 0; color: #222; }
header { padding: 8px 12px; background: #1f2d3d; color: #fff; }
header code { color: #cfe; font-size: 11px; word-break: break-all; }
main { display: grid; grid-template-columns: minmax(300px, 1fr) 2fr minmax(360px, 1.3fr); gap: 8px; padding: 8px 12px; }
#controls { grid-column: 1 / 4; display: flex; gap: 12px; align-items: center; }
#slider { flex: 1; }
#panel pre { background: #f6f6f6; padding: 6px; margin: 4px 0; white-space: pre-wrap; font-size: 11px; }
#msg { font: bold 16px monospace; }
#failure-here, #jump { color: #b00; font-weight: bold; }
#chart svg { max-width: 100%; height: auto; }
#chart g.active rect, #chart g.active path { fill: #f96 !important; stroke: #c40 !important; }
#tl { grid-column: 1 / 4; border: 1px solid #ccc; max-height: 70vh; overflow-y: auto; }
.tl-bar { display: flex; gap: 6px; align-items: center; padding: 2px 4px; background: #f3f3f3; position: sticky; top: 0; z-index: 2; }
.tl-legend i { display: inline-block; width: 10px; height: 10px; margin: 0 3px 0 8px; vertical-align: middle; }
.tl-body { display: flex; }
.tl-labels { flex: none; font: 10px monospace; }
.tl-labels div { white-space: nowrap; overflow: hidden; line-height: 14px; padding-left: 4px; }
.tl-group { background: #e3e8ef; font-weight: bold; cursor: pointer; user-select: none; }
.tl-plot { flex: 1; position: relative; min-width: 0; }
.tl-canvas { display: block; width: 100%; cursor: crosshair; }
.tl-cursor { position: absolute; top: 0; bottom: 0; width: 2px; background: rgba(0, 0, 0, 0.6); pointer-events: none; }
.tl-tip { position: absolute; z-index: 3; margin: 0; max-width: 360px; padding: 4px 6px; font-size: 11px; white-space: pre-wrap; background: #fffbe6; border: 1px solid #c9a227; pointer-events: none; }
#state { font-size: 11px; min-width: 0; }
#sp-scroll { max-height: 72vh; overflow: auto; contain: layout paint; }
#state .sp-bar { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-bottom: 4px; }
#state table { border-collapse: collapse; width: 100%; table-layout: fixed; }
#sp-rows tr { height: 16px; }
#sp-rows td, #sp-rows th { padding: 0 4px; height: 16px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; font-family: monospace; }
#state tr.obj th { text-align: left; background: #e8eef5; }
#state tr.obj th small { color: #667; font-weight: normal; }
#state tr.val { cursor: pointer; }
#state tr.val:hover { background: #eef; }
#state tr.changed td { background: #ffe08a; }
#state tr.differs td.other { background: #cde8ff; }
#state tr.picked td { outline: 1px solid #36c; }
#sp-writer { background: #f6f6f6; padding: 4px; margin-bottom: 4px; min-height: 1.2em; }
`;

/** The HTML page of one run. */
export function renderViewer(input: ViewerInput): string {
  const require = createRequire(import.meta.url);
  const mermaidJs = readFileSync(require.resolve('mermaid/dist/mermaid.min.js'), 'utf8');
  const client = readFileSync(new URL('./viewer-client.js', import.meta.url), 'utf8');
  const timelineClient = readFileSync(new URL('./timeline-client.js', import.meta.url), 'utf8');
  const panelClient = readFileSync(new URL('./state-panel-client.js', import.meta.url), 'utf8');
  const actors = new Set<string>();
  const stepping = new Set<string>();
  for (const l of input.lines) {
    stepping.add(l.actor);
    actors.add(l.actor);
    for (const e of l.effects ?? []) actors.add(e.actor);
  }
  const actorKinds: Record<string, string | null> = {};
  for (const a of [...actors].sort()) actorKinds[a] = chartOf(a);
  const used = new Set(Object.values(actorKinds).filter((k): k is string => k !== null));
  const charts: Record<string, { mermaid: string; root: string }> = {};
  for (const c of CHARTS)
    if (used.has(c.name)) charts[c.name] = { mermaid: toMermaid(c.machine), root: c.name };
  const lanes = [...[...stepping].sort(), ...[...actors].filter((a) => !stepping.has(a)).sort()];
  const data = {
    token: input.token,
    traceSha256: input.traceSha256,
    outcome: input.outcome,
    failure: input.failure,
    failureStep: input.failureStep ?? null,
    states: input.states ?? null,
    preemptions: input.preemptions ?? [],
    inevitable: input.inevitable ?? null,
    charts,
    actorKinds,
    lanes,
    lines: input.lines.map((l) => [
      l.actor,
      l.event,
      l.src,
      l.from,
      l.to,
      l.payload ?? null,
      (l.effects ?? []).map((e) => [e.actor, e.event, e.from, e.to, e.data ?? null]),
      l.t,
      l.sent ?? null,
    ]),
  };
  const failure =
    input.failure === null
      ? ''
      : ` · <b>${input.failure.kind}: ${escapeHtml(input.failure.id)}</b> ${escapeHtml(input.failure.message)}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(input.title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; font-src data:">
<style>${STYLE}</style></head>
<body>
<header><b>${escapeHtml(input.title)}</b> · outcome <b>${escapeHtml(input.outcome)}</b>${failure}<br>
token <code>${escapeHtml(input.token)}</code> · trace sha256 <code>${input.traceSha256}</code></header>
<main>
<div id="controls"><input id="slider" type="range" min="0" value="0" aria-label="step">
<span id="step"></span><button id="jump" hidden></button>
<label><input id="pin" type="checkbox"> show actor</label><select id="actor"></select></div>
<section id="panel"><div id="msg"></div><pre id="msg-detail"></pre><div id="failure-here" hidden></div>
<div>effects of this step:</div><pre id="effects"></pre></section>
<section><div id="chart-title"></div><div id="chart"></div></section>
<section id="state"></section>
<div id="tl"></div>
</main>
<script id="run-data" type="application/json">${inlineJson(data)}</script>
<script>${inlineScript(mermaidJs)}</script>
<script>${inlineScript(timelineClient)}</script>
<script>${inlineScript(client)}</script>
<script>${inlineScript(panelClient)}</script>
</body></html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
