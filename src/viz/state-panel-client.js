// The viewer's state panel (inlined into the HTML by viewer.ts after viewer-client.js; no network, no
// modules). It shows every object of the model at the selected step from the run's recorded states
// (src/viz/run_states.ts: the values before the first step, then what each step changed): the values
// the step changed are highlighted, another step can be chosen to diff against, objects filtered by id
// or kind, and a click on a value names the step that last wrote it and the writer before that, with a
// button to seek to each.
// Each value keeps the sorted list of steps that wrote it, so the value at any step is one binary
// search: showing a step costs one search per value, whatever the step.

(() => {
  const data = JSON.parse(document.getElementById('run-data').textContent);
  const box = document.getElementById('state');
  const st = data.states;
  if (!box || !st) {
    if (box) box.hidden = true;
    return;
  }
  const lines = data.lines;
  const nKeys = st.keys.length;

  // ---- per value: the steps that wrote it and what they wrote (step -1: before the first step) ----
  const writeSteps = Array.from({ length: nKeys }, () => []);
  const writeTexts = Array.from({ length: nKeys }, () => []);
  function addWrites(step, pairs) {
    for (let i = 0; i < pairs.length; i += 2) {
      writeSteps[pairs[i]].push(step);
      writeTexts[pairs[i]].push(pairs[i + 1]);
    }
  }
  addWrites(-1, st.initial);
  for (let s = 0; s < st.steps.length; s += 1) addWrites(s, st.steps[s]);

  /** Index into writeSteps[k] of the last write at or before `step`; -1 when none. */
  function lastWriteIndex(k, step) {
    const a = writeSteps[k];
    let lo = 0;
    let hi = a.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid] <= step) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** The text of value k after step `step` (null: the object does not exist then). */
  function valueAt(k, step) {
    const i = lastWriteIndex(k, step);
    if (i < 0) return null;
    const t = writeTexts[k][i];
    return t < 0 ? null : st.texts[t];
  }

  /** The step that last wrote value k at or before `step` and the one before it (null: none; -1: setup). */
  function writers(k, step) {
    const i = lastWriteIndex(k, step);
    return { last: i < 0 ? null : writeSteps[k][i], before: i < 1 ? null : writeSteps[k][i - 1] };
  }

  function keyOf(object, field) {
    for (let k = 0; k < nKeys; k += 1) {
      const [o, f] = st.keys[k];
      if (f === field && st.objects[o][0] === object) return k;
    }
    return -1;
  }

  // Keys grouped by object, objects by kind (tasks first, then the kernel objects).
  const KIND_ORDER = ['task', 'bo', 'manager', 'device', 'pool', 'iommu', 'fence', 'swap'];
  const byObject = st.objects.map(() => []);
  for (let k = 0; k < nKeys; k += 1) byObject[st.keys[k][0]].push(k);
  const objectOrder = st.objects
    .map((_, o) => o)
    .sort((a, b) => {
      const ka = KIND_ORDER.indexOf(st.objects[a][1]);
      const kb = KIND_ORDER.indexOf(st.objects[b][1]);
      return ka - kb || compareIds(st.objects[a][0], st.objects[b][0]);
    });

  /** Ids ordered with their numbers as numbers (bo:2 before bo:10). */
  function compareIds(a, b) {
    const ra = /^(.*?)(\d+)$/.exec(a);
    const rb = /^(.*?)(\d+)$/.exec(b);
    if (ra && rb && ra[1] === rb[1]) return Number(ra[2]) - Number(rb[2]);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  // ---- the panel's controls ------------------------------------------------------------------
  const kinds = KIND_ORDER.filter((kind) => st.objects.some((o) => o[1] === kind));
  box.innerHTML = `<div class="sp-bar"><b>State after this step</b>
<input id="sp-filter" placeholder="object id (e.g. bo:3, task:)" size="18" aria-label="filter by object">
<select id="sp-kind" aria-label="filter by kind"><option value="">every kind</option>${kinds
    .map((k) => `<option value="${k}">${k}</option>`)
    .join('')}</select>
<label><input id="sp-changed-only" type="checkbox"> changed only</label>
<label><input id="sp-step-objects" type="checkbox"> this step's objects</label>
<label>diff with step <input id="sp-diff" type="number" min="0" max="${Math.max(0, lines.length - 1)}" size="6" aria-label="diff with step"></label></div>
<div id="sp-writer"></div><div id="sp-scroll"><table><colgroup><col id="sp-col-field"><col><col id="sp-col-other"></colgroup><tbody id="sp-rows"></tbody></table></div>`;
  const filterBox = document.getElementById('sp-filter');
  const kindBox = document.getElementById('sp-kind');
  const changedOnly = document.getElementById('sp-changed-only');
  const stepObjects = document.getElementById('sp-step-objects');
  const diffBox = document.getElementById('sp-diff');
  const rowsBox = document.getElementById('sp-rows');
  const scrollBox = document.getElementById('sp-scroll');
  const writerBox = document.getElementById('sp-writer');
  let shown = 0;
  let picked = -1;

  function esc(text) {
    return String(text)
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;');
  }

  /** The step a diff is taken against, or null. */
  function diffStep() {
    if (diffBox.value === '') return null;
    const s = Number(diffBox.value);
    return Number.isInteger(s) && s >= 0 && s < lines.length ? s : null;
  }

  // The rows of the shown step: [object index] for an object's heading, [key, value, other, classes] for
  // a value. Only the rows scrolled into view are in the DOM (a 10,000-step run has thousands of values):
  // every row is ROW pixels high, spacers stand for the others.
  const ROW = 16;
  const WINDOW = 70;
  let rows = [];
  let other = null;

  function show(step) {
    shown = step;
    const changed = new Set();
    const pairs = st.steps[step] ?? [];
    for (let i = 0; i < pairs.length; i += 2) changed.add(pairs[i]);
    other = diffStep();
    const filter = filterBox.value.trim();
    const kind = kindBox.value;
    const touched = stepObjects.checked ? objectsOf(step) : null;
    rows = [];
    for (const o of objectOrder) {
      const [id, okind] = st.objects[o];
      if (kind !== '' && okind !== kind) continue;
      if (filter !== '' && !id.includes(filter)) continue;
      if (touched !== null && !touched.has(o)) continue;
      let heading = false;
      for (const k of byObject[o]) {
        const v = valueAt(k, step);
        const w = other === null ? null : valueAt(k, other);
        if (v === null && (other === null || w === null)) continue;
        const isChanged = changed.has(k);
        const differs = other !== null && v !== w;
        if (changedOnly.checked && !isChanged && !differs) continue;
        if (!heading) {
          rows.push([o]);
          heading = true;
        }
        rows.push([k, v, w, `val${isChanged ? ' changed' : ''}${differs ? ' differs' : ''}`]);
      }
    }
    // The field column and, with a diff, the other step's column (a fixed table takes its widths here).
    document.getElementById('sp-col-field').style.width = other === null ? '36%' : '28%';
    document.getElementById('sp-col-other').style.width = other === null ? '0' : '36%';
    paint();
    if (picked >= 0) describeWriters(picked);
  }

  /** Write the rows in view (and a window around them) into the table. */
  function paint() {
    // The scroll offset the last scroll event saw: reading scrollTop here would force the layout of the
    // whole page, which the step just changed, inside every seek.
    const first = Math.max(0, Math.floor(scrollTop / ROW) - 10);
    const end = Math.min(rows.length, first + WINDOW);
    const out = [];
    if (other !== null)
      out.push(`<tr class="obj"><th></th><th>step ${shown}</th><th>step ${other}</th></tr>`);
    if (first > 0) out.push(`<tr class="spacer" style="height:${first * ROW}px"></tr>`);
    for (let i = first; i < end; i += 1) {
      const r = rows[i];
      if (r.length === 1) {
        const [id, okind] = st.objects[r[0]];
        out.push(
          `<tr class="obj" data-object="${esc(id)}"><th colspan="3">${esc(id)} <small>${okind}</small></th></tr>`,
        );
        continue;
      }
      const [k, v, w, cls] = r;
      const cell = (text, c) =>
        text === null ? `<td class="${c}"><i>gone</i></td>` : `<td class="${c}">${esc(text)}</td>`;
      out.push(
        `<tr class="${cls}${k === picked ? ' picked' : ''}" data-key="${k}"><td>${esc(st.keys[k][1])}</td>${cell(v, 'now')}${
          other === null ? '' : cell(w, 'other')
        }</tr>`,
      );
    }
    if (end < rows.length) out.push(`<tr class="spacer" style="height:${(rows.length - end) * ROW}px"></tr>`);
    rowsBox.innerHTML = out.join('');
  }
  let scrollTop = 0;
  scrollBox.addEventListener('scroll', () => {
    scrollTop = scrollBox.scrollTop;
    paint();
  });

  // Which panel object an actor of the trace is: itself (a BO, task, manager, IOMMU, device), the BO of
  // a resv (`bo:3/resv`), or the BO whose resource or tt it is (`res:7`, `tt:2`, by the BO's values).
  const objectIndex = new Map(st.objects.map((o, i) => [o[0], i]));
  const resourceKey = new Map();
  const ttKey = new Map();
  for (let k = 0; k < nKeys; k += 1) {
    if (st.keys[k][1] === 'resource') resourceKey.set(k, st.keys[k][0]);
    if (st.keys[k][1] === 'tt') ttKey.set(k, st.keys[k][0]);
  }

  /** The objects the step's actor and its effects name, as panel objects (the filter "this step's objects"). */
  function objectsOf(step) {
    const l = lines[step];
    const actors = [l[0], ...l[6].map((e) => e[0])];
    const out = new Set();
    for (const a of actors) {
      if (objectIndex.has(a)) out.add(objectIndex.get(a));
      else if (a.endsWith('/resv') && objectIndex.has(a.slice(0, -5)))
        out.add(objectIndex.get(a.slice(0, -5)));
      const owners = a.startsWith('res:') ? resourceKey : a.startsWith('tt:') ? ttKey : null;
      if (owners === null) continue;
      // The BO that holds the resource or tt after the step, or held it before (a step that frees it).
      for (const [k, o] of owners)
        for (const v of [valueAt(k, step), valueAt(k, step - 1)])
          if (v !== null && v.split(' ')[0] === a) out.add(o);
    }
    return out;
  }

  /** What a line did, in a few words: `step 12: task:a bo.validate`. */
  function stepText(s) {
    if (s === -1) return 'the setup, before the first step';
    const l = lines[s];
    return `step ${s}: ${l[0]} ${l[1]}`;
  }

  function describeWriters(k) {
    const { last, before } = writers(k, shown);
    const [o, field] = st.keys[k];
    const name = `${st.objects[o][0]} ${field}`;
    if (last === null) {
      writerBox.textContent = `${name}: not written up to step ${shown}`;
      return;
    }
    const button = (s, label) =>
      s === null || s < 0 ? '' : ` <button data-seek="${s}" class="sp-go">${label} ${s}</button>`;
    writerBox.innerHTML = `<b>${esc(name)}</b> last written by ${esc(stepText(last))}${button(last, 'go to step')}<br>before that by ${
      before === null ? 'nothing' : esc(stepText(before))
    }${button(before, 'go to step')}`;
  }

  rowsBox.addEventListener('click', (ev) => {
    const row = ev.target.closest('tr.val');
    if (!row) return;
    picked = Number(row.dataset.key);
    show(shown);
  });
  writerBox.addEventListener('click', (ev) => {
    const b = ev.target.closest('button[data-seek]');
    if (b) globalThis.viewer.seek(Number(b.dataset.seek));
  });
  // Text fields redraw as they are typed into ('input'), not again when they lose focus ('change'): a
  // redraw between a row's mousedown and mouseup would swallow the click on it.
  for (const el of [filterBox, diffBox]) el.addEventListener('input', () => show(shown));
  for (const el of [kindBox, changedOnly, stepObjects]) el.addEventListener('change', () => show(shown));
  // Typing in the panel must not step the viewer.
  for (const el of [filterBox, diffBox]) el.addEventListener('keydown', (ev) => ev.stopPropagation());

  globalThis.statePanel = {
    show,
    /** Every row of the shown step, in order, as the panel lists them (the DOM holds those in view). */
    rows() {
      return rows.map((r) =>
        r.length === 1
          ? { object: st.objects[r[0]][0] }
          : {
              field: st.keys[r[0]][1],
              value: r[1],
              other: r[2],
              changed: r[3].includes('changed'),
              differs: r[3].includes('differs'),
            },
      );
    },
    valueAt,
    writers,
    keyOf,
    pick(k) {
      picked = k;
      show(shown);
    },
  };
  show(globalThis.viewer ? globalThis.viewer.current : 0);
})();
