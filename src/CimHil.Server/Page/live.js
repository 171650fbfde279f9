// The live page of `cimhil serve` (docs/api.md). One EventSource on /api/events; every event is JSON with its type
// inside. Events only change state; drawing happens at most once per animation frame, so a 128x128 array committing
// hundreds of times a second costs one redraw per frame.
'use strict';
(() => {
  const token = new URLSearchParams(location.search).get('token');
  const q = token ? `?token=${encodeURIComponent(token)}` : '';
  const $ = id => document.getElementById(id);
  const body = document.body;
  const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
  let state;
  let dirty = { map: false, levels: false, mc: false, wc: false, text: false };
  let lastRun = null;

  function reset(rows, columns) {
    state = {
      rows: rows || (state && state.rows) || 0, columns: columns || (state && state.columns) || 0,
      cells: null, units: new Map(), measurements: 0, pulses: 0, totalUnits: 0,
      procedure: '—', done: 0, total: 1, eta: null, stages: new Map(), mc: [], wc: [], wcNow: null,
    };
    state.cells = new Float64Array(state.rows * state.columns).fill(NaN);
    dirty = { map: true, levels: true, mc: true, wc: true, text: true };
  }
  reset(0, 0);

  async function api(method, path, payload) {
    const init = { method, headers: {} };
    if (token) init.headers.Authorization = `Bearer ${token}`;
    if (payload !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(payload); }
    const response = await fetch(path, init);
    const text = await response.text();
    const json = text ? JSON.parse(text) : null;
    if (!response.ok) throw new Error((json && json.error) || `${response.status} ${response.statusText}`);
    return json;
  }

  function error(message) {
    const li = document.createElement('li');
    li.textContent = `${new Date().toLocaleTimeString()} ${message}`;
    $('errors').prepend(li);
    body.dataset.errors = String($('errors').children.length);
  }

  function setCell(row, column, g) {
    if (row < state.rows && column < state.columns && Number.isFinite(g)) {
      state.cells[row * state.columns + column] = g;
      dirty.map = true;
    }
  }

  function addUnit(u) {
    state.units.set(`${u.procedure}/${u.row}/${u.column}/${u.step}`, u);
    if (u.valueS != null) setCell(u.row, u.column, u.valueS);
    if (u.targetS != null) dirty.levels = true;
  }

  // The server runs chip workflows and chip-free ones (calibrate, evaluate, worst-case, import) side by side
  // (docs/api.md, "The chip is exclusive"): the buttons follow the chip's lane, Stop any running operation.
  const ops = new Map();
  const holdsChip = op => op.kind === 'characterize' || op.kind === 'run';
  const active = op => op.status === 'running' || op.status === 'stopping';

  function setStatus(op) {
    ops.set(op.id, op);
    body.dataset.status = op.status;
    body.dataset.operation = op.id;
    $('status').textContent = `${op.kind} ${op.status}`;
    $('status').className = `badge ${op.status}`;
    const all = [...ops.values()];
    const chipBusy = all.some(o => holdsChip(o) && active(o));
    $('stop').disabled = !all.some(active);
    $('start').disabled = chipBusy;
    $('start-run').disabled = chipBusy;
    if (op.run && holdsChip(op)) { lastRun = { kind: op.kind, run: op.run, status: op.status }; $('run').textContent = `run ${op.run}`; body.dataset.run = op.run; }
    $('resume').disabled = chipBusy || !lastRun || !(lastRun.status === 'stopped' || lastRun.status === 'failed');
    const safe = $('safe');
    safe.hidden = op.safeState == null;
    safe.textContent = op.safeState ? 'chip in safe state' : 'safe state NOT confirmed';
    safe.className = `badge ${op.safeState ? 'ok' : 'failed'}`;
    body.dataset.safeState = op.safeState == null ? '' : String(op.safeState);
    if (op.status === 'failed' && op.error) error(op.error);
    if (op.result && op.result.measurements != null) body.dataset.resultMeasurements = String(op.result.measurements);
  }

  // The store's whole map (api/runs/{id}/map) when a characterisation stops, ends or resumes: cells only an early
  // procedure measured (stuck, unformed) are never measured again, so the map must not depend on having seen them live.
  async function loadMap(run, op) {
    try {
      const cells = await api('GET', `api/runs/${encodeURIComponent(run)}/map`);
      if (state.runId !== run) return;
      cells.forEach(([r, c, g]) => setCell(r, c, g));
      body.dataset.mapSyncedFor = op;
    } catch (e) { error(`map of run ${run}: ${e.message}`); }
  }

  async function prefill(run) {
    try {
      const units = await api('GET', `api/runs/${encodeURIComponent(run)}/units`);
      units.forEach(addUnit);
    } catch (e) { /* a new run has no store yet */ }
  }

  function onEvent(e) {
    const d = e.data;
    switch (e.type) {
      case 'operation':
        // A resume of the run on screen keeps what the page has seen of it (reads of cells no unit finished included).
        // An evaluation beside it only restarts its own plot.
        if (d.status === 'running' && holdsChip(d) && d.run !== state.runId) { reset(); state.runId = d.run; }
        if (d.status === 'running' && d.kind === 'evaluate') { state.mc = []; dirty.mc = true; }
        if (d.status === 'running' && d.kind === 'worst-case') { state.wc = []; state.wcNow = null; dirty.wc = true; }
        setStatus(d);
        if (d.status !== 'running' && d.status !== 'stopping') {
          loadRuns();
          if (holdsChip(d) && d.run && d.run === state.runId) loadMap(d.run, d.id);
        }
        break;
      case 'stage': {
        const p = d.progress;
        if (d.record === 'LiveChipInfo') {
          if (state.runId !== p.run || state.rows !== p.rows || state.columns !== p.columns) { reset(p.rows, p.columns); state.runId = p.run; }
          $('chip').textContent = `${p.chip} ${p.rows}×${p.columns}`;
          state.measurements = p.storedMeasurements;
          state.totalUnits = p.storedUnits;
          // A resumed run: what earlier sessions stored fills the map and histograms first.
          if (p.storedUnits > 0) { prefill(p.run); loadMap(p.run, body.dataset.operation); }
          break;
        }
        if (p.stage !== undefined) {
          state.stages.set(p.stage, { done: p.done, total: p.total, detail: p.detail, eta: d.etaSeconds });
          state.procedure = p.detail ? `${p.stage}: ${p.detail}` : p.stage;
          state.done = p.done; state.total = p.total; state.eta = d.etaSeconds;
          // MonteCarloChipProgress: one chip's accuracy for the histogram. WorstCaseStepProgress: the step's accuracy
          // moves the live marker; the event that closes a bound (boundFinished) is that bound's point of the curve.
          // Field names as WorkflowJson serialises the records (camelCase; src/CimHil.Workflows/Progress).
          if (d.record === 'MonteCarloChipProgress' && typeof p.chipAccuracy === 'number') { state.mc.push(p.chipAccuracy); dirty.mc = true; }
          if (d.record === 'WorstCaseStepProgress' && typeof p.k === 'number' && typeof p.accuracy === 'number') {
            if (p.boundFinished) { state.wc.push([p.k, p.accuracy]); state.wcNow = null; } else state.wcNow = [p.k, p.accuracy];
            dirty.wc = true;
          }
          dirty.text = true;
        }
        break;
      }
      case 'progress':
        state.procedure = d.progress.procedure;
        state.done = d.progress.unitsDone; state.total = Math.max(1, d.progress.unitsTotal); state.eta = d.etaSeconds;
        dirty.text = true;
        break;
      case 'stored':
        d.reads.forEach(([r, c, g]) => setCell(r, c, g));
        d.units.forEach(addUnit);
        state.measurements = d.totalMeasurements; state.totalUnits = d.totalUnits; state.pulses += d.pulses;
        dirty.text = true;
        break;
      case 'warning': error(`${d.level}: ${d.message}`); break;
      case 'safety-refusal': error(`safety: ${d.error}`); break;
      default: break;
    }
  }

  function connect() {
    const source = new EventSource(`api/events${q}`);
    source.onopen = () => { $('connection').textContent = 'live'; $('connection').className = 'badge ok'; };
    source.onerror = () => { $('connection').textContent = 'reconnecting'; $('connection').className = 'badge down'; };
    source.onmessage = m => onEvent(JSON.parse(m.data));
  }

  // Perceptually ordered blue→yellow ramp (viridis end points and mid-points).
  const ramp = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  function colour(t) {
    const x = Math.min(1, Math.max(0, t)) * (ramp.length - 1);
    const i = Math.min(ramp.length - 2, Math.floor(x));
    const f = x - i;
    return ramp[i].map((v, k) => Math.round(v + (ramp[i + 1][k] - v) * f));
  }

  function drawMap() {
    const canvas = $('map');
    const { rows, columns, cells } = state;
    if (!rows || !columns) return;
    let max = 0;
    for (const g of cells) if (g > max) max = g;
    max = max || 1e-4;
    const image = new ImageData(columns, rows);
    for (let i = 0; i < cells.length; i++) {
      const g = cells[i];
      const [r, gr, b] = Number.isNaN(g) ? [225, 228, 234] : colour(g / max);
      image.data.set([r, gr, b, 255], i * 4);
    }
    const off = new OffscreenCanvas(columns, rows);
    off.getContext('2d').putImageData(image, 0, 0);
    const ctx = canvas.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
    $('map-scale').textContent = `0 … ${(max * 1e6).toFixed(1)} µS`;
    body.dataset.mapUpdates = String(Number(body.dataset.mapUpdates) + 1);
    body.dataset.mapCells = String(cells.filter(g => !Number.isNaN(g)).length);
  }

  function drawHistogram(canvas, series, xMax, label) {
    const ctx = canvas.getContext('2d');
    const w = canvas.width, h = canvas.height, bins = 60;
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = '#1d2330';
    ctx.font = '11px system-ui';
    let peak = 1;
    const counts = series.map(s => {
      const c = new Array(bins).fill(0);
      s.values.forEach(v => { const b = Math.floor((v / xMax) * bins); if (b >= 0 && b < bins) c[b]++; });
      peak = Math.max(peak, ...c);
      return c;
    });
    series.forEach((s, k) => {
      ctx.fillStyle = s.colour;
      ctx.globalAlpha = 0.75;
      counts[k].forEach((n, b) => { const bh = (n / peak) * (h - 20); ctx.fillRect((b * w) / bins, h - 14 - bh, w / bins - 1, bh); });
    });
    ctx.globalAlpha = 1;
    ctx.fillStyle = '#1d2330';
    ctx.fillText('0', 0, h - 2);
    ctx.fillText(label, w - ctx.measureText(label).width, h - 2);
  }

  function drawLevels() {
    const byLevel = new Map();
    for (const u of state.units.values()) {
      if (u.targetS == null || u.valueS == null) continue;
      if (!byLevel.has(u.targetS)) byLevel.set(u.targetS, []);
      byLevel.get(u.targetS).push(u.valueS);
    }
    const levels = [...byLevel.keys()].sort((a, b) => a - b);
    const xMax = levels.length ? levels[levels.length - 1] * 1.3 : 1e-4;
    drawHistogram($('levels'), levels.map((t, i) => ({ values: byLevel.get(t), colour: palette[i % palette.length] })), xMax, `${(xMax * 1e6).toFixed(0)} µS`);
    if (levels.length) {
      body.dataset.histogramUpdates = String(Number(body.dataset.histogramUpdates) + 1);
      body.dataset.levels = String(levels.length);
    }
  }

  function drawCurve() {
    const canvas = $('wc');
    const ctx = canvas.getContext('2d');
    const w = canvas.width, h = canvas.height;
    ctx.clearRect(0, 0, w, h);
    const points = [...state.wc].sort((a, b) => a[0] - b[0]);
    body.dataset.wcPoints = String(points.length);
    if (!points.length && !state.wcNow) return;
    const kMax = Math.max(...points.map(p => p[0]), state.wcNow ? state.wcNow[0] : 0, 1);
    ctx.fillStyle = '#1d2330';
    ctx.font = '11px system-ui';
    ctx.fillText(`k = 0 … ${kMax}`, w - 70, h - 2);
    ctx.strokeStyle = '#d62728';
    ctx.beginPath();
    points.forEach(([k, a], i) => { const x = (k / kMax) * (w - 10) + 5, y = h - 5 - a * (h - 10); if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y); });
    ctx.stroke();
    points.forEach(([k, a]) => { ctx.fillStyle = '#d62728'; ctx.fillRect((k / kMax) * (w - 10) + 3, h - 7 - a * (h - 10), 4, 4); });
    if (state.wcNow) {
      // The bound being searched: the accuracy of the current deviation, falling towards the bound's worst case.
      const [k, a] = state.wcNow;
      ctx.strokeStyle = '#7f7f7f';
      ctx.strokeRect((k / kMax) * (w - 10) + 2, h - 8 - a * (h - 10), 6, 6);
    }
  }

  function drawText() {
    const eta = state.eta == null ? '' : ` · about ${Math.ceil(state.eta)} s left`;
    $('procedure').textContent = `${state.procedure} ${Math.floor(state.done)}/${Math.round(state.total)}${eta}`;
    $('bar').value = state.total ? state.done / state.total : 0;
    $('counts').textContent = `${state.measurements} records · ${state.pulses} pulses · ${state.totalUnits} units`;
    body.dataset.measurements = String(state.measurements);
    const list = $('stages');
    list.replaceChildren(...[...state.stages.entries()].map(([name, s]) => {
      const li = document.createElement('li');
      li.textContent = `${name}: ${Math.floor(s.done)}/${s.total}${s.detail ? ` (${s.detail})` : ''}`;
      return li;
    }));
  }

  function frame() {
    if (dirty.map) { dirty.map = false; drawMap(); }
    if (dirty.levels) { dirty.levels = false; drawLevels(); }
    if (dirty.mc) { dirty.mc = false; drawHistogram($('mc'), [{ values: state.mc, colour: '#1f77b4' }], 1, '100 %'); body.dataset.mcChips = String(state.mc.length); }
    if (dirty.wc) { dirty.wc = false; drawCurve(); }
    if (dirty.text) { dirty.text = false; drawText(); }
    requestAnimationFrame(frame);
  }

  async function loadRuns() {
    try {
      const runs = await api('GET', 'api/runs');
      $('runs').replaceChildren(...runs.slice(0, 20).map(r => {
        const li = document.createElement('li');
        li.textContent = `${r.id} `;
        if (r.hasReport) {
          const a = document.createElement('a');
          a.href = `api/runs/${encodeURIComponent(r.id)}/report${q}`;
          a.textContent = 'report';
          li.append(a);
        } else if (r.hasDatabase) {
          li.append('(measurements)');
        }
        return li;
      }));
    } catch (e) { error(e.message); }
  }

  async function start(kind, payload) {
    try { setStatus(await api('POST', `api/workflows/${kind}`, payload)); } catch (e) { error(e.message); }
  }

  $('start').onclick = () => start('characterize', { plan: $('plan').value });
  $('start-run').onclick = () => start('run', {});
  $('resume').onclick = () => lastRun && start(lastRun.kind, { resume: lastRun.run });
  $('stop').onclick = async () => { try { setStatus(await api('POST', 'api/operation/stop')); } catch (e) { error(e.message); } };

  (async () => {
    try {
      const chip = await api('GET', 'api/chip');
      $('chip').textContent = `${chip.identity.model} ${chip.rows}×${chip.columns} (${chip.driver})`;
      reset(chip.rows, chip.columns);
    } catch (e) { error(e.message); }
    loadRuns();
    connect();
    requestAnimationFrame(frame);
  })();
})();
