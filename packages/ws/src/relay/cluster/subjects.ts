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
 * - `<p>.relay.<id>.call`: batches of requests and cancels for providers on that relay, each
 *   sent with the reply subject `<p>.relay.<sender>.b.<batch>` so that NATS answers "no
 *   responders" there at once when the target relay is gone;
 * - `<p>.relay.<id>.resp`: batches of response steps for callers on that relay;
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

  responses(relayId: string): string {
    return `${this.prefix}.relay.${relayId}.resp`
  }

  /** Where NATS says "no responders" for one batch of calls this relay sent. */
  bounce(relayId: string, batch: number): string {
    return `${this.prefix}.relay.${relayId}.b.${batch}`
  }

  /** Every bounce subject of one relay (it subscribes once, not once per batch). */
  bounces(relayId: string): string {
    return `${this.prefix}.relay.${relayId}.b.*`
  }

  topic(name: string): string {
    return `${this.prefix}.topic.${subjectToken(name)}`
  }
}
