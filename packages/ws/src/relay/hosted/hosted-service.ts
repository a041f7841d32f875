import type { NatsConnection } from '@nats-io/transport-node'
import type { RequestOptions } from '@spider-mesh/core'
import type { CallEndpoint } from '../call-endpoint.js'
import type { RelayLogger } from '../relay-logger.js'
import type { RelayPeer } from '../relay-peer.js'

/**
 * A service the relay serves itself (topic history, presence, records): nodes reach it with an
 * ordinary call to a reserved name starting with `$`, so deadlines, cancels, flow control and
 * provider-loss handling are the ones every call already has. It never leaves this relay: in a
 * cluster each relay serves its own, over the shared NATS store.
 */
export interface HostedService {
  /** The reserved service name (`$history`, `$presence`, `$records`). */
  readonly name: string
  /** Serves one call; answer through `call` (now or later). Must not throw. */
  serve(call: HostedCall): void
  /** A node subscribed to a topic on this relay (its first listener there). */
  topicJoined?(peer: RelayPeer, topic: string): void
  /** A node stopped listening to a topic on this relay (unsubscribed or left). */
  topicLeft?(peer: RelayPeer, topic: string): void
  /** A node published a message on this relay (after access checks). */
  published?(peer: RelayPeer, topic: string, payload: Uint8Array): void
  /** A node's connection closed (after its topics were left and its calls ended). */
  peerClosed?(peer: RelayPeer): void
  /** The relay is closing. */
  close?(): void | Promise<void>
}

/** One call to a hosted service, as the service answers it. */
export interface HostedCall {
  /** Who called: the node's connection here (its node id, principal, access rules, meta). */
  readonly caller: CallEndpoint
  /** The caller's node id as the relay stamped it. */
  readonly callerId: string
  readonly method: string
  /** The decoded argument array. */
  readonly args: unknown[]
  /** The options the caller sent (deadline, window, meta). */
  readonly options: RequestOptions | undefined
  /** True once the call ended: answered, failed, cancelled, or its caller gone. */
  readonly ended: boolean
  /** Answers a unary call: one value, then the call ends. */
  reply(value: unknown): void
  /**
   * Sends one value of a stream (encoded here). Values past the caller's window wait in a bounded
   * queue, sent as the caller grants credit; past `maxQueuedBytes` the stream fails with
   * STREAM_OVERFLOW (a caller that stopped reading must not make the relay hold everything).
   */
  next(value: unknown): void
  /**
   * `next` for a value already encoded with core's `encodeValue`: one encoding shared by every
   * watcher of the same update, instead of one per watcher. The bytes must not be changed after.
   */
  nextEncoded(bytes: Uint8Array): void
  /** Ends a stream. */
  complete(): void
  /**
   * Ends the call with a typed error the caller gets as a MeshError (`code`, `message`, and
   * `data` when given, e.g. the current version of a record on VERSION_CONFLICT).
   */
  fail(code: string | undefined, message: string, data?: unknown): void
  /**
   * Runs `fn` once when the call ends, whichever side ends it — the caller cancelled or left,
   * the relay is closing, a stream overflowed, or the service answered — at once if it has
   * ended. Services release what the call held here.
   */
  whenEnded(fn: () => void): void
}

/** What the relay gives its hosted services. */
export interface HostedContext {
  logger: RelayLogger
  /** The relay's name: its `cluster.name`, or `local` outside a cluster (as `/directory` says). */
  relayName(): string
  /** The connection of a node id on this relay, if it is here. */
  peerOf(nodeId: string): RelayPeer | undefined
  /**
   * A node listens to a topic other than by subscribing (a history listen) — `joined` — or
   * stopped: presence counts it as a listener like a subscriber.
   */
  listening(peer: RelayPeer, topic: string, joined: boolean): void
  /** Present when the relay is in a cluster: the shared store is NATS JetStream. */
  cluster?: HostedCluster
}

/** The cluster as a hosted service uses it. */
export interface HostedCluster {
  /** The cluster's subject prefix; streams and buckets are named after it. */
  readonly prefix: string
  /** This relay's id in the cluster (new at every start). */
  readonly relayId: string
  /** Resolves with the NATS connection once it is up (at once when it is). */
  connection(): Promise<NatsConnection>
  /** Whether NATS is reachable now. */
  readonly connected: boolean
  /**
   * Calls `listener` with the id of every relay the cluster loses (it said goodbye or missed its
   * heartbeat deadline), so services can drop what that relay wrote. Returns the unsubscribe.
   */
  onRelayLost(listener: (relayId: string) => void): () => void
}
