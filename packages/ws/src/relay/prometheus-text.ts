import { DURATION_BUCKETS } from './relay-metrics.js'
import type { RelayRouter } from './relay-router.js'

/** Escapes a label value for the Prometheus text format. */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

/**
 * Renders the relay's metrics in the Prometheus text exposition format (version 0.0.4). Written by
 * hand: the format is small, and a client library would put label lookups on the hot path.
 * Every metric is listed in packages/ws/README.md.
 */
export function renderPrometheus(router: RelayRouter): string {
  const m = router.metrics
  const stats = router.stats()
  let server = 0
  let passive = 0
  let bytesOut = m.bytesOut
  for (const peer of router.peers()) {
    if (peer.isServer) server++
    else passive++
    bytesOut += peer.bytesOut
  }
  const out: string[] = []
  const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
    for (const [labels, value] of samples) out.push(`${name}${labels} ${value}`)
  }
  metric('spider_mesh_relay_uptime_seconds', 'gauge', 'Seconds since the relay started.', [
    ['', Math.round((Date.now() - m.startedAt) / 1000)],
  ])
  metric('spider_mesh_relay_connections', 'gauge', 'Open WebSocket connections by role.', [
    ['{role="server"}', server],
    ['{role="passive"}', passive],
  ])
  metric('spider_mesh_relay_nodes', 'gauge', 'Node ids bound to a connection.', [['', stats.nodes]])
  metric('spider_mesh_relay_services', 'gauge', 'Services with at least one routable provider.', [
    ['', stats.services],
  ])
  metric('spider_mesh_relay_calls_in_flight', 'gauge', 'Calls forwarded whose response has not ended.', [
    ['', stats.pending],
  ])
  metric('spider_mesh_relay_subscriptions', 'gauge', 'Topic subscriptions (topic x connection).', [
    ['', stats.subscriptions],
  ])
  const methods = m.methods()
  const calls: [string, number][] = []
  for (const s of methods) {
    for (const [outcome, count] of Object.entries(s.outcomes)) {
      calls.push([`{service="${label(s.service)}",method="${label(s.method)}",outcome="${outcome}"}`, count])
    }
  }
  metric(
    'spider_mesh_relay_calls_total',
    'counter',
    'Calls by service, method and outcome (ok, error, offline, cancelled, overloaded, expired, denied).',
    calls,
  )
  const histogram: [string, number][] = []
  for (const s of methods) {
    const base = `service="${label(s.service)}",method="${label(s.method)}"`
    let cumulative = 0
    DURATION_BUCKETS.forEach((le, i) => {
      cumulative += s.buckets[i]!
      histogram.push([`_bucket{${base},le="${le}"}`, cumulative])
    })
    cumulative += s.buckets[DURATION_BUCKETS.length]!
    histogram.push([`_bucket{${base},le="+Inf"}`, cumulative])
    histogram.push([`_sum{${base}}`, s.durationSum])
    histogram.push([`_count{${base}}`, cumulative])
  }
  metric(
    'spider_mesh_relay_call_duration_seconds',
    'histogram',
    'Time from forwarding a request to the end of its response stream.',
    histogram,
  )
  metric('spider_mesh_relay_received_bytes_total', 'counter', 'Bytes received from connections.', [
    ['', m.bytesIn],
  ])
  metric('spider_mesh_relay_sent_bytes_total', 'counter', 'Bytes sent to connections.', [['', bytesOut]])
  metric('spider_mesh_relay_frames_received_total', 'counter', 'Frames received.', [['', m.framesIn]])
  metric('spider_mesh_relay_frames_rejected_total', 'counter', 'Frames answered with a protocol error.', [
    ['', m.framesRejected],
  ])
  metric('spider_mesh_relay_publications_total', 'counter', 'Pub/sub messages received.', [
    ['', m.publications],
  ])
  metric('spider_mesh_relay_deliveries_total', 'counter', 'Pub/sub messages delivered to subscribers.', [
    ['', m.deliveries],
  ])
  for (const series of router.cluster?.metricSeries() ?? []) {
    const samples = series.samples.map(([labels, value]): [string, number] => {
      const pairs = Object.entries(labels).map(([key, v]) => `${key}="${label(v)}"`)
      return [pairs.length === 0 ? '' : `{${pairs.join(',')}}`, value]
    })
    metric(series.name, series.type, series.help, samples)
  }
  return `${out.join('\n')}\n`
}
