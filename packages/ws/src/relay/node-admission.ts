import {
  ErrorCode,
  FrameType,
  type HelloFrame,
  PROTOCOL_VERSION,
  type RelayLimits,
  type ServiceCatalog,
  sameCatalogs,
} from '@spider-mesh/core'
import { type AnnouncementLimits, keptCatalog, widenInterest, withinLimits } from './announcement-limits.js'
import type { ClusterPort } from './cluster-port.js'
import type { NodeDirectory } from './node-directory.js'
import { RelayCloseCode } from './relay-close-codes.js'
import type { RelayLogger } from './relay-logger.js'
import type { RelayPeer } from './relay-peer.js'

/** What admitting a node needs from the router. */
export interface AdmissionContext {
  /** Node ids bound to a connection of this relay. */
  readonly nodes: Map<string, RelayPeer>
  readonly directory: NodeDirectory
  readonly cluster: ClusterPort | undefined
  /** What Welcome announces. */
  readonly welcome: { heartbeatMs: number; limits: RelayLimits }
  readonly logger: RelayLogger
  readonly limits: AnnouncementLimits
  subscribe(peer: RelayPeer, topic: string): void
  /** The names the connection may use (the others are reported to it). */
  allowed(peer: RelayPeer, what: 'provide' | 'subscribe', names: string[]): string[]
  /** Sends an Error frame, then closes the connection. */
  reject(peer: RelayPeer, code: string, message: string, closeCode: number): void
  protocolError(peer: RelayPeer, message: string): void
}

/**
 * A node's Hello: checks the protocol version and the node id (one live socket per id), binds
 * the id to this connection, welcomes it with the directory, and lists it when it serves.
 */
export function admitHello(peer: RelayPeer, frame: HelloFrame, ctx: AdmissionContext): void {
  const [, version, nodeId, services, topics] = frame
  if (version !== PROTOCOL_VERSION) {
    ctx.reject(
      peer,
      ErrorCode.PROTOCOL_VERSION_MISMATCH,
      `Protocol version mismatch: the node speaks version ${version}, the relay speaks version ${PROTOCOL_VERSION}. ` +
        'Run matching versions of @spider-mesh/ws on nodes and relay.',
      RelayCloseCode.VersionMismatch,
    )
    return
  }
  if (nodeId === '') {
    ctx.protocolError(peer, 'Hello must carry a non-empty node id')
    return
  }
  const owner = ctx.nodes.get(nodeId)
  if (owner && owner !== peer) {
    // Often the "owner" is this same node's previous socket, dead but not yet noticed (a
    // half-open TCP connection): probe it now instead of waiting 2.5 heartbeats, so the node's
    // next reconnect attempt gets in. A live owner answers and keeps its id.
    if (owner.probeSentAt === 0) {
      owner.probeSentAt = Date.now()
      owner.sendFrame([FrameType.Ping, performance.timeOrigin + performance.now()])
    }
    ctx.reject(
      peer,
      ErrorCode.NODE_ID_CONFLICT,
      `Node id "${nodeId}" is already connected on another socket. Give every node a unique id, ` +
        'or wait until the old connection has closed.',
      RelayCloseCode.NodeIdConflict,
    )
    return
  }
  peer.nodeId = nodeId
  peer.meta = frame.length >= 6 ? frame[5]! : {}
  // A seventh field opts in to discovery by interest (see docs/protocol.md).
  const interest = frame.length >= 7 ? frame[6] : null
  if (interest) {
    peer.interest = new Set()
    widenInterest(peer, interest, ctx.limits)
  }
  ctx.nodes.set(nodeId, peer)
  const subscribable = withinLimits(peer, 'topic', topics, ctx.limits, ctx.logger)
  for (const topic of ctx.allowed(peer, 'subscribe', subscribable)) ctx.subscribe(peer, topic)
  peer.sendFrame([
    FrameType.Welcome,
    PROTOCOL_VERSION,
    nodeId,
    ctx.directory.list(nodeId, peer),
    ctx.welcome.heartbeatMs,
    ctx.welcome.limits,
  ])
  // Measure the round trip at once rather than a heartbeat later (ls and the dashboard show it).
  peer.sendFrame([FrameType.Ping, performance.timeOrigin + performance.now()])
  const role = peer.isServer ? 'server' : 'passive'
  ctx.logger.debug(`[relay] ${peer.label} joined (${role})`, peer.about('node_joined', { role }))
  if (!peer.isServer) return
  peer.services = withinLimits(
    peer,
    'service',
    ctx.allowed(peer, 'provide', unique(services)),
    ctx.limits,
    ctx.logger,
  )
  peer.catalog = keptCatalog(peer.services, frame.length === 8 ? frame[7] : undefined, ctx.limits)
  ctx.directory.listLocal(peer)
  ctx.cluster?.nodeListed(peer)
}

/** A listed node announced a new list of services (and what it serves of each). */
export function changeServices(
  peer: RelayPeer,
  services: string[],
  catalog: ServiceCatalog | undefined,
  ctx: AdmissionContext,
): void {
  // Passive and leaving nodes are never routed to, so what they offer does not matter.
  if (!peer.listed) return
  const next = withinLimits(
    peer,
    'service',
    ctx.allowed(peer, 'provide', unique(services)),
    ctx.limits,
    ctx.logger,
  )
  const nextCatalog = keptCatalog(next, catalog, ctx.limits)
  const before = new Set(peer.services)
  if (
    next.length === before.size &&
    next.every((service) => before.has(service)) &&
    sameCatalogs(peer.catalog, nextCatalog)
  )
    return
  const previous = peer.services
  const previousCatalog = peer.catalog
  peer.services = next
  peer.catalog = nextCatalog
  ctx.directory.changeLocal(peer, previous, previousCatalog)
  ctx.cluster?.nodeListed(peer)
}

/** A node subscribes to a topic (within the name limit and its access rules). */
export function subscribeTopic(peer: RelayPeer, topic: string, ctx: AdmissionContext): void {
  const names = ctx.allowed(peer, 'subscribe', withinLimits(peer, 'topic', [topic], ctx.limits, ctx.logger))
  if (names.length === 1) ctx.subscribe(peer, topic)
}

/** Removes duplicates, keeping the announced order. */
function unique(list: string[]): string[] {
  return list.length < 2 ? list : [...new Set(list)]
}
