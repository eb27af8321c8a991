// The insights page: reads the dashboard's JSON API and draws charts (Chart.js, served by the
// dashboard at /vendor/chart.umd.js) and tables. Plain ES module, no build step. Every value from
// the API reaches the DOM as text (never as HTML).

const Chart = globalThis.Chart;
const PALETTE = ['#2f6fde', '#e8590c', '#0ca678', '#c2255c', '#7048e8', '#f59f00', '#1098ad', '#5c940d', '#862e9c', '#495057'];
const PRESETS = { '24h': 24 * 3600e3, '7d': 7 * 24 * 3600e3, '30d': 30 * 24 * 3600e3 };

const $ = (id) => document.getElementById(id);
const state = { project: '', family: '', endpoint: '', from: '', to: '', preset: 'all', endpoints: [], deployment: '', deployments: false };
const charts = { drift: null, inference: null, shadow: null };
/** For tests and the curious: the charts and the data last shown. */
globalThis.dashboard = { charts, state, data: {}, ready: false, loads: 0 };

/** `el('a', { href, class: 'x' }, 'text', child)`; attributes set as properties or attributes, children as text or nodes. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function fmtTime(iso) {
  if (!iso) return '–';
  return iso.replace('T', ' ').replace(/:\d{2}(\.\d+)?Z$/, '');
}

function fmtNum(v, digits = 3) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const abs = Math.abs(v);
  if (abs !== 0 && (abs >= 1e6 || abs < 1e-3)) return v.toExponential(2);
  return v.toLocaleString('en-US', { maximumFractionDigits: abs >= 100 ? 1 : digits });
}

function link(href, text, testid) {
  if (!href) return null;
  const external = /^https?:/.test(href);
  return el('a', { href, 'data-testid': testid, target: external ? '_blank' : undefined, rel: external ? 'noopener' : undefined }, text);
}

async function api(path, params) {
  const qs = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '' && v !== undefined));
  const query = qs.toString();
  const res = await fetch(`${path}${query ? `?${query}` : ''}`, { headers: { accept: 'application/json' } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.message ?? `${path}: HTTP ${res.status}`);
  return body;
}

function setStatus(text, isError = false) {
  const s = $('status');
  s.textContent = text;
  s.classList.toggle('error', isError);
  s.dataset.state = isError ? 'error' : 'ok';
}

// ---- filters -------------------------------------------------------------------------------

function readUrl() {
  const q = new URLSearchParams(location.search);
  for (const k of ['project', 'family', 'endpoint', 'from', 'to', 'deployment']) state[k] = q.get(k) ?? '';
  state.preset = q.get('preset') ?? (state.from || state.to ? '' : 'all');
  if (state.preset in PRESETS) state.from = isoMinutes(Date.now() - PRESETS[state.preset]);
}

function writeUrl() {
  const q = new URLSearchParams();
  if (state.project) q.set('project', state.project);
  if (state.family) q.set('family', state.family);
  if (state.endpoint) q.set('endpoint', state.endpoint);
  if (state.preset && state.preset !== 'all') q.set('preset', state.preset);
  else {
    if (state.from) q.set('from', state.from);
    if (state.to) q.set('to', state.to);
  }
  if (state.deployment) q.set('deployment', state.deployment);
  const query = q.toString();
  history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}`);
}

function isoMinutes(ms) {
  return new Date(ms).toISOString().slice(0, 16) + 'Z';
}

function fillSelect(select, options, value, allLabel) {
  select.replaceChildren(el('option', { value: '' }, allLabel), ...options.map((o) => el('option', { value: o.value }, o.label)));
  select.value = options.some((o) => o.value === value) ? value : '';
}

function fillEndpoints() {
  const shown = state.endpoints.filter((e) => !state.family || e.family === state.family);
  fillSelect($('filter-endpoint'), shown.map((e) => ({ value: e.name, label: e.name })), state.endpoint, 'all endpoints');
  state.endpoint = $('filter-endpoint').value;
}

function showFilters() {
  $('filter-from').value = state.from;
  $('filter-to').value = state.to;
  for (const b of document.querySelectorAll('[data-preset]')) b.classList.toggle('active', b.dataset.preset === state.preset);
}

async function loadFilters() {
  const f = await api('/api/filters', {});
  globalThis.dashboard.data.filters = f;
  state.endpoints = f.endpoints;
  state.deployments = f.deployments === true;
  fillSelect($('filter-project'), (f.projects ?? []).map((x) => ({ value: x, label: x })), state.project, 'all projects');
  state.project = $('filter-project').value;
  fillSelect($('filter-family'), f.families.map((x) => ({ value: x, label: x })), state.family, 'all families');
  state.family = $('filter-family').value;
  fillEndpoints();
  if (f.timeRange) $('filters').title = `data from ${fmtTime(f.timeRange.from)} to ${fmtTime(f.timeRange.to)} UTC`;
}

function bindFilters() {
  $('filter-project').addEventListener('change', () => {
    state.project = $('filter-project').value;
    void refresh();
  });
  $('filter-family').addEventListener('change', () => {
    state.family = $('filter-family').value;
    fillEndpoints();
    void refresh();
  });
  $('filter-endpoint').addEventListener('change', () => {
    state.endpoint = $('filter-endpoint').value;
    void refresh();
  });
  for (const b of document.querySelectorAll('[data-preset]')) {
    b.addEventListener('click', () => {
      state.preset = b.dataset.preset;
      state.from = state.preset in PRESETS ? isoMinutes(Date.now() - PRESETS[state.preset]) : '';
      state.to = '';
      showFilters();
      void refresh();
    });
  }
  $('filters').addEventListener('submit', (e) => {
    e.preventDefault();
    state.from = $('filter-from').value.trim();
    state.to = $('filter-to').value.trim();
    state.preset = state.from || state.to ? '' : 'all';
    showFilters();
    void refresh();
  });
}

// ---- charts --------------------------------------------------------------------------------

const timeTicks = { callback: (v) => fmtTime(new Date(v).toISOString()), maxRotation: 0, autoSkipPadding: 16 };

function drawDrift(records) {
  const series = new Map();
  const families = new Set(records.map((r) => r.family));
  for (const r of records) {
    if (r.currentValue === null) continue;
    const name = `${families.size > 1 ? `${r.family} · ` : ''}${r.feature ?? r.kind} · ${r.metric ?? r.checkType}`;
    // one point per monitoring run and series (the run's current value)
    const s = series.get(name) ?? { kind: r.kind, points: new Map() };
    s.points.set(`${r.monitoringWorkflowId}/${r.monitoringRunId}`, { x: Date.parse(r.detectedAt), y: r.currentValue, record: r });
    series.set(name, s);
  }
  // Distances (data drift) and model metrics (RMSE...) differ by orders of magnitude: two axes.
  const datasets = [...series].map(([label, s], i) => ({
    label,
    data: [...s.points.values()].sort((a, b) => a.x - b.x),
    yAxisID: s.kind === 'model' ? 'y1' : 'y',
    borderColor: PALETTE[i % PALETTE.length],
    backgroundColor: PALETTE[i % PALETTE.length],
    borderDash: s.kind === 'model' ? [6, 4] : undefined,
    pointRadius: 3,
    tension: 0.2,
  }));
  $('drift-chart-empty').hidden = datasets.length > 0;
  // With runs at a single instant the linear axis would span years around it: pad by an hour.
  const xs = datasets.flatMap((d) => d.data.map((p) => p.x));
  const single = xs.length > 0 && Math.min(...xs) === Math.max(...xs);
  const xRange = single ? { min: xs[0] - 3600_000, max: xs[0] + 3600_000 } : { min: undefined, max: undefined };
  if (!charts.drift) {
    charts.drift = new Chart($('drift-chart'), {
      type: 'line',
      data: { datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        parsing: false,
        interaction: { mode: 'nearest', intersect: false },
        scales: {
          x: { type: 'linear', ticks: timeTicks, ...xRange },
          y: { display: 'auto', title: { display: true, text: 'data drift: distance' } },
          y1: { display: 'auto', position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: 'model quality: metric' } },
        },
        plugins: {
          legend: { position: 'bottom', labels: { boxWidth: 12 } },
          tooltip: {
            callbacks: {
              title: (items) => fmtTime(new Date(items[0].parsed.x).toISOString()) + ' UTC',
              afterLabel: (item) => {
                const r = item.raw.record;
                return `baseline ${fmtNum(r.baselineValue)} · v${r.modelVersion} · ${r.endpointName ?? r.source}`;
              },
            },
          },
        },
      },
    });
  } else {
    charts.drift.data.datasets = datasets;
    Object.assign(charts.drift.options.scales.x, xRange);
    charts.drift.update();
  }
}

function drawInference(hours) {
  const labels = [...new Set(hours.map((h) => h.hour))].sort();
  const endpoints = [...new Set(hours.map((h) => h.endpointName))].sort();
  const at = new Map(hours.map((h) => [`${h.hour}|${h.endpointName}`, h]));
  const datasets = endpoints.flatMap((ep, i) => {
    const color = PALETTE[i % PALETTE.length];
    const row = (hour) => at.get(`${hour}|${ep}`);
    return [
      { type: 'bar', label: `${ep} requests`, data: labels.map((h) => row(h)?.requests ?? 0), backgroundColor: `${color}99`, borderColor: color, yAxisID: 'y', order: 2 },
      { type: 'line', label: `${ep} mean prediction`, data: labels.map((h) => row(h)?.predictionMean ?? null), borderColor: color, backgroundColor: color, yAxisID: 'y1', spanGaps: true, pointRadius: 2, tension: 0.2, order: 1 },
    ];
  });
  const shown = labels.map((h) => fmtTime(h));
  $('inference-chart-empty').hidden = labels.length > 0;
  if (!charts.inference) {
    charts.inference = new Chart($('inference-chart'), {
      data: { labels: shown, datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { stacked: true, ticks: { maxRotation: 0, autoSkipPadding: 16 } },
          y: { stacked: true, beginAtZero: true, title: { display: true, text: 'requests per hour' } },
          y1: { position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: 'mean prediction' } },
        },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
      },
    });
  } else {
    charts.inference.data.labels = shown;
    charts.inference.data.datasets = datasets;
    charts.inference.update();
  }
}

// ---- tables --------------------------------------------------------------------------------

function fillTable(id, rows, columns, emptyText) {
  const body = $(id).querySelector('tbody');
  if (!rows.length) {
    body.replaceChildren(el('tr', { class: 'empty-row' }, el('td', { colspan: columns }, emptyText)));
    return;
  }
  body.replaceChildren(...rows);
}

function driftRows(records) {
  return [...records].reverse().map((r) => {
    const over = r.currentValue !== null && r.baselineValue !== null && Math.abs(r.currentValue) > Math.abs(r.baselineValue);
    return el(
      'tr',
      { 'data-testid': 'drift-row', 'data-family': r.family, 'data-run-id': r.monitoringRunId },
      el('td', {}, fmtTime(r.detectedAt)),
      el('td', {}, `${r.family} v${r.modelVersion}`),
      el('td', {}, r.endpointName ?? `(${r.source})`),
      el('td', {}, el('span', { class: `badge ${r.kind}` }, r.kind)),
      el('td', {}, r.feature ?? '–'),
      el('td', { class: 'wrap' }, r.metric ?? r.checkType, el('span', { class: 'desc' }, r.description)),
      el('td', { class: 'num' }, fmtNum(r.baselineValue)),
      el('td', { class: `num${over ? ' over' : ''}` }, fmtNum(r.currentValue)),
      el('td', {}, `${fmtTime(r.windowStart)} → ${fmtTime(r.windowEnd).slice(11)}`),
      el('td', { class: 'links' }, link(r.runUrl, 'run', 'drift-run-link'), link(r.dataUrl, 'data', 'drift-data-link'), link(r.reportUrl, 'report', 'drift-report-link')),
    );
  });
}

/** Step 6 on the same rows: "2,300 vs 2,400 (v4) on 120 rows, -4.2 %", plus findings a person should see. */
function comparisonText(v) {
  const parts = [];
  const c = v.comparison;
  if (c) {
    const ours = c.challenger.validation.rmse;
    const theirs = c.champion.validation.rmse;
    const pct = theirs > 0 ? ` ${((100 * (ours - theirs)) / theirs).toFixed(1)} %` : '';
    const ci = c.bootstrap ? `; ${Math.round(c.bootstrap.confidence * 100)} % CI [${fmtNum(c.bootstrap.differenceLow)}, ${fmtNum(c.bootstrap.differenceHigh)}]` : '';
    parts.push(`${fmtNum(ours)} vs ${fmtNum(theirs)} (champion v${c.championVersion}) on ${c.rows.validation} rows,${pct}${ci}`);
  }
  for (const w of v.warnings ?? []) parts.push(el('div', { class: 'desc warning' }, `⚠ ${w}`));
  return parts.length ? parts : '–';
}

