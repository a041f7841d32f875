import { globalSocketFactory } from './transporter/socket.js'
import { WebsocketTransporterBase, type WebsocketTransporterOptions } from './websocket-transporter.js'

/**
 * The WebSocket transporter for React Native, using its global `WebSocket`.
 *
 * @example
 * import { WebsocketTransporter } from '@spider-mesh/ws/react-native'
 *
 * const transporter = new WebsocketTransporter()
 * transporter.connect('wss://relay.example.com')
 */
export class WebsocketTransporter extends WebsocketTransporterBase {
  constructor(options: WebsocketTransporterOptions = {}) {
    super(options, globalSocketFactory, 'react-native')
  }
}

export type { ConnectionStatus, DiscoveryEvent } from './transporter/connection-status.js'
export type { WebsocketTransporterOptions } from './websocket-transporter.js'
