import type { Registry } from 'prom-client'
import type { CallEndpoint, Refusal } from './call-endpoint.js'
import type { HostedCluster } from './hosted/hosted-service.js'
import type { RelayPeer } from './relay-peer.js'

/**
 * What the router tells the cluster (relays joined over NATS) it is part of. The router knows
 * only this interface; the cluster under `cluster/` implements it and drives the router back
 * through its public methods, so a relay without a cluster carries none of it.
 */
export interface ClusterPort {
  /** This relay's name in the cluster. */
  readonly name: string
  /** For `/health`: the NATS connection's state and how many relays are in the cluster. */
  health(): { state: 'connected' | 'connecting' | 'down'; relays: number }
  /** For `/metrics`: adds the cluster's series to the relay's registry (read when scraped). */
  registerMetrics(registry: Registry): void
  /** Service calls go to providers on this relay while there is one (cluster `preferLocal`). */
  readonly preferLocal: boolean
  /** Whether the other relays can be reached now (NATS is connected). */
  readonly reachable: boolean
  /** Why a call cannot go to this remote endpoint now (the backbone is down), or undefined. */
  refuse(endpoint: CallEndpoint): Refusal | undefined
  /** A node connected here became routable or changed its services. */
  nodeListed(peer: RelayPeer): void
  /** A node connected here is no longer routable. */
  nodeUnlisted(peer: RelayPeer): void
  /** The first node here subscribed to `topic` (true), or the last one left (false). */
  topicInterest(topic: string, listening: boolean): void
  /** A node here published: the other relays deliver to their subscribers. */
  published(topic: string, payload: Uint8Array, source: string): void
  /** The shared NATS store the relay's hosted services use (JetStream, KV). */
  readonly hosted: HostedCluster
}
