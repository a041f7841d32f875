import type { Frame, RawRequestRanges, ServiceCatalog } from '@spider-mesh/core'
import type { ConnectionAccess } from './access-rules.js'
import type { MethodStats } from './relay-metrics.js'

/**
 * One end of a call as the {@link CallRouter} sees it: a node connected to this relay (a
 * `RelayPeer`) or, in a cluster, a node or relay reached over NATS. The call router only needs
 * these few members, so a provider on another relay is routed exactly like a local one.
 */
export interface CallEndpoint {
  /** The node id stamped on what this end sends; null before Hello. */
  readonly nodeId: string | null
  /** How logs and error messages name this end. */
  readonly label: string
  /** True for ends reached through the cluster (their relay enforces their limits and access). */
  readonly remote: boolean
  /** When the last frame of any kind arrived from this end (ms since epoch). */
  lastSeen: number
  /** Requests this end made that are in flight, by the id it chose. */
  readonly outgoing: Map<number, PendingRequest>
  /** Requests routed to this end as the provider. */
  readonly incoming: Set<PendingRequest>
  /**
   * What this end announced about the services it provides (methods, version); undefined for
   * callers and for nodes that predate catalogs.
   */
  readonly catalog?: ServiceCatalog
  /**
   * The principal stamped on the requests this end makes (what the relay authenticated it as);
   * undefined without authentication, and for callers on other relays (their relay stamped it).
   */
  readonly wirePrincipal?: unknown
  /** Compiled access rules; null when everything is allowed (or enforced by another relay). */
  readonly access: ConnectionAccess | null
  /** True for a service the relay hosts itself: its long-lived streams are exempt from the pending TTL. */
  readonly hosted?: boolean
  /** Queues a frame for this end. */
  sendFrame(frame: Frame): void
  /**
   * Queues a Response re-headed from the raw bytes of one that arrived (FrameBatch.addResponseRaw):
   * ends with a socket have it; for the others the router builds the frame.
   */
  sendRawResponse?(id: number, kind: number, src: Uint8Array, start: number, end: number): void
  /** Queues a plain Request from the raw elements of one that arrived (FrameBatch.addRequestRaw). */
  sendRawRequest?(id: number, src: Uint8Array, at: RawRequestRanges, source: Uint8Array): void
}

/** Why a call cannot be routed: the error code and message the caller gets. */
export interface Refusal {
  code: string
  message: string
}

/** A request the relay forwarded and whose response stream has not ended. */
export interface PendingRequest {
  /** The relay's id, unique among pending requests; the provider sees only this one. */
  readonly relayId: number
  readonly caller: CallEndpoint
  /** The id the caller chose, unique only on the caller's connection. */
  readonly callerId: number
  readonly provider: CallEndpoint
  readonly service: string
  readonly method: string
  /** Counters of this call's method, and when it was forwarded (performance.now()). */
  readonly stats: MethodStats
  readonly startedAt: number
  /** Date.now() of the request or its latest response step; the TTL sweep reads it. */
  lastActivity: number
  /**
   * Flow control: values the provider may still send (the caller's window plus its Credit
   * grants, less what was forwarded); -1 for a call without a window.
   */
  credit: number
}
