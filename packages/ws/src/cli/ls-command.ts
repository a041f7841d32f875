import type { DirectoryEntry, ServiceSummary } from '../relay/http-endpoints.js'
import { CliError, usageError } from './cli-error.js'
import type { Command } from './command.js'
import type { ParsedArgs } from './parse-args.js'
import { RELAY_FLAG, relayHttpUrl, relayUrl, TOKEN_FLAG } from './relay-url.js'
import { formatTable } from './text-table.js'

/** One `/directory` entry; `relay` and `catalog` are absent from relays that predate them. */
export type ListedNode = Omit<DirectoryEntry, 'relay' | 'catalog'> & {
  relay?: string
  catalog?: DirectoryEntry['catalog']
}

/** GETs one of the relay's JSON endpoints, failing with a message that says what to check. */
async function fetchRelayJson(
  url: string,
  path: string,
  timeoutMs: number,
  token?: string,
): Promise<unknown> {
  const endpoint = relayHttpUrl(url, path)
  let response: Response
  try {
    response = await fetch(endpoint, {
      signal: AbortSignal.timeout(timeoutMs),
      ...(token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } }),
    })
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message
    const hint = /cert|self.signed|ssl|tls/i.test(String(cause))
      ? 'For a self-signed certificate, point NODE_EXTRA_CA_CERTS at its PEM file.'
      : 'Is a relay running there?'
    throw new CliError(`Could not reach the relay at ${endpoint} (${cause}). ${hint}`)
  }
  if (!response.ok) {
    throw new CliError(
      `The relay at ${endpoint} answered HTTP ${response.status}; ${path} needs a relay from @spider-mesh/ws 0.1 or later.`,
    )
  }
  return response.json()
}

/** Reads the relay's `GET /directory`, failing with a message that says what to check. */
export async function fetchDirectory(
  url: string,
  timeoutMs: number,
  token?: string,
): Promise<ListedDirectory> {
  return (await fetchRelayJson(url, '/directory', timeoutMs, token)) as ListedDirectory
}

/** What `ls` reads from `/directory` (`service_catalog` is absent from relays that predate it). */
export interface ListedDirectory {
  nodes: ListedNode[]
  service_catalog?: Record<string, ServiceSummary>
}

/** What `/health` says about the relay's cluster; undefined for a relay on its own (or one too old to say). */
export async function fetchClusterHealth(
  url: string,
  timeoutMs: number,
  token?: string,
): Promise<{ state: string; relays: number } | undefined> {
  try {
    const health = (await fetchRelayJson(url, '/health', timeoutMs, token)) as { cluster?: unknown }
    const cluster = health.cluster as { state?: unknown; relays?: unknown } | undefined
    if (typeof cluster?.state !== 'string' || typeof cluster.relays !== 'number') return undefined
    return { state: cluster.state, relays: cluster.relays }
  } catch {
    // The listing is what was asked for; /directory reports an unreachable relay.
    return undefined
  }
}

/** `cluster: connected, 3 relays`, or `cluster: degraded (NATS down), 1 relay` while NATS is unreachable. */
export function clusterHeader(cluster: { state: string; relays: number }): string {
  const relays = `${cluster.relays} relay${cluster.relays === 1 ? '' : 's'}`
  return cluster.state === 'connected'
    ? `cluster: connected, ${relays}`
    : `cluster: degraded (NATS ${cluster.state}), ${relays}`
}

const KNOWN_META = new Set(['version', 'runtime'])

/** `12.3 ms`, `0.42 ms`, or `–` before the relay has measured it. */
function rtt(ms: number | null): string {
  if (ms === null) return '–'
  return `${ms < 1 ? ms.toFixed(2) : ms.toFixed(1)} ms`
}

async function runLs(args: ParsedArgs): Promise<number> {
  if (args.positionals.length > 0) {
    throw usageError(`ls takes no arguments, got ${JSON.stringify(args.positionals.join(' '))}.`, 'ls')
  }
  const url = relayUrl(args.string('relay'), 'ls')
  const timeoutMs = args.number('timeout') ?? 5000
  const [directory, cluster] = await Promise.all([
    fetchDirectory(url, timeoutMs, args.string('token')),
    args.flag('json') ? undefined : fetchClusterHealth(url, timeoutMs, args.string('token')),
  ])
  if (args.flag('json')) {
    console.log(JSON.stringify(directory, null, 2))
    return 0
  }
  if (cluster) console.log(clusterHeader(cluster))
  const nodes = [...directory.nodes].sort(
    (a, b) => a.node_id.localeCompare(b.node_id) || (a.relay ?? '').localeCompare(b.relay ?? ''),
  )
  if (nodes.length === 0) {
    console.error(`No nodes are connected to ${url}.`)
    return 0
  }
  console.log(formatTable(...directoryTable(nodes, cluster !== undefined)))
  for (const line of differingServices(nodes, directory.service_catalog ?? {})) console.log(line)
  return 0
}

