import type { DirectoryEntry } from '../relay/http-endpoints.js'
import { CliError, usageError } from './cli-error.js'
import type { Command } from './command.js'
import type { ParsedArgs } from './parse-args.js'
import { RELAY_FLAG, relayHttpUrl, relayUrl, TOKEN_FLAG } from './relay-url.js'
import { formatTable } from './text-table.js'

/** Reads the relay's `GET /directory`, failing with a message that says what to check. */
export async function fetchDirectory(
  url: string,
  timeoutMs: number,
  token?: string,
): Promise<{ nodes: DirectoryEntry[] }> {
  const endpoint = relayHttpUrl(url, '/directory')
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
      `The relay at ${endpoint} answered HTTP ${response.status}; /directory needs a relay from @spider-mesh/ws 0.1 or later.`,
    )
  }
  return (await response.json()) as { nodes: DirectoryEntry[] }
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
  const directory = await fetchDirectory(url, args.number('timeout') ?? 5000, args.string('token'))
  if (args.flag('json')) {
    console.log(JSON.stringify(directory, null, 2))
    return 0
  }
  const nodes = [...directory.nodes].sort((a, b) => a.node_id.localeCompare(b.node_id))
  if (nodes.length === 0) {
    console.error(`No nodes are connected to ${url}.`)
    return 0
  }
  // Labels beyond version and runtime (the transporter's `meta` option) get a column when present.
  const labels = (node: DirectoryEntry) =>
    Object.entries(node.meta)
      .filter(([key, value]) => !KNOWN_META.has(key) && value !== undefined)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ')
  const withLabels = nodes.some((node) => labels(node) !== '')
  const header = ['NODE', 'ROLE', 'SERVICES', 'VERSION', 'RUNTIME', 'RTT', ...(withLabels ? ['LABELS'] : [])]
  const rows = nodes.map((node) => [
    node.node_id,
    node.role === 'server' && !node.routable ? 'server (draining)' : node.role,
    node.services.join(',') || '–',
    node.meta.version ?? '–',
    node.meta.runtime ?? '–',
    rtt(node.rtt_ms),
    ...(withLabels ? [labels(node) || '–'] : []),
  ])
  console.log(formatTable(header, rows))
  return 0
}

/** `spider-mesh ls`: the nodes and services a relay sees. */
export const lsCommand: Command = {
  name: 'ls',
  summary: 'List the nodes connected to a relay: services, version, runtime, round-trip time.',
  usage: 'ls [--relay <url>] [--json]',
  details:
    "Reads the relay's GET /directory over HTTP on the relay's port (ws:// → http://, wss:// → https://).\n" +
    'RTT is the round trip the relay last measured to each node (– until the first heartbeat).',
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
