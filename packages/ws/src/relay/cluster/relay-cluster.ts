import type { Msg } from '@nats-io/transport-node'
import { ErrorCode, encodeValue } from '@spider-mesh/core'
import type { Registry } from 'prom-client'
import type { CallEndpoint, Refusal } from '../call-endpoint.js'
import type { ResolvedClusterOptions } from '../cluster-options.js'
import type { ClusterPort } from '../cluster-port.js'
import type { HostedCluster } from '../hosted/hosted-service.js'
import type { RelayLogger } from '../relay-logger.js'
import type { RelayPeer } from '../relay-peer.js'
import type { RelayRouter } from '../relay-router.js'
import { ClusterCalls } from './cluster-calls.js'
import { ClusterDirectory, HEARTBEAT_MS } from './cluster-directory.js'
import { type DirectoryEntry, decodeMessage, type TopicMessage } from './cluster-messages.js'
import { ClusterMetrics, registerClusterMetrics } from './cluster-metrics.js'
import { type BackboneState, NatsBackbone } from './nats-backbone.js'
import type { RemoteRelay } from './remote-relay.js'
import { ClusterSubjects } from './subjects.js'

/** What `/health` says about the cluster. */
export interface ClusterHealth {
  state: BackboneState
  /** Relays in the cluster, this one included. */
  relays: number
}

/** Random, new at every start: a restarted relay is a new relay to the others. */
const newRelayId = (): string => Math.random().toString(36).slice(2, 10) + Date.now().toString(36).slice(-4)

/**
 * One relay's membership in a cluster of relays joined over NATS. It lists this relay's nodes in
 * the shared directory, carries calls to and from providers on other relays (the payload bytes
 * untouched), and relays pub/sub by interest. The router sees other relays' nodes as endpoints
 * in its directory, so round-robin, pinning, cancels and provider loss work as on one relay.
 */
export class RelayCluster implements ClusterPort {
  readonly relayId = newRelayId()
  readonly preferLocal: boolean
  readonly metrics = new ClusterMetrics()
  readonly backbone: NatsBackbone
  readonly directory: ClusterDirectory
  /** Calls to and from providers and callers on other relays. */
  readonly calls: ClusterCalls
  readonly #router: RelayRouter
  readonly #subjects: ClusterSubjects
  /** The shared store of the relay's hosted services: this cluster's NATS connection. */
  readonly hosted: HostedCluster
  readonly #info = { name: '' }
  readonly #topics = new Map<string, { unsubscribe(): void }>()
  /** Hosted services told of every relay lost (they drop what it wrote to the shared store). */
  readonly #relayLostListeners = new Set<(relayId: string) => void>()
  readonly #logger: RelayLogger
  #timer: ReturnType<typeof setInterval> | undefined
  #leaving = false

  constructor(router: RelayRouter, options: ResolvedClusterOptions, logger: RelayLogger) {
    this.#router = router
    this.#logger = logger
    this.preferLocal = options.preferLocal
    this.#subjects = new ClusterSubjects(options.prefix)
    this.backbone = new NatsBackbone({
      servers: options.servers,
      name: 'spider-mesh relay',
      connectOptions: options.natsOptions,
      logger,
      onConnected: () => this.directory.beat(Date.now()),
      onDown: () => {},
    })
    this.directory = new ClusterDirectory({
      relayId: this.relayId,
      info: this.#info,
      backbone: this.backbone,
      subjects: this.#subjects,
      logger,
      directory: router.directory,
      // Arrows: the call transport is made just below, with this directory.
      sink: {
        toProvider: (node, frame) => this.calls.toProvider(node, frame),
        toCaller: (relay, frame) => this.calls.toCaller(relay, frame),
      },
      localEntries: () => this.#localEntries(),
      relayLost: (relay) => this.#relayLost(relay),
    })
    this.calls = new ClusterCalls({
      relayId: this.relayId,
      backbone: this.backbone,
      subjects: this.#subjects,
      router,
      directory: this.directory,
      metrics: this.metrics,
      logger,
    })
    const { backbone, relayId } = this
    const lostListeners = this.#relayLostListeners
    this.hosted = {
      prefix: options.prefix,
      relayId,
      connection: () => backbone.connection(),
      get connected() {
        return backbone.connected
      },
      onRelayLost(listener) {
        lostListeners.add(listener)
        return () => lostListeners.delete(listener)
      },
    }
    router.attachCluster(this)
  }

  /** This relay's name in the cluster. */
  get name(): string {
    return this.#info.name
  }

