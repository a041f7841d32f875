import { type MonoTypeOperatorFunction, retry, throwError, timer } from 'rxjs'
import { DEFAULT_TIMEOUT_MS } from '../api/link-settings.js'
import { RemoteCall } from '../api/remote-call.js'
import type { CallOptions, CallSink } from '../mesh/call-sink.js'
import { retriedRequest } from '../mesh/retried-request.js'
import type { SpiderMesh } from '../mesh/spider-mesh.js'
import { ErrorCode } from '../protocol/error-codes.js'
import type { MeshError } from '../protocol/errors.js'

/**
 * A call to a service the relay hosts itself (`$history`, `$presence`, `$records`): an ordinary
 * call, so it has the deadline, cancel and flow control of any other. A unary call times out
 * after the default call timeout; a stream (`stream: true`) has no inactivity timeout — a watch
 * may stay quiet for hours.
 */
export function relayCall<T>(
  mesh: SpiderMesh,
  service: string,
  method: string,
  args: unknown[],
  { stream = false, window }: { stream?: boolean; window?: number } = {},
): RemoteCall<T> {
  const options: CallOptions = { timeout: stream ? 0 : DEFAULT_TIMEOUT_MS }
  return new RemoteCall<T>((sink, tuning) => {
    const callOptions = tuning?.window === undefined ? options : { ...options, window: tuning.window }
    return stream
      ? mesh.request(service, method, args, callOptions, completedOnClose(sink))
      : requestOnceConnected(mesh, service, method, args, callOptions, sink)
  }, window)
}

/**
 * A relay-hosted stream (a watch, a presence list) completes when its own mesh closes, as a plain
 * `listen()` does: closing a node is not an error of every watch it held.
 */
function completedOnClose<T>(sink: CallSink<T>): CallSink<T> {
  const wrapped: CallSink<T> = {
    next: (value) => sink.next(value),
    error: (err) => (err?.code === ErrorCode.MESH_CLOSED ? sink.complete() : sink.error(err)),
    complete: () => sink.complete(),
  }
  if (sink.start) wrapped.start = (control) => sink.start!(control)
  return wrapped
}

/**
 * A unary call made while the node is still connecting to its relay (right after `connect()`, or
 * while it reconnects) waits for the relay instead of failing at once: it is sent again, backing
 * off from 50 ms to 1 s, while it was not delivered and a transporter says why it cannot carry it
 * — until the call's timeout. Nothing was delivered, so nothing can run twice.
 */
function requestOnceConnected<T>(
  mesh: SpiderMesh,
  service: string,
  method: string,
  args: unknown[],
  options: CallOptions,
  sink: CallSink<T>,
): () => void {
  const giveUpAt = Date.now() + (options.timeout || DEFAULT_TIMEOUT_MS)
  return retriedRequest(mesh, service, method, args, options, sink as CallSink, (err, attempt) => {
    const delay = Math.min(50 * 2 ** (attempt - 1), 1000)
    const waiting =
      err.code === ErrorCode.MICROSERVICE_OFFLINE &&
      err.delivered === false &&
      mesh.connectionProblem() !== undefined &&
      Date.now() + delay < giveUpAt
    return waiting ? delay : undefined
  })
}

/** Errors after which a relay-hosted stream is made again: the relay was lost or not reached yet. */
const RECONNECTING = new Set<string>([ErrorCode.MICROSERVICE_OFFLINE, ErrorCode.CLUSTER_UNAVAILABLE])

/**
 * Re-subscribes a relay-hosted stream while the relay cannot be reached (reconnecting, a relay
 * restart), backing off from 100 ms to 2 s; any other error ends the stream. Each capability
 * resynchronises in its first values after a re-subscription (a full value, a full list).
 */
export function retryWhileReconnecting<T>(): MonoTypeOperatorFunction<T> {
  return retry({
    resetOnSuccess: true,
    delay: (err: MeshError, count) =>
      RECONNECTING.has(err?.code ?? '')
        ? timer(Math.min(100 * 2 ** (count - 1), 2000))
        : throwError(() => err),
  })
}
