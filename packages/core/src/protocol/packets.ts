/**
 * The packets a mesh exchanges with its transporters. Payloads are opaque bytes produced by the
 * value codec: transporters and the relay move them without looking inside.
 */

/**
 * Kinds of response a provider sends for one request. `Value` is a `Next` followed by
 * `Complete`. `Refused` is an error that a relay or a transporter made for a request that never
 * reached a provider (no provider, overloaded, denied, no relay): a retry cannot run it twice.
 * Providers never send it; the relay refuses it from them, so it cannot be spoofed.
 */
export const ResponseKind = { Next: 0, Complete: 1, Error: 2, Value: 3, Refused: 4 } as const
/** One of {@link ResponseKind}. */
export type ResponseKindValue = (typeof ResponseKind)[keyof typeof ResponseKind]

/** A call of `service.method(...args)`; `payload` is the encoded argument array. */
export interface RpcRequestPacket {
  type: 'request'
  /** Unique among the sender's pending requests on one connection. */
  request_id: number
  service: string
  method: string
  payload: Uint8Array
  /** Pins the call to one node; otherwise the router picks a provider round-robin. */
  destination_node_id?: string
  /** A semver range: only providers whose service version satisfies it may serve the call. */
  version?: string
  /** When the whole call must be over: epoch ms on this node's clock (transporters send the rest). */
  deadline?: number
  /** Call metadata (string values) that travels with the request. */
  meta?: Record<string, string>
  /** Stream credit granted up front (flow control): items the provider may send before more. */
  window?: number
  /** On the provider: the principal the relay authenticated the caller as. */
  principal?: unknown
  /** Consistent hashing: the key the relay places on its ring of providers. */
  key?: string
  /** How the relay picks among providers (`'least-in-flight'`; round-robin when absent). */
  balance?: string
  /** The calling node, as stamped by the router on delivery. */
  source_node_id?: string
  /** Transporter-private: the connection the response must go back on. */
  reply_to?: unknown
}

/** One step of a response stream: a value, the end, or an error (payload = encoded WireError). */
export interface RpcResponsePacket {
  type: 'response'
  request_id: number
  kind: ResponseKindValue
  payload?: Uint8Array
  /** Copied from the request being answered. */
  reply_to?: unknown
}

/** A message on a pub/sub topic; `payload` is the encoded message. */
export interface PublishPacket {
  type: 'publish'
  topic: string
  payload: Uint8Array
  source_node_id?: string
}

/** What a provider announces about one service it serves. */
export interface ServiceInfo {
  /** The methods callers may reach. */
  methods: string[]
  /** The service's version (semver), from `@Microservice({ version })`. */
  version?: string
  /** Methods marked `@Idempotent()`: a call that reached the provider may be retried. */
  idempotent?: string[]
}

/**
 * Per service a node serves, what it serves of it. Absent (or missing a service) for nodes
 * that predate it: such a provider may be sent any method and has no version.
 */
export type ServiceCatalog = Record<string, ServiceInfo>

/** A node as a directory knows it. */
export interface NodeRef {
  node_id: string
  services: string[]
  /** Methods, version and idempotent methods per service, when the node announced them. */
  catalog?: ServiceCatalog
  /** Last measured round trip to the relay this node was seen through, in ms, when known. */
  rtt_ms?: number
}

/** The version a node announced for a service, if any. */
export function versionOf(node: NodeRef, service: string): string | undefined {
  return node.catalog?.[service]?.version
}

/** Whether two provider lists name the same nodes with the same services, in the same order. */
export function sameNodeLists(a: NodeRef[], b: NodeRef[]): boolean {
  return (
    a.length === b.length &&
    a.every((node, i) => {
      const other = b[i]!
      return (
        node.node_id === other.node_id &&
        node.services.length === other.services.length &&
        node.services.every((s, j) => s === other.services[j]) &&
        sameCatalogs(node.catalog, other.catalog)
      )
    })
  )
}

/** Whether two announced catalogs say the same (both absent counts as the same). */
export function sameCatalogs(a: ServiceCatalog | undefined, b: ServiceCatalog | undefined): boolean {
  if (a === b) return true
  if (a === undefined || b === undefined) return false
  const services = Object.keys(a)
  if (services.length !== Object.keys(b).length) return false
  return services.every((service) => {
    const x = a[service]!
    const y = b[service]
    return (
      y !== undefined &&
      x.version === y.version &&
      sameStrings(x.methods, y.methods) &&
      sameStrings(x.idempotent ?? [], y.idempotent ?? [])
    )
  })
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i])
}
