import { BehaviorSubject, distinctUntilChanged, map, type Observable } from 'rxjs'
import { encodeValue } from '../protocol/codec.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { MeshError } from '../protocol/errors.js'
import { HashRing } from '../protocol/hash-ring.js'
import {
  type NodeRef,
  ResponseKind,
  type RpcRequestPacket,
  type RpcResponsePacket,
  type ServiceCatalog,
} from '../protocol/packets.js'
import { canServe, noMatchingProvider } from '../protocol/provider-match.js'
import type {
  ServedCallHandle,
  ServiceDirectory,
  Transporter,
  TransporterHost,
  TransportLink,
} from './transporter.js'

/** Options of {@link InProcessTransporter}. */
export interface InProcessTransporterOptions {
  /** How long a topic subscription outlives its last local listener, in ms. Default 10000. */
  unsubscribeDelayMs?: number
}

/** A request in flight between two endpoints. */
interface Route {
  caller: Endpoint
  callerId: number
  provider: Endpoint
  stop: ServedCallHandle
}

/**
 * A transporter that connects the meshes of one process: register the same instance on several
 * `SpiderMesh`es and they call each other, discover each other and share topics, with the same
 * routing rules as the relay (round-robin, pinning, `MICROSERVICE_OFFLINE` when a provider
 * leaves mid-call). Delivery is asynchronous (a microtask) and every payload is copied as bytes,
 * so code behaves as it will across the network.
 *
 * @example
 * import { InProcessTransporter, SpiderMesh } from '@spider-mesh/core'
 *
 * const bus = new InProcessTransporter()
 * const a = new SpiderMesh().registerTransporter(bus)
 * const b = new SpiderMesh().registerTransporter(bus)
 */
export class InProcessTransporter implements Transporter {
  readonly #unsubscribeDelayMs: number
  readonly #endpoints = new Map<string, Endpoint>()
  readonly #routes = new Map<number, Route>()
  readonly #cursors = new Map<string, number>()
  readonly #nodes = new BehaviorSubject<NodeRef[]>([])
  #nextRouteId = 1

  constructor(options: InProcessTransporterOptions = {}) {
    this.#unsubscribeDelayMs = options.unsubscribeDelayMs ?? 10_000
  }