function modelRows(versions) {
  const m = (v, split, k) => fmtNum(v.metrics?.[split]?.[k]);
  // Versions of several projects ("all projects") may share family names: the project tells them apart.
  const named = new Set(versions.map((v) => v.project)).size > 1;
  return [...versions].reverse().map((v) =>
    el(
      'tr',
      { 'data-testid': 'model-row', 'data-family': v.family, 'data-project': v.project },
      el('td', {}, named ? `${v.project} / ${v.family}` : v.family),
      el('td', { class: 'num' }, v.version),
      el('td', {}, el('span', { class: `badge ${v.status}` }, v.status === 'PendingManualApproval' ? 'pending' : v.status)),
      el('td', { class: 'wrap' }, v.decision ? [el('span', { class: `badge ${v.decision.outcome}` }, v.decision.outcome), ' ', el('span', { class: 'desc' }, `${v.decision.reason} (${v.decision.decidedBy})`)] : '–'),
      el('td', { class: 'num' }, m(v, 'validation', 'rmse')),
      el('td', { class: 'num' }, m(v, 'validation', 'mae')),
      el('td', { class: 'num' }, m(v, 'validation', 'r2')),
      el('td', { class: 'num' }, m(v, 'test', 'rmse')),
      el('td', { class: 'num' }, m(v, 'test', 'mae')),
      el('td', { class: 'num' }, m(v, 'test', 'r2')),
      el('td', { class: 'wrap', 'data-testid': 'model-comparison' }, comparisonText(v)),
      el('td', {}, fmtTime(v.createdAt)),
      el('td', { class: 'links' }, link(v.runUrl, 'training run', 'model-run-link')),
    ),
  );
}

