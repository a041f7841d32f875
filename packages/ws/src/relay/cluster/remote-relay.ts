import type { Frame, NodeMeta, ServiceCatalog } from '@spider-mesh/core'
import type { CallEndpoint } from '../call-endpoint.js'
import type { RemoteListing } from '../node-directory.js'
import type { PendingRequest } from '../pending-table.js'
import type { DeltaMessage } from './cluster-messages.js'

/** How frames for another relay leave this one (the cluster's call transport). */
export interface RemoteFrameSink {
  /** A frame for a provider on `node`'s relay: Request or Cancel. */
  toProvider(node: RemoteNode, frame: Frame): void
  /** A frame for a caller on `relay`: a Response step. */
  toCaller(relay: RemoteRelay, frame: Frame): void
}

/**
 * A node listed by another relay: routed to like a local provider, its frames go over NATS to
 * its relay. It only serves calls: calls made on another relay arrive through that relay's
 * {@link RemoteCaller}.
 */
export class RemoteNode implements RemoteListing {
  readonly nodeId: string
  readonly relay: RemoteRelay
  readonly remote = true
  readonly access = null
  services: string[]
  catalog: ServiceCatalog | undefined = undefined
  meta: NodeMeta
  lastSeen = Date.now()
  readonly outgoing = new Map<number, PendingRequest>()
  readonly incoming = new Set<PendingRequest>()
  readonly #sink: RemoteFrameSink

  constructor(nodeId: string, relay: RemoteRelay, services: string[], meta: NodeMeta, sink: RemoteFrameSink) {
    this.nodeId = nodeId
    this.relay = relay
    this.services = services
    this.meta = meta
    this.#sink = sink
  }

  get label(): string {
    return `node "${this.nodeId}" (on relay "${this.relay.name}")`
  }

  get relayId(): string {
    return this.relay.id
  }

  get relayName(): string {
    return this.relay.name
  }

  sendFrame(frame: Frame): void {
    this.#sink.toProvider(this, frame)
  }
}

/**
 * Every call another relay's nodes make to providers here, as one caller: its ids are that
 * relay's own call ids (unique there), and its answers go back to that relay's reply subjects.
 */
export class RemoteCaller implements CallEndpoint {
  readonly relay: RemoteRelay
  readonly nodeId = null
  readonly remote = true
  readonly access = null
  lastSeen = Date.now()
  readonly outgoing = new Map<number, PendingRequest>()
  readonly incoming = new Set<PendingRequest>()
  readonly #sink: RemoteFrameSink

  constructor(relay: RemoteRelay, sink: RemoteFrameSink) {
    this.relay = relay
    this.#sink = sink
  }

  get label(): string {
    return `relay "${this.relay.name}"`
  }

  sendFrame(frame: Frame): void {
    this.#sink.toCaller(this.relay, frame)
  }
}

/**
 * What this relay knows of another relay of the cluster: its directory at a sequence number,
 * when it was last heard, and the endpoints its calls use. A relay id is new at every start, so
 * entries of a restarted relay can never be confused with those of its previous life.
 */
export class RemoteRelay {
  readonly id: string
  name: string
  /** Sequence number of the last delta applied; -1 before the first snapshot. */
  seq = -1
  /** A snapshot request is in flight; deltas wait in `buffered` until it is applied. */
  syncing = false
  buffered: DeltaMessage[] = []
  lastHeard = Date.now()
  /** A liveness probe is in flight (only while calls are). */
  probing = false
  readonly nodes = new Map<string, RemoteNode>()
  readonly caller: RemoteCaller

  constructor(id: string, sink: RemoteFrameSink) {
    this.id = id
    this.name = id
    this.caller = new RemoteCaller(this, sink)
  }

  /** Whether any call crosses to or from this relay (probing it is worth it). */
  get busy(): boolean {
    if (this.caller.outgoing.size > 0) return true
    for (const node of this.nodes.values()) if (node.incoming.size > 0) return true
    return false
  }
}
