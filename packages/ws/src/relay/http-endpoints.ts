import type { ServiceCatalog } from '@spider-mesh/core'
import type { Registry } from 'prom-client'
import { renderDashboardPage } from './dashboard-page.js'
import { renderMetrics } from './relay-registry.js'
import type { RelayRouter } from './relay-router.js'

/** An HTTP answer, independent of the server library. */
export interface HttpAnswer {
  status: number
  headers: Record<string, string>
  body: string
}

/** One node as `/directory` lists it. */
export interface DirectoryEntry {
  node_id: string
  role: 'server' | 'passive'
  /** False while the node is draining (sent Goodbye) or passive. */
  routable: boolean
  services: string[]
  /** Per service: the methods and version the node announced (empty for older nodes). */
  catalog: ServiceCatalog
  topics: string[]
  meta: Record<string, string | undefined>
  rtt_ms: number | null
  connected_at: string | null
  calls_in_flight: number
  /** The relay the node is connected to (this relay's name, or another relay's in a cluster). */
  relay: string
}

/** What the HTTP endpoints need besides the router. */
export interface HttpEndpointOptions {
  /** Serve the live dashboard at `GET /`. */
  dashboard: boolean
  /** The relay's `/metrics` registry. */
  registry: Registry
  /** The path WebSocket upgrades are accepted on (unset: any path). */
  path?: string
}

/** Milliseconds with two decimals: sub-microsecond digits are noise, and make the JSON hard to read. */
export const roundMs = (ms: number): number => Math.round(ms * 100) / 100

const json = (status: number, value: unknown): HttpAnswer => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  body: JSON.stringify(value),
})

/** A service as `/directory` sums it up over its providers. */
export interface ServiceSummary {
  /** The versions its providers announced, sorted; empty when none did. */
  versions: string[]
  /** Every method some provider has. */
  methods: string[]
  /**
   * True when providers announced different methods or versions (a rolling deploy, or two
   * builds of the class): calls then go only to providers that have the method asked for.
   */
  differs: boolean
}

/** The nodes the relay knows (connections that said Hello). */
export function directory(router: RelayRouter): {
  nodes: DirectoryEntry[]
  services: Record<string, string[]>
  service_catalog: Record<string, ServiceSummary>
} {
  const nodes: DirectoryEntry[] = []
  const services: Record<string, string[]> = {}
  for (const peer of router.peers()) {
    if (peer.nodeId === null) continue
    nodes.push({
      node_id: peer.nodeId,
      role: peer.isServer ? 'server' : 'passive',
      routable: peer.listed,
      services: peer.services,
      catalog: peer.catalog ?? {},
      topics: [...peer.topics],
      meta: peer.meta,
      rtt_ms: peer.rttMs === undefined ? null : roundMs(peer.rttMs),
      connected_at: new Date(peer.connectedAt).toISOString(),
      calls_in_flight: peer.incoming.size,
      relay: router.cluster?.name ?? 'local',
    })
    if (!peer.listed) continue
    for (const service of peer.services) {
      const list = services[service] ?? []
      list.push(peer.nodeId)
      services[service] = list
    }
  }
  // Nodes on the other relays of the cluster (a node on several relays is listed once per relay).
  for (const listing of router.directory.remotes()) {
    nodes.push({
      node_id: listing.nodeId,
      role: 'server',
      routable: true,
      services: listing.services,
      catalog: listing.catalog ?? {},
      topics: [],
      meta: listing.meta,
      rtt_ms: null,
      connected_at: null,
      calls_in_flight: listing.incoming.size,
      relay: listing.relayName,
    })
    for (const service of listing.services) {
      const list = services[service] ?? []
      if (!list.includes(listing.nodeId)) list.push(listing.nodeId)
      services[service] = list
    }
  }
  return { nodes, services, service_catalog: summarise(router, Object.keys(services)) }
}

