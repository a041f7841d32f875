import {
  decodeFrames,
  ErrorCode,
  encodeFrame,
  type Frame,
  FrameType,
  type HelloFrame,
  PROTOCOL_VERSION,
  type PublishFrame,
} from '@spider-mesh/core'
import { DeadlineWaiters } from '../deadline-waiters.js'
import { type AccessPolicy, ConnectionAccess } from './access-rules.js'
import { CallRouter } from './call-router.js'
import { RelayCloseCode } from './relay-close-codes.js'
import type { RelayConnection } from './relay-connection.js'
import type { RelayLogger } from './relay-logger.js'
import { RelayMetrics } from './relay-metrics.js'
import type { ResolvedRelayOptions } from './relay-options.js'
import { RelayPeer } from './relay-peer.js'
import { ServiceTable } from './service-table.js'
import { TopicTable } from './topic-table.js'

/** What the router uses of the relay server's options, with defaults applied (in relay-options.ts, once). */
export type RelayRouterOptions = Pick<
  ResolvedRelayOptions,
  | 'heartbeatIntervalMs'
  | 'logger'
  | 'maxPayloadBytes'
  | 'maxInFlightPerConnection'
  | 'maxFramesPerSecond'
  | 'maxBufferedBytes'
  | 'pendingTtlMs'
  | 'helloTimeoutMs'
  | 'access'
>

/** Sizes of the router's tables, to watch load and to prove nothing leaks. */
export interface RelayStats {
  /** Open connections, with or without Hello. */
  connections: number
  /** Node ids bound to a connection (server-role and passive). */
  nodes: number
  /** Requests forwarded whose response stream has not ended. */
  pending: number
  /** (topic, connection) subscriptions. */
  subscriptions: number
  /** Services with at least one routable provider. */
  services: number
}

/** A connection is closed after this many protocol errors: it is broken or hostile. */
const MAX_PROTOCOL_ERRORS = 20
/** How long a node whose id another socket claims has to answer a ping before it is dropped. */
const PROBE_TIMEOUT_MS = 2000
/** Silence longer than this many heartbeat intervals means the peer is gone. */
const HEARTBEAT_GRACE = 2.5

const frameNames: Record<number, string> = Object.fromEntries(
  Object.entries(FrameType).map(([name, type]) => [type, name]),
)

/**
 * The relay's routing state machine, independent of any socket library: adapters call `open`,
 * `message` and `closed`; the router answers through each {@link RelayConnection}.
 *
 * It owns identity (a node id is bound to the socket whose Hello announced it), routes requests
 * round-robin or to a pinned node, forwards payload bytes without decoding them, and keeps
 * discovery incremental. No handler throws: a broken connection is answered or closed, and every
 * other connection keeps working.
 */
export class RelayRouter {
  readonly #heartbeatIntervalMs: number
  readonly #logger: RelayLogger
  readonly #peers = new Set<RelayPeer>()
  readonly #nodes = new Map<string, RelayPeer>()
  readonly #services = new ServiceTable()
  readonly #calls: CallRouter
  readonly #topics = new TopicTable()
  /** Counters behind /metrics, /stats and the dashboard. */
  readonly metrics = new RelayMetrics()
  readonly #maxPayloadBytes: number
  readonly #maxInFlight: number
  readonly #maxFrames: number
  readonly #maxBuffered: number
  readonly #helloTimeoutMs: number
  readonly #access: AccessPolicy | undefined
  // One timer for all connections: a timer per socket costs more than a loop at this rate.
  readonly #heartbeat: ReturnType<typeof setInterval>
  #nextPingAt = 0
  #seq = 0
  #closed = false
  /** Goodbye was sent: calls in flight may finish, new connections are turned away. */
  #draining = false
  readonly #drained = new DeadlineWaiters()

