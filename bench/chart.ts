import type { BenchRow } from './results.js'
import { formatNumber } from './table.js'

/** One panel of the chart: a figure of the unary rows at one calls-in-flight setting. */
interface Panel {
  title: string
  inflight: number
  value: (row: BenchRow) => number | null
}

const PANELS: Panel[] = [
  { title: 'req/s at 64 in flight (higher is better)', inflight: 64, value: (r) => r.rps },
  { title: 'req/s at 1 in flight (higher is better)', inflight: 1, value: (r) => r.rps },
  { title: 'p99 µs at 1 in flight (lower is better)', inflight: 1, value: (r) => r.p99_us },
  { title: 'p99 µs at 64 in flight (lower is better)', inflight: 64, value: (r) => r.p99_us },
]

const PANEL_W = 440
const PANEL_H = 230
const MARGIN = { top: 34, right: 12, bottom: 58, left: 12 }

/** Bar colour per system family: the mesh in blue, the limit in grey, peers in warm colours. */
function colour(system: string): string {
  if (system.startsWith('spider-mesh')) return system.endsWith('node') ? '#6b9bd1' : '#1f5fa8'
  if (system.startsWith('limit')) return system.endsWith('node') ? '#b5b5b5' : '#7a7a7a'
  if (system === 'socketio') return '#d9822b'
  return '#3f9a5b'
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** One bar chart with a bar per system and the value printed above each bar. */
function panel(rows: BenchRow[], systems: string[], spec: Panel, x0: number, y0: number): string {
  const bars = systems.map((system) => {
    const row = rows.find(
      (r) => r.scenario === 'unary' && r.system === system && r.inflight === spec.inflight,
    )
    return { system, value: row ? spec.value(row) : null }
  })
  const max = Math.max(1, ...bars.map((b) => b.value ?? 0))
  const plotW = PANEL_W - MARGIN.left - MARGIN.right
  const plotH = PANEL_H - MARGIN.top - MARGIN.bottom
  const slot = plotW / Math.max(1, bars.length)
  const barW = Math.min(56, slot * 0.7)
  const baseY = y0 + MARGIN.top + plotH
  const parts = [
    `<text x="${x0 + PANEL_W / 2}" y="${y0 + 20}" class="title">${escapeXml(spec.title)}</text>`,
    `<line x1="${x0 + MARGIN.left}" y1="${baseY}" x2="${x0 + PANEL_W - MARGIN.right}" y2="${baseY}" class="axis"/>`,
  ]
  bars.forEach((bar, i) => {
    const cx = x0 + MARGIN.left + slot * i + slot / 2
    const h = bar.value === null ? 0 : (bar.value / max) * (plotH - 16)
    parts.push(
      `<rect x="${(cx - barW / 2).toFixed(1)}" y="${(baseY - h).toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${colour(bar.system)}"/>`,
      `<text x="${cx.toFixed(1)}" y="${(baseY - h - 4).toFixed(1)}" class="value">${formatNumber(bar.value)}</text>`,
      `<text x="${cx.toFixed(1)}" y="${baseY + 16}" class="label" transform="rotate(20 ${cx.toFixed(1)} ${baseY + 16})">${escapeXml(bar.system)}</text>`,
    )
  })
  return parts.join('\n')
}

/**
 * Renders the unary results as an SVG bar chart (2 × 2 panels: req/s and p99 at 1 and 64 in
 * flight, one bar per system). Hand-written SVG: no chart library.
 */
export function renderChart(rows: BenchRow[], subtitle: string): string {
  const systems = [...new Set(rows.filter((r) => r.scenario === 'unary').map((r) => r.system))]
  // Room on the right for the last panel's slanted labels.
  const width = PANEL_W * 2 + 70
  const height = PANEL_H * 2 + 66
  const panels = PANELS.map((spec, i) =>
    panel(rows, systems, spec, (i % 2) * PANEL_W, 50 + Math.floor(i / 2) * PANEL_H),
  )
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">
<style>
.title { font-size: 13px; font-weight: bold; text-anchor: middle; fill: #222 }
.value { font-size: 11px; text-anchor: middle; fill: #222 }
.label { font-size: 11px; fill: #444 }
.axis { stroke: #999; stroke-width: 1 }
.heading { font-size: 16px; font-weight: bold; fill: #111 }
.sub { font-size: 11px; fill: #555 }
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="12" y="22" class="heading">Spider Mesh bench: unary echo (~100 B) through a relay</text>
<text x="12" y="40" class="sub">${escapeXml(subtitle)}</text>
<text x="12" y="${height - 8}" class="sub">limit = a byte-forwarding relay with bare caller and provider (the wire limit). moleculer-tcp talks broker to broker: no relay hop.</text>
${panels.join('\n')}
</svg>
`
}