  attach(host: TransporterHost): TransportLink {
    if (this.#endpoints.has(host.nodeId)) {
      throw new MeshError(
        ErrorCode.NODE_ID_CONFLICT,
        `Node id ${host.nodeId} is already attached to this in-process transporter`,
      )
    }
    const endpoint = new Endpoint(this, host, this.#unsubscribeDelayMs)
    this.#endpoints.set(host.nodeId, endpoint)
    return endpoint
  }

  /** Number of requests in flight (for tests). */
  get inFlight(): number {
    return this.#routes.size
  }

  /** Node ids currently subscribed to `topic` (for diagnostics and tests). */
  subscribers(topic: string): string[] {
    return [...this.#endpoints.values()].filter((e) => e.subscribed(topic)).map((e) => e.node.node_id)
  }

  /** @internal */
  directory: ServiceDirectory = {
    watchService: (service: string): Observable<NodeRef[]> =>
      this.#nodes.pipe(
        map((nodes) => nodes.filter((n) => n.services.includes(service))),
        distinctUntilChanged((a, b) => a.length === b.length && a.every((n, i) => n === b[i])),
      ),
    listNodes: (service: string): NodeRef[] => this.#nodes.value.filter((n) => n.services.includes(service)),
  }

  /** @internal */
  publishNodes(): void {
    const nodes: NodeRef[] = []
    for (const endpoint of this.#endpoints.values())
      if (endpoint.node.services.length > 0) nodes.push(endpoint.node)
    this.#nodes.next(nodes)
  }

  /** @internal Routes a request like the relay: pinned node, else round-robin over providers. */
  route(caller: Endpoint, packet: RpcRequestPacket): () => void {
    const provider = this.#pick(packet)
    if (!provider) {
      const { service, method, version, destination_node_id: pinned } = packet
      const serving = this.directory
        .listNodes(service)
        .filter((n) => pinned === undefined || n.node_id === pinned)
      const refusal =
        serving.length > 0
          ? noMatchingProvider(serving, service, method, version)
          : {
              code: ErrorCode.MICROSERVICE_OFFLINE,
              message:
                pinned === undefined
                  ? `No provider for service "${service}"`
                  : `Node ${pinned} is not serving "${service}"`,
            }
      caller.deliverError(packet.request_id, refusal.code, refusal.message, ResponseKind.Refused)
      return () => {}
    }
    const id = this.#nextRouteId++
    const route: Route = { caller, callerId: packet.request_id, provider, stop: () => {} }
    this.#routes.set(id, route)
    const forwarded: RpcRequestPacket = {
      type: 'request',
      request_id: id,
      service: packet.service,
      method: packet.method,
      payload: packet.payload.slice(),
      source_node_id: caller.node.node_id,
      reply_to: provider,
    }
    // What a relay passes on to the provider (the version range only decides the route).
    if (packet.deadline !== undefined) forwarded.deadline = packet.deadline
    if (packet.meta !== undefined) forwarded.meta = packet.meta
    if (packet.window !== undefined) forwarded.window = packet.window
    queueMicrotask(() => {
      if (this.#routes.get(id) === route) route.stop = provider.host.handleRequest(forwarded, provider)
    })
    return (reason?: string) => {
      if (this.#routes.get(id) !== route) return
      this.#routes.delete(id)
      queueMicrotask(() => route.stop(reason))
    }
  }

  /** @internal Passes a caller's grant (flow control) to the provider serving its stream. */
  credit(from: Endpoint, callerId: number, items: number): void {
    // A linear search: this bus carries tests and same-process meshes, a handful of calls.
    for (const route of this.#routes.values()) {
      if (route.caller !== from || route.callerId !== callerId) continue
      queueMicrotask(() => route.stop.credit?.(items))
      return
    }
  }

  /** @internal Forwards a provider's response to the caller; ignores responses from anyone else. */
  respond(from: Endpoint, packet: RpcResponsePacket): void {
    const route = this.#routes.get(packet.request_id)
    if (!route || route.provider !== from) return
    if (packet.kind !== ResponseKind.Next) this.#routes.delete(packet.request_id)
    const response: RpcResponsePacket = { type: 'response', request_id: route.callerId, kind: packet.kind }
    if (packet.payload) response.payload = packet.payload.slice()
    queueMicrotask(() => route.caller.deliver(response))
  }

  /** @internal Delivers a publication to every other subscribed endpoint. */
  publish(from: Endpoint, topic: string, payload: Uint8Array): void {
    for (const endpoint of this.#endpoints.values()) {
      if (endpoint === from || !endpoint.subscribed(topic)) continue
      const packet = {
        type: 'publish' as const,
        topic,
        payload: payload.slice(),
        source_node_id: from.node.node_id,
      }
      queueMicrotask(() => endpoint.host.handlePublish(packet))
    }
  }

  /** @internal An endpoint leaves: its callers get MICROSERVICE_OFFLINE, its providers a cancel. */
  detach(endpoint: Endpoint): void {
    this.#endpoints.delete(endpoint.node.node_id)
    for (const [id, route] of this.#routes) {
      if (route.provider === endpoint) {
        this.#routes.delete(id)
        route.stop()
        route.caller.deliverError(
          route.callerId,
          ErrorCode.MICROSERVICE_OFFLINE,
          `Provider node ${endpoint.node.node_id} went offline during the call`,
        )
      } else if (route.caller === endpoint) {
        this.#routes.delete(id)
        queueMicrotask(() => route.stop())
      }
    }
    this.publishNodes()
  }

  /** The provider with the fewest routes in flight (ties: the first listed). */
  #leastBusy(providers: NodeRef[]): Endpoint | undefined {
    const busy = new Map<Endpoint, number>()
    for (const route of this.#routes.values()) busy.set(route.provider, (busy.get(route.provider) ?? 0) + 1)
    let best: Endpoint | undefined
    for (const node of providers) {
      const endpoint = this.#endpoints.get(node.node_id)
      if (endpoint && (best === undefined || (busy.get(endpoint) ?? 0) < (busy.get(best) ?? 0)))
        best = endpoint
    }
    return best
  }

  /** The pinned node, else the next provider in turn that has the method (and the version). */
  #pick(packet: RpcRequestPacket): Endpoint | undefined {
    const { service, method, version, destination_node_id: nodeId } = packet
    const fits = (node: NodeRef) =>
      node.services.includes(service) && canServe(node.catalog, service, method, version)
    if (nodeId !== undefined) {
      const endpoint = this.#endpoints.get(nodeId)
      return endpoint && fits(endpoint.node) ? endpoint : undefined
    }
    const providers = this.directory.listNodes(service)
    // Balancing as the relay does it: the key's owner on a ring, or the least busy provider.
    if (packet.key !== undefined) {
      const owner = new HashRing(providers, (n) => n.node_id).pick(packet.key, fits)
      return owner && this.#endpoints.get(owner.node_id)
    }
    if (packet.balance === 'least-in-flight') return this.#leastBusy(providers.filter(fits))
    const start = this.#cursors.get(service) ?? 0
    // One lap at most: skip providers that lack the method or the version.
    for (let i = 0; i < providers.length; i++) {
      const index = (start + i) % providers.length
      if (!fits(providers[index]!)) continue
      this.#cursors.set(service, index + 1)
      return this.#endpoints.get(providers[index]!.node_id)
    }
    return undefined
  }
}

/** One mesh's link to an {@link InProcessTransporter}. */
class Endpoint implements TransportLink {
  node: NodeRef
  readonly #topics = new Set<string>()
  readonly #leaving = new Map<string, ReturnType<typeof setTimeout>>()
  #attached = true

  constructor(
    readonly bus: InProcessTransporter,
    readonly host: TransporterHost,
    readonly unsubscribeDelayMs: number,
  ) {
    this.node = { node_id: host.nodeId, services: [] }
  }

  get directory(): ServiceDirectory {
    return this.bus.directory
  }

  send(packet: RpcRequestPacket | RpcResponsePacket): Promise<{ cancel: () => void }> {
    if (!this.#attached) {
      if (packet.type === 'request') {
        this.deliverError(
          packet.request_id,
          ErrorCode.MICROSERVICE_OFFLINE,
          'The in-process transporter link is closed',
          ResponseKind.Refused,
        )
      }
      return Promise.resolve({ cancel: () => {} })
    }
    if (packet.type === 'response') {
      this.bus.respond(this, packet)
      return Promise.resolve({ cancel: () => {} })
    }
    return Promise.resolve({ cancel: this.bus.route(this, packet) })
  }

  credit(requestId: number, items: number): void {
    if (this.#attached) this.bus.credit(this, requestId, items)
  }

  announce(services: string[], catalog?: ServiceCatalog): void {
    this.node = { node_id: this.node.node_id, services: [...services] }
    if (catalog !== undefined) this.node.catalog = catalog
    this.bus.publishNodes()
  }

  publish(topic: string, payload: Uint8Array): void {
    if (this.#attached) this.bus.publish(this, topic, payload)
  }

  subscribe(topic: string): void {
    const timer = this.#leaving.get(topic)
    if (timer) clearTimeout(timer)
    this.#leaving.delete(topic)
    this.#topics.add(topic)
  }

  unsubscribe(topic: string): void {
    if (this.#leaving.has(topic)) return
    this.#leaving.set(
      topic,
      setTimeout(() => {
        this.#leaving.delete(topic)
        this.#topics.delete(topic)
      }, this.unsubscribeDelayMs),
    )
  }

  subscribed(topic: string): boolean {
    return this.#topics.has(topic)
  }

  deliver(packet: RpcResponsePacket): void {
    if (this.#attached) this.host.handleResponse(packet)
  }

  /** `kind` Refused: the request reached no provider (see ResponseKind). */
  deliverError(
    requestId: number,
    code: string,
    message: string,
    kind: typeof ResponseKind.Error | typeof ResponseKind.Refused = ResponseKind.Error,
  ): void {
    const payload = encodeValue({ code, message })
    queueMicrotask(() => this.deliver({ type: 'response', request_id: requestId, kind, payload }))
  }

  detach(): void {
    if (!this.#attached) return
    this.#attached = false
    for (const timer of this.#leaving.values()) clearTimeout(timer)
    this.#leaving.clear()
    this.#topics.clear()
    this.bus.detach(this)
  }
}
