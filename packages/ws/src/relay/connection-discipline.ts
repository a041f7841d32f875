import { ErrorCode, encodeFrame, FrameType } from '@spider-mesh/core'
import { RelayCloseCode } from './relay-close-codes.js'
import type { RelayLogger } from './relay-logger.js'
import type { RelayMetrics } from './relay-metrics.js'
import type { RelayPeer } from './relay-peer.js'

/** A connection is closed after this many protocol errors: it is broken or hostile. */
const MAX_PROTOCOL_ERRORS = 20

/** What {@link ConnectionDiscipline} needs from the router. */
export interface ConnectionDisciplineOptions {
  logger: RelayLogger
  metrics: RelayMetrics
  maxBufferedBytes: number
  /** Forgets a connection that was closed here. */
  closed(peer: RelayPeer): void
}

/**
 * How the relay answers a connection that breaks the rules: protocol errors (counted, and the
 * connection closed past a limit), refused Hellos, slow consumers, and the close itself, which
 * never waits for the closing handshake.
 */
export class ConnectionDiscipline {
  readonly #options: ConnectionDisciplineOptions

  constructor(options: ConnectionDisciplineOptions) {
    this.#options = options
  }

  /** Slow-consumer guard: a socket that does not read its data is closed before it costs the relay memory. */
  readonly slowConsumer = (peer: RelayPeer, buffered: number): void => {
    if (peer.closed) return
    this.#options.logger.warn(
      `[relay] ${peer.label} is not reading: ${buffered} bytes wait in its send buffer (limit ${this.#options.maxBufferedBytes}); closing`,
      peer.about('slow_consumer', { buffered_bytes: buffered, limit: this.#options.maxBufferedBytes }),
    )
    // Flushing first would only add to the pile; close straight away.
    try {
      peer.connection.close(RelayCloseCode.SlowConsumer, 'slow consumer: send buffer over the limit')
    } catch {}
    this.#options.closed(peer)
  }

  protocolError(peer: RelayPeer, message: string, requestId: number | null = null): void {
    peer.protocolErrors++
    this.#options.metrics.framesRejected++
    this.#options.logger.debug(
      `[relay] protocol error from ${peer.label}: ${message}`,
      peer.about('protocol_error', { reason: message }),
    )
    peer.send(encodeFrame([FrameType.Error, ErrorCode.PROTOCOL_ERROR, message, requestId]))
    if (peer.protocolErrors >= MAX_PROTOCOL_ERRORS) {
      this.drop(peer, RelayCloseCode.TooManyProtocolErrors, 'too many protocol errors')
    }
  }

  /** Sends an Error frame, then closes: for Hellos the relay cannot accept. */
  reject(peer: RelayPeer, code: string, message: string, closeCode: number): void {
    this.#options.logger.debug(
      `[relay] rejected ${peer.label}: ${message}`,
      peer.about('node_rejected', { code, reason: message }),
    )
    peer.send(encodeFrame([FrameType.Error, code, message, null]))
    this.drop(peer, closeCode, code)
  }

  /** Closes a connection and forgets it at once, without waiting for the closing handshake. */
  drop(peer: RelayPeer, code: number, reason: string): void {
    // What was queued (the Error frame explaining the close) must leave before the close frame.
    peer.flush()
    try {
      peer.connection.close(code, reason)
    } catch (err) {
      this.#options.logger.debug(`[relay] closing ${peer.label} failed`, err, peer.about('close_failed'))
    }
    this.#options.closed(peer)
  }
}
