import { type SocketFactory, type WebSocketLike, withTokenParam } from './transporter/socket.js'
import { WebsocketTransporterBase, type WebsocketTransporterOptions } from './websocket-transporter.js'

// A browser's (and React Native's) WebSocket cannot send headers: the token goes in the URL.
const factory: SocketFactory = (url, init) => {
  const Socket = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket
  if (!Socket) throw new Error('This environment has no global WebSocket')
  return new Socket(withTokenParam(url, init.token))
}

/**
 * The WebSocket transporter for browsers, using the global `WebSocket`.
 *
 * @example
 * import { WebsocketTransporter } from '@spider-mesh/ws/browser'
 *
 * const transporter = new WebsocketTransporter()
 * transporter.connect('wss://relay.example.com')
 */
export class WebsocketTransporter extends WebsocketTransporterBase {
  constructor(options: WebsocketTransporterOptions = {}) {
    super(options, factory, 'browser')
  }
}

export type { ConnectionStatus, DiscoveryEvent } from './transporter/connection-status.js'
export type { WebsocketTransporterOptions } from './websocket-transporter.js'
