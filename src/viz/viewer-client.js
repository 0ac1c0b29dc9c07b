// The run viewer's page script (inlined into the HTML by viewer.ts; no network, no modules).
// Seeking is O(256) at most: the state of every actor is kept at every 256th step, and a seek replays
// the lines from the nearest snapshot. Charts are rendered once per machine kind with Mermaid; a seek
// only moves the `active` class between SVG nodes.

(() => {
  const data = JSON.parse(document.getElementById('run-data').textContent);
  const lines = data.lines;
  const steps = lines.length;
  const SNAP = 256;
  // The line the failure is marked on (data.failureStep); a step that threw wrote no line, so its
  // failure is shown on the last line written, saying so.
  const failureLine = data.failureStep === null || steps === 0 ? null : Math.min(data.failureStep, steps - 1);
  const threwAfter = data.failureStep !== null && data.failureStep >= steps;

  // ---- states at every step, from snapshots ---------------------------------------------------
  const snapshots = [];
  {
    const cur = Object.create(null);
    for (let k = 0; k < steps; k += 1) {
      if (k % SNAP === 0) snapshots.push(Object.assign(Object.create(null), cur));
      apply(cur, lines[k]);
    }
  }

  /** Fold line `l` ([actor, event, src, from, to, payload, effects, t, sent]) into `states`. */
  function apply(states, l) {
    states[l[0]] = l[4];
    for (const e of l[6]) states[e[0]] = e[3];
  }

  /** States of every actor after step k (k = -1: before the first step). */
  function statesAt(k) {
    if (k < 0) return Object.create(null);
    const base = Math.floor(k / SNAP);
    const states = Object.assign(Object.create(null), snapshots[base]);
    for (let i = base * SNAP; i <= k; i += 1) apply(states, lines[i]);
    return states;
  }

  // ---- charts ---------------------------------------------------------------------------------
  const chartNodes = Object.create(null); // kind -> Map(mermaidId -> element)
  const chartBox = document.getElementById('chart');
  let chartsReady = false;

  async function renderCharts() {
    const mermaid = globalThis.mermaid;
    mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
    for (const kind of Object.keys(data.charts)) {
      const holder = document.createElement('div');
      holder.className = 'chart';
      holder.dataset.kind = kind;
      const { svg } = await mermaid.render(`chart-${kind}`, data.charts[kind].mermaid);
      holder.innerHTML = svg;
      chartBox.appendChild(holder);
      const nodes = new Map();
      for (const g of holder.querySelectorAll('g[id]')) {
        const m = /-state-(.+)-\d+$/.exec(g.id);
        if (m) nodes.set(m[1], g);
      }
      chartNodes[kind] = nodes;
    }
    chartsReady = true;
  }

  /**
   * Mermaid ids of the active leaf states in `state` ("r1.a r2.b.c") of a chart whose root id is `root`:
   * one per region, never the composite states around them (a highlighted cluster would paint every
   * state inside it).
   */
  function activeIds(root, state) {
    const ids = [];
    for (const leaf of state.split(' ')) {
      if (leaf === '') continue;
      ids.push(`${root}_${leaf.split('.').join('_')}`.replace(/[^A-Za-z0-9_]/g, '_'));
    }
    return ids;
  }

  let highlighted = [];
  function highlight(actor, state) {
    for (const el of highlighted) el.classList.remove('active');
    highlighted = [];
    const kind = data.actorKinds[actor];
    for (const div of chartBox.children) div.hidden = div.dataset.kind !== kind;
    document.getElementById('chart-title').textContent = kind
      ? `${actor}: ${kind}`
      : `${actor}: no statechart`;
    if (!kind || !chartsReady) return;
    const nodes = chartNodes[kind];
    for (const id of activeIds(data.charts[kind].root, state ?? '')) {
      const el = nodes.get(id);
      if (el) {
        el.classList.add('active');
        highlighted.push(el);
      }
    }
  }

  // ---- timeline (src/viz/timeline-client.js) ----------------------------------------------------
  const timeline = globalThis.ttmTimeline.create(document.getElementById('tl'), data, (k) => seek(k));

  // ---- the step panel and seeking ---------------------------------------------------------------
  const slider = document.getElementById('slider');
  slider.max = String(Math.max(0, steps - 1));
  let current = 0;

  function seek(k) {
    current = Math.max(0, Math.min(steps - 1, k));
    const l = lines[current];
    const states = statesAt(current);
    slider.value = String(current);
    document.getElementById('step').textContent = `step ${current} / ${steps - 1}  ·  t = ${l[7]} ms`;
    document.getElementById('msg').textContent = l[1];
    document.getElementById('msg-detail').textContent =
      `${l[0]} ← ${l[2]}${l[8] === null ? '' : ` (sent at step ${l[8]})`}\n${l[3]}  →  ${l[4]}` +
      (l[5] === null ? '' : `\npayload ${JSON.stringify(l[5])}`);
    const eff = document.getElementById('effects');
    eff.textContent = l[6]
      .map((e) => `${e[0]}  ${e[1]}  ${e[2]} → ${e[3]}${e[4] ? ` ${JSON.stringify(e[4])}` : ''}`)
      .join('\n');
    const here = document.getElementById('failure-here');
    here.hidden = failureLine !== current;
    if (!here.hidden)
      here.textContent = threwAfter
        ? `${data.failure.id} was thrown in the next step, which wrote no line: ${data.failure.message}`
        : `${data.failure.id} (${data.failure.kind}) is marked on this step: ${data.failure.message}`;
    timeline.setCursor(current);
    const pinned = document.getElementById('pin').checked ? document.getElementById('actor').value : '';
    const actor = pinned || l[0];
    highlight(actor, states[actor]);
    globalThis.statePanel?.show(current);
    return states;
  }

  slider.addEventListener('input', () => seek(Number(slider.value)));
  document.addEventListener('keydown', (ev) => {
    const moves = { ArrowRight: 1, ArrowLeft: -1, PageDown: 100, PageUp: -100 };
    if (ev.key in moves) seek(current + moves[ev.key]);
    else if (ev.key === 'Home') seek(0);
    else if (ev.key === 'End') seek(steps - 1);
    else return;
    ev.preventDefault();
  });
  const actorSel = document.getElementById('actor');
  for (const a of Object.keys(data.actorKinds).sort()) {
    const o = document.createElement('option');
    o.value = a;
    o.textContent = a;
    actorSel.appendChild(o);
  }
  actorSel.addEventListener('change', () => seek(current));
  document.getElementById('pin').addEventListener('change', () => seek(current));
  const jump = document.getElementById('jump');
  if (data.failure && failureLine !== null) {
    jump.hidden = false;
    jump.textContent = `jump to failure: ${data.failure.id} (step ${failureLine})`;
    jump.addEventListener('click', () => seek(failureLine));
  }

  globalThis.viewer = {
    seek,
    statesAt,
    steps,
    activeIds,
    failureLine,
    get current() {
      return current;
    },
    ready: null,
  };
  globalThis.viewer.ready = renderCharts().then(() => seek(current));
  seek(0);
})();
