import type { Server, ServerWebSocket } from 'bun'
import { authenticateUpgrade, authRequest } from './authentication.js'
import { answerHttp } from './http-endpoints.js'
import {
  acceptsPath,
  CLOSE_GRACE_MS,
  classifyConnection,
  listenError,
  type RelayAdapter,
  type RelayAdapterOptions,
} from './relay-adapter.js'
import { RelayCloseCode } from './relay-close-codes.js'
import type { RelayConnection } from './relay-connection.js'
import { logEvent } from './relay-logger.js'
import type { RelayPeer } from './relay-peer.js'

interface SocketData {
  /** The upgrade request, kept only until `isServerConnection` has seen it. */
  request: Request | null
  peer: RelayPeer | null
  /** What `authenticate` returned. */
  principal: unknown
}

/**
 * One socket as the router sees it. A class, not an object of three arrow functions: the methods
 * live once on the prototype, where the arrows were three functions and a scope kept by every
 * connection (the relay's idle-connection memory, issue 14).
 */
class BunConnection implements RelayConnection {
  readonly #ws: ServerWebSocket<SocketData>

  constructor(ws: ServerWebSocket<SocketData>) {
    this.#ws = ws
  }

  /** Bun's `send` copies into the socket or its backpressure buffer before it returns. */
  get copiesOnSend(): boolean {
    return true
  }

  send(bytes: Uint8Array): number {
    return this.#ws.send(bytes)
  }

  close(code: number, reason: string): void {
    this.#ws.close(code, reason)
  }

  bufferedAmount(): number {
    return this.#ws.getBufferedAmount()
  }
}

/** The 401 answer to an upgrade `authenticate` refused. */
export function unauthorized(reason: string): Response {
  return new Response(`Unauthorized: ${reason}`, { status: 401, headers: { 'www-authenticate': 'Bearer' } })
}

/**
 * The relay on `Bun.serve` websockets, much faster than `ws` under Bun. `isServerConnection`
 * receives Bun's `ServerWebSocket` and the upgrade's standard `Request`.
 */
export class BunAdapter implements RelayAdapter {
  readonly ready: Promise<void>
  readonly #server: Server<SocketData> | null = null
  readonly #sockets = new Set<ServerWebSocket<SocketData>>()
  #port: number | null = null
  /** Resolves close()'s wait once the last socket is gone. */
  #onDrained: (() => void) | null = null

  constructor(options: RelayAdapterOptions) {
    const { router, logger } = options
    try {
      this.#server = Bun.serve<SocketData>({
        ...(options.host === undefined ? {} : { hostname: options.host }),
        ...(options.tls ? { tls: { cert: options.tls.cert, key: options.tls.key } } : {}),
        port: options.port,
        fetch: (request, server) => {
          if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
            return answerHttp(router, options, request.method, request.url).then((answer) => {
              // A 204 or a HEAD answer must not have a body (Response refuses one for 204).
              const body = request.method === 'HEAD' || answer.status === 204 ? null : answer.body
              return new Response(body, { status: answer.status, headers: answer.headers })
            })
          }
          if (!acceptsPath(options.path, request.url)) return new Response('Not found', { status: 404 })
          const upgrade = (principal: unknown) =>
            server.upgrade(request, { data: { request, peer: null, principal } })
              ? undefined
              : new Response('Spider Mesh relay: connect with a WebSocket client', { status: 426 })
          if (!options.authenticate) return upgrade(undefined)
          const url = new URL(request.url)
          const headers: Record<string, string> = {}
          request.headers.forEach((value, name) => {
            headers[name] = value
          })
          const who = authRequest(url.pathname + url.search, headers, server.requestIP(request)?.address)
          return authenticateUpgrade(options.authenticate, who).then((verdict) => {
            if (verdict.ok) return upgrade(verdict.principal)
            logger.debug(
              `[relay] refused an upgrade: ${verdict.reason}`,
              logEvent('upgrade_refused', { reason: verdict.reason }),
            )
            return unauthorized(verdict.reason)
          })
        },
        websocket: {
          maxPayloadLength: options.maxPayloadBytes,
          perMessageDeflate: false,
          // The router runs its own heartbeat, which also works for browsers; Bun's would only add noise.
          idleTimeout: 0,
          sendPings: false,
          // Past the limit Bun drops messages silently, which would leave calls hanging forever;
          // closing instead makes both sides fail the calls and the node reconnect.
          backpressureLimit: Math.max(64 * 1024 * 1024, 4 * options.maxPayloadBytes),
          closeOnBackpressureLimit: true,
          open: (ws) => {
            this.#sockets.add(ws)
            const isServer = classifyConnection(options, ws, ws.data.request)
            ws.data.request = null
            if (isServer === null) {
              ws.close(RelayCloseCode.InternalError, 'connection could not be classified')
              return
            }
            ws.data.peer = router.open(new BunConnection(ws), { isServer, principal: ws.data.principal })
          },
          message: (ws, message) => {
            if (ws.data.peer) router.message(ws.data.peer, message)
          },
          close: (ws, code, reason) => {
            this.#sockets.delete(ws)
            if (this.#sockets.size === 0) this.#onDrained?.()
            if (!ws.data.peer) return
            if (code === RelayCloseCode.MessageTooBig) {
              logger.debug(
                `[relay] ${ws.data.peer.label} closed: ${reason || 'message too big'}`,
                ws.data.peer.about('message_too_big', { code }),
              )
            }
            router.closed(ws.data.peer)
          },
        },
      })
      this.#port = this.#server.port ?? null
      this.ready = Promise.resolve()
    } catch (err) {
      this.ready = Promise.reject(listenError(err, options.host, options.port))
    }
  }

  get port(): number | null {
    return this.#port
  }

  async close(): Promise<void> {
    const server = this.#server
    if (!server) return
    this.#port = null
    // Stop accepting, then let the close frames the router sent reach the clients before cutting off.
    const stopping = server.stop(false)
    if (this.#sockets.size > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined
      await new Promise<void>((resolve) => {
        this.#onDrained = resolve
        timer = setTimeout(resolve, CLOSE_GRACE_MS)
      })
      clearTimeout(timer)
    }
    await Promise.race([server.stop(true), stopping])
  }
}
