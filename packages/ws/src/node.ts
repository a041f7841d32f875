import WebSocket from 'isomorphic-ws'
import type { SocketFactory, WebSocketLike } from './transporter/socket.js'
import { WebsocketTransporterBase, type WebsocketTransporterOptions } from './websocket-transporter.js'

// Bun ships a fast native WebSocket client; Node (before 22) has none, so `ws` via isomorphic-ws.
const native = (globalThis as { Bun?: unknown; WebSocket?: new (url: string) => WebSocketLike }).WebSocket
const Socket =
  (globalThis as { Bun?: unknown }).Bun && native
    ? native
    : (WebSocket as unknown as new (
        url: string,
      ) => WebSocketLike)
const factory: SocketFactory = (url) => new Socket(url)

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
  constructor(options: WebsocketTransporterOptions = {}) {
    super(options, factory, (globalThis as { Bun?: unknown }).Bun ? 'bun' : 'node')
  }
}

export type { ConnectionStatus, DiscoveryEvent } from './transporter/connection-status.js'
export type { WebsocketTransporterOptions } from './websocket-transporter.js'