function scoringRows(records) {
  return [...records].reverse().map((r) =>
    el(
      'tr',
      { 'data-testid': 'scoring-row', 'data-family': r.family },
      el('td', {}, fmtTime(r.scoredAt)),
      el('td', {}, `${r.family} v${r.modelVersion}`),
      el('td', { class: 'num' }, r.records.toLocaleString('en-US')),
      el('td', { class: 'num' }, fmtNum(r.predictionMean)),
      el('td', { class: 'num' }, fmtNum(r.predictionMin)),
      el('td', { class: 'num' }, fmtNum(r.predictionMax)),
      el('td', {}, el('code', {}, r.inputUri.replace(/^s3:\/\/[^/]+\//, ''))),
      el('td', { class: 'links' }, link(r.runUrl, 'run', 'scoring-run-link'), link(r.dataUrl, 'captured', 'scoring-data-link'), link(r.outputUrl, 'output', 'scoring-output-link')),
    ),
  );
}

// ---- deployments ---------------------------------------------------------------------------

// Class names come from these tables only, never from the data.
const PHASE_CLASS = { completed: 'completed', 'rolled-back': 'rolled-back', failed: 'failed' };
const ALARM_CLASS = { OK: 'OK', ALARM: 'ALARM', INSUFFICIENT_DATA: 'INSUFFICIENT_DATA' };
const phaseBadge = (phase) => el('span', { class: `badge ${PHASE_CLASS[phase] ?? 'active'}`, 'data-testid': 'deployment-phase' }, phase);
const share = (v) => `${Math.round(v * 1000) / 10} %`;

function trafficText(traffic) {
  if (!traffic?.length) return '–';
  return traffic.map((t) => `${t.modelName} ${share(t.share)}${t.role === 'shadow' ? ' (shadow)' : ''}`).join(', ');
}

function alarmValue(a) {
  if (a.value === undefined || a.value === null) return '–';
  return a.name === 'p99-latency' ? `${fmtNum(a.value)} ms` : share(a.value);
}

function alarmThreshold(a) {
  return a.name === 'p99-latency' ? `${fmtNum(a.threshold)} ms` : share(a.threshold);
}

function alarmCell(alarms) {
  if (!alarms?.length) return '–';
  return alarms.map((a) => el('div', { 'data-testid': 'deployment-alarm', 'data-alarm': a.name }, el('span', { class: `badge ${ALARM_CLASS[a.state] ?? ''}` }, a.state), ` ${a.name} ${alarmValue(a)} / ${alarmThreshold(a)}`));
}

/** Who promoted or aborted and why, or why it rolled back on its own. */
function decidedText(s) {
  const parts = [];
  if (s?.decision) parts.push(el('div', { 'data-testid': 'deployment-decision' }, `${s.decision.action} by ${s.decision.by}: ${s.decision.reason}`, el('span', { class: 'desc' }, fmtTime(s.decision.at))));
  if (s?.rollback) parts.push(el('div', { 'data-testid': 'deployment-rollback' }, `rolled back${s.rollback.by ? ` by ${s.rollback.by}` : ''}: ${s.rollback.reason}`, el('span', { class: 'desc' }, fmtTime(s.rollback.at))));
  return parts.length ? parts : '–';
}

/** Grouped per endpoint (a heading row each), newest first within an endpoint, as the API lists them. */
function deploymentRows(rows) {
  const byEndpoint = new Map();
  for (const d of rows) byEndpoint.set(d.endpointName, [...(byEndpoint.get(d.endpointName) ?? []), d]);
  return [...byEndpoint.keys()]
    .sort()
    .flatMap((endpoint) => [
      el('tr', { class: 'group', 'data-testid': 'deployment-endpoint' }, el('th', { colspan: 10 }, `${endpoint} · ${byEndpoint.get(endpoint).length} deployment${byEndpoint.get(endpoint).length === 1 ? '' : 's'}`)),
      ...deploymentRowsOf(byEndpoint.get(endpoint)),
    ]);
}

function deploymentRowsOf(rows) {
  return rows.map((d) => {
    const s = d.state;
    const open = el('button', { type: 'button', class: 'linkish', 'data-testid': 'deployment-open' }, 'details');
    open.addEventListener('click', () => void openDeployment(d.deployment));
    return el(
      'tr',
      { 'data-testid': 'deployment-row', 'data-deployment': d.deployment, class: d.deployment === state.deployment ? 'selected' : undefined },
      el('td', {}, d.endpointName),
      el('td', {}, s ? `${s.target.modelName} (v${s.target.version})` : `v${d.version}`),
      el('td', {}, s ? phaseBadge(s.phase) : el('span', { class: 'desc' }, d.problem ?? d.status)),
      el('td', { class: 'wrap' }, d.policyText ?? '–'),
      el('td', { class: 'wrap', 'data-testid': 'deployment-traffic' }, trafficText(s?.traffic)),
      el('td', {}, alarmCell(s?.alarms)),
      el('td', { class: 'wrap' }, decidedText(s)),
      el('td', {}, fmtTime(d.startTime)),
      el('td', {}, d.closeTime ? fmtTime(d.closeTime) : d.status === 'RUNNING' ? 'running' : '–'),
      el('td', { class: 'links' }, open, link(d.runUrl, 'run', 'deployment-run-link')),
    );
  });
}

function fact(term, ...value) {
  return [el('dt', {}, term), el('dd', {}, ...value)];
}

function differenceLabel(b) {
  return b.upper === null ? `> ${fmtNum(b.lower, 4)}` : `${fmtNum(b.lower, 4)}–${fmtNum(b.upper, 4)}`;
}

function drawShadow(report) {
  const buckets = report.relativeDifference.buckets;
  const labels = buckets.map(differenceLabel);
  const datasets = [{ label: 'mirrored requests', data: buckets.map((b) => b.count), backgroundColor: `${PALETTE[1]}99`, borderColor: PALETTE[1], borderWidth: 1 }];
  if (!charts.shadow) {
    charts.shadow = new Chart($('shadow-chart'), {
      type: 'bar',
      data: { labels, datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          x: { title: { display: true, text: 'relative difference' }, ticks: { maxRotation: 45 } },
          y: { beginAtZero: true, title: { display: true, text: 'mirrored requests' } },
        },
        plugins: { legend: { display: false } },
      },
    });
  } else {
    charts.shadow.data.labels = labels;
    charts.shadow.data.datasets = datasets;
    charts.shadow.update();
  }
}

function showShadow(report) {
  $('shadow-comparison').hidden = !report;
  if (!report) return;
  const d = report.relativeDifference;
  $('shadow-summary').textContent = `${report.pairs.toLocaleString('en-US')} pairs, ${report.dropped.toLocaleString('en-US')} mirrored requests dropped; difference p50 ${fmtNum(d.p50, 4)}, p90 ${fmtNum(d.p90, 4)}, p99 ${fmtNum(d.p99, 4)}`;
  const row = (role, v) =>
    el(
      'tr',
      { 'data-testid': 'shadow-row', 'data-role': role },
      el('td', {}, role),
      el('td', {}, v.variantName),
      el('td', { class: 'num' }, v.invocations.toLocaleString('en-US')),
      el('td', { class: 'num' }, v.errors.toLocaleString('en-US')),
      el('td', { class: 'num' }, v.errorRate === undefined ? '–' : share(v.errorRate)),
      el('td', { class: 'num' }, fmtNum(v.latencyMs.p50)),
      el('td', { class: 'num' }, fmtNum(v.latencyMs.p95)),
      el('td', { class: 'num' }, fmtNum(v.latencyMs.p99)),
    );
  fillTable('shadow-table', [row('champion', report.champion), row('shadow', report.shadow)], 8, '');
  drawShadow(report);
}

function showDeployment(d) {
  const s = d.state;
  $('deployment-detail').hidden = false;
  $('deployment-title').replaceChildren(`${d.deployment}: ${s.target.modelName} (v${s.target.version}) `, phaseBadge(s.phase));
  const requested = `${s.requestedBy.kind}${s.requestedBy.by ? ` by ${s.requestedBy.by}` : ''} (${s.requestedBy.workflowId})`;
  $('deployment-facts').replaceChildren(
    ...fact('Policy', d.policyText, s.mode ? ` (${s.mode === 'managed' ? "SageMaker's guardrails" : 'shifted by the workflow'})` : ''),
    ...fact('Traffic', trafficText(s.traffic)),
    ...(s.step ? fact('Step', `${s.step.index} of ${s.step.of}, ${share(s.step.share)}${s.step.until ? ` until ${fmtTime(s.step.until)}` : ''}`) : []),
    ...(s.previous ? fact('Previous', `${s.previous.modelName} (${s.previous.endpointConfigName})`) : []),
    ...(s.decision || s.rollback ? fact('Decided', decidedText(s)) : []),
    ...fact('Requested', link(d.requestedByUrl, requested, 'deployment-requested-link') ?? requested),
    ...fact('Temporal', `${d.status} · started ${fmtTime(d.startTime)}${d.closeTime ? ` · closed ${fmtTime(d.closeTime)}` : ''} · updated ${fmtTime(s.updatedAt)} `, link(d.runUrl, 'open in the Temporal UI', 'deployment-detail-run-link')),
  );
  fillTable(
    'deployment-alarms',
    s.alarms.map((a) =>
      el(
        'tr',
        { 'data-testid': 'deployment-alarm-row', 'data-alarm': a.name },
        el('td', {}, a.name),
        el('td', {}, el('span', { class: `badge ${ALARM_CLASS[a.state] ?? ''}` }, a.state)),
        el('td', { class: `num${a.state === 'ALARM' ? ' over' : ''}` }, alarmValue(a)),
        el('td', { class: 'num' }, alarmThreshold(a)),
        el('td', { class: 'num' }, a.sample.toLocaleString('en-US')),
        el('td', { class: 'wrap' }, a.reason),
      ),
    ),
    6,
    'No alarm read yet.',
  );
  const last = s.readings.at(-1);
  fillTable(
    'deployment-readings',
    (last?.variants ?? []).map((v) =>
      el(
        'tr',
        { 'data-testid': 'deployment-reading-row' },
        el('td', {}, v.variantName),
        el('td', {}, v.role),
        el('td', { class: 'num' }, v.invocations.toLocaleString('en-US')),
        el('td', { class: 'num' }, v.errors.toLocaleString('en-US')),
        el('td', { class: 'num' }, fmtNum(v.latencyMs.p50)),
        el('td', { class: 'num' }, fmtNum(v.latencyMs.p99)),
      ),
    ),
    6,
    'No reading over the alarm window yet.',
  );
  showShadow(d.shadowReport);
}

let detailGeneration = 0;

async function openDeployment(id) {
  const mine = ++detailGeneration;
  state.deployment = id;
  writeUrl();
  for (const tr of document.querySelectorAll('[data-testid="deployment-row"]')) tr.classList.toggle('selected', tr.dataset.deployment === id);
  try {
    const { deployment } = await api('/api/deployment', { id, project: state.project });
    if (mine !== detailGeneration) return;
    globalThis.dashboard.data.deployment = deployment;
    showDeployment(deployment);
  } catch (err) {
    if (mine !== detailGeneration) return;
    $('deployment-detail').hidden = true;
    setStatus(`deployment ${id}: ${err instanceof Error ? err.message : String(err)}`, true);
  } finally {
    if (mine === detailGeneration) document.body.dataset.deploymentLoads = String(Number(document.body.dataset.deploymentLoads ?? 0) + 1);
  }
}

function showDeployments(answer) {
  const note = $('deployments-note');
  if (answer.error) {
    note.hidden = false;
    note.textContent = `Deployments could not be read: ${answer.error}`;
    fillTable('deployments-table', [], 10, 'No deployments shown.');
    return;
  }
  note.hidden = true;
  fillTable('deployments-table', deploymentRows(answer.deployments), 10, 'No deployments: step 10 of a training run starts one.');
  if (state.deployment && !answer.deployments.some((d) => d.deployment === state.deployment)) {
    state.deployment = '';
    $('deployment-detail').hidden = true;
    writeUrl();
  }
}

// ---- loading -------------------------------------------------------------------------------

let generation = 0;

async function refresh() {
  const mine = ++generation;
  writeUrl();
  setStatus('Loading…');
  const win = { from: state.from, to: state.to };
  try {
    const [drift, models, inference, scoring, deployments] = await Promise.all([
      api('/api/drift', { project: state.project, family: state.family, endpoint: state.endpoint, ...win }),
      api('/api/models', { project: state.project, family: state.family }),
      api('/api/inference', { project: state.project, family: state.family, endpoint: state.endpoint, ...win }),
      api('/api/scoring', { project: state.project, family: state.family, ...win }),
      // Deployments come from Temporal: when it cannot answer, the insights still show.
      state.deployments
        ? api('/api/deployments', { project: state.project, family: state.family, endpoint: state.endpoint, ...win }).catch((err) => ({ error: err instanceof Error ? err.message : String(err), deployments: [] }))
        : { error: 'this dashboard reads no Temporal server', deployments: [] },
    ]);
    if (mine !== generation) return; // a newer filter change is on its way
    Object.assign(globalThis.dashboard.data, { drift: drift.records, models: models.versions, inference: inference.hours, scoring: scoring.records, deployments: deployments.deployments });
    showDeployments(deployments);
    if (state.deployment) void openDeployment(state.deployment);
    drawDrift(drift.records);
    drawInference(inference.hours);
    fillTable('drift-table', driftRows(drift.records), 10, 'No drift records in this window.');
    fillTable('models-table', modelRows(models.versions), 13, 'No model versions registered.');
    fillTable('scoring-table', scoringRows(scoring.records), 8, 'No scoring runs in this window.');
    $('stat-drift').textContent = drift.records.length.toLocaleString('en-US');
    $('stat-runs').textContent = new Set(drift.records.map((r) => `${r.monitoringWorkflowId}/${r.monitoringRunId}`)).size.toLocaleString('en-US');
    $('stat-models').textContent = models.versions.length.toLocaleString('en-US');
    $('stat-requests').textContent = inference.hours.reduce((s, h) => s + h.requests, 0).toLocaleString('en-US');
    $('stat-scoring').textContent = new Set(scoring.records.map((r) => `${r.scoringWorkflowId}/${r.scoringRunId}`)).size.toLocaleString('en-US');
    const scope = [state.family || 'all families', state.endpoint || 'all endpoints', state.from || state.to ? `${state.from || '…'} → ${state.to || 'now'}` : 'all time'].join(' · ');
    setStatus(`${scope} — updated ${new Date().toLocaleTimeString()}`);
  } catch (err) {
    if (mine !== generation) return;
    setStatus(err instanceof Error ? err.message : String(err), true);
  } finally {
    if (mine === generation) {
      globalThis.dashboard.loads += 1;
      globalThis.dashboard.ready = true;
      document.body.dataset.loads = String(globalThis.dashboard.loads);
    }
  }
}

async function start() {
  if (!Chart) {
    setStatus('Chart.js did not load from /vendor/chart.umd.js', true);
    return;
  }
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  readUrl();
  bindFilters();
  try {
    await loadFilters();
  } catch (err) {
    setStatus(err instanceof Error ? err.message : String(err), true);
  }
  showFilters();
  await refresh();
}

void start();
