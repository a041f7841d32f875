import { jetStreamName, kvToken } from '../cluster/jetstream-names.js'

/** Names in the cluster's presence bucket (encoded as every JetStream name: jetstream-names.ts). */

/** A topic or node id as one key token. */
export const keyToken = kvToken

/** The presence bucket of a cluster. */
export function presenceBucket(prefix: string): string {
  return jetStreamName(prefix, '-presence')
}

/**
 * One key per (topic, node, relay): a node connected to two relays of the cluster is listed by
 * each, and one of them dropping it must not remove the other's entry. The relay id is the last
 * token, so a relay's entries are found with `*.*.<relayId>`.
 */
export function presenceKey(topic: string, nodeId: string, relayId: string): string {
  return `${keyToken(topic)}.${keyToken(nodeId)}.${relayId}`
}

/** Every entry of a topic. */
export function topicFilter(topic: string): string {
  return `${keyToken(topic)}.>`
}

/** Every entry written by a relay. */
export function relayFilter(relayId: string): string {
  return `*.*.${relayId}`
}
