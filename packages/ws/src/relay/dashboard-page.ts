/**
 * The live dashboard served at `GET /` when the relay runs with `dashboard: true`. One
 * self-contained page (no external assets, so it works on an offline network): it polls
 * `/directory`, `/stats` and `/health` every second and updates the tables in place — rows are keyed by node
 * id and by `Service.method`, so a row keeps its place (and a selection in it) while its figures
 * change. Call rates are differences between two polls; the sparkline shows the last minute.
 * In a cluster it also shows the cluster's state and the relay each node is on.
 */
export function renderDashboardPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Spider Mesh relay</title>
<style>
  :root { color-scheme: light dark; --muted: #888; --ok: #2a9d4b; --bad: #d0443a; --warn: #c98a12; --line: #8883; --accent: #3b6fd8; }
  body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  h2 { font-size: 15px; margin: 24px 0 8px; }
  .muted { color: var(--muted); }
  .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); gap: 12px; margin-top: 12px; }
  .card { border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; }
  .card span { font-size: 12px; white-space: nowrap; }
  .card b { display: block; font-size: 20px; font-variant-numeric: tabular-nums; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: middle; }
  th { font-weight: 600; font-size: 12px; text-transform: uppercase; color: var(--muted); }
  th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  td.id { font-family: ui-monospace, monospace; font-size: 13px; }
  .tag { display: inline-block; border: 1px solid var(--line); border-radius: 4px; padding: 0 6px; margin: 1px 2px; }
  .tag.topic { border-style: dashed; }
  .err { color: var(--bad); }
  .draining { color: var(--warn); }
  .empty td { color: var(--muted); text-align: center; }
  svg.spark { vertical-align: middle; margin-right: 8px; }
  svg.spark polyline { fill: none; stroke: var(--accent); stroke-width: 1.5; }
  svg.spark line { stroke: var(--line); }
  #status.ok, #cluster.ok { color: var(--ok); } #status.down, #cluster.down { color: var(--bad); }
  table.solo .relay { display: none; }
  .tag.differs { border-color: #c62828; color: #c62828; }
</style>
</head>
<body>
<h1>Spider Mesh relay</h1>
<div class="muted"><span id="address"></span> &middot; refreshed every second &middot; <span id="status">connecting…</span><span id="cluster"></span></div>
<div class="cards">
  <div class="card"><span class="muted">Nodes</span><b id="c-nodes">–</b></div>
  <div class="card"><span class="muted">Connections</span><b id="c-connections">–</b></div>
  <div class="card"><span class="muted">Services</span><b id="c-services">–</b></div>
  <div class="card"><span class="muted">Calls / s</span><b id="c-rate">–</b></div>
  <div class="card"><span class="muted">Calls in flight</span><b id="c-pending">–</b></div>
  <div class="card"><span class="muted">Calls total</span><b id="c-calls">–</b></div>
  <div class="card"><span class="muted">Pub/sub deliveries</span><b id="c-deliveries">–</b></div>
  <div class="card"><span class="muted">Uptime</span><b id="c-uptime">–</b></div>
</div>
<h2>Nodes</h2>
<table id="nodes" class="solo"><thead><tr><th>Node</th><th class="relay">Relay</th><th>Role</th><th>Services and topics</th><th>Runtime</th><th>Labels</th><th class="num">RTT</th><th class="num">In flight</th><th class="num">Connected</th></tr></thead><tbody></tbody></table>
<h2>Calls</h2>
<table id="calls"><thead><tr><th>Service.method</th><th class="num">Calls / s (last minute)</th><th class="num">OK</th><th class="num">Errors</th><th class="num">Offline</th><th class="num">Cancelled</th><th class="num">Overloaded</th><th class="num">Expired</th><th class="num">In flight</th><th class="num">p50</th><th class="num">p99</th></tr></thead><tbody></tbody></table>
<script>
const HISTORY = 60;
const OUTCOMES = ['ok', 'error', 'offline', 'cancelled', 'overloaded', 'expired'];
const previous = new Map(); const history = new Map(); let previousAt = 0;
document.getElementById('address').textContent = location.host;
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const ms = (v) => v == null ? '–' : (v < 1 ? v.toFixed(2) : v.toFixed(1)) + ' ms';
const age = (iso) => { const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 60 ? s + ' s' : s < 3600 ? Math.floor(s / 60) + ' min' : Math.floor(s / 3600) + ' h ' + Math.floor(s % 3600 / 60) + ' min'; };
const duration = (s) => s < 60 ? s + ' s' : s < 3600 ? Math.floor(s / 60) + ' min ' + (s % 60) + ' s' : Math.floor(s / 3600) + ' h ' + Math.floor(s % 3600 / 60) + ' min';
function spark(values) {
  const max = Math.max(1, ...values); const w = 90; const h = 18; const step = w / (HISTORY - 1);
  const offset = HISTORY - values.length;
  const points = values.map((v, i) => ((offset + i) * step).toFixed(1) + ',' + (h - 1 - (v / max) * (h - 2)).toFixed(1)).join(' ');
  return '<svg class="spark" width="' + w + '" height="' + h + '" aria-hidden="true"><line x1="0" y1="' + (h - 0.5) + '" x2="' + w + '" y2="' + (h - 0.5) + '"/><polyline points="' + points + '"/></svg>';
}
function rows(table, items, key, render, empty) {
  const body = document.querySelector('#' + table + ' tbody');
  const seen = new Set();
  for (const item of items) {
    const id = key(item); seen.add(id);
    let row = body.querySelector('tr[data-id="' + CSS.escape(id) + '"]');
    if (!row) { row = document.createElement('tr'); row.dataset.id = id; body.appendChild(row); }
    const html = render(item);
    if (row.innerHTML !== html) row.innerHTML = html;
  }
  for (const row of [...body.rows]) if (!seen.has(row.dataset.id)) row.remove();
  if (items.length === 0) body.innerHTML = '<tr class="empty"><td colspan="' + body.parentElement.tHead.rows[0].cells.length + '">' + empty + '</td></tr>';
}
function renderNode(n) {
  const labels = Object.entries(n.meta).filter(([k, v]) => k !== 'runtime' && k !== 'version' && v != null)
    .map(([k, v]) => '<span class="tag">' + esc(k) + '=' + esc(v) + '</span>').join('');
  // name@version; a service whose providers announced different methods or versions is flagged.
  const what = n.services.map((s) => serviceTag(s, n.catalog && n.catalog[s])).join('') +
    n.topics.map((t) => '<span class="tag topic" title="subscribed topic">' + esc(t) + '</span>').join('');
  const role = n.role === 'server' && !n.routable ? '<span class="draining">draining</span>' : esc(n.role);
  return '<td class="id">' + esc(n.node_id) + '</td><td class="relay">' + esc(n.relay ?? '–') + '</td><td>' + role + '</td><td>' + (what || '<span class="muted">none</span>') +
    '</td><td>' + esc([n.meta.runtime, n.meta.version].filter(Boolean).join(' ') || '–') + '</td><td>' + (labels || '<span class="muted">–</span>') +
    '</td><td class="num">' + ms(n.rtt_ms) + '</td><td class="num">' + n.calls_in_flight + '</td><td class="num">' + (n.connected_at ? age(n.connected_at) : '–') + '</td>';
}
let summaries = {};
function serviceTag(s, info) {
  const differs = summaries[s] && summaries[s].differs;
  const label = esc(s) + (info && info.version ? '@' + esc(info.version) : '');
  const title = differs ? 'the providers of this service differ in methods or version: calls go only to those that have the method' : (info ? 'methods: ' + info.methods.join(', ') : '');
  return '<span class="tag' + (differs ? ' differs' : '') + '" title="' + esc(title) + '">' + label + (differs ? ' ≠' : '') + '</span>';
}
function renderCall(c) {
  return '<td class="id">' + esc(c.key) + '</td><td class="num">' + spark(c.history) + c.rate.toFixed(1) + '</td><td class="num">' + c.ok +
    '</td><td class="num' + (c.error ? ' err' : '') + '">' + c.error + '</td><td class="num">' + c.offline + '</td><td class="num">' + c.cancelled + '</td><td class="num' + (c.overloaded ? ' err' : '') + '">' + (c.overloaded || 0) +
    '</td><td class="num' + (c.expired ? ' err' : '') + '">' + (c.expired || 0) +
    '</td><td class="num">' + c.in_flight + '</td><td class="num">' + ms(c.latency_ms && c.latency_ms.p50) + '</td><td class="num">' +
    ms(c.latency_ms && c.latency_ms.p99) + '</td>';
}
async function refresh() {
  try {
    const [dir, stats, health] = await Promise.all(['/directory', '/stats', '/health'].map((p) => fetch(p).then((r) => r.json())));
    const now = performance.now(); const seconds = previousAt ? (now - previousAt) / 1000 : 0;
    let totalRate = 0; let totalCalls = 0;
    const calls = stats.calls.map((c) => {
      const key = c.service + '.' + c.method; const done = OUTCOMES.reduce((sum, o) => sum + (c[o] || 0), 0);
      // A method first seen after the first poll had all its calls since that poll.
      const rate = seconds ? Math.max(0, (done - (previous.get(key) ?? 0)) / seconds) : 0;
      previous.set(key, done); totalRate += rate; totalCalls += done;
      const past = history.get(key) || [0]; past.push(rate); if (past.length > HISTORY) past.shift(); history.set(key, past);
      return { ...c, key, rate, history: past };
    });
    previousAt = now; summaries = dir.service_catalog || {};
    document.getElementById('c-nodes').textContent = stats.nodes;
    document.getElementById('c-connections').textContent = stats.connections;
    document.getElementById('c-services').textContent = stats.services;
    document.getElementById('c-pending').textContent = stats.pending;
    document.getElementById('c-rate').textContent = totalRate < 10 ? totalRate.toFixed(1) : Math.round(totalRate);
    document.getElementById('c-calls').textContent = totalCalls;
    document.getElementById('c-deliveries').textContent = stats.deliveries;
    document.getElementById('c-uptime').textContent = duration(stats.uptime_s);
    // In a cluster: its state, and a Relay column (a node on other relays gets a row per relay).
    const cluster = health.cluster; const clusterEl = document.getElementById('cluster');
    clusterEl.textContent = cluster ? ' · cluster: ' + (cluster.state === 'connected' ? 'connected' : 'degraded (NATS ' + cluster.state + ')') + ', ' + cluster.relays + (cluster.relays === 1 ? ' relay' : ' relays') : '';
    clusterEl.className = cluster ? (cluster.state === 'connected' ? 'ok' : 'down') : '';
    document.getElementById('nodes').classList.toggle('solo', !cluster);
    const nodes = [...dir.nodes].sort((a, b) => a.node_id.localeCompare(b.node_id) || String(a.relay).localeCompare(String(b.relay)));
    rows('nodes', nodes, (n) => n.connected_at ? n.node_id : n.node_id + '@' + n.relay, renderNode, 'No nodes connected yet.');
    rows('calls', calls, (c) => c.key, renderCall, 'No calls yet.');
    const status = document.getElementById('status'); status.textContent = 'live'; status.className = 'ok';
  } catch (err) {
    const status = document.getElementById('status'); status.textContent = 'relay unreachable (retrying)'; status.className = 'down';
  }
}
refresh(); setInterval(refresh, 1000);
</script>
</body>
</html>
`
}
