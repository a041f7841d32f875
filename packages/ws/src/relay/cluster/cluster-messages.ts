import {
  decodeValue,
  isServiceCatalog,
  type NodeMeta,
  type RequestOptions,
  type ServiceCatalog,
} from '@spider-mesh/core'

/**
 * What a relay says about one of its nodes in the cluster directory. An object, not a list, so
 * that later fields (methods and versions per service, presence metadata) can join without a
 * new message kind; relays ignore fields they do not know.
 */
export interface DirectoryEntry {
  services: string[]
  meta?: NodeMeta
  /** Methods and version per service, when the node announced them. */
  catalog?: ServiceCatalog
}

/** What a relay says about itself. */
export interface RelayInfo {
  /** The relay's name (cluster.name): logs, /directory, `spider-mesh ls`. */
  name: string
}

/** Message kinds on the directory subject. Part of the cluster protocol: never renumber. */
export const DirectoryKind = { Heartbeat: 1, Delta: 2, Bye: 3 } as const

/** `[Heartbeat, relayId, seq, info]`: "I am alive and my directory is at `seq`". */
export type HeartbeatMessage = [typeof DirectoryKind.Heartbeat, string, number, RelayInfo]
/** `[Delta, relayId, seq, nodeId, entry | null]`: one node listed, changed (entry) or gone (null). */
export type DeltaMessage = [typeof DirectoryKind.Delta, string, number, string, DirectoryEntry | null]
/** `[Bye, relayId]`: the relay stops; forget its nodes now. */
export type ByeMessage = [typeof DirectoryKind.Bye, string]
export type DirectoryMessage = HeartbeatMessage | DeltaMessage | ByeMessage

/** `[relayId, seq, info, entries]`: a relay's whole directory, the answer to a snapshot request. */
export type SnapshotMessage = [string, number, RelayInfo, [string, DirectoryEntry][]]

/**
 * Calls travel in batches (see ClusterBatch): one NATS message is `[header, items]` with a
 * {@link BatchHeader}. On a relay's call subject the items are requests and cancels; on its
 * response subject, response steps.
 */
export type BatchHeader = [fromRelay: string]

/** Item kinds on a relay's call subject. Part of the cluster protocol: never renumber. */
export const CallKind = { Request: 1, Cancel: 2, Credit: 3 } as const
/**
 * `[Request, callId, callerNode, service, method, destinationNode, payload, options?]`; `options`
 * are those the origin relay forwards (deadline, metadata, window, the principal it stamped).
 */
export type RemoteRequest =
  | [typeof CallKind.Request, number, string, string, string, string, Uint8Array]
  | [typeof CallKind.Request, number, string, string, string, string, Uint8Array, RequestOptions]
/** `[Cancel, callId, reason?]` (reason: the caller's error code when it timed out). */
export type RemoteCancel = [typeof CallKind.Cancel, number] | [typeof CallKind.Cancel, number, string]
/** `[Credit, callId, items]`: the caller of a stream accepts `items` more values (flow control). */
export type RemoteCredit = [typeof CallKind.Credit, number, number]
export type CallItem = RemoteRequest | RemoteCancel | RemoteCredit

/** `[callId, kind, payload]` on a relay's response subject: one step of a call's response stream. */
export type ResponseItem = [number, number, Uint8Array | null]

/** `[fromRelay, sourceNode, payload]` on a topic subject. */
export type TopicMessage = [string, string, Uint8Array]

/**
 * Decodes a cluster message and checks its outer shape, or returns undefined: NATS is shared
 * infrastructure, and a malformed message must cost one message, never the relay.
 */
export function decodeMessage<T extends unknown[]>(bytes: Uint8Array, minLength: number): T | undefined {
  try {
    const value = decodeValue(bytes)
    return Array.isArray(value) && value.length >= minLength ? (value as T) : undefined
  } catch {
    return undefined
  }
}

const isStr = (v: unknown): v is string => typeof v === 'string'

/** Whether a decoded value is a directory entry this relay can use. */
export function isEntry(value: unknown): value is DirectoryEntry {
  const entry = value as DirectoryEntry
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray(entry.services) &&
    entry.services.every(isStr) &&
    (entry.catalog === undefined || isServiceCatalog(entry.catalog))
  )
}
