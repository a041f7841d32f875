import {
  ErrorCode,
  encodeValue,
  MeshError,
  type NodeMeta,
  type NodeRef,
  ResponseKind,
  type ResponseKindValue,
  type RpcRequestPacket,
  type RpcResponsePacket,
  type ServiceCatalog,
  type ServiceDirectory,
  sameNodeLists,
  type Transporter,
  type TransporterHost,
  type TransportLink,
  VERSION,
} from '@spider-mesh/core'
import { BehaviorSubject, defer, distinctUntilChanged, map, type Observable, Subject } from 'rxjs'
import type { ConnectionStatus, DiscoveryEvent } from './transporter/connection-status.js'
import { DiscoveryMerge } from './transporter/discovery-merge.js'
import { RelayLink, type RelayLinkOwner } from './transporter/relay-link.js'
import type { SocketFactory } from './transporter/socket.js'
import {
  checkRelayUrl,
  positive,
  type WebsocketTransporterOptions,
} from './transporter/transporter-options.js'

export type { WebsocketTransporterOptions } from './transporter/transporter-options.js'

const NOOP = () => {}
const NO_CANCEL = { cancel: NOOP }
const RESOLVED_NO_CANCEL = Promise.resolve(NO_CANCEL)

/**
 * Connects a node to one or more relays over WebSocket and serves RPC, discovery, pub/sub and a
 * `ServiceDirectory` to the mesh it is registered on. The runtime entries (`/node`, `/browser`,
 * `/react-native`) subclass it only to choose the WebSocket implementation.
 */
export class WebsocketTransporterBase implements Transporter, TransportLink {
  /** Connection status per relay URL. */
  readonly status$ = new BehaviorSubject<Map<string, ConnectionStatus>>(new Map())
  /**
   * Other nodes joining, changing their services, or leaving; once per real change, however many
   * relays report it (`url` names the relay that told first).
   */
  readonly discovery$: Observable<DiscoveryEvent>
  /** This transporter as the mesh's `ServiceDirectory`. */
  readonly directory: ServiceDirectory

