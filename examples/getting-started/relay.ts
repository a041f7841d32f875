// Terminal 1: the relay. It routes calls between nodes and never hosts services.
import { WebsocketRelayServer } from '@spider-mesh/ws/relay-server'

const port = Number(process.env.PORT ?? 8787)
const server = new WebsocketRelayServer({ host: '127.0.0.1', port })
await server.ready

console.log(`Spider Mesh relay listening on ws://127.0.0.1:${server.port}`)

process.on('SIGINT', async () => {
  await server.close()
  process.exit(0)
})