  constructor(options: RelayRouterOptions) {
    this.#heartbeatIntervalMs = options.heartbeatIntervalMs
    this.#logger = options.logger
    this.#maxPayloadBytes = options.maxPayloadBytes
    this.#maxInFlight = options.maxInFlightPerConnection
    this.#maxFrames = options.maxFramesPerSecond
    this.#maxBuffered = options.maxBufferedBytes
    this.#calls = new CallRouter({
      metrics: this.metrics,
      maxInFlight: this.#maxInFlight,
      pendingTtlMs: options.pendingTtlMs,
      route: (service, method, destination) => this.#route(service, method, destination),
      protocolError: (peer, message, requestId) => this.#protocolError(peer, message, requestId),
      onEnd: () => {
        if (this.#draining) this.#checkDrained()
      },
    })
    this.#helloTimeoutMs = options.helloTimeoutMs
    this.#access = options.access
    this.#nextPingAt = Date.now() + this.#heartbeatIntervalMs
    // Deadlines (Hello, TTL) are checked at least every second; pings go out per heartbeat interval.
    this.#heartbeat = setInterval(() => this.#beat(), Math.min(this.#heartbeatIntervalMs, 1000))
    // The listener keeps the process alive; the heartbeat alone must not.
    ;(this.#heartbeat as { unref?: () => void }).unref?.()
  }