/** Per service: versions and methods over its routable providers, and whether they differ. */
function summarise(router: RelayRouter, services: string[]): Record<string, ServiceSummary> {
  const summaries: Record<string, ServiceSummary> = {}
  for (const service of services) {
    const versions = new Set<string>()
    const methods = new Set<string>()
    for (const end of router.directory.providers(service)) {
      const info = end.catalog?.[service]
      if (info?.version !== undefined) versions.add(info.version)
      for (const method of info?.methods ?? []) methods.add(method)
    }
    summaries[service] = {
      versions: [...versions].sort(),
      methods: [...methods].sort(),
      differs: router.directory.mixed(service),
    }
  }
  return summaries
}

function latency(p: { p50: number; p99: number } | undefined): { p50: number; p99: number } | null {
  return p ? { p50: roundMs(p.p50), p99: roundMs(p.p99) } : null
}

/** Live figures for the dashboard: table sizes and per-method call counts and latencies. */
export function liveStats(router: RelayRouter) {
  const m = router.metrics
  return {
    uptime_s: Math.round((Date.now() - m.startedAt) / 1000),
    ...router.stats(),
    bytes_in: m.bytesIn,
    frames_in: m.framesIn,
    frames_rejected: m.framesRejected,
    publications: m.publications,
    deliveries: m.deliveries,
    calls: m.methods().map((s) => ({
      service: s.service,
      method: s.method,
      in_flight: s.inFlight,
      ...s.outcomes,
      latency_ms: latency(s.percentiles()),
    })),
  }
}

const text = (status: number, body: string): HttpAnswer => ({
  status,
  headers: { 'content-type': 'text/plain; charset=utf-8' },
  body,
})

/**
 * Answers a plain HTTP request (no WebSocket upgrade): `GET /health`, `/metrics` (Prometheus
 * text), `/directory`, `/stats` (JSON), `/` (the live dashboard, when enabled) and
 * `/favicon.ico` (204, so browsers opening an endpoint get no error). On the WebSocket path
 * (`path`, or `/` when upgrades are accepted on any path: where `ws://host:port` connects) the
 * answer is 426 Upgrade Required, which tells a person with a browser what the port is for;
 * anything else is 404.
 */
export async function answerHttp(
  router: RelayRouter,
  options: HttpEndpointOptions,
  method: string,
  url: string | undefined,
): Promise<HttpAnswer> {
  const pathname = new URL(url ?? '/', 'http://relay').pathname
  const get = method === 'GET' || method === 'HEAD'
  const answer = get ? await endpoint(router, options, pathname) : undefined
  if (answer) return answer
  if (pathname === (options.path ?? '/')) {
    return text(426, 'Spider Mesh relay: connect with a WebSocket client')
  }
  return text(404, `Not found: ${pathname} (endpoints: /health, /metrics, /directory, /stats)`)
}

async function endpoint(
  router: RelayRouter,
  options: HttpEndpointOptions,
  pathname: string,
): Promise<HttpAnswer | undefined> {
  switch (pathname) {
    case '/health': {
      const stats = router.stats()
      // While NATS is unreachable the relay still serves its own nodes: degraded, not down (200).
      const cluster = router.cluster?.health()
      return json(200, {
        status: cluster && cluster.state !== 'connected' ? 'degraded' : 'ok',
        uptime_s: Math.round((Date.now() - router.metrics.startedAt) / 1000),
        ...stats,
        ...(cluster ? { cluster } : {}),
      })
    }
    case '/metrics':
      return {
        status: 200,
        headers: { 'content-type': options.registry.contentType, 'cache-control': 'no-store' },
        body: await renderMetrics(options.registry),
      }
    case '/directory':
      return json(200, directory(router))
    case '/stats':
      return json(200, liveStats(router))
    case '/favicon.ico':
      return { status: 204, headers: { 'cache-control': 'max-age=86400' }, body: '' }
    case '/':
      if (!options.dashboard) return undefined
      return {
        status: 200,
        headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
        body: renderDashboardPage(),
      }
    default:
      return undefined
  }
}
