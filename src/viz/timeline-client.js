// The run viewer's timeline (inlined into the HTML by viewer.ts before viewer-client.js; no network, no
// modules). One lane per actor, grouped: the tasks first, then the other objects by kind, each group
// collapsible to one row that carries all its lanes' marks. The plot is a canvas: a step axis on top
// and a virtual-time axis below (ms at the same ticks; virtual time jumps when a timer fires), the
// actor that took each step in blue, the objects the step changed in amber. A group of more than 40
// lanes starts folded. Marked on it: the failure
// on its actor's lane (red diamond, red line), the preemptions of the run (purple triangles: the actor
// that was switched to although the one that ran last could go on), and, from `ttm-sim inevitable`,
// the last avoidable step (green) and the step after which the failure is certain (dark red).
// Hovering shows the step's message and its effects; the wheel zooms around the pointer, dragging
// pans, a click seeks. globalThis.ttmTimeline.create(container, data, onSeek) builds it and returns
// its handle (also kept as ttmTimeline.current for tests).

(() => {
  const LANE = 14;
  const AXIS_TOP = 18;
  const AXIS_BOTTOM = 16;
  const LABEL_W = 190;
  const MIN_SPAN = 8;
  /** A group of more lanes than this starts folded (a long run has thousands of resources and fences). */
  const FOLD_ABOVE = 40;

  /** `bo:10` after `bo:9`: ids compared with their numbers as numbers. */
  function naturalCompare(a, b) {
    const pa = a.split(/(\d+)/);
    const pb = b.split(/(\d+)/);
    for (let i = 0; i < Math.min(pa.length, pb.length); i += 1) {
      if (pa[i] === pb[i]) continue;
      const na = Number(pa[i]);
      const nb = Number(pb[i]);
      if (i % 2 === 1 && !Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
      return pa[i] < pb[i] ? -1 : 1;
    }
    return pa.length - pb.length;
  }

  /** The group of an actor: 'tasks', the chart kind it has (ttm_bo, dma_resv, ...), or its id's prefix. */
  function groupOf(actor, kinds) {
    if (actor.startsWith('task:')) return 'tasks';
    const kind = kinds[actor];
    if (kind) return kind;
    const m = /^[^:/]+/.exec(actor);
    return m ? m[0] : actor;
  }

  function create(container, data, onSeek) {
    const lines = data.lines;
    const steps = lines.length;
    const kinds = data.actorKinds || {};

    // ---- lanes and groups ----------------------------------------------------------------------
    const actors = new Set(Object.keys(kinds));
    for (const l of lines) {
      actors.add(l[0]);
      for (const e of l[6]) actors.add(e[0]);
    }
    const byGroup = new Map();
    for (const a of actors) {
      const g = groupOf(a, kinds);
      if (!byGroup.has(g)) byGroup.set(g, []);
      byGroup.get(g).push(a);
    }
    const groupNames = [...byGroup.keys()].sort((a, b) =>
      a === 'tasks' ? -1 : b === 'tasks' ? 1 : naturalCompare(a, b),
    );
    const groups = groupNames.map((name) => ({
      name,
      actors: byGroup.get(name).sort(naturalCompare),
      collapsed: byGroup.get(name).length > FOLD_ABOVE,
    }));
    const groupOfActor = new Map();
    for (const g of groups) for (const a of g.actors) groupOfActor.set(a, g);

    /** Visible rows, top to bottom: a header per group, then its lanes unless collapsed. */
    let rows = [];
    const rowOfActor = new Map();
    function layoutRows() {
      rows = [];
      rowOfActor.clear();
      for (const g of groups) {
        const header = { kind: 'group', id: g.name, group: g, index: rows.length };
        rows.push(header);
        if (g.collapsed) {
          for (const a of g.actors) rowOfActor.set(a, header.index);
          continue;
        }
        for (const a of g.actors) {
          rowOfActor.set(a, rows.length);
          rows.push({ kind: 'lane', id: a, group: g, index: rows.length });
        }
      }
    }

    // ---- marks ---------------------------------------------------------------------------------
    const failureLine =
      data.failureStep === null || data.failureStep === undefined || data.failureStep < 0 || steps === 0
        ? null
        : Math.min(data.failureStep, steps - 1);
    const failureActor =
      failureLine === null
        ? null
        : data.failure?.actor && actors.has(data.failure.actor)
          ? data.failure.actor
          : lines[failureLine][0];
    const preemptions = (data.preemptions || []).filter((k) => k >= 0 && k < steps);
    const inevitable = data.inevitable || null;

    // ---- DOM -----------------------------------------------------------------------------------
    container.textContent = '';
    container.classList.add('tl');
    const bar = document.createElement('div');
    bar.className = 'tl-bar';
    const button = (text, title, fn) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = text;
      b.title = title;
      b.addEventListener('click', fn);
      bar.appendChild(b);
      return b;
    };
    button('−', 'zoom out', () => zoom(1.5, centre()));
    button('+', 'zoom in', () => zoom(1 / 1.5, centre()));
    button('all', 'show every step', () => setView(0, steps));
    const range = document.createElement('span');
    range.className = 'tl-range';
    bar.appendChild(range);
    const preemptBox = document.createElement('label');
    const preemptCheck = document.createElement('input');
    preemptCheck.type = 'checkbox';
    preemptCheck.className = 'tl-show-preemptions';
    preemptCheck.checked = true;
    preemptBox.append(preemptCheck, ` preemptions (${preemptions.length})`);
    bar.appendChild(preemptBox);
    preemptCheck.addEventListener('change', draw);
    const legend = document.createElement('span');
    legend.className = 'tl-legend';
    legend.innerHTML =
      '<i style="background:#3b6ea5"></i>took the step <i style="background:#c9a227"></i>changed by it' +
      '<i style="background:#d11"></i>failure <i style="background:#8a3ffc"></i>preemption' +
      (inevitable
        ? '<i style="background:#1a9e4a"></i>last avoidable <i style="background:#7a0000"></i>certain after'
        : '');
    bar.appendChild(legend);
    container.appendChild(bar);

    const body = document.createElement('div');
    body.className = 'tl-body';
    const labels = document.createElement('div');
    labels.className = 'tl-labels';
    labels.style.width = `${LABEL_W}px`;
    labels.style.paddingTop = `${AXIS_TOP}px`;
    const plot = document.createElement('div');
    plot.className = 'tl-plot';
    const canvas = document.createElement('canvas');
    canvas.className = 'tl-canvas';
    const cursorEl = document.createElement('div');
    cursorEl.className = 'tl-cursor';
    const tip = document.createElement('pre');
    tip.className = 'tl-tip';
    tip.hidden = true;
    plot.append(canvas, cursorEl, tip);
    body.append(labels, plot);
    container.appendChild(body);

    function renderLabels() {
      labels.textContent = '';
      for (const r of rows) {
        const div = document.createElement('div');
        div.style.height = `${LANE}px`;
        div.title = r.id;
        if (r.kind === 'group') {
          div.className = 'tl-group';
          div.dataset.group = r.id;
          div.textContent = `${r.group.collapsed ? '▸' : '▾'} ${r.id} (${r.group.actors.length})`;
          div.addEventListener('click', () => toggleGroup(r.id));
        } else {
          div.className = 'tl-lane';
          div.dataset.actor = r.id;
          div.textContent = r.id.length > 26 ? `…${r.id.slice(-25)}` : r.id;
        }
        labels.appendChild(div);
      }
    }

    // ---- view: the steps shown, [start, end) -----------------------------------------------------
    let start = 0;
    let end = Math.max(1, steps);
    let cursor = 0;
    const plotWidth = () => Math.max(50, canvas.clientWidth || plot.clientWidth || 800);
    const xOf = (k) => ((k - start) / (end - start)) * plotWidth();
    const stepAtX = (x) => Math.floor(start + (x / plotWidth()) * (end - start));
    const yOfRow = (i) => AXIS_TOP + i * LANE;
    const centre = () => (start + end) / 2;

    function setView(s, e) {
      const span = Math.min(Math.max(MIN_SPAN, e - s), Math.max(MIN_SPAN, steps));
      let a = s;
      if (a + span > Math.max(steps, span)) a = Math.max(steps, span) - span;
      if (a < 0) a = 0;
      start = a;
      end = a + span;
      draw();
    }

    /** Zoom by `factor` (< 1: in) keeping step `around` where it is on screen. */
    function zoom(factor, around) {
      const span = (end - start) * factor;
      const f = (around - start) / (end - start);
      setView(around - f * span, around - f * span + span);
    }

    function pan(deltaSteps) {
      setView(start + deltaSteps, end + deltaSteps);
    }

    function toggleGroup(name, collapsed) {
      const g = groups.find((x) => x.name === name);
      if (!g) return;
      g.collapsed = collapsed === undefined ? !g.collapsed : collapsed;
      layoutRows();
      renderLabels();
      draw();
    }

    // ---- drawing -------------------------------------------------------------------------------
    const markList = [];
    const tickList = [];
    function draw() {
      const w = plotWidth();
      const h = AXIS_TOP + rows.length * LANE + AXIS_BOTTOM;
      canvas.width = w;
      canvas.height = h;
      canvas.style.height = `${h}px`;
      const ctx = canvas.getContext('2d');
      ctx.font = '10px monospace';
      rows.forEach((r, i) => {
        ctx.fillStyle = r.kind === 'group' ? '#e3e8ef' : i % 2 ? '#f6f6f6' : '#fff';
        ctx.fillRect(0, yOfRow(i), w, LANE);
      });
      const first = Math.max(0, Math.floor(start));
      const last = Math.min(steps, Math.ceil(end));
      const sw = Math.max(1, w / (end - start));
      const bw = Math.max(1, Math.floor(sw) - (sw > 4 ? 1 : 0));
      // Where a pixel column holds many steps, a row's mark is drawn once per column.
      const lastBlue = new Int32Array(rows.length).fill(-1);
      const lastAmber = new Int32Array(rows.length).fill(-1);
      for (let k = first; k < last; k += 1) {
        const l = lines[k];
        const x = Math.floor(xOf(k));
        ctx.fillStyle = '#c9a227';
        for (const e of l[6]) {
          const r = rowOfActor.get(e[0]);
          if (r === undefined || lastAmber[r] === x) continue;
          lastAmber[r] = x;
          ctx.fillRect(x, yOfRow(r) + 4, bw, LANE - 8);
        }
        const r = rowOfActor.get(l[0]);
        if (lastBlue[r] === x) continue;
        lastBlue[r] = x;
        ctx.fillStyle = '#3b6ea5';
        ctx.fillRect(x, yOfRow(r) + 2, bw, LANE - 4);
      }
      drawAxes(ctx, w, h, first, last);
      markList.length = 0;
      const vline = (k, color, label, kind, dashed) => {
        const x = Math.floor(xOf(k) + sw / 2);
        if (x < -1 || x > w + 1) return;
        ctx.strokeStyle = color;
        ctx.lineWidth = 2;
        ctx.setLineDash(dashed ? [4, 3] : []);
        ctx.beginPath();
        ctx.moveTo(x + 0.5, AXIS_TOP);
        ctx.lineTo(x + 0.5, h - AXIS_BOTTOM);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = color;
        ctx.fillText(label, Math.min(x + 3, w - 6 * label.length), h - AXIS_BOTTOM - 3);
        markList.push({ kind, step: k, lane: null, x: x + 0.5, y: AXIS_TOP + 1 });
      };
      if (inevitable) {
        const a = inevitable.avoidableStep ?? null;
        const c = inevitable.certainStep ?? null;
        // One step can be both (the failure became certain at the last choice that could avoid it).
        if (a !== null)
          vline(
            a,
            '#1a9e4a',
            a === c ? 'last avoidable = certain after' : 'last avoidable',
            'avoidable',
            true,
          );
        if (c !== null) vline(c, '#7a0000', a === c ? '' : 'certain after', 'certain', a !== c);
      }
      if (preemptCheck.checked) {
        ctx.fillStyle = '#8a3ffc';
        for (const k of preemptions) {
          if (k < first || k >= last) continue;
          const actor = lines[k][0];
          const r = rowOfActor.get(actor);
          const x = xOf(k);
          const y = yOfRow(r);
          ctx.beginPath();
          ctx.moveTo(x, y + 1);
          ctx.lineTo(x + 7, y + LANE / 2);
          ctx.lineTo(x, y + LANE - 1);
          ctx.closePath();
          ctx.fill();
          markList.push({ kind: 'preemption', step: k, lane: rows[r].id, x: x + 2, y: y + LANE / 2 });
        }
      }
      if (failureLine !== null && failureLine >= first && failureLine < last) {
        const x = Math.min(xOf(failureLine) + sw / 2, w - 6);
        ctx.fillStyle = 'rgba(221, 17, 17, 0.35)';
        ctx.fillRect(Math.floor(x) - 1, AXIS_TOP, 2, rows.length * LANE);
        const r = rowOfActor.get(failureActor);
        const y = yOfRow(r) + LANE / 2;
        ctx.fillStyle = '#d11';
        ctx.beginPath();
        ctx.moveTo(x, y - 6);
        ctx.lineTo(x + 6, y);
        ctx.lineTo(x, y + 6);
        ctx.lineTo(x - 6, y);
        ctx.closePath();
        ctx.fill();
        markList.push({ kind: 'failure', step: failureLine, lane: rows[r].id, x, y });
      }
      range.textContent = ` steps ${Math.floor(start)}–${Math.min(steps, Math.ceil(end)) - 1} of ${steps}`;
      placeCursor();
    }

    /** Ticks every 1, 2 or 5 × 10^n steps, about 90 px apart: the step on top, its virtual time below. */
    function drawAxes(ctx, w, h, first, last) {
      const per = (90 / w) * (end - start);
      const p10 = 10 ** Math.floor(Math.log10(Math.max(1, per)));
      const every = [1, 2, 5, 10].map((m) => m * p10).find((v) => v >= per) || 10 * p10;
      ctx.fillStyle = '#fafafa';
      ctx.fillRect(0, 0, w, AXIS_TOP);
      ctx.fillRect(0, h - AXIS_BOTTOM, w, AXIS_BOTTOM);
      ctx.strokeStyle = '#bbb';
      ctx.lineWidth = 1;
      tickList.length = 0;
      for (let k = Math.ceil(first / every) * every; k < last; k += every) {
        tickList.push({ step: k, t: lines[k][7], x: xOf(k) });
        const x = Math.floor(xOf(k)) + 0.5;
        ctx.beginPath();
        ctx.moveTo(x, AXIS_TOP - 4);
        ctx.lineTo(x, AXIS_TOP);
        ctx.moveTo(x, h - AXIS_BOTTOM);
        ctx.lineTo(x, h - AXIS_BOTTOM + 4);
        ctx.stroke();
        ctx.fillStyle = '#333';
        ctx.fillText(String(k), x + 2, 10);
        ctx.fillStyle = '#666';
        ctx.fillText(`${lines[k][7]} ms`, x + 2, h - 3);
      }
    }

    function placeCursor() {
      cursorEl.style.left = `${xOf(cursor) + Math.max(1, plotWidth() / (end - start)) / 2 - 1}px`;
      cursorEl.hidden = cursor < start || cursor >= end;
    }

    /** Move the cursor to step k, panning so that it is in view. */
    function setCursor(k) {
      cursor = k;
      if (k < start || k >= end) {
        const span = end - start;
        setView(k - span / 2, k + span / 2);
      } else placeCursor();
    }

    // ---- hover, zoom, pan, click -----------------------------------------------------------------
    function describe(k) {
      const l = lines[k];
      const out = [
        `step ${k} · t = ${l[7]} ms`,
        `${l[0]} ← ${l[2]}: ${l[1]}${l[8] === null ? '' : ` (sent at step ${l[8]})`}`,
        `  ${l[3]} → ${l[4]}`,
      ];
      if (l[5] !== null) out.push(`  payload ${JSON.stringify(l[5])}`);
      if (l[6].length > 0) out.push('effects:');
      for (const e of l[6].slice(0, 12))
        out.push(`  ${e[0]}  ${e[1]}  ${e[2]} → ${e[3]}${e[4] ? ` ${JSON.stringify(e[4])}` : ''}`);
      if (l[6].length > 12) out.push(`  … ${l[6].length - 12} more`);
      if (k === failureLine) out.push(`FAILURE ${data.failure ? data.failure.id : ''}`);
      if (preemptions.includes(k)) out.push('preemption: the actor that ran last could have gone on');
      if (inevitable && k === inevitable.avoidableStep)
        out.push('last step at which the failure was avoidable');
      if (inevitable && k === inevitable.certainStep) out.push('after this step the failure is certain');
      return out.join('\n');
    }

    let drag = null;
    let hovered = null;
    canvas.addEventListener('mousemove', (ev) => {
      const r = canvas.getBoundingClientRect();
      const x = ev.clientX - r.left;
      if (drag !== null) {
        const dx = x - drag.x;
        if (Math.abs(dx) > 3) drag.moved = true;
        if (drag.moved) {
          const per = (drag.end - drag.start) / plotWidth();
          setView(drag.start - dx * per, drag.end - dx * per);
        }
        return;
      }
      const k = stepAtX(x);
      if (k < 0 || k >= steps) {
        tip.hidden = true;
        hovered = null;
        return;
      }
      hovered = k;
      tip.textContent = describe(k);
      tip.hidden = false;
      const y = ev.clientY - r.top;
      tip.style.left = `${Math.min(x + 12, Math.max(0, plotWidth() - 360))}px`;
      tip.style.top = `${y + 14}px`;
    });
    canvas.addEventListener('mouseleave', () => {
      tip.hidden = true;
      hovered = null;
      drag = null;
    });
    canvas.addEventListener('mousedown', (ev) => {
      const r = canvas.getBoundingClientRect();
      drag = { x: ev.clientX - r.left, start, end, moved: false };
    });
    canvas.addEventListener('mouseup', (ev) => {
      const d = drag;
      drag = null;
      if (d === null || d.moved) return;
      const r = canvas.getBoundingClientRect();
      const k = stepAtX(ev.clientX - r.left);
      if (k >= 0 && k < steps) onSeek(k);
    });
    canvas.addEventListener(
      'wheel',
      (ev) => {
        ev.preventDefault();
        const r = canvas.getBoundingClientRect();
        if (ev.shiftKey) pan((ev.deltaY / plotWidth()) * (end - start));
        else zoom(ev.deltaY > 0 ? 1.25 : 0.8, start + ((ev.clientX - r.left) / plotWidth()) * (end - start));
      },
      { passive: false },
    );
    globalThis.addEventListener('resize', draw);

    layoutRows();
    renderLabels();
    draw();

    const handle = {
      setCursor,
      setView,
      zoom,
      pan,
      toggleGroup,
      /** The steps shown: [start, end). */
      view: () => ({ start, end }),
      /** Rows top to bottom: kind 'group' or 'lane', the group or actor id, its y (px from the canvas top). */
      rows: () =>
        rows.map((r, i) => ({
          kind: r.kind,
          id: r.id,
          group: r.group.name,
          collapsed: r.group.collapsed,
          y: yOfRow(i),
        })),
      /** Marks drawn now, with where (px from the canvas's top-left corner). */
      marks: () => markList.map((m) => ({ ...m })),
      /** Axis ticks drawn now: the step, its virtual time (ms) and x (px). */
      ticks: () => tickList.map((t) => ({ ...t })),
      xOf,
      stepAtX,
      /** The step the pointer is over (null when none). */
      get hovered() {
        return hovered;
      },
      canvas,
    };
    globalThis.ttmTimeline.current = handle;
    return handle;
  }

  globalThis.ttmTimeline = { create, current: null };
})();