  /** Registers a new connection and returns the state the adapter passes back with each event. */
  open(connection: RelayConnection, options: { isServer: boolean; principal?: unknown }): RelayPeer {
    const peer = new RelayPeer(++this.#seq, connection, options.isServer, Date.now())
    peer.principal = options.principal
    if (this.#access) {
      try {
        peer.access = new ConnectionAccess(this.#access(options.principal, { isServer: options.isServer }))
      } catch (err) {
        this.#logger.error('[relay] the access policy threw; closing the connection', err)
        peer.closed = true
        connection.close(RelayCloseCode.InternalError, 'access policy failed')
        return peer
      }
    }
    peer.maxBufferedBytes = this.#maxBuffered
    // Nodes are held to the limit the relay announces; coalesced messages to them stay within it too.
    peer.coalesceBytes(this.#maxPayloadBytes)
    peer.onBackpressure = this.#slowConsumer
    if (this.#closed || this.#draining) {
      peer.closed = true
      connection.close(RelayCloseCode.GoingAway, 'relay shutting down')
      return peer
    }
    this.#peers.add(peer)
    return peer
  }

  /** Handles one inbound message. A string is a text message, which the protocol does not allow. */
  message(peer: RelayPeer, data: Uint8Array | string): void {
    if (peer.closed) return
    const now = Date.now()
    peer.lastSeen = now
    // Anything arriving after a liveness probe answers it.
    peer.probeSentAt = 0
    if (now >= peer.windowEndsAt) {
      peer.windowEndsAt = now + 1000
      peer.framesInWindow = 0
      peer.throttleNoticeSent = false
    }
    this.metrics.bytesIn += typeof data === 'string' ? data.length : data.byteLength
    if (typeof data === 'string') {
      this.#protocolError(peer, 'Text messages are not part of the protocol: send binary msgpack frames')
      return
    }
    this.#current = peer
    try {
      decodeFrames(data, this.#onFrame)
    } catch (err) {
      this.#protocolError(peer, (err as Error).message)
    }
  }

  /** The connection whose message is being decoded (decodeFrames takes one callback for all). */
  #current: RelayPeer | undefined

  readonly #onFrame = (frame: Frame): void => {
    const peer = this.#current!
    if (peer.closed) return
    this.metrics.framesIn++
    // Answers (a provider streaming a response, cancels, pongs) are not what the limit is for:
    // only frames that ask the relay for new work count.
    const type = frame[0]
    if (
      type !== FrameType.Response &&
      type !== FrameType.Cancel &&
      type !== FrameType.Pong &&
      ++peer.framesInWindow > this.#maxFrames &&
      this.#throttled(peer, frame)
    ) {
      return
    }
    try {
      this.#dispatch(peer, frame)
    } catch (err) {
      // A bug here must cost one frame, never the relay.
      this.#logger.error(`[relay] failed to handle a frame from ${peer.label}`, err)
    }
  }

  /** Forgets a connection the adapter saw close. Idempotent. */
  closed(peer: RelayPeer): void {
    if (peer.closed) return
    peer.closed = true
    this.#peers.delete(peer)
    if (peer.nodeId !== null && this.#nodes.get(peer.nodeId) === peer) this.#nodes.delete(peer.nodeId)
    this.#unlist(peer)
    this.#topics.removePeer(peer)
    this.metrics.bytesOut += peer.bytesOut
    this.#calls.connectionLost(peer)
    this.#logger.debug(`[relay] ${peer.label} disconnected`)
    this.#checkDrained()
  }

  /**
   * First step of a graceful shutdown: tells every node the relay is going away (Goodbye), so they
   * send new calls to their other relays, while calls already in flight keep being routed.
   * Resolves when no call is pending any more, or after `timeoutMs`.
   */
  drain(timeoutMs: number): Promise<void> {
    if (!this.#closed && !this.#draining) {
      this.#draining = true
      const goodbye = encodeFrame([FrameType.Goodbye, 'relay shutting down'])
      for (const peer of this.#peers) peer.send(goodbye)
    }
    if (this.#closed) return Promise.resolve()
    const drained = this.#drained.wait(timeoutMs)
    this.#checkDrained()
    return drained
  }

  /** The drain is over when every node acknowledged the Goodbye and no call is pending. */
  #checkDrained(): void {
    if (!this.#draining || !this.#drained.waiting || this.#calls.size > 0) return
    for (const peer of this.#peers) if (peer.nodeId !== null && !peer.drainAcked) return
    this.#drained.release()
  }

  /** Shuts down: sends Goodbye (unless drain() did), closes every connection (1001), stops the heartbeat. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#heartbeat)
    const goodbye = this.#draining ? undefined : encodeFrame([FrameType.Goodbye, 'relay shutting down'])
    this.#drained.release()
    for (const peer of this.#peers) {
      if (goodbye) peer.send(goodbye)
      peer.flush()
      peer.closed = true
      try {
        peer.connection.close(RelayCloseCode.GoingAway, 'relay shutting down')
      } catch (err) {
        this.#logger.debug(`[relay] closing ${peer.label} failed`, err)
      }
    }
    // Every connection goes at once, so nobody is left to notify: just empty the tables.
    this.#calls.clear()
    this.#topics.clear()
    for (const peer of this.#peers) this.#unlist(peer, false)
    this.#peers.clear()
    this.#nodes.clear()
  }

  /** Every open connection (for /directory and the dashboard; not for the hot path). */
  peers(): Iterable<RelayPeer> {
    return this.#peers.values()
  }

  /** Current table sizes. */
  stats(): RelayStats {
    return {
      connections: this.#peers.size,
      nodes: this.#nodes.size,
      pending: this.#calls.size,
      subscriptions: this.#topics.size,
      services: this.#services.size,
    }
  }

  #dispatch(peer: RelayPeer, frame: Frame): void {
    switch (frame[0]) {
      case FrameType.Ping:
        peer.sendFrame([FrameType.Pong, frame[1]])
        return
      case FrameType.Pong: {
        // Only the relay's own pings carry its clock; a node's stray Pong must not skew the figure.
        const rtt = performance.timeOrigin + performance.now() - frame[1]
        if (rtt >= 0 && rtt < 600_000) peer.rttMs = rtt
        return
      }
      case FrameType.Hello:
        if (peer.nodeId !== null) this.#protocolError(peer, 'Hello was already received on this connection')
        else this.#hello(peer, frame)
        return
      case FrameType.Welcome:
      case FrameType.Node:
      case FrameType.Offline:
        this.#protocolError(peer, `${frameNames[frame[0]]} frames are sent by the relay only`)
        return
    }
    if (peer.nodeId === null) {
      this.#protocolError(peer, `Got a ${frameNames[frame[0]]} frame before Hello: send Hello first`)
      return
    }
    switch (frame[0]) {
      case FrameType.Request:
        this.#calls.request(peer, frame)
        return
      case FrameType.Response:
        this.#calls.response(peer, frame)
        return
      case FrameType.Cancel:
        this.#calls.cancel(peer, frame)
        return
      case FrameType.Publish:
        this.#publish(peer, frame)
        return
      case FrameType.Subscribe:
        if (this.#allowed(peer, 'subscribe', [frame[1]]).length === 1) this.#topics.subscribe(peer, frame[1])
        return
      case FrameType.Unsubscribe:
        this.#topics.unsubscribe(peer, frame[1])
        return
      case FrameType.Services:
        this.#changeServices(peer, frame[1])
        return
      case FrameType.Goodbye:
        if (this.#draining) {
          // While the relay drains, a node's Goodbye acknowledges ours: it sends nothing new.
          peer.drainAcked = true
          this.#checkDrained()
          return
        }
        this.#logger.debug(`[relay] ${peer.label} said goodbye: ${frame[1]}`)
        peer.leaving = true
        this.#unlist(peer)
        return
      case FrameType.Error:
        // Never answered: two sides replying to each other's errors would loop.
        this.#logger.debug(`[relay] ${peer.label} reported ${frame[1]}: ${frame[2]}`)
        return
    }
  }

  #hello(peer: RelayPeer, frame: HelloFrame): void {
    const [, version, nodeId, services, topics] = frame
    if (version !== PROTOCOL_VERSION) {
      this.#reject(
        peer,
        ErrorCode.PROTOCOL_VERSION_MISMATCH,
        `Protocol version mismatch: the node speaks version ${version}, the relay speaks version ${PROTOCOL_VERSION}. ` +
          'Run matching versions of @spider-mesh/ws on nodes and relay.',
        RelayCloseCode.VersionMismatch,
      )
      return
    }
    if (nodeId === '') {
      this.#protocolError(peer, 'Hello must carry a non-empty node id')
      return
    }
    const owner = this.#nodes.get(nodeId)
    if (owner && owner !== peer) {
      // Often the "owner" is this same node's previous socket, dead but not yet noticed (a
      // half-open TCP connection): probe it now instead of waiting 2.5 heartbeats, so the node's
      // next reconnect attempt gets in. A live owner answers and keeps its id.
      if (owner.probeSentAt === 0) {
        owner.probeSentAt = Date.now()
        owner.sendFrame([FrameType.Ping, performance.timeOrigin + performance.now()])
      }
      this.#reject(
        peer,
        ErrorCode.NODE_ID_CONFLICT,
        `Node id "${nodeId}" is already connected on another socket. Give every node a unique id, ` +
          'or wait until the old connection has closed.',
        RelayCloseCode.NodeIdConflict,
      )
      return
    }
    peer.nodeId = nodeId
    peer.meta = frame.length === 6 ? frame[5] : {}
    this.#nodes.set(nodeId, peer)
    for (const topic of this.#allowed(peer, 'subscribe', topics)) this.#topics.subscribe(peer, topic)
    const others: [string, string[]][] = []
    for (const node of this.#nodes.values()) if (node.listed) others.push([node.nodeId!, node.services])
    peer.sendFrame([
      FrameType.Welcome,
      PROTOCOL_VERSION,
      nodeId,
      others,
      this.#heartbeatIntervalMs,
      { maxPayloadBytes: this.#maxPayloadBytes, maxInFlight: this.#maxInFlight },
    ])
    // Measure the round trip at once rather than a heartbeat later (ls and the dashboard show it).
    peer.sendFrame([FrameType.Ping, performance.timeOrigin + performance.now()])
    this.#logger.debug(`[relay] ${peer.label} joined (${peer.isServer ? 'server' : 'passive'})`)
    if (!peer.isServer) return
    peer.services = this.#allowed(peer, 'provide', unique(services))
    for (const service of peer.services) this.#services.add(service, peer)
    peer.listed = true
    this.#broadcast(peer, encodeFrame([FrameType.Node, nodeId, peer.services]))
  }

  #changeServices(peer: RelayPeer, services: string[]): void {
    // Passive and leaving nodes are never routed to, so what they offer does not matter.
    if (!peer.listed) return
    const next = this.#allowed(peer, 'provide', unique(services))
    const before = new Set(peer.services)
    if (next.length === before.size && next.every((service) => before.has(service))) return
    const after = new Set(next)
    for (const service of peer.services) if (!after.has(service)) this.#services.remove(service, peer)
    for (const service of next) if (!before.has(service)) this.#services.add(service, peer)
    peer.services = next
    this.#broadcast(peer, encodeFrame([FrameType.Node, peer.nodeId!, next]))
  }

  /** The provider for a call: the pinned node, or the next of the service round-robin. */
  #route(service: string, method: string, destination: string | null): RelayPeer | string {
    if (destination === null) return this.#services.next(service) ?? `No provider for service "${service}"`
    const provider = this.#nodes.get(destination)
    if (provider?.listed) return provider
    return `Node "${destination}" is not connected to the relay (call to "${service}.${method}")`
  }

  #publish(sender: RelayPeer, [, topic, payload]: PublishFrame): void {
    this.metrics.publications++
    if (sender.access && !sender.access.publish.allows(topic)) {
      this.#denied(sender, `publish on topic "${topic}"`)
      return
    }
    const subscribers = this.#topics.subscribers(topic)
    if (!subscribers) return
    let bytes: Uint8Array | undefined
    for (const subscriber of subscribers) {
      if (subscriber === sender) continue
      // The relay stamps the sender; whatever source the node wrote is ignored.
      bytes ??= encodeFrame([FrameType.Publish, topic, payload, sender.nodeId])
      subscriber.send(bytes)
      this.metrics.deliveries++
    }
  }

  /** Takes a node out of discovery and routing, telling the others when it was announced. */
  #unlist(peer: RelayPeer, notify = true): void {
    if (!peer.listed) return
    peer.listed = false
    for (const service of peer.services) this.#services.remove(service, peer)
    if (notify) this.#broadcast(peer, encodeFrame([FrameType.Offline, peer.nodeId!]))
  }

  /** Sends to every connection that has said Hello, except `source`. */
  #broadcast(source: RelayPeer, bytes: Uint8Array): void {
    for (const peer of this.#peers) if (peer !== source && peer.nodeId !== null) peer.send(bytes)
  }

  /**
   * Past `maxFramesPerSecond`: requests get OVERLOADED, publications and subscriptions are
   * dropped with one Error frame per window; answers (responses, cancels, pongs) still pass so
   * calls already running are not broken. At 10× the limit the connection is a flood and is closed.
   * Returns true when the frame was consumed here.
   */
  #throttled(peer: RelayPeer, frame: Frame): boolean {
    if (peer.framesInWindow > 10 * this.#maxFrames) {
      this.#logger.warn(
        `[relay] ${peer.label} flooded the relay (> ${10 * this.#maxFrames} frames/s); closing`,
      )
      this.#drop(peer, RelayCloseCode.Flood, 'flood: too many frames per second')
      return true
    }
    const type = frame[0]
    const message = `Rate limit: more than ${this.#maxFrames} frames per second on this connection (the relay's maxFramesPerSecond)`
    if (type === FrameType.Request && peer.nodeId !== null) {
      this.#calls.refuse(peer, frame[1], frame[2], frame[3], 'overloaded', ErrorCode.OVERLOADED, message)
      return true
    }
    if (!peer.throttleNoticeSent) {
      peer.throttleNoticeSent = true
      peer.sendFrame([FrameType.Error, ErrorCode.OVERLOADED, `${message}; frames are being dropped`, null])
    }
    return true
  }

  /** Keeps the names the connection may use for `what`, reporting the others to it (ACCESS_DENIED). */
  #allowed(peer: RelayPeer, what: 'provide' | 'subscribe', names: string[]): string[] {
    const access = peer.access
    if (!access) return names
    const matcher = access[what]
    const allowed = names.filter((name) => matcher.allows(name))
    if (allowed.length < names.length) {
      const refused = names.filter((name) => !matcher.allows(name))
      this.#denied(peer, `${what} ${refused.map((n) => `"${n}"`).join(', ')}`)
    }
    return allowed
  }

