import {
  ErrorCode,
  encodeFrame,
  type Frame,
  FrameBatch,
  FrameType,
  type PublishFrame,
} from '@spider-mesh/core'
import { allowedNames, applyAccessPolicy, deny } from './access-enforcement.js'
import { CallRouter } from './call-router.js'
import { type RoutingTables, routeCall } from './call-routing.js'
import type { ClusterPort } from './cluster-port.js'
import { ConnectionDiscipline } from './connection-discipline.js'
import { handleConnectionFrame } from './connection-frames.js'
import { addHostedServices } from './hosted/add-hosted-services.js'
import { HostedServices } from './hosted/hosted-services.js'
import { InboundFrames } from './inbound-frames.js'
import { MaintenanceSweep } from './maintenance-sweep.js'
import { type AdmissionContext, changeServices, subscribeTopic } from './node-admission.js'
import { NodeDirectory } from './node-directory.js'
import { RelayCloseCode } from './relay-close-codes.js'
import type { RelayConnection } from './relay-connection.js'
import { RelayDrain } from './relay-drain.js'
import { logEvent, type RelayLogger } from './relay-logger.js'
import { RelayMetrics } from './relay-metrics.js'
import type { RelayRouterOptions } from './relay-options.js'
import { RelayPeer } from './relay-peer.js'
import type { RelayStats } from './relay-stats.js'
import { TopicTable } from './topic-table.js'

