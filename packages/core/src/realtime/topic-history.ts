import { defer, Observable } from 'rxjs'
import { describe } from '../mesh/mesh-options.js'
import type { SpiderMesh } from '../mesh/spider-mesh.js'
import { decodeValue } from '../protocol/codec.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { MeshError } from '../protocol/errors.js'
import { relayCall, retryWhileReconnecting } from './relay-call.js'

/** Options of `mesh.listen(topic, options)`. */
export interface ListenOptions {
  /**
   * Replay up to this many of the topic's last messages (kept by the relay's `topics` policy),
   * oldest first, before the live ones — with no gap and no duplicate between them. A topic the
   * relay keeps no history of fails with `TOPIC_NOT_RETAINED`.
   */
  history?: number
}

/** What `$history.listen` streams: `[epoch]` first, then `[seq, encoded message]` per message. */
type HistoryValue = [epoch: string] | [seq: number, payload: Uint8Array]

/** Checks `history` (a non-negative integer) at the call, not at subscription. */
export function historyCount(options: ListenOptions): number | undefined {
  if (options === null || typeof options !== 'object') {
    throw new MeshError(
      ErrorCode.INVALID_OPTION,
      `listen() options must be an object, got ${describe(options)}`,
    )
  }
  const { history } = options
  if (history === undefined) return undefined
  if (!Number.isInteger(history) || history < 0) {
    throw new MeshError(
      ErrorCode.INVALID_OPTION,
      `listen() option history must be a non-negative integer (how many retained messages to replay), got ${describe(history)}`,
    )
  }
  return history
}

/**
 * A topic's retained messages, then its live ones, through the relay's `$history` service.
 * After a reconnect the stream is made again with where it left off (the store's epoch and the
 * last sequence), so the relay sends what was published meanwhile and nothing twice.
 */
export function listenWithHistory<T>(
  mesh: SpiderMesh,
  topic: string,
  n: number,
  hasRelay: () => boolean,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    if (!hasRelay()) {
      subscriber.error(
        new MeshError(
          ErrorCode.MICROSERVICE_OFFLINE,
          `Cannot listen to "${topic}" with history: only a relay keeps topic history, and this mesh has no relay transporter (register a WebsocketTransporter connected to a relay whose \`topics\` option covers the topic)`,
        ),
      )
      return
    }
    let epoch: string | undefined
    let resume: { epoch: string; seq: number } | null = null
    return defer(() =>
      relayCall<HistoryValue>(mesh, '$history', 'listen', [topic, n, resume], { stream: true }),
    )
      .pipe(retryWhileReconnecting())
      .subscribe({
        next(value) {
          if (value.length === 1) {
            epoch = value[0]
            return
          }
          const [seq, payload] = value
          // The relay sends only what follows `resume`; the check keeps that a guarantee here.
          if (resume && resume.epoch === epoch && seq <= resume.seq) return
          resume = { epoch: epoch!, seq }
          let message: T
          try {
            message = decodeValue(payload) as T
          } catch {
            // Like a plain listener: an undecodable message is dropped, the stream goes on.
            return
          }
          subscriber.next(message)
        },
        // Like a plain listener, it completes when its mesh closes (relayCall's streams do).
        error: (err: MeshError) => subscriber.error(err),
        complete: () => subscriber.complete(),
      })
  })
}
