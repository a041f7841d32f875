import { type Observable, Subject } from 'rxjs'
import { encodeValue, findUnserialisable } from '../protocol/codec.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { MeshError } from '../protocol/errors.js'
import type { NodeRef, ServiceCatalog } from '../protocol/packets.js'
import { MeshRecords } from '../realtime/mesh-records.js'
import { PresenceClient, type SetPresenceOptions } from '../realtime/presence-client.js'
import type { PresenceMember } from '../realtime/presence-member.js'
import { historyCount, type ListenOptions, listenWithHistory } from '../realtime/topic-history.js'
import type {
  ServiceDirectory,
  Transporter,
  TransporterHost,
  TransportLink,
} from '../transport/transporter.js'
import type { CallOptions, CallSink } from './call-sink.js'
import type { LocalService } from './inbound-dispatch.js'
import { type CallerInterceptor, interceptedOptions, type ProviderInterceptor } from './interceptors.js'
import type { Logger } from './logger.js'
import { MergedDirectory } from './merged-directory.js'
import { meshHost } from './mesh-host.js'
import {
  type CloseOptions,
  checkedInterceptor,
  describe,
  drainTimeout,
  type MeshSettings,
  meshSettings,
  type SpiderMeshOptions,
} from './mesh-options.js'
import { type OutboundCall, OutboundCalls } from './outbound-calls.js'
import { pickLink } from './pick-link.js'
import { claimInstance, leaveProcessMesh, offerProcessMesh } from './process-mesh.js'
import { serviceDefinitionOf } from './service-definition.js'
import { type Topic, TopicHub, topicName } from './topic-hub.js'

export type { CloseOptions, SpiderMeshOptions } from './mesh-options.js'
export type { Topic } from './topic-hub.js'

/**
 * One node of the mesh: serves local `@Microservice` instances, sends calls through its
 * transporters, and merges their directories. The first mesh created in a process also serves
 * instances constructed without an explicit mesh.
 *
 * @example
 * import { SpiderMesh } from '@spider-mesh/core'
 * import { WebsocketTransporter } from '@spider-mesh/ws/node'
 *
 * const transporter = new WebsocketTransporter()
 * transporter.connect('ws://127.0.0.1:8787')
 * const mesh = new SpiderMesh()
 * mesh.registerTransporter(transporter)
 */
export class SpiderMesh implements ServiceDirectory {
  /** This node's id. */
  readonly nodeId: string
  readonly #logger: Logger
  readonly #settings: MeshSettings
  readonly #transporters = new Set<Transporter>()
  #links: TransportLink[] = []
  readonly #services = new Map<string, LocalService>()
  readonly #instances = new Map<object, string>()
  readonly #outbound = new OutboundCalls()
  readonly #directory = new MergedDirectory()
  readonly #topics: TopicHub
  readonly #closing = new Subject<void>()
  readonly #host: TransporterHost
  #closed = false
  #records: MeshRecords | undefined
  #presence: PresenceClient | undefined

