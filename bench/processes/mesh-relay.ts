/**
 * The Spider Mesh relay for the bench: the real WebsocketRelayServer (RELAY_ADAPTER=bun|node),
 * tied to the bench by a lifeline. Connections with `?role=client` are passive clients (never
 * listed or routed to), like browsers behind `isServerConnection`. Stdin `GC` forces a full
 * collection and prints `GC_DONE` (to read a steady RSS). NATS_URL (and CLUSTER_NAME) make it a
 * member of a relay cluster over that NATS server (the cluster scenario). TOPICS_JSON is the
 * `topics` option (the history scenario).
 */
// First: with BREAKDOWN=1 the probes wrap Bun.serve's socket callbacks (breakdown/probe.ts).
import '../breakdown/install.js'
import { WebsocketRelayServer } from '@spider-mesh/ws/relay-server'
import { probeCommand } from '../breakdown/probe.js'
import { fail, holdLifeline, say } from '../lifeline.js'
import { forceGc } from '../runtime.js'

const host = process.env.HOST || '127.0.0.1'
const server = new WebsocketRelayServer({
  host,
  port: Number(process.env.PORT ?? 0),
  adapter: process.env.RELAY_ADAPTER === 'node' ? 'node' : 'bun',
  isServerConnection: (_socket, request) =>
    new URL(request.url ?? '/', 'http://relay').searchParams.get('role') !== 'client',
  logger: { debug: () => {}, info: () => {}, warn: console.warn, error: console.error },
  ...(process.env.NATS_URL
    ? { cluster: { nats: process.env.NATS_URL, name: process.env.CLUSTER_NAME || undefined } }
    : {}),
  ...(process.env.TOPICS_JSON ? { topics: JSON.parse(process.env.TOPICS_JSON) } : {}),
})
await server.ready.catch(fail)
holdLifeline((command) => {
  if (probeCommand(command)) return
  if (command === 'GC') {
    forceGc()
    say('GC_DONE')
  } else if (command === 'STATS') {
    say('STATS', server.stats())
  }
})
say(`Spider Mesh relay listening on ws://${host}:${server.port}`)