export type { RelayRouterOptions } from './relay-options.js'
export type { RelayStats } from './relay-stats.js'

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
  readonly #logger: RelayLogger
  readonly #peers = new Set<RelayPeer>()
  /** Node ids bound to a connection of this relay. */
  readonly #nodes = new Map<string, RelayPeer>()
  /** Routable nodes here and, in a cluster, on the other relays. */
  readonly directory = new NodeDirectory(
    () => this.#peers,
    (warning) => this.#logger.warn(warning),
  )
  /** The call half; the cluster hands it the calls that cross relays. */
  readonly calls: CallRouter
  readonly #topics = new TopicTable()
  /** The relay's own services (topic history, presence, records), reached by `$` names. */
  readonly #hosted = new HostedServices(() => this.calls)
  /** What routing reads; its `cluster` is the one reference to the cluster, if any. */
  readonly #routing: RoutingTables = {
    nodes: this.#nodes,
    directory: this.directory,
    cluster: undefined,
    hosted: this.#hosted,
  }
  /** Counters behind /metrics, /stats and the dashboard. */
  readonly metrics = new RelayMetrics()
  /** Limits and hooks, with defaults applied. */
  readonly #options: RelayRouterOptions
  readonly #heartbeat: ReturnType<typeof setInterval>
  readonly #sweep: MaintenanceSweep
  #seq = 0
  #closed = false
  readonly #drain = new RelayDrain()
  readonly #inbound: InboundFrames
  readonly #discipline: ConnectionDiscipline
  readonly #admission: AdmissionContext

  constructor(options: RelayRouterOptions) {
    const { heartbeatIntervalMs, maxInFlightPerConnection: maxInFlight } = options
    this.#logger = options.logger
    this.#options = options
    this.calls = new CallRouter({
      metrics: this.metrics,
      maxInFlight,
      pendingTtlMs: options.pendingTtlMs,
      route: (caller, service, method, destination, options) =>
        routeCall(this.#routing, caller, service, method, destination, options),
      protocolError: (peer, message, requestId) => {
        if (peer instanceof RelayPeer) this.#discipline.protocolError(peer, message, requestId)
        else this.#logger.warn(`[relay] ${peer.label}: ${message}`, logEvent('remote_protocol_error'))
      },
      onEnd: () => {
        if (this.#drain.draining) this.#checkDrained()
      },
    })
    this.#sweep = new MaintenanceSweep({
      heartbeatIntervalMs,
      helloTimeoutMs: options.helloTimeoutMs,
      logger: this.#logger,
      drop: (peer, code, reason) => this.#discipline.drop(peer, code, reason),
    })
    this.#discipline = new ConnectionDiscipline({
      logger: this.#logger,
      metrics: this.metrics,
      maxBufferedBytes: options.maxBufferedBytes,
      closed: (peer) => this.closed(peer),
    })
    this.#inbound = new InboundFrames({
      metrics: this.metrics,
      logger: this.#logger,
      maxFramesPerSecond: options.maxFramesPerSecond,
      discipline: this.#discipline,
      throttleActions: {
        logger: this.#logger,
        drop: (peer, code, reason) => this.#discipline.drop(peer, code, reason),
        refuse: (peer, [, id, service, method], message) =>
          this.calls.refuse(peer, id, service, method, 'overloaded', ErrorCode.OVERLOADED, message),
      },
      calls: this.calls,
      dispatch: (peer, frame) => this.#dispatch(peer, frame),
    })
    const router = this
    this.#admission = {
      nodes: this.#nodes,
      directory: this.directory,
      get cluster() {
        return router.#routing.cluster
      },
      welcome: {
        heartbeatMs: heartbeatIntervalMs,
        limits: { maxPayloadBytes: options.maxPayloadBytes, maxInFlight },
      },
      logger: this.#logger,
      limits: { maxServicesPerNode: options.maxServicesPerNode, maxNameLength: options.maxNameLength },
      subscribe: (peer, topic) => this.#topics.subscribe(peer, topic),
      allowed: (peer, what, names) => allowedNames(peer, what, names, this.#logger),
      reject: (peer, code, message, closeCode) => this.#discipline.reject(peer, code, message, closeCode),
      protocolError: (peer, message) => this.#discipline.protocolError(peer, message),
    }
    const hosted = this.#hosted
    this.#topics.onMembership = (peer, topic, joined) => hosted.listening(peer, topic, joined)
    addHostedServices(
      hosted,
      {
        logger: this.#logger,
        relayName: () => this.#routing.cluster?.name || 'local',
        peerOf: (nodeId) => this.#nodes.get(nodeId),
        listening: (peer, topic, joined) => hosted.listening(peer, topic, joined),
        get cluster() {
          return router.#routing.cluster?.hosted
        },
      },
      options,
    )
    // Deadlines (Hello, TTL) are checked at least every second; pings go out per heartbeat interval.
    this.#heartbeat = setInterval(
      () => {
        const now = Date.now()
        this.#sweep.run(this.#peers, now)
        this.calls.expire(now)
      },
      Math.min(heartbeatIntervalMs, 1000),
    )
    // The listener keeps the process alive; the heartbeat alone must not.
    ;(this.#heartbeat as { unref?: () => void }).unref?.()
  }

  /** The cluster this relay is part of, if any. */
  get cluster(): ClusterPort | undefined {
    return this.#routing.cluster
  }

  /** Joins the router to a cluster (once, before any connection). */
  attachCluster(cluster: ClusterPort): void {
    this.#routing.cluster = cluster
    this.#topics.onInterest = (topic, listening) => cluster.topicInterest(topic, listening)
  }

  /** The nodes connected here that are routable (what this relay lists in the cluster). */
  *listedPeers(): Iterable<RelayPeer> {
    for (const peer of this.#nodes.values()) if (peer.listed) yield peer
  }

  /** Delivers a message another relay's node published to the subscribers here but the `skip`ped. */
  deliver(topic: string, payload: Uint8Array, source: string, skip?: (peer: RelayPeer) => boolean): void {
    this.metrics.deliveries += this.#topics.deliver(topic, payload, source, undefined, skip)
  }

  /** Registers a new connection and returns the state the adapter passes back with each event. */
  open(connection: RelayConnection, options: { isServer: boolean; principal?: unknown }): RelayPeer {
    const peer = new RelayPeer(++this.#seq, connection, options.isServer, Date.now())
    peer.principal = options.principal
    if (!applyAccessPolicy(peer, this.#options.access, options.isServer, this.#logger)) return peer
    peer.maxBufferedBytes = this.#options.maxBufferedBytes
    // Nodes are held to the limit the relay announces; coalesced messages to them stay within it too.
    peer.coalesceBytes(this.#options.maxPayloadBytes)
    peer.onBackpressure = this.#discipline.slowConsumer
    if (this.#closed || this.#drain.draining) {
      peer.closed = true
      connection.close(RelayCloseCode.GoingAway, 'relay shutting down')
      return peer
    }
    this.#peers.add(peer)
    return peer
  }

  /**
   * Handles one inbound message (inbound-frames.ts), in a write turn: what it forwards leaves
   * before this returns, one write per socket (FrameBatch.beginTurn).
   */
  message(peer: RelayPeer, data: Uint8Array | string): void {
    const outer = FrameBatch.beginTurn()
    try {
      this.#inbound.message(peer, data)
    } finally {
      if (outer) FrameBatch.endTurn()
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
    this.calls.connectionLost(peer)
    this.#hosted.peerClosed(peer)
    this.#logger.debug(`[relay] ${peer.label} disconnected`, peer.about('node_disconnected'))
    this.#checkDrained()
  }

  /**
   * First step of a graceful shutdown: tells every node the relay is going away (Goodbye), so they
   * send new calls to their other relays, while calls already in flight keep being routed.
   * Resolves when no call is pending any more, or after `timeoutMs`.
   */
  drain(timeoutMs: number): Promise<void> {
    if (this.#closed) return Promise.resolve()
    return this.#drain.begin(this.#peers, timeoutMs, () => this.calls.size)
  }

  #checkDrained(): void {
    this.#drain.check(this.#peers, this.calls.size)
  }

  /** Shuts down: sends Goodbye (unless drain() did), closes every connection (1001), stops the heartbeat. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#heartbeat)
    const goodbye = this.#drain.draining ? undefined : encodeFrame([FrameType.Goodbye, 'relay shutting down'])
    this.#drain.release()
    for (const peer of this.#peers) {
      if (goodbye) peer.send(goodbye)
      peer.flush()
      peer.closed = true
      try {
        peer.connection.close(RelayCloseCode.GoingAway, 'relay shutting down')
      } catch (err) {
        this.#logger.debug(`[relay] closing ${peer.label} failed`, err, peer.about('close_failed'))
      }
    }
    // Every connection goes at once, so nobody is left to notify: just empty the tables.
    this.#hosted.close().catch((err) => this.#logger.warn('[relay] a hosted service failed to close', err))
    this.calls.clear()
    this.#topics.clear()
    for (const peer of this.#peers) peer.listed = false
    this.directory.clear()
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
      pending: this.calls.size,
      subscriptions: this.#topics.size,
      services: this.directory.serviceCount,
    }
  }

  #dispatch(peer: RelayPeer, frame: Frame): void {
    if (handleConnectionFrame(peer, frame, this.#discipline, this.#admission)) return
    switch (frame[0]) {
      case FrameType.Request:
        this.calls.request(peer, frame)
        return
      case FrameType.Response:
        this.calls.response(peer, frame)
        return
      case FrameType.Cancel:
        this.calls.cancel(peer, frame)
        return
      case FrameType.Credit:
        this.calls.credit(peer, frame)
        return
      case FrameType.Publish:
        this.#publish(peer, frame)
        return
      case FrameType.Subscribe:
        subscribeTopic(peer, frame[1], this.#admission)
        return
      case FrameType.Unsubscribe:
        this.#topics.unsubscribe(peer, frame[1])
        return
      case FrameType.Services:
        changeServices(peer, frame[1], frame[2], this.#admission)
        return
      case FrameType.Interest:
        this.directory.addInterest(peer, frame[1], this.#admission.limits)
        return
      case FrameType.Goodbye:
        if (this.#drain.draining) {
          // While the relay drains, a node's Goodbye acknowledges ours: it sends nothing new.
          peer.drainAcked = true
          this.#checkDrained()
          return
        }
        this.#logger.debug(`[relay] ${peer.label} said goodbye: ${frame[1]}`, peer.about('node_goodbye'))
        peer.leaving = true
        this.#unlist(peer)
        return
      case FrameType.Error:
        // Never answered: two sides replying to each other's errors would loop.
        this.#logger.debug(
          `[relay] ${peer.label} reported ${frame[1]}: ${frame[2]}`,
          peer.about('node_reported', { code: frame[1], reason: frame[2] }),
        )
        return
    }
  }

  #publish(sender: RelayPeer, [, topic, payload]: PublishFrame): void {
    this.metrics.publications++
    if (sender.access && !sender.access.publish.allows(topic)) {
      deny(sender, `publish on topic "${topic}"`, this.#logger)
      return
    }
    this.#routing.cluster?.published(topic, payload, sender.nodeId!)
    this.#hosted.published(sender, topic, payload)
    this.metrics.deliveries += this.#topics.deliver(topic, payload, sender.nodeId!, sender)
  }

  /** Takes a node out of discovery and routing, telling the others when it was announced. */
  #unlist(peer: RelayPeer): void {
    if (!peer.listed) return
    this.directory.unlistLocal(peer)
    this.#routing.cluster?.nodeUnlisted(peer)
  }
}