/**
 * One warning line per service whose providers announced different methods or versions: who
 * runs what, and what is missing where, so a half-finished deploy is seen before calls fail.
 */
export function differingServices(nodes: ListedNode[], summaries: Record<string, ServiceSummary>): string[] {
  const lines: string[] = []
  for (const [service, summary] of Object.entries(summaries)) {
    if (!summary.differs) continue
    const providers = nodes.filter((node) => node.routable && node.services.includes(service))
    const described = providers.map((node) => {
      const info = node.catalog?.[service]
      if (!info) return `${node.node_id} (no catalog: an older node)`
      const missing = summary.methods.filter((method) => !info.methods.includes(method))
      const version = info.version === undefined ? 'no version' : `v${info.version}`
      return `${node.node_id} (${version}${missing.length > 0 ? `, lacks ${missing.join(', ')}` : ''})`
    })
    lines.push(
      `! providers of ${service} differ: ${described.join('; ')} — calls go only to providers that have the method`,
    )
  }
  return lines
}

/** `OrderService@2.1.0` for a service the node announced a version of, else the bare name. */
function servicesCell(node: ListedNode): string {
  const named = node.services.map((service) => {
    const version = node.catalog?.[service]?.version
    return version === undefined ? service : `${service}@${version}`
  })
  return named.join(',') || '–'
}

/**
 * The table of `ls`. RELAY (the relay each node is on; `–` from a relay too old to say) appears
 * for a relay in a cluster; a relay on its own names itself `local` on every row, which says nothing.
 */
export function directoryTable(nodes: ListedNode[], clustered: boolean): [string[], string[][]] {
  // Labels beyond version and runtime (the transporter's `meta` option) get a column when present.
  const labels = (node: ListedNode) =>
    Object.entries(node.meta)
      .filter(([key, value]) => !KNOWN_META.has(key) && value !== undefined)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ')
  const withLabels = nodes.some((node) => labels(node) !== '')
  const withRelay = clustered || nodes.some((node) => node.relay !== undefined && node.relay !== 'local')
  const header = [
    'NODE',
    ...(withRelay ? ['RELAY'] : []),
    'ROLE',
    'SERVICES',
    'VERSION',
    'RUNTIME',
    'RTT',
    ...(withLabels ? ['LABELS'] : []),
  ]
  const rows = nodes.map((node) => [
    node.node_id,
    ...(withRelay ? [node.relay ?? '–'] : []),
    node.role === 'server' && !node.routable ? 'server (draining)' : node.role,
    servicesCell(node),
    node.meta.version ?? '–',
    node.meta.runtime ?? '–',
    rtt(node.rtt_ms),
    ...(withLabels ? [labels(node) || '–'] : []),
  ])
  return [header, rows]
}

/** `spider-mesh ls`: the nodes and services a relay sees. */
export const lsCommand: Command = {
  name: 'ls',
  summary: 'List the nodes connected to a relay or its cluster: services, version, runtime, RTT.',
  usage: 'ls [--relay <url>] [--json]',
  details:
    "Reads the relay's GET /directory over HTTP on the relay's port (ws:// → http://, wss:// → https://).\n" +
    'RTT is the round trip the relay last measured to each node (– until the first heartbeat).\n' +
    'SERVICES shows each service as name@version when its provider announced @Microservice({ version }),\n' +
    'and a line starting with ! follows for every service whose providers differ in methods or version.\n' +
    'For a relay in a cluster, a first line says whether it is connected to the others over NATS,\n' +
    'and RELAY names the relay each node is on (nodes on other relays show no RTT).',
  flags: [
    RELAY_FLAG,
    TOKEN_FLAG,
    { name: 'json', type: 'boolean', description: 'Print the /directory JSON instead of a table.' },
    {
      name: 'timeout',
      type: 'number',
      placeholder: 'ms',
      default: '5000',
      description: 'Give up on the HTTP request after this long.',
    },
  ],
  examples: ['spider-mesh ls', 'spider-mesh ls --relay ws://10.0.0.5:8787 --json'],
  run: runLs,
}
