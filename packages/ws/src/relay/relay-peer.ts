import {
  encodeValue,
  type Frame,
  FrameBatch,
  type NodeMeta,
  type RawRequestRanges,
  type ServiceCatalog,
} from '@spider-mesh/core'
import type { ConnectionAccess } from './access-rules.js'
import type { CallEndpoint } from './call-endpoint.js'
import type { PendingRequest } from './pending-table.js'
import type { RelayConnection } from './relay-connection.js'
import { LogEvent } from './relay-logger.js'

/**
 * The router's state for one connection, created by `router.open()`. Adapters keep the reference
 * and hand it back with every message, so the hot path needs no lookup by socket.
 */
export class RelayPeer implements CallEndpoint {
  /** Numbers connections for logs before they have a node id. */
  readonly seq: number
  readonly connection: RelayConnection
  /** Server-role connections are listed in discovery and routed to; passive ones never are. */
  readonly isServer: boolean
  /** A connection to this relay, never one reached through the cluster. */
  readonly remote = false
  /** Bound by Hello; null until then. */
  nodeId: string | null = null
  /** True while this node is in discovery (announced with a Node frame and routable). */
  listed = false
  /** The node sent Goodbye: no new requests go to it, but its calls in flight may finish. */
  leaving = false
  closed = false
  /** When the relay pinged this node because another socket claimed its id (0 = no probe). */
  probeSentAt = 0
  /** Acknowledged the relay's Goodbye during a drain: nothing new will come from it. */
  drainAcked = false
  services: string[] = []
  /** What the node announced about its services (methods, version); undefined if it did not. */
  catalog: ServiceCatalog | undefined = undefined
  readonly topics = new Set<string>()
  /**
   * Services whose directory entries this node wants (it calls or watches them); null: every
   * node, as for nodes that did not opt in to discovery by interest in their Hello.
   */
  interest: Set<string> | null = null
  /**
   * Nodes this connection was told about (a Node frame, or in Welcome) and not told gone; kept
   * only while `interest` is a set: a connection that wants every node was told of all of them.
   */
  readonly told = new Set<string>()
  /** Requests this connection made that are in flight, by the caller's own id. */
  readonly outgoing = new Map<number, PendingRequest>()
  /** Requests routed to this connection as the provider. */
  readonly incoming = new Set<PendingRequest>()
  /** When the last frame of any kind arrived (ms since epoch). */
  lastSeen: number
  protocolErrors = 0
  /** What `authenticate` returned for this connection (undefined without authentication). */
  principal: unknown
  #wirePrincipal: { value: unknown } | undefined
  /** Compiled access rules; null when the relay has no access policy (everything allowed). */
  access: ConnectionAccess | null = null
  /** What the node said about itself in Hello. */
  meta: NodeMeta = {}
  /** Round trip of the relay's last ping, in ms. */
  rttMs: number | undefined
  readonly connectedAt = Date.now()
  /** Bytes written to this connection; the router sums them into its metrics. */
  bytesOut = 0
  /** Rate limiting: frames received in the current one-second window, and when it ends. */
  framesInWindow = 0
  windowEndsAt = 0
  /** Whether this window's OVERLOADED notice was sent (one per window, not one per frame). */
  throttleNoticeSent = false
  /** Called after a write when too much waits in the socket (slow-consumer guard). */
  onBackpressure: ((peer: RelayPeer, buffered: number) => void) | null = null
  maxBufferedBytes = Number.POSITIVE_INFINITY

  constructor(seq: number, connection: RelayConnection, isServer: boolean, now: number) {
    this.seq = seq
    this.connection = connection
    this.isServer = isServer
    this.lastSeen = now
    this.#batch = new FrameBatch((bytes) => this.#write(bytes), {
      writeCopies: connection.copiesOnSend === true,
    })
  }

  /**
   * The principal as it is stamped on requests to providers: itself when the codec can carry it
   * (plain data), else its String() — a class instance with methods cannot cross the wire.
   * Computed once per connection, not per call.
   */
  get wirePrincipal(): unknown {
    if (this.#wirePrincipal) return this.#wirePrincipal.value
    let value = this.principal
    if (value !== undefined) {
      try {
        encodeValue(value)
      } catch {
        value = String(value)
      }
    }
    this.#wirePrincipal = { value }
    return value
  }

  /** A {@link LogEvent} about this connection: its node id once it said Hello, its number always. */
  about(event: string, fields: Record<string, unknown> = {}): LogEvent {
    return new LogEvent(event, {
      ...(this.nodeId === null ? {} : { node_id: this.nodeId }),
      connection: this.seq,
      ...fields,
    })
  }

  /** How logs and error messages name this connection. */
  get label(): string {
    return this.nodeId === null ? `connection #${this.seq} (before Hello)` : `node "${this.nodeId}"`
  }

  /**
   * Everything queued for this connection while one inbound message is handled leaves as one
   * WebSocket message when that message's write turn ends (RelayRouter.message), or when the
   * microtask queue drains for frames queued outside one: a batch of 64 requests in gives one
   * batch out per provider, not 64 writes.
   */
  readonly #batch: FrameBatch

  /** Queues an encoded frame. */
  send(bytes: Uint8Array): void {
    if (!this.closed) this.#batch.addBytes(bytes)
  }

  /** Queues a frame (encoded straight into the batch). */
  sendFrame(frame: Frame): void {
    if (!this.closed) this.#batch.add(frame)
  }

  sendRawResponse(id: number, kind: number, src: Uint8Array, start: number, end: number): void {
    if (!this.closed) this.#batch.addResponseRaw(id, kind, src, start, end)
  }

  sendRawRequest(id: number, src: Uint8Array, at: RawRequestRanges, source: Uint8Array): void {
    if (!this.closed) this.#batch.addRequestRaw(id, src, at, source)
  }

  /** This node's id as msgpack, stamped as the source of the requests it makes (encoded once). */
  encodedNodeId(): Uint8Array {
    if (this.#encodedNodeId === undefined) this.#encodedNodeId = encodeValue(this.nodeId)
    return this.#encodedNodeId
  }
  #encodedNodeId: Uint8Array | undefined

  /** Bounds how many bytes of frames one coalesced message may hold. */
  coalesceBytes(peerMaxBytes: number): void {
    this.#batch.fitPeerLimit(peerMaxBytes)
  }

  /** Writes what is queued now (before a close frame, for instance). */
  flush(): void {
    this.#batch.flush()
  }

  /** Writes one message, without ever throwing: a dying socket must not break routing for everyone else. */
  #write(bytes: Uint8Array): void {
    if (this.closed) return
    this.bytesOut += bytes.byteLength
    let sent: number | void
    try {
      sent = this.connection.send(bytes)
    } catch {
      // The adapter reports the close separately; the frames are lost with the socket anyway.
      return
    }
    // All of it reached the kernel: nothing is queued in the socket (see RelayConnection.send).
    if (sent !== undefined && sent > 0) return
    const buffered = this.connection.bufferedAmount()
    if (buffered > this.maxBufferedBytes) this.onBackpressure?.(this, buffered)
  }
}