  constructor(options: SpiderMeshOptions = {}) {
    const settings = meshSettings(options)
    this.#settings = settings
    this.nodeId = settings.nodeId
    this.#logger = settings.logger
    this.#topics = new TopicHub(
      (topic) => {
        for (const link of this.#links) link.subscribe?.(topic)
      },
      (topic) => {
        for (const link of this.#links) link.unsubscribe?.(topic)
      },
      (topic, err) =>
        this.#logger.warn(`Dropped a message on topic "${topic}" that could not be decoded`, err),
    )
    this.#host = meshHost(settings, this.#services, this.#outbound, this.#topics)
    offerProcessMesh(this)
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed
  }

  /** Names of the services this node serves. */
  get services(): string[] {
    return [...this.#services.keys()]
  }

  /** Per service this node serves: its methods, version and idempotent methods (announced with it). */
  get catalog(): ServiceCatalog {
    const catalog: ServiceCatalog = {}
    for (const [name, { definition }] of this.#services) catalog[name] = definition.info
    return catalog
  }

  /**
   * Why no transporter can carry a call now (e.g. no relay is connected, and why), or undefined
   * when one can (or when no transporter says).
   */
  connectionProblem(): string | undefined {
    const problems: string[] = []
    for (const link of this.#links) {
      if (!link.unreachable) return undefined
      const problem = link.unreachable()
      if (problem === undefined) return undefined
      problems.push(problem)
    }
    return problems.length > 0 ? problems.join('; ') : undefined
  }

  /** Number of calls this node has sent that have not ended (for diagnostics and tests). */
  get pendingCalls(): number {
    return this.#outbound.size
  }

  /**
   * Links every capability the transporter has — RPC, discovery, pub/sub and its
   * `ServiceDirectory` — to this mesh. Registering the same transporter twice is an error.
   */
  registerTransporter(transporter: Transporter): this {
    this.#assertOpen('registerTransporter')
    if (typeof (transporter as Partial<Transporter>)?.attach !== 'function') {
      throw new MeshError(
        ErrorCode.INVALID_OPTION,
        'registerTransporter() needs a transporter (an object with attach())',
      )
    }
    if (this.#transporters.has(transporter)) {
      throw new MeshError(ErrorCode.ALREADY_REGISTERED, 'This transporter is already registered on this mesh')
    }
    const link = transporter.attach(this.#host)
    this.#transporters.add(transporter)
    this.#links = [...this.#links, link]
    link.announce?.(this.services, this.catalog)
    for (const topic of this.#topics.topics()) link.subscribe?.(topic)
    if (link.directory) this.#directory.add(link.directory)
    return this
  }

  /**
   * Serves a `@Microservice` instance on this mesh (and not on the process mesh). Resolves once
   * its `warmUp()` hook, if any, has finished and the service is announced.
   */
  async provide(instance: object): Promise<void> {
    this.#assertOpen('provide')
    const definition =
      instance !== null && typeof instance === 'object' ? serviceDefinitionOf(instance) : undefined
    if (!definition) {
      throw new MeshError(
        ErrorCode.INVALID_OPTION,
        `provide() needs an instance of a @Microservice class, got ${describe(instance)}`,
      )
    }
    claimInstance(instance)
    if (this.#instances.has(instance)) return
    const existing = this.#services.get(definition.name)
    if (existing) {
      throw new MeshError(
        ErrorCode.ALREADY_REGISTERED,
        `Service "${definition.name}" is already served by another instance on node ${this.nodeId}`,
      )
    }
    // Reserve the name while warming up, so a second instance fails fast instead of racing.
    this.#instances.set(instance, definition.name)
    const warmUp = (instance as { warmUp?: () => unknown }).warmUp
    if (typeof warmUp === 'function') {
      try {
        await warmUp.call(instance)
      } catch (err) {
        this.#instances.delete(instance)
        throw err
      }
    }
    if (this.#closed || !this.#instances.has(instance)) return
    this.#services.set(definition.name, { instance, definition })
    this.#announce()
    this.#logger.debug(`Serving ${definition.name} on ${this.nodeId}`)
  }

  /** Stops serving an instance; new calls no longer reach it. */
  unprovide(instance: object): void {
    const name = this.#instances.get(instance)
    if (name === undefined) return
    this.#instances.delete(instance)
    if (this.#services.get(name)?.instance === instance) {
      this.#services.delete(name)
      this.#announce()
    }
  }

  /**
   * Sends one call and reports its outcome to `sink`; returns the function that cancels it.
   * The typed way to call is `RemoteServiceLinker.link()`; this is the primitive under it.
   */
  request(
    service: string,
    method: string,
    args: unknown[],
    options: CallOptions,
    sink: CallSink,
  ): () => void {
    const call = this.startRequest(service, method, args, options, sink)
    return () => call.unsubscribe()
  }

  /**
   * {@link request} answering the call itself, whose `unsubscribe()` cancels it: no function per
   * call (the proxies call so). Internal: the public form is `request`.
   * @internal
   */
  startRequest(
    service: string,
    method: string,
    args: unknown[],
    options: CallOptions,
    sink: CallSink,
  ): OutboundCall {
    if (this.#closed) {
      sink.error(
        new MeshError(ErrorCode.MESH_CLOSED, `Cannot call ${service}.${method}(): the mesh is closed`),
      )
      return NO_CALL
    }
    const link = pickLink(this.#links, service, options.node_id)
    if (!link) {
      sink.error(
        new MeshError(
          ErrorCode.MICROSERVICE_OFFLINE,
          `Cannot call ${service}.${method}(): no transporter is registered on this mesh`,
        ),
      )
      return NO_CALL
    }
    const intercepted =
      this.#settings.callerInterceptors.length === 0
        ? options
        : interceptedOptions(options, this.#settings.callerInterceptors, { service, method, args })
    return this.#outbound.start(link, service, method, args, intercepted, sink)
  }

  /** Adds an interceptor of the calls this node serves (before/after/error; see ProviderInterceptor). */
  intercept(interceptor: ProviderInterceptor): this {
    this.#settings.providerInterceptors.push(checkedInterceptor(interceptor, 'intercept'))
    return this
  }

  /** Adds an interceptor of every call this node sends (metadata; see CallerInterceptor). */
  interceptCalls(interceptor: CallerInterceptor): this {
    this.#settings.callerInterceptors.push(checkedInterceptor(interceptor, 'interceptCalls'))
    return this
  }

  /**
   * Tells the transporters this node calls or watches `service` (`'*'`: every service), so relays
   * that send directory entries by interest send its providers. `link()` does it for its service.
   */
  declareInterest(service: string): void {
    this.#directory.declareInterest(service)
  }

  /** Emits the providers of `service` at once, then on every change (merged over transporters). */
  watchService(service: string): Observable<NodeRef[]> {
    return this.#directory.watchService(service)
  }

  /** The current providers of `service`. */
  listNodes(service: string): NodeRef[] {
    return this.#directory.listNodes(service)
  }

  /** Emits once when the mesh closes. */
  get closing$(): Observable<void> {
    return this.#closing.asObservable()
  }

  /** Publishes a message to every listener of the topic, on this node and on subscribed nodes. */
  publish<T>(topic: Topic<T> | string, message: T): void {
    this.#assertOpen('publish')
    const name = topicName(topic)
    let payload: Uint8Array
    try {
      payload = encodeValue(message)
    } catch (err) {
      throw new MeshError(
        ErrorCode.INVALID_ARGUMENTS,
        `Cannot publish on "${name}": ${findUnserialisable(message, 'message') ?? (err as Error).message}`,
      )
    }
    this.#topics.deliver({ type: 'publish', topic: name, payload, source_node_id: this.nodeId })
    for (const link of this.#links) link.publish?.(name, payload)
  }

  /** Versioned JSON records kept by the relay: get, write (compare-and-set), patch, watch. */
  get records(): MeshRecords {
    this.#records ??= new MeshRecords(this)
    return this.#records
  }

  /**
   * Messages published on the topic, as an Observable; subscribing starts listening. With
   * `{ history: n }`, first up to n of the messages the relay retained (its `topics` option),
   * oldest first, then the live ones, with no gap and no duplicate between them.
   */
  listen<T>(topic: Topic<T> | string, options?: ListenOptions): Observable<T> {
    const name = topicName(topic)
    const history = options === undefined ? undefined : historyCount(options)
    if (history === undefined) return this.#topics.listen<T>(name)
    // Only a relay keeps history: without a relay link the call could never succeed (no retry).
    return listenWithHistory<T>(this, name, history, () => this.#links.some((l) => l.unreachable))
  }

  /**
   * The nodes on a topic (listening to it, or holding presence state there), with their meta,
   * state and relay: the whole list at once, then after every join, leave and state change.
   * Seeing it needs the relay's `presence` access (by default, whoever may subscribe).
   */
  presence(topic: Topic<unknown> | string): Observable<PresenceMember[]> {
    this.#presence ??= new PresenceClient(this)
    return this.#presence.watch(topicName(topic))
  }

  /**
   * Sets this node's presence state on a topic (any JSON value; null clears it), for `ttlMs` when
   * given. It disappears when the TTL passes or the node leaves; re-set after a reconnect.
   */
  setPresence(topic: Topic<unknown> | string, state: unknown, options?: SetPresenceOptions): Promise<void> {
    this.#assertOpen('setPresence')
    this.#presence ??= new PresenceClient(this)
    return this.#presence.set(topicName(topic), state, options)
  }

  /**
   * Leaves the mesh gracefully: transporters stop routing new calls to this node, the calls it is
   * serving get up to `drainTimeoutMs` to finish, then pending outbound calls end with
   * `MESH_CLOSED`, listeners complete, and every transporter link is detached (which stops any
   * served call still running). New calls from this node fail with `MESH_CLOSED` at once.
   */
  async close(options: CloseOptions = {}): Promise<void> {
    if (this.#closed) return
    const drainTimeoutMs = drainTimeout(options)
    this.#closed = true
    leaveProcessMesh(this)
    if (drainTimeoutMs > 0 && this.#services.size > 0) {
      await Promise.all(this.#links.map((link) => link.drain?.(drainTimeoutMs)))
    }
    this.#outbound.failAll(
      new MeshError(ErrorCode.MESH_CLOSED, 'The mesh was closed while the call was pending'),
    )
    this.#topics.complete()
    this.#closing.next()
    this.#closing.complete()
    const links = this.#links
    this.#links = []
    for (const link of links) if (link.directory) this.#directory.remove(link.directory)
    this.#services.clear()
    this.#instances.clear()
    await Promise.all(links.map((link) => link.detach()))
  }

  /** Serves an instance constructed without an explicit mesh (called by the process-mesh module). */
  serveUnclaimed(instance: object): void {
    this.provide(instance).catch((err) =>
      this.#logger.error(`Could not serve ${describe(instance)}: ${(err as Error).message}`),
    )
  }

  #announce(): void {
    const services = this.services
    const catalog = this.catalog
    for (const link of this.#links) link.announce?.(services, catalog)
  }

  #assertOpen(what: string): void {
    if (this.#closed) throw new MeshError(ErrorCode.MESH_CLOSED, `Cannot ${what}(): the mesh is closed`)
  }
}

const NO_CALL: OutboundCall = { unsubscribe: () => {} }
