/**
 * The Socket.IO peer's relay: a Socket.IO server (WebSocket transport only) that forwards each
 * caller's `call` to the provider socket with an acknowledgement and acks the caller with the
 * provider's answer. Sockets say their role in the handshake query. Prints `listening on ws://…`.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { holdLifeline, say } from '../lifeline.js'
import { peerImport } from './peer-import.js'

type Ack = (value: unknown) => void
interface IoSocket {
  handshake: { query: Record<string, unknown> }
  emit(event: string, payload: unknown, ack: Ack): void
  on(event: string, handler: (payload: unknown, ack: Ack) => void): void
}
interface IoServer {
  on(event: 'connection', handler: (socket: IoSocket) => void): void
}

holdLifeline()
const { Server } = await peerImport<{ Server: new (http: unknown, options: object) => IoServer }>('socket.io')
const http = createServer()
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false })
let provider: IoSocket | null = null
io.on('connection', (socket) => {
  if (socket.handshake.query.role === 'provider') {
    provider = socket
    return
  }
  socket.on('call', (payload, ack) => {
    if (provider) provider.emit('call', payload, ack)
    else ack(null)
  })
})
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
say(`Socket.IO relay listening on ws://127.0.0.1:${(http.address() as AddressInfo).port}`)
