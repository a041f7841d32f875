import type { Observable } from 'rxjs'
import type {
  NodeRef,
  PublishPacket,
  ResponseKindValue,
  RpcRequestPacket,
  RpcResponsePacket,
  ServiceCatalog,
} from '../protocol/packets.js'

/**
 * What a transporter may call on the mesh it was registered with. The mesh answers a request by
 * calling `send()` on the link it came in on, with `reply_to` copied from the request.
 */
export interface TransporterHost {
  /** This mesh's node id. */
  readonly nodeId: string
  /** What the node tells about itself (`SpiderMesh({ meta })`); transporters announce it. */
  readonly meta?: Readonly<Record<string, string>>
  /**
   * Delivers an incoming request. Returns a function that stops the call's work (the
   * transporter calls it when a cancel frame arrives or the caller's connection is lost); its
   * `credit(n)` passes on a Credit the caller sent (flow control of a stream with a `window`).
   */
  handleRequest(packet: RpcRequestPacket, link: TransportLink): ServedCallHandle
  /**
   * Optional fast path of `handleRequest`: makes the served call, which the transporter
   * registers and then starts with `run()`; the call itself stops and credits it, instead of a
   * function made for it (a closure per served call, 2 objects by the bench's census).
   * Transporters use it when present.
   */
  serve?(packet: RpcRequestPacket, link: TransportLink): ServedCallControl
  /** Delivers one step of the response to a request this mesh sent. */
  handleResponse(packet: RpcResponsePacket): void
  /**
   * Optional fast path of `handleResponse`: the same step from the response's fields, without a
   * packet object per step. Transporters use it when present.
   */
  handleResponseStep?(requestId: number, kind: number, payload: Uint8Array | undefined): void
  /** Delivers a message on a topic this mesh subscribed to. */
  handlePublish(packet: PublishPacket): void
}

/**
 * What `handleRequest` returns: stop the call (with the caller's reason when it sent one, e.g.
 * `MICROSERVICE_RPC_TIMEOUT`); and, for streams, more credit from the caller.
 */
export type ServedCallHandle = ((reason?: string) => void) & { credit?: (items: number) => void }

/** What `serve` returns: a served call, stopped and credited by its methods (see ServedCallHandle). */
export interface ServedCallControl {
  /** Runs the method (once; a request that cannot run is answered with an error instead). */
  run(): void
  /** Stops the call's work (`reason`: the caller's, as ServedCallHandle's). */
  stop(reason?: string): void
  /** The caller of a stream accepts `items` more values. */
  credit(items: number): void
  /** The service and method called, for the transporter's messages about the call. */
  readonly service: string
  readonly method: string
}

/**
 * Cancels a request. `reason`: the error code the caller ended it with when it was not a plain
 * cancel (`MICROSERVICE_RPC_TIMEOUT`), passed on to the provider.
 */
export type CancelCall = (reason?: string) => void

/** Service discovery: which nodes provide a service, as a stream and as a snapshot. */
export interface ServiceDirectory {
  /** Emits the current providers at once, then on every change. */
  watchService(service: string): Observable<NodeRef[]>
  /** The current providers. */
  listNodes(service: string): NodeRef[]
  /**
   * Optional: this node calls or watches `service` (`'*'`: every service), so a directory that
   * is fed by interest (the relay sends only the entries a node asked for) starts receiving its
   * providers. Watching or listing a service declares it too.
   */
  declareInterest?(service: string): void
}

/** The handle a mesh uses after registration. Optional members are capabilities. */
export interface TransportLink {
  /**
   * RPC: sends a request or a response. For a request, resolves `{ cancel }` whose call sends a
   * cancel to the provider. Never rejects: failures arrive as error responses
   * (`MICROSERVICE_OFFLINE` when nothing can carry the request).
   */
  send(packet: RpcRequestPacket | RpcResponsePacket): Promise<{ cancel: CancelCall }>
  /**
   * Optional fast path for requests: the same as `send(request)` but returns the cancel function
   * synchronously, saving two promises and a microtask per call. The mesh uses it when present.
   */
  request?(packet: RpcRequestPacket): CancelCall
  /**
   * Optional fast path for requests, with `cancel`: the same as `request(packet)` without the
   * cancel function (a closure per call, 2 objects by the bench's census); the mesh cancels with
   * `cancel(packet.request_id, reason)` instead. The mesh uses it when both are present.
   */
  call?(packet: RpcRequestPacket): void
  /**
   * Cancels a request sent with `call` (`reason` as CancelCall's); ids this link does not carry,
   * or whose call ended, are ignored.
   */
  cancel?(requestId: number, reason?: string): void
  /**
   * Flow control: the caller of request `requestId` (a call with a `window`) accepts `items`
   * more values. Transporters without it carry streams without flow control.
   */
  credit?(requestId: number, items: number): void
  /**
   * Optional fast path for responses: the same as `send(response)` with the response's fields
   * (`replyTo` is the request's `reply_to`), without a packet object or a promise per step. The
   * mesh uses it when present.
   */
  respond?(replyTo: unknown, requestId: number, kind: ResponseKindValue, payload?: Uint8Array): void
  /**
   * Discovery: announces the services this node provides now (the full list) and, per service,
   * its methods and version, so routers send a call only to providers that have its method.
   */
  announce?(services: string[], catalog?: ServiceCatalog): void
  /** Pub/sub: publishes an encoded message; the sender's own listeners are served by the mesh. */
  publish?(topic: string, payload: Uint8Array): void
  /** Pub/sub: starts receiving a topic. */
  subscribe?(topic: string): void
  /** Pub/sub: stops receiving a topic (transporters may delay this, see `unsubscribeDelayMs`). */
  unsubscribe?(topic: string): void
  /** Discovery: the providers this transporter can reach. */
  directory?: ServiceDirectory
  /**
   * Graceful leave, called by `mesh.close()` before `detach()`: stop receiving new calls, and
   * resolve when the calls being served have ended or after `timeoutMs`.
   */
  drain?(timeoutMs: number): Promise<void>
  /**
   * Why this link can carry no call now (e.g. "not connected to any relay: ws://…: connection
   * refused"), or undefined when it can. Error messages quote it, so nobody blames a provider
   * for a relay that cannot be reached.
   */
  unreachable?(): string | undefined
  /** Called once by `mesh.close()`; the link releases everything it holds for this mesh. */
  detach(): void | Promise<void>
}

/** Anything `SpiderMesh.registerTransporter()` accepts. */
export interface Transporter {
  /** Links this transporter to a mesh and returns the handle that mesh will use. */
  attach(host: TransporterHost): TransportLink
}