  #denied(peer: RelayPeer, what: string): void {
    this.#logger.debug(`[relay] denied: ${peer.label} may not ${what}`)
    peer.sendFrame([FrameType.Error, ErrorCode.ACCESS_DENIED, `${peer.label} may not ${what}`, null])
  }

  /** Slow-consumer guard: a socket that does not read its data is closed before it costs the relay memory. */
  readonly #slowConsumer = (peer: RelayPeer, buffered: number): void => {
    if (peer.closed) return
    this.#logger.warn(
      `[relay] ${peer.label} is not reading: ${buffered} bytes wait in its send buffer (limit ${this.#maxBuffered}); closing`,
    )
    // Flushing first would only add to the pile; close straight away.
    try {
      peer.connection.close(RelayCloseCode.SlowConsumer, 'slow consumer: send buffer over the limit')
    } catch {}
    this.closed(peer)
  }

  #protocolError(peer: RelayPeer, message: string, requestId: number | null = null): void {
    peer.protocolErrors++
    this.metrics.framesRejected++
    this.#logger.debug(`[relay] protocol error from ${peer.label}: ${message}`)
    peer.send(encodeFrame([FrameType.Error, ErrorCode.PROTOCOL_ERROR, message, requestId]))
    if (peer.protocolErrors >= MAX_PROTOCOL_ERRORS) {
      this.#drop(peer, RelayCloseCode.TooManyProtocolErrors, 'too many protocol errors')
    }
  }

  /** Sends an Error frame, then closes: for Hellos the relay cannot accept. */
  #reject(peer: RelayPeer, code: string, message: string, closeCode: number): void {
    this.#logger.debug(`[relay] rejected ${peer.label}: ${message}`)
    peer.send(encodeFrame([FrameType.Error, code, message, null]))
    this.#drop(peer, closeCode, code)
  }

  /** Closes a connection and forgets it at once, without waiting for the closing handshake. */
  #drop(peer: RelayPeer, code: number, reason: string): void {
    // What was queued (the Error frame explaining the close) must leave before the close frame.
    peer.flush()
    try {
      peer.connection.close(code, reason)
    } catch (err) {
      this.#logger.debug(`[relay] closing ${peer.label} failed`, err)
    }
    this.closed(peer)
  }

  /** Runs every second (or every heartbeat, if shorter): liveness, Hello deadline, pending TTL, pings. */
  #beat(): void {
    const now = Date.now()
    const deadline = now - HEARTBEAT_GRACE * this.#heartbeatIntervalMs
    const helloDeadline = now - this.#helloTimeoutMs
    const pingDue = now >= this.#nextPingAt
    if (pingDue) this.#nextPingAt = now + this.#heartbeatIntervalMs
    // Sub-millisecond precision: round trips on a LAN are well under 1 ms.
    const ping = pingDue
      ? encodeFrame([FrameType.Ping, performance.timeOrigin + performance.now()])
      : undefined
    for (const peer of this.#peers) {
      if (peer.lastSeen < deadline) {
        this.#logger.debug(`[relay] ${peer.label} timed out`)
        this.#drop(peer, RelayCloseCode.HeartbeatTimeout, 'heartbeat timeout')
      } else if (peer.probeSentAt > 0 && now - peer.probeSentAt > PROBE_TIMEOUT_MS) {
        this.#logger.debug(`[relay] ${peer.label} did not answer the liveness probe; freeing its node id`)
        this.#drop(peer, RelayCloseCode.HeartbeatTimeout, 'no answer to the liveness probe')
      } else if (peer.nodeId === null && peer.connectedAt < helloDeadline) {
        this.#logger.debug(`[relay] ${peer.label} sent no Hello within ${this.#helloTimeoutMs} ms`)
        this.#drop(peer, RelayCloseCode.HeartbeatTimeout, 'no Hello in time')
      } else if (ping) {
        peer.send(ping)
      }
    }
    this.#calls.expire(now)
  }
}

/** Removes duplicates, keeping the announced order. */
function unique(list: string[]): string[] {
  return list.length < 2 ? list : [...new Set(list)]
}
