/**
 * Names the relay's hosted services use in the cluster's JetStream. Stream and KV bucket names
 * allow only letters, digits, `-` and `_` (a cluster prefix may hold dots); KV keys allow only
 * `[-/_=.a-zA-Z0-9]` with `.` between tokens, so a name (a topic, a node id, a record id) becomes
 * one token as base64url of its UTF-8 bytes — percent-encoding (`subjectToken`) would need `%`,
 * which keys refuse.
 */

/** A stream or bucket name of this cluster: the prefix made safe, then `suffix`. */
export function jetStreamName(prefix: string, suffix: string): string {
  return `${prefix.replace(/[^A-Za-z0-9_-]/g, '_')}${suffix}`
}

/** One KV key token for any name: base64url of its UTF-8 bytes, without padding. */
export function kvToken(name: string): string {
  return Buffer.from(name, 'utf8').toString('base64url')
}