  /** Connects in the background (never blocks start-up) and starts the heartbeat. */
  start(name: string): void {
    this.#info.name = name
    this.directory.start()
    this.calls.start()
    this.backbone.start()
    let beats = 0
    this.#timer = setInterval(() => {
      const now = Date.now()
      this.directory.beat(now)
      this.calls.sweep(now)
      if (++beats % 5 === 1) void this.backbone.measureRtt()
    }, HEARTBEAT_MS)
    ;(this.#timer as { unref?: () => void }).unref?.()
  }

  health(): ClusterHealth {
    return { state: this.backbone.state, relays: this.directory.relays.size + 1 }
  }

  registerMetrics(registry: Registry): void {
    registerClusterMetrics(registry, this.metrics, () => {
      const perRelay: [string, number][] = [[this.name, [...this.#router.listedPeers()].length]]
      for (const relay of this.directory.relays.values()) perRelay.push([relay.name, relay.nodes.size])
      return {
        relays: this.directory.relays.size + 1,
        connected: this.backbone.connected,
        reconnects: this.backbone.reconnects,
        rttMs: this.backbone.rttMs,
        perRelay,
      }
    })
  }

  get reachable(): boolean {
    return this.backbone.connected
  }

  refuse(endpoint: CallEndpoint): Refusal | undefined {
    if (this.backbone.connected) return undefined
    return {
      code: ErrorCode.CLUSTER_UNAVAILABLE,
      message: `${endpoint.label} is on another relay, and this relay has lost NATS (state ${this.backbone.state}); calls between its own nodes still work`,
    }
  }

  nodeListed(peer: RelayPeer): void {
    if (!this.#leaving) this.directory.publishLocal(peer.nodeId!, entryOf(peer))
  }

  nodeUnlisted(peer: RelayPeer): void {
    if (!this.#leaving) this.directory.publishLocal(peer.nodeId!, null)
  }

  topicInterest(topic: string, listening: boolean): void {
    if (listening) {
      if (this.#topics.has(topic)) return
      this.#topics.set(
        topic,
        this.backbone.subscribe(this.#subjects.topic(topic), (msg) => this.#onTopic(topic, msg)),
      )
    } else {
      this.#topics.get(topic)?.unsubscribe()
      this.#topics.delete(topic)
    }
  }

  published(topic: string, payload: Uint8Array, source: string): void {
    const message: TopicMessage = [this.relayId, source, payload]
    if (this.backbone.publish(this.#subjects.topic(topic), encodeValue(message))) this.metrics.publications++
  }

  /** First step of a graceful stop: the other relays stop routing new calls to this relay's nodes. */
  drain(): void {
    if (this.#leaving) return
    for (const peer of this.#router.listedPeers()) this.directory.publishLocal(peer.nodeId!, null)
    this.#leaving = true
  }

  /** Leaves the cluster: the others forget this relay's nodes at once. */
  async close(): Promise<void> {
    clearInterval(this.#timer)
    this.#leaving = true
    this.directory.bye()
    await this.backbone.close()
  }

  #localEntries(): [string, DirectoryEntry][] {
    if (this.#leaving) return []
    return [...this.#router.listedPeers()].map((peer) => [peer.nodeId!, entryOf(peer)])
  }

  #onTopic(topic: string, msg: Msg): void {
    const message = decodeMessage<TopicMessage>(msg.data, 3)
    if (!message || message[0] === this.relayId || typeof message[1] !== 'string') return
    if (!(message[2] instanceof Uint8Array)) return
    this.metrics.deliveriesIn++
    this.#router.deliver(topic, message[2], message[1], (peer) => this.#deliveredElsewhere(peer, message[0]))
  }

  /**
   * A node connected to several relays of the cluster subscribes through each of them, yet must
   * get each message once: the origin relay delivers to its own nodes, and otherwise only the
   * relay with the smallest id among those the node is listed on does.
   */
  #deliveredElsewhere(peer: RelayPeer, origin: string): boolean {
    // Per subscriber and message: look at the node's own listings, not at every relay.
    for (const listing of this.#router.directory.remotesOf(peer.nodeId!)) {
      if (listing.relayId === origin || listing.relayId < this.relayId) return true
    }
    return false
  }

  /** A relay is gone: callers here of its providers get OFFLINE, providers here of its callers a cancel. */
  #relayLost(relay: RemoteRelay): void {
    for (const node of relay.nodes.values()) this.#router.calls.connectionLost(node)
    this.#router.calls.connectionLost(relay.caller)
    this.calls.forget(relay.id)
    for (const listener of this.#relayLostListeners) {
      try {
        listener(relay.id)
      } catch (err) {
        this.#logger.warn('[relay] cluster: a hosted service failed on a lost relay', err)
      }
    }
  }
}

function entryOf(peer: RelayPeer): DirectoryEntry {
  return peer.catalog
    ? { services: peer.services, meta: peer.meta, catalog: peer.catalog }
    : { services: peer.services, meta: peer.meta }
}
