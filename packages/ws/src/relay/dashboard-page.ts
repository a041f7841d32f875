/**
 * The live dashboard served at `GET /` when the relay runs with `dashboard: true`. One
 * self-contained page (no external assets, so it works on an offline network): it polls
 * `/directory` and `/stats` every second and updates the tables in place.
 */
export function renderDashboardPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Spider Mesh relay</title>
<style>
  :root { color-scheme: light dark; --muted: #888; --ok: #2a9d4b; --bad: #d0443a; --line: #8883; }
  body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  h2 { font-size: 15px; margin: 24px 0 8px; }
  .muted { color: var(--muted); }
  .cards { display: flex; gap: 12px; flex-wrap: wrap; margin-top: 12px; }
  .card { border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; min-width: 110px; }
  .card b { display: block; font-size: 20px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { font-weight: 600; font-size: 12px; text-transform: uppercase; color: var(--muted); }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .tag { display: inline-block; border: 1px solid var(--line); border-radius: 4px; padding: 0 6px; margin: 1px 2px; }
  .err { color: var(--bad); }
  #status.ok { color: var(--ok); } #status.down { color: var(--bad); }
</style>
</head>
<body>
<h1>Spider Mesh relay</h1>
<div class="muted">Live view, refreshed every second &middot; <span id="status">connecting…</span></div>
<div class="cards">
  <div class="card"><span class="muted">Nodes</span><b id="c-nodes">–</b></div>
  <div class="card"><span class="muted">Connections</span><b id="c-connections">–</b></div>
  <div class="card"><span class="muted">Services</span><b id="c-services">–</b></div>
  <div class="card"><span class="muted">Calls in flight</span><b id="c-pending">–</b></div>
  <div class="card"><span class="muted">Calls / s</span><b id="c-rate">–</b></div>
  <div class="card"><span class="muted">Uptime</span><b id="c-uptime">–</b></div>
</div>
<h2>Nodes</h2>
<table id="nodes"><thead><tr><th>Node</th><th>Role</th><th>Services</th><th>Runtime</th><th>RTT</th><th>In flight</th></tr></thead><tbody></tbody></table>
<h2>Calls</h2>
<table id="calls"><thead><tr><th>Service.method</th><th>Calls / s</th><th>OK</th><th>Errors</th><th>Offline</th><th>Cancelled</th><th>In flight</th><th>p50</th><th>p99</th></tr></thead><tbody></tbody></table>
<script>
const previous = new Map(); let previousAt = 0;
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const ms = (v) => v == null ? '–' : (v < 1 ? v.toFixed(2) : v.toFixed(1)) + ' ms';
function rows(table, items, key, render) {
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
}
async function refresh() {
  try {
    const [dir, stats] = await Promise.all([fetch('/directory').then((r) => r.json()), fetch('/stats').then((r) => r.json())]);
    const now = performance.now(); const seconds = previousAt ? (now - previousAt) / 1000 : 0;
    let totalRate = 0;
    const calls = stats.calls.map((c) => {
      const key = c.service + '.' + c.method; const done = c.ok + c.error + c.offline + c.cancelled;
      const rate = seconds && previous.has(key) ? Math.max(0, (done - previous.get(key)) / seconds) : 0;
      previous.set(key, done); totalRate += rate; return { ...c, key, rate };
    });
    previousAt = now;
    document.getElementById('c-nodes').textContent = stats.nodes;
    document.getElementById('c-connections').textContent = stats.connections;
    document.getElementById('c-services').textContent = stats.services;
    document.getElementById('c-pending').textContent = stats.pending;
    document.getElementById('c-rate').textContent = Math.round(totalRate);
    document.getElementById('c-uptime').textContent = stats.uptime_s + ' s';
    rows('nodes', dir.nodes, (n) => n.node_id, (n) =>
      '<td>' + esc(n.node_id) + '</td><td>' + esc(n.role) + (n.routable || n.role === 'passive' ? '' : ' (draining)') + '</td><td>' +
      (n.services.map((s) => '<span class="tag">' + esc(s) + '</span>').join('') || '<span class="muted">none</span>') +
      '</td><td>' + esc([n.meta.runtime, n.meta.version].filter(Boolean).join(' ') || '–') + '</td><td class="num">' + ms(n.rtt_ms) +
      '</td><td class="num">' + n.calls_in_flight + '</td>');
    rows('calls', calls, (c) => c.key, (c) =>
      '<td>' + esc(c.key) + '</td><td class="num">' + c.rate.toFixed(1) + '</td><td class="num">' + c.ok + '</td><td class="num' +
      (c.error ? ' err' : '') + '">' + c.error + '</td><td class="num">' + c.offline + '</td><td class="num">' + c.cancelled +
      '</td><td class="num">' + c.in_flight + '</td><td class="num">' + ms(c.latency_ms && c.latency_ms.p50) + '</td><td class="num">' +
      ms(c.latency_ms && c.latency_ms.p99) + '</td>');
    const status = document.getElementById('status'); status.textContent = 'live'; status.className = 'ok';
  } catch (err) {
    const status = document.getElementById('status'); status.textContent = 'relay unreachable'; status.className = 'down';
  }
}
refresh(); setInterval(refresh, 1000);
</script>
</body>
</html>
`
}
