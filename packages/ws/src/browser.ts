import { globalSocketFactory } from './transporter/socket.js'
import { WebsocketTransporterBase, type WebsocketTransporterOptions } from './websocket-transporter.js'

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
    super(options, globalSocketFactory, 'browser')
  }
}

export type { ConnectionStatus, DiscoveryEvent } from './transporter/connection-status.js'
export type { WebsocketTransporterOptions } from './websocket-transporter.js'
