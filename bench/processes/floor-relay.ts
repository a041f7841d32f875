/**
 * The floor of a relay that speaks the mesh protocol, for one caller and one provider: it answers
 * Hello with Welcome (listing the provider), Ping with Pong, and forwards every
 * Request and Response as the bytes it received — no relay ids, no routing table, no per-call
 * bookkeeping, no stats. A Request keeps the caller's `null` destination as its source, which a
 * provider accepts. The interleaved A/B runs it as B's relay (AB_B_RELAY=processes/floor-relay.ts,
 * both roots the same checkout): the mesh relay against it is what the relay's own work costs a
 * serial call, with the mesh's caller and provider at both ends.
 *
 * FLOOR_PRE_US and FLOOR_POST_US make it spin that many µs before, or after, each forward: what a
 * relay's work costs a serial call depending on which side of its send it lies (session 10 found
 * both on the critical path on this VM).
 *
 * Prints `Floor relay listening on ws://HOST:PORT`. Exits when stdin closes (lifeline.ts).
 */
import { decodeFrames, encodeFrame, type Frame, FrameType, PROTOCOL_VERSION } from '@spider-mesh/core'
import type { ServerWebSocket } from 'bun'
import { holdLifeline, say } from '../lifeline.js'

interface Socket {
  /** Offered services: the one calls go to. */
  provider: boolean
  nodeId: string
}

const PRE = Number(process.env.FLOOR_PRE_US ?? 0) / 1000
const POST = Number(process.env.FLOOR_POST_US ?? 0) / 1000
/** Busy for `ms`: a stand-in for a relay's own work, bounded by the clock. */
function spin(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {}
}

let provider: ServerWebSocket<Socket> | null = null
/** The socket the last Request came from: the one Responses go back to. */
let caller: ServerWebSocket<Socket> | null = null
/** The provider's node id, services and catalog, as Welcome and Node frames list it. */
let listed: unknown[] | null = null
const welcomed = new Set<ServerWebSocket<Socket>>()

/** Hello: every node is welcomed (with the provider listed, if one offered already). */
function hello(ws: ServerWebSocket<Socket>, frame: Frame): void {
  const [, , nodeId, services, , , , catalog] = frame as unknown as HelloFields
  ws.data.nodeId = nodeId
  welcomed.add(ws)
  const nodes = listed === null ? [] : [listed]
  ws.send(encodeFrame([FrameType.Welcome, PROTOCOL_VERSION, 'floor-relay', nodes, 30_000] as Frame))
  offer(ws, services, catalog)
}

type HelloFields = [number, number, string, string[], string[], unknown, unknown, unknown]

/** A node offers services (in Hello or later with Services): it is the provider from now on. */
function offer(ws: ServerWebSocket<Socket>, services: string[], catalog: unknown): void {
  if (services.length === 0) return
  ws.data.provider = true
  provider = ws
  listed = catalog === undefined ? [ws.data.nodeId, services] : [ws.data.nodeId, services, catalog]
  // The nodes already welcomed hear of it as relays tell of a node that joined.
  const joined = encodeFrame([FrameType.Node, ...listed] as unknown as Frame)
  for (const other of welcomed) if (other !== ws) other.send(joined)
}

/** Hello, Ping and Services; every other frame the floor reads is ignored (Interest, Pong, Goodbye). */
function control(ws: ServerWebSocket<Socket>, message: Uint8Array): void {
  decodeFrames(message, (frame) => {
    if (frame[0] === FrameType.Hello) hello(ws, frame)
    else if (frame[0] === FrameType.Services) offer(ws, frame[1], frame[2])
    else if (frame[0] === FrameType.Ping) ws.send(encodeFrame([FrameType.Pong, frame[1]] as Frame))
  })
}

const server = Bun.serve<Socket>({
  hostname: process.env.HOST || '127.0.0.1',
  port: Number(process.env.PORT ?? 0),
  fetch: (request, srv) =>
    srv.upgrade(request, { data: { provider: false, nodeId: '' } })
      ? undefined
      : new Response('floor relay', { status: 426 }),
  websocket: {
    maxPayloadLength: 16 * 1024 * 1024,
    perMessageDeflate: false,
    idleTimeout: 0,
    sendPings: false,
    close(ws) {
      welcomed.delete(ws)
      if (ws === provider) provider = null
      if (ws === caller) caller = null
    },
    message(ws, message) {
      const bytes = message as Uint8Array
      // A frame is a fixarray, so byte 1 is the type of a message's first frame. A message goes on
      // whole by that type: at one call in flight a node's message holds one frame, and the floor
      // is for that measure only (a Cancel or a second frame in a message would go along or be lost).
      const type = bytes[1]
      if (type === FrameType.Request && !ws.data.provider) {
        caller = ws
        if (PRE) spin(PRE)
        provider?.send(bytes)
        if (POST) spin(POST)
      } else if (type === FrameType.Response && ws.data.provider) {
        if (PRE) spin(PRE)
        caller?.send(bytes)
        if (POST) spin(POST)
      } else control(ws, bytes)
    },
  },
})
holdLifeline(() => {})
say(`Floor relay listening on ws://${server.hostname}:${server.port}`)
