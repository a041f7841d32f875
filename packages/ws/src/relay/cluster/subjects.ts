import { ErrorCode, MeshError } from '@spider-mesh/core'

/**
 * One NATS subject token for any service, node or topic name. NATS splits subjects on `.` and
 * gives `*` and `>` meaning, and a token may not be empty or hold whitespace; percent-encoding
 * (with those characters added) keeps every name distinct and safe. `%` alone names the empty
 * string: no encoded name is a lone `%`.
 */
export function subjectToken(name: string): string {
  if (name === '') return '%'
  return encodeURIComponent(name).replace(
    /[.*!'()~]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
}

/** The inverse of {@link subjectToken}. */
export function nameOfToken(token: string): string {
  return token === '%' ? '' : decodeURIComponent(token)
}

/**
 * The subjects relays of one cluster talk on, all under one prefix (two clusters can share a
 * NATS server with two prefixes):
 * - `<p>.dir`: every relay's heartbeats, directory deltas and goodbyes (all relays listen);
 * - `<p>.relay.<id>.snap`: request/reply, a relay's full directory (re-sync);
 * - `<p>.relay.<id>.call`: requests and cancels for providers on that relay;
 * - `<p>.relay.<id>.r.<callId>`: the response stream of one call, back to the caller's relay
 *   (a reply subject per call, so NATS answers "no responders" at once when the target is gone);
 * - `<p>.relay.<id>.ping`: request/reply liveness probe;
 * - `<p>.topic.<topic>`: pub/sub, subscribed only while a node of the relay listens.
 */
export class ClusterSubjects {
  readonly prefix: string
  readonly directory: string

  constructor(prefix: string) {
    this.prefix = prefix
    this.directory = `${prefix}.dir`
  }

  snapshot(relayId: string): string {
    return `${this.prefix}.relay.${relayId}.snap`
  }

  calls(relayId: string): string {
    return `${this.prefix}.relay.${relayId}.call`
  }

  ping(relayId: string): string {
    return `${this.prefix}.relay.${relayId}.ping`
  }

  reply(relayId: string, callId: number): string {
    return `${this.prefix}.relay.${relayId}.r.${callId}`
  }

  /** Every reply subject of one relay (it subscribes once, not once per call). */
  replies(relayId: string): string {
    return `${this.prefix}.relay.${relayId}.r.*`
  }

  topic(name: string): string {
    return `${this.prefix}.topic.${subjectToken(name)}`
  }
}

/** Checks a subject prefix: dot-separated tokens without wildcards or whitespace. */
export function validPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || !/^[^.*>\s]+(\.[^.*>\s]+)*$/.test(prefix)) {
    throw new MeshError(
      ErrorCode.INVALID_OPTION,
      `cluster.prefix must be NATS subject tokens separated by dots, without '*', '>' or spaces; got ${JSON.stringify(prefix)}`,
    )
  }
  return prefix
}
