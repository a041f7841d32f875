import { Gauge, Registry } from 'prom-client'
import { processMetrics } from './process-metrics.js'
import { DURATION_BUCKETS } from './relay-metrics.js'
import type { RelayRouter } from './relay-router.js'
import { ScrapedMetric } from './scraped-metrics.js'

/** A gauge set from the router when scraped. */
function gauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read())
    },
  })
}

/**
 * The relay's `/metrics` registry: one per relay (several relays may share a process, so never
 * prom-client's global registry). Every value is read from the router's existing counters at
 * scrape time, so nothing is added to the call-forwarding path. Every metric is listed in
 * packages/ws/README.md; in a cluster the cluster adds its own.
 */
export function relayRegistry(router: RelayRouter): Registry {
  const registry = new Registry()
  const m = router.metrics
  gauge(registry, 'spider_mesh_relay_uptime_seconds', 'Seconds since the relay started.', () =>
    Math.round((Date.now() - m.startedAt) / 1000),
  )
  new Gauge({
    name: 'spider_mesh_relay_connections',
    help: 'Open WebSocket connections by role.',
    labelNames: ['role'],
    registers: [registry],
    collect() {
      let server = 0
      let passive = 0
      for (const peer of router.peers()) {
        if (peer.isServer) server++
        else passive++
      }
      this.set({ role: 'server' }, server)
      this.set({ role: 'passive' }, passive)
    },
  })
  gauge(registry, 'spider_mesh_relay_nodes', 'Node ids bound to a connection.', () => router.stats().nodes)
  gauge(
    registry,
    'spider_mesh_relay_services',
    'Services with at least one routable provider.',
    () => router.stats().services,
  )
  gauge(
    registry,
    'spider_mesh_relay_calls_in_flight',
    'Calls forwarded whose response has not ended.',
    () => router.stats().pending,
  )
  gauge(
    registry,
    'spider_mesh_relay_subscriptions',
    'Topic subscriptions (topic x connection).',
    () => router.stats().subscriptions,
  )
  ScrapedMetric.counter(
    registry,
    'spider_mesh_relay_calls_total',
    'Calls by service, method and outcome (ok, error, offline, cancelled, overloaded, expired, denied).',
    () =>
      m
        .methods()
        .flatMap((s) =>
          Object.entries(s.outcomes).map(([outcome, count]): [Record<string, string>, number] => [
            { service: s.service, method: s.method, outcome },
            count,
          ]),
        ),
  )
  ScrapedMetric.histogram(
    registry,
    'spider_mesh_relay_call_duration_seconds',
    'Time from forwarding a request to the end of its response stream.',
    DURATION_BUCKETS,
    () =>
      m.methods().map((s) => ({
        labels: { service: s.service, method: s.method },
        buckets: s.buckets,
        sum: s.durationSum,
      })),
  )
  const total = (name: string, help: string, read: () => number) =>
    ScrapedMetric.counter(registry, name, help, () => [[{}, read()]])
  total('spider_mesh_relay_received_bytes_total', 'Bytes received from connections.', () => m.bytesIn)
  total('spider_mesh_relay_sent_bytes_total', 'Bytes sent to connections.', () => {
    // Open connections count their own bytes; the router keeps the total of the closed ones.
    let bytes = m.bytesOut
    for (const peer of router.peers()) bytes += peer.bytesOut
    return bytes
  })
  total('spider_mesh_relay_frames_received_total', 'Frames received.', () => m.framesIn)
  total(
    'spider_mesh_relay_frames_rejected_total',
    'Frames answered with a protocol error.',
    () => m.framesRejected,
  )
  total('spider_mesh_relay_publications_total', 'Pub/sub messages received.', () => m.publications)
  total(
    'spider_mesh_relay_deliveries_total',
    'Pub/sub messages delivered to subscribers.',
    () => m.deliveries,
  )
  router.cluster?.registerMetrics(registry)
  return registry
}

/** The `/metrics` text: the relay's registry followed by the process metrics. */
export function renderMetrics(registry: Registry): Promise<string> {
  return Registry.merge([registry, processMetrics()]).metrics()
}
