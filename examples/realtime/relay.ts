// Terminal 1: a relay that keeps the last 20 messages of every chat.* topic for an hour.
// Presence and records need no option: the relay keeps them in memory (in a NATS cluster, in
// JetStream / KV, shared by every relay).
import { WebsocketRelayServer } from '@spider-mesh/ws/relay-server'

const port = Number(process.env.PORT ?? 8787)
const server = new WebsocketRelayServer({
  host: '127.0.0.1',
  port,
  topics: { 'chat.*': { retain: 20, ttlMs: 3_600_000 } },
})
await server.ready

console.log(`Spider Mesh relay listening on ws://127.0.0.1:${server.port}`)

process.on('SIGINT', async () => {
  await server.close()
  process.exit(0)
})
