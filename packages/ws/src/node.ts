import { AsyncLocalStorage } from 'node:async_hooks'
import { type CallContext, useContextStorage } from '@spider-mesh/core'
import WebSocket from 'isomorphic-ws'
import type { SocketFactory, SocketInit, WebSocketLike } from './transporter/socket.js'
import { WebsocketTransporterBase, type WebsocketTransporterOptions } from './websocket-transporter.js'

type SocketClass = new (url: string, options?: object) => WebSocketLike

// Node and Bun keep a context across awaits: callContext() then works anywhere in a provider
// method, not only before its first await.
useContextStorage(new AsyncLocalStorage<CallContext>())

// Bun ships a fast native WebSocket client; Node (before 22) has none, so `ws` via isomorphic-ws.
const isBun = Boolean((globalThis as { Bun?: unknown }).Bun)
const native = (globalThis as { WebSocket?: SocketClass }).WebSocket
const Socket: SocketClass = isBun && native ? native : (WebSocket as unknown as SocketClass)

/** TLS settings for `wss://` relays (Node and Bun). */
export interface TransporterTlsOptions {
  /** Certificate authorities to trust besides the system's, in PEM (e.g. a private or self-signed CA). */
  ca?: string | string[]
  /** Set false only for tests: accepts any certificate. Default true. */
  rejectUnauthorized?: boolean
}

/** Options of the Node/Bun `WebsocketTransporter`. */
export interface NodeWebsocketTransporterOptions extends WebsocketTransporterOptions {
  /** TLS settings for `wss://` URLs. */
  tls?: TransporterTlsOptions
}

function factoryFor(tls: TransporterTlsOptions | undefined): SocketFactory {
  const open = (url: string, init: SocketInit) => {
    const headers = init.token === undefined ? undefined : { authorization: `Bearer ${init.token}` }
    if (!headers && !tls) return new Socket(url)
    // Bun's WebSocket takes `tls` like its fetch does; `ws` takes the TLS options at the top level.
    const options = isBun && native ? { headers, tls } : { headers, ...tls }
    return new Socket(url, options)
  }
  // Bun's WebSocket copies on send; `ws` may keep the buffer while the write is queued. Both
  // deliver messages as Buffers with 'nodebuffer' (see SocketFactory.binaryType).
  return Object.assign(open, { copiesOnSend: Boolean(isBun && native), binaryType: 'nodebuffer' as const })
}

/**
 * The WebSocket transporter for Node and Bun.
 *
 * @example
 * import { SpiderMesh } from '@spider-mesh/core'
 * import { WebsocketTransporter } from '@spider-mesh/ws/node'
 *
 * const transporter = new WebsocketTransporter({ heartbeatIntervalMs: 5000 })
 * transporter.connect('ws://127.0.0.1:8787')
 * new SpiderMesh().registerTransporter(transporter)
 */
export class WebsocketTransporter extends WebsocketTransporterBase {
  constructor(options: NodeWebsocketTransporterOptions = {}) {
    super(options, factoryFor(options.tls), (globalThis as { Bun?: unknown }).Bun ? 'bun' : 'node')
  }
}

export type { ConnectionStatus, DiscoveryEvent } from './transporter/connection-status.js'
export type { WebsocketTransporterOptions } from './websocket-transporter.js'
