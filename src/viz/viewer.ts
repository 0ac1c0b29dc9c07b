// The offline run viewer: one self-contained HTML file (Mermaid and the page script inlined, the run
// embedded as JSON) that works from file:// with no network request. It shows the statechart of the
// selected actor with the states active at the selected step highlighted, a timeline of the
// interleaving with one lane per actor, a step slider with keyboard stepping (←/→, PgUp/PgDn,
// Home/End), the step's message, payload and effects, and marks the failing check with a jump to it.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { TraceLine } from '../engine/trace.ts';
import type { Failure } from '../engine/types.ts';
import { CHARTS, toMermaid } from './charts.ts';

export interface ViewerInput {
  readonly title: string;
  readonly token: string;
  readonly traceSha256: string;
  readonly outcome: string;
  readonly failure: Failure | null;
  readonly lines: readonly TraceLine[];
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
main { display: grid; grid-template-columns: minmax(380px, 1fr) 2fr; gap: 8px; padding: 8px 12px; }
#controls { grid-column: 1 / 3; display: flex; gap: 12px; align-items: center; }
#slider { flex: 1; }
#panel pre { background: #f6f6f6; padding: 6px; margin: 4px 0; white-space: pre-wrap; font-size: 11px; }
#msg { font: bold 16px monospace; }
#failure-here, #jump { color: #b00; font-weight: bold; }
#chart svg { max-width: 100%; height: auto; }
#chart .active rect, #chart .active path, #chart g.active > rect { fill: #f96 !important; stroke: #c40 !important; }
#tl { grid-column: 1 / 3; position: relative; overflow-x: auto; border: 1px solid #ccc; }
#cursor { position: absolute; top: 0; bottom: 0; width: 2px; background: #e33; pointer-events: none; }
canvas { display: block; width: 100%; }
`;

/** The HTML page of one run. */
export function renderViewer(input: ViewerInput): string {
  const require = createRequire(import.meta.url);
  const mermaidJs = readFileSync(require.resolve('mermaid/dist/mermaid.min.js'), 'utf8');
  const client = readFileSync(new URL('./viewer-client.js', import.meta.url), 'utf8');
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
<section id="panel"><div id="msg"></div><pre id="msg-detail"></pre><div id="failure-here" hidden>the failing check fired after this step</div>
<div>effects of this step:</div><pre id="effects"></pre></section>
<section><div id="chart-title"></div><div id="chart"></div></section>
<div id="tl"><canvas id="timeline"></canvas><div id="cursor"></div></div>
</main>
<script id="run-data" type="application/json">${inlineJson(data)}</script>
<script>${inlineScript(mermaidJs)}</script>
<script>${inlineScript(client)}</script>
</body></html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
