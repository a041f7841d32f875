/**
 * A Socket.IO chat server scaled over Spider Mesh: start several (each on its own port) against
 * one relay or a relay cluster, and clients of any of them chat together.
 *
 *   RELAY_URL=ws://127.0.0.1:8787 PORT=3001 NAME=east npx bun examples/socket.io-chat/server.ts
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SpiderMesh } from '@spider-mesh/core'
import { createAdapter } from '@spider-mesh/socket.io'
import { WebsocketTransporter } from '@spider-mesh/ws/node'
import { filter, firstValueFrom } from 'rxjs'
import { Server } from 'socket.io'

const relayUrl = process.env.RELAY_URL ?? 'ws://127.0.0.1:8787'
const name = process.env.NAME ?? `server-${process.pid}`

// 1. A mesh node with a transporter: the relay carries the servers' traffic to each other.
const transporter = new WebsocketTransporter()
const mesh = new SpiderMesh({ nodeId: `chat-${name}` })
mesh.registerTransporter(transporter)
transporter.connect(relayUrl)
// Connected first, so the other servers hear of this one at once (else at its next heartbeat).
await firstValueFrom(transporter.status$.pipe(filter((status) => status.get(relayUrl) === 'connected')))

// 2. The Socket.IO server, with the adapter: rooms, broadcasts and fetchSockets span all servers.
const io = new Server(createServer())
io.adapter(createAdapter(mesh))

io.on('connection', async (socket) => {
  const { user = 'anonymous', room = 'lobby' } = socket.handshake.auth as { user?: string; room?: string }
  socket.data = { user, server: name }
  socket.join(room)
  // Reaches the room's members on every server.
  socket.to(room).emit('joined', { user, server: name })
  socket.on('say', (text: string) => io.to(room).emit('message', { user, server: name, text }))
  // Who is in the room, on every server: fetchSockets asks them all.
  socket.on('who', async (ack: (users: string[]) => void) => {
    const sockets = await io.in(room).fetchSockets()
    ack(sockets.map((s) => `${s.data.user}@${s.data.server}`).sort())
  })
  console.log(`${user} joined ${room} (servers in the chat: ${await io.of('/').adapter.serverCount()})`)
})

// A server-wide announcement from one server reaches the others too.
io.on('announce', (text: string) => console.log(`announcement from another server: ${text}`))

const http = io.httpServer
http.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`chat server ${name} on http://127.0.0.1:${(http.address() as AddressInfo).port}`)
  io.serverSideEmit('announce', `${name} is up`)
})

// Ctrl-C: leave the chat at once (the others stop counting this server) and leave the mesh.
process.on('SIGINT', async () => {
  await io.close()
  await mesh.close({ drainTimeoutMs: 0 })
  process.exit(0)
})
process.on('SIGTERM', () => process.emit('SIGINT'))
