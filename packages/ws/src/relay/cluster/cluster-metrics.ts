import type { MetricSeries } from '../cluster-port.js'

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

/** The cluster's series for `/metrics` (listed in packages/ws/README.md). */
export function clusterMetricSeries(
  m: ClusterMetrics,
  state: {
    relays: number
    connected: boolean
    reconnects: number
    rttMs: number | undefined
    perRelay: [Record<string, string>, number][]
  },
): MetricSeries[] {
  const one = (value: number): [Record<string, string>, number][] => [[{}, value]]
  return [
    {
      name: 'spider_mesh_cluster_relays',
      type: 'gauge',
      help: 'Relays in the cluster, this one included.',
      samples: one(state.relays),
    },
    {
      name: 'spider_mesh_cluster_nats_connected',
      type: 'gauge',
      help: '1 while this relay is connected to NATS.',
      samples: one(state.connected ? 1 : 0),
    },
    {
      name: 'spider_mesh_cluster_nats_reconnects_total',
      type: 'counter',
      help: 'Times the NATS connection came back after a loss.',
      samples: one(state.reconnects),
    },
    {
      name: 'spider_mesh_cluster_nats_rtt_seconds',
      type: 'gauge',
      help: 'Last measured round trip to NATS.',
      samples: one((state.rttMs ?? 0) / 1000),
    },
    {
      name: 'spider_mesh_cluster_remote_calls_total',
      type: 'counter',
      help: 'Calls that crossed relays: out = to a provider on another relay, in = from a caller on another relay.',
      samples: [
        [{ direction: 'out' }, m.callsOut],
        [{ direction: 'in' }, m.callsIn],
      ],
    },
    {
      name: 'spider_mesh_cluster_publications_total',
      type: 'counter',
      help: 'Pub/sub messages sent to (out) and received from (in) the other relays.',
      samples: [
        [{ direction: 'out' }, m.publications],
        [{ direction: 'in' }, m.deliveriesIn],
      ],
    },
    {
      name: 'spider_mesh_cluster_directory_nodes',
      type: 'gauge',
      help: 'Routable nodes listed by each relay of the cluster.',
      samples: state.perRelay,
    },
  ]
}
