/**
 * The wire limit: a WebSocket relay with no protocol. A socket says what it is in the query
 * (`?role=caller|provider|pub|sub`); every binary frame from the caller goes verbatim to the
 * provider and back, from `pub` to every `sub`, from a `sub` to `pub`. Other sockets just stay open
 * (idle-connection baseline). Same socket settings as the Spider Mesh relay's two adapters.
 *
 * Run as a process: `LIMIT_ADAPTER=bun|node bun bench/processes/limit-relay.ts` prints
 * `Limit relay listening on ws://HOST:PORT` (under node too, see node-scripts.ts).
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'

/** Anything that can take a frame: Bun's ServerWebSocket or a `ws` WebSocket. */
interface Sink {
  send(data: Uint8Array): unknown
}

type Role = 'caller' | 'provider' | 'pub' | 'sub' | 'other'

const MAX_PAYLOAD = 16 * 1024 * 1024

/** Who is connected in which role, and where each role's frames go. */
class Pairing {
  caller: Sink | null = null
  provider: Sink | null = null
  pub: Sink | null = null
  readonly subs = new Set<Sink>()

  open(role: Role, socket: Sink): void {
    if (role === 'caller') this.caller = socket
    else if (role === 'provider') this.provider = socket
    else if (role === 'pub') this.pub = socket
    else if (role === 'sub') this.subs.add(socket)
  }

  forward(role: Role, data: Uint8Array): void {
    if (role === 'caller') this.provider?.send(data)
    else if (role === 'provider') this.caller?.send(data)
    else if (role === 'sub') this.pub?.send(data)
    else if (role === 'pub') for (const sub of this.subs) sub.send(data)
  }

  close(socket: Sink): void {
    if (this.caller === socket) this.caller = null
    if (this.provider === socket) this.provider = null
    if (this.pub === socket) this.pub = null
    this.subs.delete(socket)
  }
}

function roleOf(url: string | undefined): Role {
  const role = new URL(url ?? '/', 'http://limit').searchParams.get('role')
  return role === 'caller' || role === 'provider' || role === 'pub' || role === 'sub' ? role : 'other'
}

/** A running limit relay. */
export interface LimitRelay {
  port: number
  stop(): void
}

/** Starts the forwarder on `Bun.serve` websockets. */
export function startBunLimitRelay(host: string, port: number): LimitRelay {
  const pairing = new Pairing()
  const server = Bun.serve<{ role: Role }>({
    hostname: host,
    port,
    fetch: (request, server) =>
      server.upgrade(request, { data: { role: roleOf(request.url) } })
        ? undefined
        : new Response('limit relay: connect with a WebSocket client', { status: 426 }),
    websocket: {
      maxPayloadLength: MAX_PAYLOAD,
      perMessageDeflate: false,
      idleTimeout: 0,
      sendPings: false,
      backpressureLimit: 64 * MAX_PAYLOAD,
      closeOnBackpressureLimit: true,
      open: (ws) => pairing.open(ws.data.role, ws),
      message: (ws, message) => {
        if (typeof message !== 'string') pairing.forward(ws.data.role, message)
      },
      close: (ws) => pairing.close(ws),
    },
  })
  return { port: server.port ?? 0, stop: () => void server.stop(true) }
}

/** Starts the forwarder on Node's http server and the `ws` package. */
export async function startWsLimitRelay(host: string, port: number): Promise<LimitRelay> {
  const pairing = new Pairing()
  const http = createServer((_request, response) => {
    response.writeHead(426).end('limit relay: connect with a WebSocket client')
  })
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD, perMessageDeflate: false })
  http.on('upgrade', (request, socket, head) => {
    socket.on('error', () => {})
    wss.handleUpgrade(request, socket, head, (ws) => {
      const role = roleOf(request.url)
      pairing.open(role, ws)
      ws.on('message', (data, isBinary) => {
        if (isBinary) pairing.forward(role, data as Buffer)
      })
      ws.on('close', () => pairing.close(ws))
      ws.on('error', () => {})
    })
  })
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(port, host, () => resolve())
  })
  return {
    port: (http.address() as AddressInfo).port,
    stop: () => {
      wss.close()
      http.close()
      http.closeAllConnections()
    },
  }
}