  readonly #discovery = new Subject<DiscoveryEvent>()
  readonly #directoryVersion = new BehaviorSubject(0)
  readonly #links = new Map<string, RelayLink>()
  readonly #topics = new Set<string>()
  /** Services this node calls or watches: relays send it only their providers' entries. */
  readonly #interest = new Set<string>()
  readonly #leaving = new Map<string, ReturnType<typeof setTimeout>>()
  readonly #options: Required<Omit<WebsocketTransporterOptions, 'onWarning' | 'meta' | 'token'>> & {
    token?: WebsocketTransporterOptions['token']
  }
  readonly #warn: (message: string) => void
  readonly #factory: SocketFactory
  readonly #owner: RelayLinkOwner
  #host: TransporterHost | undefined
  #services: string[] = []
  #catalog: ServiceCatalog = {}

  constructor(options: WebsocketTransporterOptions, factory: SocketFactory, runtime: string) {
    this.#options = {
      heartbeatIntervalMs: positive('heartbeatIntervalMs', options.heartbeatIntervalMs, 30_000),
      reconnectIntervalMs: positive('reconnectIntervalMs', options.reconnectIntervalMs, 1_000),
      maxReconnectIntervalMs: positive('maxReconnectIntervalMs', options.maxReconnectIntervalMs, 30_000),
      unsubscribeDelayMs: options.unsubscribeDelayMs ?? 10_000,
    }
    if (options.token !== undefined) {
      if (typeof options.token !== 'string' && typeof options.token !== 'function') {
        throw new MeshError(
          ErrorCode.INVALID_OPTION,
          'WebsocketTransporter: token must be a string or a function returning one',
        )
      }
      this.#options.token = options.token
    }
    if (!(this.#options.unsubscribeDelayMs >= 0)) {
      throw new MeshError(
        ErrorCode.INVALID_OPTION,
        `WebsocketTransporter: unsubscribeDelayMs must be >= 0, got ${options.unsubscribeDelayMs}`,
      )
    }
    this.#warn = options.onWarning ?? ((message) => console.warn(`[spider-mesh] ${message}`))
    this.#factory = factory
    const ownMeta: NodeMeta = { ...options.meta, version: VERSION, runtime }
    // Who listens to every join wants every node's entry, not only those of its services.
    this.discovery$ = defer(() => {
      this.#declareInterest('*')
      return this.#discovery
    })
    // Every relay reports what it sees; the application hears each real change once.
    const merge = new DiscoveryMerge((event) => this.#discovery.next(event))
    const self = this
    this.#owner = {
      get host() {
        return self.#host
      },
      link: this,
      get services() {
        return self.#services
      },
      get catalog() {
        return self.#catalog
      },
      topics: this.#topics,
      interest: this.#interest,
      // The mesh's own meta, then the transporter's (read per Hello: the mesh attaches later).
      get meta(): NodeMeta {
        const host = self.#host?.meta
        return host ? { ...host, ...ownMeta } : ownMeta
      },
      setStatus: (url, status) => this.#setStatus(url, status),
      directoryChanged: () => this.#directoryVersion.next(this.#directoryVersion.value + 1),
      discovered: (event) => merge.push(event),
      warn: this.#warn,
    }
    this.directory = {
      watchService: (service) => {
        this.#declareInterest(service)
        return this.#directoryVersion.pipe(
          map(() => this.#listNodes(service)),
          distinctUntilChanged(sameNodeLists),
        )
      },
      listNodes: (service) => {
        this.#declareInterest(service)
        return this.#listNodes(service)
      },
      declareInterest: (service) => this.#declareInterest(service),
    }
  }

  /**
   * Connects to a relay and keeps the connection up (reconnecting with backoff). Idempotent per
   * URL; call it for several relays to be connected to all of them.
   */
  connect(url: string): void {
    checkRelayUrl(url)
    if (this.#links.has(url)) return
    const link = new RelayLink(url, this.#owner, { ...this.#options, socketFactory: this.#factory })
    this.#links.set(url, link)
    link.start()
  }

  /** Closes the connection to one relay, or to all of them when no URL is given. */
  async close(url?: string): Promise<void> {
    const urls = url === undefined ? [...this.#links.keys()] : [url]
    await Promise.all(
      urls.map((u) => {
        const link = this.#links.get(u)
        if (!link) return undefined
        this.#links.delete(u)
        return link.close()
      }),
    )
  }

  /** Last measured round trip to a relay, in ms. */
  rtt(url: string): number | undefined {
    return this.#links.get(url)?.rtt
  }

  /** Links this transporter to a mesh. One transporter serves one mesh. */
  attach(host: TransporterHost): TransportLink {
    if (this.#host && this.#host !== host) {
      throw new MeshError(
        ErrorCode.ALREADY_REGISTERED,
        'This WebsocketTransporter is already registered on another mesh; create one transporter per mesh',
      )
    }
    this.#host = host
    for (const link of this.#links.values()) link.helloIfReady()
    return this
  }

  /**
   * Sends a request to a relay, or a response back to the relay it came from. A request with no
   * connected relay fails at once with `MICROSERVICE_OFFLINE` (as an error response).
   */
  send(packet: RpcRequestPacket | RpcResponsePacket): Promise<{ cancel: () => void }> {
    if (packet.type === 'response') {
      this.respond(packet.reply_to, packet.request_id, packet.kind, packet.payload)
      return RESOLVED_NO_CANCEL
    }
    return Promise.resolve({ cancel: this.request(packet) })
  }

  /**
   * A step of the response to a call served through `replyTo`, the relay connection it came in
   * on (`send(response)` comes here too; the mesh calls it directly: no packet per step).
   */
  respond(replyTo: unknown, requestId: number, kind: ResponseKindValue, payload?: Uint8Array): void {
    if (replyTo instanceof RelayLink) replyTo.respond(requestId, kind, payload)
  }

  /** Sends a request and returns its cancel function (see `send`). */
  request(packet: RpcRequestPacket): () => void {
    this.call(packet)
    return (reason?: string) => this.cancel(packet.request_id, reason)
  }

  /** Sends a request, cancelled with `cancel(id)`: the mesh's fast path, no function per call. */
  call(packet: RpcRequestPacket): void {
    const link = this.#pick(packet)
    if (link) link.call(packet)
    else this.#offline(packet)
  }

  /** Cancels a request this transporter sent (ids it does not carry, or that ended, are ignored). */
  cancel(requestId: number, reason?: string): void {
    for (const link of this.#links.values()) if (link.cancel(requestId, reason)) return
  }

  /** Flow control: passes a caller's grant to the relay that carries the call. */
  credit(requestId: number, items: number): void {
    for (const link of this.#links.values()) if (link.credit(requestId, items)) return
  }

  announce(services: string[], catalog: ServiceCatalog = {}): void {
    this.#services = [...services]
    this.#catalog = catalog
    for (const link of this.#links.values()) link.sendServices(this.#services, catalog)
    this.#directoryVersion.next(this.#directoryVersion.value + 1)
  }

  /** Publishes on the first connected relay (in connect order), so a message is sent once. */
  publish(topic: string, payload: Uint8Array): void {
    for (const link of this.#links.values()) {
      if (link.ready) {
        link.publish(topic, payload)
        return
      }
    }
  }

  subscribe(topic: string): void {
    const timer = this.#leaving.get(topic)
    if (timer) {
      clearTimeout(timer)
      this.#leaving.delete(topic)
    }
    if (this.#topics.has(topic)) return
    this.#topics.add(topic)
    for (const link of this.#links.values()) link.sendTopic(topic, true)
  }

  /** Unsubscribes after `unsubscribeDelayMs`, unless a listener comes back first. */
  unsubscribe(topic: string): void {
    if (!this.#topics.has(topic) || this.#leaving.has(topic)) return
    this.#leaving.set(
      topic,
      setTimeout(() => {
        this.#leaving.delete(topic)
        this.#topics.delete(topic)
        for (const link of this.#links.values()) link.sendTopic(topic, false)
      }, this.#options.unsubscribeDelayMs),
    )
  }

  /**
   * Called by `mesh.close()` before detaching: every relay stops routing new calls to this node,
   * and this resolves when the calls it is serving have ended (or after `timeoutMs`).
   */
  async drain(timeoutMs: number): Promise<void> {
    await Promise.all([...this.#links.values()].map((link) => link.drain(timeoutMs)))
  }

  /** Called by `mesh.close()`: closes every relay connection. */
  async detach(): Promise<void> {
    for (const timer of this.#leaving.values()) clearTimeout(timer)
    this.#leaving.clear()
    await this.close()
    this.#host = undefined
  }

  #pick(packet: RpcRequestPacket): RelayLink | undefined {
    let first: RelayLink | undefined
    for (const link of this.#links.values()) {
      if (!link.ready) continue
      if (this.#links.size === 1) return link
      first ??= link
      const dest = packet.destination_node_id
      if (dest !== undefined ? link.hasNode(dest) : link.providers(packet.service).length > 0) return link
    }
    return first
  }

  /** Why no relay can carry a call now, or undefined when one can. */
  unreachable(): string | undefined {
    if (this.#links.size === 0) return 'not connected: connect() was never called on its transporter'
    const problems: string[] = []
    for (const link of this.#links.values()) {
      const problem = link.problem()
      if (problem === undefined) return undefined
      problems.push(problem)
    }
    return `not connected to any relay (${problems.join('; ')})`
  }

  #offline(packet: RpcRequestPacket): void {
    const host = this.#host
    if (!host) return
    const payload = encodeValue({
      code: ErrorCode.MICROSERVICE_OFFLINE,
      message: `Cannot call ${packet.service}.${packet.method}(): this node is ${this.unreachable() ?? 'not connected to any relay'}`,
    })
    queueMicrotask(() =>
      host.handleResponse({
        type: 'response',
        request_id: packet.request_id,
        kind: ResponseKind.Refused,
        payload,
      }),
    )
  }

  #listNodes(service: string): NodeRef[] {
    const result: NodeRef[] = []
    const seen = new Set<string>()
    let connected = false
    for (const link of this.#links.values()) {
      if (!link.ready) continue
      connected = true
      for (const node of link.providers(service)) {
        if (seen.has(node.node_id)) continue
        seen.add(node.node_id)
        result.push(node)
      }
    }
    // The relay routes to this node too when it provides the service.
    const host = this.#host
    if (connected && host && !seen.has(host.nodeId) && this.#services.includes(service)) {
      result.push({ node_id: host.nodeId, services: this.#services, catalog: this.#catalog })
    }
    return result
  }

  /** Relays send this node the directory entries of the services it declared (`'*'`: all). */
  #declareInterest(service: string): void {
    if (this.#interest.has(service) || this.#interest.has('*')) return
    this.#interest.add(service)
    for (const link of this.#links.values()) link.sendInterest([service])
  }

  #setStatus(url: string, status: ConnectionStatus): void {
    const current = this.status$.value
    if (current.get(url) === status) return
    const next = new Map(current)
    next.set(url, status)
    this.status$.next(next)
  }
}
