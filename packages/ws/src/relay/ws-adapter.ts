import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { WebSocket, WebSocketServer } from 'ws'
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

/** Socket errors before the upgrade completes are answered by the close that follows. */
function ignoreSocketError(): void {}

/** Where a `ws` socket keeps its {@link WsConnection}, for the listeners shared by all sockets. */
const CONNECTION = Symbol('spider-mesh relay connection')
type TaggedSocket = WebSocket & { [CONNECTION]: WsConnection }

/**
 * One socket as the router sees it, and what its listeners need. A class, and listeners shared by
 * every socket (EventEmitter calls them with the socket as `this`), not six arrow functions and a
 * scope kept by every connection (the relay's idle-connection memory, issue 14).
 */
class WsConnection implements RelayConnection {
  readonly ws: WebSocket
  readonly options: RelayAdapterOptions
  /** Set right after `router.open` answers it. */
  peer!: RelayPeer

  constructor(ws: WebSocket, options: RelayAdapterOptions) {
    this.ws = ws
    this.options = options
  }

  send(bytes: Uint8Array): void {
    this.ws.send(bytes)
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason)
  }

  bufferedAmount(): number {
    return this.ws.bufferedAmount
  }
}

function onMessage(this: WebSocket, data: unknown, isBinary: boolean): void {
  const { options, peer } = (this as TaggedSocket)[CONNECTION]
  // With the default binaryType every binary message is a single Buffer.
  options.router.message(peer, isBinary ? (data as Buffer) : String(data))
}

function onClose(this: WebSocket): void {
  const { options, peer } = (this as TaggedSocket)[CONNECTION]
  options.router.closed(peer)
}

/** Oversized messages and broken frames land here; `ws` closes the socket itself (e.g. 1009). */
function onError(this: WebSocket, err: Error): void {
  const { options, peer } = (this as TaggedSocket)[CONNECTION]
  options.logger.debug(`[relay] socket error on ${peer.label}: ${err.message}`, peer.about('socket_error'))
}

/**
 * The relay on Node's http server and the `ws` package (also runs under Bun). `isServerConnection`
 * receives the `ws` WebSocket and the upgrade's `IncomingMessage`.
 */
export class WsAdapter implements RelayAdapter {
  readonly ready: Promise<void>
  readonly #options: RelayAdapterOptions
  readonly #http: Server
  readonly #wss: WebSocketServer
  #port: number | null = null

  constructor(options: RelayAdapterOptions) {
    this.#options = options
    const handler = (request: IncomingMessage, response: ServerResponse) => {
      void answerHttp(options.router, options, request.method ?? 'GET', request.url).then(
        (answer) => {
          response.writeHead(answer.status, answer.headers)
          response.end(request.method === 'HEAD' || answer.status === 204 ? undefined : answer.body)
        },
        (err: Error) => {
          options.logger.error(
            `[relay] HTTP ${request.method} ${request.url} failed`,
            err,
            logEvent('http_failed', { method: request.method, url: request.url }),
          )
          response.writeHead(500, { 'content-type': 'text/plain' })
          response.end('Spider Mesh relay: internal error')
        },
      )
    }
    this.#http = options.tls
      ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler)
      : createServer(handler)
    // maxPayload makes `ws` close oversized messages with 1009 before buffering them whole.
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayloadBytes,
      perMessageDeflate: false,
    })
    this.#http.on('upgrade', (request: IncomingMessage, socket, head) => {
      // A module-level function, not an arrow made here: an arrow would share this handler's
      // closure context (request, head) and keep the upgrade request alive as long as the socket.
      socket.on('error', ignoreSocketError)
      if (!acceptsPath(options.path, request.url)) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
        return
      }
      if (!options.authenticate) {
        this.#wss.handleUpgrade(request, socket, head, (ws) => this.#accept(ws, request, undefined))
        return
      }
      const headers: Record<string, string | undefined> = {}
      for (const [name, value] of Object.entries(request.headers)) {
        headers[name] = Array.isArray(value) ? value.join(', ') : value
      }
      const who = authRequest(request.url ?? '/', headers, request.socket.remoteAddress)
      void authenticateUpgrade(options.authenticate, who).then((verdict) => {
        if (!verdict.ok) {
          options.logger.debug(
            `[relay] refused an upgrade: ${verdict.reason}`,
            logEvent('upgrade_refused', { reason: verdict.reason }),
          )
          const body = `Unauthorized: ${verdict.reason}`
          socket.end(
            `HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nConnection: close\r\n` +
              `Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
          )
          return
        }
        this.#wss.handleUpgrade(request, socket, head, (ws) => this.#accept(ws, request, verdict.principal))
      })
    })
    this.ready = new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(listenError(err, options.host, options.port))
      this.#http.once('error', onError)
      this.#http.listen(options.port, options.host, () => {
        this.#http.off('error', onError)
        this.#port = (this.#http.address() as AddressInfo).port
        resolve()
      })
    })
  }

  get port(): number | null {
    return this.#port
  }

  async close(): Promise<void> {
    await this.ready.catch(() => {})
    // The router already sent close frames; give clients a moment to answer, then cut them off.
    const open = [...this.#wss.clients].filter((ws) => ws.readyState !== WebSocket.CLOSED)
    await Promise.race([
      Promise.all(open.map((ws) => new Promise((resolve) => ws.once('close', resolve)))),
      new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref()),
    ])
    for (const ws of this.#wss.clients) ws.terminate()
    this.#wss.close()
    this.#port = null
    if (!this.#http.listening) return
    await new Promise<void>((resolve) => {
      this.#http.close(() => resolve())
      this.#http.closeAllConnections()
    })
  }

  #accept(ws: WebSocket, request: IncomingMessage, principal: unknown): void {
    const { router } = this.#options
    const isServer = classifyConnection(this.#options, ws, request)
    if (isServer === null) {
      ws.close(RelayCloseCode.InternalError, 'connection could not be classified')
      return
    }
    const connection = new WsConnection(ws, this.#options)
    connection.peer = router.open(connection, { isServer, principal })
    ;(ws as TaggedSocket)[CONNECTION] = connection
    ws.on('message', onMessage)
    ws.on('close', onClose)
    ws.on('error', onError)
  }
}
