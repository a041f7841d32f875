/**
 * Names in the cluster's presence bucket. NATS KV keys allow only `[-/_=.a-zA-Z0-9]` and `.`
 * separates tokens, so topic and node id are base64url of their UTF-8 bytes (no padding: `=` is
 * allowed but needless); percent-encoding would need `%`, which keys refuse.
 */

/** base64url of the UTF-8 bytes of `name`, without padding. */
export function keyToken(name: string): string {
  return Buffer.from(name, 'utf8').toString('base64url')
}

/** The bucket of a cluster: bucket names allow only letters, digits, `-` and `_`. */
export function presenceBucket(prefix: string): string {
  return `${prefix.replace(/[^A-Za-z0-9_-]/g, '_')}-presence`
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
