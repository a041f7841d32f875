import { Gauge, type Registry } from 'prom-client'
import { ScrapedMetric } from '../scraped-metrics.js'

/** Counters of the cluster's traffic, behind `/metrics`. */
export class ClusterMetrics {
  /** Calls this relay sent to providers on other relays. */
  callsOut = 0
  /** Calls other relays sent to providers on this relay. */
  callsIn = 0
  /** Pub/sub messages this relay sent to the other relays. */
  publications = 0
  /** Pub/sub messages from other relays delivered here. */
  deliveriesIn = 0
}

/** What the cluster's gauges read when scraped. */
export interface ClusterGaugeState {
  relays: number
  connected: boolean
  reconnects: number
  rttMs: number | undefined
  /** Routable nodes per relay name, this relay included. */
  perRelay: [relay: string, nodes: number][]
}

/**
 * Registers the cluster's series (listed in packages/ws/README.md) on the relay's registry; like
 * the relay's own, they are read when scraped.
 */
export function registerClusterMetrics(
  registry: Registry,
  m: ClusterMetrics,
  state: () => ClusterGaugeState,
): void {
  const gauge = (name: string, help: string, read: (s: ClusterGaugeState) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(state()))
      },
    })
  gauge('spider_mesh_cluster_relays', 'Relays in the cluster, this one included.', (s) => s.relays)
  gauge('spider_mesh_cluster_nats_connected', '1 while this relay is connected to NATS.', (s) =>
    s.connected ? 1 : 0,
  )
  ScrapedMetric.counter(
    registry,
    'spider_mesh_cluster_nats_reconnects_total',
    'Times the NATS connection came back after a loss.',
    () => [[{}, state().reconnects]],
  )
  gauge(
    'spider_mesh_cluster_nats_rtt_seconds',
    'Last measured round trip to NATS.',
    (s) => (s.rttMs ?? 0) / 1000,
  )
  ScrapedMetric.counter(
    registry,
    'spider_mesh_cluster_remote_calls_total',
    'Calls that crossed relays: out = to a provider on another relay, in = from a caller on another relay.',
    () => [
      [{ direction: 'out' }, m.callsOut],
      [{ direction: 'in' }, m.callsIn],
    ],
  )
  ScrapedMetric.counter(
    registry,
    'spider_mesh_cluster_publications_total',
    'Pub/sub messages sent to (out) and received from (in) the other relays.',
    () => [
      [{ direction: 'out' }, m.publications],
      [{ direction: 'in' }, m.deliveriesIn],
    ],
  )
  new Gauge({
    name: 'spider_mesh_cluster_directory_nodes',
    help: 'Routable nodes listed by each relay of the cluster.',
    labelNames: ['relay'],
    registers: [registry],
    collect() {
      // Relays come and go: a relay that left must not linger with its last figure.
      this.reset()
      for (const [relay, nodes] of state().perRelay) this.set({ relay }, nodes)
    },
  })
}
