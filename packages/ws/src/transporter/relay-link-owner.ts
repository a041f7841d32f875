import type { NodeMeta, ServiceCatalog, TransporterHost, TransportLink } from '@spider-mesh/core'
import type { ConnectionStatus, DiscoveryEvent } from './connection-status.js'
import type { SocketFactory } from './socket.js'
import type { TokenOption } from './token-source.js'

/** What a RelayLink needs from the transporter that owns it. */
export interface RelayLinkOwner {
  readonly host: TransporterHost | undefined
  /** The TransportLink the mesh answers requests through. */
  readonly link: TransportLink
  readonly services: string[]
  /** Per service: its methods and version (sent in Hello and Services frames). */
  readonly catalog: ServiceCatalog
  readonly topics: Iterable<string>
  /** Services whose directory entries this node wants (`'*'`: all); sent in Hello. */
  readonly interest: Iterable<string>
  readonly meta: NodeMeta
  setStatus(url: string, status: ConnectionStatus): void
  directoryChanged(): void
  discovered(event: DiscoveryEvent): void
  warn(message: string): void
}

/** Timing options of a RelayLink. */
export interface RelayLinkOptions {
  heartbeatIntervalMs: number
  reconnectIntervalMs: number
  maxReconnectIntervalMs: number
  socketFactory: SocketFactory
  token?: TokenOption
}
